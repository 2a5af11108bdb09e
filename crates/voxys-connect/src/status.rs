//! [`SetStatus`]: change a lead's status (`update_lead_status`).

use voxys_connect_api::types::Lead;
use voxys_connect_api::{LeadStatus, LeadStatusUpdate, NotesChange};

use crate::client::{Client, request_span};
use crate::error::Result;
use crate::leads::positive_id;

/// A request to change a lead's status, and maybe its notes
/// (`PATCH /api/v1/accounts/{account_id}/leads/{id}/status`); made by
/// [`Leads::set_status`](crate::Leads::set_status).
///
/// The notes are left as they are unless [`notes`](SetStatus::notes) replaces
/// or [`clear_notes`](SetStatus::clear_notes) clears them.
///
/// **Repeating it** gives the same result: the lead ends with that status and
/// those notes. So it is retried like a read (429, 502-504, timeouts,
/// connections lost).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::LeadStatus;
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
pub struct SetStatus {
    client: Client,
    account_id: i64,
    lead_id: i64,
    update: LeadStatusUpdate,
}

impl SetStatus {
    pub(crate) fn new(
        client: Client,
        account_id: i64,
        lead_id: i64,
        status: LeadStatus,
    ) -> SetStatus {
        SetStatus {
            client,
            account_id,
            lead_id,
            update: LeadStatusUpdate::new(status),
        }
    }

    /// Replaces the lead's notes with `text`.
    pub fn notes(mut self, text: impl Into<String>) -> SetStatus {
        self.update = self.update.notes(NotesChange::Set(text.into()));
        self
    }

    /// Clears the lead's notes (sends `"notes": null`).
    pub fn clear_notes(mut self) -> SetStatus {
        self.update = self.update.notes(NotesChange::Clear);
        self
    }

    /// Sends the change; the lead as it is now.
    pub async fn send(self) -> Result<Lead> {
        positive_id("account_id", Some(self.account_id))?;
        positive_id("lead_id", Some(self.lead_id))?;
        const OPERATION: &str = "update_lead_status";
        let (account_id, lead_id, update) = (self.account_id, self.lead_id, &self.update);
        let called = self
            .client
            .call(
                OPERATION,
                |attempt| {
                    request_span!(
                        OPERATION,
                        attempt,
                        account_id = account_id,
                        lead_id = lead_id
                    )
                },
                |client| async move {
                    client
                        .api()
                        .update_lead_status()
                        .account_id(account_id)
                        .id(lead_id)
                        .body(update.clone())
                        .send()
                        .await
                },
            )
            .await?;
        Ok(called.value)
    }
}
