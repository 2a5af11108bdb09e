//! Query parameters, read and checked as the OpenAPI document declares them.

use std::collections::BTreeMap;

use serde_json::Value;
use voxys_connect_spec::Spec;

/// One declared query parameter.
struct Declared {
    name: String,
    integer: bool,
    default: Option<Value>,
    validator: jsonschema::Validator,
}

/// The query parameters of one operation, from the document: names, types,
/// enums, bounds and defaults.
pub(crate) struct QueryParams {
    declared: Vec<Declared>,
}

/// A parameter the API would refuse: a 422 with this message and attribute.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub(crate) attribute: String,
    pub(crate) message: String,
}

impl QueryParams {
    /// The query parameters of `operation_id`.
    pub(crate) fn of(spec: &Spec, operation_id: &str) -> Result<QueryParams, String> {
        let mut declared = Vec::new();
        for (pointer, param) in spec.parameters(operation_id) {
            if param.get("in").and_then(Value::as_str) != Some("query") {
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
        Ok(QueryParams { declared })
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
                Some(text) if param.integer => match text.trim().parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => {
                        return Err(Rejected {
                            attribute: param.name.clone(),
                            message: format!("{} must be a whole number, not {text:?}", param.name),
                        });
                    }
                },
                Some(text) => Value::String(text.clone()),
            };
            if let Some(error) = param.validator.iter_errors(&value).next() {
                return Err(Rejected {
                    attribute: param.name.clone(),
                    message: format!("{} is invalid: {error}", param.name),
                });
            }
            out.insert(param.name.clone(), value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> QueryParams {
        QueryParams::of(&Spec::bundled(), "list_leads").unwrap()
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
}
