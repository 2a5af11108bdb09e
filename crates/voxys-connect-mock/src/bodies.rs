//! Request bodies, read and checked as the OpenAPI document declares them.
//!
//! Read them from a document with integer ranges written in
//! ([`with_integer_ranges`](crate::document::with_integer_ranges)): the
//! validator then refuses `2^63` for an `int64` member, and the integer
//! check here refuses what JSON parsing could only hold as a float (a
//! number written past `-2^63`, or `5.0`), since the mock reads every
//! integer as an `i64`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use voxys_connect_spec::Spec;

use crate::respond::field_errors;

/// The JSON request body of one operation, from the document: its schema,
/// and, for a `oneOf` with a `discriminator`, the schema of each kind.
pub(crate) struct RequestBody {
    schema: Checked,
    /// The discriminating member and the schema for each of its values.
    kinds: Option<(String, BTreeMap<String, Checked>)>,
}

/// A schema and what it requires.
struct Checked {
    validator: jsonschema::Validator,
    required: Vec<String>,
    /// Where the schema wants integers.
    integers: Vec<Vec<Step>>,
    /// Where it wants numbers (amounts), which may come as strings.
    numbers: Vec<Vec<Step>>,
}

/// One step from a value into a member of it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// The member of an object with this name.
    Member(String),
    /// Every item of an array.
    Each,
}

/// How deep [`places_of`] follows a schema (a schema that refers to
/// itself would not end).
const DEPTH: usize = 16;

/// The places in a value of the schema at `pointer` that must hold a
/// value of `kind` (`integer`, `number`): `type: KIND` reached through
/// `properties`, `items`, `allOf`, `anyOf` and `oneOf` (any alternative
/// that wants one there counts).
fn places_of(spec: &Spec, kind: &str, pointer: &str, at: &[Step], out: &mut Vec<Vec<Step>>) {
    if at.len() > DEPTH {
        return;
    }
    let Some((pointer, schema)) = spec.resolve(pointer) else {
        return;
    };
    if schema.get("type").and_then(Value::as_str) == Some(kind) && !out.iter().any(|p| p == at) {
        out.push(at.to_vec());
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for name in properties.keys() {
            let member = pointer_key(name);
            let mut next = at.to_vec();
            next.push(Step::Member(name.clone()));
            places_of(
                spec,
                kind,
                &format!("{pointer}/properties/{member}"),
                &next,
                out,
            );
        }
    }
    if schema.get("items").is_some_and(Value::is_object) {
        let mut next = at.to_vec();
        next.push(Step::Each);
        places_of(spec, kind, &format!("{pointer}/items"), &next, out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        let count = schema
            .get(key)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..count {
            places_of(spec, kind, &format!("{pointer}/{key}/{i}"), at, out);
        }
    }
}

/// A member name as a JSON pointer segment.
fn pointer_key(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The first number at one of `places` of `value` that is not an `i64`,
/// and the attribute that holds it.
fn misfit(value: &Value, places: &[Vec<Step>]) -> Option<(String, Value)> {
    fn walk(value: &Value, steps: &[Step], attribute: &str) -> Option<(String, Value)> {
        match steps.split_first() {
            None => (value.is_number() && value.as_i64().is_none())
                .then(|| (attribute.to_owned(), value.clone())),
            Some((Step::Member(name), rest)) => walk(value.get(name)?, rest, name),
            Some((Step::Each, rest)) => value
                .as_array()?
                .iter()
                .find_map(|item| walk(item, rest, attribute)),
        }
    }
    places.iter().find_map(|steps| walk(value, steps, "body"))
}

impl Checked {
    fn at(spec: &Spec, pointer: &str) -> Result<Checked, String> {
        let (_, schema) = spec
            .resolve(pointer)
            .ok_or_else(|| format!("no schema at {pointer}"))?;
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let (mut integers, mut numbers) = (Vec::new(), Vec::new());
        places_of(spec, "integer", pointer, &[], &mut integers);
        places_of(spec, "number", pointer, &[], &mut numbers);
        Ok(Checked {
            validator: spec.validator(pointer)?,
            required,
            integers,
            numbers,
        })
    }
}

impl RequestBody {
    /// The body of `operation_id`.
    pub(crate) fn of(spec: &Spec, operation_id: &str) -> Result<RequestBody, String> {
        let pointer = spec
            .request_schema(operation_id)
            .ok_or_else(|| format!("{operation_id} takes no JSON body in the document"))?;
        let (_, schema) = spec
            .resolve(&pointer)
            .ok_or_else(|| format!("no schema at {pointer}"))?;
        let kinds = match schema.get("discriminator") {
            Some(discriminator) => {
                let property = discriminator
                    .get("propertyName")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{pointer}: a discriminator without propertyName"))?;
                let mapping = discriminator
                    .get("mapping")
                    .and_then(Value::as_object)
                    .ok_or_else(|| format!("{pointer}: a discriminator without mapping"))?;
                let mut kinds = BTreeMap::new();
                for (value, target) in mapping {
                    let target = target.as_str().unwrap_or_default();
                    kinds.insert(value.clone(), Checked::at(spec, target)?);
                }
                Some((property.to_owned(), kinds))
            }
            None => None,
        };
        Ok(RequestBody {
            schema: Checked::at(spec, &pointer)?,
            kinds,
        })
    }

    /// Reads a raw body: JSON that matches the schema, or the 422 body the
    /// API answers with (Chatwoot's two shapes: `error` for a missing
    /// parameter, `message` and `attributes` for an invalid one).
    pub(crate) fn read(&self, raw: &[u8]) -> Result<Value, Value> {
        let missing = |name: &str| json!({"error": format!("param is missing or the value is empty: {name}")});
        let first_required = || {
            self.schema
                .required
                .first()
                .cloned()
                .unwrap_or("body".to_owned())
        };
        let body: Value = match serde_json::from_slice(raw) {
            Ok(body @ Value::Object(_)) => body,
            _ => return Err(missing(&first_required())),
        };
        let checked = match &self.kinds {
            None => &self.schema,
            Some((property, kinds)) => match body.get(property).and_then(Value::as_str) {
                None => return Err(missing(property)),
                Some(kind) => match kinds.get(kind) {
                    Some(checked) => checked,
                    None => {
                        return Err(json!({
                            "message": format!("{property} {kind:?} is not included in the list"),
                            "attributes": [property],
                        }));
                    }
                },
            },
        };
        for name in &checked.required {
            if body.get(name).is_none_or(Value::is_null) {
                return Err(missing(name));
            }
        }
        // An amount may come as a string of digits, as Rails casts it to a
        // decimal column (`"15000.50"`): the schema judges it as the number
        // it holds, and the handler reads it exactly.
        let mut judged = body.clone();
        for steps in &checked.numbers {
            numeric_strings_as_numbers(&mut judged, steps);
        }
        let blank = |error: &jsonschema::ValidationError<'_>| {
            matches!(
                error.kind(),
                jsonschema::error::ValidationErrorKind::MinLength { .. }
            ) && error.instance().is_string()
        };
        let refused: Vec<jsonschema::ValidationError<'_>> =
            checked.validator.iter_errors(&judged).collect();
        // A member that must not be blank, sent empty: the model's
        // validation answers it, in the reference's shape.
        if !refused.is_empty() && refused.iter().all(blank) {
            let members = refused
                .iter()
                .map(|error| (attribute_of(error), "can't be blank".to_owned()));
            return Err(field_errors(members));
        }
        let errors: Vec<(String, String)> = refused
            .iter()
            .map(|error| (attribute_of(error), error.to_string()))
            .collect();
        if errors.is_empty() {
            if let Some((attribute, value)) = misfit(&body, &checked.integers) {
                return Err(json!({
                    "message": format!("{attribute} is invalid: {value} is not a 64-bit integer"),
                    "attributes": [attribute],
                }));
            }
            return Ok(body);
        }
        let mut attributes: Vec<String> = errors.iter().map(|(a, _)| a.clone()).collect();
        attributes.dedup();
        let message = errors
            .iter()
            .map(|(attribute, error)| format!("{attribute} is invalid: {error}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(json!({"message": message, "attributes": attributes}))
    }
}

/// A decimal written as JSON writes numbers or as Rails reads a decimal
/// from a string: digits with an optional sign, fraction and exponent
/// (`15000`, `-0.5`, `1.5e3`), exactly; `None` for anything else, or for
/// more digits than a decimal holds.
pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.starts_with(|c: char| c.is_ascii_digit())
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// Replaces a string holding a decimal at `steps` of `value` with the
/// (nearest) JSON number, for the schema to judge.
fn numeric_strings_as_numbers(value: &mut Value, steps: &[Step]) {
    match steps.split_first() {
        None => {
            if let Some(number) = value
                .as_str()
                .and_then(decimal)
                .and_then(|d| d.to_f64())
                .and_then(serde_json::Number::from_f64)
            {
                *value = Value::Number(number);
            }
        }
        Some((Step::Member(name), rest)) => {
            if let Some(member) = value.get_mut(name) {
                numeric_strings_as_numbers(member, rest);
            }
        }
        Some((Step::Each, rest)) => {
            if let Some(items) = value.as_array_mut() {
                items
                    .iter_mut()
                    .for_each(|item| numeric_strings_as_numbers(item, rest));
            }
        }
    }
}

/// The attribute a validation error is about: the property a `required`
/// names, else the last member name in the place it failed.
fn attribute_of(error: &jsonschema::ValidationError<'_>) -> String {
    if let jsonschema::error::ValidationErrorKind::Required { property } = error.kind() {
        return property.as_str().unwrap_or_default().to_owned();
    }
    error
        .instance_path()
        .to_string()
        .split('/')
        .rfind(|segment| !segment.is_empty() && !segment.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("body")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_against_the_document() {
        let spec = Spec::bundled();
        let status = RequestBody::of(&spec, "update_lead_status").unwrap();
        assert!(status.read(br#"{"status":"won","notes":null}"#).is_ok());
        assert_eq!(
            status.read(b"").unwrap_err(),
            json!({"error": "param is missing or the value is empty: status"})
        );
        let wrong = status.read(br#"{"status":"archived"}"#).unwrap_err();
        assert_eq!(wrong["attributes"], json!(["status"]), "{wrong}");
        let wrong = status.read(br#"{"status":"won","notes":5}"#).unwrap_err();
        assert_eq!(wrong["attributes"], json!(["notes"]), "{wrong}");

        let bulk = RequestBody::of(&spec, "bulk_lead_action").unwrap();
        assert!(
            bulk.read(
                br#"{"lead_ids":[1],"action_type":"assign","params":{"assigned_agent_id":5}}"#
            )
            .is_ok()
        );
        assert!(
            bulk.read(br#"{"lead_ids":[1],"action_type":"delete"}"#)
                .is_ok()
        );
        for (body, attribute) in [
            (
                &br#"{"lead_ids":[],"action_type":"delete"}"#[..],
                "lead_ids",
            ),
            (br#"{"lead_ids":["x"],"action_type":"delete"}"#, "lead_ids"),
            (br#"{"lead_ids":[1],"action_type":"merge"}"#, "action_type"),
            (
                br#"{"lead_ids":[1],"action_type":"assign","params":{}}"#,
                "assigned_agent_id",
            ),
            (
                br#"{"lead_ids":[1],"action_type":"status_change","params":{"status":"x"}}"#,
                "status",
            ),
        ] {
            let error = bulk.read(body).unwrap_err();
            assert_eq!(error["attributes"], json!([attribute]), "{error}");
        }
        assert_eq!(
            bulk.read(br#"{"action_type":"delete"}"#).unwrap_err(),
            json!({"error": "param is missing or the value is empty: lead_ids"})
        );
    }

    #[test]
    fn an_empty_member_that_must_not_be_blank_answers_in_the_references_shape() {
        let spec = Spec::bundled();
        let company = RequestBody::of(&spec, "create_company").unwrap();
        assert_eq!(
            company.read(br#"{"name":""}"#).unwrap_err(),
            json!({"errors": {"name": ["can't be blank"]}})
        );
        let note = RequestBody::of(&spec, "create_lead_note").unwrap();
        assert_eq!(
            note.read(br#"{"content":""}"#).unwrap_err(),
            json!({"errors": {"content": ["can't be blank"]}})
        );
        // Other failures keep Chatwoot's shape, a blank among them too.
        let mixed = company.read(br#"{"name":"","domain":5}"#).unwrap_err();
        assert_eq!(mixed["attributes"], json!(["domain", "name"]), "{mixed}");
    }

    #[test]
    fn an_amount_may_be_a_string_of_digits() {
        let spec = Spec::bundled();
        let lead = RequestBody::of(&spec, "create_lead").unwrap();
        for good in [
            &br#"{"lead_value":"15000.50"}"#[..],
            br#"{"lead_value":15000.5}"#,
            br#"{"lead_value":null}"#,
            br#"{"lead_value":"-1.5e3"}"#,
        ] {
            let body = lead.read(good).unwrap();
            assert_eq!(
                body,
                serde_json::from_slice::<Value>(good).unwrap(),
                "the body as sent"
            );
        }
        for bad in [
            &br#"{"lead_value":"lots"}"#[..],
            br#"{"lead_value":"1,5"}"#,
            br#"{"lead_value":true}"#,
        ] {
            let error = lead.read(bad).unwrap_err();
            assert_eq!(error["attributes"], json!(["lead_value"]), "{error}");
        }
        assert_eq!(decimal("0.1"), Some(Decimal::new(1, 1)));
        assert_eq!(
            decimal(" 12345678901234.56789 "),
            "12345678901234.56789".parse().ok()
        );
        assert_eq!(decimal("1.5E3"), Some(Decimal::new(1500, 0)));
        for bad in [
            "",
            "-",
            ".5",
            "1.2.3",
            "abc",
            "1e",
            "99999999999999999999999999999999",
        ] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_integer_of_a_body_must_fit_an_i64() {
        let spec = crate::document::with_integer_ranges(&Spec::bundled()).unwrap();
        let bulk = RequestBody::of(&spec, "bulk_lead_action").unwrap();
        let convert = RequestBody::of(&spec, "convert_lead").unwrap();
        let edge =
            br#"{"lead_ids":[9223372036854775807,-9223372036854775808],"action_type":"delete"}"#;
        assert!(bulk.read(edge).is_ok());
        for (reader, body, attribute) in [
            (&bulk, &br#"{"lead_ids":[1,9223372036854775808],"action_type":"delete"}"#[..], "lead_ids"),
            (&bulk, br#"{"lead_ids":[-9223372036854775809],"action_type":"delete"}"#, "lead_ids"),
            (&bulk, br#"{"lead_ids":[18446744073709551616],"action_type":"delete"}"#, "lead_ids"),
            (&bulk, br#"{"lead_ids":[1],"action_type":"assign","params":{"assigned_agent_id":9223372036854775808}}"#, "assigned_agent_id"),
            (&convert, br#"{"funnel_id":9223372036854775808}"#, "funnel_id"),
            (&convert, br#"{"funnel_id":1,"funnel_stage_id":-9223372036854775809}"#, "funnel_stage_id"),
            (&convert, br#"{"funnel_id":5.0}"#, "funnel_id"),
        ] {
            let error = reader.read(body).unwrap_err();
            assert_eq!(
                error["attributes"],
                json!([attribute]),
                "{}: {error}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
