//! The mock's operations as the document lists them, over HTTP: every one
//! routed and authenticated, `get_lead` and `lead_stats`, integers past
//! `int64` or below a schema's minimum refused with 422 in the path, the
//! query and the body, and the status of creates.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer, Throttle};
use voxys_connect_spec::Spec;

/// 2^63: one past the largest `int64`.
const PAST_INT64: &str = "9223372036854775808";

struct Answer {
    status: u16,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn send_as(
    server: &MockServer,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Answer {
    let mut request =
        reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", server.url()));
    if let Some(token) = token {
        request = request.header("api_access_token", token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Answer {
        status,
        content_type,
        text: response.text().await.unwrap(),
    }
}

async fn send(server: &MockServer, method: &str, path: &str, body: Option<&str>) -> Answer {
    send_as(server, Some(server.token()), method, path, body).await
}

fn leads_path(server: &MockServer) -> String {
    format!("/api/v1/accounts/{}/leads", server.account_id())
}

/// Every operation of a document: `(id, method, path template)`.
fn document_operations(spec: &Spec) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec.document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                out.push((id.to_owned(), method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// Asserts a 422 in the API's validation shape, naming `attribute`.
fn assert_invalid(answer: &Answer, attribute: &str, what: &str) {
    assert_eq!(answer.status, 422, "{what}: {}", answer.text);
    let body = answer.json();
    assert_eq!(body["attributes"], json!([attribute]), "{what}: {body}");
    assert!(body["message"].is_string(), "{what}: {body}");
    let spec = Spec::bundled();
    let shape = spec
        .validator("#/components/schemas/ValidationError")
        .unwrap();
    assert!(shape.is_valid(&body), "{what}: {body}");
}

#[tokio::test]
async fn every_operation_of_the_document_has_a_route_that_asks_for_the_token() {
    let spec = Spec::bundled();
    let documented = document_operations(&spec);
    let mut ids: Vec<&str> = documented.iter().map(|(id, _, _)| id.as_str()).collect();
    let mut served = voxys_connect_mock::operations();
    ids.sort_unstable();
    served.sort_unstable();
    assert_eq!(
        served, ids,
        "the mock's table and the document list the same operations"
    );
    assert_eq!(voxys_connect_mock::check_document(&spec), Ok(()));

    // Each is routed at the document's method and path: without the token,
    // it answers the API's 401, not the 404 of an unknown route.
    let server = MockServer::start().await;
    for (id, method, template) in &documented {
        let path = template
            .replace("{account_id}", &server.account_id().to_string())
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let answer = send_as(&server, None, method, &path, Some("{}")).await;
        assert_eq!(
            (answer.status, answer.json()),
            (
                401,
                json!({"errors": ["You need to sign in or sign up before continuing."]})
            ),
            "{id}: {method} {path}"
        );
    }
    // A method the document does not have for a path: no route, as Rails
    // answers it.
    for (method, path) in [
        ("PUT", format!("{}/1", leads_path(&server))),
        ("DELETE", leads_path(&server)),
        ("GET", format!("{}/1/status", leads_path(&server))),
        ("GET", format!("{}/bulk", leads_path(&server))),
    ] {
        let answer = send(&server, method, &path, None).await;
        assert_eq!(
            (answer.status, answer.json()),
            (404, json!({"error": "Resource could not be found"})),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn a_document_and_a_table_that_disagree_are_named_both_ways() {
    let bundled = Spec::bundled();
    // An operation the mock has no handler for.
    let mut document = bundled.document().clone();
    let lead = "/api/v1/accounts/{account_id}/leads/{id}";
    let mut archive = document["paths"][lead]["get"].clone();
    archive["operationId"] = json!("archive_lead");
    document["paths"][lead]["put"] = archive;
    // And one of the mock's removed from the document.
    document["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/api/v1/accounts/{account_id}/leads/stats");
    let spec = Spec::from_json(document).unwrap();
    let mismatch = voxys_connect_mock::check_document(&spec).unwrap_err();
    assert_eq!(mismatch.without_handler, ["archive_lead"]);
    assert_eq!(mismatch.not_in_document, ["lead_stats"]);
    let said = mismatch.to_string();
    assert!(
        said.contains("no handler for archive_lead") && said.contains("lead_stats"),
        "{said}"
    );
}

#[tokio::test]
async fn get_lead_answers_the_lead_of_the_account_and_404_otherwise() {
    let spec = Spec::bundled();
    let server = MockServer::builder().leads(40).start().await.unwrap();
    let [first, second] = server.account_ids()[..] else {
        panic!("two accounts")
    };
    let mine = server.account(first).unwrap().leads[5].clone();
    let theirs = server.account(second).unwrap().leads[0].clone();
    let lead_schema = spec.validator("#/components/schemas/Lead").unwrap();

    let found = send(
        &server,
        "GET",
        &format!("{}/{}", leads_path(&server), mine.id),
        None,
    )
    .await;
    assert_eq!(found.status, 200);
    assert!(found.content_type.starts_with("application/json"));
    assert_eq!(found.json(), mine.to_json(), "the lead, bare");
    assert!(lead_schema.is_valid(&found.json()));

    // The list shows the same lead the same way.
    let listed = send(
        &server,
        "GET",
        &format!("{}?per_page=100", leads_path(&server)),
        None,
    )
    .await;
    let in_list = listed.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == mine.id)
        .cloned()
        .unwrap();
    assert_eq!(in_list, found.json());

    // After a write, the new state.
    let path = format!("{}/{}/status", leads_path(&server), mine.id);
    let changed = send(
        &server,
        "PATCH",
        &path,
        Some(r#"{"status":"lost","notes":"gone"}"#),
    )
    .await;
    let now = send(
        &server,
        "GET",
        &format!("{}/{}", leads_path(&server), mine.id),
        None,
    )
    .await;
    assert_eq!(now.json(), changed.json());
    assert_eq!(
        (now.json()["status"].clone(), now.json()["notes"].clone()),
        (json!("lost"), json!("gone"))
    );

    let not_found = json!({"error": "Resource could not be found"});
    for (path, why) in [
        (
            format!("/api/v1/accounts/{first}/leads/999999"),
            "no such lead",
        ),
        (
            format!("/api/v1/accounts/{first}/leads/{}", theirs.id),
            "a lead of another account",
        ),
        (format!("/api/v1/accounts/{first}/leads/abc"), "not an id"),
    ] {
        let answer = send(&server, "GET", &path, None).await;
        assert_eq!(
            (answer.status, answer.json()),
            (404, not_found.clone()),
            "{why}"
        );
    }
    let other = send(
        &server,
        "GET",
        &format!("/api/v1/accounts/{second}/leads/{}", theirs.id),
        None,
    )
    .await;
    assert_eq!(other.json(), theirs.to_json(), "found in its own account");

    let deleted = send(
        &server,
        "POST",
        &format!("{}/bulk", leads_path(&server)),
        Some(&json!({"lead_ids": [mine.id], "action_type": "delete"}).to_string()),
    )
    .await;
    assert_eq!(deleted.json()["affected_count"], 1);
    let gone = send(
        &server,
        "GET",
        &format!("{}/{}", leads_path(&server), mine.id),
        None,
    )
    .await;
    assert_eq!((gone.status, gone.json()), (404, not_found), "deleted");

    let path = format!("{}/{}", leads_path(&server), theirs.id);
    for (token, body) in [
        (
            None,
            json!({"errors": ["You need to sign in or sign up before continuing."]}),
        ),
        (Some("wrong"), json!({"error": "Invalid Access Token"})),
    ] {
        let answer = send_as(&server, token, "GET", &path, None).await;
        assert_eq!((answer.status, answer.json()), (401, body));
    }
    let stranger = send(&server, "GET", "/api/v1/accounts/77/leads/1", None).await;
    assert_eq!(
        (stranger.status, stranger.json()),
        (
            401,
            json!({"error": "You are not authorized to access this account"})
        )
    );
    let missing = send(
        &server,
        "GET",
        &format!("/api/v1/accounts/{first}/leads/999999"),
        None,
    )
    .await;
    for answer in [&found, &stranger, &missing] {
        let schema = spec
            .response_schema("get_lead", answer.status, &answer.content_type)
            .unwrap();
        assert!(spec.validator(&schema).unwrap().is_valid(&answer.json()));
    }
}

/// The lead totals the document describes, counted here from the data the
/// server holds: counts, and exact sums of the values.
fn expected_stats(server: &MockServer) -> (BTreeMap<&'static str, u64>, Decimal, Decimal) {
    let account = server.account(server.account_id()).unwrap();
    let count = |status: &str| account.leads.iter().filter(|l| l.status == status).count() as u64;
    let counts = BTreeMap::from([
        ("total", account.leads.len() as u64),
        ("open", count("open")),
        ("won", count("won")),
        ("lost", count("lost")),
    ]);
    let total: Decimal = account.leads.iter().filter_map(|l| l.lead_value).sum();
    let won: Decimal = account
        .leads
        .iter()
        .filter(|l| l.status == "won")
        .filter_map(|l| l.lead_value)
        .sum();
    (counts, total, won)
}

/// The server's totals: counts, and the sums read from the JSON text as it
/// was sent (not through a float).
async fn served_stats(server: &MockServer) -> (BTreeMap<&'static str, u64>, Decimal, Decimal) {
    let answer = send(
        server,
        "GET",
        &format!("{}/stats", leads_path(server)),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let spec = Spec::bundled();
    let schema = spec
        .response_schema("lead_stats", 200, &answer.content_type)
        .unwrap();
    assert!(
        spec.validator(&schema).unwrap().is_valid(&answer.json()),
        "{}",
        answer.text
    );
    let raw: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&answer.text).unwrap();
    let exact = |name: &str| -> Decimal { raw[name].get().parse().unwrap() };
    let body = answer.json();
    let counts = ["total", "open", "won", "lost"]
        .into_iter()
        .map(|k| (k, body[k].as_u64().unwrap()))
        .collect();
    (counts, exact("total_value"), exact("won_value"))
}

#[tokio::test]
async fn lead_stats_are_counted_from_the_leads_as_they_are_after_each_write() {
    let server = MockServer::builder()
        .leads(300)
        .seed(11)
        .start()
        .await
        .unwrap();
    let stats = served_stats(&server).await;
    assert_eq!(stats, expected_stats(&server));
    let (counts, total_value, won_value) = &stats;
    assert!(
        counts["total"] > counts["open"] + counts["won"] + counts["lost"],
        "snoozed leads count in total only: {counts:?}"
    );
    assert!(*total_value > *won_value && *won_value > Decimal::ZERO);
    assert!(
        total_value.fract() != Decimal::ZERO,
        "cents survive: {total_value}"
    );

    let account = server.account(server.account_id()).unwrap();
    let open: Vec<i64> = account
        .leads
        .iter()
        .filter(|l| l.status == "open" && l.lead_value.is_some())
        .take(20)
        .map(|l| l.id)
        .collect();
    let bulk = format!("{}/bulk", leads_path(&server));
    let to_won = json!({"lead_ids": &open[..10], "action_type": "status_change", "params": {"status": "won"}});
    assert_eq!(
        send(&server, "POST", &bulk, Some(&to_won.to_string()))
            .await
            .status,
        200
    );
    let after = served_stats(&server).await;
    assert_eq!(after, expected_stats(&server));
    assert_eq!(after.0["won"], counts["won"] + 10);
    assert_eq!(after.0["open"], counts["open"] - 10);
    assert!(after.2 > *won_value, "the won value grew");

    let to_snoozed = json!({"lead_ids": &open[10..], "action_type": "status_change", "params": {"status": "snoozed"}});
    send(&server, "POST", &bulk, Some(&to_snoozed.to_string())).await;
    let status = format!("{}/{}/status", leads_path(&server), open[0]);
    send(&server, "PATCH", &status, Some(r#"{"status":"lost"}"#)).await;
    let delete = json!({"lead_ids": &open[1..3], "action_type": "delete"});
    send(&server, "POST", &bulk, Some(&delete.to_string())).await;
    let last = served_stats(&server).await;
    assert_eq!(last, expected_stats(&server));
    assert_eq!(last.0["total"], counts["total"] - 2);
    assert_eq!(last.0["open"], counts["open"] - 20);

    // Each account its own.
    let other = server.account_ids()[1];
    let theirs = send(
        &server,
        "GET",
        &format!("/api/v1/accounts/{other}/leads/stats"),
        None,
    )
    .await;
    assert_eq!(
        theirs.json()["total"],
        server.account(other).unwrap().leads.len() as u64
    );
    let unauthenticated = send_as(
        &server,
        None,
        "GET",
        &format!("{}/stats", leads_path(&server)),
        None,
    )
    .await;
    assert_eq!(unauthenticated.status, 401);
}

#[tokio::test]
async fn the_new_routes_go_through_faults_and_the_rate_limiter() {
    let server = MockServer::builder().token("t").start().await.unwrap();
    let stats = format!("{}/stats", leads_path(&server));
    let lead = format!("{}/1", leads_path(&server));
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).times(2));
    assert_eq!(send(&server, "GET", &stats, None).await.status, 503);
    assert_eq!(send(&server, "GET", &lead, None).await.status, 503);
    assert_eq!(send(&server, "GET", &stats, None).await.status, 200);
    server.set_throttle(Some(Throttle::new(2, std::time::Duration::from_secs(60))));
    assert_eq!(send(&server, "GET", &lead, None).await.status, 200);
    assert_eq!(send(&server, "GET", &stats, None).await.status, 200);
    let refused = send(&server, "GET", &lead, None).await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (429, "Retry later")
    );
}

#[tokio::test]
async fn integers_past_int64_answer_422_in_the_path_the_query_and_the_body() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let leads = leads_path(&server);
    let funnel = server.account(account).unwrap().funnels[0].id;
    let big = PAST_INT64;
    let cases: Vec<(&str, String, Option<String>, &str)> = vec![
        // The path.
        (
            "GET",
            format!("/api/v1/accounts/{big}/leads"),
            None,
            "account_id",
        ),
        (
            "GET",
            format!("/api/v1/accounts/{big}/leads/stats"),
            None,
            "account_id",
        ),
        ("GET", format!("{leads}/{big}"), None, "id"),
        (
            "PATCH",
            format!("{leads}/{big}/status"),
            Some(r#"{"status":"won"}"#.into()),
            "id",
        ),
        (
            "POST",
            format!("{leads}/{big}/convert"),
            Some(json!({"funnel_id": funnel}).to_string()),
            "lead_id",
        ),
        (
            "GET",
            format!("/api/v1/accounts/{account}/funnels/{big}/cards"),
            None,
            "id",
        ),
        (
            "GET",
            format!("{leads}/99999999999999999999999"),
            None,
            "id",
        ),
        // The query.
        (
            "GET",
            format!("{leads}?assigned_agent_id={big}"),
            None,
            "assigned_agent_id",
        ),
        (
            "GET",
            format!("{leads}?source_inbox_id=-9223372036854775809"),
            None,
            "source_inbox_id",
        ),
        ("GET", format!("{leads}?page={big}"), None, "page"),
        ("GET", format!("{leads}?per_page={big}"), None, "per_page"),
        (
            "GET",
            format!("/api/v1/accounts/{account}/funnels/{funnel}/cards?stage_id={big}"),
            None,
            "stage_id",
        ),
        // The body.
        (
            "POST",
            format!("{leads}/bulk"),
            Some(format!(r#"{{"lead_ids":[{big}],"action_type":"delete"}}"#)),
            "lead_ids",
        ),
        (
            "POST",
            format!("{leads}/bulk"),
            Some(format!(
                r#"{{"lead_ids":[1,{big}],"action_type":"status_change","params":{{"status":"won"}}}}"#
            )),
            "lead_ids",
        ),
        (
            "POST",
            format!("{leads}/bulk"),
            Some(r#"{"lead_ids":[-9223372036854775809],"action_type":"delete"}"#.into()),
            "lead_ids",
        ),
        (
            "POST",
            format!("{leads}/bulk"),
            Some(r#"{"lead_ids":[18446744073709551616],"action_type":"delete"}"#.into()),
            "lead_ids",
        ),
        (
            "POST",
            format!("{leads}/bulk"),
            Some(format!(
                r#"{{"lead_ids":[1],"action_type":"assign","params":{{"assigned_agent_id":{big}}}}}"#
            )),
            "assigned_agent_id",
        ),
        (
            "POST",
            format!("{leads}/1/convert"),
            Some(format!(r#"{{"funnel_id":{big}}}"#)),
            "funnel_id",
        ),
        (
            "POST",
            format!("{leads}/1/convert"),
            Some(format!(
                r#"{{"funnel_id":{funnel},"funnel_stage_id":{big}}}"#
            )),
            "funnel_stage_id",
        ),
    ];
    for (method, path, body, attribute) in &cases {
        let answer = send(&server, method, path, body.as_deref()).await;
        assert_invalid(&answer, attribute, &format!("{method} {path} {body:?}"));
    }
    assert!(
        server.applied_writes().is_empty(),
        "nothing refused was applied"
    );
    // The largest int64 is an id like any other: not found, not invalid.
    let edge = send(
        &server,
        "GET",
        &format!("{leads}/9223372036854775807"),
        None,
    )
    .await;
    assert_eq!(edge.status, 404);
    let edge = send(
        &server,
        "POST",
        &format!("{leads}/bulk"),
        Some(r#"{"lead_ids":[9223372036854775807],"action_type":"delete"}"#),
    )
    .await;
    assert_eq!(
        (edge.status, edge.json()["affected_count"].clone()),
        (200, json!(0))
    );
}

/// Where -1 goes: (where, method, path, body, attribute, the pointer of the
/// schema of the value).
type MinusOne = (
    &'static str,
    &'static str,
    String,
    Option<String>,
    &'static str,
    String,
);

/// The `minimum` the document sets for the schema at `pointer` (references
/// followed), if any.
fn minimum_at(spec: &Spec, pointer: &str) -> Option<i64> {
    spec.resolve(pointer)?.1.get("minimum")?.as_i64()
}

/// The schema pointer of an operation's parameter.
fn parameter_schema(spec: &Spec, operation: &str, name: &str) -> String {
    let (pointer, _) = spec
        .parameters(operation)
        .into_iter()
        .find(|(_, p)| p["name"] == name)
        .unwrap_or_else(|| panic!("{operation} has no parameter {name}"));
    format!("{pointer}/schema")
}

#[tokio::test]
async fn minus_one_answers_422_wherever_the_document_sets_a_minimum_above_it() {
    let spec = Spec::bundled();
    let server = MockServer::start().await;
    let account = server.account_id();
    let leads = leads_path(&server);
    let funnel = server.account(account).unwrap().funnels[0].id;
    let cases: Vec<MinusOne> = vec![
        (
            "path",
            "GET",
            "/api/v1/accounts/-1/leads".into(),
            None,
            "account_id",
            parameter_schema(&spec, "list_leads", "account_id"),
        ),
        (
            "path",
            "GET",
            format!("{leads}/-1"),
            None,
            "id",
            parameter_schema(&spec, "get_lead", "id"),
        ),
        (
            "path",
            "PATCH",
            format!("{leads}/-1/status"),
            Some(r#"{"status":"won"}"#.into()),
            "id",
            parameter_schema(&spec, "update_lead_status", "id"),
        ),
        (
            "path",
            "POST",
            format!("{leads}/-1/convert"),
            Some(json!({"funnel_id": funnel}).to_string()),
            "lead_id",
            parameter_schema(&spec, "convert_lead", "lead_id"),
        ),
        (
            "path",
            "GET",
            format!("/api/v1/accounts/{account}/funnels/-1/cards"),
            None,
            "id",
            parameter_schema(&spec, "list_funnel_cards", "id"),
        ),
        (
            "query",
            "GET",
            format!("{leads}?page=-1"),
            None,
            "page",
            parameter_schema(&spec, "list_leads", "page"),
        ),
        (
            "query",
            "GET",
            format!("{leads}?assigned_agent_id=-1"),
            None,
            "assigned_agent_id",
            parameter_schema(&spec, "list_leads", "assigned_agent_id"),
        ),
        (
            "query",
            "GET",
            format!("/api/v1/accounts/{account}/funnels/{funnel}/cards?stage_id=-1"),
            None,
            "stage_id",
            parameter_schema(&spec, "list_funnel_cards", "stage_id"),
        ),
        (
            "body",
            "POST",
            format!("{leads}/bulk"),
            Some(r#"{"lead_ids":[-1],"action_type":"delete"}"#.into()),
            "lead_ids",
            "#/components/schemas/LeadIds/items".into(),
        ),
        (
            "body",
            "POST",
            format!("{leads}/1/convert"),
            Some(r#"{"funnel_id":-1}"#.into()),
            "funnel_id",
            "#/components/schemas/LeadConversion/properties/funnel_id".into(),
        ),
    ];
    let mut refused = BTreeMap::new();
    for (place, method, path, body, attribute, schema) in &cases {
        let what = format!("{method} {path} {body:?}");
        let answer = send(&server, method, path, body.as_deref()).await;
        if minimum_at(&spec, schema).is_some_and(|min| min > -1) {
            assert_invalid(&answer, attribute, &what);
            *refused.entry(*place).or_insert(0) += 1;
        } else {
            // No bound in the document: -1 is an id like any other, which
            // names nothing.
            assert_ne!(answer.status, 422, "{what}: {}", answer.text);
        }
    }
    assert!(
        refused.contains_key("path") && refused.contains_key("query"),
        "the document sets minimums in paths and queries: {refused:?}"
    );
}

#[tokio::test]
async fn a_conversion_answers_201_or_the_status_the_builder_chose() {
    for (chosen, expected) in [(None, 201), (Some(200), 200)] {
        let mut builder = MockServer::builder();
        if let Some(status) = chosen {
            builder = builder.created_status(status);
        }
        let server = builder.start().await.unwrap();
        let account = server.account(server.account_id()).unwrap();
        let path = format!("{}/{}/convert", leads_path(&server), account.leads[0].id);
        let body = json!({"funnel_id": account.funnels[0].id}).to_string();
        let answer = send(&server, "POST", &path, Some(&body)).await;
        assert_eq!(answer.status, expected, "{chosen:?}");
        assert_eq!(answer.json()["lead"]["id"], account.leads[0].id);
        // Only creates: reads and updates keep their 200.
        assert_eq!(
            send(&server, "GET", &leads_path(&server), None)
                .await
                .status,
            200
        );
        let status = format!("{}/{}/status", leads_path(&server), account.leads[0].id);
        assert_eq!(
            send(&server, "PATCH", &status, Some(r#"{"status":"won"}"#))
                .await
                .status,
            200
        );
    }
    for refused in [204, 404, 500, 99] {
        let error = MockServer::builder()
            .created_status(refused)
            .start()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{refused}");
    }
}
