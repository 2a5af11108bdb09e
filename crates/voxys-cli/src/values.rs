//! Command-line values that are more than a number or a word: amounts,
//! custom attributes.

use serde_json::{Map, Value};
use voxys_connect::types::Amount;

/// An amount for `--value`: an exact decimal, such as `15000` or
/// `15000.50`.
pub fn parse_amount(text: &str) -> Result<Amount, String> {
    text.trim().parse::<Amount>().map_err(|_| {
        format!("{text:?} is not an amount: give a decimal number such as 15000 or 15000.50")
    })
}

/// One custom attribute for `--attribute KEY=VALUE`. The value is JSON when
/// it reads as JSON (`25`, `true`, `null`, `"25"`, `[1,2]`, `{"a":1}`), else
/// the text as it is (`gold`).
pub fn parse_attribute(text: &str) -> Result<(String, Value), String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!(
            "{text:?} is not KEY=VALUE (such as tier=gold or seats=25)"
        ));
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("{text:?} has no key before the ="));
    }
    let value =
        serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// Every custom attribute at once, for `--attributes JSON`: a JSON object.
pub fn parse_attributes(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!(
            "{text:?} is not a JSON object: give one such as '{{\"tier\": \"gold\", \"seats\": 25}}'"
        )),
        Err(e) => Err(format!("{text:?} is not JSON ({e})")),
    }
}

/// `attributes` with each `KEY=VALUE` of `pairs` set in it.
pub fn with_pairs(
    mut attributes: Map<String, Value>,
    pairs: &[(String, Value)],
) -> Map<String, Value> {
    for (key, value) in pairs {
        attributes.insert(key.clone(), value.clone());
    }
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_are_json_when_they_read_as_json() {
        assert_eq!(
            parse_attribute("seats=25").unwrap(),
            ("seats".into(), Value::from(25))
        );
        assert_eq!(
            parse_attribute("tier=gold").unwrap(),
            ("tier".into(), Value::from("gold"))
        );
        assert_eq!(
            parse_attribute("code=\"25\"").unwrap(),
            ("code".into(), Value::from("25"))
        );
        assert_eq!(
            parse_attribute("url=a=b").unwrap(),
            ("url".into(), Value::from("a=b"))
        );
        assert!(parse_attribute("novalue").is_err());
        assert!(parse_attribute("=x").is_err());
    }

    #[test]
    fn attributes_must_be_an_object() {
        assert!(parse_attributes("{\"a\": 1}").is_ok());
        assert!(parse_attributes("[1]").is_err());
        assert!(parse_attributes("{oops").is_err());
    }

    #[test]
    fn amounts_keep_their_digits() {
        assert_eq!(parse_amount("15000.50").unwrap().to_string(), "15000.5");
        assert!(parse_amount("lots").is_err());
    }
}
