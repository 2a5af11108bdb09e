//! BulkLeadAction actions at any size: [`BulkLeadAction`], run in batches, and what they did.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::stream::{self, BoxStream, StreamExt};
use voxys_connect_api::LeadStatus;
use voxys_connect_api::types::BulkAction;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::Call;

/// The default [`BulkLeadAction::batch_size`]: 100 ids a request. The API documents no
/// maximum; 100 is the most leads a list page holds (a page you just read is
/// one batch), keeps each request small (about a kilobyte), and bounds what
/// one failed request leaves undone.
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// The largest [`BulkLeadAction::batch_size`] the client accepts.
pub const MAX_BATCH_SIZE: usize = 1_000;

/// The default [`BulkLeadAction::concurrency`]: 2 batches at once, gentle on the server
/// (writes cost it more than reads); raise it for large jobs.
pub const DEFAULT_BULK_CONCURRENCY: usize = 2;

/// What a bulk request does to each lead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BulkActionKind {
    /// Assign the leads to the agent with this user id.
    Assign {
        /// The agent's user id.
        agent_id: i64,
    },
    /// Set the leads' status.
    SetStatus {
        /// The status.
        status: LeadStatus,
    },
    /// Delete the leads.
    Delete,
}

impl BulkActionKind {
    /// The API's name of the action (`assign`, `status_change`, `delete`).
    pub fn as_str(&self) -> &'static str {
        match self {
            BulkActionKind::Assign { .. } => "assign",
            BulkActionKind::SetStatus { .. } => "status_change",
            BulkActionKind::Delete => "delete",
        }
    }

    fn body(&self, ids: Vec<i64>) -> BulkAction {
        match self {
            BulkActionKind::Assign { agent_id } => BulkAction::assign(ids, *agent_id),
            BulkActionKind::SetStatus { status } => BulkAction::status_change(ids, status.clone()),
            BulkActionKind::Delete => BulkAction::delete(ids),
        }
    }
}

/// A bulk action on any number of leads (`POST
/// /api/v1/accounts/{account_id}/leads/bulk`, once per batch); made by
/// [`Leads::bulk_assign`](crate::leads::Leads::bulk_assign),
/// [`Leads::bulk_set_status`](crate::leads::Leads::bulk_set_status) and
/// [`Leads::bulk_delete`](crate::leads::Leads::bulk_delete).
///
/// The ids lose their duplicates (the first of each stays), are cut into
/// batches of [`batch_size`](BulkLeadAction::batch_size), and the batches run
/// [`concurrency`](BulkLeadAction::concurrency) at a time. A batch that fails for good
/// does not stop the others: the [`BulkOutcome`] says, for each, what it did
/// or why it failed, so that a caller can run again with exactly the ids not
/// done ([`BulkOutcome::not_done`]).
///
/// **Repeating a batch**: assigning and setting a status give the same result
/// when repeated, and deleting again deletes nothing more; so failed batches
/// are retried like reads. A deletion retried after an attempt that may have
/// applied counts only what the last attempt found: the batch says so
/// ([`BatchDone::earlier_attempt_may_have_applied`]), and `affected` is then
/// a lower bound.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let outcome = client.leads(1).bulk_assign([11, 12, 13, 12], 5).send().await?;
/// println!("{outcome}");
/// if !outcome.is_complete() {
///     let rest = outcome.not_done();
///     eprintln!("{} leads were not assigned: {rest:?}", rest.len());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct BulkLeadAction {
    client: Client,
    account_id: i64,
    action: BulkActionKind,
    ids: Vec<i64>,
    batch_size: usize,
    concurrency: usize,
}

const OPERATION: &str = "bulk_lead_action";

impl BulkLeadAction {
    pub(crate) fn new(
        client: Client,
        account_id: i64,
        action: BulkActionKind,
        ids: Vec<i64>,
    ) -> BulkLeadAction {
        BulkLeadAction {
            client,
            account_id,
            action,
            ids,
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_BULK_CONCURRENCY,
        }
    }

    /// Ids a request, 1 to [`MAX_BATCH_SIZE`] (default
    /// [`DEFAULT_BATCH_SIZE`]).
    pub fn batch_size(mut self, ids_per_request: usize) -> BulkLeadAction {
        self.batch_size = ids_per_request;
        self
    }

    /// Batches sent at once, 1 to [`MAX_REQUESTS_IN_FLIGHT`](super::MAX_REQUESTS_IN_FLIGHT) (default
    /// [`DEFAULT_BULK_CONCURRENCY`]).
    pub fn concurrency(mut self, batches_in_flight: usize) -> BulkLeadAction {
        self.concurrency = batches_in_flight;
        self
    }

    /// Runs every batch; what each did. An `Err` means nothing was sent (the
    /// request is invalid); failed batches are in the outcome.
    pub async fn send(self) -> Result<BulkOutcome> {
        Ok(self.start()?.finish().await)
    }

    /// Starts the batches, to follow them as they complete
    /// ([`BulkRun::next`]) and to stop sending new ones ([`BulkRun::stop`]).
    /// An `Err` means nothing was sent.
    pub fn start(self) -> Result<BulkRun> {
        let (batches, duplicates) = self.batches()?;
        let requested = batches.iter().map(Vec::len).sum();
        let batches = Arc::new(batches);
        let stopped = Arc::new(AtomicBool::new(false));
        let concurrency = self.concurrency;
        let runner = Arc::new(self);
        let stop = stopped.clone();
        let to_run = batches.clone();
        let stream = stream::iter(0..batches.len())
            .take_while(move |_| {
                let go = !stop.load(Ordering::SeqCst);
                async move { go }
            })
            .map(move |index| {
                let runner = runner.clone();
                let ids = to_run[index].clone();
                async move { runner.run_batch(index, ids).await }
            })
            .buffer_unordered(concurrency)
            .boxed();
        Ok(BulkRun {
            stream,
            stopped,
            batches,
            requested,
            duplicates,
            done: Vec::new(),
        })
    }

    /// What would be sent, without sending it (a dry run): each batch's ids
    /// and the JSON body its request carries, in order. An `Err` when the
    /// request is invalid.
    pub fn plan(&self) -> Result<Vec<(Vec<i64>, serde_json::Value)>> {
        let (batches, _) = self.batches()?;
        Ok(batches
            .into_iter()
            .map(|ids| {
                let body = serde_json::to_value(self.action.body(ids.clone()))
                    .unwrap_or(serde_json::Value::Null);
                (ids, body)
            })
            .collect())
    }

    /// The batches, validated: the ids without repeats (the first of each
    /// kept), cut to the batch size; and how many repeats were dropped.
    fn batches(&self) -> Result<(Vec<Vec<i64>>, usize)> {
        self.validate()?;
        let mut seen = BTreeSet::new();
        let unique: Vec<i64> = self
            .ids
            .iter()
            .copied()
            .filter(|id| seen.insert(*id))
            .collect();
        let duplicates = self.ids.len() - unique.len();
        Ok((
            unique
                .chunks(self.batch_size)
                .map(<[i64]>::to_vec)
                .collect(),
            duplicates,
        ))
    }

    fn validate(&self) -> Result<()> {
        if self.ids.is_empty() {
            return Err(Error::InvalidParameter {
                name: "ids",
                value: "no ids".to_owned(),
                expected: "at least one lead id".to_owned(),
            });
        }
        if let Some(bad) = self.ids.iter().find(|id| **id < 1) {
            return Err(Error::InvalidParameter {
                name: "ids",
                value: bad.to_string(),
                expected: "lead ids, whole numbers from 1 up".to_owned(),
            });
        }
        crate::leads::positive_id("account_id", Some(self.account_id))?;
        if let BulkActionKind::Assign { agent_id } = self.action {
            crate::leads::positive_id("agent_id", Some(agent_id))?;
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(Error::InvalidParameter {
                name: "batch_size",
                value: self.batch_size.to_string(),
                expected: format!("a whole number from 1 to {MAX_BATCH_SIZE}"),
            });
        }
        crate::leads::requests_in_flight(self.concurrency)
    }

    /// One batch, through the pipeline.
    async fn run_batch(&self, index: usize, ids: Vec<i64>) -> BatchOutcome {
        let request = self
            .client
            .api()
            .bulk_lead_action()
            .account_id(self.account_id)
            .body(self.action.body(ids.clone()))
            .send();
        let called = self.client.send(OPERATION, Call::default(), request).await;
        let result = match called {
            Ok(called) if !called.value.success => Err(Error::NotApplied {
                operation: OPERATION,
                request_id: None,
            }),
            Ok(called) => Ok(BatchDone {
                affected: u64::try_from(called.value.affected_count).unwrap_or(0),
                attempts: called.notes.attempts,
                earlier_attempt_may_have_applied: called.notes.earlier_may_have_applied,
            }),
            Err(error) => Err(error),
        };
        BatchOutcome { index, ids, result }
    }
}

/// BulkLeadAction batches under way: yields each batch's outcome as it completes, and
/// can stop sending new batches while those in flight finish.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let mut run = client.leads(1).bulk_delete(1..=10_000).concurrency(4).start()?;
/// let stop = run.stop_handle();
/// tokio::spawn(async move {
///     tokio::signal::ctrl_c().await.ok();
///     stop.stop(); // no new batches; those in flight finish
/// });
/// while let Some(batch) = run.next().await {
///     eprintln!("batch {}: {} ids", batch.index, batch.ids.len());
/// }
/// let outcome = run.finish().await;
/// println!("{outcome}");
/// # Ok(())
/// # }
/// ```
pub struct BulkRun {
    stream: BoxStream<'static, BatchOutcome>,
    stopped: Arc<AtomicBool>,
    batches: Arc<Vec<Vec<i64>>>,
    requested: usize,
    duplicates: usize,
    done: Vec<BatchOutcome>,
}

impl fmt::Debug for BulkRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkRun")
            .field("requested", &self.requested)
            .field("batches", &self.batches.len())
            .field("done", &self.done.len())
            .finish_non_exhaustive()
    }
}

/// Stops a [`BulkRun`] from sending new batches; cheap to clone, and `Send`.
#[derive(Clone, Debug)]
pub struct BulkStop(Arc<AtomicBool>);

impl BulkStop {
    /// No batch starts after this; those in flight finish.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl BulkRun {
    /// The next batch to complete, or `None` when every batch is done (or,
    /// after a stop, every batch in flight).
    pub async fn next(&mut self) -> Option<&BatchOutcome> {
        let outcome = self.stream.next().await?;
        self.done.push(outcome);
        self.done.last()
    }

    /// A handle that stops the run from sending new batches.
    pub fn stop_handle(&self) -> BulkStop {
        BulkStop(self.stopped.clone())
    }

    /// Stops sending new batches; those in flight finish.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// How many distinct ids were asked for.
    pub fn requested(&self) -> usize {
        self.requested
    }

    /// How many batches there are in all.
    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }

    /// Waits for the batches still to complete (only those in flight, after
    /// a stop), and says what the whole run did.
    pub async fn finish(mut self) -> BulkOutcome {
        while self.next().await.is_some() {}
        let mut batches = self.done;
        batches.sort_by_key(|b| b.index);
        let ran: BTreeSet<usize> = batches.iter().map(|b| b.index).collect();
        let not_sent = (0..self.batches.len())
            .filter(|i| !ran.contains(i))
            .flat_map(|i| self.batches[i].iter().copied())
            .collect();
        BulkOutcome {
            requested: self.requested,
            duplicates: self.duplicates,
            batches,
            not_sent,
        }
    }
}

/// What one batch did.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// The batch's place among all, from 0.
    pub index: usize,
    /// Its ids.
    pub ids: Vec<i64>,
    /// What it did, or why it failed (after the retries).
    pub result: Result<BatchDone>,
}

/// A batch the API applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchDone {
    /// How many of its leads the API says it changed (`affected_count`):
    /// fewer than its ids when some do not exist (any more).
    pub affected: u64,
    /// How many attempts it took.
    pub attempts: u32,
    /// Whether an attempt before the last failed in a way that leaves it
    /// unknown whether it was applied. The state is right either way; for a
    /// deletion, `affected` then counts only what the last attempt found.
    pub earlier_attempt_may_have_applied: bool,
}

/// What a bulk run did, batch by batch.
#[derive(Debug)]
#[non_exhaustive]
pub struct BulkOutcome {
    /// How many distinct ids were asked for.
    pub requested: usize,
    /// How many ids were dropped as repeats of another.
    pub duplicates: usize,
    /// Every batch that ran, in order.
    pub batches: Vec<BatchOutcome>,
    /// The ids of the batches that were not sent (the run was stopped).
    pub not_sent: Vec<i64>,
}

impl BulkOutcome {
    /// How many leads the API says the batches changed, in all.
    pub fn affected(&self) -> u64 {
        self.batches
            .iter()
            .filter_map(|b| b.result.as_ref().ok())
            .map(|d| d.affected)
            .sum()
    }

    /// The ids of the batches the API applied.
    pub fn done(&self) -> Vec<i64> {
        self.batches
            .iter()
            .filter(|b| b.result.is_ok())
            .flat_map(|b| b.ids.iter().copied())
            .collect()
    }

    /// The batches that failed for good: their ids and why.
    pub fn failed(&self) -> impl Iterator<Item = (&[i64], &Error)> {
        self.batches.iter().filter_map(|b| match &b.result {
            Err(error) => Some((b.ids.as_slice(), error)),
            Ok(_) => None,
        })
    }

    /// Every id not done: those of failed batches, then those not sent. Run
    /// the action again with these to complete it.
    pub fn not_done(&self) -> Vec<i64> {
        self.failed()
            .flat_map(|(ids, _)| ids.iter().copied())
            .chain(self.not_sent.iter().copied())
            .collect()
    }

    /// Whether every batch was sent and applied.
    pub fn is_complete(&self) -> bool {
        self.not_sent.is_empty() && self.batches.iter().all(|b| b.result.is_ok())
    }

    /// Whether a batch retried after an attempt that may have applied may
    /// have changed more than it counts: the API counts what each request
    /// changed, so the retry does not count what the earlier attempt did
    /// (deleted, assigned, or set to the status already). For every kind of
    /// bulk action.
    pub fn counts_may_be_low(&self) -> bool {
        self.batches
            .iter()
            .filter_map(|b| b.result.as_ref().ok())
            .any(|d| d.earlier_attempt_may_have_applied)
    }
}

impl fmt::Display for BulkOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed: usize = self.failed().map(|(ids, _)| ids.len()).sum();
        let done = self.requested - failed - self.not_sent.len();
        let batches = self.batches.iter().filter(|b| b.result.is_ok()).count();
        write!(
            f,
            "{} ids requested, {done} done in {batches} batch{}, {} changed ({} not: not found), {failed} failed, {} not sent",
            self.requested,
            if batches == 1 { "" } else { "es" },
            self.affected(),
            (done as u64).saturating_sub(self.affected()),
            self.not_sent.len()
        )?;
        if self.counts_may_be_low() {
            f.write_str(" (a batch was retried after an attempt that may have applied: the count of changes may be low)")?;
        }
        Ok(())
    }
}
