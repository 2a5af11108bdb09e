//! Creates, exactly once: how a create whose answer was lost is settled by
//! looking for the record it would have made.
//!
//! A create (a lead, a note, a company) makes a new record each time it is
//! sent, and the API has no idempotency key. So the pipeline never sends a
//! create again after an attempt that may have reached the application;
//! [`LookForTheRecord`] settles it instead:
//! - it lists the records that could be the one (the newest leads, the
//!   lead's notes, the companies found by the name sent);
//! - a record **matches** when it was made after the request began (by its
//!   `created_at`, less [`CLOCK_ALLOWANCE`] for the two clocks' difference),
//!   every member sent has the value sent, and no other call of this client
//!   has already claimed it (a create's answer, or another settle);
//! - one match is what the attempt made: it is the answer, and is claimed;
//! - no match, when the application itself answered the failure (a 5xx with
//!   a request id: it is done with the request), proves it was not made: the
//!   create goes again;
//! - no match otherwise: the server may still be working on it, so it looks
//!   once more after the call's settle wait; still nothing, or more than one
//!   match, and the call ends with
//!   [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which says what
//!   to look for.
//!
//! **When it can be fooled.** Another program creating a record with the same
//! members in the same moment looks like ours (two matches are reported as
//! unknown; one is taken as ours). A server clock more than
//! [`CLOCK_ALLOWANCE`] behind this machine's hides the record: the call ends
//! unknown, or, after an application's 5xx, creates it again.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::Serialize;
use voxys_connect_api::Timestamp;

use crate::error::Result;
use crate::pipeline::{Failure, Settle, Settled};

/// How a create whose answer was lost finds the record it made, and how much
/// the server's clock may lag this machine's.
///
/// Creates ([`CreateLead`](crate::leads::CreateLead),
/// [`CreateNote`](crate::leads::CreateNote),
/// [`CreateCompany`](crate::companies::CreateCompany)) are never sent again
/// after an attempt that may have been applied. The client looks for the
/// record instead (the newest leads; the lead's notes; the companies found by
/// the name sent). A record **matches** when:
/// - it was made after the request began, by its `created_at`, less this
///   allowance for the two clocks' difference;
/// - every member the create sent has the value sent;
/// - no other create of this client was answered with it or settled on it.
///
/// One match is the answer. None, when the application itself answered the
/// failure (a 5xx with a request id), proves the create was not applied, and
/// it is sent again. Otherwise, and for more than one match, the call fails
/// with [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown).
///
/// **When it can be fooled:** another program creating a record with the
/// same members in the same moment (one such record is taken as this
/// create's); two identical creates of this client in flight at once, one of
/// them lost (send identical records one after the other); a server clock
/// more than this allowance behind this machine's (the record is not seen:
/// the call ends unknown, or after an application's 5xx creates again).
pub const CLOCK_ALLOWANCE: Duration = Duration::from_secs(10);

/// How many created ids a client remembers having been answered or having
/// settled, per kind of record, so that one record is never the answer of
/// two creates.
const REMEMBERED: usize = 65_536;

/// A record a create makes.
pub(crate) trait Record: Serialize + Send + Sync + 'static {
    /// Its id.
    fn id(&self) -> i64;
    /// When it was made.
    fn created_at(&self) -> Timestamp;
}

/// The ids of the records a client's creates were answered with, or
/// settled on, by kind (`lead`, `note`, `company`): not to be taken as
/// another create's.
#[derive(Debug, Default)]
pub(crate) struct Claimed {
    ids: Mutex<ClaimedIds>,
}

#[derive(Debug, Default)]
struct ClaimedIds {
    set: HashSet<(&'static str, i64)>,
    order: VecDeque<(&'static str, i64)>,
}

impl Claimed {
    /// Claims the record `id` of `kind`; false when it was claimed already.
    pub(crate) fn claim(&self, kind: &'static str, id: i64) -> bool {
        let Ok(mut ids) = self.ids.lock() else {
            return true;
        };
        if !ids.set.insert((kind, id)) {
            return false;
        }
        ids.order.push_back((kind, id));
        if ids.order.len() > REMEMBERED
            && let Some(old) = ids.order.pop_front()
        {
            ids.set.remove(&old);
        }
        true
    }

    /// Whether the record `id` of `kind` is claimed.
    fn is_claimed(&self, kind: &'static str, id: i64) -> bool {
        self.ids
            .lock()
            .map(|ids| ids.set.contains(&(kind, id)))
            .unwrap_or(false)
    }
}

/// Lists the records that could be the one a create made, made at or after
/// the given time (a source may return older ones too).
pub(crate) type Candidates<R> =
    Box<dyn Fn(Timestamp) -> BoxFuture<'static, Result<Vec<R>>> + Send + Sync>;

/// Whether a record has every member the create sent.
pub(crate) type Matches<R> = Box<dyn Fn(&R) -> bool + Send + Sync>;

/// How a create whose answer was lost is settled; see the module docs.
pub(crate) struct LookForTheRecord<R> {
    /// The kind of record, for claims and messages (`lead`).
    pub(crate) kind: &'static str,
    /// What the create does, in words.
    pub(crate) action: String,
    /// Where to look before creating again, in words.
    pub(crate) look: String,
    /// When the request began, less [`CLOCK_ALLOWANCE`].
    pub(crate) since: Timestamp,
    pub(crate) candidates: Candidates<R>,
    pub(crate) matches: Matches<R>,
    /// How long to wait before looking a second time.
    pub(crate) settle_after: Duration,
    /// The client's claimed ids.
    pub(crate) claimed: std::sync::Arc<Claimed>,
}

/// The time a create's request begins, less [`CLOCK_ALLOWANCE`].
pub(crate) fn window_start() -> Timestamp {
    let allowance =
        chrono::Duration::from_std(CLOCK_ALLOWANCE).unwrap_or_else(|_| chrono::Duration::zero());
    Timestamp::new(chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()) - allowance)
}

enum Found<R> {
    None,
    One(R),
    Many(usize),
}

impl<R: Record> LookForTheRecord<R> {
    async fn look_once(&self) -> Result<Found<R>> {
        let mut found: Vec<R> = (self.candidates)(self.since)
            .await?
            .into_iter()
            .filter(|r| r.created_at() >= self.since)
            .filter(|r| !self.claimed.is_claimed(self.kind, r.id()))
            .filter(|r| (self.matches)(r))
            .collect();
        Ok(match found.len() {
            0 => Found::None,
            1 => Found::One(found.remove(0)),
            n => Found::Many(n),
        })
    }

    fn found(&self, record: R) -> Settled {
        if !self.claimed.claim(self.kind, record.id()) {
            return Settled::Unknown(format!(
                "the only matching {} ({}) was claimed by another call of this client meanwhile",
                self.kind,
                record.id()
            ));
        }
        match serde_json::to_vec(&record) {
            Ok(body) => Settled::Found(body),
            Err(e) => {
                Settled::Unknown(format!("the {} found could not be encoded: {e}", self.kind))
            }
        }
    }

    fn many(&self, n: usize) -> String {
        format!(
            "{n} new {}s match what was sent: another program made one like it at the same time",
            self.kind
        )
    }
}

impl<R: Record> Settle for LookForTheRecord<R> {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            match self.look_once().await {
                Ok(Found::One(record)) => return self.found(record),
                Ok(Found::None) if failure.answered_by_the_application() => {
                    return Settled::Absent;
                }
                Ok(Found::None) => {}
                Ok(Found::Many(n)) => return Settled::Unknown(self.many(n)),
                Err(look) => {
                    return Settled::Unknown(format!("looking for it failed too: {look}"));
                }
            }
            tokio::time::sleep(self.settle_after).await;
            match self.look_once().await {
                Ok(Found::One(record)) => self.found(record),
                Ok(Found::None) => Settled::Unknown(format!(
                    "no new {} matching what was sent appeared, but the server may have been working on it when the answer was lost, and may still make it (looked again after {} ms)",
                    self.kind,
                    self.settle_after.as_millis()
                )),
                Ok(Found::Many(n)) => Settled::Unknown(self.many(n)),
                Err(look) => Settled::Unknown(format!("looking for it failed too: {look}")),
            }
        })
    }

    fn action(&self) -> String {
        self.action.clone()
    }

    fn look(&self) -> String {
        self.look.clone()
    }
}
