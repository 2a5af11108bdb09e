//! A funnel's cards (deals): [`Cards`], [`ListCards`], [`CreateCard`]
//! (exactly once), [`UpdateCard`] and [`MoveCard`].

use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::types::{Card, CardCreate, CardEvent, CardMove};
use voxys_connect_api::{Amount, CardUpdate, Change, LeadStatus, Timestamp};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record, sent_any_case};
use crate::delete::Delete;
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, id, positive_id, required_id};
use crate::pipeline::Call;
use crate::request::{Invalid, Request};

/// The cards (deals) of one funnel; made by
/// [`Pipelines::cards`](crate::pipelines::Pipelines::cards).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::LeadStatus;
///
/// let cards = client.pipelines(1).cards(3);
/// let card = cards.create().lead(42).stage(7).send().await?;
/// cards.move_to(card.id, 9).position(1).send().await?;
/// for event in cards.history(card.id).send().await? {
///     println!("{} {:?} -> {:?}", event.event_type, event.from_stage, event.to_stage);
/// }
/// let open = cards.list().lead_status(LeadStatus::Open).send().await?;
/// # let _ = open;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Cards {
    client: Client,
    account_id: i64,
    funnel_id: i64,
}

impl Cards {
    pub(crate) fn new(client: Client, account_id: i64, funnel_id: i64) -> Cards {
        Cards {
            client,
            account_id,
            funnel_id,
        }
    }

    /// A request for the funnel's cards, optionally filtered; see
    /// [`ListCards`].
    pub fn list(&self) -> ListCards {
        ListCards {
            cards: self.clone(),
            lead_status: None,
            stage_id: None,
        }
    }

    /// A request to make a card, exactly once; see [`CreateCard`].
    pub fn create(&self) -> CreateCard {
        CreateCard {
            cards: self.clone(),
            lead: None,
            stage: None,
            name: None,
            value: None,
            currency: None,
            agent: None,
            position: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// A request to change a card and its lead; see [`UpdateCard`].
    pub fn update(&self, card_id: i64) -> UpdateCard {
        UpdateCard {
            cards: self.clone(),
            card_id,
            changes: CardUpdate::default(),
        }
    }

    /// A request to delete a card; its lead stays (`delete_funnel_card`);
    /// see [`Delete`].
    pub fn delete(&self, card_id: i64) -> Delete {
        let (account, funnel) = (self.account_id, self.funnel_id);
        Delete::new(&self.client, "delete_funnel_card", move |c| async move {
            c.api()
                .delete_funnel_card()
                .account_id(account)
                .id(funnel)
                .card_id(card_id)
                .send()
                .await
        })
    }

    /// A request to move a card to the stage `stage_id` of the same funnel;
    /// see [`MoveCard`].
    pub fn move_to(&self, card_id: i64, stage_id: i64) -> MoveCard {
        MoveCard {
            cards: self.clone(),
            card_id,
            stage_id,
            position: None,
        }
    }

    /// A request for what happened to a card, newest first: made, moved
    /// (with the stages' names and who moved it), changed
    /// (`funnel_card_history`; not paged).
    pub fn history(&self, card_id: i64) -> Request<Vec<CardEvent>> {
        let (account, funnel) = (self.account_id, self.funnel_id);
        Request::new(&self.client, "funnel_card_history", move |c| async move {
            c.api()
                .funnel_card_history()
                .account_id(account)
                .id(funnel)
                .card_id(card_id)
                .send()
                .await
        })
        .check(Invalid::id("card", card_id))
    }
}

/// A request for a funnel's cards (`GET
/// /api/v1/accounts/{account_id}/funnels/{id}/cards`): every card at once,
/// as the API does not page them; made by [`Cards::list`].
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCards {
    cards: Cards,
    lead_status: Option<LeadStatus>,
    stage_id: Option<i64>,
}

impl ListCards {
    /// Only cards whose lead has this status.
    pub fn lead_status(mut self, status: LeadStatus) -> ListCards {
        self.lead_status = Some(status);
        self
    }

    /// Only cards in the stage with this id.
    pub fn stage(mut self, stage_id: i64) -> ListCards {
        self.stage_id = Some(stage_id);
        self
    }

    /// Sends the request; the cards, in the API's order.
    pub async fn send(self) -> Result<Vec<Card>> {
        let cards = &self.cards;
        let mut request = cards
            .client
            .api()
            .list_funnel_cards()
            .account_id(cards.account_id)
            .id(cards.funnel_id);
        if let Some(status) = &self.lead_status {
            request = request.lead_status(status.clone());
        }
        if let Some(stage) = self.stage_id {
            request = request.stage_id(stage);
        }
        Ok(cards
            .client
            .send("list_funnel_cards", Call::default(), request.send())
            .await?
            .value)
    }
}

/// A request to make a card (a deal) in a funnel
/// (`POST /api/v1/accounts/{account_id}/funnels/{id}/cards`); made by
/// [`Cards::create`]. For an existing lead ([`lead`](CreateCard::lead)), or a
/// new lead made from the other members; in a stage, or the funnel's first.
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it looks among the funnel's cards for
/// one made after the attempt began with every member sent (the lead, the
/// stage, the new lead's name, value, currency and agent), not claimed by
/// another create of this client. A card that names nothing (no lead, no
/// name...) cannot be told from another, and a lost answer of it is reported
/// unknown.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateCard {
    cards: Cards,
    lead: Option<i64>,
    stage: Option<i64>,
    name: Option<String>,
    value: Option<Amount>,
    currency: Option<String>,
    agent: Option<i64>,
    position: Option<i64>,
    settle_after: Duration,
}

impl CreateCard {
    /// The lead the card is for (else a new lead is made from
    /// [`name`](CreateCard::name), [`value`](CreateCard::value)...; the two
    /// do not go together).
    pub fn lead(mut self, lead_id: i64) -> Self {
        self.lead = Some(lead_id);
        self
    }

    /// The stage to put it in (default the funnel's first).
    pub fn stage(mut self, stage_id: i64) -> Self {
        self.stage = Some(stage_id);
        self
    }

    /// The new lead's name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The new lead's value, an exact decimal.
    pub fn value(mut self, value: Amount) -> Self {
        self.value = Some(value);
        self
    }

    /// The new lead's currency.
    pub fn currency(mut self, code: impl Into<String>) -> Self {
        self.currency = Some(code.into());
        self
    }

    /// The agent to assign the new lead to.
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.agent = Some(agent_id);
        self
    }

    /// Its place in the stage, from 1 (default last).
    pub fn position(mut self, position: i64) -> Self {
        self.position = Some(position);
        self
    }

    /// When an answer was lost and no card is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Makes the card; the card made.
    pub async fn send(self) -> Result<Card> {
        if self.lead.is_some()
            && (self.name.is_some()
                || self.value.is_some()
                || self.currency.is_some()
                || self.agent.is_some())
        {
            return Err(Error::InvalidParameter {
                name: "lead",
                value: format!("{:?}", self.lead),
                expected: "either an existing lead, or the members of a new lead (name, value, currency, agent), not both: change the lead with Leads::update".to_owned(),
            });
        }
        let mut body = CardCreate::default();
        body.lead_id = id("lead", self.lead)?;
        body.funnel_stage_id = id("stage", self.stage)?;
        body.custom_name = self.name.clone();
        body.lead_value = self.value;
        body.lead_currency = self.currency.clone();
        body.assigned_agent_id = id("agent", self.agent)?;
        body.position = id("position", self.position)?;
        let cards = &self.cards;
        let client = &cards.client;
        let (account, funnel) = (cards.account_id, cards.funnel_id);
        let request = client
            .api()
            .create_funnel_card()
            .account_id(account)
            .id(funnel)
            .body(body)
            .send();
        let list = cards.list();
        let this = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            client,
            Create {
                kind: Kind {
                    one: "card",
                    many: "cards",
                },
                action: match self.lead {
                    Some(lead) => format!("making a card of lead {lead} in funnel {funnel}"),
                    None => format!("making a card in funnel {funnel}"),
                },
                look: format!(
                    "look among the funnel's cards for it (Client::pipelines({account}).cards({funnel}).list(), or `voxys pipelines cards list {funnel}`)"
                ),
                identifying: self.lead.is_some()
                    || self.name.is_some()
                    || self.value.is_some()
                    || self.agent.is_some(),
                candidates: Box::new(move |_| Box::pin(list.clone().send())),
                matches: Arc::new(move |card: &Card| this.matches(card)),
                settle_after: self.settle_after,
            },
        );
        let card: Card = client
            .send("create_funnel_card", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(card.id);
        Ok(card)
    }

    fn matches(&self, card: &Card) -> bool {
        let lead = &card.lead;
        (self.lead.is_none() || self.lead == Some(lead.id))
            && (self.stage.is_none() || self.stage == card.funnel_stage_id)
            && (self.name.is_none() || self.name == lead.custom_name)
            && (self.value.is_none() || self.value == lead.lead_value)
            && sent_any_case(self.currency.as_deref(), lead.lead_currency.as_deref())
            && (self.agent.is_none() || self.agent == lead.assigned_agent.as_ref().map(|a| a.id))
    }
}

impl Record for Card {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// A request to change a card and its lead
/// (`PATCH /api/v1/accounts/{account_id}/funnels/{id}/cards/{card_id}`);
/// made by [`Cards::update`]. Each member is left as it is unless set or
/// cleared (sent as `null`). **Repeating it** gives the same card.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateCard {
    cards: Cards,
    card_id: i64,
    changes: CardUpdate,
}

impl UpdateCard {
    /// Moves it to this stage (recorded in its history).
    pub fn stage(mut self, stage_id: i64) -> Self {
        self.changes.funnel_stage_id = Change::Set(stage_id);
        self
    }

    /// Its place in the stage.
    pub fn position(mut self, position: i64) -> Self {
        self.changes.position = Change::Set(position);
        self
    }

    /// Its lead's new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.changes.custom_name = Change::Set(name.into());
        self
    }

    /// Clears its lead's name.
    pub fn clear_name(mut self) -> Self {
        self.changes.custom_name = Change::Clear;
        self
    }

    /// Its lead's new value.
    pub fn value(mut self, value: Amount) -> Self {
        self.changes.lead_value = Change::Set(value);
        self
    }

    /// Clears its lead's value.
    pub fn clear_value(mut self) -> Self {
        self.changes.lead_value = Change::Clear;
        self
    }

    /// Its lead's new currency.
    pub fn currency(mut self, code: impl Into<String>) -> Self {
        self.changes.lead_currency = Change::Set(code.into());
        self
    }

    /// Clears its lead's currency.
    pub fn clear_currency(mut self) -> Self {
        self.changes.lead_currency = Change::Clear;
        self
    }

    /// Assigns its lead to this agent.
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.changes.assigned_agent_id = Change::Set(agent_id);
        self
    }

    /// Unassigns its lead.
    pub fn unassign(mut self) -> Self {
        self.changes.assigned_agent_id = Change::Clear;
        self
    }

    /// Every change at once, replacing those set before.
    pub fn changes(mut self, changes: CardUpdate) -> Self {
        self.changes = changes;
        self
    }

    /// Sends the changes; the card as it is now.
    pub async fn send(self) -> Result<Card> {
        for (name, change) in [
            ("stage", &self.changes.funnel_stage_id),
            ("position", &self.changes.position),
            ("agent", &self.changes.assigned_agent_id),
        ] {
            if let Change::Set(id) = change {
                positive_id(name, Some(*id))?;
            }
        }
        let cards = &self.cards;
        let request = cards
            .client
            .api()
            .update_funnel_card()
            .account_id(cards.account_id)
            .id(cards.funnel_id)
            .card_id(self.card_id)
            .body(self.changes.clone())
            .send();
        Ok(cards
            .client
            .send("update_funnel_card", Call::default(), request)
            .await?
            .value)
    }
}

/// A request to move a card to another stage of its funnel
/// (`POST /api/v1/accounts/{account_id}/funnels/{id}/cards/{card_id}/move`);
/// made by [`Cards::move_to`]. **Repeating it** leaves the card where the
/// first put it, so it is retried like a read.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct MoveCard {
    cards: Cards,
    card_id: i64,
    stage_id: i64,
    position: Option<i64>,
}

impl MoveCard {
    /// Its place in the stage, from 1 (default last).
    pub fn position(mut self, position: i64) -> Self {
        self.position = Some(position);
        self
    }

    /// Moves the card; the card, moved.
    pub async fn send(self) -> Result<Card> {
        let stage = required_id("stage", self.stage_id)?;
        let position = id("position", self.position)?;
        let cards = &self.cards;
        let request = cards
            .client
            .api()
            .move_funnel_card()
            .account_id(cards.account_id)
            .id(cards.funnel_id)
            .card_id(self.card_id)
            .body(CardMove::new(stage, position))
            .send();
        Ok(cards
            .client
            .send("move_funnel_card", Call::default(), request)
            .await?
            .value)
    }
}
