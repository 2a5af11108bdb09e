//! [`CreateTask`]: make a follow-up task (`create_task`), exactly once.

use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::types::{Task, TaskCreate, TaskCreateTitle};
use voxys_connect_api::{TaskPriority, TaskStatus, TaskableType, Timestamp};

use crate::create::{Create, Kind, LookForTheRecord, Record, same_instant};
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, id, max_per_page};
use crate::pipeline::Call;
use crate::tasks::Tasks;

/// How many pages of tasks a settle reads at most.
const PAGES_TO_LOOK_AT: u64 = 10;

/// A request to create a follow-up task
/// (`POST /api/v1/accounts/{account_id}/follow_up_tasks`); made by
/// [`Tasks::create`].
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it looks among the pending tasks
/// (about the same record, when it is about one) for one made after the
/// attempt began with every member sent, not claimed by another create of
/// this client.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateTask {
    tasks: Tasks,
    title: String,
    description: Option<String>,
    due: Option<Timestamp>,
    priority: Option<TaskPriority>,
    agent: Option<i64>,
    about: Option<(TaskableType, i64)>,
    settle_after: Duration,
}

impl CreateTask {
    pub(crate) fn new(tasks: Tasks, title: String) -> CreateTask {
        CreateTask {
            tasks,
            title,
            description: None,
            due: None,
            priority: None,
            agent: None,
            about: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// More about it.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// When it is due.
    pub fn due(mut self, at: Timestamp) -> Self {
        self.due = Some(at);
        self
    }

    /// How urgent it is (the API's default: medium).
    pub fn priority(mut self, priority: TaskPriority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// The agent it is for.
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.agent = Some(agent_id);
        self
    }

    /// The record it is about: a lead, a card, a conversation or a contact.
    pub fn about(mut self, kind: TaskableType, id: i64) -> Self {
        self.about = Some((kind, id));
        self
    }

    /// When an answer was lost and no task is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Creates the task; the task made.
    pub async fn send(self) -> Result<Task> {
        let title =
            TaskCreateTitle::try_from(self.title.clone()).map_err(|_| Error::InvalidParameter {
                name: "title",
                value: format!("{:?}", self.title),
                expected: "the task's title, not empty".to_owned(),
            })?;
        let mut body = TaskCreate::new(title);
        body.description = self.description.clone();
        body.due_at = self.due;
        body.priority = self.priority.clone();
        body.assigned_to_id = id("agent", self.agent)?;
        if let Some((kind, record)) = &self.about {
            body.taskable_type = Some(kind.clone());
            body.taskable_id = id("about", Some(*record))?;
        }
        let tasks = &self.tasks;
        let client = &tasks.client;
        let account = tasks.account_id;
        let request = client
            .api()
            .create_task()
            .account_id(account)
            .body(body)
            .send();
        let looker = self.clone();
        let this = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            client,
            Create {
                kind: Kind {
                    one: "task",
                    many: "tasks",
                },
                action: format!("creating task {:?}", self.title),
                look: format!(
                    "look among the pending tasks for it (Client::tasks({account}).list().status(TaskStatus::Pending), or `voxys tasks list --status pending`)"
                ),
                identifying: true,
                candidates: Box::new(move |_| {
                    let looker = looker.clone();
                    Box::pin(async move { looker.pending_tasks().await })
                }),
                matches: Arc::new(move |task: &Task| this.matches(task)),
                settle_after: self.settle_after,
            },
        );
        let task: Task = client
            .send("create_task", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(task.id);
        Ok(task)
    }

    fn matches(&self, task: &Task) -> bool {
        task.title == self.title
            && (self.description.is_none() || self.description == task.description)
            && (self.due.is_none()
                || self
                    .due
                    .zip(task.due_at)
                    .is_some_and(|(sent, held)| same_instant(sent, held)))
            && (self.priority.is_none() || self.priority.as_ref() == Some(&task.priority))
            && (self.agent.is_none() || self.agent == task.assigned_to.as_ref().map(|a| a.id))
            && self.about.as_ref().is_none_or(|(kind, id)| {
                task.taskable_type.as_ref() == Some(kind) && task.taskable_id == Some(*id)
            })
    }

    /// The pending tasks (about the same record, when it is about one), at
    /// most [`PAGES_TO_LOOK_AT`] pages.
    async fn pending_tasks(&self) -> Result<Vec<Task>> {
        let mut list = self
            .tasks
            .list()
            .status(TaskStatus::Pending)
            .per_page(max_per_page());
        if let Some((kind, id)) = &self.about {
            list = list.about(kind.clone(), *id);
        }
        if let Some(due) = self.due {
            // Only the tasks due about then (the list's order and pages are
            // by due date: the fewer, the less a task made meanwhile shifts
            // them).
            let second = chrono::Duration::seconds(1);
            list = list
                .due_after(Timestamp::new(due.as_datetime() - second))
                .due_before(Timestamp::new(due.as_datetime() + second));
        }
        let mut tasks = Vec::new();
        for number in 1..=PAGES_TO_LOOK_AT {
            let page = list.fetch_page(number).await?;
            let last = page.next_page().is_none();
            tasks.extend(page.into_items());
            if last {
                return Ok(tasks);
            }
        }
        Err(Error::Pagination {
            operation: "list_tasks",
            page: PAGES_TO_LOOK_AT,
            message: format!(
                "more than {} pending tasks: too many to look through for one task",
                PAGES_TO_LOOK_AT * max_per_page()
            ),
        })
    }
}

impl Record for Task {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}
