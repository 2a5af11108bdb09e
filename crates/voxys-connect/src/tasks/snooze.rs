//! [`SnoozeTask`]: snooze a follow-up task (`snooze_task`), once.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use voxys_connect_api::types::Task;
use voxys_connect_api::{Snooze, TaskSnooze, TaskStatus, Timestamp};

use crate::create::{same_instant, window_start};
use crate::error::Result;
use crate::leads::DEFAULT_SETTLE_AFTER;
use crate::pipeline::{Call, Failure, Settle, Settled};
use crate::tasks::Tasks;

/// A request to snooze a follow-up task: status `snoozed`, `due_at` pushed
/// (`PATCH /api/v1/accounts/{account_id}/follow_up_tasks/{id}/snooze`); made
/// by [`Tasks::snooze`]. It takes a typed [`Snooze`], never a free string.
///
/// **Once.** Snoozing by a duration twice pushes the task twice, so the SDK
/// does not resend it blindly. It snoozes a task by a duration one call at a
/// time (two relative snoozes of one task by one client wait for each
/// other), reads the task's `due_at` first, and when an answer is lost (a
/// timeout, a 5xx, a dropped connection) reads the task again:
/// - `due_at` moved, the task snoozed and changed after the lost attempt
///   began: the snooze was applied, and the task is the answer;
/// - `due_at` unmoved after the application's own 500: it was not, and the
///   500 stands;
/// - otherwise it reads once more after
///   [`settle_after`](SnoozeTask::settle_after), and when `due_at` still has
///   not moved, returns [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)
///   (the server may still be at it), saying what to compare.
///
/// Another program changing the task's `due_at` in the same moment would
/// look like this snooze. The SDK does not turn a duration into an instant
/// itself: the reference does not say from when the server counts it (the
/// mock server counts from the later of the due time and now).
///
/// A snooze **until an instant** gives the same task when repeated: after a
/// lost answer the task is read (its `due_at` compared to the second, as the
/// server may keep fewer digits), read again after `settle_after` in case
/// the first attempt is still under way, and the snooze sent again unless it
/// shows applied.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::Snooze;
///
/// let task = client.tasks(1).snooze(20, Snooze::Days(1)).send().await?;
/// println!("due {:?}", task.due_at);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct SnoozeTask {
    tasks: Tasks,
    task_id: i64,
    snooze: Snooze,
    settle_after: Duration,
}

impl SnoozeTask {
    pub(crate) fn new(tasks: Tasks, task_id: i64, snooze: Snooze) -> SnoozeTask {
        SnoozeTask {
            tasks,
            task_id,
            snooze,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// When an answer was lost and `due_at` has not moved yet, how long to
    /// wait before reading the task once more (default
    /// [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Snoozes the task; the task, snoozed.
    pub async fn send(self) -> Result<Task> {
        // One relative snooze of a task at a time: another one's push must
        // not be taken for this one's.
        let _one_at_a_time = match self.snooze {
            Snooze::Until(_) => None,
            _ => Some(
                self.tasks
                    .client
                    .claimed()
                    .one_at_a_time("task", self.task_id)
                    .await,
            ),
        };
        let before = match self.snooze {
            Snooze::Until(_) => None,
            _ => Some(self.tasks.get(self.task_id).send().await?.due_at),
        };
        let tasks = &self.tasks;
        let request = tasks
            .client
            .api()
            .snooze_task()
            .account_id(tasks.account_id)
            .id(self.task_id)
            .body(TaskSnooze::new(self.snooze))
            .send();
        let settle = Arc::new(ReadTheTask {
            snooze: self.clone(),
            before,
        });
        Ok(tasks
            .client
            .send("snooze_task", Call::settled_by(settle), request)
            .await?
            .value)
    }
}

/// How a snooze whose answer was lost is settled: by reading the task.
struct ReadTheTask {
    snooze: SnoozeTask,
    /// The task's `due_at` before a snooze by a duration; `None` for a
    /// snooze until an instant.
    before: Option<Option<Timestamp>>,
}

/// What reading the task told.
enum Seen {
    Applied(Box<Task>),
    NotYet,
}

impl ReadTheTask {
    /// Reads the task: whether the snooze shows applied, the lost attempt
    /// having begun at `since` (less the clock allowance).
    async fn read(&self, since: Timestamp) -> Result<Seen> {
        let task = self.snooze.tasks.get(self.snooze.task_id).send().await?;
        let applied = task.status == TaskStatus::Snoozed
            && match (self.snooze.snooze, self.before) {
                (Snooze::Until(at), _) => task.due_at.is_some_and(|due| same_instant(due, at)),
                (_, Some(before)) => task.due_at != before && task.updated_at >= since,
                (_, None) => false,
            };
        Ok(if applied {
            Seen::Applied(Box::new(task))
        } else {
            Seen::NotYet
        })
    }
}

impl Settle for ReadTheTask {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            let unreadable = |look: crate::Error| {
                Settled::Unknown(format!("reading the task failed too: {look}"))
            };
            let since = window_start(failure.began);
            match self.read(since).await {
                Ok(Seen::Applied(task)) => return Settled::found(&task, "task"),
                Ok(Seen::NotYet) if failure.answered_by_the_application() => {
                    return Settled::Absent;
                }
                Ok(Seen::NotYet) => {}
                Err(look) => return unreadable(look),
            }
            // The server may still be at it: read again.
            tokio::time::sleep(self.snooze.settle_after).await;
            match self.read(since).await {
                Ok(Seen::Applied(task)) => Settled::found(&task, "task"),
                // Until an instant: sending it again gives the same task.
                Ok(Seen::NotYet) if !self.snooze.snooze.is_relative() => Settled::Absent,
                Ok(Seen::NotYet) => Settled::Unknown(format!(
                    "the task's due_at has not moved, but the server may have been working on the snooze when the answer was lost, and may still push it (looked again after {} ms)",
                    self.snooze.settle_after.as_millis()
                )),
                Err(look) => unreadable(look),
            }
        })
    }

    fn action(&self) -> String {
        format!(
            "snoozing task {} by {}",
            self.snooze.task_id, self.snooze.snooze
        )
    }

    fn look(&self) -> String {
        let before = match self.before {
            Some(Some(at)) => format!("it was {at}"),
            Some(None) => "it had none".to_owned(),
            None => "compare it with the instant asked for".to_owned(),
        };
        let (account, task) = (self.snooze.tasks.account_id, self.snooze.task_id);
        format!(
            "read the task's due_at ({before}) to see whether it moved (Client::tasks({account}).get({task}), or `voxys tasks get {task}`)"
        )
    }
}
