//! Command-line values that are more than a number or a word: amounts,
//! custom attributes, days, instants, snoozes, what a task is about.

use serde_json::{Map, Value};
use voxys_connect::types::{Amount, NaiveDate, Snooze, TaskableType, Timestamp};

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

/// A calendar day for `--since`, `--until` and the calendar: `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is not a day: write it YYYY-MM-DD, such as 2026-06-15"))
}

/// An instant for `--due`, `--due-before`, `--due-after`: RFC 3339.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        format!(
            "{text:?} is not an instant: write it in RFC 3339, such as 2026-06-15T10:00:00Z or 2026-06-15T12:00:00+02:00"
        )
    })
}

/// How long to snooze a task, or until when: `12h`, `1d`, `2w`, or an ISO
/// 8601 date-time (the SDK's [`Snooze`]; its message when it is none).
pub fn parse_snooze(text: &str) -> Result<Snooze, String> {
    text.trim().parse::<Snooze>().map_err(|e| e.to_string())
}

/// The kinds of record a task is about, as the command line names them,
/// and as the API does.
pub const ABOUT_KINDS: [(&str, &str); 4] = [
    ("lead", "Lead"),
    ("card", "FunnelCard"),
    ("conversation", "Conversation"),
    ("contact", "Contact"),
];

/// What a task is about, for `--about KIND[:ID]`: `lead:42`, `card:7`,
/// `conversation:100`, `contact:5` (the API's names, `Lead`, `FunnelCard`...,
/// are taken too, in any case), or a kind alone (`lead`).
pub fn parse_about(text: &str) -> Result<(TaskableType, Option<i64>), String> {
    let (kind, id) = match text.split_once(':') {
        Some((kind, id)) => (kind.trim(), Some(id.trim())),
        None => (text.trim(), None),
    };
    let Some((_, wire)) = ABOUT_KINDS
        .iter()
        .find(|(short, wire)| kind.eq_ignore_ascii_case(short) || kind.eq_ignore_ascii_case(wire))
    else {
        return Err(format!(
            "{text:?} is not a record: write KIND:ID with KIND one of lead, card, conversation, contact (such as lead:42)"
        ));
    };
    let id = match id {
        None => None,
        Some(id) => match id.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                return Err(format!(
                    "{text:?} has no id after the colon: write KIND:ID, such as lead:42"
                ));
            }
        },
    };
    Ok((TaskableType::from(*wire), id))
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
    fn days_instants_and_snoozes() {
        assert_eq!(parse_date("2026-06-15").unwrap().to_string(), "2026-06-15");
        assert!(parse_date("15/06/2026").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(
            parse_instant("2026-06-15T12:00:00+02:00")
                .unwrap()
                .to_string(),
            "2026-06-15T10:00:00Z"
        );
        assert!(parse_instant("tomorrow").is_err());
        assert_eq!(parse_snooze("1d").unwrap(), Snooze::Days(1));
        assert!(!parse_snooze("2026-06-20T09:00:00Z").unwrap().is_relative());
        let refused = parse_snooze("soon").unwrap_err();
        assert!(refused.contains("12h"), "{refused}");
    }

    #[test]
    fn what_a_task_is_about() {
        assert_eq!(
            parse_about("lead:42").unwrap(),
            (TaskableType::Lead, Some(42))
        );
        assert_eq!(
            parse_about("FunnelCard:7").unwrap(),
            (TaskableType::FunnelCard, Some(7))
        );
        assert_eq!(
            parse_about("contact").unwrap(),
            (TaskableType::Contact, None)
        );
        assert!(parse_about("invoice:3").is_err());
        assert!(parse_about("lead:x").is_err());
    }

    #[test]
    fn amounts_keep_their_digits() {
        assert_eq!(parse_amount("15000.50").unwrap().to_string(), "15000.5");
        assert!(parse_amount("lots").is_err());
    }
}
