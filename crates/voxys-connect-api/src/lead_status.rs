//! [`LeadStatus`]: an open enum that keeps statuses it does not know.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a lead stands: `open`, `won`, `lost` or `snoozed`, or a status this
/// version of the SDK does not know yet.
///
/// The API may add statuses. A lead whose status is new to this SDK still
/// decodes: its status is [`LeadStatus::Unknown`], which keeps the value sent on
/// the wire (see [`LeadStatus::as_str`]), and encodes back to that same value.
///
/// # Matching
/// The enum is `#[non_exhaustive]`: a later release may turn a status that is
/// unknown today into a variant of its own. Match the variants you handle and
/// end with a wildcard arm; read the wire value with `as_str()` there rather
/// than matching on `Unknown`, so that your code keeps working when the variant
/// appears:
///
/// ```
/// use voxys_connect_api::LeadStatus;
///
/// fn label(status: &LeadStatus) -> String {
///     match status {
///         LeadStatus::Open => "in progress".to_owned(),
///         LeadStatus::Won => "won".to_owned(),
///         LeadStatus::Lost | LeadStatus::Snoozed => "parked".to_owned(),
///         other => format!("other ({})", other.as_str()),
///     }
/// }
///
/// let archived: LeadStatus = "archived".parse().unwrap();
/// assert_eq!(label(&archived), "other (archived)");
/// assert!(!archived.is_known());
/// assert_eq!(serde_json::to_string(&archived).unwrap(), r#""archived""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LeadStatus {
    /// The lead is being worked on.
    Open,
    /// The lead was won.
    Won,
    /// The lead was lost.
    Lost,
    /// The lead is set aside for now.
    Snoozed,
    /// A status this version of the SDK does not know; it keeps the wire value.
    Unknown(UnknownStatus),
}

/// The wire value of a [`LeadStatus`] this SDK does not know.
///
/// It can only be made by decoding or parsing, so that it never holds one of
/// the known values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownStatus(String);

impl UnknownStatus {
    /// The status as the server sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl LeadStatus {
    /// Every status this SDK knows, in the order the API documents them.
    pub const KNOWN: [LeadStatus; 4] = [
        LeadStatus::Open,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Snoozed,
    ];

    /// The status as the API spells it (`"open"`, `"won"`...), for unknown
    /// statuses too.
    pub fn as_str(&self) -> &str {
        match self {
            LeadStatus::Open => "open",
            LeadStatus::Won => "won",
            LeadStatus::Lost => "lost",
            LeadStatus::Snoozed => "snoozed",
            LeadStatus::Unknown(value) => value.as_str(),
        }
    }

    /// Whether this SDK knows the status (it is not [`LeadStatus::Unknown`]).
    pub fn is_known(&self) -> bool {
        !matches!(self, LeadStatus::Unknown(_))
    }

    fn from_wire(value: Cow<'_, str>) -> LeadStatus {
        match value.as_ref() {
            "open" => LeadStatus::Open,
            "won" => LeadStatus::Won,
            "lost" => LeadStatus::Lost,
            "snoozed" => LeadStatus::Snoozed,
            _ => LeadStatus::Unknown(UnknownStatus(value.into_owned())),
        }
    }
}

impl fmt::Display for LeadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LeadStatus {
    type Err = std::convert::Infallible;

    /// Never fails: a status that is not known becomes [`LeadStatus::Unknown`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(LeadStatus::from_wire(Cow::Borrowed(s)))
    }
}

impl From<&str> for LeadStatus {
    fn from(s: &str) -> Self {
        LeadStatus::from_wire(Cow::Borrowed(s))
    }
}

impl From<String> for LeadStatus {
    fn from(s: String) -> Self {
        LeadStatus::from_wire(Cow::Owned(s))
    }
}

impl Serialize for LeadStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LeadStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = LeadStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a lead status string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LeadStatus, E> {
                Ok(LeadStatus::from_wire(Cow::Borrowed(v)))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<LeadStatus, E> {
                Ok(LeadStatus::from_wire(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl schemars::JsonSchema for LeadStatus {
    fn schema_name() -> String {
        "LeadStatus".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some(
                    "Where a lead stands: open, won, lost, snoozed, or a status added later."
                        .to_owned(),
                ),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}
