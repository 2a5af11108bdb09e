//! [`LeadStatusUpdate`]: the body of `update_lead_status`, whose `notes` has
//! three meanings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::LeadStatus;

/// A lead's new status, and what becomes of its notes: the body of
/// `PATCH /api/v1/accounts/{account_id}/leads/{id}/status`.
///
/// `notes` means three things on the wire, each written as such: left out
/// (the notes stay as they are), `null` (they are cleared), or a string (they
/// are replaced). A plain `Option` can say only two of them, so this type
/// stands in for the generated one.
///
/// ```
/// use voxys_connect_api::{LeadStatus, LeadStatusUpdate, NotesChange};
///
/// let keep = LeadStatusUpdate::new(LeadStatus::Won);
/// assert_eq!(serde_json::to_string(&keep).unwrap(), r#"{"status":"won"}"#);
/// let clear = keep.clone().notes(NotesChange::Clear);
/// assert_eq!(serde_json::to_string(&clear).unwrap(), r#"{"status":"won","notes":null}"#);
/// let set = keep.notes(NotesChange::Set("paid".into()));
/// assert_eq!(serde_json::to_string(&set).unwrap(), r#"{"status":"won","notes":"paid"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeadStatusUpdate {
    /// The new status.
    pub status: LeadStatus,
    /// What becomes of the notes.
    #[serde(default, skip_serializing_if = "NotesChange::is_keep")]
    pub notes: NotesChange,
}

impl LeadStatusUpdate {
    /// The new status, the notes left as they are.
    pub fn new(status: LeadStatus) -> LeadStatusUpdate {
        LeadStatusUpdate {
            status,
            notes: NotesChange::Keep,
        }
    }

    /// What becomes of the notes.
    pub fn notes(mut self, notes: NotesChange) -> LeadStatusUpdate {
        self.notes = notes;
        self
    }
}

/// What a status change does to a lead's notes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotesChange {
    /// Leave them as they are: `notes` is not sent.
    #[default]
    Keep,
    /// Clear them: `"notes": null`.
    Clear,
    /// Replace them with this text.
    Set(String),
}

impl NotesChange {
    /// Whether the notes stay as they are (`notes` is left out).
    pub fn is_keep(&self) -> bool {
        matches!(self, NotesChange::Keep)
    }
}

impl Serialize for NotesChange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Left out by the struct; alone, there is nothing else to write.
            NotesChange::Keep | NotesChange::Clear => serializer.serialize_none(),
            NotesChange::Set(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for NotesChange {
    /// `null` is [`NotesChange::Clear`], a string [`NotesChange::Set`]; a
    /// missing member is [`NotesChange::Keep`] (through `#[serde(default)]`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)? {
            None => NotesChange::Clear,
            Some(text) => NotesChange::Set(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_meaning_reads_back_as_itself() {
        for (json, notes) in [
            (r#"{"status":"lost"}"#, NotesChange::Keep),
            (r#"{"status":"lost","notes":null}"#, NotesChange::Clear),
            (
                r#"{"status":"lost","notes":"x"}"#,
                NotesChange::Set("x".into()),
            ),
        ] {
            let update: LeadStatusUpdate = serde_json::from_str(json).unwrap();
            assert_eq!(update.notes, notes, "{json}");
            assert_eq!(serde_json::to_string(&update).unwrap(), json);
        }
    }
}
