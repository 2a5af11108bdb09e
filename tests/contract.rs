//! The contract tests: every recording in `tests/recordings/` held against the
//! OpenAPI document, the generated types and the SDK, and the recordings held
//! against the document as a whole.

use std::collections::BTreeSet;
use std::process::Command;
use std::str::FromStr;

use serde_json::{Value, json};
use voxys_connect::{
    Client, Error, Lead, LeadSortField, LeadStatus, ListLeads, Page, RetryPolicy, SortOrder,
};
use voxys_connect_api::types::{ErrorBody, LeadList};
use voxys_connect_contract::record::{RecordOptions, record};
use voxys_connect_contract::{
    Recording, field_name, lossless, recordings_dir, schema_failures, unknown_fields, walk_body,
};
use voxys_connect_spec::Spec;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    let name = &recording.name;
    let bytes = recording.body_bytes();
    match recording.response.status {
        200 => match serde_json::from_slice::<LeadList>(&bytes) {
            Ok(list) => {
                let again = serde_json::to_value(&list).unwrap();
                for loss in lossless(&recording.response.body, &again, "") {
                    failures.push(format!("{name}: decoding and encoding again: {loss}"));
                }
            }
            Err(e) => failures.push(format!(
                "{name}: does not decode into the generated LeadList: {e}"
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

/// The SDK request a recorded request stands for.
fn sdk_request(client: &Client, recording: &Recording) -> ListLeads {
    let account: i64 = recording
        .request
        .path
        .strip_prefix("/api/v1/accounts/")
        .and_then(|rest| rest.strip_suffix("/leads"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "{}: unexpected path {}",
                recording.name, recording.request.path
            )
        });
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

/// What the SDK made of an answer, in the terms of a recording's `expect`.
fn summary(result: Result<Page<Lead>, Error>) -> Value {
    match result {
        Ok(page) => json!({
            "leads": page.len(),
            "current_page": page.current_page(),
            "total_pages": page.total_pages(),
            "total_count": page.total_count(),
        }),
        Err(Error::Unauthorized {
            status, message, ..
        }) => {
            json!({"error": "Unauthorized", "status": status, "message": message})
        }
        Err(Error::NotFound { message, .. }) => json!({"error": "NotFound", "message": message}),
        Err(Error::Validation {
            message,
            attributes,
            ..
        }) => {
            json!({"error": "Validation", "message": message, "attributes": attributes})
        }
        Err(Error::RateLimited { retry_after, .. }) => {
            json!({"error": "RateLimited", "retry_after_secs": retry_after.map(|d| d.as_secs())})
        }
        Err(Error::Server {
            status, snippet, ..
        }) => json!({"error": "Server", "status": status, "snippet": snippet}),
        Err(other) => json!({"error": format!("{other:?}")}),
    }
}

/// The error kind the API's documented statuses map to.
fn kind_for(status: u16) -> &'static str {
    match status {
        200 => "page",
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
        Mock::given(any()).respond_with(answer).mount(&server).await;
        let client = Client::builder()
            .token(TOKEN)
            .base_url(server.uri())
            .retry_policy(RetryPolicy::disabled())
            .build()
            .unwrap();
        let result = sdk_request(&client, &recording).send().await;
        let got = summary(result);
        let name = &recording.name;
        match &recording.expect {
            Some(expected) if &got != expected => failures.push(format!(
                "{name}: the SDK made {got} of it, expected {expected}"
            )),
            Some(_) => {}
            None => {
                let kind = got.get("error").and_then(Value::as_str).unwrap_or("page");
                if kind != kind_for(recording.response.status) {
                    failures.push(format!(
                        "{name}: the SDK made {got} of status {}",
                        recording.response.status
                    ));
                }
            }
        }

        // The request the SDK sent is the recorded one.
        let sent = server.received_requests().await.unwrap();
        let Some(sent) = sent.first() else {
            failures.push(format!("{name}: the SDK sent nothing"));
            continue;
        };
        if sent.method.as_str() != recording.request.method
            || sent.url.path() != recording.request.path
        {
            failures.push(format!(
                "{name}: sent {} {}, recorded {} {}",
                sent.method,
                sent.url.path(),
                recording.request.method,
                recording.request.path
            ));
        }
        let mut sent_query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
        let mut recorded_query = recording.request.query.clone();
        sent_query.sort();
        recorded_query.sort();
        if sent_query != recorded_query {
            failures.push(format!(
                "{name}: sent query {sent_query:?}, recorded {recorded_query:?}"
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
    let op = spec.operation("list_leads").unwrap();

    // Every documented response has a recording.
    let documented: BTreeSet<String> = spec
        .get(&format!("{}/responses", op.pointer))
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let recorded: BTreeSet<String> = all.iter().map(|r| r.spec_response.clone()).collect();
    let missing: Vec<_> = documented.difference(&recorded).collect();
    assert!(
        missing.is_empty(),
        "responses without a recording: {missing:?}"
    );

    // Every parameter is sent by some recording.
    let mut used: BTreeSet<String> = all
        .iter()
        .flat_map(|r| r.request.query.iter().map(|(k, _)| k.clone()))
        .collect();
    used.insert("account_id".to_owned()); // in every path
    let params: BTreeSet<String> = spec
        .parameters("list_leads")
        .iter()
        .map(|(_, p)| p["name"].as_str().unwrap().to_owned())
        .collect();
    let unused: Vec<_> = params.difference(&used).collect();
    assert!(
        unused.is_empty(),
        "parameters no recording sends: {unused:?}"
    );

    // Every schema is exercised, by a body or by a parameter.
    let mut exercised: BTreeSet<String> = all
        .iter()
        .flat_map(|r| walk_body(&spec, r).schemas)
        .collect();
    for (_, param) in spec.parameters("list_leads") {
        if used.contains(param["name"].as_str().unwrap())
            && let Some(name) = param["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            exercised.insert(name.to_owned());
        }
    }
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
