//! A conversation's CRM panel: [`Conversations`], made by
//! [`Client::conversations`](crate::Client::conversations), [`ConversationCrm`]
//! and [`ConvertConversation`] (exactly once).

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use voxys_connect_api::types::{Card, CardLink, ConversationConversion, CrmPanel, LeadLink};

use crate::client::Client;
use crate::delete::Delete;
use crate::error::Result;
use crate::leads::{DEFAULT_SETTLE_AFTER, id, required_id};
use crate::pipeline::{Call, Failure, Settle, Settled};
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
/// **Exactly once**, as [`ConvertLead`](crate::leads::ConvertLead) is. The
/// card it makes is linked to the conversation, so before converting the
/// client notes the conversation's linked card; when an answer is lost it
/// reads the panel again: a new linked card in the funnel is the one this
/// conversion made. Nothing new after the application's own 500 means it was
/// not made; otherwise it looks once more after
/// [`settle_after`](ConvertConversation::settle_after), and then returns
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown). (A card linked to
/// the conversation by another program in the same moment would look like
/// it.)
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
        let before = self
            .crm
            .get()
            .send()
            .await?
            .linked_funnel_card
            .map(|card| card.id);
        let crm = &self.crm;
        let request = crm
            .client
            .api()
            .convert_conversation()
            .account_id(crm.account_id)
            .conversation_id(crm.conversation_id)
            .body(body)
            .send();
        let settle = Arc::new(LookForTheLinkedCard {
            convert: self.clone(),
            before,
        });
        Ok(crm
            .client
            .send("convert_conversation", Call::settled_by(settle), request)
            .await?
            .value)
    }
}

/// How a conversion whose answer was lost is settled: by reading the
/// conversation's linked card.
struct LookForTheLinkedCard {
    convert: ConvertConversation,
    /// The card linked before the conversion began.
    before: Option<i64>,
}

impl LookForTheLinkedCard {
    /// A newly linked card of the funnel, if there is one.
    async fn new_card(&self) -> Result<Option<Card>> {
        let panel = self.convert.crm.get().send().await?;
        Ok(panel.linked_funnel_card.filter(|card| {
            Some(card.id) != self.before && card.funnel_id == self.convert.funnel_id
        }))
    }
}

impl Settle for LookForTheLinkedCard {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            let unreadable = |look: crate::Error| {
                Settled::Unknown(format!("reading the panel failed too: {look}"))
            };
            match self.new_card().await {
                Ok(Some(card)) => return found(&card),
                Ok(None) if failure.answered_by_the_application() => return Settled::Absent,
                Ok(None) => {}
                Err(look) => return unreadable(look),
            }
            tokio::time::sleep(self.convert.settle_after).await;
            match self.new_card().await {
                Ok(Some(card)) => found(&card),
                Ok(None) => Settled::Unknown(format!(
                    "no new card is linked to the conversation, but the server may have been working on it when the answer was lost, and may still make it (looked again after {} ms)",
                    self.convert.settle_after.as_millis()
                )),
                Err(look) => unreadable(look),
            }
        })
    }

    fn action(&self) -> String {
        format!(
            "converting conversation {} into a deal in funnel {}",
            self.convert.crm.conversation_id, self.convert.funnel_id
        )
    }

    fn look(&self) -> String {
        let (account, conversation) = (
            self.convert.crm.account_id,
            self.convert.crm.conversation_id,
        );
        format!(
            "read the conversation's linked card (Client::conversations({account}).crm({conversation}).get(), or `voxys conversations crm get {conversation}`)"
        )
    }
}

/// The card found, as the answer that was lost would have carried it.
fn found(card: &Card) -> Settled {
    match serde_json::to_vec(card) {
        Ok(body) => Settled::Found(body),
        Err(e) => Settled::Unknown(format!("the card could not be encoded: {e}")),
    }
}
