//! An account's follow-up tasks: [`Tasks`], made by
//! [`Client::tasks`](crate::Client::tasks), and the requests it makes:
//! [`ListTasks`], [`CreateTask`] (exactly once), [`UpdateTask`],
//! [`SnoozeTask`] (once, even by a duration), and single requests.

mod create;
mod snooze;

pub use create::CreateTask;
pub use snooze::SnoozeTask;

use chrono::NaiveDate;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, TryStreamExt};
use voxys_connect_api::types::{Task, TaskList};
use voxys_connect_api::{
    Change, Snooze, TaskPriority, TaskStatus, TaskUpdate, TaskableType, Timestamp,
};

use crate::client::Client;
use crate::delete::Delete;
use crate::error::Result;
use crate::leads::{positive_id, requests_in_flight};
use crate::pagination::{Page, PageSource, checked_pages, items};
use crate::pipeline::Call;
use crate::pipelines::funnels::not_blank;
use crate::request::{Invalid, Request};

/// The follow-up tasks of one account; made by
/// [`Client::tasks`](crate::Client::tasks).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::{Snooze, TaskPriority, TaskableType};
///
/// let tasks = client.tasks(1);
/// let task = tasks
///     .create("Call back about the quote")
///     .about(TaskableType::Lead, 42)
///     .priority(TaskPriority::High)
///     .due("2026-06-15T10:00:00Z".parse().unwrap())
///     .send()
///     .await?;
/// tasks.snooze(task.id, Snooze::Days(1)).send().await?; // once, even if retried
/// tasks.complete(task.id).send().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Tasks {
    client: Client,
    account_id: i64,
}

impl Tasks {
    pub(crate) fn new(client: Client, account_id: i64) -> Tasks {
        Tasks { client, account_id }
    }

    /// The account these tasks belong to.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// A request to list the account's tasks: filters, then one page with
    /// [`send`](ListTasks::send) or every page with
    /// [`stream`](ListTasks::stream).
    pub fn list(&self) -> ListTasks {
        ListTasks {
            client: self.client.clone(),
            account_id: self.account_id,
            filter: Filter::default(),
            page: None,
            per_page: None,
            concurrency: 1,
        }
    }

    /// A request to create a task titled `title`, exactly once; see
    /// [`CreateTask`].
    pub fn create(&self, title: impl Into<String>) -> CreateTask {
        CreateTask::new(self.clone(), title.into())
    }

    /// A request for the tasks due from `start` to `end` (inclusive), soonest
    /// first (`task_calendar`; not paged).
    pub fn calendar(&self, start: NaiveDate, end: NaiveDate) -> Request<Vec<Task>> {
        let account = self.account_id;
        let invalid = (start > end).then(|| Invalid {
            name: "start_date",
            value: start.to_string(),
            expected: format!("a day on or before the end ({end})"),
        });
        Request::new(&self.client, "task_calendar", move |c| async move {
            c.api()
                .task_calendar()
                .account_id(account)
                .start_date(start)
                .end_date(end)
                .send()
                .await
        })
        .check(invalid)
    }

    /// A request for the task `task_id` (`get_task`).
    pub fn get(&self, task_id: i64) -> Request<Task> {
        let account = self.account_id;
        Request::new(&self.client, "get_task", move |c| async move {
            c.api()
                .get_task()
                .account_id(account)
                .id(task_id)
                .send()
                .await
        })
    }

    /// A request to change a task; see [`UpdateTask`].
    pub fn update(&self, task_id: i64) -> UpdateTask {
        UpdateTask {
            tasks: self.clone(),
            task_id,
            changes: TaskUpdate::default(),
        }
    }

    /// A request to delete a task (`delete_task`); see [`Delete`].
    pub fn delete(&self, task_id: i64) -> Delete {
        let account = self.account_id;
        Delete::new(&self.client, "delete_task", move |c| async move {
            c.api()
                .delete_task()
                .account_id(account)
                .id(task_id)
                .send()
                .await
        })
    }

    /// A request to complete a task: status `completed`, `completed_at` now
    /// (`complete_task`). Completing it again changes nothing, so it is
    /// retried like a read.
    pub fn complete(&self, task_id: i64) -> Request<Task> {
        let account = self.account_id;
        Request::new(&self.client, "complete_task", move |c| async move {
            c.api()
                .complete_task()
                .account_id(account)
                .id(task_id)
                .send()
                .await
        })
    }

    /// A request to snooze a task by a duration or until an instant, once;
    /// see [`SnoozeTask`].
    pub fn snooze(&self, task_id: i64, snooze: Snooze) -> SnoozeTask {
        SnoozeTask::new(self.clone(), task_id, snooze)
    }
}

/// The filters of a task list.
#[derive(Clone, Debug, Default)]
struct Filter {
    about: Option<(TaskableType, Option<i64>)>,
    status: Option<TaskStatus>,
    due_before: Option<Timestamp>,
    due_after: Option<Timestamp>,
}

/// A request for an account's follow-up tasks
/// (`GET /api/v1/accounts/{account_id}/follow_up_tasks`), soonest due first;
/// made by [`Tasks::list`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListTasks {
    client: Client,
    account_id: i64,
    filter: Filter,
    page: Option<u64>,
    per_page: Option<u64>,
    concurrency: usize,
}

impl ListTasks {
    /// Only tasks about the record `id` of this kind.
    pub fn about(mut self, kind: TaskableType, id: i64) -> Self {
        self.filter.about = Some((kind, Some(id)));
        self
    }

    /// Only tasks about records of this kind.
    pub fn about_kind(mut self, kind: TaskableType) -> Self {
        self.filter.about = Some((kind, None));
        self
    }

    /// Only tasks with this status.
    pub fn status(mut self, status: TaskStatus) -> Self {
        self.filter.status = Some(status);
        self
    }

    /// Only tasks due before this instant.
    pub fn due_before(mut self, instant: Timestamp) -> Self {
        self.filter.due_before = Some(instant);
        self
    }

    /// Only tasks due after this instant.
    pub fn due_after(mut self, instant: Timestamp) -> Self {
        self.filter.due_after = Some(instant);
        self
    }

    /// The page to read, from 1; for [`stream`](ListTasks::stream), the page
    /// to start from.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Tasks per page, 1 to 100 (the server's default: 25).
    pub fn per_page(mut self, per_page: u64) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// How many pages to fetch at once when walking every page, 1 to
    /// [`MAX_REQUESTS_IN_FLIGHT`](crate::leads::MAX_REQUESTS_IN_FLIGHT)
    /// (default 1); tasks still come in order.
    pub fn concurrency(mut self, pages_in_flight: usize) -> Self {
        self.concurrency = pages_in_flight;
        self
    }

    /// Sends the request and returns one page.
    pub async fn send(self) -> Result<Page<Task>> {
        requests_in_flight(self.concurrency)?;
        let page = self.page.unwrap_or(1);
        self.fetch_page(page).await
    }

    /// Every page from the first (or from [`page`](ListTasks::page)), in
    /// order; see [`ListLeads::pages`](crate::leads::ListLeads::pages).
    pub fn pages(self) -> BoxStream<'static, Result<Page<Task>>> {
        let check = requests_in_flight(self.concurrency);
        let first = self.page.unwrap_or(1);
        let concurrency = self.concurrency;
        checked_pages(self, check, first, concurrency)
    }

    /// Every task of every page, in order.
    pub fn stream(self) -> BoxStream<'static, Result<Task>> {
        items(self.pages())
    }

    /// Every task of every page, collected.
    pub async fn collect_all(self) -> Result<Vec<Task>> {
        self.stream().try_collect().await
    }

    async fn fetch_page(&self, page: u64) -> Result<Page<Task>> {
        let filter = &self.filter;
        let mut request = self
            .client
            .api()
            .list_tasks()
            .account_id(self.account_id)
            .page(page);
        if let Some((kind, id)) = &filter.about {
            request = request.taskable_type(kind.clone());
            if let Some(id) = id {
                request = request.taskable_id(*id);
            }
        }
        if let Some(status) = &filter.status {
            request = request.status(status.clone());
        }
        if let Some(at) = filter.due_before {
            request = request.due_before(at);
        }
        if let Some(at) = filter.due_after {
            request = request.due_after(at);
        }
        if let Some(per_page) = self.per_page {
            request = request.per_page(per_page);
        }
        let list: TaskList = self
            .client
            .send(Self::OPERATION, Call::default(), request.send())
            .await?
            .value;
        Ok(Page::new(list.data, list.meta))
    }
}

impl PageSource for ListTasks {
    type Item = Task;
    const OPERATION: &'static str = "list_tasks";

    fn fetch(&self, page: u64) -> BoxFuture<'static, Result<Page<Task>>> {
        let this = self.clone();
        Box::pin(async move { this.fetch_page(page).await })
    }

    fn key(task: &Task) -> i64 {
        task.id
    }

    fn client(&self) -> &Client {
        &self.client
    }
}

/// A request to change a follow-up task
/// (`PATCH /api/v1/accounts/{account_id}/follow_up_tasks/{id}`); made by
/// [`Tasks::update`]. Each member is left as it is unless set or cleared.
/// **Repeating it** gives the same task.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateTask {
    tasks: Tasks,
    task_id: i64,
    changes: TaskUpdate,
}

impl UpdateTask {
    /// A new title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.changes.title = Some(title.into());
        self
    }

    /// A new description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.changes.description = Change::Set(text.into());
        self
    }

    /// Clears the description.
    pub fn clear_description(mut self) -> Self {
        self.changes.description = Change::Clear;
        self
    }

    /// A new due time.
    pub fn due(mut self, at: Timestamp) -> Self {
        self.changes.due_at = Change::Set(at);
        self
    }

    /// No due time.
    pub fn clear_due(mut self) -> Self {
        self.changes.due_at = Change::Clear;
        self
    }

    /// A new priority.
    pub fn priority(mut self, priority: TaskPriority) -> Self {
        self.changes.priority = Some(priority);
        self
    }

    /// Assigns it to this agent.
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.changes.assigned_to_id = Change::Set(agent_id);
        self
    }

    /// Assigns it to no one.
    pub fn unassign(mut self) -> Self {
        self.changes.assigned_to_id = Change::Clear;
        self
    }

    /// Every change at once, replacing those set before.
    pub fn changes(mut self, changes: TaskUpdate) -> Self {
        self.changes = changes;
        self
    }

    /// Sends the changes; the task as it is now.
    pub async fn send(self) -> Result<Task> {
        not_blank("title", self.changes.title.as_deref())?;
        if let Change::Set(agent) = self.changes.assigned_to_id {
            positive_id("agent", Some(agent))?;
        }
        let tasks = &self.tasks;
        let request = tasks
            .client
            .api()
            .update_task()
            .account_id(tasks.account_id)
            .id(self.task_id)
            .body(self.changes.clone())
            .send();
        Ok(tasks
            .client
            .send("update_task", Call::default(), request)
            .await?
            .value)
    }
}
