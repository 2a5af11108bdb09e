//! Creating, updating and deleting leads, and their notes, over HTTP: new
//! ids, real timestamps with milliseconds, exact amounts, the three states
//! of an update, 204 without a body, 422 in the reference's shape, and the
//! journal of each write.

mod common;

use std::collections::BTreeSet;

use common::{
    assert_documented, assert_field_error, has_milliseconds, instant, not_found, now, path, send,
    send_text,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use voxys_connect_mock::MockServer;

fn leads(server: &MockServer) -> String {
    path(server.account_id(), "leads")
}

#[tokio::test]
async fn a_created_lead_gets_the_next_id_the_time_it_was_made_and_its_company() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let largest = server
        .account_ids()
        .iter()
        .flat_map(|a| server.leads(*a))
        .map(|l| l.id)
        .max()
        .unwrap();
    let company = server.companies(account)[3].clone();
    let agent = server.account(account).unwrap().agents[2].clone();
    let before = now();
    let body = json!({
        "custom_name": "Enterprise Deal - Q3",
        "lead_value": "15000.50",
        "lead_currency": "USD",
        "assigned_agent_id": agent.id,
        "company_id": company.id,
        "position": 4,
        "conversation_id": 77,
        "custom_attributes": {"industry": "Technology", "tags": ["vip"]},
    });
    let created = send(&server, "POST", &leads(&server), Some(&body)).await;
    let after = now();
    assert_eq!(created.status, 201, "{}", created.text);
    assert_documented("create_lead", &created);
    let lead = &created.body;
    let id = lead["id"].as_i64().unwrap();
    assert_eq!(id, largest + 1, "the next id");
    assert_eq!(lead["status"], "open");
    assert_eq!(lead["lead_value"], json!(15000.5));
    assert_eq!(
        lead["company"],
        json!({"id": company.id, "name": company.name, "domain": company.domain})
    );
    assert_eq!(lead["assigned_agent"], agent.to_json());
    assert_eq!(lead["notes"], Value::Null);
    assert_eq!(lead["custom_attributes"], body["custom_attributes"]);
    // Made now, to the millisecond.
    assert!(
        has_milliseconds(&lead["created_at"]),
        "{}",
        lead["created_at"]
    );
    assert_eq!(lead["created_at"], lead["updated_at"]);
    let made = instant(&lead["created_at"]);
    assert!(
        made >= before && made <= after + chrono::Duration::milliseconds(2),
        "{made} in {before}..{after}"
    );

    // The server holds it, exactly, and lists it first (newest first).
    let held = server.lead(account, id).unwrap();
    assert_eq!(held.lead_value, Some(Decimal::new(1_500_050, 2)));
    assert_eq!(held.to_json(), *lead);
    let listed = send(
        &server,
        "GET",
        &format!("{}?per_page=1", leads(&server)),
        None,
    )
    .await;
    assert_eq!(listed.body["data"][0], *lead);
    assert_eq!(
        send(&server, "GET", &format!("{}/{id}", leads(&server)), None)
            .await
            .body,
        *lead
    );
    // lead_stats counts it.
    let stats = send(&server, "GET", &format!("{}/stats", leads(&server)), None).await;
    assert_eq!(stats.body["total"], server.leads(account).len() as u64);

    // The journal: one create, with the new id and the name.
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1);
    let write = &writes[0];
    assert_eq!(
        (
            write.operation,
            write.account_id,
            write.created_id,
            write.name.as_deref()
        ),
        (
            "create_lead",
            account,
            Some(id),
            Some("Enterprise Deal - Q3")
        )
    );
    assert_eq!(
        (write.lead_ids.clone(), write.company_ids.clone()),
        (vec![id], vec![company.id])
    );
    assert_eq!(write.at, made);
    // The company's timeline says so, by the token's user.
    let event = &server.timeline(account, company.id)[0];
    assert_eq!(event.event_type, "lead_created");
    assert_eq!(event.actor.as_ref(), Some(&server.user()));
    assert!(
        event
            .description
            .as_deref()
            .unwrap()
            .contains("Enterprise Deal - Q3")
    );

    // Every member optional: an empty lead is a lead. Ids never come back:
    // deleting the newest and creating again gives a new one.
    let deleted = send(&server, "DELETE", &format!("{}/{id}", leads(&server)), None).await;
    assert_eq!(deleted.status, 204);
    let empty = send(&server, "POST", &leads(&server), Some(&json!({}))).await;
    assert_eq!(empty.status, 201, "{}", empty.text);
    assert_eq!(empty.body["id"], id + 1);
    for member in [
        "custom_name",
        "lead_value",
        "lead_currency",
        "assigned_agent",
        "company",
        "position",
    ] {
        assert_eq!(empty.body[member], Value::Null, "{member}");
    }
    assert_eq!(empty.body["custom_attributes"], json!({}));
    assert!(
        instant(&empty.body["created_at"]) > made,
        "each write later than the last"
    );
    assert_eq!(
        server
            .applied_writes()
            .iter()
            .filter(|w| w.operation == "create_lead")
            .count(),
        2
    );
}

#[tokio::test]
async fn amounts_are_kept_exactly_whether_numbers_or_strings() {
    let server = MockServer::start().await;
    let account = server.account_id();
    for (written, exact) in [
        ("12345678901234.56789", "12345678901234.56789"),
        ("\"12345678901234.56789\"", "12345678901234.56789"),
        ("0.1", "0.1"),
        ("1.5e3", "1500"),
        ("-20", "-20"),
    ] {
        let body = format!(r#"{{"custom_name":"amount","lead_value":{written}}}"#);
        let created = send_text(&server, "POST", &leads(&server), &body).await;
        assert_eq!(created.status, 201, "{written}: {}", created.text);
        let held = server
            .lead(account, created.body["id"].as_i64().unwrap())
            .unwrap();
        assert_eq!(
            held.lead_value,
            Some(exact.parse::<Decimal>().unwrap()),
            "{written}"
        );
    }
    // A string that holds no number is refused, and nothing is made.
    let writes = server.applied_writes().len();
    let refused = send(
        &server,
        "POST",
        &leads(&server),
        Some(&json!({"lead_value": "lots"})),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_documented("create_lead", &refused);
    assert_eq!(server.applied_writes().len(), writes);
}

#[tokio::test]
async fn a_lead_refers_to_an_agent_and_a_company_of_its_account_or_is_refused() {
    let server = MockServer::start().await;
    let [first, second] = server.account_ids()[..] else {
        panic!("two accounts")
    };
    let theirs = server.companies(second)[0].id;
    let unknown = send(
        &server,
        "POST",
        &path(first, "leads"),
        Some(&json!({"company_id": theirs})),
    )
    .await;
    assert_field_error(&unknown, "company_id", "must exist");
    let stranger = send(
        &server,
        "POST",
        &path(first, "leads"),
        Some(&json!({"assigned_agent_id": 424_242})),
    )
    .await;
    assert_field_error(
        &stranger,
        "assigned_agent_id",
        "must be an agent of the account",
    );
    let both = send(
        &server,
        "POST",
        &path(first, "leads"),
        Some(&json!({"assigned_agent_id": 424_242, "company_id": 999_999})),
    )
    .await;
    assert_eq!(
        both.body["errors"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["assigned_agent_id", "company_id"],
        "every member at fault"
    );
    let lead = server.leads(first)[0].id;
    let update = send(
        &server,
        "PATCH",
        &format!("{}/{lead}", path(first, "leads")),
        Some(&json!({"company_id": theirs})),
    )
    .await;
    assert_field_error(&update, "company_id", "must exist");
    assert!(
        server.applied_writes().is_empty(),
        "nothing refused was applied"
    );

    // The second account is reached with the same token, and takes a copy
    // of a lead of the first with its own company.
    let original = server
        .leads(first)
        .into_iter()
        .find(|l| l.custom_name.is_some())
        .unwrap();
    let copy = json!({
        "custom_name": original.custom_name,
        "lead_value": original.lead_value.map(|v| v.to_string()),
        "lead_currency": original.lead_currency,
        "company_id": theirs,
        "custom_attributes": original.custom_attributes,
    });
    let copied = send(&server, "POST", &path(second, "leads"), Some(&copy)).await;
    assert_eq!(copied.status, 201, "{}", copied.text);
    let id = copied.body["id"].as_i64().unwrap();
    assert!(server.lead(second, id).is_some() && server.lead(first, id).is_none());
    assert_eq!(
        server.lead(second, id).unwrap().lead_value,
        original.lead_value
    );
    assert_eq!(server.applied_writes()[0].account_id, second);
}

#[tokio::test]
async fn an_update_keeps_what_is_left_out_clears_what_is_null_and_sets_the_rest() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let lead = server
        .leads(account)
        .into_iter()
        .find(|l| {
            l.lead_value.is_some()
                && l.company.is_some()
                && l.assigned_agent.is_some()
                && l.custom_name.is_some()
                && l.position.is_some()
        })
        .unwrap();
    let at = format!("{}/{}", leads(&server), lead.id);

    // Set one member, clear another, leave the rest out.
    let changed = send(
        &server,
        "PATCH",
        &at,
        Some(&json!({"custom_name": "Renamed", "lead_value": null})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_documented("update_lead", &changed);
    let held = server.lead(account, lead.id).unwrap();
    assert_eq!(held.custom_name.as_deref(), Some("Renamed"), "set");
    assert_eq!(held.lead_value, None, "null clears");
    assert_eq!(held.lead_currency, lead.lead_currency, "left out: kept");
    assert_eq!(held.company, lead.company, "left out: kept");
    assert_eq!(held.assigned_agent, lead.assigned_agent, "left out: kept");
    assert_eq!(held.position, lead.position, "left out: kept");
    assert_eq!(held.status, lead.status);
    assert_eq!(held.created_at, lead.created_at);
    assert!(held.updated_at > lead.updated_at, "updated_at moves on");
    assert!(has_milliseconds(&changed.body["updated_at"]));
    assert_eq!(held.to_json(), changed.body);

    // The agent and the company cleared; the name kept.
    let cleared = send(
        &server,
        "PATCH",
        &at,
        Some(&json!({"assigned_agent_id": null, "company_id": null})),
    )
    .await;
    assert_eq!(
        (&cleared.body["assigned_agent"], &cleared.body["company"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(cleared.body["custom_name"], "Renamed");
    // Into another company, with an exact amount.
    let other = server.companies(account)[7].clone();
    let moved = send_text(
        &server,
        "PATCH",
        &at,
        &format!(r#"{{"company_id":{},"lead_value":18000.55}}"#, other.id),
    )
    .await;
    assert_eq!(moved.body["company"]["name"], other.name.as_str());
    assert_eq!(
        server.lead(account, lead.id).unwrap().lead_value,
        Some(Decimal::new(1_800_055, 2))
    );
    // Nothing sent: nothing changes but updated_at.
    let before = server.lead(account, lead.id).unwrap();
    let same = send(&server, "PATCH", &at, Some(&json!({}))).await;
    let after = server.lead(account, lead.id).unwrap();
    assert_eq!(same.status, 200);
    assert!(after.updated_at > before.updated_at);
    assert_eq!(after.custom_name, before.custom_name);
    assert_eq!(after.lead_value, before.lead_value);

    let journal: Vec<(&str, Vec<i64>, Vec<i64>)> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.lead_ids, w.company_ids))
        .collect();
    let first_company = lead.company.unwrap().id;
    assert_eq!(
        journal,
        [
            ("update_lead", vec![lead.id], vec![first_company]),
            ("update_lead", vec![lead.id], vec![first_company]),
            ("update_lead", vec![lead.id], vec![other.id]),
            ("update_lead", vec![lead.id], vec![other.id]),
        ]
    );
    let missing = send(
        &server,
        "PATCH",
        &format!("{}/999999", leads(&server)),
        Some(&json!({})),
    )
    .await;
    assert_eq!((missing.status, missing.body), (404, not_found()));
}

#[tokio::test]
async fn deleting_a_lead_answers_204_with_no_body_and_again_404() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let with_notes = server.account(account).unwrap().notes[0].lead_id;
    let notes: BTreeSet<i64> = server
        .notes(account, with_notes)
        .iter()
        .map(|n| n.id)
        .collect();
    let at = format!("{}/{with_notes}", leads(&server));

    let deleted = send(&server, "DELETE", &at, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        (deleted.text.as_str(), deleted.content_type.as_str()),
        ("", ""),
        "no body, no content type"
    );
    assert_documented("delete_lead", &deleted);
    assert!(server.lead(account, with_notes).is_none());
    assert!(
        server.notes(account, with_notes).is_empty(),
        "its notes go with it"
    );
    let gone = send(&server, "GET", &at, None).await;
    assert_eq!((gone.status, gone.body), (404, not_found()));
    let again = send(&server, "DELETE", &at, None).await;
    assert_eq!((again.status, again.body), (404, not_found()));
    let notes_of_gone = send(&server, "GET", &format!("{at}/notes"), None).await;
    assert_eq!(notes_of_gone.status, 404);

    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1, "the repeat applied nothing");
    assert_eq!(
        (writes[0].operation, writes[0].lead_ids.clone()),
        ("delete_lead", vec![with_notes])
    );
    assert_eq!(
        writes[0].note_ids.iter().copied().collect::<BTreeSet<_>>(),
        notes
    );
}

#[tokio::test]
async fn notes_list_newest_first_each_with_its_author() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let lead = server.leads(account)[10].id;
    let notes = format!("{}/{lead}/notes", leads(&server));
    let before = send(&server, "GET", &notes, None).await;
    assert_eq!(before.status, 200);
    assert_documented("list_lead_notes", &before);
    let count = before.body.as_array().unwrap().len();

    let first = send(
        &server,
        "POST",
        &notes,
        Some(&json!({"content": "Called, left a voicemail."})),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_documented("create_lead_note", &first);
    assert_eq!(
        first.body["author"],
        server.user().to_json(),
        "written by the token's user"
    );
    assert!(has_milliseconds(&first.body["created_at"]));
    let second = send(
        &server,
        "POST",
        &notes,
        Some(&json!({"content": "Sent the proposal."})),
    )
    .await;
    assert!(second.body["id"].as_i64() > first.body["id"].as_i64());

    let listed = send(&server, "GET", &notes, None).await;
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), count + 2);
    assert_eq!(listed[0], second.body, "newest first");
    assert_eq!(listed[1], first.body);
    for pair in listed.windows(2) {
        assert!(instant(&pair[0]["created_at"]) >= instant(&pair[1]["created_at"]));
    }
    let held: Vec<Value> = server
        .notes(account, lead)
        .iter()
        .map(|n| n.to_json())
        .collect();
    assert_eq!(
        held, listed,
        "the server's accessor lists them the same way"
    );

    // Blank content is refused in the reference's shape, empty or spaces.
    for blank in ["", "   "] {
        let refused = send(&server, "POST", &notes, Some(&json!({"content": blank}))).await;
        assert_field_error(&refused, "content", "can't be blank");
    }
    let missing = send(
        &server,
        "POST",
        &format!("{}/999999/notes", leads(&server)),
        Some(&json!({"content": "x"})),
    )
    .await;
    assert_eq!((missing.status, missing.body), (404, not_found()));

    type Written = (&'static str, Vec<i64>, Option<i64>, Option<String>);
    let journal: Vec<Written> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.note_ids, w.created_id, w.name))
        .collect();
    let id = |answer: &common::Answer| answer.body["id"].as_i64().unwrap();
    assert_eq!(
        journal,
        [
            (
                "create_lead_note",
                vec![id(&first)],
                Some(id(&first)),
                Some("Called, left a voicemail.".to_owned())
            ),
            (
                "create_lead_note",
                vec![id(&second)],
                Some(id(&second)),
                Some("Sent the proposal.".to_owned())
            ),
        ]
    );

    // Generated notes: some leads have them, and some have no author.
    let mine = server.account(account).unwrap();
    let generated: Vec<_> = mine.notes.iter().collect();
    assert!(generated.len() > 10);
    let orphan = generated
        .iter()
        .find(|n| n.author.is_none())
        .expect("a note whose author is gone");
    let theirs = send(
        &server,
        "GET",
        &format!("{}/{}/notes", leads(&server), orphan.lead_id),
        None,
    )
    .await;
    assert_documented("list_lead_notes", &theirs);
    assert!(
        theirs
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["author"].is_null())
    );
}

#[tokio::test]
async fn the_created_status_the_builder_chose_applies_to_every_create() {
    let server = MockServer::builder()
        .created_status(200)
        .start()
        .await
        .unwrap();
    let account = server.account_id();
    let lead = send(&server, "POST", &leads(&server), Some(&json!({}))).await;
    assert_eq!(lead.status, 200);
    let note = send(
        &server,
        "POST",
        &format!("{}/{}/notes", leads(&server), lead.body["id"]),
        Some(&json!({"content": "hi"})),
    )
    .await;
    assert_eq!(note.status, 200);
    let company = send(
        &server,
        "POST",
        &path(account, "companies"),
        Some(&json!({"name": "Initech"})),
    )
    .await;
    assert_eq!(company.status, 200);
}
