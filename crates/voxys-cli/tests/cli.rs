//! `voxys` against the mock server: every format read back and compared with
//! the leads the server holds, `--all`, progress, exit codes, token files.

use std::collections::BTreeSet;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;

use common::{
    assert_ok, held, interrupt, ndjson, slow_server, stderr, stdout, voxys, voxys_command,
    voxys_env,
};

#[tokio::test]
async fn ndjson_and_json_read_back_as_the_leads_the_server_holds() {
    let server = MockServer::builder().leads(230).start().await.unwrap();
    let ndjson_output = voxys(&server, &["leads", "list", "--all", "--format", "ndjson"]).await;
    assert_ok(&ndjson_output);
    // Every lead, exactly once, in order, with every member the API sends
    // (null where null), each value as the server holds it.
    assert_eq!(ndjson(&ndjson_output), held(&server));

    let json = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--format",
            "json",
            "--concurrency",
            "3",
        ],
    )
    .await;
    assert_ok(&json);
    let leads: Vec<Value> = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(leads, held(&server));

    // Piped, without --format: ndjson. One page by default.
    let page = voxys(&server, &["leads", "list"]).await;
    assert_ok(&page);
    assert_eq!(ndjson(&page), held(&server)[..25]);
}

#[tokio::test]
async fn csv_round_trips_through_a_csv_reader() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.csv");
    let output = voxys(
        &server,
        &["leads", "list", "--all", "--output", file.to_str().unwrap()],
    )
    .await;
    assert_ok(&output);
    assert!(stdout(&output).is_empty(), "written to the file only");
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let expected = held(&server);
    assert_eq!(rows.len(), expected.len());
    let column = |row: &csv::StringRecord, name: &str| {
        row[headers.iter().position(|h| h == name).unwrap()].to_owned()
    };
    // Text cells a spreadsheet would run as formulas get a leading '.
    let safe = |text: &str| {
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        }
    };
    let text = |lead: &Value, member: &str| safe(lead[member].as_str().unwrap_or_default());
    let nested = |lead: &Value, object: &str, member: &str| {
        lead[object][member]
            .as_str()
            .map(safe)
            .or_else(|| lead[object][member].as_i64().map(|n| n.to_string()))
            .unwrap_or_default()
    };
    let mut tricky = 0;
    for (row, lead) in rows.iter().zip(&expected) {
        assert_eq!(column(row, "id"), lead["id"].to_string());
        assert_eq!(column(row, "custom_name"), text(lead, "custom_name"));
        assert_eq!(column(row, "notes"), text(lead, "notes"));
        assert_eq!(column(row, "status"), text(lead, "status"));
        match &lead["lead_value"] {
            Value::Null => assert_eq!(column(row, "lead_value"), ""),
            value => assert_eq!(
                column(row, "lead_value")
                    .parse::<rust_decimal::Decimal>()
                    .unwrap(),
                value.to_string().parse::<rust_decimal::Decimal>().unwrap()
            ),
        }
        assert_eq!(column(row, "lead_currency"), text(lead, "lead_currency"));
        for (object, member, header) in [
            ("assigned_agent", "id", "assigned_agent_id"),
            ("assigned_agent", "name", "assigned_agent_name"),
            ("assigned_agent", "email", "assigned_agent_email"),
            ("assigned_agent", "avatar_url", "assigned_agent_avatar_url"),
            ("company", "id", "company_id"),
            ("company", "name", "company_name"),
            ("company", "domain", "company_domain"),
        ] {
            assert_eq!(
                column(row, header),
                nested(lead, object, member),
                "{header}"
            );
        }
        let attributes: Value = serde_json::from_str(&column(row, "custom_attributes")).unwrap();
        assert_eq!(attributes, lead["custom_attributes"]);
        assert_eq!(column(row, "created_at"), text(lead, "created_at"));
        assert_eq!(column(row, "updated_at"), text(lead, "updated_at"));
        let tricky_text = format!(
            "{}{}{}",
            column(row, "custom_name"),
            column(row, "notes"),
            column(row, "company_name")
        );
        if tricky_text.contains(',') && tricky_text.contains('"')
            || tricky_text.contains('\n')
            || !tricky_text.is_ascii()
        {
            tricky += 1;
        }
    }
    assert!(
        tricky > 10,
        "commas, quotes, line breaks and unicode were exercised ({tricky} rows)"
    );
}

#[tokio::test]
async fn the_table_shows_every_lead_of_the_page() {
    let server = MockServer::builder().leads(40).start().await.unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "list",
            "--format",
            "table",
            "--per-page",
            "10",
            "--status",
            "open",
        ],
    )
    .await;
    assert_ok(&output);
    let table = stdout(&output);
    let open: Vec<i64> = held(&server)
        .into_iter()
        .filter(|l| l["status"] == "open")
        .take(10)
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert!(
        table.contains("agent email") && table.contains("domain"),
        "{table}"
    );
    for id in &open {
        assert!(
            table.contains(&format!(" {id} ")),
            "lead {id} is in the table:\n{table}"
        );
    }
}

#[tokio::test]
async fn every_filter_and_sort_reaches_the_api() {
    let server = MockServer::builder().leads(200).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let agent = account.agents[1].id;
    let output = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--status",
            "won",
            "--agent",
            &agent.to_string(),
            "--sort",
            "lead_value",
            "--order",
            "asc",
            "--format",
            "ndjson",
        ],
    )
    .await;
    assert_ok(&output);
    let leads = ndjson(&output);
    let expected: BTreeSet<i64> = account
        .leads
        .iter()
        .filter(|m| m.status == "won" && m.assigned_agent.as_ref().is_some_and(|a| a.id == agent))
        .map(|m| m.id)
        .collect();
    assert_eq!(
        leads
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect::<BTreeSet<_>>(),
        expected
    );
    let values: Vec<rust_decimal::Decimal> = leads
        .iter()
        .filter(|l| !l["lead_value"].is_null())
        .map(|l| l["lead_value"].to_string().parse().unwrap())
        .collect();
    assert!(
        values.windows(2).all(|w| w[0] <= w[1]),
        "ascending by value"
    );

    let inbox = account.inboxes[2];
    let page = voxys(
        &server,
        &[
            "leads",
            "list",
            "--inbox",
            &inbox.to_string(),
            "--page",
            "2",
            "--per-page",
            "3",
            "--format",
            "ndjson",
        ],
    )
    .await;
    assert_ok(&page);
    let leads = ndjson(&page);
    assert_eq!(leads.len(), 3);
    let ids: BTreeSet<i64> = account
        .leads
        .iter()
        .filter(|m| m.source_inbox_id == Some(inbox))
        .map(|m| m.id)
        .collect();
    assert!(
        leads
            .iter()
            .all(|l| ids.contains(&l["id"].as_i64().unwrap()))
    );
}

#[tokio::test]
async fn no_progress_output_when_stderr_is_not_a_terminal() {
    let server = MockServer::builder().leads(500).start().await.unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--per-page",
            "10",
            "--format",
            "ndjson",
        ],
    )
    .await;
    assert_ok(&output);
    assert_eq!(stdout(&output).lines().count(), 500);
    assert_eq!(stderr(&output), "", "stderr stays empty");
}

#[tokio::test]
async fn a_token_file_with_a_trailing_newline_works() {
    let server = MockServer::builder().leads(5).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{}\n", server.token())).unwrap();
    let account = server.account_id().to_string();
    let output = voxys_env(
        &[
            "leads",
            "list",
            "--base-url",
            server.url(),
            "--account",
            &account,
            "--token-file",
            token_file.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_ok(&output);
    assert_eq!(stdout(&output).lines().count(), 5);
}

#[tokio::test]
async fn exit_codes_tell_what_went_wrong() {
    let server = MockServer::builder().leads(30).start().await.unwrap();
    let account = server.account_id().to_string();
    let code = |o: &Output| o.status.code().unwrap();

    // Missing token: auth, naming the variable.
    let missing = voxys_env(
        &[
            "leads",
            "list",
            "--base-url",
            server.url(),
            "--account",
            &account,
        ],
        &[],
    )
    .await;
    assert_eq!(code(&missing), 3, "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("VOXYS_API_TOKEN"),
        "{}",
        stderr(&missing)
    );

    // A token the API refuses: auth.
    let refused = voxys_env(
        &["leads", "list"],
        &[
            ("VOXYS_BASE_URL", server.url()),
            ("VOXYS_API_TOKEN", "wrong"),
            ("VOXYS_ACCOUNT_ID", &account),
        ],
    )
    .await;
    assert_eq!(code(&refused), 3, "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("refused the token (401: Invalid Access Token)"),
        "{}",
        stderr(&refused)
    );

    // Not found: a base URL that is not the API's.
    let wrong_url = format!("{}/not-the-api", server.url());
    let not_found = voxys(&server, &["leads", "list", "--base-url", &wrong_url]).await;
    assert_eq!(code(&not_found), 4, "{}", stderr(&not_found));
    assert!(
        stderr(&not_found).contains("--base-url"),
        "{}",
        stderr(&not_found)
    );

    // Usage: a bad flag, a value out of range, an unknown status.
    assert_eq!(code(&voxys(&server, &["leads", "list", "--nope"]).await), 2);
    let per_page = voxys(&server, &["leads", "list", "--per-page", "500"]).await;
    assert_eq!(code(&per_page), 2, "{}", stderr(&per_page));
    assert!(
        stderr(&per_page).contains("--per-page 500"),
        "{}",
        stderr(&per_page)
    );
    assert_eq!(
        code(&voxys(&server, &["leads", "list", "--status", "archived"]).await),
        2
    );
    let no_account = voxys_env(
        &["leads", "list"],
        &[
            ("VOXYS_BASE_URL", server.url()),
            ("VOXYS_API_TOKEN", server.token()),
        ],
    )
    .await;
    assert_eq!(code(&no_account), 2);
    assert!(
        stderr(&no_account).contains("VOXYS_ACCOUNT_ID"),
        "{}",
        stderr(&no_account)
    );

    // Rate limited, still after the retries (none: two 429s in a row of a
    // lone request are a limit the rate limiter would wait out).
    server.add_fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1));
    let limited = voxys(&server, &["leads", "list", "--retries", "0"]).await;
    assert_eq!(code(&limited), 5, "{}", stderr(&limited));

    // Server failure, still after the retries.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).times(2));
    let failing = voxys(&server, &["leads", "list", "--retries", "1"]).await;
    assert_eq!(code(&failing), 6, "{}", stderr(&failing));
    assert!(stderr(&failing).contains("503"), "{}", stderr(&failing));

    // Network failure: nobody listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let network = voxys(
        &server,
        &["leads", "list", "--base-url", &closed, "--retries", "0"],
    )
    .await;
    assert_eq!(code(&network), 6, "{}", stderr(&network));

    // With the faults spent, the same command succeeds.
    assert_ok(&voxys(&server, &["leads", "list"]).await);
}

#[tokio::test]
async fn an_error_mid_export_keeps_what_was_written_complete() {
    let server = MockServer::builder()
        .leads(300)
        .fault(FaultRule::new(Fault::ServerError { status: 502 }).on_page(3))
        .start()
        .await
        .unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--per-page",
            "50",
            "--concurrency",
            "1",
            "--retries",
            "1",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    let leads: Vec<Value> =
        serde_json::from_str(&stdout(&output)).expect("the JSON array is closed");
    assert_eq!(
        leads,
        held(&server)[..100],
        "the two pages before the failure"
    );
    assert!(
        stderr(&output).contains("100 leads were written before it"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn ctrl_c_stops_cleanly_with_complete_lines() {
    let server = slow_server(2_000, Duration::from_millis(40)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.ndjson");
    let child = voxys_command(&server)
        .args([
            "leads",
            "list",
            "--all",
            "--per-page",
            "10",
            "--concurrency",
            "1",
            "--output",
            file.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let output = interrupt(child).await;
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted after"),
        "{}",
        stderr(&output)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    let leads: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole lead a line"))
        .collect();
    assert!(
        !leads.is_empty() && leads.len() < 2_000,
        "{} leads",
        leads.len()
    );
    assert_eq!(leads, held(&server)[..leads.len()]);
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn demo_and_completions_work_without_an_account() {
    let demo = voxys_env(
        &["leads", "list", "--demo", "--all", "--format", "csv"],
        &[],
    )
    .await;
    assert_ok(&demo);
    let mut reader = csv::Reader::from_reader(demo.stdout.as_slice());
    let ids: BTreeSet<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(ids.len(), 250, "every lead of the demo account, once");

    for shell in ["bash", "zsh", "fish"] {
        let script = voxys_env(&["completions", shell], &[]).await;
        assert_ok(&script);
        assert!(stdout(&script).contains("voxys"), "{shell}");
    }
    let help = voxys_env(&["leads", "list", "--help"], &[]).await;
    assert_ok(&help);
    assert!(stdout(&help).contains("Exit codes:") && stdout(&help).contains("130"));
}

#[tokio::test]
async fn https_with_a_private_ca_given_by_flag_or_by_environment() {
    let server = MockServer::builder()
        .leads(230)
        .tls()
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().unwrap()).unwrap();
    let ca = ca.to_str().unwrap();
    let account = server.account_id().to_string();
    let env = [
        ("VOXYS_BASE_URL", server.url()),
        ("VOXYS_API_TOKEN", server.token()),
        ("VOXYS_ACCOUNT_ID", account.as_str()),
    ];
    let read_ids = |output: &Output| -> Vec<i64> {
        stdout(output)
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_i64()
                    .unwrap()
            })
            .collect()
    };
    let expected: Vec<i64> = held(&server)
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();

    let by_flag = voxys_env(
        &[
            "leads",
            "list",
            "--all",
            "--format",
            "ndjson",
            "--ca-cert",
            ca,
        ],
        &env,
    )
    .await;
    assert_ok(&by_flag);
    assert_eq!(read_ids(&by_flag), expected);

    let mut with_ca = env.to_vec();
    with_ca.push(("VOXYS_CA_CERT", ca));
    let by_env = voxys_env(&["leads", "list", "--all", "--format", "ndjson"], &with_ca).await;
    assert_ok(&by_env);
    assert_eq!(read_ids(&by_env), expected);

    // Without the CA: refused at once, with what to do.
    let untrusted = voxys_env(&["leads", "list"], &env).await;
    assert_eq!(untrusted.status.code(), Some(6));
    let said = stderr(&untrusted);
    assert!(said.contains("TLS failed"), "{said}");
    assert!(said.contains("--ca-cert FILE"), "{said}");
    assert_eq!(
        server.request_count(),
        6,
        "two exports of 3 pages; none untrusted"
    );
}

#[tokio::test]
async fn json_exports_have_the_same_keys_on_every_record_and_exact_amounts() {
    let server = MockServer::builder().leads(120).start().await.unwrap();
    let output = voxys(&server, &["leads", "list", "--all", "--format", "ndjson"]).await;
    assert_ok(&output);
    let keys: BTreeSet<Vec<String>> = ndjson(&output)
        .iter()
        .map(|l| l.as_object().unwrap().keys().cloned().collect())
        .collect();
    assert_eq!(keys.len(), 1, "one set of keys for every record: {keys:?}");
    assert_eq!(keys.first().unwrap().len(), 13);
    let lines = stdout(&output);
    assert!(lines.contains(r#""company":null"#), "null where null");
    assert!(
        lines.contains(r#""custom_attributes":{}"#),
        "empty where empty"
    );
}

#[tokio::test]
async fn csv_text_that_a_spreadsheet_would_run_is_neutralised_unless_raw() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let expected = held(&server);
    let notes = |args: &'static [&'static str]| {
        let server = &server;
        async move {
            let mut all = vec!["leads", "list", "--all", "--format", "csv"];
            all.extend(args);
            let output = voxys(server, &all).await;
            assert_ok(&output);
            let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
            let column = reader
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "notes")
                .unwrap();
            reader
                .records()
                .map(|r| r.unwrap()[column].to_owned())
                .collect::<Vec<_>>()
        }
    };
    let safe = notes(&[]).await;
    let raw = notes(&["--csv-raw"]).await;
    let mut neutralised = 0;
    for ((safe, raw), lead) in safe.iter().zip(&raw).zip(&expected) {
        let note = lead["notes"].as_str().unwrap_or_default();
        assert_eq!(raw, note, "--csv-raw writes the text as it is");
        if note.starts_with(['=', '+', '-', '@']) {
            assert_eq!(safe, &format!("'{note}"));
            neutralised += 1;
        } else {
            assert_eq!(safe, note);
        }
    }
    assert!(neutralised > 10, "{neutralised} notes that start a formula");
}

/// The environment of `server` with a token it refuses.
fn wrong_token(server: &MockServer) -> Vec<(&'static str, String)> {
    let mut env = common::server_env(server).to_vec();
    env[1].1 = "not-the-token".to_owned();
    env
}

#[tokio::test]
async fn a_failed_export_leaves_the_output_file_as_it_was_and_a_good_one_replaces_it() {
    let server = MockServer::builder().leads(30).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let before = b"important\nnot to be lost\n";
    let bad_env = wrong_token(&server);
    let bad_env: Vec<(&str, &str)> = bad_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (command, name) in [
        ("leads", "prev.csv"),
        ("leads", "prev.json"),
        ("companies", "prev.ndjson"),
        ("tasks", "prev.json"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, before).unwrap();
        let file = path.to_str().unwrap();

        // A value the CLI refuses before asking.
        let output = voxys(&server, &[command, "list", "--per-page", "0", "-o", file]).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_eq!(std::fs::read(&path).unwrap(), before, "{command} {name}");

        // A token the API refuses, with --all.
        let output = common::voxys_env(&[command, "list", "--all", "-o", file], &bad_env).await;
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        assert_eq!(std::fs::read(&path).unwrap(), before, "{command} {name}");

        // Nothing is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        std::fs::remove_file(&path).unwrap();
    }

    // A good export replaces the file.
    let path = dir.path().join("prev.csv");
    std::fs::write(&path, before).unwrap();
    let output = voxys(
        &server,
        &["leads", "list", "--all", "-o", path.to_str().unwrap()],
    )
    .await;
    assert_ok(&output);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("id,custom_name,"), "{text}");
    let records = csv::Reader::from_reader(text.as_bytes()).records().count();
    assert_eq!(records, 30, "{text}");
}

#[tokio::test]
async fn a_failed_json_listing_prints_no_empty_array() {
    let server = MockServer::builder().leads(3).start().await.unwrap();
    let bad_env = wrong_token(&server);
    let bad_env: Vec<(&str, &str)> = bad_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let output = common::voxys_env(&["leads", "list", "--all", "--format", "json"], &bad_env).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "a failure is not an empty list");
    let output = voxys(
        &server,
        &["leads", "list", "--per-page", "0", "--format", "json"],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");

    // An empty answer is still an empty array.
    let output = voxys(
        &server,
        &[
            "leads", "list", "--status", "lost", "--agent", "999999", "--format", "json",
        ],
    )
    .await;
    assert_ok(&output);
    assert_eq!(stdout(&output).trim(), "[]");
}

#[tokio::test]
async fn sigterm_and_sighup_mid_export_leave_complete_records_in_the_file() {
    for (signal, name) in [("TERM", "leads.csv"), ("HUP", "leads.json")] {
        let server = slow_server(2_000, Duration::from_millis(40)).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, "old\n").unwrap();
        let child = voxys_command(&server)
            .args([
                "leads",
                "list",
                "--all",
                "--per-page",
                "10",
                "--concurrency",
                "1",
                "--output",
                file.to_str().unwrap(),
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Records on their way: the file beside the target has some.
        let partial = || {
            std::fs::read_dir(dir.path()).unwrap().any(|e| {
                let e = e.unwrap();
                e.file_name().to_string_lossy().ends_with(".partial")
                    && e.metadata().unwrap().len() > 0
            })
        };
        common::wait_until("records written", partial).await;
        let output = common::stop_with(child, signal).await;
        assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
        let text = std::fs::read_to_string(&file).unwrap();
        let leads: Vec<Value> = if name.ends_with(".json") {
            serde_json::from_str(&text).expect("a whole JSON array")
        } else {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let headers = reader.headers().unwrap().clone();
            reader
                .records()
                .map(|r| {
                    let r = r.expect("whole records");
                    assert_eq!(r.len(), headers.len());
                    Value::from(r[0].to_owned())
                })
                .collect()
        };
        assert!(
            !leads.is_empty() && leads.len() < 2_000,
            "{signal}: {} leads",
            leads.len()
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "nothing left beside the file");
    }
}

/// `voxys completions SHELL | head -1`: the reader goes away before the
/// script is written; the command stops quietly (exit 0, nothing on standard
/// error), without a panic.
#[test]
fn completions_into_a_closed_pipe_exit_quietly() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (reader, writer) = std::io::pipe().unwrap();
        // Closed before the script is written: every write fails with EPIPE.
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("voxys"))
            .args(["completions", shell])
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}: {output:?}");
        assert!(
            output.stderr.is_empty(),
            "{shell}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
