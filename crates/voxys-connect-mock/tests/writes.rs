//! The mock server's writes over HTTP: each changes the account's state as
//! the facts describe, the next list shows it, refusals answer as the API
//! does, faults strike before or after applying, and every answer holds
//! against the document.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer};
use voxys_connect_spec::Spec;

/// An answer: status, whether it had a request id, and the body as JSON
/// (`Null` when it is not JSON).
struct Answer {
    status: u16,
    body: Value,
}

async fn send(server: &MockServer, method: &str, path: &str, body: Option<&str>) -> Answer {
    let url = format!("{}{path}", server.url());
    let client = reqwest::Client::new();
    let mut request = client
        .request(method.parse().unwrap(), url)
        .header("api_access_token", server.token());
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

fn leads_path(server: &MockServer) -> String {
    format!("/api/v1/accounts/{}/leads", server.account_id())
}

/// A lead of the first account as the server holds it now.
fn lead(server: &MockServer, id: i64) -> Option<voxys_connect_mock::MockLead> {
    server
        .account(server.account_id())
        .unwrap()
        .lead(id)
        .cloned()
}

#[tokio::test]
async fn a_status_change_sets_the_status_and_each_meaning_of_notes() {
    let server = MockServer::start().await;
    let account = server.account(server.account_id()).unwrap();
    let with_notes = account.leads.iter().find(|l| l.notes.is_some()).unwrap();
    let id = with_notes.id;
    let path = format!("{}/{id}/status", leads_path(&server));
    let before = with_notes.notes.clone();

    // Left out: the notes stay.
    let kept = send(&server, "PATCH", &path, Some(r#"{"status":"won"}"#)).await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.body["status"], "won");
    assert_eq!(kept.body["notes"].as_str(), before.as_deref());
    assert_eq!(lead(&server, id).unwrap().notes, before);
    // A string: replaced.
    let set = send(
        &server,
        "PATCH",
        &path,
        Some(r#"{"status":"lost","notes":"gone cold"}"#),
    )
    .await;
    assert_eq!(set.body["notes"], "gone cold");
    assert_eq!(
        lead(&server, id).unwrap().notes.as_deref(),
        Some("gone cold")
    );
    // null: cleared.
    let cleared = send(
        &server,
        "PATCH",
        &path,
        Some(r#"{"status":"open","notes":null}"#),
    )
    .await;
    assert_eq!(cleared.body["notes"], Value::Null);
    let now = lead(&server, id).unwrap();
    assert_eq!((now.status.as_str(), now.notes), ("open", None));

    // The next list shows it: the lead is the most recently updated one.
    let listed = send(
        &server,
        "GET",
        &format!(
            "{}?status=open&sort_by=updated_at&sort_order=desc&per_page=1",
            leads_path(&server)
        ),
        None,
    )
    .await;
    assert_eq!(listed.body["data"][0]["id"], id);
    assert_eq!(
        listed.body["data"][0], cleared.body,
        "the list and the answer agree"
    );
    assert!(
        now.updated_at > with_notes.updated_at,
        "updated_at moves on"
    );
}

#[tokio::test]
async fn a_status_change_refuses_as_the_api_does() {
    let server = MockServer::start().await;
    let unknown = format!("{}/999999/status", leads_path(&server));
    let missing = send(&server, "PATCH", &unknown, Some(r#"{"status":"won"}"#)).await;
    assert_eq!(
        (missing.status, &missing.body),
        (404, &json!({"error": "Resource could not be found"}))
    );
    let path = format!("{}/1/status", leads_path(&server));
    let no_body = send(&server, "PATCH", &path, None).await;
    assert_eq!(no_body.status, 422);
    assert_eq!(
        no_body.body,
        json!({"error": "param is missing or the value is empty: status"})
    );
    let bad = send(&server, "PATCH", &path, Some(r#"{"status":"archived"}"#)).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["status"]));
    assert!(
        bad.body["message"].as_str().unwrap().starts_with("status"),
        "{}",
        bad.body
    );
    let other_account = send(
        &server,
        "PATCH",
        "/api/v1/accounts/99/leads/1/status",
        Some(r#"{"status":"won"}"#),
    )
    .await;
    assert_eq!(other_account.status, 401);
}

#[tokio::test]
async fn bulk_actions_change_exactly_the_leads_that_exist() {
    let server = MockServer::builder().leads(50).start().await;
    let server = server.unwrap();
    let path = format!("{}/bulk", leads_path(&server));
    let account = server.account(server.account_id()).unwrap();
    let ids: Vec<i64> = account.leads.iter().take(5).map(|l| l.id).collect();
    let agent = account.agents[3].id;
    let with_missing = [&ids[..], &[999_998, 999_999]].concat();

    let assign = json!({"lead_ids": with_missing, "action_type": "assign", "params": {"assigned_agent_id": agent}});
    let answer = send(&server, "POST", &path, Some(&assign.to_string())).await;
    assert_eq!(
        answer.body,
        json!({"success": true, "affected_count": 5}),
        "missing leads are not counted"
    );
    for id in &ids {
        assert_eq!(
            lead(&server, *id).unwrap().assigned_agent.unwrap().id,
            agent
        );
    }
    // Assigning again reaches the same state, and counts the same.
    let again = send(&server, "POST", &path, Some(&assign.to_string())).await;
    assert_eq!(again.body["affected_count"], 5);

    let status =
        json!({"lead_ids": ids, "action_type": "status_change", "params": {"status": "snoozed"}});
    let answer = send(&server, "POST", &path, Some(&status.to_string())).await;
    assert_eq!(answer.body["affected_count"], 5);
    let snoozed = send(
        &server,
        "GET",
        &format!("{}?status=snoozed&per_page=100", leads_path(&server)),
        None,
    )
    .await;
    let listed: BTreeSet<i64> = snoozed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|id| listed.contains(id)));

    let delete = json!({"lead_ids": &ids[..2], "action_type": "delete"});
    let answer = send(&server, "POST", &path, Some(&delete.to_string())).await;
    assert_eq!(answer.body["affected_count"], 2);
    assert!(lead(&server, ids[0]).is_none() && lead(&server, ids[1]).is_none());
    let total = send(&server, "GET", &leads_path(&server), None).await;
    assert_eq!(total.body["meta"]["total_count"], 48);
    // Deleting again deletes nothing more, and counts 0.
    let again = send(&server, "POST", &path, Some(&delete.to_string())).await;
    assert_eq!(again.body, json!({"success": true, "affected_count": 0}));

    // An agent who is not in the account: 422, nothing changed.
    let stranger = json!({"lead_ids": [ids[2]], "action_type": "assign", "params": {"assigned_agent_id": 424_242}});
    let answer = send(&server, "POST", &path, Some(&stranger.to_string())).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["attributes"], json!(["assigned_agent_id"]));
    assert_eq!(
        lead(&server, ids[2]).unwrap().assigned_agent.unwrap().id,
        agent
    );
    // A body the document does not allow: 422 naming the attribute.
    for (body, attribute) in [
        (json!({"lead_ids": [], "action_type": "delete"}), "lead_ids"),
        (
            json!({"lead_ids": [1], "action_type": "archive"}),
            "action_type",
        ),
        (
            json!({"lead_ids": [1], "action_type": "status_change", "params": {"status": "maybe"}}),
            "status",
        ),
    ] {
        let answer = send(&server, "POST", &path, Some(&body.to_string())).await;
        assert_eq!(
            (answer.status, &answer.body["attributes"]),
            (422, &json!([attribute])),
            "{body}"
        );
    }
    // The journal: each bulk request that applied, with the ids it named and
    // what it counted; the refused ones are not there.
    let journal: Vec<(Vec<i64>, u64)> = server
        .applied_writes()
        .into_iter()
        .map(|w| {
            assert_eq!(w.operation, "bulk_lead_action");
            (w.lead_ids, w.affected)
        })
        .collect();
    assert_eq!(
        journal,
        [
            (with_missing.clone(), 5),
            (with_missing.clone(), 5),
            (ids.clone(), 5),
            (ids[..2].to_vec(), 2),
            (ids[..2].to_vec(), 0),
        ]
    );
}

#[tokio::test]
async fn converting_makes_a_card_each_time_and_the_cards_list_shows_them() {
    let server = MockServer::start().await;
    let account = server.account(server.account_id()).unwrap();
    let funnel = &account.funnels[0];
    let stage = &funnel.stages[2];
    let lead_id = account.leads[7].id;
    let path = format!("{}/{lead_id}/convert", leads_path(&server));
    let cards_path = format!(
        "/api/v1/accounts/{}/funnels/{}/cards",
        server.account_id(),
        funnel.id
    );
    let before = send(&server, "GET", &cards_path, None).await;
    let before = before.body.as_array().unwrap().len();

    let first = send(
        &server,
        "POST",
        &path,
        Some(&json!({"funnel_id": funnel.id, "funnel_stage_id": stage.id}).to_string()),
    )
    .await;
    assert_eq!(first.status, 201, "the document's status for a conversion");
    assert_eq!(first.body["funnel_stage_id"], stage.id);
    assert_eq!(first.body["lead"]["id"], lead_id);
    // Again: a second card, as a server without idempotency makes.
    let second = send(
        &server,
        "POST",
        &path,
        Some(&json!({"funnel_id": funnel.id}).to_string()),
    )
    .await;
    assert_ne!(second.body["id"], first.body["id"]);
    assert_eq!(
        second.body["funnel_stage_id"], funnel.stages[0].id,
        "the first stage when none is given"
    );
    assert_eq!(
        server
            .account(server.account_id())
            .unwrap()
            .cards_of(funnel.id, lead_id)
            .len(),
        2
    );

    let all = send(&server, "GET", &cards_path, None).await;
    assert_eq!(all.body.as_array().unwrap().len(), before + 2);
    let in_stage = send(
        &server,
        "GET",
        &format!("{cards_path}?stage_id={}", stage.id),
        None,
    )
    .await;
    assert!(
        in_stage
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["funnel_stage_id"] == stage.id)
    );
    assert!(
        in_stage
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == first.body["id"])
    );
    let status = first.body["lead"]["status"].as_str().unwrap();
    let by_status = send(
        &server,
        "GET",
        &format!("{cards_path}?lead_status={status}"),
        None,
    )
    .await;
    assert!(
        by_status
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["lead"]["status"] == status)
    );

    // Refusals.
    let no_funnel = send(&server, "POST", &path, Some(r#"{"funnel_id": 987654}"#)).await;
    assert_eq!(no_funnel.status, 404);
    let other_stage = send(
        &server,
        "POST",
        &path,
        Some(
            &json!({"funnel_id": funnel.id, "funnel_stage_id": account.funnels[1].stages[0].id})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(
        (other_stage.status, &other_stage.body["attributes"]),
        (422, &json!(["funnel_stage_id"]))
    );
    let no_lead = send(
        &server,
        "POST",
        &format!("{}/999999/convert", leads_path(&server)),
        Some(&json!({"funnel_id": funnel.id}).to_string()),
    )
    .await;
    assert_eq!(no_lead.status, 404);
    let missing = send(&server, "POST", &path, Some("{}")).await;
    assert_eq!(
        missing.body,
        json!({"error": "param is missing or the value is empty: funnel_id"})
    );
    let unknown_funnel_cards = send(
        &server,
        "GET",
        &format!(
            "/api/v1/accounts/{}/funnels/987654/cards",
            server.account_id()
        ),
        None,
    )
    .await;
    assert_eq!(unknown_funnel_cards.status, 404);
    let bad_filter = send(
        &server,
        "GET",
        &format!("{cards_path}?lead_status=maybe"),
        None,
    )
    .await;
    assert_eq!(
        (bad_filter.status, &bad_filter.body["attributes"]),
        (422, &json!(["lead_status"]))
    );
}

#[tokio::test]
async fn faults_strike_before_or_after_applying() {
    let server = MockServer::start().await;
    let id = server.account(server.account_id()).unwrap().leads[0].id;
    let path = format!("{}/{id}/status", leads_path(&server));
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("PATCH")
            .times(1),
    );
    let before = send(
        &server,
        "PATCH",
        &path,
        Some(r#"{"status":"won","notes":"before"}"#),
    )
    .await;
    assert_eq!(before.status, 502);
    assert_ne!(
        lead(&server, id).unwrap().notes.as_deref(),
        Some("before"),
        "not applied"
    );

    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("PATCH")
            .after_applying()
            .times(1),
    );
    let after = send(
        &server,
        "PATCH",
        &path,
        Some(r#"{"status":"won","notes":"after"}"#),
    )
    .await;
    assert_eq!(after.status, 502);
    assert_eq!(
        lead(&server, id).unwrap().notes.as_deref(),
        Some("after"),
        "applied, then failed"
    );

    server.add_fault(
        FaultRule::new(Fault::DropConnection)
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let account = server.account(server.account_id()).unwrap();
    let funnel = account.funnels[0].id;
    let convert = format!("{}/{id}/convert", leads_path(&server));
    let dropped = reqwest::Client::new()
        .post(format!("{}{convert}", server.url()))
        .header("api_access_token", server.token())
        .json(&json!({"funnel_id": funnel}))
        .send()
        .await;
    assert!(dropped.is_err(), "no answer");
    assert_eq!(
        server
            .account(server.account_id())
            .unwrap()
            .cards_of(funnel, id)
            .len(),
        account.cards_of(funnel, id).len() + 1,
        "the card was made"
    );
    // The journal holds what applied, and only that: the PATCH stopped
    // before applying is not in it.
    let journal: Vec<(&str, Vec<i64>)> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.lead_ids))
        .collect();
    assert_eq!(
        journal,
        [("update_lead_status", vec![id]), ("convert_lead", vec![id])]
    );
    // A GET is not a PATCH: the rules for PATCH leave it alone.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).on_method("PATCH"));
    assert_eq!(
        send(&server, "GET", &leads_path(&server), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn every_write_answer_holds_against_the_document() {
    let spec = Spec::bundled();
    let server = MockServer::start().await;
    let account = server.account(server.account_id()).unwrap();
    let funnel = account.funnels[0].id;
    let lead_id = account.leads[3].id;
    let cases: Vec<(&str, &str, String, Option<String>)> = vec![
        ("update_lead_status", "PATCH", format!("{}/{lead_id}/status", leads_path(&server)), Some(r#"{"status":"won","notes":null}"#.into())),
        ("update_lead_status", "PATCH", format!("{}/{lead_id}/status", leads_path(&server)), Some("{}".into())),
        ("update_lead_status", "PATCH", format!("{}/999999/status", leads_path(&server)), Some(r#"{"status":"won"}"#.into())),
        ("bulk_lead_action", "POST", format!("{}/bulk", leads_path(&server)), Some(json!({"lead_ids":[lead_id],"action_type":"status_change","params":{"status":"lost"}}).to_string())),
        ("bulk_lead_action", "POST", format!("{}/bulk", leads_path(&server)), Some(r#"{"lead_ids":"x","action_type":"delete"}"#.into())),
        ("convert_lead", "POST", format!("{}/{lead_id}/convert", leads_path(&server)), Some(json!({"funnel_id": funnel}).to_string())),
        ("convert_lead", "POST", format!("{}/{lead_id}/convert", leads_path(&server)), Some(json!({"funnel_id": funnel, "funnel_stage_id": -1}).to_string())),
        ("list_funnel_cards", "GET", format!("/api/v1/accounts/{}/funnels/{funnel}/cards", server.account_id()), None),
        ("list_funnel_cards", "GET", format!("/api/v1/accounts/{}/funnels/{funnel}/cards?stage_id=x", server.account_id()), None),
    ];
    let mut statuses = BTreeSet::new();
    for (operation, method, path, body) in cases {
        let answer = send(&server, method, &path, body.as_deref()).await;
        statuses.insert(answer.status);
        let schema = spec
            .response_schema(operation, answer.status, "application/json")
            .unwrap_or_else(|| panic!("{operation} {}: not documented", answer.status));
        let validator = spec.validator(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&answer.body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{operation} {method} {path}: {errors:?}\n{}",
            answer.body
        );
    }
    assert_eq!(statuses, BTreeSet::from([200, 201, 404, 422]));
}

/// `value` with the instants the mock's writes stamp (real time, after all
/// generated data) replaced by `"WRITTEN"`: the rest of the same writes'
/// answers is the same from run to run.
fn without_write_instants(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(name, member)| match member {
                    Value::String(at) if name.ends_with("_at") && at.as_str() >= "2025-03-01" => {
                        (name, json!("WRITTEN"))
                    }
                    other => (name, without_write_instants(other)),
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(without_write_instants).collect())
        }
        other => other,
    }
}

#[tokio::test]
async fn the_same_writes_give_the_same_answers_but_for_their_instants() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = MockServer::builder()
            .seed(5)
            .token("t")
            .start()
            .await
            .unwrap();
        let account = server.account(server.account_id()).unwrap();
        let (lead_id, funnel) = (account.leads[2].id, account.funnels[1].id);
        let mut answers = Vec::new();
        for (method, path, body) in [
            ("PATCH", format!("{}/{lead_id}/status", leads_path(&server)), Some(r#"{"status":"won"}"#.to_owned())),
            ("POST", format!("{}/{lead_id}/convert", leads_path(&server)), Some(json!({"funnel_id": funnel}).to_string())),
            ("POST", format!("{}/bulk", leads_path(&server)), Some(json!({"lead_ids":[lead_id, 1, 2],"action_type":"status_change","params":{"status":"open"}}).to_string())),
            ("GET", format!("{}?sort_by=updated_at&per_page=5", leads_path(&server)), None),
        ] {
            let body = send(&server, method, &path, body.as_deref()).await.body;
            answers.push(without_write_instants(body));
        }
        runs.push(answers);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0][0]["updated_at"] == "WRITTEN",
        "a write stamps the lead: {}",
        runs[0][0]
    );
}
