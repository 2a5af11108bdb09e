//! Creates, exactly once: how a create whose answer was lost is settled by
//! looking for the record it would have made.
//!
//! A create (a lead, a note, a company) makes a new record each time it is
//! sent, and the API has no idempotency key. So the pipeline never sends a
//! create again after an attempt that may have reached the application;
//! [`LookForTheRecord`] settles it instead:
//! - it lists the records that could be the one (the newest leads, the
//!   lead's notes, the companies found by the name sent);
//! - a record **matches** when it was made after the failed attempt began
//!   (by its `created_at`, less [`CLOCK_ALLOWANCE`] for the two clocks'
//!   difference), every member sent has the value sent, no other call of
//!   this client has already claimed it (a create's answer, or another
//!   settle), and no other create of this client still waiting for its
//!   answer would match it too;
//! - one match is what the attempt made: it is the answer, and is claimed;
//! - no match, when the application itself answered the failure (its own
//!   500, with a request id: it is done with the request), proves it was not
//!   made: the 500 stands;
//! - no match otherwise: the server may still be working on it, so it looks
//!   once more after the call's settle wait; still nothing, or more than one
//!   match, and the call ends with
//!   [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which says what
//!   to look for.
//!
//! See [`CLOCK_ALLOWANCE`] for when it can be fooled.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use voxys_connect_api::Timestamp;

use crate::client::Client;
use crate::error::Result;
use crate::pipeline::{Failure, Settle, Settled};

/// How a create whose answer was lost finds the record it made, and how much
/// the server's clock may lag this machine's.
///
/// Creates ([`CreateLead`](crate::leads::CreateLead),
/// [`CreateNote`](crate::leads::CreateNote),
/// [`CreateCompany`](crate::companies::CreateCompany)) are never sent again
/// after an attempt that may have been applied. The client looks for the
/// record instead (among the newest leads; the lead's notes; the companies
/// found by the name sent). A record **matches** when:
/// - it was made after the failed attempt began, by its `created_at`, less
///   this allowance for the two clocks' difference;
/// - every member the create sent has the value sent (currencies and domains
///   in any case; a lead's position is not compared, since the server
///   renumbers positions);
/// - no other create of this client was answered with it or settled on it,
///   and no other create of this client still waiting for its answer would
///   match it too (then it cannot tell whose it is, and says so).
///
/// One match is the answer. None, when the application itself answered the
/// failure (its own 500, with a request id: it is done with the request),
/// proves the create was not applied, and the 500 stands. Otherwise, after a
/// second look, and for more than one match, the call fails with
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown). A create that
/// sends nothing to tell its record by (a lead with no member) is not looked
/// for: its lost answer is reported unknown at once.
///
/// **When it can be fooled:** another program creating, in the same moment,
/// a record whose members include every member this create sent (one such
/// record is taken as this create's: send members that tell records apart,
/// such as a name); and a server clock more than this allowance behind this
/// machine's (the record is not seen: the call ends unknown, or after the
/// application's own 500 the 500 stands while the record was made).
pub const CLOCK_ALLOWANCE: Duration = Duration::from_secs(10);

/// How many created ids a client remembers having been answered with or
/// having settled on (all kinds of record together), so that one record is
/// never the answer of two creates.
const REMEMBERED: usize = 65_536;

/// A record a create makes.
pub(crate) trait Record: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Its id.
    fn id(&self) -> i64;
    /// When it was made.
    fn created_at(&self) -> Timestamp;
}

/// The kind of record a create makes, for claims and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Kind {
    /// One (`lead`).
    pub(crate) one: &'static str,
    /// More than one (`leads`).
    pub(crate) many: &'static str,
}

/// Whether a record, as JSON, matches what a create in flight sent.
type JsonMatches = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// The records a client's creates were answered with or settled on, and the
/// creates still waiting for their answer: not to be taken as another
/// create's.
#[derive(Default)]
pub(crate) struct Claimed {
    ids: Mutex<ClaimedIds>,
    in_flight: Mutex<HashMap<u64, (Kind, JsonMatches)>>,
    next: AtomicU64,
    /// One lock per record that writes of this client must change one at a
    /// time (a task's relative snoozes).
    serial: Mutex<HashMap<(&'static str, i64), Arc<RecordLock>>>,
}

/// The lock of one record, for [`Claimed::one_at_a_time`].
type RecordLock = tokio::sync::Mutex<()>;

#[derive(Debug, Default)]
struct ClaimedIds {
    set: HashSet<(&'static str, i64)>,
    order: VecDeque<(&'static str, i64)>,
}

impl std::fmt::Debug for Claimed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claimed").finish_non_exhaustive()
    }
}

impl Claimed {
    /// Waits until no other write of this client holds the record `id` of
    /// `kind`, and holds it until the guard is dropped.
    pub(crate) async fn one_at_a_time(
        &self,
        kind: &'static str,
        id: i64,
    ) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = match self.serial.lock() {
            Ok(mut locks) => {
                // Forget the locks no one holds or waits for.
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
                Arc::clone(locks.entry((kind, id)).or_default())
            }
            Err(_) => Arc::default(),
        };
        lock.lock_owned().await
    }

    /// Claims the record `id` of `kind`; false when it was claimed already.
    fn claim(&self, kind: Kind, id: i64) -> bool {
        let Ok(mut ids) = self.ids.lock() else {
            return true;
        };
        if !ids.set.insert((kind.one, id)) {
            return false;
        }
        ids.order.push_back((kind.one, id));
        if ids.order.len() > REMEMBERED
            && let Some(old) = ids.order.pop_front()
        {
            ids.set.remove(&old);
        }
        true
    }

    /// Whether the record `id` of `kind` is claimed.
    fn is_claimed(&self, kind: Kind, id: i64) -> bool {
        self.ids
            .lock()
            .map(|ids| ids.set.contains(&(kind.one, id)))
            .unwrap_or(false)
    }

    /// Whether a create in flight other than `token` would match `record`.
    fn another_would_match(&self, kind: Kind, token: u64, record: &Value) -> bool {
        let Ok(in_flight) = self.in_flight.lock() else {
            return true;
        };
        in_flight
            .iter()
            .any(|(t, (k, matches))| *t != token && *k == kind && matches(record))
    }
}

/// A create in flight, until dropped (after its answer is claimed).
pub(crate) struct InFlight {
    claimed: Arc<Claimed>,
    token: u64,
    kind: Kind,
}

impl InFlight {
    /// Claims the record a create was answered with. Should a settle of
    /// another create have taken it already (the two creates sent the same
    /// members, and that one's answer was lost), that one was given this
    /// one's record: it says so, loudly.
    pub(crate) fn claim_answer(&self, id: i64) {
        if !self.claimed.claim(self.kind, id) {
            tracing::warn!(
                kind = self.kind.one,
                id,
                "this create's record was already taken as the answer of another create of this client whose answer was lost: that one may not have made a record"
            );
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.claimed.in_flight.lock() {
            in_flight.remove(&self.token);
        }
    }
}

/// Lists the records that could be the one a create made, made at or after
/// the given time (a source may return older ones too).
pub(crate) type Candidates<R> =
    Box<dyn Fn(Timestamp) -> BoxFuture<'static, Result<Vec<R>>> + Send + Sync>;

/// Whether a record has every member the create sent.
pub(crate) type Matches<R> = Arc<dyn Fn(&R) -> bool + Send + Sync>;

/// How a create whose answer was lost is settled; see the module docs.
pub(crate) struct LookForTheRecord<R> {
    kind: Kind,
    action: String,
    look: String,
    /// Whether the create sends a member that tells its record from others;
    /// when not, a lost answer is not looked for.
    identifying: bool,
    candidates: Candidates<R>,
    matches: Matches<R>,
    settle_after: Duration,
    claimed: Arc<Claimed>,
    token: u64,
}

/// What a create is, for [`LookForTheRecord::new`].
pub(crate) struct Create<R> {
    /// The kind of record.
    pub(crate) kind: Kind,
    /// What the create does, in words (`creating lead "Acme"`).
    pub(crate) action: String,
    /// Where to look before creating again, in words.
    pub(crate) look: String,
    /// Whether it sends a member that tells its record from others.
    pub(crate) identifying: bool,
    /// Where its record would be.
    pub(crate) candidates: Candidates<R>,
    /// Whether a record has every member it sent.
    pub(crate) matches: Matches<R>,
    /// How long to wait before looking a second time.
    pub(crate) settle_after: Duration,
}

impl<R: Record> LookForTheRecord<R> {
    /// The settle rule of `create`, and its place among the client's
    /// creates in flight (keep it until the answer is claimed).
    pub(crate) fn new(client: &Client, create: Create<R>) -> (Arc<Self>, InFlight) {
        let claimed = Arc::clone(client.claimed());
        let token = claimed.next.fetch_add(1, Ordering::Relaxed);
        let typed = Arc::clone(&create.matches);
        let json: JsonMatches = Arc::new(move |value: &Value| {
            serde_json::from_value::<R>(value.clone()).is_ok_and(|record| typed(&record))
        });
        if let Ok(mut in_flight) = claimed.in_flight.lock() {
            in_flight.insert(token, (create.kind, json));
        }
        let in_flight = InFlight {
            claimed: Arc::clone(&claimed),
            token,
            kind: create.kind,
        };
        let rule = LookForTheRecord {
            kind: create.kind,
            action: create.action,
            look: create.look,
            identifying: create.identifying,
            candidates: create.candidates,
            matches: create.matches,
            settle_after: create.settle_after,
            claimed,
            token,
        };
        (Arc::new(rule), in_flight)
    }
}

/// Whether two instants are the same to the second: the server may keep
/// fewer digits than were sent (Rails stores microseconds, or seconds).
pub(crate) fn same_instant(a: Timestamp, b: Timestamp) -> bool {
    (a.as_datetime() - b.as_datetime()).num_milliseconds().abs() < 1000
}

/// Whether a text member a create sent (when it sent one) is the one held,
/// in any case: the server may change the case of codes and colors.
pub(crate) fn sent_any_case(sent: Option<&str>, held: Option<&str>) -> bool {
    sent.is_none_or(|sent| held.is_some_and(|held| sent.eq_ignore_ascii_case(held)))
}

/// `began`, less [`CLOCK_ALLOWANCE`], as a timestamp.
pub(crate) fn window_start(began: SystemTime) -> Timestamp {
    let began = chrono::DateTime::<chrono::Utc>::from(began);
    let allowance =
        chrono::Duration::from_std(CLOCK_ALLOWANCE).unwrap_or_else(|_| chrono::Duration::zero());
    Timestamp::new(began - allowance)
}

enum Found<R> {
    None,
    One(R),
    /// The one match would match another create of this client still in
    /// flight.
    Shared,
    Many(usize),
}

impl<R: Record> LookForTheRecord<R> {
    async fn look_once(&self, since: Timestamp) -> Result<Found<R>> {
        let mut seen = BTreeSet::new();
        let mut found: Vec<R> = (self.candidates)(since)
            .await?
            .into_iter()
            // Offset pages of a list that grows can show a record twice.
            .filter(|r| seen.insert(r.id()))
            .filter(|r| r.created_at() >= since)
            .filter(|r| !self.claimed.is_claimed(self.kind, r.id()))
            .filter(|r| (self.matches)(r))
            .collect();
        Ok(match found.len() {
            0 => Found::None,
            1 => {
                let record = found.remove(0);
                let json = serde_json::to_value(&record).unwrap_or(Value::Null);
                if self
                    .claimed
                    .another_would_match(self.kind, self.token, &json)
                {
                    Found::Shared
                } else {
                    Found::One(record)
                }
            }
            n => Found::Many(n),
        })
    }

    fn found(&self, record: R) -> Settled {
        if !self.claimed.claim(self.kind, record.id()) {
            return Settled::Unknown(format!(
                "the only matching {} ({}) was claimed by another create of this client meanwhile",
                self.kind.one,
                record.id()
            ));
        }
        Settled::found(&record, self.kind.one)
    }

    fn unclear(&self, found: Found<R>) -> Option<String> {
        match found {
            Found::Many(n) => Some(format!(
                "{n} new {} match what was sent: another program, or another create of this client, made one like it at the same time",
                self.kind.many
            )),
            Found::Shared => Some(format!(
                "a new {} matches what was sent, but so does another create of this client still waiting for its answer: it cannot tell whose it is",
                self.kind.one
            )),
            _ => None,
        }
    }
}

impl<R: Record> Settle for LookForTheRecord<R> {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            if !self.identifying {
                return Settled::Unknown(format!(
                    "it sent no member to tell its {} from another, so it cannot be looked for",
                    self.kind.one
                ));
            }
            let since = window_start(failure.began);
            match self.look_once(since).await {
                Ok(Found::One(record)) => return self.found(record),
                Ok(Found::None) if failure.answered_by_the_application() => {
                    return Settled::Absent;
                }
                Ok(Found::None) => {}
                Ok(other) => return Settled::Unknown(self.unclear(other).unwrap_or_default()),
                Err(look) => {
                    return Settled::Unknown(format!("looking for it failed too: {look}"));
                }
            }
            tokio::time::sleep(self.settle_after).await;
            match self.look_once(since).await {
                Ok(Found::One(record)) => self.found(record),
                Ok(Found::None) => Settled::Unknown(format!(
                    "no new {} matching what was sent appeared, but the server may have been working on it when the answer was lost, and may still make it (looked again after {} ms)",
                    self.kind.one,
                    self.settle_after.as_millis()
                )),
                Ok(other) => Settled::Unknown(self.unclear(other).unwrap_or_default()),
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
