//! `voxys`'s commands that change leads, against the mock server. What each
//! command did is read from the mock's own state and its journal of applied
//! writes, not from the CLI's output.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;

use common::{
    assert_ok, dry_run_body, interrupt, lead, ndjson, run, slow_server, stderr, stdout, voxys,
    voxys_command, voxys_stdin,
};

/// The ids of the first account's leads, ascending.
fn lead_ids(server: &MockServer) -> Vec<i64> {
    let account = server.account(server.account_id()).unwrap();
    account.leads.iter().map(|l| l.id).collect()
}

/// How many times each id was named by a bulk action the server applied.
fn applied_bulk_ids(server: &MockServer) -> BTreeMap<i64, usize> {
    let mut times = BTreeMap::new();
    for write in server.applied_writes() {
        assert_eq!(write.operation, "bulk_lead_action");
        for id in write.lead_ids {
            *times.entry(id).or_default() += 1;
        }
    }
    times
}

/// The ids in a file written by `--failed-ids`.
fn ids_in(path: &std::path::Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

#[tokio::test]
async fn set_status_prints_the_lead_and_each_notes_flag_means_what_it_says() {
    let server = MockServer::builder().leads(40).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let with_notes = account.leads.iter().find(|l| l.notes.is_some()).unwrap();
    let (id, notes) = (with_notes.id, with_notes.notes.clone());
    let id_arg = id.to_string();

    // No notes flag: the notes stay.
    let kept = voxys(&server, &["leads", "set-status", &id_arg, "won"]).await;
    assert_ok(&kept);
    let held = lead(&server, id).unwrap();
    assert_eq!((held.status.as_str(), &held.notes), ("won", &notes));
    // What it prints is the lead as the server now holds it.
    assert_eq!(ndjson(&kept), [held.to_json()]);

    let set = voxys(
        &server,
        &[
            "leads",
            "set-status",
            &id_arg,
            "lost",
            "--notes",
            "invoice paid",
        ],
    )
    .await;
    assert_ok(&set);
    let held = lead(&server, id).unwrap();
    assert_eq!(
        (held.status.as_str(), held.notes.as_deref()),
        ("lost", Some("invoice paid"))
    );

    let cleared = voxys(
        &server,
        &[
            "leads",
            "set-status",
            &id_arg,
            "open",
            "--clear-notes",
            "--format",
            "json",
        ],
    )
    .await;
    assert_ok(&cleared);
    let held = lead(&server, id).unwrap();
    assert_eq!(
        (held.status.as_str(), held.notes.as_deref()),
        ("open", None)
    );
    let printed: Vec<Value> = serde_json::from_str(&stdout(&cleared)).unwrap();
    assert_eq!(printed, [held.to_json()]);

    // Both notes flags, or a status the API does not know: refused before
    // anything is sent.
    let before = server.request_count();
    let both = voxys(
        &server,
        &[
            "leads",
            "set-status",
            &id_arg,
            "won",
            "--notes",
            "x",
            "--clear-notes",
        ],
    )
    .await;
    assert_eq!(code(&both), Some(2), "{}", stderr(&both));
    let unknown = voxys(&server, &["leads", "set-status", &id_arg, "maybe"]).await;
    assert_eq!(code(&unknown), Some(2), "{}", stderr(&unknown));
    assert_eq!(server.request_count(), before);

    // A lead that does not exist: 404, its own exit code.
    let missing = voxys(&server, &["leads", "set-status", "999999", "won"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
    assert_eq!(server.applied_writes().len(), 3);
}

#[tokio::test]
async fn bulk_ids_come_from_arguments_a_file_or_standard_input() {
    let server = MockServer::builder().leads(120).start().await.unwrap();
    let ids = lead_ids(&server);
    let agent = server.account(server.account_id()).unwrap().agents[2].id;
    let agent_arg = agent.to_string();

    // Arguments.
    let args: Vec<String> = ids[..3].iter().map(i64::to_string).collect();
    let mut command = vec!["leads", "bulk", "assign", "--agent", &agent_arg];
    command.extend(args.iter().map(String::as_str));
    let output = voxys(&server, &command).await;
    assert_ok(&output);
    assert!(
        stderr(&output).contains("3 requested, 3 affected, 0 not affected (not found), 0 failed"),
        "{}",
        stderr(&output)
    );

    // A file: one id a line, blank lines and comments skipped.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ids.txt");
    std::fs::write(
        &file,
        format!("# stale leads\n{}\n\n  {}\n", ids[3], ids[4]),
    )
    .unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "bulk",
            "assign",
            "--agent",
            &agent_arg,
            "--ids-from",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&output);

    // Standard input, piped (no flag), and with `--ids-from -`.
    let piped = format!("{}\n{}\n", ids[5], ids[6]);
    let output = voxys_stdin(
        &server,
        &["leads", "bulk", "assign", "--agent", &agent_arg],
        Some(piped.as_bytes()),
    )
    .await;
    assert_ok(&output);
    let dash = format!("{}\n", ids[7]);
    let output = voxys_stdin(
        &server,
        &[
            "leads",
            "bulk",
            "assign",
            "--agent",
            &agent_arg,
            "--ids-from",
            "-",
        ],
        Some(dash.as_bytes()),
    )
    .await;
    assert_ok(&output);

    let sent: Vec<Vec<i64>> = server
        .applied_writes()
        .into_iter()
        .map(|w| w.lead_ids)
        .collect();
    assert_eq!(
        sent,
        [
            ids[..3].to_vec(),
            ids[3..5].to_vec(),
            ids[5..7].to_vec(),
            ids[7..8].to_vec()
        ]
    );
    for id in &ids[..8] {
        assert_eq!(
            lead(&server, *id).unwrap().assigned_agent.unwrap().id,
            agent
        );
    }
}

#[tokio::test]
async fn the_output_of_list_in_ndjson_feeds_a_bulk_delete() {
    let server = MockServer::builder().leads(400).start().await.unwrap();
    let lost: BTreeSet<i64> = server
        .account(server.account_id())
        .unwrap()
        .leads
        .iter()
        .filter(|l| l.status == "lost")
        .map(|l| l.id)
        .collect();
    assert!(lost.len() > 50, "the data has lost leads to delete");
    let listed = voxys(
        &server,
        &[
            "leads", "list", "--all", "--status", "lost", "--format", "ndjson",
        ],
    )
    .await;
    assert_ok(&listed);
    let deleted = voxys_stdin(
        &server,
        &["leads", "bulk", "delete", "--yes", "--batch-size", "20"],
        Some(&listed.stdout),
    )
    .await;
    assert_ok(&deleted);
    let left = lead_ids(&server);
    assert!(
        left.iter().all(|id| !lost.contains(id)),
        "every lost lead gone"
    );
    assert_eq!(left.len(), 400 - lost.len(), "and only those");
    let applied = applied_bulk_ids(&server);
    assert_eq!(applied.keys().copied().collect::<BTreeSet<_>>(), lost);
    assert!(applied.values().all(|n| *n == 1), "each id sent once");
    assert!(
        stderr(&deleted).contains(&format!(
            "delete: {} requested, {} affected",
            lost.len(),
            lost.len()
        )),
        "{}",
        stderr(&deleted)
    );
}

#[tokio::test]
async fn invalid_lines_are_named_and_nothing_is_sent() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let input = "3\nfour\n{\"id\": 5}\n{\"name\": \"no id\"}\n-7\n";
    let output = voxys_stdin(
        &server,
        &["leads", "bulk", "status", "won"],
        Some(input.as_bytes()),
    )
    .await;
    assert_eq!(code(&output), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    for expected in [
        "3 invalid line(s), so nothing was sent",
        "line 2: \"four\" is not a lead id",
        "line 4: an NDJSON record without a lead id",
        "line 5: \"-7\" is not a lead id",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }
    // Nothing reached the server at all.
    assert_eq!(server.request_count(), 0);
    assert!(server.applied_writes().is_empty());

    // No ids anywhere: nothing to do (exit 0), nothing sent.
    let empty = voxys_stdin(&server, &["leads", "bulk", "delete", "--yes"], Some(b"\n")).await;
    assert_eq!(code(&empty), Some(0), "{}", stderr(&empty));
    assert!(
        stderr(&empty).contains("nothing to do"),
        "{}",
        stderr(&empty)
    );
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn delete_without_a_terminal_is_refused_unless_yes_is_given() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let ids = lead_ids(&server);
    let (first, second) = (ids[0].to_string(), ids[1].to_string());
    // The test's standard error is a pipe: no terminal to ask on.
    let refused = voxys(&server, &["leads", "bulk", "delete", &first, &second]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("refusing to delete 2 lead(s)")
            && stderr(&refused).contains("--yes"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(lead_ids(&server), ids, "nothing deleted");
    assert!(server.applied_writes().is_empty());

    let deleted = voxys(
        &server,
        &["leads", "bulk", "delete", "--yes", &first, &second],
    )
    .await;
    assert_ok(&deleted);
    assert_eq!(lead_ids(&server), ids[2..]);
}

#[tokio::test]
async fn a_dry_run_says_what_would_be_sent_and_sends_nothing() {
    let server = MockServer::builder().leads(30).start().await.unwrap();
    let before = server.account(server.account_id()).unwrap();
    let ids: Vec<String> = lead_ids(&server)[..5].iter().map(i64::to_string).collect();
    let agent = before.agents[0].id.to_string();
    for action in [
        vec!["assign", "--agent", &agent],
        vec!["status", "snoozed"],
        // Delete: no --yes needed, as nothing is deleted.
        vec!["delete"],
    ] {
        let mut command = vec!["leads", "bulk"];
        command.extend(action.iter().copied());
        command.extend(["--dry-run", "--batch-size", "2"]);
        command.extend(ids.iter().map(String::as_str));
        let output = voxys(&server, &command).await;
        assert_ok(&output);
        // Three requests of 2, 2 and 1 ids, each as it would be sent.
        let printed = stdout(&output);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 3, "{action:?}: {}", stdout(&output));
        let mut named = Vec::new();
        for line in &lines {
            let body = dry_run_body(&server, line, "POST", "leads/bulk");
            named.extend(
                body["lead_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|id| id.to_string()),
            );
        }
        assert_eq!(named, ids, "{action:?}");
        assert!(
            stderr(&output).contains("nothing was sent"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(server.request_count(), 0);
    assert!(server.applied_writes().is_empty());
    assert_eq!(server.account(server.account_id()).unwrap(), before);
}

#[tokio::test]
async fn a_partial_failure_leaves_the_ids_not_done_and_feeding_them_back_completes_the_job() {
    let server = MockServer::builder().leads(200).start().await.unwrap();
    let ids = lead_ids(&server);
    // Four 503s before applying: with one retry and one batch at a time, the
    // first two batches fail for good, the last two go through.
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(4),
    );
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.txt");
    let rest = dir.path().join("rest.txt");
    let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
    std::fs::write(&all, text).unwrap();
    let job = |from: &std::path::Path| {
        [
            "leads",
            "bulk",
            "status",
            "won",
            "--batch-size",
            "50",
            "--concurrency",
            "1",
            "--retries",
            "1",
            "--ids-from",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([
            from.to_str().unwrap().to_owned(),
            "--failed-ids".to_owned(),
            rest.to_str().unwrap().to_owned(),
        ])
        .collect::<Vec<String>>()
    };
    let args = job(&all);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let partial = voxys(&server, &args).await;
    assert_eq!(code(&partial), Some(7), "{}", stderr(&partial));
    let message = stderr(&partial);
    assert!(
        message.contains("200 requested, 100 affected, 0 not affected (not found), 100 failed"),
        "{message}"
    );
    assert!(
        message.contains("100 of 200 id(s) were not done")
            && message.contains("--ids-from")
            && message.contains("503"),
        "{message}"
    );
    // The file holds exactly the ids the server did not apply.
    let not_done = ids_in(&rest);
    let applied = applied_bulk_ids(&server);
    assert_eq!(not_done, ids[..100]);
    assert_eq!(applied.keys().copied().collect::<Vec<_>>(), ids[100..]);

    // Fed back, it completes the job; no id is applied twice.
    let copy = dir.path().join("rest-in.txt");
    std::fs::copy(&rest, &copy).unwrap();
    let args = job(&copy);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let finished = voxys(&server, &args).await;
    assert_ok(&finished);
    assert!(ids_in(&rest).is_empty(), "nothing left");
    let applied = applied_bulk_ids(&server);
    assert_eq!(applied.keys().copied().collect::<Vec<_>>(), ids);
    assert!(applied.values().all(|n| *n == 1), "{applied:?}");
    let account = server.account(server.account_id()).unwrap();
    assert!(account.leads.iter().all(|l| l.status == "won"));
}

#[tokio::test]
async fn ctrl_c_mid_bulk_stops_new_batches_and_says_exactly_which_ids_were_done() {
    let server = slow_server(1_000, Duration::from_millis(60)).await;
    let ids = lead_ids(&server);
    let dir = tempfile::tempdir().unwrap();
    let rest = dir.path().join("rest.txt");
    let mut command = voxys_command(&server);
    command
        .args([
            "leads",
            "bulk",
            "status",
            "snoozed",
            "--batch-size",
            "10",
            "--concurrency",
            "2",
            "--ids-from",
            "-",
            "--failed-ids",
            rest.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for id in &ids {
            writeln!(stdin, "{id}").unwrap();
        }
    }
    // Some batches done, most not yet: a hundred batches at two at a time,
    // 60 ms each, take three seconds.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let output = interrupt(child).await;
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("interrupted"), "{message}");

    // What the server applied, and what the file says was not done, are
    // the ids split in two: nothing lost, nothing both.
    let applied = applied_bulk_ids(&server);
    let not_done = ids_in(&rest);
    assert!(!applied.is_empty() && !not_done.is_empty(), "{message}");
    assert!(applied.values().all(|n| *n == 1));
    let mut together: Vec<i64> = applied.keys().copied().chain(not_done.clone()).collect();
    together.sort_unstable();
    assert_eq!(together, ids, "every id either done or in the file, once");
    // Batches in flight were waited for: the server holds every done id as
    // changed, and the summary counts exactly them.
    let account = server.account(server.account_id()).unwrap();
    for id in applied.keys() {
        assert_eq!(account.lead(*id).unwrap().status, "snoozed");
    }
    assert!(
        message.contains(&format!(
            "interrupted: {} id(s) done, {} not done",
            applied.len(),
            not_done.len()
        )),
        "{message}"
    );
}

#[tokio::test]
async fn convert_prints_the_card_and_an_uncertain_conversion_has_its_own_exit_code() {
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let funnel = &account.funnels[0];
    let stage = funnel.stages[1].id;
    let id = account.leads[7].id;
    let before = account.cards_of(funnel.id, id).len();
    let (id_arg, funnel_arg, stage_arg) =
        (id.to_string(), funnel.id.to_string(), stage.to_string());

    let output = voxys(
        &server,
        &[
            "leads",
            "convert",
            &id_arg,
            "--funnel",
            &funnel_arg,
            "--stage",
            &stage_arg,
        ],
    )
    .await;
    assert_ok(&output);
    let account = server.account(server.account_id()).unwrap();
    let cards = account.cards_of(funnel.id, id);
    assert_eq!(cards.len(), before + 1, "one card made");
    let made = cards.last().unwrap();
    assert_eq!(made.funnel_stage_id, Some(stage));
    assert_eq!(ndjson(&output), [account.card_json(made).unwrap()]);

    // The answer lost, at the proxy, before the application saw it: the CLI
    // cannot know, says how to check, and has an exit code of its own.
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("POST")
            .times(1),
    );
    let uncertain = voxys(
        &server,
        &[
            "leads",
            "convert",
            &id_arg,
            "--funnel",
            &funnel_arg,
            "--again",
        ],
    )
    .await;
    assert_eq!(code(&uncertain), Some(8), "{}", stderr(&uncertain));
    let message = stderr(&uncertain);
    assert!(
        message.contains(&format!("lead {id} may or may not have been converted"))
            && message.contains(&format!("voxys pipelines cards list {}", funnel.id)),
        "{message}"
    );
    assert_eq!(
        server
            .account(server.account_id())
            .unwrap()
            .cards_of(funnel.id, id)
            .len(),
        before + 1,
        "the second conversion never reached the application"
    );
}

#[tokio::test]
async fn pipeline_cards_in_every_format_are_the_cards_the_server_holds() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let funnel = &account.funnels[0];
    let funnel_arg = funnel.id.to_string();
    let expected = |filter: &dyn Fn(&voxys_connect_mock::Card) -> bool| -> BTreeMap<i64, Value> {
        account
            .cards
            .iter()
            .filter(|c| c.funnel_id == funnel.id && filter(c))
            .map(|c| (c.id, account.card_json(c).unwrap()))
            .collect()
    };
    let by_id = |cards: Vec<Value>| -> BTreeMap<i64, Value> {
        cards
            .into_iter()
            .map(|c| (c["id"].as_i64().unwrap(), c))
            .collect()
    };

    let all = voxys(&server, &["pipelines", "cards", &funnel_arg]).await;
    assert_ok(&all);
    let all_expected = expected(&|_| true);
    assert!(all_expected.len() > 3);
    assert_eq!(by_id(ndjson(&all)), all_expected);

    let stage = funnel.stages[0].id;
    let open = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            &funnel_arg,
            "--status",
            "open",
            "--stage",
            &stage.to_string(),
            "--format",
            "json",
        ],
    )
    .await;
    assert_ok(&open);
    let open_cards: Vec<Value> = serde_json::from_str(&stdout(&open)).unwrap();
    assert_eq!(
        by_id(open_cards),
        expected(&|c| c.funnel_stage_id == Some(stage)
            && account.lead(c.lead_id).unwrap().status == "open")
    );

    let csv_output = voxys(
        &server,
        &["pipelines", "cards", &funnel_arg, "--format", "csv"],
    )
    .await;
    assert_ok(&csv_output);
    let mut reader = csv::Reader::from_reader(csv_output.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (card_id, lead_id, stage_id) = (column("id"), column("lead_id"), column("funnel_stage_id"));
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let card = &all_expected[&record[card_id].parse::<i64>().unwrap()];
        assert_eq!(record[lead_id], card["lead"]["id"].to_string());
        assert_eq!(record[stage_id], card["funnel_stage_id"].to_string());
        rows += 1;
    }
    assert_eq!(rows, all_expected.len());

    let table = voxys(
        &server,
        &["pipelines", "cards", &funnel_arg, "--format", "table"],
    )
    .await;
    assert_ok(&table);
    for id in all_expected.keys() {
        assert!(stdout(&table).contains(&format!(" {id} ")), "card {id}");
    }

    let missing = voxys(&server, &["pipelines", "cards", "424242"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn every_write_command_works_on_the_demo() {
    let demo = |args: &[&str], stdin: Option<&[u8]>| {
        let mut command: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        command.push("--demo".to_owned());
        let stdin = stdin.map(<[u8]>::to_vec);
        async move {
            let command: Vec<&str> = command.iter().map(String::as_str).collect();
            run(&command, &[], stdin.as_deref()).await
        }
    };
    let lost = demo(
        &[
            "leads", "list", "--all", "--status", "lost", "--format", "ndjson",
        ],
        None,
    )
    .await;
    assert_ok(&lost);
    let count = ndjson(&lost).len();
    assert!(count > 0);
    let deleted = demo(&["leads", "bulk", "delete", "--yes"], Some(&lost.stdout)).await;
    assert_ok(&deleted);
    assert!(
        stderr(&deleted).contains(&format!("delete: {count} requested, {count} affected")),
        "{}",
        stderr(&deleted)
    );
    for args in [
        &["leads", "set-status", "3", "won", "--notes", "invoice paid"][..],
        &["leads", "bulk", "assign", "--agent", "5", "1", "2"],
        &["leads", "bulk", "status", "won", "1", "2", "--dry-run"],
        &["leads", "convert", "3", "--funnel", "1"],
        &["pipelines", "cards", "1", "--status", "open"],
    ] {
        let output = demo(args, None).await;
        assert_ok(&output);
        assert!(
            !output.stdout.is_empty() || !output.stderr.is_empty(),
            "{args:?}"
        );
    }
}

/// `voxys leads bulk status snoozed` of `ids` in batches of 10, two at a
/// time, reading the ids from standard input, with `--failed-ids rest`.
fn spawn_bulk(server: &MockServer, ids: &[i64], rest: &std::path::Path) -> std::process::Child {
    let mut command = voxys_command(server);
    command
        .args([
            "leads",
            "bulk",
            "status",
            "snoozed",
            "--batch-size",
            "10",
            "--concurrency",
            "2",
            "--ids-from",
            "-",
            "--failed-ids",
            rest.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    for id in ids {
        writeln!(stdin, "{id}").unwrap();
    }
    child
}

#[tokio::test]
async fn sigterm_and_sighup_mid_bulk_stop_it_like_ctrl_c_with_the_summary_and_the_ids_not_done() {
    for signal in ["TERM", "HUP"] {
        let server = slow_server(1_000, Duration::from_millis(60)).await;
        let ids = lead_ids(&server);
        let dir = tempfile::tempdir().unwrap();
        let rest = dir.path().join("rest.txt");
        let child = spawn_bulk(&server, &ids, &rest);
        // Some batches applied (a hundred at two at a time, 60 ms each,
        // take three seconds).
        common::wait_until("a batch applied", || !server.applied_writes().is_empty()).await;
        let output = common::stop_with(child, signal).await;
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(130), "{signal}: {message}");
        assert!(message.contains(": 1000 requested"), "{message}");
        assert!(message.contains("interrupted: "), "{message}");
        let applied = applied_bulk_ids(&server);
        let not_done = ids_in(&rest);
        assert!(!not_done.is_empty(), "{signal}: {message}");
        let mut together: Vec<i64> = applied.keys().copied().chain(not_done).collect();
        together.sort_unstable();
        assert_eq!(
            together, ids,
            "{signal}: every id either done or in the file, once"
        );
    }
}

#[tokio::test]
async fn a_second_interrupt_exits_at_once_and_lists_the_batches_in_flight_as_not_done() {
    for (first, then) in [("INT", "INT"), ("TERM", "HUP")] {
        second_interrupt(first, then).await;
    }
}

async fn second_interrupt(first: &str, then: &str) {
    let server = MockServer::builder().leads(100).start().await.unwrap();
    // Every bulk request is applied, then its answer held back for ten
    // minutes: the two batches sent stay in flight.
    server.add_fault(
        FaultRule::new(Fault::Delay(Duration::from_secs(600)))
            .on_method("POST")
            .after_applying(),
    );
    let ids = lead_ids(&server);
    let dir = tempfile::tempdir().unwrap();
    let rest = dir.path().join("rest.txt");
    let mut child = spawn_bulk(&server, &ids, &rest);
    // Standard error, line by line, read on a thread of its own.
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(err).lines() {
                lines.lock().unwrap().push(line.unwrap());
            }
        })
    };
    common::wait_until("two batches in flight", || {
        server.applied_writes().len() == 2
    })
    .await;
    common::send_signal(child.id(), first);
    common::wait_until("the first interrupt taken", || {
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("interrupted: no new batch"))
    })
    .await;
    let second = std::time::Instant::now();
    common::send_signal(child.id(), then);
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    let took = second.elapsed();
    reader.join().unwrap();
    let message = lines.lock().unwrap().join("\n");
    // The bound: within a second (measured: about 4 ms; the
    // process writes the file and exits, nothing waits on the network).
    assert!(
        took < Duration::from_secs(1),
        "{first} {then}: {took:?}: {message}"
    );
    assert_eq!(status.code(), Some(130), "{message}");
    assert!(
        message.contains("0 id(s) done, 0 failed, 20 in batches in flight"),
        "{message}"
    );
    // Nothing more was sent, and every id is in the file: the 20 in flight
    // (unknown) and the 80 not sent.
    let in_flight: Vec<i64> = applied_bulk_ids(&server).into_keys().collect();
    assert_eq!(in_flight.len(), 20);
    let mut not_done = ids_in(&rest);
    for id in &in_flight {
        assert!(not_done.contains(id), "{id} in flight is in the file");
    }
    not_done.sort_unstable();
    assert_eq!(not_done, ids);
}

#[tokio::test]
async fn free_text_that_starts_with_a_hyphen_is_taken_as_a_value() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let account = server.account_id();
    let id = lead_ids(&server)[0];
    let id_arg = id.to_string();

    let set = voxys(
        &server,
        &[
            "leads",
            "set-status",
            &id_arg,
            "open",
            "--notes",
            "- call Bob",
        ],
    )
    .await;
    assert_ok(&set);
    assert_eq!(
        lead(&server, id).unwrap().notes.as_deref(),
        Some("- call Bob")
    );

    let update = voxys(&server, &["leads", "update", &id_arg, "--name", "-5% deal"]).await;
    assert_ok(&update);
    assert_eq!(
        lead(&server, id).unwrap().custom_name.as_deref(),
        Some("-5% deal")
    );

    let note = voxys(&server, &["leads", "notes", "add", &id_arg, "-- urgent --"]).await;
    assert_ok(&note);
    assert!(
        server
            .notes(account, id)
            .iter()
            .any(|n| n.content == "-- urgent --")
    );

    let task = voxys(
        &server,
        &[
            "tasks",
            "create",
            "-call back",
            "--about",
            &format!("lead:{id}"),
            "--description",
            "-be brief",
        ],
    )
    .await;
    assert_ok(&task);
    let made = ndjson(&task).remove(0);
    assert_eq!(made["title"], "-call back");
    assert_eq!(made["description"], "-be brief");

    // `-` alone still reads a note from standard input.
    let piped = common::voxys_stdin(
        &server,
        &["leads", "notes", "add", &id_arg, "-"],
        Some(b"- from stdin\n"),
    )
    .await;
    assert_ok(&piped);
    assert!(
        server
            .notes(account, id)
            .iter()
            .any(|n| n.content.trim_end() == "- from stdin"),
        "{}",
        stderr(&piped)
    );
}

#[tokio::test]
async fn a_bulk_action_with_no_ids_has_nothing_to_do_and_exits_0() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let rest = dir.path().join("rest.txt");
    std::fs::write(&rest, "12\n").unwrap();
    let empty_arg = empty.to_str().unwrap();
    let rest_arg = rest.to_str().unwrap();

    // An empty --ids-from file (and --failed-ids: emptied, nothing is left).
    let output = voxys(
        &server,
        &[
            "leads",
            "bulk",
            "status",
            "won",
            "--ids-from",
            empty_arg,
            "--failed-ids",
            rest_arg,
        ],
    )
    .await;
    assert_eq!(code(&output), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("nothing to do"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&rest).unwrap(), "");

    // An empty pipe, and a pipe of only blank lines and comments; a delete
    // too (nothing to confirm).
    for (args, input) in [
        (&["leads", "bulk", "assign", "--agent", "5"][..], &b""[..]),
        (&["leads", "bulk", "delete"][..], &b"\n# none\n"[..]),
        (
            &["leads", "bulk", "status", "lost", "--ids-from", "-"][..],
            &b""[..],
        ),
    ] {
        let output = common::voxys_stdin(&server, args, Some(input)).await;
        assert_eq!(code(&output), Some(0), "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("nothing to do"),
            "{}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "");
    }
    assert!(server.applied_writes().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn after_the_first_interrupt_nothing_is_retried() {
    let server = MockServer::builder().leads(100).start().await.unwrap();
    // Every bulk request meets a proxy's 503 (nothing applied): each batch
    // would be retried twenty times.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).on_method("POST"));
    let ids = lead_ids(&server);
    let dir = tempfile::tempdir().unwrap();
    let rest = dir.path().join("rest.txt");
    let mut command = voxys_command(&server);
    command
        .args([
            "leads",
            "bulk",
            "status",
            "snoozed",
            "--batch-size",
            "10",
            "--concurrency",
            "2",
            "--retries",
            "20",
            "--ids-from",
            "-",
            "--failed-ids",
        ])
        .arg(&rest)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for id in &ids {
            writeln!(stdin, "{id}").unwrap();
        }
    }
    common::wait_until("the first batches refused", || server.request_count() >= 2).await;
    common::send_signal(child.id(), "INT");
    let at_interrupt = server.request_count();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{message}");
    // At most the attempts that were under way when it came (two batches).
    assert!(
        server.request_count() <= at_interrupt + 2,
        "{} requests after {at_interrupt}: {message}",
        server.request_count()
    );
    assert!(server.applied_writes().is_empty());
    let written = std::fs::read_to_string(&rest).unwrap();
    assert_eq!(
        written.lines().count(),
        ids.len(),
        "every id not done: {message}"
    );
}
