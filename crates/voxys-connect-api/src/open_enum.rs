//! Open enums: the API's enumerated strings that may gain values
//! ([`TaskStatus`], [`TaskPriority`], [`TaskableType`], [`ChatwootStatus`]).
//! A value this crate does not know decodes as `Unknown` and keeps its wire
//! spelling, as [`LeadStatus`](crate::LeadStatus) does.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value of an open enum that this crate does not know yet, as the API
/// spelled it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// The value as the API spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Defines an open enum: its known values (variant, wire spelling, doc) and
/// `Unknown`, with `as_str`, `Display`, `FromStr` (never failing), serde
/// and a JSON schema.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value added to the API after this crate: its wire spelling.
            Unknown(UnknownValue),
        }

        impl $name {
            /// Every value this crate knows.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)+];

            /// The value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(value) => value.as_str(),
                }
            }

            /// Whether this crate knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            fn from_wire(value: Cow<'_, str>) -> $name {
                match value.as_ref() {
                    $($wire => $name::$variant,)+
                    _ => $name::Unknown(UnknownValue(value.into_owned())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            /// Never fails: a value that is not known becomes `Unknown`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::from_wire(Cow::Borrowed(s)))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::from_wire(Cow::Borrowed(s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = Cow::<str>::deserialize(deserializer)?;
                Ok($name::from_wire(value))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    metadata: Some(Box::new(schemars::schema::Metadata {
                        description: Some($what.to_owned()),
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

open_enum! {
    /// Where a follow-up task stands.
    ///
    /// ```
    /// use voxys_connect_api::TaskStatus;
    ///
    /// assert_eq!("snoozed".parse::<TaskStatus>().unwrap(), TaskStatus::Snoozed);
    /// let later: TaskStatus = serde_json::from_str(r#""archived""#).unwrap();
    /// assert!(!later.is_known());
    /// assert_eq!(serde_json::to_string(&later).unwrap(), r#""archived""#);
    /// ```
    TaskStatus, "Where a task stands: pending, completed, snoozed, or a status added later." {
        /// To do.
        Pending = "pending",
        /// Done.
        Completed = "completed",
        /// Put off to a later `due_at`.
        Snoozed = "snoozed",
    }
}

open_enum! {
    /// How urgent a follow-up task is.
    TaskPriority, "How urgent a task is: low, medium, high, or a priority added later." {
        /// Low.
        Low = "low",
        /// Medium (the API's default).
        Medium = "medium",
        /// High.
        High = "high",
    }
}

open_enum! {
    /// The kind of record a follow-up task is about.
    TaskableType, "The kind of record a task is about: Lead, FunnelCard, Conversation, Contact, or a kind added later." {
        /// A lead.
        Lead = "Lead",
        /// A card (a deal) of a pipeline.
        FunnelCard = "FunnelCard",
        /// A conversation.
        Conversation = "Conversation",
        /// A contact.
        Contact = "Contact",
    }
}

open_enum! {
    /// The status a pipeline stage gives its cards' conversations.
    ChatwootStatus, "The status a stage gives its cards' conversations: open, resolved, pending, or a status added later." {
        /// Open.
        Open = "open",
        /// Resolved.
        Resolved = "resolved",
        /// Pending.
        Pending = "pending",
    }
}
