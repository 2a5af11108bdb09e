//! `voxys leads create`, `update`, `delete` and `notes` against the mock
//! server. What each command did is read from the mock's own state and its
//! journal of applied writes, not only from the CLI's output.

use serde_json::Value;
use voxys_connect_mock::MockServer;

mod common;

use common::{
    assert_ok, dry_run_body, dry_run_line, lead, ndjson, stderr, stdout, voxys, voxys_stdin,
};

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

/// The operations of the writes the server applied, in order.
fn applied(server: &MockServer) -> Vec<&'static str> {
    server
        .applied_writes()
        .into_iter()
        .map(|w| w.operation)
        .collect()
}

#[tokio::test]
async fn create_makes_one_lead_with_the_members_given_and_prints_it() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let (agent, company) = (account.agents[1].id, account.companies[2].id);
    let output = voxys(
        &server,
        &[
            "leads",
            "create",
            "--name",
            "Acme renewal",
            "--value",
            "15000.50",
            "--currency",
            "USD",
            "--agent",
            &agent.to_string(),
            "--company",
            &company.to_string(),
            "--position",
            "-3",
            "--attribute",
            "tier=gold",
            "--attribute",
            "seats=25",
        ],
    )
    .await;
    assert_ok(&output);
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].operation, "create_lead");
    let id = writes[0].created_id.unwrap();
    let made = lead(&server, id).unwrap();
    assert_eq!(made.custom_name.as_deref(), Some("Acme renewal"));
    assert_eq!(made.lead_value, Some("15000.50".parse().unwrap()));
    assert_eq!(made.lead_currency.as_deref(), Some("USD"));
    assert_eq!(made.assigned_agent.as_ref().unwrap().id, agent);
    assert_eq!(made.company.as_ref().unwrap().id, company);
    assert_eq!(made.position, Some(-3));
    assert_eq!(made.custom_attributes["tier"], "gold");
    assert_eq!(made.custom_attributes["seats"], 25);
    assert_eq!(made.status, "open");
    assert_eq!(ndjson(&output), [made.to_json()]);

    // A company the account does not have: the API's 422, each field named,
    // exit 2, nothing made.
    let refused = voxys(
        &server,
        &["leads", "create", "--name", "x", "--company", "987654"],
    )
    .await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--company: must exist"),
        "{}",
        stderr(&refused)
    );
    // No member at all: refused before anything is sent.
    let before = server.request_count();
    let empty = voxys(&server, &["leads", "create"]).await;
    assert_eq!(code(&empty), Some(2), "{}", stderr(&empty));
    assert!(stderr(&empty).contains("--from FILE"), "{}", stderr(&empty));
    assert_eq!(server.request_count(), before);
    assert_eq!(applied(&server), ["create_lead"]);
}

#[tokio::test]
async fn update_sets_and_clears_each_member_and_leaves_the_others() {
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let full = account
        .leads
        .iter()
        .find(|l| {
            l.assigned_agent.is_some()
                && l.company.is_some()
                && l.lead_value.is_some()
                && l.position.is_some()
                && l.conversation_id.is_some()
                && !l.custom_attributes.is_empty()
        })
        .expect("a lead with every member")
        .clone();
    let id = full.id.to_string();

    // Set: only the members named change.
    let set = voxys(
        &server,
        &[
            "leads", "update", &id, "--name", "Renamed", "--value", "42.5", "--format", "json",
        ],
    )
    .await;
    assert_ok(&set);
    let held = lead(&server, full.id).unwrap();
    assert_eq!(held.custom_name.as_deref(), Some("Renamed"));
    assert_eq!(held.lead_value, Some("42.5".parse().unwrap()));
    assert_eq!(
        (
            &held.assigned_agent,
            &held.company,
            held.position,
            held.conversation_id
        ),
        (
            &full.assigned_agent,
            &full.company,
            full.position,
            full.conversation_id
        )
    );
    let printed: Vec<Value> = serde_json::from_str(&stdout(&set)).unwrap();
    assert_eq!(printed, [held.to_json()]);

    // A dry run prints the PATCH with nulls for the cleared members, and
    // sends nothing.
    let clear_flags = [
        "--clear-name",
        "--clear-value",
        "--clear-currency",
        "--clear-agent",
        "--clear-position",
        "--clear-conversation",
        "--clear-company",
        "--clear-attributes",
    ];
    let mut dry = vec!["leads", "update", &id, "--dry-run"];
    dry.extend(clear_flags);
    let before = server.request_count();
    let dry_run = voxys(&server, &dry).await;
    assert_ok(&dry_run);
    assert_eq!(server.request_count(), before, "nothing sent");
    let body = dry_run_body(
        &server,
        stdout(&dry_run).trim(),
        "PATCH",
        &format!("leads/{id}"),
    );
    assert_eq!(
        body,
        serde_json::json!({
            "custom_name": null, "lead_value": null, "lead_currency": null,
            "assigned_agent_id": null, "position": null, "conversation_id": null,
            "company_id": null, "custom_attributes": {}
        })
    );
    assert_eq!(lead(&server, full.id).unwrap(), held, "nothing changed");

    // Sent: every member cleared, as the server holds it.
    let mut clear = vec!["leads", "update", &id];
    clear.extend(clear_flags);
    let cleared = voxys(&server, &clear).await;
    assert_ok(&cleared);
    let held = lead(&server, full.id).unwrap();
    assert_eq!(held.custom_name, None);
    assert_eq!(held.lead_value, None);
    assert_eq!(held.lead_currency, None);
    assert_eq!(held.assigned_agent, None);
    assert_eq!(held.position, None);
    assert_eq!(held.conversation_id, None);
    assert_eq!(held.company, None);
    assert!(held.custom_attributes.is_empty());
    assert_eq!(held.status, full.status, "the status has its own command");

    // A flag and its --clear-… together, or no flag at all: refused, nothing
    // sent.
    let before = server.request_count();
    let both = voxys(
        &server,
        &["leads", "update", &id, "--agent", "3", "--clear-agent"],
    )
    .await;
    assert_eq!(code(&both), Some(2), "{}", stderr(&both));
    let nothing = voxys(&server, &["leads", "update", &id]).await;
    assert_eq!(code(&nothing), Some(2), "{}", stderr(&nothing));
    assert!(
        stderr(&nothing).contains("nothing to change"),
        "{}",
        stderr(&nothing)
    );
    assert_eq!(server.request_count(), before);

    // An agent of no account: 422, exit 2; a lead that does not exist: 4.
    let bad_agent = voxys(&server, &["leads", "update", &id, "--agent", "999999"]).await;
    assert_eq!(code(&bad_agent), Some(2), "{}", stderr(&bad_agent));
    assert!(
        stderr(&bad_agent).contains("--agent: "),
        "{}",
        stderr(&bad_agent)
    );
    let missing = voxys(&server, &["leads", "update", "999999", "--name", "x"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
    assert_eq!(applied(&server), ["update_lead", "update_lead"]);
}

#[tokio::test]
async fn delete_asks_refuses_without_a_terminal_and_dry_run_sends_nothing() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let id = server.account(server.account_id()).unwrap().leads[4].id;
    let id_arg = id.to_string();

    // The test's standard error is a pipe: no terminal to ask on.
    let refused = voxys(&server, &["leads", "delete", &id_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("refusing to delete lead {id}"))
            && stderr(&refused).contains("--yes"),
        "{}",
        stderr(&refused)
    );
    let dry = voxys(&server, &["leads", "delete", &id_arg, "--dry-run"]).await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(&server, "DELETE", &format!("leads/{id}"))
    );
    assert_eq!(server.request_count(), 0, "nothing sent");
    assert!(lead(&server, id).is_some());

    let deleted = voxys(&server, &["leads", "delete", &id_arg, "--yes"]).await;
    assert_ok(&deleted);
    assert!(stderr(&deleted).contains("deleted"), "{}", stderr(&deleted));
    assert!(lead(&server, id).is_none());
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (writes[0].operation, writes[0].lead_ids.as_slice()),
        ("delete_lead", [id].as_slice())
    );

    // Gone: 404, exit 4, said plainly.
    let again = voxys(&server, &["leads", "delete", &id_arg, "--yes"]).await;
    assert_eq!(code(&again), Some(4), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("nothing was deleted"),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn notes_list_what_the_server_holds_and_add_writes_one() {
    let server = MockServer::builder().leads(80).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let with_notes = account
        .leads
        .iter()
        .find(|l| account.notes_of(l.id).len() >= 2)
        .expect("a lead with notes");
    let id = with_notes.id.to_string();
    let expected: Vec<Value> = account
        .notes_of(with_notes.id)
        .iter()
        .map(|n| n.to_json())
        .collect();

    let listed = voxys(&server, &["leads", "notes", "list", &id]).await;
    assert_ok(&listed);
    assert_eq!(ndjson(&listed), expected);
    let csv = voxys(&server, &["leads", "notes", "list", &id, "--format", "csv"]).await;
    assert_ok(&csv);
    assert!(
        stdout(&csv)
            .starts_with("id,content,author_id,author_name,author_email,created_at,extra\n"),
        "{}",
        stdout(&csv)
    );
    assert_eq!(stdout(&csv).lines().count(), expected.len() + 1);

    let added = voxys(
        &server,
        &["leads", "notes", "add", &id, "Called, left a voicemail"],
    )
    .await;
    assert_ok(&added);
    let piped = voxys_stdin(
        &server,
        &["leads", "notes", "add", &id, "-"],
        Some(b"From a pipe\n"),
    )
    .await;
    assert_ok(&piped);

    let account = server.account(server.account_id()).unwrap();
    let notes = account.notes_of(with_notes.id);
    assert_eq!(notes.len(), expected.len() + 2);
    let contents: Vec<&str> = notes.iter().map(|n| n.content.as_str()).collect();
    assert!(
        contents.contains(&"Called, left a voicemail"),
        "{contents:?}"
    );
    assert!(contents.contains(&"From a pipe"), "{contents:?}");
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 2);
    assert!(writes.iter().all(|w| w.operation == "create_lead_note"));
    let made = writes[0].created_id.unwrap();
    let note = notes.iter().find(|n| n.id == made).unwrap();
    assert_eq!(ndjson(&added), [note.to_json()]);

    let empty = voxys(&server, &["leads", "notes", "add", &id, "  "]).await;
    assert_eq!(code(&empty), Some(2), "{}", stderr(&empty));
    let missing = voxys(&server, &["leads", "notes", "list", "999999"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
}

/// Declining the question on a terminal (answering `n`) is a choice: exit 0,
/// "not confirmed" on standard error, nothing sent. The terminal is a pty
/// made by util-linux `script`, which gives the answer to it; the test is
/// skipped where `script` is missing.
#[cfg(unix)]
#[tokio::test]
async fn declining_a_delete_at_the_question_exits_0_and_sends_nothing() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let server = MockServer::builder().leads(5).start().await.unwrap();
    let bin = assert_cmd::cargo::cargo_bin("voxys");
    let command_line = format!("'{}' leads delete 1; echo \"exit code: $?\"", bin.display());
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &command_line, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in common::server_env(&server) {
        command.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"n\n").unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    // Everything the pty showed (the prompt, the message) comes on stdout.
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("Type yes to go on"), "{shown}");
    assert!(
        shown.contains("not confirmed: did not delete lead 1 of account"),
        "{shown}"
    );
    assert!(shown.contains("exit code: 0"), "{shown}");
    assert!(lead(&server, 1).is_some(), "the lead is still there");
    assert!(applied(&server).is_empty(), "nothing sent");
}
