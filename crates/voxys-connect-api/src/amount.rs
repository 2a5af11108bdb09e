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
/// value. A string is read exactly whatever its length; a JSON number is read
/// exactly up to 15 significant digits (the JSON reader holds numbers as
/// binary floats), which covers any amount of money short of a trillion with
/// cents:
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
/// Amounts encode as JSON numbers with their exact decimal digits: whole
/// amounts as integers (`15000`), others as written (`15000.1`), however many
/// digits they have (`12345678901234567.89`: no rounding through binary
/// floating point on the way out either):
///
/// ```
/// # use voxys_connect_api::Amount;
/// let big: Amount = serde_json::from_str(r#""12345678901234567.89""#).unwrap();
/// assert_eq!(serde_json::to_string(&big).unwrap(), "12345678901234567.89");
/// ```
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
        let text = value.to_string();
        // A binary float that JSON writes with the same digits is the same
        // number: every serializer takes it.
        if let Some(float) = value.to_f64()
            && serde_json::Number::from_f64(float).is_some_and(|n| n.to_string() == text)
        {
            return serializer.serialize_f64(float);
        }
        // More digits than a float holds: the exact digits, as a raw JSON
        // number (serde_json writes it as is).
        let raw = serde_json::value::RawValue::from_string(text).map_err(|e| {
            serde::ser::Error::custom(format_args!(
                "amount {value} cannot be written as a JSON number: {e}"
            ))
        })?;
        raw.serialize(serializer)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_digit_survives_a_round_trip() {
        for text in [
            "0",
            "15000",
            "15000.1",
            "0.1",
            "-42.5",
            "498860.19",
            "12345678901234567.89",
            "0.000000000000000000000000001",
            "79228162514264337593543950335",
        ] {
            let amount: Amount = text.parse().unwrap();
            let json = serde_json::to_string(&amount).unwrap();
            assert_eq!(json, text, "written exactly");
            // Read back from a string (as Rails sends decimals), exactly.
            let back: Amount = serde_json::from_str(&format!("{json:?}")).unwrap();
            assert_eq!(back, amount, "{text}");
        }
        // From a JSON number, up to 15 significant digits read exactly.
        for text in ["15000.1", "0.1", "498860.19", "123456789012.345"] {
            let back: Amount = serde_json::from_str(text).unwrap();
            assert_eq!(back.to_string(), text);
        }
        // Trailing zeros are not digits of the value.
        let amount: Amount = "15000.50".parse().unwrap();
        assert_eq!(serde_json::to_string(&amount).unwrap(), "15000.5");
    }
}
