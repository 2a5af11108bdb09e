//! The contract tests: every recording in `tests/recordings/` held against the
//! OpenAPI document, the generated types and the SDK, and the recordings held
//! against the document as a whole.

use std::collections::BTreeSet;
use std::process::Command;
use std::str::FromStr;

use serde_json::{Value, json};
use voxys_connect::leads::ListLeads;
use voxys_connect::types::{LeadSortField, LeadStatus, SortOrder};
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_api::types::{BulkActionResult, Card, ErrorBody, Lead, LeadList};
use voxys_connect_contract::record::{RecordOptions, record};
use voxys_connect_contract::{
    Recording, field_name, lossless, recordings_dir, request_failures, schema_failures,
    unknown_fields, walk_body, walk_request,
};
use voxys_connect_spec::Spec;
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The operations of the document, in its order: the list every check here
/// walks, read from the document and never restated.
fn operations() -> Vec<String> {
    Spec::bundled()
        .operations()
        .into_iter()
        .map(|op| op.id)
        .collect()
}

/// A 2xx body decoded into the generated type of its operation, and encoded
/// again; or why it does not decode.
fn decode_and_encode(operation: &str, bytes: &[u8]) -> Result<Value, String> {
    fn again<T: serde::de::DeserializeOwned + serde::Serialize>(
        bytes: &[u8],
    ) -> Result<Value, String> {
        let value: T = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        serde_json::to_value(&value).map_err(|e| e.to_string())
    }
    match operation {
        "list_leads" => again::<LeadList>(bytes),
        "get_lead" => again::<Lead>(bytes),
        "lead_stats" => again::<voxys_connect_api::types::LeadStats>(bytes),
        "update_lead_status" => again::<Lead>(bytes),
        "bulk_lead_action" => again::<BulkActionResult>(bytes),
        "convert_lead" => again::<Card>(bytes),
        "list_funnel_cards" => again::<Vec<Card>>(bytes),
        other => Err(format!("no generated type for {other}")),
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
        200..=299 => match decode_and_encode(&recording.operation, &bytes) {
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
fn deviations_are_real_and_still_decode() {
    let spec = Spec::bundled();
    let deviating: Vec<Recording> = recordings()
        .into_iter()
        .filter(|r| r.deviation.is_some())
        .collect();
    assert!(
        deviating.len() >= 3,
        "string decimals, string page numbers and unknown fields are recorded"
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
        let list: LeadList = serde_json::from_slice(&recording.body_bytes())
            .unwrap_or_else(|e| panic!("{}: a deviation must still decode: {e}", recording.name));
        for pointer in &deviation.unknown_fields {
            // Unknown members are kept, in the `extra` map of their object.
            let (parent, member) = pointer.rsplit_once('/').unwrap();
            let again = serde_json::to_value(&list).unwrap();
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
    assert!(
        !schema.is_valid(&decimal.response.body),
        "string decimals are outside the document"
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
/// made of the answer, in the terms of the recording's `expect`.
async fn replay(client: &Client, recording: &Recording) -> Value {
    let ids = path_ids(&recording.request.path);
    let account = ids[0];
    let body = recording.request.body.clone().unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match recording.operation.as_str() {
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
            let mut call = client.pipelines(account).cards(ids[1]);
            for (name, value) in &recording.request.query {
                call = match name.as_str() {
                    "lead_status" => call.lead_status(LeadStatus::from(value.as_str())),
                    "stage_id" => call.stage(value.parse().unwrap()),
                    other => panic!("{}: the SDK has no parameter {other}", recording.name),
                };
            }
            summary(call.send().await.map(|cards| json!({"cards": cards.len()})))
        }
        other => panic!("{}: no SDK call for {other}", recording.name),
    }
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
            ..
        } => {
            json!({"error": "Validation", "message": message, "attributes": attributes})
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

#[tokio::test]
async fn every_recording_replays_through_the_sdk() {
    let mut failures = Vec::new();
    for recording in recordings() {
        let server = MockServer::start().await;
        let mut answer = ResponseTemplate::new(recording.response.status)
            .set_body_raw(recording.body_bytes(), recording.content_type());
        for (name, value) in &recording.response.headers {
            if name != "content-type" {
                answer = answer.insert_header(name.as_str(), value.as_str());
            }
        }
        if recording.operation == "convert_lead" {
            // A conversion first notes the lead's cards in the funnel: none.
            Mock::given(method("GET"))
                .and(path_regex(r"/funnels/\d+/cards$"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
                .mount(&server)
                .await;
        }
        Mock::given(any()).respond_with(answer).mount(&server).await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.uri())
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let got = replay(&client, &recording).await;
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
        let Some(sent) = received.iter().find(|r| {
            r.method.as_str() == recording.request.method && r.url.path() == recording.request.path
        }) else {
            failures.push(format!(
                "{name}: the SDK never sent {} {} (it sent {:?})",
                recording.request.method,
                recording.request.path,
                received
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.url.path()))
                    .collect::<Vec<_>>()
            ));
            continue;
        };
        let mut sent_query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
        let mut recorded_query = recording.request.query.clone();
        sent_query.sort();
        recorded_query.sort();
        if sent_query != recorded_query {
            failures.push(format!(
                "{name}: sent query {sent_query:?}, recorded {recorded_query:?}"
            ));
        }
        let sent_body: Option<Value> = (!sent.body.is_empty())
            .then(|| serde_json::from_slice(&sent.body).unwrap_or(Value::Null));
        if sent_body != recording.request.body {
            failures.push(format!(
                "{name}: sent the body {sent_body:?}, recorded {:?}",
                recording.request.body
            ));
        }
        if recording.request.headers.contains_key("api_access_token")
            && sent
                .headers
                .get("api_access_token")
                .is_none_or(|v| v != TOKEN)
        {
            failures.push(format!("{name}: the token header was not sent"));
        }
        for (header, value) in &recording.request.headers {
            if header != "api_access_token"
                && sent
                    .headers
                    .get(header.as_str())
                    .is_none_or(|v| v != value.as_str())
            {
                failures.push(format!("{name}: header {header} is not {value}"));
            }
        }
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
