//! The Follow-up Tasks section: listing tasks (a page, filtered, soonest
//! due first) and the calendar (reads of an [`Account`]), and creating,
//! changing, completing, snoozing and deleting them (writes on the
//! [`Store`], each journaled).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Value, json};

use crate::data::Account;
use crate::records::Task;
use crate::respond::Refusal;
use crate::store::{Change, Entry, Store, Write};

/// What `list_tasks` keeps: each filter given.
#[derive(Clone, Debug, Default)]
pub(crate) struct TaskFilter {
    pub(crate) taskable_type: Option<String>,
    pub(crate) taskable_id: Option<i64>,
    pub(crate) status: Option<String>,
    pub(crate) due_before: Option<DateTime<Utc>>,
    pub(crate) due_after: Option<DateTime<Utc>>,
}

impl TaskFilter {
    fn keeps(&self, task: &Task) -> bool {
        self.taskable_type
            .as_deref()
            .is_none_or(|t| task.taskable_type.as_deref() == Some(t))
            && self
                .taskable_id
                .is_none_or(|id| task.taskable_id == Some(id))
            && self.status.as_deref().is_none_or(|s| task.status == s)
            && self
                .due_before
                .is_none_or(|at| task.due_at.is_some_and(|due| due < at))
            && self
                .due_after
                .is_none_or(|at| task.due_at.is_some_and(|due| due > at))
    }
}

/// An instant as the API takes it: RFC 3339, or an ISO 8601 date-time
/// without an offset, read as UTC; kept to the millisecond.
pub(crate) fn instant(text: &str) -> Option<DateTime<Utc>> {
    let at = DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|at| at.and_utc())
        })
        .ok()?;
    DateTime::from_timestamp_millis(at.timestamp_millis())
}

/// A date as the API takes it (`YYYY-MM-DD`).
pub(crate) fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The order tasks are listed in: soonest due first, tasks with no due
/// date last, ties by id.
fn due_order(task: &Task) -> (bool, Option<DateTime<Utc>>, i64) {
    (task.due_at.is_none(), task.due_at, task.id)
}

impl Account {
    /// The account's tasks as `list_tasks` lists them: soonest due first,
    /// those with no due date last, ties by id.
    pub fn tasks_in_order(&self) -> Vec<&Task> {
        let mut tasks: Vec<&Task> = self.tasks.iter().collect();
        tasks.sort_by_key(|t| due_order(t));
        tasks
    }

    /// The tasks about a record (`taskable_type` and `taskable_id`), in
    /// the order of [`Account::tasks_in_order`].
    pub fn tasks_about(&self, taskable_type: &str, taskable_id: i64) -> Vec<&Task> {
        self.tasks_in_order()
            .into_iter()
            .filter(|t| t.is_about(taskable_type, taskable_id))
            .collect()
    }

    /// One page of the tasks `filter` keeps, as `list_tasks` answers it
    /// (`TaskList`).
    pub(crate) fn list_tasks(&self, filter: &TaskFilter, page: u64, per_page: u64) -> Value {
        let kept: Vec<&Task> = self
            .tasks_in_order()
            .into_iter()
            .filter(|t| filter.keeps(t))
            .collect();
        let total = kept.len() as u64;
        let first =
            usize::try_from(page.saturating_sub(1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let data: Vec<Value> = kept
            .iter()
            .skip(first)
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .map(|t| t.to_json())
            .collect();
        json!({
            "data": data,
            "meta": {
                "current_page": page,
                "total_pages": if per_page == 0 { 0 } else { total.div_ceil(per_page) },
                "total_count": total,
            },
        })
    }

    /// The tasks due from `start` to `end` (inclusive, by the UTC date of
    /// `due_at`), soonest first, as `task_calendar` answers them.
    pub(crate) fn task_calendar(&self, start: NaiveDate, end: NaiveDate) -> Value {
        let due: Vec<Value> = self
            .tasks_in_order()
            .into_iter()
            .filter(|t| {
                t.due_at
                    .is_some_and(|at| (start..=end).contains(&at.date_naive()))
            })
            .map(Task::to_json)
            .collect();
        Value::Array(due)
    }
}

/// A `TaskCreate` or `TaskUpdate` body, read.
pub(crate) struct TaskInput {
    title: Option<String>,
    description: Change<String>,
    due_at: Change<DateTime<Utc>>,
    priority: Option<String>,
    assigned_to_id: Change<i64>,
    taskable_type: Option<String>,
    taskable_id: Change<i64>,
}

impl TaskInput {
    /// Reads a body the routes checked against the document; a `title` of
    /// spaces only is refused as the model refuses it.
    pub(crate) fn read(body: &Value) -> Result<TaskInput, Refusal> {
        let title = body.get("title").and_then(Value::as_str);
        if title.is_some_and(|t| t.trim().is_empty()) {
            return Err(Refusal::field("title", "can't be blank"));
        }
        let due_at = match body.get("due_at") {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(value) => Change::Set(
                value
                    .as_str()
                    .and_then(instant)
                    .ok_or_else(|| Refusal::invalid("due_at", "due_at is not a date-time"))?,
            ),
        };
        Ok(TaskInput {
            title: title.map(str::to_owned),
            description: Change::of(body, "description", |v| v.as_str().map(str::to_owned)),
            due_at,
            priority: body
                .get("priority")
                .and_then(Value::as_str)
                .map(str::to_owned),
            assigned_to_id: Change::of(body, "assigned_to_id", Value::as_i64),
            taskable_type: body
                .get("taskable_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
            taskable_id: Change::of(body, "taskable_id", Value::as_i64),
        })
    }
}

/// How to snooze a task: by a duration, or until an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Snooze {
    By(Duration),
    Until(DateTime<Utc>),
}

impl Snooze {
    /// Reads `duration`: `Nh`, `Nd` or `Nw` (N from 1), or an ISO 8601
    /// date-time; `None` for anything else.
    pub(crate) fn read(text: &str) -> Option<Snooze> {
        let text = text.trim();
        if let Some(unit) = text.chars().last().filter(|c| matches!(c, 'h' | 'd' | 'w')) {
            let count: i64 = text[..text.len() - 1].parse().ok().filter(|n| *n >= 1)?;
            let duration = match unit {
                'h' => Duration::try_hours(count),
                'd' => Duration::try_days(count),
                _ => Duration::try_weeks(count),
            }?;
            return Some(Snooze::By(duration));
        }
        instant(text).map(Snooze::Until)
    }
}

/// The agent an input names, which must be one of the account's (else the
/// reference's 422 about `assigned_to_id`).
fn assignee(account: &Account, change: Change<i64>) -> Result<Change<crate::data::Agent>, Refusal> {
    Ok(match change {
        Change::Keep => Change::Keep,
        Change::Clear => Change::Clear,
        Change::Set(id) => {
            Change::Set(account.agent(id).cloned().ok_or_else(|| {
                Refusal::field("assigned_to_id", "must be an agent of the account")
            })?)
        }
    })
}

/// The task, to change (404 when the account has none such).
fn task_mut<'a>(write: &'a mut Write<'_>, id: i64) -> Result<&'a mut Task, Refusal> {
    let index = write
        .account
        .tasks
        .binary_search_by_key(&id, |t| t.id)
        .map_err(|_| Refusal::NotFound)?;
    Ok(&mut write.account.tasks[index])
}

/// The journal entry of a write of one task.
fn task_entry(task: &Task, before: Option<DateTime<Utc>>) -> Entry {
    Entry {
        task_ids: vec![task.id],
        name: Some(task.title.clone()),
        due_at_before: before,
        due_at_after: task.due_at,
        ..Entry::one()
    }
}

impl Store {
    /// Makes a task: `pending`, `priority` `medium` unless given, about the
    /// record `taskable_type` and `taskable_id` name (which must exist:
    /// else 422 in the reference's shape, `taskable`; one without the
    /// other: `can't be blank` about the other) or about nothing.
    pub(crate) fn create_task(
        &mut self,
        account_id: i64,
        input: TaskInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_task", |write| {
            let title = input
                .title
                .ok_or_else(|| Refusal::Missing("title".to_owned()))?;
            let account = &*write.account;
            let about = match (input.taskable_type, input.taskable_id.given()) {
                (None, None) => None,
                (Some(_), None) => return Err(Refusal::field("taskable_id", "can't be blank")),
                (None, Some(_)) => return Err(Refusal::field("taskable_type", "can't be blank")),
                (Some(kind), Some(id)) => {
                    let exists = match kind.as_str() {
                        "Lead" => account.lead(id).is_some(),
                        "FunnelCard" => account.card(id).is_some(),
                        "Conversation" => account.conversation(id).is_some(),
                        "Contact" => account.contact(id).is_some(),
                        _ => false,
                    };
                    if !exists {
                        return Err(Refusal::field("taskable", "must exist"));
                    }
                    Some((kind, id))
                }
            };
            let agent = assignee(account, input.assigned_to_id)?;
            let task = Task {
                id: write.ids.task(),
                title,
                description: input.description.given(),
                status: "pending".to_owned(),
                priority: input.priority.unwrap_or_else(|| "medium".to_owned()),
                due_at: input.due_at.given(),
                completed_at: None,
                taskable_type: about.as_ref().map(|(kind, _)| kind.clone()),
                taskable_id: about.map(|(_, id)| id),
                assigned_to: agent.given(),
                created_at: write.now,
                updated_at: write.now,
            };
            let entry = Entry {
                created_id: Some(task.id),
                ..task_entry(&task, None)
            };
            let json = task.to_json();
            // The largest id yet: the tasks stay in id order.
            write.account.tasks.push(task);
            Ok((json, entry))
        })
    }

    /// Changes a task: the members sent, `null` clearing; `updated_at`
    /// moves on.
    pub(crate) fn update_task(
        &mut self,
        account_id: i64,
        task_id: i64,
        input: TaskInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_task", |write| {
            let agent = assignee(write.account, input.assigned_to_id)?;
            let now = write.now;
            let task = task_mut(write, task_id)?;
            let before = task.due_at;
            if let Some(title) = input.title {
                task.title = title;
            }
            input.description.apply(&mut task.description);
            input.due_at.apply(&mut task.due_at);
            if let Some(priority) = input.priority {
                task.priority = priority;
            }
            agent.apply(&mut task.assigned_to);
            task.updated_at = now;
            Ok((task.to_json(), task_entry(task, before)))
        })
    }

    /// Deletes a task.
    pub(crate) fn delete_task(&mut self, account_id: i64, task_id: i64) -> Result<(), Refusal> {
        self.change(account_id, "delete_task", |write| {
            let index = write
                .account
                .tasks
                .binary_search_by_key(&task_id, |t| t.id)
                .map_err(|_| Refusal::NotFound)?;
            let task = write.account.tasks.remove(index);
            let entry = Entry {
                due_at_after: None,
                ..task_entry(&task, task.due_at)
            };
            Ok(((), entry))
        })
    }

    /// Completes a task: `completed`, `completed_at` now. A task completed
    /// already is left as it is (journaled with `affected` 0).
    pub(crate) fn complete_task(
        &mut self,
        account_id: i64,
        task_id: i64,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "complete_task", |write| {
            let now = write.now;
            let task = task_mut(write, task_id)?;
            let mut entry = task_entry(task, task.due_at);
            if task.status == "completed" && task.completed_at.is_some() {
                entry.affected = 0;
            } else {
                task.status = "completed".to_owned();
                task.completed_at = Some(now);
                task.updated_at = now;
            }
            Ok((task.to_json(), entry))
        })
    }

    /// Snoozes a task: `snoozed`, `completed_at` cleared, and `due_at` set
    /// to the instant given, or pushed by the duration from the later of
    /// its `due_at` and now (so that each snooze by a duration pushes it).
    pub(crate) fn snooze_task(
        &mut self,
        account_id: i64,
        task_id: i64,
        snooze: Snooze,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "snooze_task", |write| {
            let now = write.now;
            let task = task_mut(write, task_id)?;
            let before = task.due_at;
            let due = match snooze {
                Snooze::Until(at) => at,
                Snooze::By(duration) => {
                    let from = before.map_or(now, |due| due.max(now));
                    from.checked_add_signed(duration)
                        .ok_or_else(|| Refusal::invalid("duration", "duration is too long"))?
                }
            };
            task.due_at = Some(due);
            task.status = "snoozed".to_owned();
            task.completed_at = None;
            task.updated_at = now;
            Ok((task.to_json(), task_entry(task, before)))
        })
    }
}
