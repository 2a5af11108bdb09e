//! `voxys tasks ...` against the mock server: what each command prints is
//! what the server holds, and what each write did is read from the mock's
//! own state and journal of applied writes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use voxys_connect_mock::MockServer;

mod common;

use common::{assert_ok, dry_run_body, dry_run_line, ndjson, stderr, stdout, voxys};

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

async fn server() -> MockServer {
    MockServer::builder().leads(60).start().await.unwrap()
}

fn ids(records: &[Value]) -> BTreeSet<i64> {
    records.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

fn instant(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test]
async fn list_filters_and_pages_print_what_the_server_holds() {
    let server = server().await;
    let account = server.account_id();
    let held = server.tasks(account);

    let all = voxys(&server, &["tasks", "list", "--all", "--per-page", "5"]).await;
    assert_ok(&all);
    assert_eq!(
        ids(&ndjson(&all)),
        held.iter().map(|t| t.id).collect::<BTreeSet<_>>()
    );

    let pending = voxys(&server, &["tasks", "list", "--all", "--status", "pending"]).await;
    assert_ok(&pending);
    assert_eq!(
        ids(&ndjson(&pending)),
        held.iter()
            .filter(|t| t.status == "pending")
            .map(|t| t.id)
            .collect::<BTreeSet<_>>()
    );

    let about_a_lead = held
        .iter()
        .find(|t| t.taskable_type.as_deref() == Some("Lead"))
        .unwrap();
    let lead = about_a_lead.taskable_id.unwrap();
    let about = voxys(
        &server,
        &["tasks", "list", "--all", "--about", &format!("lead:{lead}")],
    )
    .await;
    assert_ok(&about);
    assert_eq!(
        ids(&ndjson(&about)),
        held.iter()
            .filter(|t| t.is_about("Lead", lead))
            .map(|t| t.id)
            .collect::<BTreeSet<_>>()
    );

    let csv = voxys(&server, &["tasks", "list", "--format", "csv"]).await;
    assert_ok(&csv);
    assert!(stdout(&csv).starts_with("id,title,description,status,priority,due_at,"));

    let bad = voxys(&server, &["tasks", "list", "--about", "invoice:3"]).await;
    assert_eq!(code(&bad), Some(2), "{}", stderr(&bad));
    let bad = voxys(&server, &["tasks", "list", "--due-before", "tomorrow"]).await;
    assert_eq!(code(&bad), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("RFC 3339"), "{}", stderr(&bad));
}

#[tokio::test]
async fn create_get_update_complete_and_calendar() {
    let server = server().await;
    let account = server.account_id();
    let lead = server.leads(account)[0].id;

    let created = voxys(
        &server,
        &[
            "tasks",
            "create",
            "Call back about the quote",
            "--about",
            &format!("lead:{lead}"),
            "--priority",
            "high",
            "--due",
            "2031-06-15T12:00:00+02:00",
            "--description",
            "They asked for a discount",
        ],
    )
    .await;
    assert_ok(&created);
    let task = ndjson(&created).remove(0);
    let id = task["id"].as_i64().unwrap();
    let held = server.task(account, id).unwrap();
    assert_eq!(held.title, "Call back about the quote");
    assert_eq!(held.priority, "high");
    assert_eq!(held.due_at, Some(instant("2031-06-15T10:00:00Z")));
    assert!(held.is_about("Lead", lead));
    assert_eq!(task["due_at"], "2031-06-15T10:00:00Z");
    let id_arg = id.to_string();

    let got = voxys(&server, &["tasks", "get", &id_arg]).await;
    assert_ok(&got);
    assert_eq!(ndjson(&got), std::slice::from_ref(&task));

    // The calendar: the days given, both included.
    let calendar = voxys(&server, &["tasks", "calendar", "2031-06-15", "2031-06-15"]).await;
    assert_ok(&calendar);
    assert_eq!(ids(&ndjson(&calendar)), BTreeSet::from([id]));
    let calendar = voxys(&server, &["tasks", "calendar", "2031-06-16", "2031-06-30"]).await;
    assert_ok(&calendar);
    assert!(ndjson(&calendar).is_empty());
    let bad = voxys(&server, &["tasks", "calendar", "2031-06-31", "2031-07-01"]).await;
    assert_eq!(code(&bad), Some(2), "{}", stderr(&bad));

    // Update: a flag per member, --clear-… sends null.
    let dry = voxys(
        &server,
        &[
            "tasks",
            "update",
            &id_arg,
            "--title",
            "Call back",
            "--clear-due",
            "--priority",
            "low",
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        dry_run_body(
            &server,
            stdout(&dry).trim(),
            "PATCH",
            &format!("follow_up_tasks/{id}")
        ),
        json!({"title": "Call back", "due_at": null, "priority": "low"})
    );
    assert_eq!(
        server.task(account, id).unwrap(),
        held,
        "a dry run sends nothing"
    );
    let nothing = voxys(&server, &["tasks", "update", &id_arg]).await;
    assert_eq!(code(&nothing), Some(2), "{}", stderr(&nothing));
    let updated = voxys(
        &server,
        &[
            "tasks",
            "update",
            &id_arg,
            "--title",
            "Call back",
            "--clear-due",
            "--priority",
            "low",
            "--clear-description",
        ],
    )
    .await;
    assert_ok(&updated);
    let held = server.task(account, id).unwrap();
    assert_eq!(
        (held.title.as_str(), held.due_at, held.priority.as_str()),
        ("Call back", None, "low")
    );
    assert_eq!(held.description, None);

    let completed = voxys(&server, &["tasks", "complete", &id_arg]).await;
    assert_ok(&completed);
    let held = server.task(account, id).unwrap();
    assert_eq!(held.status, "completed");
    assert!(held.completed_at.is_some());
    assert_eq!(ndjson(&completed)[0]["status"], "completed");

    let operations: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(operations, ["create_task", "update_task", "complete_task"]);

    // A task about a record needs its id; nothing is sent without one.
    let requests = server.request_count();
    let refused = voxys(&server, &["tasks", "create", "Call", "--about", "lead"]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("lead:42"), "{}", stderr(&refused));
    assert_eq!(server.request_count(), requests);
}

#[tokio::test]
async fn snooze_takes_a_duration_or_an_instant_and_refuses_anything_else() {
    let server = server().await;
    let account = server.account_id();
    let task = server
        .tasks(account)
        .into_iter()
        .find(|t| t.status == "pending" && t.due_at.is_some())
        .unwrap();
    let id_arg = task.id.to_string();

    // Refused before anything is sent, with what would do.
    for bad in ["soon", "0d", "1y", "2026-02-30T09:00:00Z", "+1d", "10000w"] {
        let refused = voxys(&server, &["tasks", "snooze", &id_arg, bad]).await;
        assert_eq!(code(&refused), Some(2), "{bad}: {}", stderr(&refused));
        assert!(
            stderr(&refused).contains("is not a snooze") && stderr(&refused).contains("12h"),
            "{}",
            stderr(&refused)
        );
    }
    assert_eq!(server.request_count(), 0, "nothing sent");

    let snoozed = voxys(&server, &["tasks", "snooze", &id_arg, "1d"]).await;
    assert_ok(&snoozed);
    let held = server.task(account, task.id).unwrap();
    assert_eq!(held.status, "snoozed");
    assert_ne!(held.due_at, task.due_at, "pushed");
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1, "once");
    assert_eq!(writes[0].operation, "snooze_task");
    assert_eq!(writes[0].due_at_before, task.due_at);
    assert_eq!(writes[0].due_at_after, held.due_at);
    assert_eq!(
        ndjson(&snoozed)[0]["due_at"],
        json!(
            held.due_at
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    );

    let until = voxys(
        &server,
        &["tasks", "snooze", &id_arg, "2031-07-01T09:00:00Z"],
    )
    .await;
    assert_ok(&until);
    assert_eq!(
        server.task(account, task.id).unwrap().due_at,
        Some(instant("2031-07-01T09:00:00Z"))
    );
}

#[tokio::test]
async fn delete_asks_first_and_a_dry_run_sends_nothing() {
    let server = server().await;
    let account = server.account_id();
    let id = server.tasks(account)[0].id;
    let id_arg = id.to_string();

    let refused = voxys(&server, &["tasks", "delete", &id_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("refusing to delete task {id}")),
        "{}",
        stderr(&refused)
    );
    let dry = voxys(&server, &["tasks", "delete", &id_arg, "--dry-run"]).await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(&server, "DELETE", &format!("follow_up_tasks/{id}"))
    );
    assert_eq!(server.request_count(), 0);
    assert!(server.task(account, id).is_some());

    let deleted = voxys(&server, &["tasks", "delete", &id_arg, "--yes"]).await;
    assert_ok(&deleted);
    assert!(stderr(&deleted).contains(&format!("task {id}: deleted")));
    assert!(server.task(account, id).is_none());
    let again = voxys(&server, &["tasks", "delete", &id_arg, "--yes"]).await;
    assert_eq!(code(&again), Some(4), "{}", stderr(&again));
    assert_eq!(server.applied_writes().len(), 1);
}
