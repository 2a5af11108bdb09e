//! The Conversation CRM section: a conversation's panel (its linked lead
//! and card, and its follow-up tasks), and linking, unlinking and
//! converting it into a deal (writes on the [`Store`], each journaled).

use serde_json::{Value, json};

use crate::data::{Account, MockLead};
use crate::records::{Conversation, Task};
use crate::respond::Refusal;
use crate::store::{Entry, Store, Write};

impl Account {
    /// A conversation's CRM panel as the API sends it (`CrmPanel`): its
    /// linked lead and card as they are now (`null` when none), and the
    /// tasks about it (`taskable_type` `Conversation`), soonest due first.
    /// `None` for a conversation the account does not have.
    pub fn crm_panel(&self, conversation_id: i64) -> Option<Value> {
        let conversation = self.conversation(conversation_id)?;
        let lead = conversation
            .linked_lead_id
            .and_then(|id| self.lead(id))
            .map(MockLead::to_json);
        let card = conversation
            .linked_card_id
            .and_then(|id| self.card(id))
            .and_then(|c| self.card_json(c));
        let tasks: Vec<Value> = self
            .tasks_about("Conversation", conversation_id)
            .into_iter()
            .map(Task::to_json)
            .collect();
        Some(json!({
            "conversation_id": conversation_id,
            "linked_lead": lead,
            "linked_funnel_card": card,
            "follow_up_tasks": tasks,
        }))
    }
}

/// The conversation, to change (404 when the account has none such).
fn conversation_mut<'a>(
    write: &'a mut Write<'_>,
    id: i64,
) -> Result<&'a mut Conversation, Refusal> {
    let index = write
        .account
        .conversations
        .binary_search_by_key(&id, |c| c.id)
        .map_err(|_| Refusal::NotFound)?;
    Ok(&mut write.account.conversations[index])
}

/// The panel of a conversation that exists.
fn panel(write: &Write<'_>, conversation_id: i64) -> Value {
    write
        .account
        .crm_panel(conversation_id)
        .unwrap_or(Value::Null)
}

impl Store {
    /// Links a card to a conversation, in place of the one linked before
    /// (404 when the conversation or the card does not exist). The panel.
    pub(crate) fn link_card(
        &mut self,
        account_id: i64,
        conversation_id: i64,
        card_id: i64,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "link_conversation_card", |write| {
            let card = write
                .account
                .card(card_id)
                .ok_or(Refusal::NotFound)?
                .clone();
            let conversation = conversation_mut(write, conversation_id)?;
            let before = conversation.linked_card_id;
            conversation.linked_card_id = Some(card_id);
            let entry = Entry {
                lead_ids: vec![card.lead_id],
                funnel_ids: vec![card.funnel_id],
                card_ids: vec![card_id],
                conversation_id: Some(conversation_id),
                affected: u64::from(before != Some(card_id)),
                ..Entry::default()
            };
            Ok((panel(write, conversation_id), entry))
        })
    }

    /// Unlinks a conversation's card; the card stays. 404 when no card is
    /// linked (or the conversation does not exist).
    pub(crate) fn unlink_card(
        &mut self,
        account_id: i64,
        conversation_id: i64,
    ) -> Result<(), Refusal> {
        self.change(account_id, "unlink_conversation_card", |write| {
            let linked = write
                .account
                .conversation(conversation_id)
                .ok_or(Refusal::NotFound)?
                .linked_card_id
                .ok_or(Refusal::NotFound)?;
            conversation_mut(write, conversation_id)?.linked_card_id = None;
            let entry = Entry {
                card_ids: vec![linked],
                conversation_id: Some(conversation_id),
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Links a lead to a conversation, in place of the one linked before
    /// (404 when the conversation or the lead does not exist). The panel.
    pub(crate) fn link_lead(
        &mut self,
        account_id: i64,
        conversation_id: i64,
        lead_id: i64,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "link_conversation_lead", |write| {
            let name = write
                .account
                .lead(lead_id)
                .ok_or(Refusal::NotFound)?
                .custom_name
                .clone();
            let conversation = conversation_mut(write, conversation_id)?;
            let before = conversation.linked_lead_id;
            conversation.linked_lead_id = Some(lead_id);
            let entry = Entry {
                lead_ids: vec![lead_id],
                conversation_id: Some(conversation_id),
                name,
                affected: u64::from(before != Some(lead_id)),
                ..Entry::default()
            };
            Ok((panel(write, conversation_id), entry))
        })
    }

    /// Converts a conversation into a deal: a card in the funnel (404 when
    /// unknown), in `stage_id` (422 unless one of its stages) or the first,
    /// for `lead_id` (404 when unknown), else the conversation's linked
    /// lead, else a new lead named `Conversation #ID` (with that
    /// `conversation_id`); the card and its lead are then linked to the
    /// conversation. The card.
    pub(crate) fn convert_conversation(
        &mut self,
        account_id: i64,
        conversation_id: i64,
        request: &ConversationConversion,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "convert_conversation", |write| {
            let conversation = write
                .account
                .conversation(conversation_id)
                .ok_or(Refusal::NotFound)?;
            let stage = write.stage_for(request.funnel_id, request.stage_id, "stage_id")?;
            let lead_id = match request.lead_id.or(conversation.linked_lead_id) {
                Some(id) => {
                    write.account.lead(id).ok_or(Refusal::NotFound)?;
                    id
                }
                None => {
                    let id = write.ids.lead();
                    let lead = MockLead {
                        id,
                        custom_name: Some(format!("Conversation #{conversation_id}")),
                        status: "open".to_owned(),
                        lead_value: None,
                        lead_currency: None,
                        position: None,
                        notes: None,
                        assigned_agent: None,
                        company: None,
                        conversation_id: Some(conversation_id),
                        custom_attributes: serde_json::Map::new(),
                        created_at: write.now,
                        updated_at: write.now,
                        source_inbox_id: None,
                    };
                    write.account.leads.push(lead);
                    id
                }
            };
            let card =
                write.make_card(request.funnel_id, Some(stage), "stage_id", lead_id, None)?;
            let linked = conversation_mut(write, conversation_id)?;
            linked.linked_card_id = Some(card.id);
            linked.linked_lead_id = Some(lead_id);
            let entry = Entry {
                lead_ids: vec![lead_id],
                funnel_ids: vec![request.funnel_id],
                stage_ids: vec![stage],
                card_ids: vec![card.id],
                created_id: Some(card.id),
                conversation_id: Some(conversation_id),
                name: write
                    .account
                    .lead(lead_id)
                    .and_then(|l| l.custom_name.clone()),
                ..Entry::one()
            };
            let json = write.account.card_json(&card).unwrap_or(Value::Null);
            Ok((json, entry))
        })
    }
}

/// A `ConversationConversion` body, read.
pub(crate) struct ConversationConversion {
    pub(crate) funnel_id: i64,
    pub(crate) lead_id: Option<i64>,
    pub(crate) stage_id: Option<i64>,
}
