//! What the server reads from the OpenAPI document about its operations:
//! which there are (id, method, path), whether they need the token, the
//! status they succeed with, and the integer ranges their formats imply.

use serde_json::{Map, Value};
use voxys_connect_spec::Spec;

/// The HTTP methods an OpenAPI path item can hold, lower case.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocumentOperation {
    /// Its `operationId`.
    pub(crate) id: String,
    /// Its method, lower case.
    pub(crate) method: String,
    /// Its path template, such as `/api/v1/accounts/{account_id}/leads`.
    pub(crate) path: String,
    /// The JSON pointer of the operation object.
    pub(crate) pointer: String,
}

/// Every operation of the document, in the document's order. An operation
/// without an `operationId` is an error: the mock finds handlers by it.
pub(crate) fn operations(spec: &Spec) -> Result<Vec<DocumentOperation>, String> {
    let Some(paths) = spec.document().get("paths").and_then(Value::as_object) else {
        return Err("the OpenAPI document has no paths".to_owned());
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let id = operation
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{} {path} has no operationId", method.to_uppercase()))?;
            out.push(DocumentOperation {
                id: id.to_owned(),
                method: method.to_owned(),
                path: path.clone(),
                pointer: spec.operation(id).map(|op| op.pointer).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// Whether the operation needs the token: its `security` (else the
/// document's) lists a requirement, and none of them is the empty one
/// (`{}`, which makes authentication optional).
pub(crate) fn secured(spec: &Spec, operation: &DocumentOperation) -> bool {
    let requirements = spec
        .get(&format!("{}/security", operation.pointer))
        .or_else(|| spec.get("#/security"))
        .and_then(Value::as_array);
    requirements.is_some_and(|list| {
        !list.is_empty()
            && list
                .iter()
                .all(|r| r.as_object().is_some_and(|r| !r.is_empty()))
    })
}

/// The status the operation answers when it succeeds: the lowest `2XX` code
/// of its responses.
pub(crate) fn success_status(spec: &Spec, operation: &DocumentOperation) -> Result<u16, String> {
    spec.get(&format!("{}/responses", operation.pointer))
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|responses| responses.keys())
        .filter_map(|code| code.parse::<u16>().ok())
        .filter(|code| (200..300).contains(code))
        .min()
        .ok_or_else(|| format!("{} documents no 2XX answer", operation.id))
}

/// The document with the range of each integer `format` written into the
/// schemas that have it, as `minimum` and `maximum` (a bound the schema
/// sets already stays, unless it lies outside the format): `int64`
/// (-2^63..2^63-1), `int32`. The validators made from it then refuse
/// `2^63` for an `int64` member like any value past a maximum.
pub(crate) fn with_integer_ranges(spec: &Spec) -> Result<Spec, String> {
    let mut document = spec.document().clone();
    bound_integers(&mut document);
    Spec::from_json(document).map_err(|e| e.to_string())
}

fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("integer") {
                let range = match map.get("format").and_then(Value::as_str) {
                    Some("int64") => Some((i64::MIN, i64::MAX)),
                    Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
                    _ => None,
                };
                if let Some((low, high)) = range {
                    bound(map, "minimum", low, |given, low| given < low);
                    bound(map, "maximum", high, |given, high| given > high);
                }
            }
            for (key, member) in map.iter_mut() {
                // Values, not schemas.
                if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    bound_integers(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// Sets `map[key]` to `limit` unless it holds a bound that is not `beyond`
/// it.
fn bound(map: &mut Map<String, Value>, key: &str, limit: i64, beyond: fn(f64, f64) -> bool) {
    let keep = map
        .get(key)
        .and_then(Value::as_f64)
        .is_some_and(|given| !beyond(given, limit as f64));
    if !keep {
        map.insert(key.to_owned(), Value::from(limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_document_lists_its_operations_with_ids_methods_and_paths() {
        let spec = Spec::bundled();
        let operations = operations(&spec).unwrap();
        let list = operations.iter().find(|op| op.id == "list_leads").unwrap();
        assert_eq!(
            (list.method.as_str(), list.path.as_str()),
            ("get", "/api/v1/accounts/{account_id}/leads")
        );
        assert!(operations.iter().all(|op| secured(&spec, op)));
        assert_eq!(success_status(&spec, list), Ok(200));
    }

    #[test]
    fn integer_formats_become_ranges_and_tighter_bounds_stay() {
        let spec = with_integer_ranges(&Spec::bundled()).unwrap();
        let per_page = spec
            .parameters("list_leads")
            .into_iter()
            .find(|(_, p)| p["name"] == "per_page")
            .unwrap()
            .1["schema"]
            .clone();
        assert_eq!(
            (&per_page["minimum"], &per_page["maximum"]),
            (&1.into(), &100.into())
        );
        let ids = spec.validator("#/components/schemas/LeadIds").unwrap();
        assert!(ids.is_valid(&serde_json::json!([9_223_372_036_854_775_807_i64])));
        assert!(!ids.is_valid(&serde_json::json!([9_223_372_036_854_775_808_u64])));
        assert!(!ids.is_valid(&serde_json::json!([1e19])));
    }
}
