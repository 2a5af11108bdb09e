//! Creating, updating and deleting leads, and their notes: the request
//! bodies read into changes ([`LeadInput`]), and the writes on the
//! [`Store`].

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::bodies::decimal;
use crate::data::{Account, Agent, Company, MockLead};
use crate::pipelines::drop_cards;
use crate::records::Note;
use crate::respond::Refusal;
use crate::store::{Change, Entry, Store, Write};

/// A `LeadCreate` or `LeadUpdate` body, read: what it does to each member.
/// For a create, a member left out or `null` is empty.
pub(crate) struct LeadInput {
    custom_name: Change<String>,
    lead_value: Change<Decimal>,
    lead_currency: Change<String>,
    assigned_agent_id: Change<i64>,
    position: Change<i64>,
    conversation_id: Change<i64>,
    company_id: Change<i64>,
    /// Not nullable: a new object replaces the attributes whole.
    custom_attributes: Option<Map<String, Value>>,
    /// The members sent, in the document's order, to say what changed.
    sent: Vec<&'static str>,
}

/// The members of `LeadCreate` and `LeadUpdate`.
const MEMBERS: [&str; 8] = [
    "custom_name",
    "lead_value",
    "lead_currency",
    "assigned_agent_id",
    "position",
    "conversation_id",
    "company_id",
    "custom_attributes",
];

impl LeadInput {
    /// Reads a body the routes checked against the document. `raw` is the
    /// body as sent, for the exact digits of `lead_value` (a JSON number
    /// read into a `Value` went through a float); it may be a number or a
    /// string of digits.
    pub(crate) fn read(body: &Value, raw: &[u8]) -> Result<LeadInput, Refusal> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let lead_value = match body.get("lead_value") {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(value) => Change::Set(
                exact_amount(value, raw)
                    .ok_or_else(|| Refusal::field("lead_value", "is not a number"))?,
            ),
        };
        Ok(LeadInput {
            custom_name: Change::of(body, "custom_name", text),
            lead_value,
            lead_currency: Change::of(body, "lead_currency", text),
            assigned_agent_id: Change::of(body, "assigned_agent_id", Value::as_i64),
            position: Change::of(body, "position", Value::as_i64),
            conversation_id: Change::of(body, "conversation_id", Value::as_i64),
            company_id: Change::of(body, "company_id", Value::as_i64),
            custom_attributes: body
                .get("custom_attributes")
                .and_then(Value::as_object)
                .cloned(),
            sent: MEMBERS
                .into_iter()
                .filter(|m| body.get(*m).is_some())
                .collect(),
        })
    }

    /// The members of a `CardCreate` or `CardUpdate` body that are its
    /// lead's: `custom_name`, `lead_value`, `lead_currency` and
    /// `assigned_agent_id` (a card's `position` is the card's, not the
    /// lead's).
    pub(crate) fn of_card(body: &Value, raw: &[u8]) -> Result<LeadInput, Refusal> {
        let mut input = LeadInput::read(body, raw)?;
        input.position = Change::Keep;
        input.conversation_id = Change::Keep;
        input.company_id = Change::Keep;
        input.custom_attributes = None;
        input.sent.retain(|m| {
            matches!(
                *m,
                "custom_name" | "lead_value" | "lead_currency" | "assigned_agent_id"
            )
        });
        Ok(input)
    }

    /// The members sent, in the document's order.
    pub(crate) fn sent(&self) -> &[&'static str] {
        &self.sent
    }

    /// A new lead made from the input (status `open`, the next id, made
    /// now), not yet in the account; 422 for an agent or a company the
    /// account does not have.
    pub(crate) fn new_lead(self, write: &mut Write<'_>) -> Result<MockLead, Refusal> {
        let (agent, company) = self.references(write.account)?;
        Ok(MockLead {
            id: write.ids.lead(),
            custom_name: self.custom_name.given(),
            status: "open".to_owned(),
            lead_value: self.lead_value.given(),
            lead_currency: self.lead_currency.given(),
            position: self.position.given(),
            notes: None,
            assigned_agent: agent.given(),
            company: company.given(),
            conversation_id: self.conversation_id.given(),
            custom_attributes: self.custom_attributes.unwrap_or_default(),
            created_at: write.now,
            updated_at: write.now,
            source_inbox_id: None,
        })
    }

    /// Applies the lead members of a card's update (see
    /// [`LeadInput::of_card`]) to the lead `lead_id`, whose `updated_at`
    /// moves on when any was sent. No timeline event.
    pub(crate) fn apply_to_card_lead(
        self,
        write: &mut Write<'_>,
        lead_id: i64,
    ) -> Result<(), Refusal> {
        if self.sent.is_empty() {
            return Ok(());
        }
        let (agent, _) = self.references(write.account)?;
        let now = write.now;
        let lead = write.lead_mut(lead_id).ok_or(Refusal::NotFound)?;
        self.custom_name.apply(&mut lead.custom_name);
        self.lead_value.apply(&mut lead.lead_value);
        self.lead_currency.apply(&mut lead.lead_currency);
        agent.apply(&mut lead.assigned_agent);
        lead.updated_at = now;
        Ok(())
    }

    /// The agent and the company the input names, which must be the
    /// account's: else the reference's 422, naming each member at fault.
    fn references(&self, account: &Account) -> Result<(Change<Agent>, Change<Company>), Refusal> {
        let mut errors = Vec::new();
        let agent = match self.assigned_agent_id {
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
            Change::Set(id) => match account.agent(id) {
                Some(agent) => Change::Set(agent.clone()),
                None => {
                    errors.push((
                        "assigned_agent_id".to_owned(),
                        "must be an agent of the account".to_owned(),
                    ));
                    Change::Keep
                }
            },
        };
        let company = match self.company_id {
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
            Change::Set(id) => match account.company(id) {
                Some(company) => Change::Set(company.summary()),
                None => {
                    errors.push(("company_id".to_owned(), "must exist".to_owned()));
                    Change::Keep
                }
            },
        };
        if errors.is_empty() {
            Ok((agent, company))
        } else {
            Err(Refusal::Fields(errors))
        }
    }
}

/// The exact amount of `value`: a string of digits, or a JSON number read
/// again from the raw body's text (top-level member `lead_value`).
fn exact_amount(value: &Value, raw: &[u8]) -> Option<Decimal> {
    match value {
        Value::String(text) => decimal(text),
        Value::Number(_) => {
            let members: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(raw).ok()?;
            decimal(members.get("lead_value")?.get())
        }
        _ => None,
    }
}

/// How a timeline names a lead: `Lead 'NAME'`, or `Lead #ID` when it has
/// no name.
fn lead_label(lead: &MockLead) -> String {
    match &lead.custom_name {
        Some(name) => format!("Lead '{name}'"),
        None => format!("Lead #{}", lead.id),
    }
}

impl Store {
    /// Makes a lead from a `LeadCreate`: status `open`, the next id, made
    /// now; `lead_created` on its company's timeline. The lead as the API
    /// answers it.
    pub(crate) fn create_lead(
        &mut self,
        account_id: i64,
        input: LeadInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_lead", |write| {
            let lead = input.new_lead(write)?;
            let entry = Entry {
                lead_ids: vec![lead.id],
                company_ids: lead.company.iter().map(|c| c.id).collect(),
                created_id: Some(lead.id),
                name: lead.custom_name.clone(),
                ..Entry::one()
            };
            if let Some(company) = &lead.company {
                let description = format!("{} was created.", lead_label(&lead));
                write.event(company.id, "lead_created", description);
            }
            let json = lead.to_json();
            // The largest id yet: the leads stay in id order.
            write.account.leads.push(lead);
            Ok((json, entry))
        })
    }

    /// Changes a lead as a `LeadUpdate` says (left out: kept; `null`:
    /// cleared); `updated_at` moves on even when nothing else does, as the
    /// document says. `lead_updated` on the timeline of the company it is
    /// in, before and after.
    pub(crate) fn update_lead(
        &mut self,
        account_id: i64,
        lead_id: i64,
        input: LeadInput,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "update_lead", |write| {
            if write.account.lead(lead_id).is_none() {
                return Err(Refusal::NotFound);
            }
            let (agent, company) = input.references(write.account)?;
            let now = write.now;
            let lead = write.lead_mut(lead_id).ok_or(Refusal::NotFound)?;
            let before = lead.company.as_ref().map(|c| c.id);
            input.custom_name.apply(&mut lead.custom_name);
            input.lead_value.apply(&mut lead.lead_value);
            input.lead_currency.apply(&mut lead.lead_currency);
            input.position.apply(&mut lead.position);
            input.conversation_id.apply(&mut lead.conversation_id);
            agent.apply(&mut lead.assigned_agent);
            company.apply(&mut lead.company);
            if let Some(attributes) = input.custom_attributes {
                lead.custom_attributes = attributes;
            }
            lead.updated_at = now;
            let lead = lead.clone();
            let mut concerned: Vec<i64> = before.into_iter().collect();
            if let Some(after) = lead.company.as_ref().map(|c| c.id)
                && Some(after) != before
            {
                concerned.push(after);
            }
            let changed = if input.sent.is_empty() {
                "nothing changed".to_owned()
            } else {
                input.sent.join(", ")
            };
            for company_id in &concerned {
                let description = format!("{} was updated ({changed}).", lead_label(&lead));
                write.event(*company_id, "lead_updated", description);
            }
            let entry = Entry {
                lead_ids: vec![lead_id],
                company_ids: concerned,
                name: lead.custom_name.clone(),
                ..Entry::one()
            };
            Ok((lead.to_json(), entry))
        })
    }

    /// Deletes a lead, with its notes and cards; `lead_deleted` on its
    /// company's timeline.
    pub(crate) fn delete_lead(&mut self, account_id: i64, lead_id: i64) -> Result<(), Refusal> {
        self.change(account_id, "delete_lead", |write| {
            let account = &mut *write.account;
            let index = account
                .leads
                .binary_search_by_key(&lead_id, |l| l.id)
                .map_err(|_| Refusal::NotFound)?;
            let lead = account.leads.remove(index);
            drop_cards(account, |c| c.lead_id == lead_id);
            let note_ids = account
                .notes
                .iter()
                .filter(|n| n.lead_id == lead_id)
                .map(|n| n.id)
                .collect();
            account.notes.retain(|n| n.lead_id != lead_id);
            if let Some(company) = &lead.company {
                let description = format!("{} was deleted.", lead_label(&lead));
                write.event(company.id, "lead_deleted", description);
            }
            let entry = Entry {
                lead_ids: vec![lead_id],
                company_ids: lead.company.iter().map(|c| c.id).collect(),
                note_ids,
                name: lead.custom_name,
                ..Entry::one()
            };
            Ok(((), entry))
        })
    }

    /// Adds a note to a lead, by the token's user, now; the note as the API
    /// answers it. A blank `content` (spaces only: the routes refuse an
    /// empty one) is refused as the model refuses it.
    pub(crate) fn create_note(
        &mut self,
        account_id: i64,
        lead_id: i64,
        content: &str,
    ) -> Result<Value, Refusal> {
        self.change(account_id, "create_lead_note", |write| {
            if write.account.lead(lead_id).is_none() {
                return Err(Refusal::NotFound);
            }
            if content.trim().is_empty() {
                return Err(Refusal::field("content", "can't be blank"));
            }
            let note = Note {
                id: write.ids.note(),
                lead_id,
                content: content.to_owned(),
                author: Some(write.user.clone()),
                created_at: write.now,
            };
            let entry = Entry {
                lead_ids: vec![lead_id],
                note_ids: vec![note.id],
                created_id: Some(note.id),
                name: Some(note.content.clone()),
                ..Entry::one()
            };
            let json = note.to_json();
            write.account.notes.push(note);
            Ok((json, entry))
        })
    }
}

/// Sets every lead of the company `company_id` to `company` (its summary
/// now, or none): leads show their company as it is.
pub(crate) fn set_company_of_leads(
    write: &mut Write<'_>,
    company_id: i64,
    company: Option<&Company>,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for lead in &mut write.account.leads {
        if lead.company.as_ref().is_some_and(|c| c.id == company_id) {
            lead.company = company.cloned();
            ids.push(lead.id);
        }
    }
    ids
}
