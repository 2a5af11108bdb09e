//! The contract tests: every recording in `tests/recordings/` held against the
//! OpenAPI document, the generated types and the SDK, and the recordings held
//! against the document as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use voxys_connect::leads::ListLeads;
use voxys_connect::types::{LeadSortField, LeadStatus, SortOrder};
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_api::ResponseValue;
use voxys_connect_api::types::{self, ErrorBody, LeadList};
use voxys_connect_contract::record::{RecordOptions, record};
use voxys_connect_contract::{
    Recording, field_name, lossless, recordings_dir, request_failures, response_has_content,
    schema_failures, unknown_fields, walk_body, walk_request,
};
use voxys_connect_spec::Spec;
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The operations of the document, in its order: the list every check here
/// walks, read from the document and never restated.
fn operations() -> Vec<String> {
    Spec::bundled()
        .operations()
        .into_iter()
        .map(|op| op.id)
        .collect()
}

/// A body decoded into a generated type, and encoded again; or why it does
/// not decode.
fn again<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<Value, String> {
    let value: T = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    serde_json::to_value(&value).map_err(|e| e.to_string())
}

/// The generated type of each component schema an answer of the document is
/// (or is a list of), by the schema's name: the one place the decoding
/// check names generated types. An operation answering with a schema listed
/// here needs nothing more; a new answer schema needs its name here
/// (`every_answer_of_the_document_has_a_generated_type` says which).
macro_rules! answer_types {
    ($($schema:ident),* $(,)?) => {
        /// The schemas [`decode_as`] knows.
        const ANSWER_SCHEMAS: &[&str] = &[$(stringify!($schema)),*];

        /// `bytes` decoded as the generated type of `schema` (a list of
        /// them when `list`), and encoded again.
        fn decode_as(schema: &str, list: bool, bytes: &[u8]) -> Result<Value, String> {
            match (schema, list) {
                $(
                    (stringify!($schema), false) => again::<types::$schema>(bytes),
                    (stringify!($schema), true) => again::<Vec<types::$schema>>(bytes),
                )*
                _ => Err(format!("no generated type for the schema {schema} (add it to answer_types!)")),
            }
        }
    };
}

answer_types!(
    Lead,
    LeadList,
    LeadStats,
    BulkActionResult,
    Card,
    Note,
    Company,
    CompanyList,
    Contact,
    TimelineEvent,
    Funnel,
    FunnelStats,
    Stage,
    CardEvent,
    FunnelAnalytics,
    Task,
    TaskList,
    CrmPanel,
);

/// What the document says an operation answers with a status.
#[derive(Debug, PartialEq)]
enum Answer {
    /// No body (a 204).
    Nothing,
    /// One value of a component schema.
    One(String),
    /// A JSON array of values of a component schema.
    List(String),
}

/// The answer the document gives `operation` for `status`, read from its
/// response's JSON schema.
fn answer_of(spec: &Spec, operation: &str, status: u16) -> Result<Answer, String> {
    if !response_has_content(spec, operation, status) {
        return Ok(Answer::Nothing);
    }
    let pointer = spec
        .response_schema(operation, status, "application/json")
        .ok_or_else(|| format!("{operation}: no JSON answer for status {status}"))?;
    let component = |pointer: &str| {
        pointer
            .strip_prefix("#/components/schemas/")
            .map(str::to_owned)
    };
    if let Some(name) = component(&pointer) {
        return Ok(Answer::One(name));
    }
    let schema = spec.get(&pointer).cloned().unwrap_or_default();
    match (schema["type"].as_str(), schema["items"]["$ref"].as_str()) {
        (Some("array"), Some(items)) => component(items).map(Answer::List).ok_or_else(|| {
            format!("{operation}: the items of its answer are not a component schema")
        }),
        _ => Err(format!(
            "{operation}: its answer for status {status} is neither a component schema nor an array of one"
        )),
    }
}

/// A 2xx body decoded into the generated type the document gives the
/// operation's answer, and encoded again (`null` for an answer without a
/// body); or why it does not decode.
fn decode_and_encode(
    spec: &Spec,
    operation: &str,
    status: u16,
    bytes: &[u8],
) -> Result<Value, String> {
    match answer_of(spec, operation, status)? {
        Answer::Nothing if bytes.is_empty() => Ok(Value::Null),
        Answer::Nothing => Err("the document gives this answer no body, but it has one".into()),
        Answer::One(schema) => decode_as(&schema, false, bytes),
        Answer::List(schema) => decode_as(&schema, true, bytes),
    }
}

const TOKEN: &str = "contract-test-token-5c1e";

fn recordings() -> Vec<Recording> {
    let all = Recording::load_all(&recordings_dir()).unwrap();
    assert!(all.len() >= 20, "the recordings are there ({})", all.len());
    all
}

/// Checks 1 to 3 for one recording against `spec`: every failure, each
/// naming the recording and the field.
fn document_failures(spec: &Spec, recording: &Recording) -> Vec<String> {
    let mut failures = schema_failures(spec, recording);
    failures.extend(unknown_fields(spec, recording));
    failures.extend(request_failures(spec, recording));
    let name = &recording.name;
    let bytes = recording.body_bytes();
    match recording.response.status {
        status @ 200..=299 => match decode_and_encode(spec, &recording.operation, status, &bytes) {
            Ok(again) => {
                for loss in lossless(&recording.response.body, &again, "") {
                    failures.push(format!("{name}: decoding and encoding again: {loss}"));
                }
            }
            Err(e) => failures.push(format!(
                "{name}: does not decode into the generated type of {}: {e}",
                recording.operation
            )),
        },
        _ if recording.is_json() => {
            if let Err(e) = serde_json::from_slice::<ErrorBody>(&bytes) {
                failures.push(format!(
                    "{name}: does not decode into the generated ErrorBody: {e}"
                ));
            }
        }
        _ => {}
    }
    failures
}

#[test]
fn every_recording_holds_against_the_document() {
    let spec = Spec::bundled();
    let failures: Vec<String> = recordings()
        .iter()
        .flat_map(|r| document_failures(&spec, r))
        .collect();
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn no_recording_holds_a_token() {
    for recording in recordings() {
        if let Some(token) = recording.request.headers.get("api_access_token") {
            assert_eq!(
                token, "[redacted]",
                "{}: the token header must be recorded as [redacted]",
                recording.name
            );
        }
        let text = serde_json::to_string(&recording).unwrap();
        assert!(!text.contains(TOKEN), "{}", recording.name);
    }
}

#[test]
fn deviations_are_real_and_still_decode() {
    let spec = Spec::bundled();
    let deviating: Vec<Recording> = recordings()
        .into_iter()
        .filter(|r| r.deviation.is_some())
        .collect();
    assert!(
        deviating.len() >= 2,
        "string page numbers and unknown fields are recorded (string decimals are valid under the document)"
    );
    for recording in &deviating {
        let deviation = recording.deviation();
        // The stated deviation happens (checked exactly above); here: it is
        // not empty, and the body decodes all the same.
        assert!(
            !deviation.schema_errors.is_empty() || !deviation.unknown_fields.is_empty(),
            "{}: a deviation that states nothing",
            recording.name
        );
        let again = decode_and_encode(
            &spec,
            &recording.operation,
            recording.response.status,
            &recording.body_bytes(),
        )
        .unwrap_or_else(|e| panic!("{}: a deviation must still decode: {e}", recording.name));
        for pointer in &deviation.unknown_fields {
            // Unknown members are kept, in the `extra` map of their object.
            let (parent, member) = pointer.rsplit_once('/').unwrap();
            assert!(
                again.pointer(parent).and_then(|p| p.get(member)).is_some(),
                "{}: {} was not kept",
                recording.name,
                field_name(pointer)
            );
        }
    }
    let schema = spec.validator("#/components/schemas/LeadList").unwrap();
    let decimal = recordings()
        .into_iter()
        .find(|r| r.name == "list_leads_200_string_decimal")
        .unwrap();
    // Rails's spelling of decimals is the document's too (`Amount`), and
    // decodes exactly.
    assert!(
        schema.is_valid(&decimal.response.body),
        "string decimals are valid under the document"
    );
    let list: LeadList = serde_json::from_slice(&decimal.body_bytes()).unwrap();
    assert_eq!(list.data[0].lead_value.unwrap().to_string(), "15000");
    assert_eq!(list.data[1].lead_value.unwrap().to_string(), "0.1");
}

/// The ids in a recorded path, in order: the account's, then the lead's or
/// the funnel's.
fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter_map(|s| s.parse().ok()).collect()
}

/// The list request a recorded one stands for.
fn list_request(client: &Client, recording: &Recording, account: i64) -> ListLeads {
    let mut request = client.leads(account).list();
    let number = |v: &str| v.parse::<u64>().unwrap();
    let id = |v: &str| v.parse::<i64>().unwrap();
    for (name, value) in &recording.request.query {
        request = match name.as_str() {
            "status" => request.status(LeadStatus::from(value.as_str())),
            "assigned_agent_id" => request.assigned_agent(id(value)),
            "source_inbox_id" => request.source_inbox(id(value)),
            "sort_by" => request.sort_by(LeadSortField::from_str(value).unwrap()),
            "sort_order" => request.order(SortOrder::from_str(value).unwrap()),
            "page" => request.page(number(value)),
            "per_page" => request.per_page(number(value)),
            other => panic!("{}: the SDK has no parameter {other}", recording.name),
        };
    }
    request
}

/// Makes, through the SDK, the call a recording stands for; what the SDK
/// made of the answer, in the terms of the recording's `expect`. `None` for
/// an operation the SDK has no call of its own for (it is replayed through
/// the generated client only: see `generated_calls!`).
async fn replay(client: &Client, recording: &Recording) -> Option<Value> {
    let ids = path_ids(&recording.request.path);
    let account = ids[0];
    let body = recording.request.body.clone().unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Some(match recording.operation.as_str() {
        "list_leads" => summary(list_request(client, recording, account).send().await.map(
            |page| {
                json!({
                    "leads": page.len(),
                    "current_page": page.current_page(),
                    "total_pages": page.total_pages(),
                    "total_count": page.total_count(),
                })
            },
        )),
        "get_lead" => summary(
            client
                .leads(account)
                .get(ids[1])
                .send()
                .await
                .map(|lead| json!({"lead": lead.id, "status": lead.status.as_str()})),
        ),
        "lead_stats" => summary(client.leads(account).stats().send().await.map(|s| {
            json!({
                "total": s.total, "open": s.open, "won": s.won, "lost": s.lost,
                "total_value": s.total_value.to_string(), "won_value": s.won_value.to_string(),
            })
        })),
        "update_lead_status" => {
            let status = LeadStatus::from(text(&body["status"]));
            let mut call = client.leads(account).set_status(ids[1], status);
            match body.get("notes") {
                None => {}
                Some(Value::String(notes)) => call = call.notes(notes),
                Some(_) => call = call.clear_notes(),
            }
            summary(call.send().await.map(|lead| {
                json!({"lead": lead.id, "status": lead.status.as_str(), "notes": lead.notes})
            }))
        }
        "bulk_lead_action" => {
            let lead_ids: Vec<i64> = body["lead_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            let action = match body["action_type"].as_str() {
                Some("assign") => voxys_connect::leads::BulkActionKind::Assign {
                    agent_id: body["params"]["assigned_agent_id"].as_i64().unwrap(),
                },
                Some("status_change") => voxys_connect::leads::BulkActionKind::SetStatus {
                    status: LeadStatus::from(text(&body["params"]["status"])),
                },
                _ => voxys_connect::leads::BulkActionKind::Delete,
            };
            let outcome = client
                .leads(account)
                .bulk(action, lead_ids)
                .batch_size(voxys_connect::leads::MAX_BATCH_SIZE)
                .send()
                .await;
            match outcome {
                Err(error) => summary(Err(error)),
                Ok(outcome) => match outcome.failed().next() {
                    Some((_, error)) => error_summary(error),
                    None => json!({"affected": outcome.affected()}),
                },
            }
        }
        "convert_lead" => {
            let mut call = client
                .leads(account)
                .convert(ids[1], body["funnel_id"].as_i64().unwrap())
                .settle_after(std::time::Duration::ZERO);
            if let Some(stage) = body.get("funnel_stage_id").and_then(Value::as_i64) {
                call = call.stage(stage);
            }
            summary(call.send().await.map(|card| {
                json!({"card": card.id, "lead": card.lead.id, "funnel_stage_id": card.funnel_stage_id})
            }))
        }
        "list_funnel_cards" => {
            let mut call = client.pipelines(account).cards(ids[1]).list();
            for (name, value) in &recording.request.query {
                call = match name.as_str() {
                    "lead_status" => call.lead_status(LeadStatus::from(value.as_str())),
                    "stage_id" => call.stage(value.parse().unwrap()),
                    other => panic!("{}: the SDK has no parameter {other}", recording.name),
                };
            }
            summary(call.send().await.map(|cards| json!({"cards": cards.len()})))
        }
        "create_company" => {
            // The one new operation replayed through the SDK as well: its 422
            // is the reference's shape (each field's messages), which the
            // SDK reads into `Error::Validation`.
            let mut call = client.companies(account).create(text(&body["name"]));
            if let Some(domain) = body["domain"].as_str() {
                call = call.domain(domain);
            }
            if let Some(description) = body["description"].as_str() {
                call = call.description(description);
            }
            for (key, value) in body["custom_attributes"].as_object().into_iter().flatten() {
                call = call.attribute(key, value.clone());
            }
            summary(
                call.send()
                    .await
                    .map(|company| json!({"company": company.id, "name": company.name})),
            )
        }
        _ => return None,
    })
}

/// A result in the terms of a recording's `expect`.
fn summary(result: Result<Value, Error>) -> Value {
    match result {
        Ok(value) => value,
        Err(error) => error_summary(&error),
    }
}

/// An error in the terms of a recording's `expect`.
fn error_summary(error: &Error) -> Value {
    match error {
        Error::Unauthorized {
            status, message, ..
        } => {
            json!({"error": "Unauthorized", "status": status, "message": message})
        }
        Error::NotFound { message, .. } => json!({"error": "NotFound", "message": message}),
        Error::Validation {
            message,
            attributes,
            fields,
            ..
        } => {
            json!({"error": "Validation", "message": message, "attributes": attributes, "fields": fields})
        }
        Error::RateLimited { retry_after, .. } => {
            json!({"error": "RateLimited", "retry_after_secs": retry_after.map(|d| d.as_secs())})
        }
        Error::Server {
            status, snippet, ..
        } => json!({"error": "Server", "status": status, "snippet": snippet}),
        Error::OutcomeUnknown { .. } => json!({"error": "OutcomeUnknown"}),
        other => json!({"error": format!("{other:?}")}),
    }
}

/// The error kind the API's documented statuses map to.
fn kind_for(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        401 => "Unauthorized",
        404 => "NotFound",
        422 => "Validation",
        429 => "RateLimited",
        _ => "Server",
    }
}

/// A local server that answers every request with the recorded answer.
async fn serve(recording: &Recording) -> MockServer {
    let server = MockServer::start().await;
    let mut answer = ResponseTemplate::new(recording.response.status);
    if recording.has_body() {
        answer = answer.set_body_raw(recording.body_bytes(), recording.content_type());
    }
    for (name, value) in &recording.response.headers {
        if name != "content-type" {
            answer = answer.insert_header(name.as_str(), value.as_str());
        }
    }
    if recording.operation == "convert_lead" {
        // A conversion through the SDK first notes the lead's cards in the
        // funnel: none.
        Mock::given(method("GET"))
            .and(path_regex(r"/funnels/\d+/cards$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    Mock::given(any()).respond_with(answer).mount(&server).await;
    server
}

/// The SDK's client for a local server: the pipeline every call goes
/// through, retries off (each recording is one exchange).
fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap()
}

/// How the request a client sent differs from the recorded one (method and
/// path, query, body, headers, the token), each failure naming the recording
/// and `who` sent it.
fn sent_failures(recording: &Recording, received: &[Request], who: &str) -> Vec<String> {
    let name = &recording.name;
    let Some(sent) = received.iter().find(|r| {
        r.method.as_str() == recording.request.method && r.url.path() == recording.request.path
    }) else {
        return vec![format!(
            "{name}: {who} never sent {} {} (it sent {:?})",
            recording.request.method,
            recording.request.path,
            received
                .iter()
                .map(|r| format!("{} {}", r.method, r.url.path()))
                .collect::<Vec<_>>()
        )];
    };
    let mut failures = Vec::new();
    let mut sent_query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
    let mut recorded_query = recording.request.query.clone();
    sent_query.sort();
    recorded_query.sort();
    if sent_query != recorded_query {
        failures.push(format!(
            "{name}: {who} sent query {sent_query:?}, recorded {recorded_query:?}"
        ));
    }
    let sent_body: Option<Value> =
        (!sent.body.is_empty()).then(|| serde_json::from_slice(&sent.body).unwrap_or(Value::Null));
    if sent_body != recording.request.body {
        failures.push(format!(
            "{name}: {who} sent the body {sent_body:?}, recorded {:?}",
            recording.request.body
        ));
    }
    if recording.request.headers.contains_key("api_access_token")
        && sent
            .headers
            .get("api_access_token")
            .is_none_or(|v| v != TOKEN)
    {
        failures.push(format!("{name}: {who} did not send the token header"));
    }
    for (header, value) in &recording.request.headers {
        if header != "api_access_token"
            && sent
                .headers
                .get(header.as_str())
                .is_none_or(|v| v != value.as_str())
        {
            failures.push(format!("{name}: {who} sent header {header} not as {value}"));
        }
    }
    failures
}

#[tokio::test]
async fn every_recording_replays_through_the_sdk() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for recording in recordings() {
        let server = serve(&recording).await;
        let Some(got) = replay(&client_for(&server), &recording).await else {
            // No call of the SDK's own: replayed through the generated
            // client only (below).
            continue;
        };
        replayed += 1;
        let name = &recording.name;
        match &recording.expect {
            Some(expected) if &got != expected => failures.push(format!(
                "{name}: the SDK made {got} of it, expected {expected}"
            )),
            Some(_) => {}
            None => {
                let kind = got.get("error").and_then(Value::as_str).unwrap_or("ok");
                if kind != kind_for(recording.response.status) {
                    failures.push(format!(
                        "{name}: the SDK made {got} of status {}",
                        recording.response.status
                    ));
                }
            }
        }
        // The request the SDK sent is the recorded one.
        let received = server.received_requests().await.unwrap();
        failures.extend(sent_failures(&recording, &received, "the SDK"));
    }
    assert!(replayed >= 55, "{replayed} recordings replayed");
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The values of the path parameters in a recorded path, by name, read
/// along the document's path template; `None` when the path does not
/// follow it.
fn path_values(template: &str, path: &str) -> Option<BTreeMap<String, i64>> {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    if template.len() != path.len() {
        return None;
    }
    let mut values = BTreeMap::new();
    for (part, value) in template.iter().zip(&path) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                values.insert(name.to_owned(), value.parse().ok()?);
            }
            None if part == value => {}
            None => return None,
        }
    }
    Some(values)
}

/// What the generated client made of an answer: its status, and its body as
/// the generated client decoded it, encoded again (an error answer's JSON
/// body decoded as `ErrorBody`, any other as its text; `null` for none).
struct Answered {
    status: u16,
    error: bool,
    body: Value,
}

/// The outcome of a call of the generated client, as [`Answered`]; `Err`
/// when it failed without an answer, or could not decode one.
async fn answered<T: Serialize>(
    result: Result<ResponseValue<T>, voxys_connect_api::Error<()>>,
) -> Result<Answered, String> {
    match result {
        Ok(value) => Ok(Answered {
            status: value.status().as_u16(),
            error: false,
            body: serde_json::to_value(value.into_inner()).map_err(|e| e.to_string())?,
        }),
        Err(voxys_connect_api::Error::UnexpectedResponse(response)) => {
            let status = response.status().as_u16();
            let json = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("application/json"));
            let bytes = response.bytes().await.map_err(|e| e.to_string())?;
            let body = match json {
                true => serde_json::from_slice::<ErrorBody>(&bytes)
                    .map_err(|e| format!("the error body does not decode into ErrorBody: {e}"))
                    .and_then(|b| serde_json::to_value(b).map_err(|e| e.to_string()))?,
                false if bytes.is_empty() => Value::Null,
                false => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
            };
            Ok(Answered {
                status,
                error: true,
                body,
            })
        }
        Err(other) => Err(format!("the generated client failed: {other}")),
    }
}

/// A query value as the generated builder's parameter type.
fn query_value<T: FromStr>(name: &str, text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("the query parameter {name}={text:?} is not a valid value"))
}

/// The recorded request body as the generated builder's body type.
fn request_body<T: DeserializeOwned>(recording: &Recording) -> Result<T, String> {
    let body = recording
        .request
        .body
        .clone()
        .ok_or("no request body recorded")?;
    serde_json::from_value(body).map_err(|e| {
        format!("the recorded request body does not make the generated body type: {e}")
    })
}

/// The generated client's builder for each operation, by its `operationId`:
/// the path parameters it takes, its query parameters with the builder's
/// type for each, and its body type. The document decides the rest: a
/// recording's path values are read along the document's path template, and
/// its query and body are handed over as recorded.
///
/// A new operation is one line here. The compiler checks the names and types
/// against the generated builders, and
/// `generated_calls_follow_the_document` checks each line against the
/// document's parameters and request body, so a line cannot drift from
/// either.
macro_rules! generated_calls {
    ($(
        $op:ident ( $($path:ident),+ $(; $($query:ident : $qtype:ty),+ )? ) $(body $body:ty)?
    ),* $(,)?) => {
        /// Every line of the table: the operation, its path parameters, its
        /// query parameters, whether it sends a body.
        const GENERATED_CALLS: &[(&str, &[&str], &[&str], bool)] = &[$(
            (
                stringify!($op),
                &[$(stringify!($path)),+],
                &[$($(stringify!($query)),+)?],
                !<[&str]>::is_empty(&[$(stringify!($body)),*]),
            ),
        )*];

        /// Makes, through the generated client, the call a recording stands
        /// for, and returns what it made of the answer.
        async fn call_generated(
            api: &voxys_connect_api::Client,
            recording: &Recording,
            path: &BTreeMap<String, i64>,
        ) -> Result<Answered, String> {
            let path_value = |name: &str| {
                path.get(name)
                    .copied()
                    .ok_or_else(|| format!("the path has no {name}"))
            };
            let known = GENERATED_CALLS
                .iter()
                .find(|(op, ..)| *op == recording.operation)
                .map(|(_, _, query, _)| *query)
                .unwrap_or_default();
            if let Some((other, _)) = recording
                .request
                .query
                .iter()
                .find(|(name, _)| !known.contains(&name.as_str()))
            {
                return Err(format!("generated_calls! gives {} no query parameter {other}", recording.operation));
            }
            match recording.operation.as_str() {
                $(stringify!($op) => {
                    let mut call = api.$op();
                    $(call = call.$path(path_value(stringify!($path))?);)+
                    $(for (name, value) in &recording.request.query {
                        $(if name == stringify!($query) {
                            call = call.$query(query_value::<$qtype>(name, value)?);
                        })+
                    })?
                    $(call = call.body(request_body::<$body>(recording)?);)?
                    answered(call.send().await).await
                })*
                other => Err(format!("generated_calls! has no line for {other}")),
            }
        }
    };
}

generated_calls! {
    list_leads(account_id; status: LeadStatus, assigned_agent_id: i64, source_inbox_id: i64,
        sort_by: types::LeadSortField, sort_order: types::SortOrder, page: i64, per_page: i64),
    create_lead(account_id) body types::LeadCreate,
    lead_stats(account_id),
    get_lead(account_id, id),
    update_lead(account_id, id) body voxys_connect_api::LeadUpdate,
    delete_lead(account_id, id),
    update_lead_status(account_id, id) body voxys_connect_api::LeadStatusUpdate,
    bulk_lead_action(account_id) body types::BulkAction,
    convert_lead(account_id, lead_id) body types::LeadConversion,
    list_lead_notes(account_id, lead_id),
    create_lead_note(account_id, lead_id) body types::NoteCreate,
    list_companies(account_id; page: i64, sort: types::CompanySortField),
    create_company(account_id) body types::CompanyCreate,
    search_companies(account_id; q: types::SearchCompaniesQ),
    get_company(account_id, id),
    update_company(account_id, id) body voxys_connect_api::CompanyUpdate,
    delete_company(account_id, id),
    company_timeline(account_id, id),
    company_duplicates(account_id, id),
    merge_companies(account_id, id) body types::CompanyMerge,
    list_company_contacts(account_id, id),
    add_company_contact(account_id, id) body types::CompanyContactAdd,
    remove_company_contact(account_id, id, contact_id),
    list_funnel_cards(account_id, id; lead_status: LeadStatus, stage_id: i64),
    list_funnels(account_id),
    create_funnel(account_id) body types::FunnelCreate,
    get_funnel(account_id, id),
    update_funnel(account_id, id) body voxys_connect_api::FunnelUpdate,
    delete_funnel(account_id, id),
    funnel_stats(account_id, id),
    list_funnel_stages(account_id, id),
    create_funnel_stage(account_id, id) body types::StageCreate,
    reorder_funnel_stages(account_id, id) body types::StageOrder,
    update_funnel_stage(account_id, id, stage_id) body voxys_connect_api::StageUpdate,
    delete_funnel_stage(account_id, id, stage_id),
    create_funnel_card(account_id, id) body types::CardCreate,
    update_funnel_card(account_id, id, card_id) body voxys_connect_api::CardUpdate,
    delete_funnel_card(account_id, id, card_id),
    move_funnel_card(account_id, id, card_id) body types::CardMove,
    funnel_card_history(account_id, id, card_id),
    funnel_analytics(account_id, id; since: chrono::NaiveDate, until: chrono::NaiveDate,
        agent_id: i64, group_by: types::AnalyticsGrouping),
    list_tasks(account_id; taskable_type: voxys_connect_api::TaskableType, taskable_id: i64,
        status: voxys_connect_api::TaskStatus, due_before: voxys_connect_api::Timestamp,
        due_after: voxys_connect_api::Timestamp, page: i64, per_page: i64),
    create_task(account_id) body types::TaskCreate,
    task_calendar(account_id; start_date: chrono::NaiveDate, end_date: chrono::NaiveDate),
    get_task(account_id, id),
    update_task(account_id, id) body voxys_connect_api::TaskUpdate,
    delete_task(account_id, id),
    complete_task(account_id, id),
    snooze_task(account_id, id) body voxys_connect_api::TaskSnooze,
    get_conversation_crm(account_id, conversation_id),
    link_conversation_card(account_id, conversation_id) body types::CardLink,
    unlink_conversation_card(account_id, conversation_id),
    link_conversation_lead(account_id, conversation_id) body types::LeadLink,
    convert_conversation(account_id, conversation_id) body types::ConversationConversion,
}

#[test]
fn generated_calls_follow_the_document() {
    let spec = Spec::bundled();
    let mut failures = Vec::new();
    for op in spec.operations() {
        let Some((_, path, query, body)) = GENERATED_CALLS.iter().find(|(id, ..)| *id == op.id)
        else {
            failures.push(format!("{}: generated_calls! has no line for it", op.id));
            continue;
        };
        let named = |place: &str| -> BTreeSet<String> {
            spec.parameters(&op.id)
                .iter()
                .filter(|(_, p)| p["in"] == place)
                .map(|(_, p)| p["name"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let set = |names: &[&str]| {
            names
                .iter()
                .map(|n| (*n).to_owned())
                .collect::<BTreeSet<_>>()
        };
        if set(path) != named("path") {
            failures.push(format!(
                "{}: path parameters {path:?}, the document's {:?}",
                op.id,
                named("path")
            ));
        }
        if set(query) != named("query") {
            failures.push(format!(
                "{}: query parameters {query:?}, the document's {:?}",
                op.id,
                named("query")
            ));
        }
        if *body != spec.request_schema(&op.id).is_some() {
            failures.push(format!(
                "{}: a body in the table: {body}; in the document: {}",
                op.id, !body
            ));
        }
    }
    for (id, ..) in GENERATED_CALLS {
        if spec.operation(id).is_none() {
            failures.push(format!("{id}: in generated_calls!, not in the document"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_answer_of_the_document_has_a_generated_type() {
    let spec = Spec::bundled();
    let mut failures = Vec::new();
    for op in spec.operations() {
        let Some((status, _)) = spec.success(&op.id) else {
            failures.push(format!("{}: no success answer", op.id));
            continue;
        };
        match answer_of(&spec, &op.id, status) {
            Ok(Answer::Nothing) => {}
            Ok(Answer::One(schema) | Answer::List(schema))
                if ANSWER_SCHEMAS.contains(&schema.as_str()) => {}
            Ok(Answer::One(schema) | Answer::List(schema)) => failures.push(format!(
                "{}: answers with {schema}, which answer_types! does not list",
                op.id
            )),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Replays `recording` through the generated client (reached through the
/// SDK's `Client::api`, so through its pipeline); the failures.
async fn generated_failures(spec: &Spec, recording: &Recording) -> Vec<String> {
    let name = &recording.name;
    let Some(op) = spec.operation(&recording.operation) else {
        return vec![format!("{name}: no operation {}", recording.operation)];
    };
    let Some(path) = path_values(&op.path, &recording.request.path) else {
        return vec![format!(
            "{name}: the path {} does not follow the document's {}",
            recording.request.path, op.path
        )];
    };
    let server = serve(recording).await;
    let client = client_for(&server);
    let mut failures = Vec::new();
    match call_generated(client.api(), recording, &path).await {
        Err(e) => failures.push(format!("{name}: {e}")),
        Ok(answer) => {
            let status = recording.response.status;
            if answer.status != status || answer.error == (200..300).contains(&status) {
                failures.push(format!(
                    "{name}: the generated client made {} {} of status {status}",
                    if answer.error {
                        "an error of status"
                    } else {
                        "a success of status"
                    },
                    answer.status
                ));
            }
            for loss in lossless(&recording.response.body, &answer.body, "") {
                failures.push(format!("{name}: the generated client's answer: {loss}"));
            }
        }
    }
    let received = server.received_requests().await.unwrap();
    failures.extend(sent_failures(recording, &received, "the generated client"));
    failures
}

#[tokio::test]
async fn every_recording_replays_through_the_generated_client() {
    let spec = Spec::bundled();
    let mut failures = Vec::new();
    for recording in recordings() {
        failures.extend(generated_failures(&spec, &recording).await);
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_recordings_cover_the_document() {
    let spec = Spec::bundled();
    assert_eq!(spec.check(), vec![], "the document's own examples validate");
    let all = recordings();
    let mut exercised: BTreeSet<String> = BTreeSet::new();
    let mut shared_responses: BTreeSet<String> = BTreeSet::new();
    let mut shared_recorded: BTreeSet<String> = BTreeSet::new();
    for operation in &operations() {
        let operation = operation.as_str();
        let op = spec.operation(operation).unwrap();
        let of_operation: Vec<&Recording> =
            all.iter().filter(|r| r.operation == operation).collect();

        // Its success response, and every response of its own, has a
        // recording of this operation; a shared one (a `$ref` to
        // #/components/responses: 401, 404, 422, 429, 5XX) needs one
        // recording, of any operation.
        let responses = spec
            .get(&format!("{}/responses", op.pointer))
            .unwrap()
            .as_object()
            .unwrap();
        let recorded: BTreeSet<String> = of_operation
            .iter()
            .map(|r| r.spec_response.clone())
            .collect();
        let mut missing = Vec::new();
        for (code, response) in responses {
            match response["$ref"].as_str() {
                Some(shared) if !code.starts_with('2') => {
                    shared_responses.insert(shared.to_owned());
                    if recorded.contains(code) {
                        shared_recorded.insert(shared.to_owned());
                    }
                }
                _ if !recorded.contains(code) => missing.push(code.clone()),
                _ => {}
            }
        }
        assert!(
            missing.is_empty(),
            "{operation}: responses without a recording: {missing:?}"
        );

        // Every parameter is sent by some recording (path parameters by all).
        let mut used: BTreeSet<String> = of_operation
            .iter()
            .flat_map(|r| r.request.query.iter().map(|(k, _)| k.clone()))
            .collect();
        for (_, param) in spec.parameters(operation) {
            if param["in"] == "path" {
                used.insert(param["name"].as_str().unwrap().to_owned());
            }
        }
        let params: BTreeSet<String> = spec
            .parameters(operation)
            .iter()
            .map(|(_, p)| p["name"].as_str().unwrap().to_owned())
            .collect();
        let unused: Vec<_> = params.difference(&used).collect();
        assert!(
            unused.is_empty(),
            "{operation}: parameters no recording sends: {unused:?}"
        );
        for (_, param) in spec.parameters(operation) {
            if used.contains(param["name"].as_str().unwrap())
                && let Some(name) = param["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                exercised.insert(name.to_owned());
            }
        }
        // The document's request body examples: each kind of bulk action is
        // recorded too.
        for recording in &of_operation {
            exercised.extend(walk_body(&spec, recording).schemas);
            exercised.extend(walk_request(&spec, recording).schemas);
        }
    }

    // Every schema is exercised, by a body (request or answer) or by a
    // parameter.
    let schemas: BTreeSet<String> = spec
        .get("#/components/schemas")
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let unexercised: Vec<_> = schemas.difference(&exercised).collect();
    assert!(
        unexercised.is_empty(),
        "schemas no recording exercises: {unexercised:?}"
    );
    let unrecorded: Vec<_> = shared_responses.difference(&shared_recorded).collect();
    assert!(
        unrecorded.is_empty(),
        "shared responses no operation's recording shows: {unrecorded:?}"
    );
    let recorded: BTreeSet<String> = all.iter().map(|r| r.operation.clone()).collect();
    assert_eq!(
        recorded,
        operations().into_iter().collect(),
        "recordings of every operation, and of no other"
    );
}

#[test]
fn every_operation_has_a_retry_class_a_mock_route_and_a_recording() {
    let spec = Spec::bundled();
    let recorded: BTreeSet<String> = recordings().into_iter().map(|r| r.operation).collect();
    let routed: BTreeSet<&str> = voxys_connect_mock::operations().into_iter().collect();
    let mut failures = Vec::new();
    for op in spec.operations() {
        if op.retry.is_none() {
            failures.push(format!("{}: no retry class (x-voxys-retry)", op.id));
        }
        match voxys_connect_api::operation(&op.id) {
            Some(facts) if facts.retry.as_str() == op.retry.map_or("", |r| r.as_str()) => {}
            _ => failures.push(format!(
                "{}: the generated OPERATIONS table does not say what the document says (run cargo xtask generate)",
                op.id
            )),
        }
        if !recorded.contains(&op.id) {
            failures.push(format!("{}: no recording in tests/recordings", op.id));
        }
        if !routed.contains(op.id.as_str()) {
            failures.push(format!("{}: the mock server has no handler", op.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        voxys_connect_api::OPERATIONS.len(),
        spec.operations().len(),
        "the table holds every operation of the document, and no other"
    );
}

/// The failures of every recording against a changed document.
fn failures_against(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut document = Spec::bundled().document().clone();
    edit(&mut document);
    let spec = Spec::from_json(document).unwrap();
    recordings()
        .iter()
        .flat_map(|r| document_failures(&spec, r))
        .collect()
}

#[test]
fn a_broken_document_fails_naming_the_field_and_the_recording() {
    // A field removed.
    let failures = failures_against(|d| {
        d.pointer_mut("/components/schemas/Lead/properties")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("notes");
    });
    assert!(
        failures.iter().any(|f| f.starts_with(
            "list_leads_200_seed: the field data[0].notes is not in the OpenAPI document"
        )),
        "{failures:#?}"
    );

    // A type changed.
    let failures = failures_against(|d| {
        *d.pointer_mut("/components/schemas/Lead/properties/id")
            .unwrap() = json!({"type": "string"});
    });
    assert!(
        failures.iter().any(|f| f.starts_with(
            "list_leads_200_seed: the body does not match the document at data[0].id (type)"
        )),
        "{failures:#?}"
    );

    // An enum value removed.
    let failures = failures_against(|d| {
        let values = d
            .pointer_mut("/components/schemas/LeadStatus/enum")
            .unwrap()
            .as_array_mut()
            .unwrap();
        values.retain(|v| v != "snoozed");
    });
    assert!(
        failures.iter().any(|f| f.starts_with("list_leads_200_every_status: the body does not match the document at data[3].status (enum)")),
        "{failures:#?}"
    );

    // A member of a request body removed.
    let failures = failures_against(|d| {
        d.pointer_mut("/components/schemas/LeadStatusUpdate/properties")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("notes");
    });
    assert!(
        failures.iter().any(|f| f.starts_with(
            "update_lead_status_200_notes_replaced: the request sends notes, which the document does not describe"
        )),
        "{failures:#?}"
    );

    // A type of a request body changed.
    let failures = failures_against(|d| {
        *d.pointer_mut("/components/schemas/LeadConversion/properties/funnel_id")
            .unwrap() = json!({"type": "string"});
    });
    assert!(
        failures.iter().any(|f| f.starts_with(
            "convert_lead_201_card: the request body does not match the document: funnel_id (type)"
        )),
        "{failures:#?}"
    );

    // A type of a new answer changed.
    let failures = failures_against(|d| {
        *d.pointer_mut("/components/schemas/Card/properties/funnel_stage_id")
            .unwrap() = json!({"type": "string"});
    });
    assert!(
        failures.iter().any(|f| f.starts_with(
            "convert_lead_201_card: the body does not match the document at funnel_stage_id (type)"
        )),
        "{failures:#?}"
    );

    // An enum value of a new schema removed.
    let failures = failures_against(|d| {
        let values = d
            .pointer_mut("/components/schemas/TaskPriority/enum")
            .unwrap()
            .as_array_mut()
            .unwrap();
        values.retain(|v| v != "low");
    });
    assert!(
        failures.iter().any(|f| f.starts_with("list_tasks_200_every_kind: the body does not match the document at data[2].priority (enum)")),
        "{failures:#?}"
    );

    // A documented response removed.
    let failures = failures_against(|d| {
        let op = d
            .pointer_mut("/paths/~1api~1v1~1accounts~1{account_id}~1leads/get/responses")
            .unwrap();
        op.as_object_mut().unwrap().remove("429");
    });
    assert!(
        failures.iter().any(|f| f
            .starts_with("list_leads_429_rate_limited: the document does not describe status 429")),
        "{failures:#?}"
    );
}

#[tokio::test]
async fn recording_from_a_live_instance_writes_recordings_that_hold() {
    let server = voxys_connect_mock::MockServer::builder()
        .leads(260)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = RecordOptions {
        base_url: server.url().to_owned(),
        account_id: server.account_id(),
        token: server.token().to_owned(),
        out: dir.path().to_owned(),
        keep_personal_data: false,
        anonymize_key: Some([42; 32]),
    };
    let written = record(&options).await.unwrap();
    assert!(written.len() >= 15, "{written:?}");
    let recorded = Recording::load_all(dir.path()).unwrap();
    let spec = Spec::bundled();
    let failures: Vec<String> = recorded
        .iter()
        .flat_map(|r| document_failures(&spec, r))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let statuses: BTreeSet<u16> = recorded.iter().map(|r| r.response.status).collect();
    assert_eq!(statuses, BTreeSet::from([200, 401, 422]));
    assert!(
        recorded.iter().all(|r| r.deviation.is_none()),
        "the mock answers as documented"
    );

    // No token, and no personal data, in any file: every real name, email,
    // note, company name and domain of the account is looked for in every
    // file, and none may be there.
    let account = server.account(server.account_id()).unwrap();
    let names: Vec<&str> = account.agents.iter().map(|a| a.name.as_str()).collect();
    let mut personal: BTreeSet<String> = BTreeSet::new();
    for agent in &account.agents {
        personal.insert(agent.name.clone());
        personal.extend(agent.email.clone());
    }
    for lead in &account.leads {
        personal.extend(lead.custom_name.clone());
        personal.extend(lead.notes.clone());
        if let Some(company) = &lead.company {
            personal.insert(company.name.clone());
            personal.extend(company.domain.clone());
        }
    }
    assert!(personal.len() > 50, "{} values looked for", personal.len());
    for path in &written {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains(server.token()),
            "{} holds the token",
            path.display()
        );
        for value in &personal {
            assert!(
                !text.contains(&serde_json::to_string(value).unwrap()),
                "{} holds {value:?}",
                path.display()
            );
        }
    }
    let first = recorded
        .iter()
        .find(|r| r.name == "recorded_per_page_100")
        .unwrap();
    let lead = &first.response.body["data"][0];
    assert!(
        lead["assigned_agent"].is_null()
            || lead["assigned_agent"]["name"]
                .as_str()
                .unwrap()
                .starts_with("Agent ")
    );

    // The same data gives the same fakes; --keep-personal-data keeps it all.
    let again_dir = tempfile::tempdir().unwrap();
    record(&RecordOptions {
        out: again_dir.path().to_owned(),
        ..options.clone()
    })
    .await
    .unwrap();
    let again = Recording::load_all(again_dir.path()).unwrap();
    assert_eq!(
        again
            .iter()
            .find(|r| r.name == "recorded_per_page_100")
            .unwrap()
            .response
            .body,
        first.response.body
    );
    let kept_dir = tempfile::tempdir().unwrap();
    record(&RecordOptions {
        out: kept_dir.path().to_owned(),
        keep_personal_data: true,
        ..options
    })
    .await
    .unwrap();
    let kept = std::fs::read_to_string(kept_dir.path().join("recorded_per_page_100.json")).unwrap();
    assert!(
        names
            .iter()
            .any(|n| kept.contains(&serde_json::to_string(n).unwrap()))
    );
}

#[tokio::test]
async fn the_recorder_binary_writes_recordings_without_the_token() {
    let server = voxys_connect_mock::MockServer::builder()
        .leads(30)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let account = server.account_id().to_string();
    let out = dir.path().to_str().unwrap().to_owned();
    let url = server.url().to_owned();
    let token = server.token().to_owned();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_voxys-record"))
            .args(["--base-url", &url, "--account", &account, "--out", &out])
            .env("VOXYS_API_TOKEN", &token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 15, "{files:?}");
    for file in &files {
        assert!(
            !std::fs::read_to_string(file)
                .unwrap()
                .contains(server.token())
        );
    }
    assert!(String::from_utf8_lossy(&run.stderr).contains("recordings; review"));

    let no_token = Command::new(env!("CARGO_BIN_EXE_voxys-record"))
        .args(["--base-url", server.url(), "--account", "1"])
        .env_remove("VOXYS_API_TOKEN")
        .output()
        .unwrap();
    assert!(!no_token.status.success());
    assert!(
        String::from_utf8_lossy(&no_token.stderr).contains("VOXYS_API_TOKEN is not set"),
        "{}",
        String::from_utf8_lossy(&no_token.stderr)
    );
}
