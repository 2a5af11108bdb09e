//! Recording exchanges from a live instance (`cargo xtask record`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use voxys_connect_spec::Spec;

use crate::{
    Deviation, RecordedRequest, RecordedResponse, Recording, SchemaError, spec_response_key,
    walk_body,
};

/// What to record, from where, and where to write it.
#[derive(Clone)]
pub struct RecordOptions {
    /// The instance's base URL, such as `https://connect.voxys.ai`.
    pub base_url: String,
    /// The account whose leads to list.
    pub account_id: i64,
    /// The API token (never written anywhere).
    pub token: String,
    /// The folder to write `recorded_*.json` into.
    pub out: PathBuf,
    /// Keep names, emails, notes and domains as received instead of replacing
    /// them with fake values.
    pub keep_personal_data: bool,
    /// The key of the keyed hash that makes fake values (see [`Anonymizer`]):
    /// the same key gives the same fakes for the same data. A random one
    /// when `None`.
    pub anonymize_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordOptions")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("token", &"****")
            .field("out", &self.out)
            .field("keep_personal_data", &self.keep_personal_data)
            .field("anonymize_key", &self.anonymize_key.map(|_| "****"))
            .finish()
    }
}

/// How a case sends the token.
#[derive(Clone, Copy, PartialEq)]
enum Auth {
    Valid,
    Missing,
    Wrong,
}

struct Case {
    name: String,
    note: String,
    query: Vec<(String, String)>,
    auth: Auth,
}

fn case(name: &str, note: &str, query: &[(&str, String)], auth: Auth) -> Case {
    Case {
        name: name.to_owned(),
        note: note.to_owned(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        auth,
    }
}

/// Runs the fixed set of list requests against a live instance and writes one
/// recording per exchange. Returns the files written.
pub async fn record(options: &RecordOptions) -> Result<Vec<PathBuf>, String> {
    let spec = Spec::bundled();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let base = options.base_url.trim_end_matches('/');
    let path = format!("/api/v1/accounts/{}/leads", options.account_id);
    let one = |v: u64| v.to_string();

    let mut cases = vec![case(
        "default",
        "the first page with the API's defaults",
        &[("page", one(1))],
        Auth::Valid,
    )];
    cases.push(case(
        "per_page_100",
        "a page of up to 100 leads",
        &[("per_page", one(100)), ("page", one(1))],
        Auth::Valid,
    ));
    for status in ["open", "won", "lost", "snoozed"] {
        cases.push(case(
            &format!("status_{status}"),
            &format!("leads with status {status}"),
            &[("status", status.to_owned()), ("page", one(1))],
            Auth::Valid,
        ));
    }
    for field in [
        "created_at",
        "updated_at",
        "lead_value",
        "position",
        "custom_name",
    ] {
        cases.push(case(
            &format!("sort_{field}_asc"),
            &format!("leads sorted by {field}, ascending"),
            &[
                ("sort_by", field.to_owned()),
                ("sort_order", "asc".to_owned()),
                ("page", one(1)),
            ],
            Auth::Valid,
        ));
    }

    let anonymizer = match options.anonymize_key {
        Some(key) => Anonymizer::new(key, &spec),
        None => Anonymizer::random(&spec)?,
    };
    let mut written = Vec::new();
    let mut first_page: Option<Value> = None;
    for case in &cases {
        let recording = exchange(&http, base, &path, case, options, &spec, &anonymizer).await?;
        if case.name == "per_page_100" {
            first_page = Some(recording.response.body.clone());
        }
        written.push(write(options, &case.name, recording)?);
    }

    // Cases that depend on what the account holds.
    let total_pages = first_page
        .as_ref()
        .and_then(|b| b.pointer("/meta/total_pages"))
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
        .unwrap_or(1)
        .max(1);
    let agent = first_page.as_ref().and_then(|b| {
        b.get("data")?
            .as_array()?
            .iter()
            .find_map(|l| l.pointer("/assigned_agent/id")?.as_u64())
    });
    let mut more = vec![
        case(
            "last_page",
            "the last page",
            &[("per_page", one(100)), ("page", one(total_pages))],
            Auth::Valid,
        ),
        case(
            "past_the_end",
            "a page past the last one",
            &[("per_page", one(100)), ("page", one(total_pages + 1))],
            Auth::Valid,
        ),
        case(
            "invalid_status",
            "a status the API does not accept",
            &[("status", "not-a-status".to_owned()), ("page", one(1))],
            Auth::Valid,
        ),
        case(
            "missing_token",
            "no api_access_token header",
            &[("page", one(1))],
            Auth::Missing,
        ),
        case(
            "invalid_token",
            "a token that is not valid",
            &[("page", one(1))],
            Auth::Wrong,
        ),
    ];
    if let Some(agent) = agent {
        more.push(case(
            "assigned_agent",
            "leads of one agent",
            &[("assigned_agent_id", one(agent)), ("page", one(1))],
            Auth::Valid,
        ));
    }
    for case in &more {
        let recording = exchange(&http, base, &path, case, options, &spec, &anonymizer).await?;
        written.push(write(options, &case.name, recording)?);
    }
    Ok(written)
}

async fn exchange(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    case: &Case,
    options: &RecordOptions,
    spec: &Spec,
    anonymizer: &Anonymizer,
) -> Result<Recording, String> {
    let mut request = http
        .get(format!("{base}{path}"))
        .query(&case.query)
        .header("accept", "application/json");
    let mut sent_headers = BTreeMap::from([("accept".to_owned(), "application/json".to_owned())]);
    match case.auth {
        Auth::Valid => {
            let mut value = reqwest::header::HeaderValue::from_str(&options.token)
                .map_err(|_| "the token is not a valid header value".to_owned())?;
            value.set_sensitive(true);
            request = request.header(voxys_connect_api::API_KEY_HEADER, value);
        }
        Auth::Wrong => {
            request = request.header(voxys_connect_api::API_KEY_HEADER, "not-a-valid-token")
        }
        Auth::Missing => {}
    }
    if case.auth != Auth::Missing {
        sent_headers.insert(
            voxys_connect_api::API_KEY_HEADER.to_owned(),
            "[redacted]".to_owned(),
        );
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("{}: the request failed: {e}", case.name))?;
    let status = response.status().as_u16();
    let mut headers = BTreeMap::new();
    for name in ["content-type", "retry-after"] {
        if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            headers.insert(name.to_owned(), value.to_owned());
        }
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("{}: reading the body failed: {e}", case.name))?;
    let text = text.replace(&options.token, "[redacted]");
    let is_json = headers
        .get("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    let mut body = match is_json {
        true => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        false => Value::String(text),
    };
    if !options.keep_personal_data {
        anonymizer.anonymize(&mut body);
    }
    let mut recording = Recording {
        name: format!("recorded_{}", case.name),
        note: format!(
            "Recorded from a live instance by `cargo xtask record` on {}: {}.",
            chrono::Utc::now().format("%Y-%m-%d"),
            case.note
        ),
        operation: "list_leads".to_owned(),
        spec_response: spec_response_key(spec, "list_leads", status)
            .unwrap_or_else(|| "undocumented".to_owned()),
        deviation: None,
        expect: None,
        request: RecordedRequest {
            method: "GET".to_owned(),
            path: path.to_owned(),
            query: case.query.clone(),
            headers: sent_headers,
            body: None,
        },
        response: RecordedResponse {
            status,
            headers,
            body,
        },
    };
    recording.deviation = found_deviation(spec, &recording);
    Ok(recording)
}

/// What the recorded body does that the document does not say, so that a
/// maintainer reviews it: it becomes the recording's stated deviation.
fn found_deviation(spec: &Spec, recording: &Recording) -> Option<Deviation> {
    let schema = spec.response_schema(
        &recording.operation,
        recording.response.status,
        recording.content_type(),
    )?;
    let validator = spec.validator(&schema).ok()?;
    let body = recording.body_value();
    let mut schema_errors: Vec<SchemaError> = validator
        .iter_errors(&body)
        .map(|e| SchemaError {
            path: e.instance_path().to_string(),
            keyword: e.kind().keyword().to_owned(),
        })
        .collect();
    schema_errors.sort();
    schema_errors.dedup();
    let mut unknown_fields = walk_body(spec, recording).unknown;
    unknown_fields.sort();
    (!schema_errors.is_empty() || !unknown_fields.is_empty()).then(|| Deviation {
        reason: "found when recording: review it, then fix openapi/voxys-connect.yaml or keep it as a known deviation".to_owned(),
        schema_errors,
        unknown_fields,
    })
}

fn write(options: &RecordOptions, case: &str, recording: Recording) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let path = options.out.join(format!("recorded_{case}.json"));
    let mut text = serde_json::to_string_pretty(&recording).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// Replaces personal data in recorded bodies with fake values.
///
/// A fake value is made of a tag of the real one: the first 64 bits of
/// HMAC-SHA256 under a key, so that the same name gets the same fake
/// throughout (the recordings stay consistent), while nobody without the key
/// can confirm a guess by hashing candidate names. The key is random for each
/// run unless one is given (to get the same fakes from the same data again).
pub struct Anonymizer {
    key: [u8; 32],
    /// The members the document describes, for leads, agents and a lead's
    /// company (`CompanySummary`, not the full `Company`: a member only the
    /// full company has, such as `description`, is not described in a lead);
    /// every text in any other member is replaced too.
    lead_members: Vec<String>,
    agent_members: Vec<String>,
    company_members: Vec<String>,
}

impl Anonymizer {
    /// An anonymizer with this key.
    pub fn new(key: [u8; 32], spec: &Spec) -> Anonymizer {
        let members = |schema: &str| -> Vec<String> {
            spec.get(&format!("#/components/schemas/{schema}/properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default()
        };
        Anonymizer {
            key,
            lead_members: members("Lead"),
            agent_members: members("Agent"),
            company_members: members("CompanySummary"),
        }
    }

    /// An anonymizer with a random key from the operating system.
    pub fn random(spec: &Spec) -> Result<Anonymizer, String> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no random key for anonymizing: {e}"))?;
        Ok(Anonymizer::new(key, spec))
    }

    /// A short tag of `value` under the key.
    fn tag(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Replaces personal data (names, emails, notes, domains, the texts of
    /// free-form attributes, and every text in a member the document does not
    /// describe) of every lead of a list body with fake values.
    pub fn anonymize(&self, body: &mut Value) {
        let Some(leads) = body.get_mut("data").and_then(Value::as_array_mut) else {
            return;
        };
        for lead in leads {
            self.lead(lead);
        }
    }

    fn lead(&self, lead: &mut Value) {
        let fake = |value: &mut Value, make: &dyn Fn(&str) -> String| {
            if let Some(text) = value.as_str()
                && !text.is_empty()
            {
                *value = Value::String(make(text));
            }
        };
        let Some(members) = lead.as_object_mut() else {
            return;
        };
        for (name, value) in members.iter_mut() {
            match name.as_str() {
                "custom_name" => fake(value, &|t| format!("Lead {}", self.tag(t))),
                "notes" => fake(value, &|t| format!("Note {}", self.tag(t))),
                "custom_attributes" => self.texts(value),
                "assigned_agent" => {
                    self.object(value, &self.agent_members, &|name, v| match name {
                        "name" => fake(v, &|t| format!("Agent {}", self.tag(t))),
                        "email" => fake(v, &|t| format!("agent-{}@example.com", self.tag(t))),
                        "avatar_url" => fake(v, &|t| {
                            format!("https://avatars.example.com/{}.png", self.tag(t))
                        }),
                        _ => {}
                    })
                }
                "company" => self.object(value, &self.company_members, &|name, v| match name {
                    "name" => fake(v, &|t| format!("Company {}", self.tag(t))),
                    "domain" => fake(v, &|t| format!("company-{}.example", self.tag(t))),
                    _ => {}
                }),
                other if !self.lead_members.iter().any(|m| m == other) => self.texts(value),
                _ => {}
            }
        }
    }

    /// A nested object: its personal members through `known`, and every text
    /// of a member the document does not describe.
    fn object(&self, value: &mut Value, described: &[String], known: &dyn Fn(&str, &mut Value)) {
        let Some(members) = value.as_object_mut() else {
            return;
        };
        for (name, member) in members.iter_mut() {
            if described.iter().any(|m| m == name) {
                known(name, member);
            } else {
                self.texts(member);
            }
        }
    }

    /// Every text inside `value`, replaced.
    fn texts(&self, value: &mut Value) {
        match value {
            Value::String(text) if !text.is_empty() => *text = format!("text {}", self.tag(text)),
            Value::Array(items) => items.iter_mut().for_each(|v| self.texts(v)),
            Value::Object(members) => members.values_mut().for_each(|v| self.texts(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_keyed_stable_and_not_a_plain_hash() {
        let spec = Spec::bundled();
        let one = Anonymizer::new([1; 32], &spec);
        let again = Anonymizer::new([1; 32], &spec);
        let other = Anonymizer::new([2; 32], &spec);
        assert_eq!(one.tag("Jane Smith"), again.tag("Jane Smith"));
        assert_ne!(one.tag("Jane Smith"), other.tag("Jane Smith"));
        assert_ne!(one.tag("Jane Smith"), one.tag("Jane Smyth"));
        assert_eq!(one.tag("x").len(), 16, "64 bits");
        let a = Anonymizer::random(&spec).unwrap();
        let b = Anonymizer::random(&spec).unwrap();
        assert_ne!(
            a.tag("Jane Smith"),
            b.tag("Jane Smith"),
            "a random key each run"
        );
    }

    #[test]
    fn a_leads_company_is_read_as_the_summary_the_document_gives_it() {
        let spec = Spec::bundled();
        let summary = spec
            .get("#/components/schemas/Lead/properties/company/anyOf/0/$ref")
            .and_then(Value::as_str);
        assert_eq!(summary, Some("#/components/schemas/CompanySummary"));
        let anonymizer = Anonymizer::new([3; 32], &spec);
        // `description` is a member of the full company, not of a lead's:
        // undocumented there, so its text is replaced like any other.
        let mut body = json!({"data": [{
            "id": 1,
            "status": "open",
            "created_at": "2023-11-07T05:31:56Z",
            "updated_at": "2023-11-07T05:31:56Z",
            "company": {"id": 9, "name": "Acme", "domain": "acme.com", "description": "Jane's plan"}
        }]});
        anonymizer.anonymize(&mut body);
        let company = &body["data"][0]["company"];
        assert!(
            company["description"]
                .as_str()
                .unwrap()
                .starts_with("text "),
            "{company}"
        );
        assert!(company["name"].as_str().unwrap().starts_with("Company "));
        assert_eq!(company["id"], 9);
    }

    #[test]
    fn texts_in_members_the_document_does_not_describe_are_replaced_too() {
        let spec = Spec::bundled();
        let anonymizer = Anonymizer::new([7; 32], &spec);
        let mut body = json!({"data": [{
            "id": 1,
            "status": "open",
            "custom_name": "Acme renewal",
            "lead_currency": "USD",
            "created_at": "2023-11-07T05:31:56Z",
            "contact_email": "jane@customer.example",
            "owner": {"full_name": "Jane Doe", "age": 41, "tags": ["vip", "jane"]},
            "assigned_agent": {"id": 3, "name": "Omar Haddad", "email": "omar@corp.example", "phone": "+1 555 0100"},
            "company": {"id": 9, "name": "Acme", "domain": "acme.com", "vat_id": "DE123"}
        }]});
        anonymizer.anonymize(&mut body);
        let text = body.to_string();
        for real in [
            "Acme",
            "jane@customer.example",
            "Jane Doe",
            "jane",
            "Omar",
            "omar@corp",
            "555 0100",
            "DE123",
            "acme.com",
        ] {
            assert!(!text.contains(real), "{real} survived: {text}");
        }
        let lead = &body["data"][0];
        assert_eq!(lead["id"], 1);
        assert_eq!(lead["status"], "open", "described, not personal: kept");
        assert_eq!(lead["lead_currency"], "USD");
        assert_eq!(lead["created_at"], "2023-11-07T05:31:56Z");
        assert_eq!(lead["owner"]["age"], 41, "numbers are not personal text");
        assert_eq!(lead["assigned_agent"]["id"], 3);
    }
}
