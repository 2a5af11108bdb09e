//! [`UpdateLead`]: change a lead's members (`update_lead`).

use serde_json::{Map, Value};
use voxys_connect_api::types::Lead;
use voxys_connect_api::{Amount, Change, LeadUpdate};

use crate::client::Client;
use crate::error::Result;
use crate::leads::positive_id;
use crate::pipeline::Call;

/// A request to change a lead (`PATCH /api/v1/accounts/{account_id}/leads/{id}`);
/// made by [`Leads::update`](crate::leads::Leads::update).
///
/// Each member is left as it is unless a method sets it or clears it: a
/// cleared member is sent as `null`, one left alone is not sent at all. (Its
/// status has its own request, [`Leads::set_status`](crate::leads::Leads::set_status).)
///
/// **Repeating it** gives the same lead, so it is retried like a read.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let lead = client
///     .leads(1)
///     .update(42)
///     .name("Acme renewal, 2027")
///     .value("18000".parse()?)
///     .unassign() // sends "assigned_agent_id": null
///     .send()
///     .await?;
/// assert!(lead.assigned_agent.is_none());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateLead {
    client: Client,
    account_id: i64,
    lead_id: i64,
    changes: LeadUpdate,
}

impl UpdateLead {
    pub(crate) fn new(client: Client, account_id: i64, lead_id: i64) -> UpdateLead {
        UpdateLead {
            client,
            account_id,
            lead_id,
            changes: LeadUpdate::default(),
        }
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> UpdateLead {
        self.changes.custom_name = Change::Set(name.into());
        self
    }

    /// Clears the name.
    pub fn clear_name(mut self) -> UpdateLead {
        self.changes.custom_name = Change::Clear;
        self
    }

    /// A new value, an exact decimal.
    pub fn value(mut self, value: Amount) -> UpdateLead {
        self.changes.lead_value = Change::Set(value);
        self
    }

    /// Clears the value.
    pub fn clear_value(mut self) -> UpdateLead {
        self.changes.lead_value = Change::Clear;
        self
    }

    /// A new currency (an ISO 4217 code).
    pub fn currency(mut self, code: impl Into<String>) -> UpdateLead {
        self.changes.lead_currency = Change::Set(code.into());
        self
    }

    /// Clears the currency.
    pub fn clear_currency(mut self) -> UpdateLead {
        self.changes.lead_currency = Change::Clear;
        self
    }

    /// Assigns the lead to the agent with this user id.
    pub fn agent(mut self, agent_id: i64) -> UpdateLead {
        self.changes.assigned_agent_id = Change::Set(agent_id);
        self
    }

    /// Unassigns the lead.
    pub fn unassign(mut self) -> UpdateLead {
        self.changes.assigned_agent_id = Change::Clear;
        self
    }

    /// A new position in the board's ordering.
    pub fn position(mut self, position: i64) -> UpdateLead {
        self.changes.position = Change::Set(position);
        self
    }

    /// Clears the position.
    pub fn clear_position(mut self) -> UpdateLead {
        self.changes.position = Change::Clear;
        self
    }

    /// Links the lead to a conversation.
    pub fn conversation(mut self, conversation_id: i64) -> UpdateLead {
        self.changes.conversation_id = Change::Set(conversation_id);
        self
    }

    /// Unlinks the lead from its conversation.
    pub fn clear_conversation(mut self) -> UpdateLead {
        self.changes.conversation_id = Change::Clear;
        self
    }

    /// Moves the lead to a company.
    pub fn company(mut self, company_id: i64) -> UpdateLead {
        self.changes.company_id = Change::Set(company_id);
        self
    }

    /// Takes the lead out of its company.
    pub fn clear_company(mut self) -> UpdateLead {
        self.changes.company_id = Change::Clear;
        self
    }

    /// Replaces the account-defined attributes as a whole.
    pub fn custom_attributes(mut self, attributes: Map<String, Value>) -> UpdateLead {
        self.changes.custom_attributes = Some(attributes);
        self
    }

    /// Every change at once, replacing those set before (for changes decided
    /// at run time).
    pub fn changes(mut self, changes: LeadUpdate) -> UpdateLead {
        self.changes = changes;
        self
    }

    /// Sends the changes; the lead as it is now.
    pub async fn send(self) -> Result<Lead> {
        for (name, change) in [
            ("agent", &self.changes.assigned_agent_id),
            ("conversation", &self.changes.conversation_id),
            ("company", &self.changes.company_id),
        ] {
            if let Change::Set(id) = change {
                positive_id(name, Some(*id))?;
            }
        }
        let request = self
            .client
            .api()
            .update_lead()
            .account_id(self.account_id)
            .id(self.lead_id)
            .body(self.changes.clone())
            .send();
        Ok(self
            .client
            .send("update_lead", Call::default(), request)
            .await?
            .value)
    }
}
