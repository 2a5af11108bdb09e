//! The Pipelines section: funnels, their stages and cards, as the API
//! shows them (counts and totals computed from the cards and their leads
//! when asked, never kept apart), and the writes on the [`Store`] that make,
//! change, order, move and delete them, each journaled, cards' with their
//! history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::data::{Account, Agent, Card, Funnel, Stage, amount_json, timestamp_json};
use crate::leads::LeadInput;
use crate::records::CardEvent;
use crate::respond::Refusal;
use crate::store::{Change, Entry, Store, Write};

/// Adds `value` to `sum`, exactly (saturating at the largest decimal).
fn add(sum: &mut Decimal, value: Option<Decimal>) {
    if let Some(value) = value {
        *sum = sum.checked_add(value).unwrap_or(Decimal::MAX);
    }
}

/// `part` in percent of `whole`, 0 when `whole` is 0 (not rounded).
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64 * 100.0
    }
}

/// A percentage as a JSON number.
fn rate_json(rate: f64) -> Value {
    serde_json::Number::from_f64(rate).map_or(Value::from(0), Value::Number)
}

/// The order of the funnels (`position`, `null` last, then id) or of the
/// cards of a stage.
fn by_position(position: Option<i64>, id: i64) -> (bool, i64, i64) {
    (position.is_none(), position.unwrap_or(0), id)
}

impl Account {
    /// The account's funnels as `list_funnels` lists them: by position
    /// (`null` last), then id.
    pub fn funnels_in_order(&self) -> Vec<&Funnel> {
        let mut funnels: Vec<&Funnel> = self.funnels.iter().collect();
        funnels.sort_by_key(|f| by_position(f.position, f.id));
        funnels
    }

    /// A funnel as the API sends it (`Funnel`), `stages_count` counted now.
    pub fn funnel_json(&self, funnel: &Funnel) -> Value {
        json!({
            "id": funnel.id,
            "name": funnel.name,
            "description": funnel.description,
            "color": funnel.color,
            "position": funnel.position,
            "is_public": funnel.is_public,
            "is_active": funnel.is_active,
            "stages_count": funnel.stages.len(),
            "created_at": timestamp_json(funnel.created_at),
            "updated_at": timestamp_json(funnel.updated_at),
        })
    }

    /// A stage as the API sends it (`Stage`), `cards_count` counted now.
    pub fn stage_json(&self, stage: &Stage) -> Value {
        let cards = self
            .cards
            .iter()
            .filter(|c| c.funnel_stage_id == Some(stage.id))
            .count();
        json!({
            "id": stage.id,
            "funnel_id": stage.funnel_id,
            "name": stage.name,
            "color": stage.color,
            "position": stage.position,
            "chatwoot_status": stage.chatwoot_status,
            "cards_count": cards,
            "created_at": timestamp_json(stage.created_at),
            "updated_at": timestamp_json(stage.updated_at),
        })
    }

    /// The cards of a funnel as `list_funnel_cards` lists them: by the
    /// order of their stages (cards in no stage last), then position, then
    /// id.
    pub fn funnel_cards(&self, funnel_id: i64) -> Vec<&Card> {
        let stage_order = |id: Option<i64>| {
            self.funnel(funnel_id)
                .and_then(|f| f.stages.iter().position(|s| Some(s.id) == id))
                .unwrap_or(usize::MAX)
        };
        let mut cards: Vec<&Card> = self
            .cards
            .iter()
            .filter(|c| c.funnel_id == funnel_id)
            .collect();
        cards.sort_by_key(|c| {
            (
                stage_order(c.funnel_stage_id),
                by_position(c.position, c.id),
            )
        });
        cards
    }

    /// A funnel's totals as `funnel_stats` answers them (`FunnelStats`),
    /// computed from its cards and their leads now: every card, the won
    /// and lost ones (by their lead's status), the values of all and of the
    /// won (sums of the leads' `lead_value`, exact, across currencies as
    /// they are), and the won cards in percent of all (0 with none; not
    /// rounded). `None` for a funnel the account does not have.
    pub fn funnel_stats(&self, funnel_id: i64) -> Option<Value> {
        self.funnel(funnel_id)?;
        let (mut total, mut won, mut lost) = (0u64, 0u64, 0u64);
        let (mut total_value, mut won_value) = (Decimal::ZERO, Decimal::ZERO);
        for card in self.cards.iter().filter(|c| c.funnel_id == funnel_id) {
            let Some(lead) = self.lead(card.lead_id) else {
                continue;
            };
            total += 1;
            add(&mut total_value, lead.lead_value);
            match lead.status.as_str() {
                "won" => {
                    won += 1;
                    add(&mut won_value, lead.lead_value);
                }
                "lost" => lost += 1,
                _ => {}
            }
        }
        Some(json!({
            "total_cards": total,
            "total_value": amount_json(total_value),
            "won_cards": won,
            "won_value": amount_json(won_value),
            "lost_cards": lost,
            "conversion_rate": rate_json(percent(won, total)),
        }))
    }

    /// A funnel's analytics (`FunnelAnalytics`) over the cards made from
    /// `since` to `until` (inclusive, by the UTC date of their
    /// `created_at`), only those whose lead is assigned to `agent_id` when
    /// given. `by_agent` has an item for each agent of those cards' leads
    /// (in agent id order; cards whose lead is assigned to no one count in
    /// the totals only), `by_stage` one for each stage of the funnel, in
    /// order, with the cards made in the period that are in it now.
    pub(crate) fn funnel_analytics(
        &self,
        funnel: &Funnel,
        since: NaiveDate,
        until: NaiveDate,
        agent_id: Option<i64>,
    ) -> Value {
        struct ByAgent<'a> {
            agent: &'a Agent,
            created: u64,
            won: u64,
            value_won: Decimal,
        }
        let (mut created, mut won, mut lost) = (0u64, 0u64, 0u64);
        let (mut value_created, mut value_won) = (Decimal::ZERO, Decimal::ZERO);
        let mut by_agent: BTreeMap<i64, ByAgent<'_>> = BTreeMap::new();
        let mut by_stage: BTreeMap<i64, (u64, Decimal)> = BTreeMap::new();
        for card in self.cards.iter().filter(|c| c.funnel_id == funnel.id) {
            let day = card.created_at.date_naive();
            let Some(lead) = self.lead(card.lead_id) else {
                continue;
            };
            let agent = lead.assigned_agent.as_ref();
            if day < since
                || day > until
                || agent_id.is_some_and(|id| agent.is_none_or(|a| a.id != id))
            {
                continue;
            }
            let is_won = lead.status == "won";
            created += 1;
            add(&mut value_created, lead.lead_value);
            if is_won {
                won += 1;
                add(&mut value_won, lead.lead_value);
            } else if lead.status == "lost" {
                lost += 1;
            }
            if let Some(agent) = agent {
                let entry = by_agent.entry(agent.id).or_insert(ByAgent {
                    agent,
                    created: 0,
                    won: 0,
                    value_won: Decimal::ZERO,
                });
                entry.created += 1;
                if is_won {
                    entry.won += 1;
                    add(&mut entry.value_won, lead.lead_value);
                }
            }
            if let Some(stage) = card.funnel_stage_id {
                let entry = by_stage.entry(stage).or_insert((0, Decimal::ZERO));
                entry.0 += 1;
                add(&mut entry.1, lead.lead_value);
            }
        }
        let average = if won == 0 {
            Decimal::ZERO
        } else {
            (value_won / Decimal::from(won))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        };
        let by_agent: Vec<Value> = by_agent
            .values()
            .map(|a| {
                json!({
                    "agent": a.agent.to_json(),
                    "created": a.created,
                    "won": a.won,
                    "value_won": amount_json(a.value_won),
                })
            })
            .collect();
        let by_stage: Vec<Value> = funnel
            .stages
            .iter()
            .map(|s| {
                let (count, value) = by_stage.get(&s.id).copied().unwrap_or_default();
                json!({
                    "stage_id": s.id,
                    "stage_name": s.name,
                    "count": count,
                    "value": amount_json(value),
                })
            })
            .collect();
        json!({
            "period": {"since": since.to_string(), "until": until.to_string()},
            "total_created": created,
            "total_won": won,
            "total_lost": lost,
            "total_value_created": amount_json(value_created),
            "total_value_won": amount_json(value_won),
            "average_deal_size": amount_json(average),
            "conversion_rate": rate_json(percent(won, created)),
            "by_agent": by_agent,
            "by_stage": by_stage,
        })
    }
}

/// Deletes the cards `which` selects, with their histories.
pub(crate) fn drop_cards(account: &mut Account, which: impl Fn(&Card) -> bool) -> Vec<i64> {
    let gone: Vec<i64> = account
        .cards
        .iter()
        .filter(|c| which(c))
        .map(|c| c.id)
        .collect();
    if !gone.is_empty() {
        let set: BTreeSet<i64> = gone.iter().copied().collect();
        account.cards.retain(|c| !set.contains(&c.id));
        account.card_events.retain(|e| !set.contains(&e.card_id));
    }
    gone
}

/// A `FunnelCreate` or `FunnelUpdate` body, read.
pub(crate) struct FunnelInput {
    name: Option<String>,
    description: Change<String>,
    color: Change<String>,
    position: Change<i64>,
    is_public: Option<bool>,
    is_active: Option<bool>,
}

/// A name, unless blank (the routes refuse an empty one; this one is
/// spaces only).
fn not_blank(name: Option<&str>) -> Result<Option<String>, Refusal> {
    match name {
        Some(name) if name.trim().is_empty() => Err(Refusal::field("name", "can't be blank")),
        name => Ok(name.map(str::to_owned)),
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

impl FunnelInput {
    /// Reads a body the routes checked against the document.
    pub(crate) fn read(body: &Value) -> Result<FunnelInput, Refusal> {
        Ok(FunnelInput {
            name: not_blank(body.get("name").and_then(Value::as_str))?,
            description: Change::of(body, "description", text),
            color: Change::of(body, "color", text),
            position: Change::of(body, "position", Value::as_i64),
            is_public: body.get("is_public").and_then(Value::as_bool),
            is_active: body.get("is_active").and_then(Value::as_bool),
        })
    }
}

/// A `StageCreate` or `StageUpdate` body, read.
pub(crate) struct StageInput {
    name: Option<String>,
    color: Change<String>,
    position: Change<i64>,
    chatwoot_status: Change<String>,
}

impl StageInput {
    /// Reads a body the routes checked against the document.
    pub(crate) fn read(body: &Value) -> Result<StageInput, Refusal> {
        Ok(StageInput {
            name: not_blank(body.get("name").and_then(Value::as_str))?,
            color: Change::of(body, "color", text),
            position: Change::of(body, "position", Value::as_i64),
            chatwoot_status: Change::of(body, "chatwoot_status", text),
        })
    }
}

/// A `CardCreate` or `CardUpdate` body, read: the card's members, and its
/// lead's.
pub(crate) struct CardInput {
    funnel_stage_id: Change<i64>,
    lead_id: Change<i64>,
    position: Change<i64>,
    lead: LeadInput,
}

impl CardInput {
    /// Reads a body the routes checked against the document (`raw`: the
    /// body as sent, for the exact digits of `lead_value`).
    pub(crate) fn read(body: &Value, raw: &[u8]) -> Result<CardInput, Refusal> {
        Ok(CardInput {
            funnel_stage_id: Change::of(body, "funnel_stage_id", Value::as_i64),
            lead_id: Change::of(body, "lead_id", Value::as_i64),
            position: Change::of(body, "position", Value::as_i64),
            lead: LeadInput::of_card(body, raw)?,
        })
    }
}

/// The index to put something at, from a position (from 1) in a list of
/// `len` others: clamped to the list, last when none.
fn slot(position: Option<i64>, len: usize) -> usize {
    match position {
        Some(p) => usize::try_from(p.saturating_sub(1).max(0))
            .unwrap_or(usize::MAX)
            .min(len),
        None => len,
    }
}

/// Numbers a funnel's stages 1, 2, ... in their order; a stage whose
/// position changes has its `updated_at` moved on.
fn renumber_stages(funnel: &mut Funnel, now: DateTime<Utc>) {
    for (stage, position) in funnel.stages.iter_mut().zip(1..) {
        if stage.position != position {
            stage.position = position;
            stage.updated_at = now;
        }
    }
}

/// The funnel, to change.
fn funnel_mut<'a>(write: &'a mut Write<'_>, id: i64) -> Result<&'a mut Funnel, Refusal> {
    write
        .account
        .funnels
        .iter_mut()
        .find(|f| f.id == id)
        .ok_or(Refusal::NotFound)
}

/// The index of a card of the funnel `funnel_id` (404 when it is in
/// another, or does not exist).
fn card_index(account: &Account, funnel_id: i64, card_id: i64) -> Result<usize, Refusal> {
    account
        .cards
        .binary_search_by_key(&card_id, |c| c.id)
        .ok()
        .filter(|&i| account.cards[i].funnel_id == funnel_id)
        .ok_or(Refusal::NotFound)
}

impl Write<'_> {
    /// The name of a stage, if any.
    fn stage_name(&self, stage: Option<i64>) -> Option<String> {
        stage
            .and_then(|id| self.account.stage(id))
            .map(|s| s.name.clone())
    }

    /// Writes an event in a card's history, by the user, now.
    pub(crate) fn card_event(
        &mut self,
        card_id: i64,
        event_type: &str,
        description: String,
        from_stage: Option<String>,
        to_stage: Option<String>,
    ) {
        let id = self.ids.card_event();
        self.account.card_events.push(CardEvent {
            id,
            card_id,
            event_type: event_type.to_owned(),
            description: Some(description),
            from_stage,
            to_stage,
            actor: Some(self.user.clone()),
            occurred_at: self.now,
        });
    }

    /// The stage of the funnel a card goes in: `stage` if it is one of the
    /// funnel's (else 422 about `member`), or the funnel's first (422 when
    /// it has none). 404 for a funnel the account does not have.
    pub(crate) fn stage_for(
        &self,
        funnel_id: i64,
        stage: Option<i64>,
        member: &str,
    ) -> Result<i64, Refusal> {
        let funnel = self.account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
        match stage {
            Some(id) if funnel.stages.iter().any(|s| s.id == id) => Ok(id),
            Some(id) => Err(Refusal::invalid(
                member,
                format!("Funnel stage {id} is not a stage of funnel {funnel_id}"),
            )),
            None => funnel.stages.first().map(|s| s.id).ok_or_else(|| {
                Refusal::invalid("funnel_id", format!("Funnel {funnel_id} has no stages"))
            }),
        }
    }

    /// Puts a card in `stage` at `position` (from 1; last when `None`) and
    /// numbers the cards of that stage, and of the stage it left, 1, 2, ...
    /// (a card whose position changes has its `updated_at` moved on).
    pub(crate) fn place_card(&mut self, card_id: i64, stage: Option<i64>, position: Option<i64>) {
        let now = self.now;
        let cards = &mut self.account.cards;
        let Some(index) = cards.iter().position(|c| c.id == card_id) else {
            return;
        };
        let (funnel_id, left) = (cards[index].funnel_id, cards[index].funnel_stage_id);
        let group = |cards: &[Card], stage: Option<i64>| {
            let mut group: Vec<(Option<i64>, i64)> = cards
                .iter()
                .filter(|c| {
                    c.id != card_id && c.funnel_id == funnel_id && c.funnel_stage_id == stage
                })
                .map(|c| (c.position, c.id))
                .collect();
            group.sort_by_key(|(position, id)| by_position(*position, *id));
            group.into_iter().map(|(_, id)| id).collect::<Vec<i64>>()
        };
        let mut order = group(cards, stage);
        order.insert(slot(position, order.len()), card_id);
        let mut numbered: Vec<Vec<i64>> = vec![order];
        if left != stage {
            numbered.push(group(cards, left));
        }
        cards[index].funnel_stage_id = stage;
        for order in numbered {
            for (id, position) in order.into_iter().zip(1..) {
                if let Some(card) = cards.iter_mut().find(|c| c.id == id)
                    && card.position != Some(position)
                {
                    card.position = Some(position);
                    card.updated_at = now;
                }
            }
        }
    }

    /// Makes a card of the lead `lead_id` in the funnel, in `stage` or the
    /// funnel's first (see [`Write::stage_for`]), at `position` or last,
    /// with its `created` event. The card, as it is now in the account.
    pub(crate) fn make_card(
        &mut self,
        funnel_id: i64,
        stage: Option<i64>,
        stage_member: &str,
        lead_id: i64,
        position: Option<i64>,
    ) -> Result<Card, Refusal> {
        let stage_id = self.stage_for(funnel_id, stage, stage_member)?;
        let id = self.ids.card();
        self.account.cards.push(Card {
            id,
            funnel_id,
            funnel_stage_id: Some(stage_id),
            lead_id,
            position: None,
            created_at: self.now,
            updated_at: self.now,
        });
        self.place_card(id, Some(stage_id), position);
        let name = self.stage_name(Some(stage_id));
        let description = format!("Card created in {}.", name.as_deref().unwrap_or("no stage"));
        self.card_event(id, "created", description, None, name);
        self.account.card(id).cloned().ok_or(Refusal::NotFound)
    }

    /// Moves a card to `stage` (at `position`, or last), with a
    /// `stage_changed` event naming the stages. Nothing happens, and no
    /// event is written, when it is in that stage already and no other
    /// position is asked. Whether it changed.
    fn move_card(&mut self, card_id: i64, stage: Option<i64>, position: Option<i64>) -> bool {
        let Some(card) = self.account.card(card_id) else {
            return false;
        };
        let from = card.funnel_stage_id;
        if from == stage && position.is_none_or(|p| card.position == Some(p)) {
            return false;
        }
        self.place_card(card_id, stage, position);
        let now = self.now;
        if let Some(card) = self.account.cards.iter_mut().find(|c| c.id == card_id) {
            card.updated_at = now;
        }
        if from != stage {
            let (from, to) = (self.stage_name(from), self.stage_name(stage));
            let description = format!(
                "Card moved from {} to {}.",
                from.as_deref().unwrap_or("no stage"),
                to.as_deref().unwrap_or("no stage")
            );
            self.card_event(card_id, "stage_changed", description, from, to);
        }
        true
    }

    /// A card as the API answers it.
    fn card_json(&self, card_id: i64) -> Value {
        self.account
            .card(card_id)
            .and_then(|c| self.account.card_json(c))
            .unwrap_or(Value::Null)
    }
}

impl Store {
    /// Makes a funnel with no stages, last among the account's unless a
    /// `position` is given (the others keep theirs).
    pub(crate) fn create_funnel(
        &mut self,
        account_id: i64,
        input: FunnelInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_funnel", |write| {
            let name = input
                .name
                .ok_or_else(|| Refusal::Missing("name".to_owned()))?;
            let last = write
                .account
                .funnels
                .iter()
                .filter_map(|f| f.position)
                .max()
                .unwrap_or(0);
            let funnel = Funnel {
                id: write.ids.funnel(),
                name,
                description: input.description.given(),
                color: input.color.given(),
                position: Some(input.position.given().unwrap_or(last + 1)),
                is_public: input.is_public.unwrap_or(true),
                is_active: input.is_active.unwrap_or(true),
                stages: Vec::new(),
                created_at: write.now,
                updated_at: write.now,
            };
            let entry = Entry {
                funnel_ids: vec![funnel.id],
                created_id: Some(funnel.id),
                name: Some(funnel.name.clone()),
                ..Entry::one()
            };
            let json = write.account.funnel_json(&funnel);
            write.account.funnels.push(funnel);
            Ok((json, entry))
        })
    }

    /// Changes a funnel: the members sent, `null` clearing; `updated_at`
    /// moves on.
    pub(crate) fn update_funnel(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        input: FunnelInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_funnel", |write| {
            let now = write.now;
            let funnel = funnel_mut(write, funnel_id)?;
            if let Some(name) = input.name {
                funnel.name = name;
            }
            input.description.apply(&mut funnel.description);
            input.color.apply(&mut funnel.color);
            input.position.apply(&mut funnel.position);
            if let Some(is_public) = input.is_public {
                funnel.is_public = is_public;
            }
            if let Some(is_active) = input.is_active {
                funnel.is_active = is_active;
            }
            funnel.updated_at = now;
            let funnel = funnel.clone();
            let entry = Entry {
                funnel_ids: vec![funnel_id],
                name: Some(funnel.name.clone()),
                ..Entry::one()
            };
            Ok((write.account.funnel_json(&funnel), entry))
        })
    }

    /// Deletes a funnel with its stages and cards (and their histories);
    /// the cards' leads stay, and conversations linked to its cards are
    /// linked to none.
    pub(crate) fn delete_funnel(&mut self, account_id: i64, funnel_id: i64) -> Result<(), Refusal> {
        self.change(account_id, "delete_funnel", |write| {
            let account = &mut *write.account;
            let index = account
                .funnels
                .iter()
                .position(|f| f.id == funnel_id)
                .ok_or(Refusal::NotFound)?;
            let funnel = account.funnels.remove(index);
            let lead_ids = account
                .cards
                .iter()
                .filter(|c| c.funnel_id == funnel_id)
                .map(|c| c.lead_id)
                .collect();
            let card_ids = drop_cards(account, |c| c.funnel_id == funnel_id);
            let gone: BTreeSet<i64> = card_ids.iter().copied().collect();
            for conversation in &mut account.conversations {
                if conversation
                    .linked_card_id
                    .is_some_and(|c| gone.contains(&c))
                {
                    conversation.linked_card_id = None;
                }
            }
            let entry = Entry {
                lead_ids,
                funnel_ids: vec![funnel_id],
                stage_ids: funnel.stages.iter().map(|s| s.id).collect(),
                card_ids,
                name: Some(funnel.name),
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Adds a stage to a funnel, last or at `position` (the stages from
    /// there on move down one).
    pub(crate) fn create_stage(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        input: StageInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_funnel_stage", |write| {
            write.account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
            let name = input
                .name
                .ok_or_else(|| Refusal::Missing("name".to_owned()))?;
            let (now, id) = (write.now, write.ids.stage());
            let funnel = funnel_mut(write, funnel_id)?;
            let at = slot(input.position.given(), funnel.stages.len());
            funnel.stages.insert(
                at,
                Stage {
                    id,
                    funnel_id,
                    name,
                    color: input.color.given(),
                    position: 0,
                    chatwoot_status: input.chatwoot_status.given(),
                    created_at: now,
                    updated_at: now,
                },
            );
            renumber_stages(funnel, now);
            let stage = funnel.stages[at].clone();
            let entry = Entry {
                funnel_ids: vec![funnel_id],
                stage_ids: vec![id],
                created_id: Some(id),
                name: Some(stage.name.clone()),
                ..Entry::one()
            };
            Ok((write.account.stage_json(&stage), entry))
        })
    }

    /// Changes a stage: the members sent, `null` clearing (a `position`
    /// sent as `null` puts it last: a stage always has a place); the
    /// others move to make room.
    pub(crate) fn update_stage(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        stage_id: i64,
        input: StageInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_funnel_stage", |write| {
            let now = write.now;
            let funnel = funnel_mut(write, funnel_id)?;
            let index = funnel
                .stages
                .iter()
                .position(|s| s.id == stage_id)
                .ok_or(Refusal::NotFound)?;
            let mut stage = funnel.stages.remove(index);
            if let Some(name) = input.name {
                stage.name = name;
            }
            input.color.apply(&mut stage.color);
            input.chatwoot_status.apply(&mut stage.chatwoot_status);
            stage.updated_at = now;
            let at = match input.position {
                Change::Keep => index,
                Change::Clear => funnel.stages.len(),
                Change::Set(p) => slot(Some(p), funnel.stages.len()),
            };
            funnel.stages.insert(at, stage);
            renumber_stages(funnel, now);
            let stage = funnel.stages[at].clone();
            let entry = Entry {
                funnel_ids: vec![funnel_id],
                stage_ids: vec![stage_id],
                name: Some(stage.name.clone()),
                ..Entry::one()
            };
            Ok((write.account.stage_json(&stage), entry))
        })
    }

    /// Deletes an empty stage (the others are numbered again); a stage
    /// holding cards is refused, 422 in the reference's shape (`base`).
    pub(crate) fn delete_stage(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        stage_id: i64,
    ) -> Result<(), Refusal> {
        self.change(account_id, "delete_funnel_stage", |write| {
            let now = write.now;
            let holding = write
                .account
                .cards
                .iter()
                .filter(|c| c.funnel_stage_id == Some(stage_id))
                .count();
            let funnel = funnel_mut(write, funnel_id)?;
            let index = funnel
                .stages
                .iter()
                .position(|s| s.id == stage_id)
                .ok_or(Refusal::NotFound)?;
            if holding > 0 {
                return Err(Refusal::field(
                    "base",
                    format!("Cannot delete a stage that holds cards ({holding}): move them first"),
                ));
            }
            let stage = funnel.stages.remove(index);
            renumber_stages(funnel, now);
            let entry = Entry {
                funnel_ids: vec![funnel_id],
                stage_ids: vec![stage_id],
                name: Some(stage.name),
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Puts a funnel's stages in the order of `stage_ids`, which must be
    /// exactly its stage ids, each once (else 422 in the reference's
    /// shape, `stage_ids`); positions from 1. The stages, in order.
    pub(crate) fn reorder_stages(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        stage_ids: &[i64],
    ) -> Result<Value, Refusal> {
        self.change(account_id, "reorder_funnel_stages", |write| {
            let now = write.now;
            let funnel = funnel_mut(write, funnel_id)?;
            let mut given = stage_ids.to_vec();
            let mut have: Vec<i64> = funnel.stages.iter().map(|s| s.id).collect();
            given.sort_unstable();
            have.sort_unstable();
            if given != have {
                return Err(Refusal::field(
                    "stage_ids",
                    format!("must list each stage of funnel {funnel_id} once: {have:?}"),
                ));
            }
            let mut stages = std::mem::take(&mut funnel.stages);
            stages.sort_by_key(|s| stage_ids.iter().position(|id| *id == s.id));
            funnel.stages = stages;
            renumber_stages(funnel, now);
            let stages = funnel.stages.clone();
            let entry = Entry {
                funnel_ids: vec![funnel_id],
                stage_ids: stage_ids.to_vec(),
                ..Entry::one()
            };
            let json: Vec<Value> = stages.iter().map(|s| write.account.stage_json(s)).collect();
            Ok((Value::Array(json), entry))
        })
    }

    /// Makes a card in a funnel: for `lead_id` (404 when the account has no
    /// such lead), or for a new lead made from the lead's members; in
    /// `funnel_stage_id` (422 unless a stage of the funnel) or the first
    /// stage; at `position` or last. Its history starts with `created`.
    pub(crate) fn create_card(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        input: CardInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_funnel_card", |write| {
            let stage =
                write.stage_for(funnel_id, input.funnel_stage_id.given(), "funnel_stage_id")?;
            let mut lead_ids = Vec::new();
            let lead_id = match input.lead_id.given() {
                Some(id) => {
                    write.account.lead(id).ok_or(Refusal::NotFound)?;
                    id
                }
                None => {
                    let lead = input.lead.new_lead(write)?;
                    let id = lead.id;
                    write.account.leads.push(lead);
                    id
                }
            };
            lead_ids.push(lead_id);
            let card = write.make_card(
                funnel_id,
                Some(stage),
                "funnel_stage_id",
                lead_id,
                input.position.given(),
            )?;
            let entry = Entry {
                lead_ids,
                funnel_ids: vec![funnel_id],
                stage_ids: vec![stage],
                card_ids: vec![card.id],
                created_id: Some(card.id),
                name: write
                    .account
                    .lead(lead_id)
                    .and_then(|l| l.custom_name.clone()),
                ..Entry::one()
            };
            Ok((write.card_json(card.id), entry))
        })
    }

    /// Changes a card and its lead: a new `funnel_stage_id` (422 unless a
    /// stage of the funnel; `null`: in no stage) moves it, with a
    /// `stage_changed` event; `position` (`null`: last) places it in its
    /// stage; the lead's members change the lead, with an `updated` event
    /// naming them. `updated_at` moves on.
    pub(crate) fn update_card(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        card_id: i64,
        input: CardInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_funnel_card", |write| {
            write.account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
            let index = card_index(write.account, funnel_id, card_id)?;
            let card = write.account.cards[index].clone();
            let stage = match input.funnel_stage_id {
                Change::Keep => card.funnel_stage_id,
                Change::Clear => None,
                Change::Set(id) => Some(write.stage_for(funnel_id, Some(id), "funnel_stage_id")?),
            };
            let position = match input.position {
                Change::Keep if stage == card.funnel_stage_id => card.position,
                Change::Keep | Change::Clear => None,
                Change::Set(p) => Some(p),
            };
            let sent: Vec<&str> = input.lead.sent().to_vec();
            input.lead.apply_to_card_lead(write, card.lead_id)?;
            write.move_card(card_id, stage, position);
            let now = write.now;
            write.account.cards[index].updated_at = now;
            if !sent.is_empty() {
                let description = format!("Card updated ({}).", sent.join(", "));
                write.card_event(card_id, "updated", description, None, None);
            }
            let mut stage_ids: Vec<i64> = card.funnel_stage_id.into_iter().collect();
            stage_ids.extend(stage.filter(|s| Some(*s) != card.funnel_stage_id));
            let entry = Entry {
                lead_ids: vec![card.lead_id],
                funnel_ids: vec![funnel_id],
                stage_ids,
                card_ids: vec![card_id],
                name: write
                    .account
                    .lead(card.lead_id)
                    .and_then(|l| l.custom_name.clone()),
                ..Entry::one()
            };
            Ok((write.card_json(card_id), entry))
        })
    }

    /// Deletes a card and its history (the others of its stage are
    /// numbered again); its lead stays, and a conversation linked to it is
    /// linked to none.
    pub(crate) fn delete_card(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        card_id: i64,
    ) -> Result<(), Refusal> {
        self.change(account_id, "delete_funnel_card", |write| {
            write.account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
            let index = card_index(write.account, funnel_id, card_id)?;
            let card = write.account.cards[index].clone();
            // Numbers the others, as if it went last, then drops it.
            write.place_card(card_id, card.funnel_stage_id, None);
            drop_cards(write.account, |c| c.id == card_id);
            for conversation in &mut write.account.conversations {
                if conversation.linked_card_id == Some(card_id) {
                    conversation.linked_card_id = None;
                }
            }
            let entry = Entry {
                lead_ids: vec![card.lead_id],
                funnel_ids: vec![funnel_id],
                stage_ids: card.funnel_stage_id.into_iter().collect(),
                card_ids: vec![card_id],
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Moves a card to a stage of its funnel (422 about `target_stage_id`
    /// for a stage of another, or none), at `position` or last. Moving it
    /// where it is changes nothing (journaled with `affected` 0).
    pub(crate) fn move_card(
        &mut self,
        account_id: i64,
        funnel_id: i64,
        card_id: i64,
        target: i64,
        position: Option<i64>,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "move_funnel_card", |write| {
            write.account.funnel(funnel_id).ok_or(Refusal::NotFound)?;
            let index = card_index(write.account, funnel_id, card_id)?;
            let card = write.account.cards[index].clone();
            let stage = write.stage_for(funnel_id, Some(target), "target_stage_id")?;
            let moved = write.move_card(card_id, Some(stage), position);
            let mut stage_ids: Vec<i64> = card.funnel_stage_id.into_iter().collect();
            if card.funnel_stage_id != Some(stage) {
                stage_ids.push(stage);
            }
            let entry = Entry {
                lead_ids: vec![card.lead_id],
                funnel_ids: vec![funnel_id],
                stage_ids,
                card_ids: vec![card_id],
                affected: u64::from(moved),
                ..Entry::default()
            };
            Ok((write.card_json(card_id), entry))
        })
    }
}
