//! [`Store`]: the data a server serves, the clock that stamps its changes,
//! the ids it gives new records, and the journal of the writes it applied.
//!
//! Every write goes through [`Store::change`], which stamps it, runs it on
//! one account, journals it when it succeeds and makes the account's lead
//! index anew. The writes themselves live by section: the Leads writes
//! that predate the others here, creating, updating and deleting leads and
//! notes in [`crate::leads`], the Companies section in
//! [`crate::companies`], Pipelines in [`crate::pipelines`], Follow-up
//! Tasks in [`crate::tasks`], Conversation CRM in
//! [`crate::conversations`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;

use crate::data::{Account, Agent, Dataset, MockLead};
use crate::listing::AccountIndex;
use crate::pipelines::drop_cards;
use crate::records::TimelineEvent;
use crate::respond::Refusal;

/// The data a server serves, what makes listing it fast, the clock that
/// stamps its changes and the next id of each kind of record.
pub(crate) struct Store {
    pub(crate) dataset: Dataset,
    indexes: BTreeMap<i64, AccountIndex>,
    clock: Clock,
    ids: Ids,
    /// Every write applied, in order.
    pub(crate) journal: Vec<AppliedWrite>,
}

/// A write the server applied, as its journal keeps it: what tests read to
/// know what reached the data, independently of what the client reports
/// (see [`MockServer::applied_writes`](crate::MockServer::applied_writes)).
/// Writes refused (404, 422) or stopped by a fault before applying are not
/// in it; a write applied and then answered with a fault is.
///
/// What each operation puts in it (members not named are empty):
///
/// | `operation` | `lead_ids` | `company_ids` | other ids | `created_id` | `name` | `affected` |
/// |---|---|---|---|---|---|---|
/// | `update_lead_status` | the lead | | | | | 1 |
/// | `bulk_lead_action` | the ids sent, in order (unknown ones too) | | | | | leads changed |
/// | `convert_lead` | the lead | | `funnel_ids`, `stage_ids`, `card_ids`: the funnel, the stage and the card | the card | | 1 |
/// | `create_lead` | the new lead | its company, if any | | the new lead | its `custom_name` | 1 |
/// | `update_lead` | the lead | its company before, then after (when they differ) | | | its `custom_name` after | 1 |
/// | `delete_lead` | the lead | its company, if any | `note_ids`: its notes, deleted with it | | its `custom_name` | 1 |
/// | `create_lead_note` | the lead | | `note_ids`: the note | the note | its `content` | 1 |
/// | `create_company` | | the new company | | the new company | its `name` | 1 |
/// | `update_company` | | the company | | | its `name` after | 1 |
/// | `delete_company` | its leads (now in no company) | the company | `contact_ids`: its contacts (now in none) | | its `name` | 1 |
/// | `merge_companies` | the source's leads, moved | the source, then the target | `contact_ids`: the source's contacts, moved | | the target's `name` | 1 |
/// | `add_company_contact` | | the company, then the one the contact left (if any) | `contact_ids`: the contact | | the contact's `name` | 1, or 0 when it was in the company already |
/// | `remove_company_contact` | | the company | `contact_ids`: the contact | | the contact's `name` | 1 |
/// | `create_funnel` | | | `funnel_ids`: the new funnel | the funnel | its `name` | 1 |
/// | `update_funnel` | | | `funnel_ids`: the funnel | | its `name` after | 1 |
/// | `delete_funnel` | its cards' leads (which stay) | | `funnel_ids`: the funnel; `stage_ids`: its stages; `card_ids`: its cards, deleted with it | | its `name` | 1 |
/// | `create_funnel_stage` | | | `funnel_ids`; `stage_ids`: the new stage | the stage | its `name` | 1 |
/// | `update_funnel_stage` | | | `funnel_ids`; `stage_ids`: the stage | | its `name` after | 1 |
/// | `delete_funnel_stage` | | | `funnel_ids`; `stage_ids`: the stage | | its `name` | 1 |
/// | `reorder_funnel_stages` | | | `funnel_ids`; `stage_ids`: in the new order | | | 1 |
/// | `create_funnel_card` | its lead (made by this write when no `lead_id` was sent: no `create_lead` entry) | | `funnel_ids`; `stage_ids`: its stage; `card_ids`: the card | the card | its lead's `custom_name` | 1 |
/// | `update_funnel_card` | its lead | | `funnel_ids`; `stage_ids`: its stage, then the new one (when it moved); `card_ids` | | its lead's `custom_name` after | 1 |
/// | `delete_funnel_card` | its lead (which stays) | | `funnel_ids`; `stage_ids`: its stage; `card_ids` | | | 1 |
/// | `move_funnel_card` | its lead | | `funnel_ids`; `stage_ids`: the stage left, then the stage reached (one when it stayed); `card_ids` | | | 1, or 0 when it was there already |
/// | `create_task` | | | `task_ids`: the new task; `due_at_after`: its `due_at` | the task | its `title` | 1 |
/// | `update_task` | | | `task_ids`; `due_at_before`, `due_at_after` | | its `title` after | 1 |
/// | `delete_task` | | | `task_ids`; `due_at_before`: its `due_at` | | its `title` | 1 |
/// | `complete_task` | | | `task_ids`; `due_at_before` and `due_at_after`: its `due_at` | | its `title` | 1, or 0 when it was completed already |
/// | `snooze_task` | | | `task_ids`; `due_at_before`, `due_at_after` | | its `title` | 1 |
/// | `link_conversation_card` | the card's lead | | `conversation_id`; `funnel_ids`: the card's; `card_ids`: the card | | | 1, or 0 when it was linked already |
/// | `unlink_conversation_card` | | | `conversation_id`; `card_ids`: the card unlinked (which stays) | | | 1 |
/// | `link_conversation_lead` | the lead | | `conversation_id` | | the lead's `custom_name` | 1, or 0 when it was linked already |
/// | `convert_conversation` | the card's lead (made by this write when the conversation had none and no `lead_id` was sent) | | `conversation_id`; `funnel_ids`; `stage_ids`: its stage; `card_ids`: the card | the card | the lead's `custom_name` | 1 |
///
/// So "exactly one lead made per create request" is one `create_lead`
/// entry per request, its `created_id` the lead's id; "the merge applied
/// once" is one `merge_companies` entry with `company_ids == [source,
/// target]`; "a snooze by a duration applied twice" is two `snooze_task`
/// entries whose `due_at_after` is later than their `due_at_before`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedWrite {
    /// The operation's id in the document, such as `create_lead` or
    /// `merge_companies`.
    pub operation: &'static str,
    /// The account written to.
    pub account_id: i64,
    /// The lead ids the request named or the write made, moved or changed
    /// (see the table above; for a bulk action, those that do not exist
    /// too, in the request's order).
    pub lead_ids: Vec<i64>,
    /// How many records it changed or made: the leads a bulk action
    /// changed; 1 for the others (0 for a contact added to the company it
    /// was in already).
    pub affected: u64,
    /// The mock's clock when it applied: the `created_at` of what it made,
    /// the `updated_at` of what it changed.
    pub at: DateTime<Utc>,
    /// The company ids the write named, made, changed or deleted (the
    /// source first, then the target, for a merge).
    pub company_ids: Vec<i64>,
    /// The contacts it put in a company or took out of one.
    pub contact_ids: Vec<i64>,
    /// The notes it made or deleted.
    pub note_ids: Vec<i64>,
    /// The id of the record a create made (lead, note, company, funnel,
    /// stage, card, task) or of the card a conversion made.
    pub created_id: Option<i64>,
    /// What names the record written, as its members say: a lead's
    /// `custom_name`, a company's `name`, a note's `content`, a contact's
    /// `name`, a funnel's, a stage's `name`, a task's `title`.
    pub name: Option<String>,
    /// The funnels it made, changed or deleted, or whose stages or cards
    /// it wrote.
    pub funnel_ids: Vec<i64>,
    /// The stages it made, changed, deleted, or moved a card between (the
    /// stage left first, then the stage reached).
    pub stage_ids: Vec<i64>,
    /// The cards it made, changed, moved, deleted or linked.
    pub card_ids: Vec<i64>,
    /// The follow-up tasks it made, changed or deleted.
    pub task_ids: Vec<i64>,
    /// The conversation whose CRM panel it wrote.
    pub conversation_id: Option<i64>,
    /// For the writes of a task (`snooze_task` first of all): the task's
    /// `due_at` before the write; `None` when it had none, for a create,
    /// and for other operations.
    pub due_at_before: Option<DateTime<Utc>>,
    /// For the writes of a task: its `due_at` after the write (`None` for
    /// a delete). Two snoozes by a duration have `due_at_after >
    /// due_at_before` each; two to the same instant the same
    /// `due_at_after`.
    pub due_at_after: Option<DateTime<Utc>>,
}

/// What a write reports to the journal besides its operation, account and
/// instant (see [`AppliedWrite`]).
#[derive(Debug, Default)]
pub(crate) struct Entry {
    pub(crate) lead_ids: Vec<i64>,
    pub(crate) company_ids: Vec<i64>,
    pub(crate) contact_ids: Vec<i64>,
    pub(crate) note_ids: Vec<i64>,
    pub(crate) created_id: Option<i64>,
    pub(crate) name: Option<String>,
    pub(crate) affected: u64,
    pub(crate) funnel_ids: Vec<i64>,
    pub(crate) stage_ids: Vec<i64>,
    pub(crate) card_ids: Vec<i64>,
    pub(crate) task_ids: Vec<i64>,
    pub(crate) conversation_id: Option<i64>,
    pub(crate) due_at_before: Option<DateTime<Utc>>,
    pub(crate) due_at_after: Option<DateTime<Utc>>,
}

impl Entry {
    /// An entry that changed one record.
    pub(crate) fn one() -> Entry {
        Entry {
            affected: 1,
            ..Entry::default()
        }
    }
}

/// What a request does to a nullable member: left out, it keeps its
/// value; `null` clears it; a value sets it. (Read from the raw JSON: an
/// `Option` could not tell the first two apart.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// The change `body` asks for `member`, its value read by `read`.
    pub(crate) fn of(
        body: &Value,
        member: &str,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Change<T> {
        match body.get(member) {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(value) => read(value).map_or(Change::Keep, Change::Set),
        }
    }

    /// Applies the change to `value`.
    pub(crate) fn apply(self, value: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Clear => *value = None,
            Change::Set(new) => *value = Some(new),
        }
    }

    /// The value of a new record: the one given, else none.
    pub(crate) fn given(self) -> Option<T> {
        match self {
            Change::Set(value) => Some(value),
            Change::Keep | Change::Clear => None,
        }
    }
}

/// A bulk action, as the mock reads a checked request body.
pub(crate) enum BulkAction {
    Assign(i64),
    SetStatus(String),
    Delete,
}

/// The mock's clock: the real time, in whole milliseconds as Rails sends
/// them (rounded up, so that a write's instant is never before the moment
/// it was applied: a client on the same machine that noted the time before
/// sending finds the record made at or after it), and never less than one
/// millisecond after its last reading, so that every write gets an instant
/// of its own, later than the last one's and later than all generated
/// data, even on a machine whose clock is behind. It skips instants on a
/// whole second, whose milliseconds would not show in the JSON (`…:01Z`
/// instead of `…:01.000Z`): every instant a write stamps prints with its
/// milliseconds.
struct Clock {
    last: DateTime<Utc>,
}

impl Clock {
    fn tick(&mut self) -> DateTime<Utc> {
        let wall = DateTime::<Utc>::from(std::time::SystemTime::now());
        let millis =
            wall.timestamp_millis() + i64::from(wall.timestamp_subsec_nanos() % 1_000_000 != 0);
        let wall = DateTime::from_timestamp_millis(millis).unwrap_or(wall);
        let mut next = wall.max(self.last + Duration::milliseconds(1));
        if next.timestamp_subsec_millis() == 0 {
            next += Duration::milliseconds(1);
        }
        self.last = next;
        next
    }
}

/// The next id of each kind of record. Ids are shared by the accounts (as
/// a database's are), grow, and are never given twice, even after the
/// record with the largest is deleted.
pub(crate) struct Ids {
    lead: i64,
    note: i64,
    company: i64,
    event: i64,
    card: i64,
    funnel: i64,
    stage: i64,
    card_event: i64,
    task: i64,
}

impl Ids {
    fn of(dataset: &Dataset) -> Ids {
        let next = |ids: &mut dyn Iterator<Item = i64>| ids.max().unwrap_or(0) + 1;
        let accounts = || dataset.accounts.values();
        Ids {
            lead: next(&mut accounts().flat_map(|a| a.leads.iter().map(|l| l.id))),
            note: next(&mut accounts().flat_map(|a| a.notes.iter().map(|n| n.id))),
            company: next(&mut accounts().flat_map(|a| a.companies.iter().map(|c| c.id))),
            event: next(&mut accounts().flat_map(|a| a.timeline.iter().map(|e| e.id))),
            card: next(&mut accounts().flat_map(|a| a.cards.iter().map(|c| c.id))),
            funnel: next(&mut accounts().flat_map(|a| a.funnels.iter().map(|f| f.id))),
            stage: next(
                &mut accounts()
                    .flat_map(|a| a.funnels.iter().flat_map(|f| f.stages.iter().map(|s| s.id))),
            ),
            card_event: next(&mut accounts().flat_map(|a| a.card_events.iter().map(|e| e.id))),
            task: next(&mut accounts().flat_map(|a| a.tasks.iter().map(|t| t.id))),
        }
    }

    fn take(counter: &mut i64) -> i64 {
        let id = *counter;
        *counter += 1;
        id
    }

    pub(crate) fn lead(&mut self) -> i64 {
        Ids::take(&mut self.lead)
    }

    pub(crate) fn note(&mut self) -> i64 {
        Ids::take(&mut self.note)
    }

    pub(crate) fn company(&mut self) -> i64 {
        Ids::take(&mut self.company)
    }

    pub(crate) fn card(&mut self) -> i64 {
        Ids::take(&mut self.card)
    }

    pub(crate) fn funnel(&mut self) -> i64 {
        Ids::take(&mut self.funnel)
    }

    pub(crate) fn stage(&mut self) -> i64 {
        Ids::take(&mut self.stage)
    }

    pub(crate) fn card_event(&mut self) -> i64 {
        Ids::take(&mut self.card_event)
    }

    pub(crate) fn task(&mut self) -> i64 {
        Ids::take(&mut self.task)
    }
}

/// A write under way: the account it changes, its instant, the ids to
/// give, and the user who makes it (the token's).
pub(crate) struct Write<'a> {
    pub(crate) account: &'a mut Account,
    pub(crate) now: DateTime<Utc>,
    pub(crate) ids: &'a mut Ids,
    pub(crate) user: &'a Agent,
}

impl Write<'_> {
    /// Writes an event on a company's timeline, by the user, now.
    pub(crate) fn event(&mut self, company_id: i64, event_type: &str, description: String) {
        let id = Ids::take(&mut self.ids.event);
        self.account.timeline.push(TimelineEvent {
            id,
            company_id,
            event_type: event_type.to_owned(),
            description: Some(description),
            actor: Some(self.user.clone()),
            occurred_at: self.now,
        });
    }

    /// The lead with this id, to change.
    pub(crate) fn lead_mut(&mut self, id: i64) -> Option<&mut MockLead> {
        let index = self
            .account
            .leads
            .binary_search_by_key(&id, |l| l.id)
            .ok()?;
        self.account.leads.get_mut(index)
    }
}

impl Store {
    pub(crate) fn new(dataset: Dataset) -> Store {
        let indexes = dataset
            .accounts
            .values()
            .map(|a| (a.id, AccountIndex::new(a)))
            .collect();
        let ids = Ids::of(&dataset);
        Store {
            dataset,
            indexes,
            // 2025-03-01: after every generated record.
            clock: Clock {
                last: Utc
                    .with_ymd_and_hms(2025, 3, 1, 0, 0, 0)
                    .single()
                    .unwrap_or_default(),
            },
            ids,
            journal: Vec::new(),
        }
    }

    /// An account and its index.
    pub(crate) fn account(&self, id: i64) -> Option<(&Account, &AccountIndex)> {
        Some((self.dataset.account(id)?, self.indexes.get(&id)?))
    }

    /// Runs `change` on an account, at the clock's next instant, then makes
    /// its index anew (the orders and the rendered leads may no longer
    /// hold). When it succeeds, the write is journaled with the [`Entry`]
    /// it gives.
    pub(crate) fn change<T>(
        &mut self,
        account_id: i64,
        operation: &'static str,
        change: impl FnOnce(&mut Write<'_>) -> Result<(T, Entry), Refusal>,
    ) -> Result<T, Refusal> {
        let now = self.clock.tick();
        let Dataset { accounts, user, .. } = &mut self.dataset;
        let account = accounts.get_mut(&account_id).ok_or(Refusal::NotFound)?;
        let mut write = Write {
            account,
            now,
            ids: &mut self.ids,
            user,
        };
        let result = change(&mut write);
        self.indexes
            .insert(account_id, AccountIndex::new(write.account));
        let (value, entry) = result?;
        self.journal.push(AppliedWrite {
            operation,
            account_id,
            lead_ids: entry.lead_ids,
            affected: entry.affected,
            at: now,
            company_ids: entry.company_ids,
            contact_ids: entry.contact_ids,
            note_ids: entry.note_ids,
            created_id: entry.created_id,
            name: entry.name,
            funnel_ids: entry.funnel_ids,
            stage_ids: entry.stage_ids,
            card_ids: entry.card_ids,
            task_ids: entry.task_ids,
            conversation_id: entry.conversation_id,
            due_at_before: entry.due_at_before,
            due_at_after: entry.due_at_after,
        });
        Ok(value)
    }

    /// Sets a lead's status and notes; the lead as the API answers it.
    pub(crate) fn update_status(
        &mut self,
        account_id: i64,
        lead_id: i64,
        status: &str,
        notes: Change<String>,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_lead_status", |write| {
            let now = write.now;
            let lead = write.lead_mut(lead_id).ok_or(Refusal::NotFound)?;
            lead.status = status.to_owned();
            notes.apply(&mut lead.notes);
            lead.updated_at = now;
            let entry = Entry {
                lead_ids: vec![lead_id],
                ..Entry::one()
            };
            Ok((lead.to_json(), entry))
        })
    }

    /// Applies a bulk action; how many of the leads it changed (those that
    /// exist: `update_all` counts the rows it matched).
    pub(crate) fn bulk(
        &mut self,
        account_id: i64,
        lead_ids: &[i64],
        action: BulkAction,
    ) -> Result<u64, Refusal> {
        self.change(account_id, "bulk_lead_action", |write| {
            let (account, now) = (&mut *write.account, write.now);
            let wanted: BTreeSet<i64> = lead_ids.iter().copied().collect();
            let affected = match action {
                BulkAction::Delete => {
                    let before = account.leads.len();
                    account.leads.retain(|l| !wanted.contains(&l.id));
                    // Cards and notes go with their leads.
                    drop_cards(account, |c| wanted.contains(&c.lead_id));
                    account.notes.retain(|n| !wanted.contains(&n.lead_id));
                    (before - account.leads.len()) as u64
                }
                BulkAction::Assign(agent_id) => {
                    let agent = account.agent(agent_id).cloned().ok_or_else(|| {
                        Refusal::invalid(
                            "assigned_agent_id",
                            format!("Assigned agent {agent_id} is not an agent of this account"),
                        )
                    })?;
                    for_each_lead(account, &wanted, |lead| {
                        lead.assigned_agent = Some(agent.clone());
                        lead.updated_at = now;
                    })
                }
                BulkAction::SetStatus(status) => for_each_lead(account, &wanted, |lead| {
                    lead.status = status.clone();
                    lead.updated_at = now;
                }),
            };
            let entry = Entry {
                lead_ids: lead_ids.to_vec(),
                affected,
                ..Entry::default()
            };
            Ok((affected, entry))
        })
    }

    /// Makes a card of a lead in a funnel, in `stage` or the first stage;
    /// the card as the API answers it. Converting a lead again makes another
    /// card, as a server without idempotency does.
    pub(crate) fn convert(
        &mut self,
        account_id: i64,
        lead_id: i64,
        funnel_id: i64,
        stage: Option<i64>,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "convert_lead", |write| {
            if write.account.lead(lead_id).is_none() {
                return Err(Refusal::NotFound);
            }
            let card = write.make_card(funnel_id, stage, "funnel_stage_id", lead_id, None)?;
            let json = write.account.card_json(&card).unwrap_or(Value::Null);
            let entry = Entry {
                lead_ids: vec![lead_id],
                created_id: Some(card.id),
                funnel_ids: vec![funnel_id],
                stage_ids: card.funnel_stage_id.into_iter().collect(),
                card_ids: vec![card.id],
                ..Entry::one()
            };
            Ok((json, entry))
        })
    }
}

/// Runs `f` on each lead of `ids` the account has; how many.
fn for_each_lead(
    account: &mut Account,
    ids: &BTreeSet<i64>,
    mut f: impl FnMut(&mut MockLead),
) -> u64 {
    let mut count = 0;
    for lead in account.leads.iter_mut().filter(|l| ids.contains(&l.id)) {
        f(lead);
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_moves_on_by_a_millisecond_at_least_and_shows_milliseconds() {
        let mut clock = Clock {
            // Far in the future: the wall clock is behind it.
            last: Utc.with_ymd_and_hms(2999, 1, 1, 0, 0, 0).single().unwrap()
                - Duration::milliseconds(2),
        };
        let instants: Vec<DateTime<Utc>> = (0..5).map(|_| clock.tick()).collect();
        for pair in instants.windows(2) {
            assert!(pair[1] > pair[0], "{pair:?}");
        }
        assert!(instants.iter().all(|at| at.timestamp_subsec_millis() != 0));
        assert!(
            instants
                .iter()
                .all(|at| at.timestamp_subsec_nanos() % 1_000_000 == 0)
        );
        assert_eq!(
            crate::data::timestamp_json(instants[1]),
            "2999-01-01T00:00:00.001Z",
            "the whole second is skipped, and milliseconds show"
        );

        let mut real = Clock {
            last: Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single().unwrap(),
        };
        let wall = || DateTime::<Utc>::from(std::time::SystemTime::now());
        let before = wall();
        let at = real.tick();
        assert!(at >= before && at <= wall() + Duration::milliseconds(2));
    }

    #[test]
    fn a_change_reads_each_state_of_a_member() {
        let body = serde_json::json!({"a": "x", "b": null});
        let read = |v: &Value| v.as_str().map(str::to_owned);
        assert_eq!(Change::of(&body, "a", read), Change::Set("x".to_owned()));
        assert_eq!(Change::of(&body, "b", read), Change::Clear);
        assert_eq!(Change::of(&body, "c", read), Change::Keep);
        let mut value = Some("old".to_owned());
        Change::Keep.apply(&mut value);
        assert_eq!(value.as_deref(), Some("old"));
        Change::Clear.apply(&mut value);
        assert_eq!(value, None);
    }
}
