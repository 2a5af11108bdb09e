//! [`Store`]: the data a server serves, and the writes that change it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;

use crate::data::{Account, Card, Dataset, MockLead};
use crate::listing::AccountIndex;
use crate::respond::Refusal;

/// The data a server serves, what makes listing it fast, and the clock that
/// stamps its changes.
pub(crate) struct Store {
    pub(crate) dataset: Dataset,
    indexes: BTreeMap<i64, AccountIndex>,
    /// The mock's own clock: one second later for each change, from a fixed
    /// instant after all generated data, so that the same requests give the
    /// same answers, `updated_at` moves on, and sorting by it shows it.
    clock: DateTime<Utc>,
    next_card_id: i64,
    /// Every write applied, in order.
    pub(crate) journal: Vec<AppliedWrite>,
}

/// A write the server applied, as its journal keeps it: what tests read to
/// know what reached the data, independently of what the client reports
/// (see [`MockServer::applied_writes`](crate::MockServer::applied_writes)).
/// Writes refused (404, 422) or stopped by a fault before applying are not
/// in it; a write applied and then answered with a fault is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedWrite {
    /// The operation: `update_lead_status`, `bulk_lead_action` or
    /// `convert_lead`.
    pub operation: &'static str,
    /// The account written to.
    pub account_id: i64,
    /// The lead ids the request named, in its order (for a bulk action,
    /// those that do not exist too).
    pub lead_ids: Vec<i64>,
    /// How many leads (or cards, for a conversion) it changed or made.
    pub affected: u64,
    /// The mock's clock when it applied.
    pub at: DateTime<Utc>,
}

/// What a status change does to the notes.
pub(crate) enum Notes {
    Keep,
    Clear,
    Set(String),
}

/// A bulk action, as the mock reads a checked request body.
pub(crate) enum BulkAction {
    Assign(i64),
    SetStatus(String),
    Delete,
}

impl Store {
    pub(crate) fn new(dataset: Dataset) -> Store {
        let indexes = dataset
            .accounts
            .values()
            .map(|a| (a.id, AccountIndex::new(a)))
            .collect();
        let next_card_id = dataset
            .accounts
            .values()
            .flat_map(|a| a.cards.iter().map(|c| c.id))
            .max()
            .unwrap_or(0)
            + 1;
        Store {
            dataset,
            indexes,
            // 2025-03-01: after every generated lead and card.
            clock: Utc
                .with_ymd_and_hms(2025, 3, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            next_card_id,
            journal: Vec::new(),
        }
    }

    /// An account and its index.
    pub(crate) fn account(&self, id: i64) -> Option<(&Account, &AccountIndex)> {
        Some((self.dataset.account(id)?, self.indexes.get(&id)?))
    }

    /// The next instant of the clock.
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::seconds(1);
        self.clock
    }

    /// Runs `change` on an account, then makes its index anew (the orders
    /// and the rendered leads may no longer hold).
    /// The write is journaled when it succeeds, with how many leads
    /// `affected` says it changed.
    fn change<T>(
        &mut self,
        account_id: i64,
        journal: (&'static str, &[i64]),
        affected: impl FnOnce(&T) -> u64,
        change: impl FnOnce(&mut Account, DateTime<Utc>, &mut i64) -> Result<T, Refusal>,
    ) -> Result<T, Refusal> {
        let now = self.tick();
        let account = self
            .dataset
            .accounts
            .get_mut(&account_id)
            .ok_or(Refusal::NotFound)?;
        let result = change(account, now, &mut self.next_card_id);
        if let Ok(value) = &result {
            let (operation, lead_ids) = journal;
            self.journal.push(AppliedWrite {
                operation,
                account_id,
                lead_ids: lead_ids.to_vec(),
                affected: affected(value),
                at: now,
            });
        }
        self.indexes.insert(
            account_id,
            AccountIndex::new(&self.dataset.accounts[&account_id]),
        );
        result
    }

    /// Sets a lead's status and notes; the lead as the API answers it.
    pub(crate) fn update_status(
        &mut self,
        account_id: i64,
        lead_id: i64,
        status: &str,
        notes: Notes,
    ) -> Result<Value, Refusal> {
        self.change(
            account_id,
            ("update_lead_status", &[lead_id]),
            |_| 1,
            |account, now, _| {
                let lead = lead_mut(account, lead_id).ok_or(Refusal::NotFound)?;
                lead.status = status.to_owned();
                match notes {
                    Notes::Keep => {}
                    Notes::Clear => lead.notes = None,
                    Notes::Set(text) => lead.notes = Some(text),
                }
                lead.updated_at = now;
                Ok(lead.to_json())
            },
        )
    }

    /// Applies a bulk action; how many of the leads it changed (those that
    /// exist: `update_all` counts the rows it matched).
    pub(crate) fn bulk(
        &mut self,
        account_id: i64,
        lead_ids: &[i64],
        action: BulkAction,
    ) -> Result<u64, Refusal> {
        self.change(
            account_id,
            ("bulk_lead_action", lead_ids),
            |n| *n,
            |account, now, _| {
                let wanted: BTreeSet<i64> = lead_ids.iter().copied().collect();
                match action {
                    BulkAction::Delete => {
                        let before = account.leads.len();
                        account.leads.retain(|l| !wanted.contains(&l.id));
                        // Cards go with their leads.
                        account.cards.retain(|c| !wanted.contains(&c.lead_id));
                        Ok((before - account.leads.len()) as u64)
                    }
                    BulkAction::Assign(agent_id) => {
                        let agent = account
                            .agents
                            .iter()
                            .find(|a| a.id == agent_id)
                            .cloned()
                            .ok_or_else(|| {
                                Refusal::invalid(
                                    "assigned_agent_id",
                                    format!(
                                        "Assigned agent {agent_id} is not an agent of this account"
                                    ),
                                )
                            })?;
                        Ok(for_each_lead(account, &wanted, |lead| {
                            lead.assigned_agent = Some(agent.clone());
                            lead.updated_at = now;
                        }))
                    }
                    BulkAction::SetStatus(status) => Ok(for_each_lead(account, &wanted, |lead| {
                        lead.status = status.clone();
                        lead.updated_at = now;
                    })),
                }
            },
        )
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
        self.change(
            account_id,
            ("convert_lead", &[lead_id]),
            |_| 1,
            |account, now, next_card_id| {
                if account.lead(lead_id).is_none() {
                    return Err(Refusal::NotFound);
                }
                let funnel = account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
                let stage_id = match stage {
                    Some(id) if funnel.stages.iter().any(|s| s.id == id) => id,
                    Some(id) => {
                        return Err(Refusal::invalid(
                            "funnel_stage_id",
                            format!("Funnel stage {id} is not a stage of funnel {funnel_id}"),
                        ));
                    }
                    None => funnel.stages.first().map(|s| s.id).ok_or_else(|| {
                        Refusal::invalid("funnel_id", format!("Funnel {funnel_id} has no stages"))
                    })?,
                };
                let position = account
                    .cards
                    .iter()
                    .filter(|c| c.funnel_stage_id == Some(stage_id))
                    .count() as i64
                    + 1;
                let card = Card {
                    id: *next_card_id,
                    funnel_id,
                    funnel_stage_id: Some(stage_id),
                    lead_id,
                    position: Some(position),
                    created_at: now,
                    updated_at: now,
                };
                *next_card_id += 1;
                let json = account.card_json(&card).unwrap_or(Value::Null);
                account.cards.push(card);
                Ok(json)
            },
        )
    }
}

fn lead_mut(account: &mut Account, id: i64) -> Option<&mut MockLead> {
    let index = account.leads.binary_search_by_key(&id, |l| l.id).ok()?;
    account.leads.get_mut(index)
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
