//! [`Amount`]: an exact decimal amount of money.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal amount, such as a lead's `lead_value`.
///
/// The API documents amounts as JSON numbers, and Rails deployments send
/// decimal columns as strings (`"15000.0"`); both decode to the same exact
/// value, with no binary floating-point rounding in between:
///
/// ```
/// use voxys_connect_api::Amount;
///
/// let from_number: Amount = serde_json::from_str("15000.10").unwrap();
/// let from_string: Amount = serde_json::from_str(r#""15000.1""#).unwrap();
/// assert_eq!(from_number, from_string);
/// assert_eq!(from_number.to_string(), "15000.1");
/// assert_eq!(from_number.as_decimal(), "15000.1".parse().unwrap());
/// ```
///
/// Amounts encode as JSON numbers: whole amounts as integers, others as the
/// shortest decimal that reads back to the same value (exact up to 15
/// significant digits, far beyond any currency's needs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    /// Wraps an exact decimal.
    pub const fn new(value: Decimal) -> Amount {
        Amount(value)
    }

    /// The amount as an exact decimal, to compute with.
    pub const fn as_decimal(&self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Amount {
    fn from(value: Decimal) -> Self {
        Amount(value)
    }
}

impl From<Amount> for Decimal {
    fn from(value: Amount) -> Self {
        value.0
    }
}

impl From<i64> for Amount {
    fn from(value: i64) -> Self {
        Amount(Decimal::from(value))
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.normalize(), f)
    }
}

impl FromStr for Amount {
    type Err = rust_decimal::Error;

    /// Parses `"15000"`, `"15000.50"` or scientific notation (`"1.5e4"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map(Amount)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0.normalize();
        if value.scale() == 0
            && let Some(whole) = value.to_i64()
        {
            return serializer.serialize_i64(whole);
        }
        match value.to_f64() {
            Some(float) => serializer.serialize_f64(float),
            None => Err(serde::ser::Error::custom(format_args!(
                "amount {value} cannot be written as a JSON number"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    /// Accepts a JSON number or a string holding one (`"15000.0"`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // rust_decimal reads numbers through their shortest round-trip text, so
        // `0.1` becomes exactly 0.1, and reads strings exactly.
        <Decimal as Deserialize>::deserialize(deserializer).map(Amount)
    }
}

impl schemars::JsonSchema for Amount {
    fn schema_name() -> String {
        "Amount".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::Number.into()),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some("An exact decimal amount.".to_owned()),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}
