//! The records of the Companies section and of a lead's notes, as the mock
//! holds them: companies, contacts, notes and timeline events, and the JSON
//! the API sends for each (every documented member, `null` where empty).
//!
//! Like [`MockLead`](crate::MockLead), they are the mock's own types, not
//! the SDK's: tests compare what a client decoded with this JSON, two
//! independent readings of the document.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::data::{Agent, Company, timestamp_json};

/// A company as the mock holds it: every member the API shows but
/// `contacts_count`, which is counted from the account's contacts when the
/// company is sent ([`Account::company_json`](crate::Account::company_json)).
///
/// Leads show a company in short ([`Company`]: id, name, domain); the mock
/// keeps those in step with this record when it changes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MockCompany {
    /// The company's id.
    pub id: i64,
    /// Its name; never blank.
    pub name: String,
    /// Its web domain.
    pub domain: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Account-defined attributes.
    pub custom_attributes: Map<String, Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl MockCompany {
    /// The company in short, as a lead shows it (`CompanySummary`).
    pub fn summary(&self) -> Company {
        Company {
            id: self.id,
            name: self.name.clone(),
            domain: self.domain.clone(),
        }
    }

    /// The company as the API sends it (`Company`), with this many contacts.
    pub fn to_json(&self, contacts_count: u64) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "description": self.description,
            "custom_attributes": self.custom_attributes,
            "contacts_count": contacts_count,
            "created_at": timestamp_json(self.created_at),
            "updated_at": timestamp_json(self.updated_at),
        })
    }
}

/// A contact (a customer) of an account. A contact is in one company at
/// most.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    pub id: i64,
    /// Its name (Chatwoot lets a contact have none).
    pub name: Option<String>,
    /// Its email address.
    pub email: Option<String>,
    /// Its phone number, in E.164.
    pub phone_number: Option<String>,
    /// Its avatar's URL; may be empty.
    pub avatar_url: Option<String>,
    /// The company it is in, if any (the API does not show it; the
    /// company's contacts list does).
    pub company_id: Option<i64>,
}

impl Contact {
    /// The contact as the API sends it (`Contact`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone_number": self.phone_number,
            "avatar_url": self.avatar_url,
        })
    }
}

/// A note on a lead.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Note {
    /// The note's id.
    pub id: i64,
    /// The lead it is on (the API does not show it: notes are listed by
    /// lead).
    pub lead_id: i64,
    /// Its text; never blank.
    pub content: String,
    /// Who wrote it; `None` when the user is gone. Notes the mock writes
    /// have the token's user ([`Dataset::user`](crate::Dataset::user)).
    pub author: Option<Agent>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

impl Note {
    /// The note as the API sends it (`Note`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "content": self.content,
            "author": self.author.as_ref().map(Agent::to_json),
            "created_at": timestamp_json(self.created_at),
        })
    }
}

/// Something that happened to a company, as its timeline shows it.
///
/// The reference names a few kinds (`lead_created`, `company_updated`,
/// `companies_merged`, `contact_added`) and says nothing of when each is
/// written; the mock's choice is listed in the crate's documentation
/// ("Where the mock guesses").
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TimelineEvent {
    /// The event's id.
    pub id: i64,
    /// The company whose timeline it is on (a merge moves the source's
    /// events to the target).
    pub company_id: i64,
    /// What happened, such as `company_created` or `companies_merged`.
    pub event_type: String,
    /// The event, in words.
    pub description: Option<String>,
    /// Who did it; `None` for the system.
    pub actor: Option<Agent>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

impl TimelineEvent {
    /// The event as the API sends it (`TimelineEvent`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "event_type": self.event_type,
            "description": self.description,
            "actor": self.actor.as_ref().map(Agent::to_json),
            "occurred_at": timestamp_json(self.occurred_at),
        })
    }
}

/// Something that happened to a card, as its history shows it
/// (`CardEvent`).
///
/// The mock writes `created` (with `to_stage`), `stage_changed` (with
/// `from_stage` and `to_stage`, stage names) and `updated` (naming the
/// members sent in its `description`), by the token's user; generated cards
/// have a `created` event with no actor (`null`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct CardEvent {
    /// The event's id.
    pub id: i64,
    /// The card it is about (the API does not show it: a card's history is
    /// listed by card).
    pub card_id: i64,
    /// What happened: `created`, `stage_changed` or `updated`.
    pub event_type: String,
    /// The event, in words.
    pub description: Option<String>,
    /// The name of the stage the card left (`stage_changed`).
    pub from_stage: Option<String>,
    /// The name of the stage the card went to (`stage_changed`, `created`).
    pub to_stage: Option<String>,
    /// Who did it; `None` for the system.
    pub actor: Option<Agent>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

impl CardEvent {
    /// The event as the API sends it (`CardEvent`).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "event_type": self.event_type,
            "description": self.description,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "actor": self.actor.as_ref().map(Agent::to_json),
            "occurred_at": timestamp_json(self.occurred_at),
        })
    }
}

/// A follow-up task (`Task`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Task {
    /// The task's id.
    pub id: i64,
    /// What to do; never blank.
    pub title: String,
    /// More about it.
    pub description: Option<String>,
    /// `pending`, `completed` or `snoozed`.
    pub status: String,
    /// `low`, `medium` or `high`.
    pub priority: String,
    /// When it is due; `None` for no date.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was completed; `None` unless completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// The kind of record it is about (`Lead`, `FunnelCard`,
    /// `Conversation`, `Contact`); `None` for none.
    pub taskable_type: Option<String>,
    /// The record it is about.
    pub taskable_id: Option<i64>,
    /// The agent it is for.
    pub assigned_to: Option<Agent>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Task {
    /// The task as the API sends it (`Task`): every member, `null` where
    /// empty.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "priority": self.priority,
            "due_at": self.due_at.map(timestamp_json),
            "completed_at": self.completed_at.map(timestamp_json),
            "taskable_type": self.taskable_type,
            "taskable_id": self.taskable_id,
            "assigned_to": self.assigned_to.as_ref().map(Agent::to_json),
            "created_at": timestamp_json(self.created_at),
            "updated_at": timestamp_json(self.updated_at),
        })
    }

    /// Whether the task is about this record.
    pub fn is_about(&self, taskable_type: &str, taskable_id: i64) -> bool {
        self.taskable_type.as_deref() == Some(taskable_type)
            && self.taskable_id == Some(taskable_id)
    }
}

/// A conversation of the account, as the CRM panel sees it: the lead and
/// the card linked to it. (Conversations are Chatwoot's; the API only
/// reads and links them.)
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conversation {
    /// The conversation's id.
    pub id: i64,
    /// The lead linked to it, if any.
    pub linked_lead_id: Option<i64>,
    /// The card (deal) linked to it, if any.
    pub linked_card_id: Option<i64>,
}
