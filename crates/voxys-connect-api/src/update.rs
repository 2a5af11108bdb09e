//! The bodies of the updates ([`LeadUpdate`], [`CompanyUpdate`],
//! [`FunnelUpdate`], [`StageUpdate`], [`CardUpdate`], [`TaskUpdate`]), whose
//! nullable members mean three things; and [`Change`], the value of one such
//! member.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{Amount, ChatwootStatus, TaskPriority, Timestamp};

/// What an update does to one nullable member: leave it, clear it, or set it.
///
/// On the wire these are three different bodies: the member left out, the
/// member sent as `null`, the member sent with a value. A plain `Option` can
/// hold only two of them, so the update bodies use this instead.
///
/// ```
/// use voxys_connect_api::{Change, LeadUpdate};
///
/// let mut update = LeadUpdate::default();
/// assert_eq!(serde_json::to_string(&update).unwrap(), "{}");
/// update.lead_currency = Change::Clear;
/// update.custom_name = Change::Set("Q4 renewal".into());
/// assert_eq!(
///     serde_json::to_string(&update).unwrap(),
///     r#"{"custom_name":"Q4 renewal","lead_currency":null}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Change<T> {
    /// Leave the member as it is: it is not sent.
    #[default]
    Keep,
    /// Clear it: it is sent as `null`.
    Clear,
    /// Set it to this value.
    Set(T),
}

impl<T> Change<T> {
    /// Whether the member stays as it is (it is left out of the body).
    pub fn is_keep(&self) -> bool {
        matches!(self, Change::Keep)
    }

    /// `Set(value)` for `Some(value)`, `Clear` for `None`.
    pub fn from_option(value: Option<T>) -> Change<T> {
        match value {
            Some(value) => Change::Set(value),
            None => Change::Clear,
        }
    }
}

impl<T: Serialize> Serialize for Change<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // `Keep` is left out by the struct (`skip_serializing_if`); alone,
            // there is nothing else to write.
            Change::Keep | Change::Clear => serializer.serialize_none(),
            Change::Set(value) => value.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Change<T> {
    /// `null` is [`Change::Clear`], a value [`Change::Set`]; a missing member
    /// is [`Change::Keep`] (through `#[serde(default)]`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Change::from_option(Option::<T>::deserialize(deserializer)?))
    }
}

/// A change to a lead: the body of `PATCH
/// /api/v1/accounts/{account_id}/leads/{id}`. Each member is left out unless
/// set; see [`Change`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LeadUpdate {
    /// The lead's name.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub custom_name: Change<String>,
    /// The lead's value, an exact decimal.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub lead_value: Change<Amount>,
    /// The ISO 4217 code of its currency.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub lead_currency: Change<String>,
    /// The agent (a user id) it is assigned to; `Clear` unassigns it.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub assigned_agent_id: Change<i64>,
    /// Its position in the board's ordering.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub position: Change<i64>,
    /// The conversation it comes from.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub conversation_id: Change<i64>,
    /// The company it belongs to; `Clear` takes it out of its company.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub company_id: Change<i64>,
    /// Account-defined attributes, replaced as a whole when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
}

impl LeadUpdate {
    /// Whether the update changes nothing (every member is left out).
    pub fn is_empty(&self) -> bool {
        *self == LeadUpdate::default()
    }
}

/// A change to a company: the body of `PATCH
/// /api/v1/accounts/{account_id}/companies/{id}`. Each member is left out
/// unless set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CompanyUpdate {
    /// The company's new name (not nullable: a company always has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its web domain.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub domain: Change<String>,
    /// What it does.
    #[serde(default, skip_serializing_if = "Change::is_keep")]
    pub description: Change<String>,
    /// Account-defined attributes, replaced as a whole when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
}

impl CompanyUpdate {
    /// Whether the update changes nothing (every member is left out).
    pub fn is_empty(&self) -> bool {
        *self == CompanyUpdate::default()
    }
}

/// Whether a member of an update body is left out of the JSON.
trait LeftOut {
    fn left_out(&self) -> bool;
}

impl<T> LeftOut for Option<T> {
    fn left_out(&self) -> bool {
        self.is_none()
    }
}

impl<T> LeftOut for Change<T> {
    fn left_out(&self) -> bool {
        self.is_keep()
    }
}

/// Defines an update body: its optional (`Option`, left out when `None`)
/// and nullable (`Change`) members, and `is_empty`.
macro_rules! update_body {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$fmeta:meta])* $field:ident: $kind:ident<$ty:ty>,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "LeftOut::left_out")]
                pub $field: $kind<$ty>,
            )+
        }

        impl $name {
            /// Whether the update changes nothing (every member is left out).
            pub fn is_empty(&self) -> bool {
                *self == $name::default()
            }
        }
    };
}

update_body! {
    /// A change to a funnel (pipeline): the body of `PATCH
    /// /api/v1/accounts/{account_id}/funnels/{id}`. Each member is left out
    /// unless set.
    FunnelUpdate {
        /// The new name (a funnel always has one).
        name: Option<String>,
        /// What it is for.
        description: Change<String>,
        /// Its color, as `#RRGGBB`.
        color: Change<String>,
        /// Its place among the account's funnels.
        position: Change<i64>,
        /// Whether every agent sees it.
        is_public: Option<bool>,
        /// Whether it is in use.
        is_active: Option<bool>,
    }
}

update_body! {
    /// A change to a stage: the body of `PATCH
    /// /api/v1/accounts/{account_id}/funnels/{id}/stages/{stage_id}`.
    StageUpdate {
        /// The new name.
        name: Option<String>,
        /// Its color.
        color: Change<String>,
        /// Its place in the funnel (the others move to make room; a stage
        /// always has one).
        position: Option<i64>,
        /// The status it gives its cards' conversations.
        chatwoot_status: Change<ChatwootStatus>,
    }
}

update_body! {
    /// A change to a card and its lead: the body of `PATCH
    /// /api/v1/accounts/{account_id}/funnels/{id}/cards/{card_id}`.
    CardUpdate {
        /// The stage to move it to.
        funnel_stage_id: Change<i64>,
        /// Its place in the stage.
        position: Change<i64>,
        /// Its lead's name.
        custom_name: Change<String>,
        /// Its lead's value, an exact decimal.
        lead_value: Change<Amount>,
        /// Its lead's currency.
        lead_currency: Change<String>,
        /// Its lead's agent; `Clear` unassigns it.
        assigned_agent_id: Change<i64>,
    }
}

update_body! {
    /// A change to a follow-up task: the body of `PATCH
    /// /api/v1/accounts/{account_id}/follow_up_tasks/{id}`.
    TaskUpdate {
        /// The new title.
        title: Option<String>,
        /// More about it.
        description: Change<String>,
        /// When it is due; `Clear` for no date.
        due_at: Change<Timestamp>,
        /// How urgent it is.
        priority: Option<TaskPriority>,
        /// The agent it is for; `Clear` for no one.
        assigned_to_id: Change<i64>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_meaning_reads_back_as_itself() {
        for (json, domain) in [
            (r#"{}"#, Change::Keep),
            (r#"{"domain":null}"#, Change::Clear),
            (r#"{"domain":"acme.io"}"#, Change::Set("acme.io".to_owned())),
        ] {
            let update: CompanyUpdate = serde_json::from_str(json).unwrap();
            assert_eq!(update.domain, domain, "{json}");
            assert_eq!(serde_json::to_string(&update).unwrap(), json);
        }
    }

    #[test]
    fn an_amount_is_sent_exactly() {
        let update = LeadUpdate {
            lead_value: Change::Set("18000.50".parse().unwrap()),
            ..LeadUpdate::default()
        };
        let json = serde_json::to_string(&update).unwrap();
        assert_eq!(json, r#"{"lead_value":18000.5}"#);
    }
}
