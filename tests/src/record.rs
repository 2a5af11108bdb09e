//! Recording exchanges from a live instance (`cargo xtask record`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
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
    pub account_id: u64,
    /// The API token (never written anywhere).
    pub token: String,
    /// The folder to write `recorded_*.json` into.
    pub out: PathBuf,
    /// Keep names, emails, notes and domains as received instead of replacing
    /// them with stable fake values.
    pub keep_personal_data: bool,
}

impl std::fmt::Debug for RecordOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordOptions")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("token", &"****")
            .field("out", &self.out)
            .field("keep_personal_data", &self.keep_personal_data)
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

    let mut written = Vec::new();
    let mut first_page: Option<Value> = None;
    for case in &cases {
        let recording = exchange(&http, base, &path, case, options, &spec).await?;
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
        let recording = exchange(&http, base, &path, case, options, &spec).await?;
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
        anonymize(&mut body);
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

/// A stable short tag for a value: the same input gives the same tag.
fn tag(value: &str) -> String {
    // FNV-1a, 64 bits: stable across runs, platforms and Rust versions.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", hash >> 32)
}

/// Replaces personal data (names, emails, notes, domains, free-form
/// attribute texts) of every lead with stable fake values.
pub fn anonymize(body: &mut Value) {
    let Some(leads) = body.get_mut("data").and_then(Value::as_array_mut) else {
        return;
    };
    let fake = |value: &mut Value, make: &dyn Fn(&str) -> String| {
        if let Some(text) = value.as_str()
            && !text.is_empty()
        {
            *value = Value::String(make(text));
        }
    };
    for lead in leads {
        if let Some(v) = lead.get_mut("custom_name") {
            fake(v, &|t| format!("Lead {}", tag(t)));
        }
        if let Some(v) = lead.get_mut("notes") {
            fake(v, &|t| format!("Note {}", tag(t)));
        }
        if let Some(agent) = lead.get_mut("assigned_agent").filter(|a| a.is_object()) {
            if let Some(v) = agent.get_mut("name") {
                fake(v, &|t| format!("Agent {}", tag(t)));
            }
            if let Some(v) = agent.get_mut("email") {
                fake(v, &|t| format!("agent-{}@example.com", tag(t)));
            }
            if let Some(v) = agent.get_mut("avatar_url") {
                fake(v, &|t| {
                    format!("https://avatars.example.com/{}.png", tag(t))
                });
            }
        }
        if let Some(company) = lead.get_mut("company").filter(|c| c.is_object()) {
            if let Some(v) = company.get_mut("name") {
                fake(v, &|t| format!("Company {}", tag(t)));
            }
            if let Some(v) = company.get_mut("domain") {
                fake(v, &|t| format!("company-{}.example", tag(t)));
            }
        }
        if let Some(attributes) = lead.get_mut("custom_attributes") {
            anonymize_texts(attributes);
        }
    }
}

fn anonymize_texts(value: &mut Value) {
    match value {
        Value::String(text) if !text.is_empty() => *text = format!("text {}", tag(text)),
        Value::Array(items) => items.iter_mut().for_each(anonymize_texts),
        Value::Object(members) => members.values_mut().for_each(anonymize_texts),
        _ => {}
    }
}
