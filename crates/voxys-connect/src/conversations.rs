//! A conversation's CRM panel: [`Conversations`], made by
//! [`Client::conversations`](crate::Client::conversations), [`ConversationCrm`]
//! and [`ConvertConversation`] (exactly once).

use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::types::{Card, CardLink, ConversationConversion, CrmPanel, LeadLink};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord};
use crate::delete::Delete;
use crate::error::Result;
use crate::leads::{DEFAULT_SETTLE_AFTER, id, required_id};
use crate::pipeline::Call;
use crate::request::{Invalid, Request};

/// The conversations of one account, for their CRM panel; made by
/// [`Client::conversations`](crate::Client::conversations).
#[derive(Clone, Debug)]
pub struct Conversations {
    client: Client,
    account_id: i64,
}

impl Conversations {
    pub(crate) fn new(client: Client, account_id: i64) -> Conversations {
        Conversations { client, account_id }
    }

    /// The CRM panel of the conversation `conversation_id`.
    pub fn crm(&self, conversation_id: i64) -> ConversationCrm {
        ConversationCrm {
            client: self.client.clone(),
            account_id: self.account_id,
            conversation_id,
        }
    }
}

/// One conversation's CRM panel: its lead, its card (deal), its tasks; made
/// by [`Conversations::crm`].
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let crm = client.conversations(1).crm(100);
/// crm.link_lead(42).send().await?;
/// let card = crm.convert(3).stage(7).send().await?; // a deal, made once
/// let panel = crm.get().send().await?;
/// assert_eq!(panel.linked_funnel_card.map(|c| c.id), Some(card.id));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ConversationCrm {
    client: Client,
    account_id: i64,
    conversation_id: i64,
}

impl ConversationCrm {
    /// A request for the panel (`get_conversation_crm`).
    pub fn get(&self) -> Request<CrmPanel> {
        let (account, conversation) = (self.account_id, self.conversation_id);
        Request::new(&self.client, "get_conversation_crm", move |c| async move {
            c.api()
                .get_conversation_crm()
                .account_id(account)
                .conversation_id(conversation)
                .send()
                .await
        })
    }

    /// A request to link the card `card_id` to the conversation, in place of
    /// the one linked before (`link_conversation_card`); the panel. Linking
    /// it again changes nothing, so it is retried like a read.
    pub fn link_card(&self, card_id: i64) -> Request<CrmPanel> {
        let (account, conversation) = (self.account_id, self.conversation_id);
        let body = required_id("card", card_id).ok().map(CardLink::new);
        Request::new(&self.client, "link_conversation_card", move |c| {
            let body = body.clone();
            async move {
                let mut request = c
                    .api()
                    .link_conversation_card()
                    .account_id(account)
                    .conversation_id(conversation);
                if let Some(body) = body {
                    request = request.body(body);
                }
                request.send().await
            }
        })
        .check(Invalid::id("card", card_id))
    }

    /// A request to unlink the conversation's card; the card stays
    /// (`unlink_conversation_card`); see [`Delete`].
    pub fn unlink_card(&self) -> Delete {
        let (account, conversation) = (self.account_id, self.conversation_id);
        Delete::new(
            &self.client,
            "unlink_conversation_card",
            move |c| async move {
                c.api()
                    .unlink_conversation_card()
                    .account_id(account)
                    .conversation_id(conversation)
                    .send()
                    .await
            },
        )
    }

    /// A request to link the lead `lead_id` to the conversation, in place of
    /// the one linked before (`link_conversation_lead`); the panel.
    pub fn link_lead(&self, lead_id: i64) -> Request<CrmPanel> {
        let (account, conversation) = (self.account_id, self.conversation_id);
        let body = required_id("lead", lead_id).ok().map(LeadLink::new);
        Request::new(&self.client, "link_conversation_lead", move |c| {
            let body = body.clone();
            async move {
                let mut request = c
                    .api()
                    .link_conversation_lead()
                    .account_id(account)
                    .conversation_id(conversation);
                if let Some(body) = body {
                    request = request.body(body);
                }
                request.send().await
            }
        })
        .check(Invalid::id("lead", lead_id))
    }

    /// A request to turn the conversation into a deal: a card in the funnel
    /// `funnel_id`, linked to the conversation, exactly once; see
    /// [`ConvertConversation`].
    pub fn convert(&self, funnel_id: i64) -> ConvertConversation {
        ConvertConversation {
            crm: self.clone(),
            funnel_id,
            lead: None,
            stage: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }
}

/// A request to convert a conversation into a deal
/// (`POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/crm/convert_to_deal`);
/// made by [`ConversationCrm::convert`].
///
/// **Exactly once**, as the creates are (see
/// [`CLOCK_ALLOWANCE`](crate::CLOCK_ALLOWANCE)): when an answer is lost, it
/// looks for a card of the funnel (in the stage, and of the lead, when
/// known: the lead sent, or the conversation's linked lead) made after the
/// attempt began and not claimed by another create of this client, among
/// the card now linked to the conversation (the document says a conversion
/// links its card; the reference does not say) and the funnel's cards of
/// that lead. Nothing found after the application's own 500 means it was
/// not made; otherwise it looks once more after
/// [`settle_after`](ConvertConversation::settle_after), and then returns
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown).
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ConvertConversation {
    crm: ConversationCrm,
    funnel_id: i64,
    lead: Option<i64>,
    stage: Option<i64>,
    settle_after: Duration,
}

impl ConvertConversation {
    /// The lead the card is for (default the conversation's linked lead, or
    /// a new one).
    pub fn lead(mut self, lead_id: i64) -> Self {
        self.lead = Some(lead_id);
        self
    }

    /// The stage to put it in (default the funnel's first).
    pub fn stage(mut self, stage_id: i64) -> Self {
        self.stage = Some(stage_id);
        self
    }

    /// When an answer was lost and no new card is linked yet, how long to
    /// wait before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Converts; the card made.
    pub async fn send(self) -> Result<Card> {
        let mut body = ConversationConversion::new(required_id("funnel", self.funnel_id)?);
        body.lead_id = id("lead", self.lead)?;
        body.stage_id = id("stage", self.stage)?;
        // The lead the card will be for, when it can be known: where to look
        // for the card besides the conversation's panel.
        let lead = match self.lead {
            Some(lead) => Some(lead),
            None => self.crm.get().send().await?.linked_lead.map(|lead| lead.id),
        };
        let crm = &self.crm;
        let (account, conversation, funnel) = (crm.account_id, crm.conversation_id, self.funnel_id);
        let request = crm
            .client
            .api()
            .convert_conversation()
            .account_id(account)
            .conversation_id(conversation)
            .body(body)
            .send();
        let looker = self.clone();
        let stage = self.stage;
        let (settle, in_flight) = LookForTheRecord::new(
            &crm.client,
            Create {
                kind: Kind {
                    one: "card",
                    many: "cards",
                },
                action: format!(
                    "converting conversation {conversation} into a deal in funnel {funnel}"
                ),
                look: format!(
                    "read the conversation's linked card (Client::conversations({account}).crm({conversation}).get(), or `voxys conversations crm get {conversation}`), and the funnel's cards (`voxys pipelines cards list {funnel}`)"
                ),
                identifying: true,
                candidates: Box::new(move |_| {
                    let looker = looker.clone();
                    Box::pin(async move { looker.candidates(lead).await })
                }),
                matches: Arc::new(move |card: &Card| {
                    card.funnel_id == funnel
                        && (stage.is_none() || card.funnel_stage_id == stage)
                        && (lead.is_none() || Some(card.lead.id) == lead)
                }),
                settle_after: self.settle_after,
            },
        );
        let card: Card = crm
            .client
            .send("convert_conversation", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(card.id);
        Ok(card)
    }

    /// The cards this conversion could have made: the card linked to the
    /// conversation now, and the funnel's cards of its lead, when known.
    async fn candidates(&self, lead: Option<i64>) -> Result<Vec<Card>> {
        let mut cards: Vec<Card> = self
            .crm
            .get()
            .send()
            .await?
            .linked_funnel_card
            .into_iter()
            .collect();
        if let Some(lead) = lead {
            let funnel = self
                .crm
                .client
                .pipelines(self.crm.account_id)
                .cards(self.funnel_id)
                .list()
                .send()
                .await?;
            cards.extend(funnel.into_iter().filter(|card| card.lead.id == lead));
        }
        Ok(cards)
    }
}
