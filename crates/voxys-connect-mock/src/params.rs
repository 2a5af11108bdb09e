//! Path and query parameters, read and checked as the OpenAPI document
//! declares them.

use std::collections::BTreeMap;

use serde_json::Value;
use voxys_connect_spec::Spec;

/// One declared parameter.
struct Declared {
    name: String,
    integer: bool,
    default: Option<Value>,
    validator: jsonschema::Validator,
}

/// The parameters of one operation in one place (`path` or `query`), from
/// the document: names, types, enums, bounds and defaults. Read it from a
/// document with integer ranges written in
/// ([`with_integer_ranges`](crate::document::with_integer_ranges)), so that
/// an `int64` parameter refuses `2^63`.
pub(crate) struct Params {
    declared: Vec<Declared>,
}

/// A parameter the API would refuse: a 422 with this message and attribute.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub(crate) attribute: String,
    pub(crate) message: String,
}

/// Why path parameters were refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PathRefusal {
    /// A segment that is no integer where the document wants one: no such
    /// resource (404), as Rails' `find` answers.
    NotFound,
    /// A value the schema refuses (an integer out of range): 422.
    Invalid(Rejected),
}

impl Params {
    /// The parameters of `operation_id` that are `in` this place.
    pub(crate) fn of(spec: &Spec, operation_id: &str, place: &str) -> Result<Params, String> {
        let mut declared = Vec::new();
        for (pointer, param) in spec.parameters(operation_id) {
            if param.get("in").and_then(Value::as_str) != Some(place) {
                continue;
            }
            let name = param
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{pointer} has no name"))?
                .to_owned();
            let (schema_pointer, schema) = spec
                .resolve(&format!("{pointer}/schema"))
                .ok_or_else(|| format!("{pointer} has no schema"))?;
            let validator = spec.validator(&schema_pointer)?;
            declared.push(Declared {
                name,
                integer: schema.get("type").and_then(Value::as_str) == Some("integer"),
                default: schema.get("default").cloned(),
                validator,
            });
        }
        Ok(Params { declared })
    }

    /// Reads a raw query string: every declared parameter, checked against its
    /// schema, with its default when absent. A value given empty (`status=`)
    /// is checked like any other, so it is refused: no schema of the document
    /// accepts an empty string. Undeclared parameters are ignored, as the API
    /// ignores them; of a repeated one, the last wins.
    pub(crate) fn read(&self, raw: Option<&str>) -> Result<BTreeMap<String, Value>, Rejected> {
        let given: BTreeMap<String, String> =
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let mut out = BTreeMap::new();
        for param in &self.declared {
            let value = match given.get(&param.name) {
                None => match &param.default {
                    Some(default) => default.clone(),
                    None => continue,
                },
                Some(text) if param.integer => match integer(text.trim()) {
                    Some(n) => n,
                    None => {
                        return Err(Rejected {
                            attribute: param.name.clone(),
                            message: format!("{} must be a whole number, not {text:?}", param.name),
                        });
                    }
                },
                Some(text) => Value::String(text.clone()),
            };
            param.check(&value)?;
            out.insert(param.name.clone(), value);
        }
        Ok(out)
    }

    /// Reads one path parameter from its segment, checked against its
    /// schema. A segment that is not an integer where the schema wants one
    /// is not found (404); an integer the schema refuses (past `int64`,
    /// below a `minimum`) is invalid (422). A parameter the document does
    /// not declare is read as text.
    pub(crate) fn read_segment(&self, name: &str, text: &str) -> Result<Value, PathRefusal> {
        let Some(param) = self.declared.iter().find(|p| p.name == name) else {
            return Ok(Value::String(text.to_owned()));
        };
        let value = if param.integer {
            integer(text).ok_or(PathRefusal::NotFound)?
        } else {
            Value::String(text.to_owned())
        };
        param.check(&value).map_err(PathRefusal::Invalid)?;
        Ok(value)
    }
}

impl Declared {
    /// Checks a value against the parameter's schema; the mock reads every
    /// integer as an `i64`, so an integer the schema lets through but that
    /// does not fit one is refused too.
    fn check(&self, value: &Value) -> Result<(), Rejected> {
        if let Some(error) = self.validator.iter_errors(value).next() {
            return Err(Rejected {
                attribute: self.name.clone(),
                message: format!("{} is invalid: {error}", self.name),
            });
        }
        if self.integer && value.is_number() && value.as_i64().is_none() {
            return Err(Rejected {
                attribute: self.name.clone(),
                message: format!("{} is invalid: {value} is not a 64-bit integer", self.name),
            });
        }
        Ok(())
    }
}

/// An integer written in decimal (an optional sign, then digits), as the
/// JSON number closest to it: exact within `i64` and `u64`, else the nearest
/// float, so that the schema's bounds judge it. `None` for anything else.
fn integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::from(n));
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(Value::from(n));
    }
    text.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        let spec = crate::document::with_integer_ranges(&Spec::bundled()).unwrap();
        Params::of(&spec, "list_leads", "query").unwrap()
    }

    #[test]
    fn defaults_come_from_the_document() {
        let read = params().read(None).unwrap();
        assert_eq!(read["page"], 1);
        assert_eq!(read["per_page"], 25);
        assert_eq!(read["sort_by"], "created_at");
        assert_eq!(read["sort_order"], "desc");
        assert!(!read.contains_key("status"));
    }

    #[test]
    fn an_empty_value_is_refused_for_every_parameter() {
        let p = params();
        for param in &p.declared {
            let query = format!("{}=", param.name);
            let rejected = p.read(Some(&query)).unwrap_err();
            assert_eq!(rejected.attribute, param.name, "{query}");
        }
        assert_eq!(p.declared.len(), 7);
    }

    #[test]
    fn values_are_checked_against_their_schemas() {
        let p = params();
        let read = p
            .read(Some(
                "status=won&per_page=100&page=3&assigned_agent_id=7&other=x",
            ))
            .unwrap();
        assert_eq!(
            (read["status"].as_str(), read["per_page"].as_i64()),
            (Some("won"), Some(100))
        );
        for (query, attribute, says) in [
            ("per_page=101", "per_page", "maximum of 100"),
            ("per_page=0", "per_page", "minimum of 1"),
            ("page=0", "page", "minimum of 1"),
            ("status=archived", "status", "\"archived\" is not one of"),
            ("sort_by=colour", "sort_by", "is not one of"),
            ("sort_order=up", "sort_order", "is not one of"),
            (
                "assigned_agent_id=abc",
                "assigned_agent_id",
                "must be a whole number",
            ),
            (
                "source_inbox_id=1.5",
                "source_inbox_id",
                "must be a whole number",
            ),
            (
                "assigned_agent_id=9223372036854775808",
                "assigned_agent_id",
                "greater than the maximum of 9223372036854775807",
            ),
            // Below the minimum (the document's, or int64's); either way
            // not an i64.
            (
                "assigned_agent_id=-9223372036854775809",
                "assigned_agent_id",
                "is invalid",
            ),
            (
                "source_inbox_id=100000000000000000000000",
                "source_inbox_id",
                "greater than the maximum",
            ),
            ("page=-1", "page", "minimum of 1"),
        ] {
            let rejected = p.read(Some(query)).unwrap_err();
            assert_eq!(rejected.attribute, attribute, "{query}");
            assert!(
                rejected.message.contains(says),
                "{query}: {}",
                rejected.message
            );
        }
    }

    #[test]
    fn an_integer_that_does_not_fit_an_i64_is_refused_whatever_the_bounds() {
        let spec = Spec::from_yaml(
            r"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things/{id}:
    get:
      operationId: things
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer, format: int64}}
        - {name: n, in: query, schema: {type: integer, format: int64}}
        - {name: m, in: query, schema: {type: integer}}
      responses:
        '200': {description: ok}
",
        )
        .unwrap();
        let spec = crate::document::with_integer_ranges(&spec).unwrap();
        let query = Params::of(&spec, "things", "query").unwrap();
        for (given, says) in [
            ("n=9223372036854775808", "greater than the maximum"),
            ("n=-9223372036854775809", "not a 64-bit integer"),
            ("m=9223372036854775808", "not a 64-bit integer"),
        ] {
            let rejected = query.read(Some(given)).unwrap_err();
            assert!(rejected.message.contains(says), "{given}: {rejected:?}");
        }
        assert_eq!(
            query.read(Some("n=-9223372036854775808")).unwrap()["n"],
            i64::MIN
        );
        let path = Params::of(&spec, "things", "path").unwrap();
        assert_eq!(path.read_segment("id", "-7"), Ok(Value::from(-7)));
        assert_eq!(path.read_segment("id", "7x"), Err(PathRefusal::NotFound));
        assert!(matches!(
            path.read_segment("id", "9223372036854775808"),
            Err(PathRefusal::Invalid(Rejected { attribute, .. })) if attribute == "id"
        ));
    }
}
