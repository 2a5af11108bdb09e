//! [`SetLeadStatus`]: change a lead's status (`update_lead_status`).

use voxys_connect_api::types::Lead;
use voxys_connect_api::{LeadStatus, LeadStatusUpdate, NotesChange};

use crate::client::Client;
use crate::error::Result;
use crate::pipeline::Call;

/// A request to change a lead's status, and maybe its notes
/// (`PATCH /api/v1/accounts/{account_id}/leads/{id}/status`); made by
/// [`Leads::set_status`](crate::leads::Leads::set_status).
///
/// The notes are left as they are unless [`notes`](SetLeadStatus::notes)
/// replaces or [`clear_notes`](SetLeadStatus::clear_notes) clears them.
///
/// **Repeating it** gives the same result: the lead ends with that status and
/// those notes. So it is retried like a read (429, 502-504, timeouts,
/// connections lost).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::LeadStatus;
///
/// let lead = client
///     .leads(1)
///     .set_status(42, LeadStatus::Won)
///     .notes("invoice paid")
///     .send()
///     .await?;
/// assert_eq!(lead.status, LeadStatus::Won);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct SetLeadStatus {
    client: Client,
    account_id: i64,
    lead_id: i64,
    update: LeadStatusUpdate,
}

impl SetLeadStatus {
    pub(crate) fn new(
        client: Client,
        account_id: i64,
        lead_id: i64,
        status: LeadStatus,
    ) -> SetLeadStatus {
        SetLeadStatus {
            client,
            account_id,
            lead_id,
            update: LeadStatusUpdate::new(status),
        }
    }

    /// Replaces the lead's notes with `text`.
    pub fn notes(mut self, text: impl Into<String>) -> SetLeadStatus {
        self.update = self.update.notes(NotesChange::Set(text.into()));
        self
    }

    /// Clears the lead's notes (sends `"notes": null`).
    pub fn clear_notes(mut self) -> SetLeadStatus {
        self.update = self.update.notes(NotesChange::Clear);
        self
    }

    /// Sends the change; the lead as it is now.
    pub async fn send(self) -> Result<Lead> {
        let request = self
            .client
            .api()
            .update_lead_status()
            .account_id(self.account_id)
            .id(self.lead_id)
            .body(self.update.clone())
            .send();
        Ok(self
            .client
            .send("update_lead_status", Call::default(), request)
            .await?
            .value)
    }
}
