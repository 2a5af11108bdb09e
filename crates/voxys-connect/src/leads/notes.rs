//! A lead's notes: [`LeadNotes`], and [`CreateNote`], which adds one exactly
//! once.

use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::Timestamp;
use voxys_connect_api::types::{Note, NoteCreate, NoteCreateContent};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record};
use crate::error::{Error, Result};
use crate::leads::DEFAULT_SETTLE_AFTER;
use crate::pipeline::Call;
use crate::request::Request;

/// The notes of one lead; made by [`Leads::notes`](crate::leads::Leads::notes).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let notes = client.leads(1).notes(42);
/// notes.create("Called, left a voicemail").send().await?;
/// for note in notes.list().send().await? {
///     let author = note.author.as_ref().map_or("?", |a| a.name.as_str());
///     println!("{} {author}: {}", note.created_at, note.content);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct LeadNotes {
    client: Client,
    account_id: i64,
    lead_id: i64,
}

impl LeadNotes {
    pub(crate) fn new(client: Client, account_id: i64, lead_id: i64) -> LeadNotes {
        LeadNotes {
            client,
            account_id,
            lead_id,
        }
    }

    /// A request for every note of the lead, newest first (`list_lead_notes`;
    /// not paged).
    pub fn list(&self) -> Request<Vec<Note>> {
        let (account, lead) = (self.account_id, self.lead_id);
        Request::new(&self.client, "list_lead_notes", move |c| async move {
            c.api()
                .list_lead_notes()
                .account_id(account)
                .lead_id(lead)
                .send()
                .await
        })
    }

    /// A request to add a note with this text, written by the token's user,
    /// exactly once; see [`CreateNote`].
    pub fn create(&self, content: impl Into<String>) -> CreateNote {
        CreateNote {
            notes: self.clone(),
            content: content.into(),
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }
}

/// A request to add a note to a lead
/// (`POST /api/v1/accounts/{account_id}/leads/{lead_id}/notes`); made by
/// [`LeadNotes::create`].
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it looks among the lead's notes for
/// one with the same text made after the attempt began, and not claimed by
/// another create of this client. (Another agent writing the same text on
/// the same lead in the same moment would look like it: the author is not
/// compared, since the client does not know the token's user.)
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateNote {
    notes: LeadNotes,
    content: String,
    settle_after: Duration,
}

impl CreateNote {
    /// When an answer was lost and no note is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> CreateNote {
        self.settle_after = wait;
        self
    }

    /// Adds the note; the note made.
    pub async fn send(self) -> Result<Note> {
        let content = NoteCreateContent::try_from(self.content.clone()).map_err(|_| {
            Error::InvalidParameter {
                name: "content",
                value: format!("{:?}", self.content),
                expected: "the note's text, not empty".to_owned(),
            }
        })?;
        let notes = &self.notes;
        let client = &notes.client;
        let request = client
            .api()
            .create_lead_note()
            .account_id(notes.account_id)
            .lead_id(notes.lead_id)
            .body(NoteCreate::new(content))
            .send();
        let looker = notes.clone();
        let text = self.content.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            client,
            Create {
                kind: Kind {
                    one: "note",
                    many: "notes",
                },
                action: format!("adding a note to lead {}", notes.lead_id),
                look: format!(
                    "look among the lead's notes for this text (Client::leads({}).notes({}).list(), or `voxys leads notes {}`)",
                    notes.account_id, notes.lead_id, notes.lead_id
                ),
                identifying: true,
                candidates: Box::new(move |_| {
                    let list = looker.list();
                    Box::pin(list.send())
                }),
                matches: Arc::new(move |note: &Note| note.content == text),
                settle_after: self.settle_after,
            },
        );
        let note: Note = client
            .send("create_lead_note", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(note.id);
        Ok(note)
    }
}

impl Record for Note {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}
