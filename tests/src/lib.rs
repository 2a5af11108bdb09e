//! Contract tests: the OpenAPI document held against recorded HTTP exchanges.
//!
//! A [`Recording`] is one exchange (request, response, and a note saying what
//! it shows), stored as JSON in `tests/recordings/`. The checks here hold each
//! recording against the document, the generated types and the SDK:
//! - [`schema_failures`]: the body validates against the document's schema for
//!   its operation and status, or fails for exactly the reasons its
//!   `deviation` states;
//! - [`unknown_fields`]: members the document does not describe;
//! - [`lossless`]: decoding into the generated types and encoding again keeps
//!   every member with an equal value.
//!
//! [`record`] writes recordings from a live instance (`cargo xtask record`).

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use voxys_connect_spec::Spec;

pub mod record;

/// Where the recordings live.
pub fn recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings")
}

/// One recorded HTTP exchange.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    /// The file name without `.json`; set when loaded.
    #[serde(skip)]
    pub name: String,
    /// What the case shows.
    pub note: String,
    /// The document's `operationId`.
    pub operation: String,
    /// The document's response this stands for: `200`, `401`, `5XX`...
    pub spec_response: String,
    /// How the body departs from the document, when it does on purpose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<Deviation>,
    /// What the SDK must make of the answer (see [`Recording::expect`] users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Value>,
    /// The request as sent, secrets removed.
    pub request: RecordedRequest,
    /// The response as received.
    pub response: RecordedResponse,
}

/// A known departure of a recorded body from the document.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// Why the API answers so.
    pub reason: String,
    /// The schema validation failures the body must have, and no others.
    #[serde(default)]
    pub schema_errors: Vec<SchemaError>,
    /// The members the document does not describe (JSON pointers), and no
    /// others.
    #[serde(default)]
    pub unknown_fields: Vec<String>,
}

/// A schema validation failure: where, and which keyword failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct SchemaError {
    /// The JSON pointer of the failing value in the body.
    pub path: String,
    /// The failing JSON Schema keyword (`type`, `anyOf`, `enum`...).
    pub keyword: String,
}

/// A request, as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    /// `GET`, ...
    pub method: String,
    /// The path, such as `/api/v1/accounts/1/leads`.
    pub path: String,
    /// The query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers that are not secret, lower-case names; the token header, when
    /// sent, is recorded as `[redacted]`.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, for the operations that send one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

/// A response, as recorded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    /// The HTTP status.
    pub status: u16,
    /// Headers, lower-case names.
    pub headers: BTreeMap<String, String>,
    /// The body: JSON as received for JSON answers, else the text; `null`
    /// for an answer without a body (a 204).
    pub body: Value,
}

impl Recording {
    /// Loads every recording of a folder, sorted by name.
    pub fn load_all(dir: &Path) -> Result<Vec<Recording>, String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|p| Recording::load(p)).collect()
    }

    /// Loads one recording.
    pub fn load(path: &Path) -> Result<Recording, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut recording: Recording = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a recording: {e}", path.display()))?;
        recording.name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        Ok(recording)
    }

    /// The response's content type, without parameters.
    pub fn content_type(&self) -> &str {
        self.response
            .headers
            .get("content-type")
            .map(String::as_str)
            .unwrap_or("application/json")
    }

    /// Whether the body is JSON.
    pub fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }

    /// Whether the answer has a body (a 204 has none: `"body": null`).
    pub fn has_body(&self) -> bool {
        !self.response.body.is_null()
    }

    /// The body's bytes as they went over the wire (none for an answer
    /// without a body).
    pub fn body_bytes(&self) -> Vec<u8> {
        match (&self.response.body, self.is_json()) {
            (Value::Null, _) => Vec::new(),
            (Value::String(text), false) => text.clone().into_bytes(),
            (body, _) => serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// The body as a JSON value to validate: the JSON, or the text as a string.
    pub fn body_value(&self) -> Value {
        self.response.body.clone()
    }

    /// The deviation stated, or none.
    pub fn deviation(&self) -> Deviation {
        self.deviation.clone().unwrap_or_default()
    }
}

/// The document's response key (`200`, `5XX`, `default`) that covers
/// `status` for an operation.
pub fn spec_response_key(spec: &Spec, operation: &str, status: u16) -> Option<String> {
    let op = spec.operation(operation)?;
    let responses = spec
        .get(&format!("{}/responses", op.pointer))?
        .as_object()?;
    [
        status.to_string(),
        format!("{}XX", status / 100),
        "default".to_owned(),
    ]
    .into_iter()
    .find(|k| responses.contains_key(k))
}

/// Check 1 for the request: its body against the document's request schema
/// (and a body where the document wants one, none where it does not).
pub fn request_failures(spec: &Spec, recording: &Recording) -> Vec<String> {
    let name = &recording.name;
    let schema = spec.request_schema(&recording.operation);
    let mut failures = Vec::new();
    match (&schema, &recording.request.body) {
        (None, None) => {}
        (None, Some(_)) => failures.push(format!(
            "{name}: sends a body, but the document's {} takes none",
            recording.operation
        )),
        (Some(_), None) => failures.push(format!(
            "{name}: sends no body, but the document's {} takes one",
            recording.operation
        )),
        (Some(schema), Some(body)) => {
            let validator = match spec.validator(schema) {
                Ok(v) => v,
                Err(e) => {
                    return vec![format!("{name}: the schema {schema} does not compile: {e}")];
                }
            };
            // A recording of a refused request sends what the API refuses on
            // purpose: its deviation says so.
            let expected_invalid = recording.response.status == 422;
            let errors: Vec<String> = validator
                .iter_errors(body)
                .map(|e| {
                    format!(
                        "{} ({}): {e}",
                        field_name(&e.instance_path().to_string()),
                        e.kind().keyword()
                    )
                })
                .collect();
            if !errors.is_empty() && !expected_invalid {
                failures.push(format!(
                    "{name}: the request body does not match the document: {}",
                    errors.join("; ")
                ));
            }
            let mut walk = Walk::default();
            walk_value(spec, schema, body, "", &mut walk);
            for field in walk.unknown {
                failures.push(format!(
                    "{name}: the request sends {}, which the document does not describe",
                    field_name(&field)
                ));
            }
        }
    }
    failures
}

/// Checks 1 of the contract: the body against the document's schema.
///
/// Returns the failures of the check, each naming the recording: a body that
/// does not validate (unless its deviation states exactly these failures), a
/// deviation that does not happen, or an answer the document does not describe.
pub fn schema_failures(spec: &Spec, recording: &Recording) -> Vec<String> {
    let name = &recording.name;
    let status = recording.response.status;
    let mut failures = Vec::new();
    match spec_response_key(spec, &recording.operation, status) {
        Some(key) if key == recording.spec_response => {}
        Some(key) => failures.push(format!(
            "{name}: says it stands for response {}, but the document answers status {status} with response {key}",
            recording.spec_response
        )),
        None => failures.push(format!(
            "{name}: the document does not describe status {status} for {}",
            recording.operation
        )),
    }
    if !recording.has_body() {
        // An answer without a body (a 204): the document must describe none.
        if response_has_content(spec, &recording.operation, status) {
            failures.push(format!(
                "{name}: has no body, but the document describes one for status {status} of {}",
                recording.operation
            ));
        }
        return failures;
    }
    let Some(schema) = spec.response_schema(&recording.operation, status, recording.content_type())
    else {
        failures.push(format!(
            "{name}: the document has no {} body for status {status} of {}",
            recording.content_type(),
            recording.operation
        ));
        return failures;
    };
    let validator = match spec.validator(&schema) {
        Ok(v) => v,
        Err(e) => {
            failures.push(format!("{name}: the schema {schema} does not compile: {e}"));
            return failures;
        }
    };
    let body = recording.body_value();
    let found: BTreeSet<SchemaError> = validator
        .iter_errors(&body)
        .map(|e| SchemaError {
            path: e.instance_path().to_string(),
            keyword: e.kind().keyword().to_owned(),
        })
        .collect();
    let stated: BTreeSet<SchemaError> = recording.deviation().schema_errors.into_iter().collect();
    for error in found.difference(&stated) {
        let messages: Vec<String> = validator
            .iter_errors(&body)
            .filter(|e| e.instance_path().to_string() == error.path)
            .map(|e| e.to_string())
            .collect();
        failures.push(format!(
            "{name}: the body does not match the document at {} ({}): {}; fix openapi/voxys-connect.yaml, or state the deviation in the recording",
            field_name(&error.path),
            error.keyword,
            messages.join("; ")
        ));
    }
    for error in stated.difference(&found) {
        failures.push(format!(
            "{name}: states a deviation at {} ({}) that the body does not have",
            field_name(&error.path),
            error.keyword
        ));
    }
    failures
}

/// Whether the document's response for `status` of an operation has a body
/// (`content`); `false` for a 204, or a status it does not describe.
pub fn response_has_content(spec: &Spec, operation: &str, status: u16) -> bool {
    let Some(op) = spec.operation(operation) else {
        return false;
    };
    let Some(key) = spec_response_key(spec, operation, status) else {
        return false;
    };
    spec.resolve(&format!("{}/responses/{key}", op.pointer))
        .is_some_and(|(_, response)| response.get("content").is_some())
}

/// A JSON pointer as a reader names the field: `/data/0/notes` -> `data[0].notes`.
pub fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    if out.is_empty() {
        "(the body)".to_owned()
    } else {
        out
    }
}

/// What a walk of a body along the document's schemas finds.
#[derive(Debug, Default)]
pub struct Walk {
    /// Members the document does not describe (JSON pointers).
    pub unknown: Vec<String>,
    /// The component schemas the body exercised, by name.
    pub schemas: BTreeSet<String>,
}

/// Walks a recording's body along the schema of its answer.
pub fn walk_body(spec: &Spec, recording: &Recording) -> Walk {
    let mut walk = Walk::default();
    if let Some(schema) = spec.response_schema(
        &recording.operation,
        recording.response.status,
        recording.content_type(),
    ) {
        walk_value(spec, &schema, &recording.body_value(), "", &mut walk);
    }
    walk
}

/// Walks a recording's request body along the operation's request schema.
pub fn walk_request(spec: &Spec, recording: &Recording) -> Walk {
    let mut walk = Walk::default();
    if let (Some(schema), Some(body)) = (
        spec.request_schema(&recording.operation),
        &recording.request.body,
    ) {
        walk_value(spec, &schema, body, "", &mut walk);
    }
    walk
}

/// Check 3b of the contract: the members the document does not describe
/// must be exactly those the recording's deviation states.
pub fn unknown_fields(spec: &Spec, recording: &Recording) -> Vec<String> {
    let found: BTreeSet<String> = walk_body(spec, recording).unknown.into_iter().collect();
    let stated: BTreeSet<String> = recording.deviation().unknown_fields.into_iter().collect();
    let mut failures = Vec::new();
    for field in found.difference(&stated) {
        failures.push(format!(
            "{}: the field {} is not in the OpenAPI document; add it to openapi/voxys-connect.yaml (or, if the API is ahead of the document on purpose, list it in the recording's deviation)",
            recording.name,
            field_name(field)
        ));
    }
    for field in stated.difference(&found) {
        failures.push(format!(
            "{}: states {} as unknown to the document, but the document describes it (or the body lacks it)",
            recording.name,
            field_name(field)
        ));
    }
    failures
}

/// The schema at `pointer` with `$ref`s followed, noting the component schemas
/// passed through.
fn resolve<'a>(spec: &'a Spec, pointer: &str, walk: &mut Walk) -> Option<(String, &'a Value)> {
    let mut pointer = pointer.to_owned();
    loop {
        if let Some(name) = pointer.strip_prefix("#/components/schemas/") {
            walk.schemas.insert(name.to_owned());
        }
        let value = spec.get(&pointer)?;
        match value.get("$ref").and_then(Value::as_str) {
            Some(next) => pointer = next.to_owned(),
            None => return Some((pointer, value)),
        }
    }
}

fn walk_value(spec: &Spec, pointer: &str, instance: &Value, at: &str, walk: &mut Walk) {
    let Some((pointer, schema)) = resolve(spec, pointer, walk) else {
        return;
    };
    if instance.is_null() {
        // A null member exercises the null-only alternative it matched.
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(options)) = schema.get(key) {
                for i in 0..options.len() {
                    let option = format!("{pointer}/{key}/{i}");
                    let mut scratch = Walk::default();
                    if resolve(spec, &option, &mut scratch)
                        .is_some_and(|(_, s)| voxys_connect_spec::is_null_only(s))
                    {
                        resolve(spec, &option, walk);
                    }
                }
            }
        }
        return;
    }
    // Subschemas that all apply (allOf), and one that applies (oneOf/anyOf:
    // the first whose required members are all present).
    let mut applying = vec![pointer.clone()];
    if let Some(Value::Array(all)) = schema.get("allOf") {
        applying.extend((0..all.len()).map(|i| format!("{pointer}/allOf/{i}")));
    }
    // A discriminator names the option; else the first option the instance
    // fits (see `fits`).
    let by_discriminator = schema.get("discriminator").and_then(|d| {
        let property = d.get("propertyName")?.as_str()?;
        let value = instance.get(property)?.as_str()?;
        d.get("mapping")?.get(value)?.as_str().map(str::to_owned)
    });
    if let Some(target) = by_discriminator {
        walk_value(spec, &target, instance, at, walk);
    }
    for key in ["oneOf", "anyOf"] {
        if schema.get("discriminator").is_some() {
            break;
        }
        if let Some(Value::Array(options)) = schema.get(key) {
            let chosen = (0..options.len())
                .map(|i| format!("{pointer}/{key}/{i}"))
                .find(|option| fits(spec, option, instance));
            if let Some(option) = chosen {
                walk_value(spec, &option, instance, at, walk);
            }
        }
    }
    // Note every schema that applies, scalars included (`Amount`, enums).
    for sub in &applying {
        resolve(spec, sub, walk);
    }
    match instance {
        Value::Object(members) => {
            let mut properties: BTreeMap<String, String> = BTreeMap::new();
            let mut described = false;
            for sub in &applying {
                let Some((sub, schema)) = resolve(spec, sub, walk) else {
                    continue;
                };
                if let Some(Value::Object(props)) = schema.get("properties") {
                    described = true;
                    for name in props.keys() {
                        properties.entry(name.clone()).or_insert_with(|| {
                            format!(
                                "{sub}/properties/{}",
                                name.replace('~', "~0").replace('/', "~1")
                            )
                        });
                    }
                }
            }
            if !described {
                return; // a free-form object: every member is known
            }
            for (name, value) in members {
                let here = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
                match properties.get(name) {
                    Some(schema) => walk_value(spec, schema, value, &here, walk),
                    None => walk.unknown.push(here),
                }
            }
        }
        Value::Array(items) => {
            for sub in &applying {
                let Some((sub, schema)) = resolve(spec, sub, walk) else {
                    continue;
                };
                if schema.get("items").is_some() {
                    for (i, item) in items.iter().enumerate() {
                        walk_value(
                            spec,
                            &format!("{sub}/items"),
                            item,
                            &format!("{at}/{i}"),
                            walk,
                        );
                    }
                    break;
                }
            }
        }
        _ => {}
    }
}

/// Whether `instance` fits the option at `pointer` of a `oneOf`/`anyOf`: every
/// member it requires is there, and every member it declares with a `type`
/// has a value of that type. A shallow look, and enough to tell the options
/// apart by their members (`{"errors": ["..."]}`, a list of messages, from
/// `{"errors": {"name": ["..."]}}`, each field's messages) without compiling
/// a validator for every option met.
fn fits(spec: &Spec, pointer: &str, instance: &Value) -> bool {
    let mut scratch = Walk::default();
    let Some((at, schema)) = resolve(spec, pointer, &mut scratch) else {
        return false;
    };
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|r| r.as_str().is_some_and(|r| instance.get(r).is_some()));
    let members = schema.get("properties").and_then(Value::as_object);
    let typed = members.into_iter().flatten().all(|(name, _)| {
        let Some(value) = instance.get(name) else {
            return true;
        };
        let member = format!(
            "{at}/properties/{}",
            name.replace('~', "~0").replace('/', "~1")
        );
        let Some((_, property)) = resolve(spec, &member, &mut scratch) else {
            return true;
        };
        let nullable = property.get("nullable") == Some(&Value::Bool(true));
        match property.get("type").and_then(Value::as_str) {
            None => true,
            Some(_) if value.is_null() => nullable,
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some(_) => true,
        }
    });
    required && typed
}

/// Check 3 of the contract: `again` (the body decoded and encoded again) keeps
/// every member of `original` with an equal value. `null` and absent count as
/// equal, and so do `{}` and absent (empty maps are left out when encoding);
/// numbers are equal by value (`15000` and `"15000.0"`), timestamps by instant.
pub fn lossless(original: &Value, again: &Value, at: &str) -> Vec<String> {
    match (original, again) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .flat_map(|(name, value)| {
                let here = format!("{at}/{name}");
                match b.get(name) {
                    None if value.is_null() || value == &Value::Object(Default::default()) => {
                        Vec::new()
                    }
                    None => vec![format!("{} was lost", field_name(&here))],
                    Some(other) => lossless(value, other, &here),
                }
            })
            .collect(),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .flat_map(|(i, (x, y))| lossless(x, y, &format!("{at}/{i}")))
            .collect(),
        (a, b) if a == b || same_number(a, b) || same_instant(a, b) => Vec::new(),
        (a, b) => vec![format!("{} changed from {a} to {b}", field_name(at))],
    }
}

fn as_decimal(value: &Value) -> Option<rust_decimal::Decimal> {
    match value {
        Value::Number(n) => n
            .to_string()
            .parse()
            .ok()
            .or_else(|| rust_decimal::Decimal::from_scientific(&n.to_string()).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn same_number(a: &Value, b: &Value) -> bool {
    (a.is_number() || b.is_number())
        && matches!((as_decimal(a), as_decimal(b)), (Some(x), Some(y)) if x == y)
}

fn same_instant(a: &Value, b: &Value) -> bool {
    let parse = |v: &Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    matches!((parse(a), parse(b)), (Some(x), Some(y)) if x == y)
}
