//! `voxys leads create --from`: copying an account's leads into another,
//! exactly once, across 422s, kills, lost answers and Ctrl-C. What was made
//! is read from the mock's own state and its journal of applied writes.
//!
//! No test waits a fixed time for something to happen: the tests that stop
//! an import mid-way wait for what they need (a line in the journal, a
//! create the mock applied), and fault rules make the import stay where it
//! must (an answer held back for ten minutes) for as long as it takes.

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use voxys_connect_mock::{Fault, FaultRule, MockLead, MockServer};

mod common;

use common::{assert_ok, interrupt, server_env, slow_server, stderr, stdout, voxys, voxys_command};

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// Runs `voxys` in `dir` (where the default journal of standard input goes)
/// against `server`, with `stdin`.
async fn voxys_in(dir: &Path, server: &MockServer, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = assert_cmd::Command::cargo_bin("voxys").unwrap();
    command
        .args(args)
        .current_dir(dir)
        .env_remove("VOXYS_CA_CERT")
        .timeout(Duration::from_secs(120))
        .write_stdin(stdin.to_vec());
    for (k, v) in server_env(server) {
        command.env(k, v);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// Starts `voxys` with `args` in `dir`, its standard input from `input`,
/// its output in `dir/out.txt` and `dir/err.txt`, to stop it mid-way.
fn spawn_in(dir: &Path, server: &MockServer, args: &[&str], input: &Path) -> Child {
    voxys_command(server)
        .args(args)
        .current_dir(dir)
        .stdin(std::fs::File::open(input).unwrap())
        .stdout(std::fs::File::create(dir.join("out.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("err.txt")).unwrap())
        .spawn()
        .unwrap()
}

/// Waits until `condition` holds (a minute or two at most: a failsafe, not
/// a timing the test counts on).
async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The complete lines of a journal (one being written is left out).
fn journal(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn events<'a>(journal: &'a [Value], kind: &str) -> Vec<&'a Value> {
    journal.iter().filter(|e| e["event"] == kind).collect()
}

/// The keys sent and never settled (no `created`, `done` or `failed`
/// after their last `sent`).
fn unsettled(journal: &[Value]) -> Vec<String> {
    let mut last: Vec<(String, String)> = Vec::new();
    for event in journal {
        if let Some(key) = event["key"].as_str() {
            last.retain(|(k, _)| k != key);
            last.push((key.to_owned(), event["event"].as_str().unwrap().to_owned()));
        }
    }
    last.into_iter()
        .filter(|(_, e)| e == "sent")
        .map(|(k, _)| k)
        .collect()
}

/// How many leads the server made in `account` (`create_lead` writes).
fn creates_in(server: &MockServer, account: i64) -> usize {
    server
        .applied_writes()
        .iter()
        .filter(|w| w.operation == "create_lead" && w.account_id == account)
        .count()
}

/// What a copy keeps of a lead: every member but its id, timestamps, agent
/// and company.
fn copied(lead: &MockLead) -> (String, Value) {
    let text = format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{:?}",
        lead.custom_name,
        lead.lead_value.map(|v| v.normalize()),
        lead.lead_currency,
        lead.position,
        lead.conversation_id,
        lead.status,
        lead.notes,
    );
    (text, Value::Object(lead.custom_attributes.clone()))
}

/// Checks that `made` (the leads a copy made) are `source`, each exactly
/// once, as `copied` sees them.
fn assert_each_once(source: &[MockLead], made: &[MockLead]) {
    assert_eq!(made.len(), source.len(), "one lead made per lead copied");
    let mut left: Vec<(String, Value)> = made.iter().map(copied).collect();
    for lead in source {
        let wanted = copied(lead);
        let at = left
            .iter()
            .position(|m| *m == wanted)
            .unwrap_or_else(|| panic!("lead {} not copied: {wanted:?}", lead.id));
        left.remove(at);
    }
}

/// The leads of `account` that are not among `before`.
fn new_leads(server: &MockServer, account: i64, before: &[i64]) -> Vec<MockLead> {
    server
        .account(account)
        .unwrap()
        .leads
        .into_iter()
        .filter(|l| !before.contains(&l.id))
        .collect()
}

fn lead_ids(server: &MockServer, account: i64) -> Vec<i64> {
    server
        .account(account)
        .unwrap()
        .leads
        .iter()
        .map(|l| l.id)
        .collect()
}

/// The records an import printed (NDJSON).
fn printed(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The two accounts of the server: the one copied from, the one copied
/// into.
fn accounts(server: &MockServer) -> (i64, i64) {
    let ids = server.account_ids();
    assert!(
        ids.len() >= 2,
        "the mock serves a second account to the same token"
    );
    (ids[0], ids[1])
}

/// `voxys leads list --all --format ndjson` of `account`.
async fn listed(server: &MockServer, account: i64) -> Output {
    let output = voxys(
        server,
        &[
            "leads",
            "list",
            "--all",
            "--format",
            "ndjson",
            "--account",
            &account.to_string(),
        ],
    )
    .await;
    assert_ok(&output);
    output
}

#[tokio::test]
async fn the_pipe_copies_every_lead_of_one_account_into_another_once() {
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let (a, b) = accounts(&server);
    let source = server.account(a).unwrap().leads;
    let before_b = lead_ids(&server, b);
    let list = listed(&server, a).await;
    let dir = tempfile::tempdir().unwrap();
    let b_arg = b.to_string();
    let copy = [
        "leads",
        "create",
        "--from",
        "-",
        "--account",
        &b_arg,
        "--omit",
        "agent,company",
        "--concurrency",
        "4",
    ];

    let output = voxys_in(dir.path(), &server, &copy, &list.stdout).await;
    assert_ok(&output);
    let made = new_leads(&server, b, &before_b);
    assert_each_once(&source, &made);
    assert_eq!(creates_in(&server, b), source.len());
    assert_eq!(creates_in(&server, a), 0, "nothing made in the source");
    // The status and notes were set after the create, with set-status.
    let statuses = server
        .applied_writes()
        .iter()
        .filter(|w| w.operation == "update_lead_status")
        .count();
    let needing = source
        .iter()
        .filter(|l| l.status != "open" || l.notes.is_some())
        .count();
    assert_eq!(statuses, needing);
    // It printed, for each line, the lead it copied and the lead made.
    let records = printed(&output);
    assert_eq!(records.len(), source.len());
    let mut pairs: Vec<(i64, i64)> = records
        .iter()
        .map(|r| {
            assert_eq!(r["outcome"], "created");
            (r["source_id"].as_i64().unwrap(), r["id"].as_i64().unwrap())
        })
        .collect();
    pairs.sort_unstable();
    let mut source_ids: Vec<i64> = source.iter().map(|l| l.id).collect();
    source_ids.sort_unstable();
    assert_eq!(
        pairs.iter().map(|p| p.0).collect::<Vec<_>>(),
        source_ids,
        "each source id once"
    );
    for (from, to) in &pairs {
        let original = source.iter().find(|l| l.id == *from).unwrap();
        let copy = made.iter().find(|l| l.id == *to).unwrap();
        assert_eq!(copied(original), copied(copy));
    }
    // The journal of standard input, in the current directory.
    let journal_path = dir.path().join("voxys-leads-create.journal");
    let recorded = journal(&journal_path);
    assert_eq!(events(&recorded, "done").len(), source.len());
    assert!(unsettled(&recorded).is_empty());

    // Run again: every line is done already; nothing is sent.
    let writes = server.applied_writes().len();
    let again = voxys_in(dir.path(), &server, &copy, &list.stdout).await;
    assert_ok(&again);
    assert_eq!(server.applied_writes().len(), writes);
    let records = printed(&again);
    assert_eq!(records.len(), source.len());
    assert!(records.iter().all(|r| r["outcome"] == "earlier"));
    assert!(
        stderr(&again).contains(&format!("{} done by an earlier run", source.len())),
        "{}",
        stderr(&again)
    );
}

#[tokio::test]
async fn lines_refused_with_422_are_written_with_why_and_a_rerun_with_omit_finishes() {
    let Copy {
        server,
        b,
        source,
        before_b,
        dir: _dir,
        input,
    } = Copy::start(40).await;
    let input_arg = input.to_str().unwrap();
    let b_arg = b.to_string();

    // The agents and companies of the first account are not the second's.
    let first = voxys(
        &server,
        &["leads", "create", "--from", input_arg, "--account", &b_arg],
    )
    .await;
    // Exit 7 when some lines were done; when none was, the API's refusal
    // is the whole story: 422, exit 2.
    let made_first = new_leads(&server, b, &before_b).len();
    let expected_code = if made_first == 0 { 2 } else { 7 };
    assert_eq!(code(&first), Some(expected_code), "{}", stderr(&first));
    let failures_path = PathBuf::from(format!("{input_arg}.failures.ndjson"));
    let failures: Vec<Value> = std::fs::read_to_string(&failures_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!failures.is_empty());
    for failure in &failures {
        assert_eq!(failure["outcome"], "failed", "{failure}");
        let fields = failure["fields"].as_object().unwrap();
        assert!(
            fields.contains_key("company_id") || fields.contains_key("assigned_agent_id"),
            "{failure}"
        );
        assert!(
            failure["why"].as_str().unwrap().contains("422"),
            "{failure}"
        );
        // The line itself, to see what was refused.
        assert_eq!(failure["record"]["id"], failure["source_id"], "{failure}");
    }
    assert!(
        stderr(&first).contains(failures_path.to_str().unwrap()),
        "{}",
        stderr(&first)
    );
    assert_eq!(made_first + failures.len(), source.len());
    assert_eq!(
        creates_in(&server, b),
        made_first,
        "refused lines made nothing"
    );

    // Leaving the agent and the company out, the same command finishes the
    // job: the lines done are skipped.
    let second = voxys(
        &server,
        &[
            "leads",
            "create",
            "--from",
            input_arg,
            "--account",
            &b_arg,
            "--omit",
            "agent,company",
        ],
    )
    .await;
    assert_ok(&second);
    let records = printed(&second);
    let earlier = records.iter().filter(|r| r["outcome"] == "earlier").count();
    let created = records.iter().filter(|r| r["outcome"] == "created").count();
    assert_eq!((earlier, created), (made_first, failures.len()));
    assert_eq!(creates_in(&server, b), source.len());
    let made = new_leads(&server, b, &before_b);
    assert_eq!(made.len(), source.len(), "each lead once");
    // No failure left: the file from the first run is emptied.
    assert_eq!(std::fs::read_to_string(&failures_path).unwrap(), "");
}

#[tokio::test]
async fn a_csv_export_imports_with_its_spreadsheet_quoting_undone() {
    let server = MockServer::builder().leads(50).start().await.unwrap();
    let (a, b) = accounts(&server);
    let source = server.account(a).unwrap().leads;
    assert!(
        source
            .iter()
            .any(|l| l.notes.as_deref().is_some_and(|n| n.starts_with('='))),
        "the data has notes a spreadsheet would run"
    );
    let before_b = lead_ids(&server, b);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("leads.csv");
    let export = voxys(
        &server,
        &[
            "leads",
            "list",
            "--all",
            "--account",
            &a.to_string(),
            "-o",
            input.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&export);
    let output = voxys(
        &server,
        &[
            "leads",
            "create",
            "--from",
            input.to_str().unwrap(),
            "--account",
            &b.to_string(),
            "--omit",
            "agent,company",
            "--format",
            "csv",
        ],
    )
    .await;
    assert_ok(&output);
    assert_each_once(&source, &new_leads(&server, b, &before_b));
    assert!(
        stdout(&output).starts_with("line,source_id,id,outcome\n"),
        "{}",
        stdout(&output)
    );
    // The journal went next to the input.
    assert!(dir.path().join("leads.csv.journal").exists());
}

#[tokio::test]
async fn identical_lines_make_a_lead_each_one_after_the_other() {
    let server = slow_server(10, Duration::from_millis(30)).await;
    let account = server.account_id();
    let before = lead_ids(&server, account);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("same.ndjson");
    let line =
        r#"{"custom_name": "Trade show lead", "lead_value": "100.00", "lead_currency": "EUR"}"#;
    std::fs::write(
        &input,
        format!("{line}\n{line}\n\n{line}\n{{\"custom_name\": \"x\", \"status\": \"maybe\"}}\n"),
    )
    .unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "create",
            "--from",
            input.to_str().unwrap(),
            "--concurrency",
            "8",
        ],
    )
    .await;
    // The last line is invalid: reported, with its line number, not sent.
    assert_eq!(code(&output), Some(7), "{}", stderr(&output));
    let made = new_leads(&server, account, &before);
    assert_eq!(made.len(), 3, "a lead for each identical line");
    assert!(
        made.iter()
            .all(|l| l.custom_name.as_deref() == Some("Trade show lead"))
    );
    // One create at a time: never two identical creates in flight.
    assert_eq!(server.most_requests_in_flight(), 1);
    let recorded = journal(&PathBuf::from(format!(
        "{}.journal",
        input.to_str().unwrap()
    )));
    let keys: std::collections::BTreeSet<&str> = events(&recorded, "done")
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 3, "identical lines have keys of their own");
    let failures =
        std::fs::read_to_string(format!("{}.failures.ndjson", input.to_str().unwrap())).unwrap();
    let failure: Value = serde_json::from_str(failures.trim()).unwrap();
    assert_eq!(failure["line"], 5);
    assert_eq!(failure["outcome"], "invalid");
    assert!(
        failure["why"].as_str().unwrap().contains("`status`"),
        "{failure}"
    );

    // Again: the three are done, the invalid line is still invalid.
    let again = voxys(
        &server,
        &["leads", "create", "--from", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(code(&again), Some(7), "{}", stderr(&again));
    assert_eq!(new_leads(&server, account, &before).len(), 3);
}

/// A copy of the first account's leads into the second.
struct Copy {
    server: MockServer,
    /// The account copied into.
    b: i64,
    /// The leads of the account copied from.
    source: Vec<MockLead>,
    /// The leads of `b` before the copy.
    before_b: Vec<i64>,
    dir: tempfile::TempDir,
    /// `dir/a.ndjson`: the first account's leads, as `voxys leads list`
    /// prints them.
    input: PathBuf,
}

impl Copy {
    /// A server with `leads` leads in each account, and the input file.
    async fn start(leads: u64) -> Copy {
        let server = MockServer::builder().leads(leads).start().await.unwrap();
        let (a, b) = accounts(&server);
        let source = server.account(a).unwrap().leads;
        let before_b = lead_ids(&server, b);
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("a.ndjson");
        std::fs::write(&input, listed(&server, a).await.stdout).unwrap();
        Copy {
            server,
            b,
            source,
            before_b,
            dir,
            input,
        }
    }
}

/// Checks that `source` was copied into account `b`, each lead exactly
/// once and by one create.
fn assert_copied_once(server: &MockServer, b: i64, source: &[MockLead], before_b: &[i64]) {
    assert_eq!(creates_in(server, b), source.len());
    assert_each_once(source, &new_leads(server, b, before_b));
}

/// Lets the first `n` creates through as they are (a fault rule added
/// after this one meets the next).
fn pass_first_creates(server: &MockServer, n: u64) {
    server.add_fault(
        FaultRule::new(Fault::Delay(Duration::ZERO))
            .on_method("POST")
            .times(n),
    );
}

/// The command that copies `a.ndjson` into account `b` in `dir`, one line
/// at a time.
fn copy_args(b: i64) -> Vec<String> {
    [
        "leads",
        "create",
        "--from",
        "a.ndjson",
        "--account",
        &b.to_string(),
        "--omit",
        "agent,company",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn killed_after_the_server_made_a_lead_whose_answer_was_lost_a_rerun_takes_that_lead() {
    const DONE_FIRST: u64 = 7;
    let Copy {
        server,
        b,
        source,
        before_b,
        dir,
        input,
    } = Copy::start(30).await;
    // The first creates go through; the next is applied, and its answer
    // held back for ten minutes: the import waits on it until killed.
    pass_first_creates(&server, DONE_FIRST);
    server.add_fault(
        FaultRule::new(Fault::Delay(Duration::from_secs(600)))
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let args = copy_args(b);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = spawn_in(dir.path(), &server, &args, &input);
    let journal_path = dir.path().join("a.ndjson.journal");
    // The held-back create applied, and the ones before it journaled done
    // (the answer of the last of them may reach the journal just after the
    // server counts the next create).
    wait_for("the held-back create to be applied", || {
        creates_in(&server, b) == DONE_FIRST as usize + 1
            && events(&journal(&journal_path), "done").len() == DONE_FIRST as usize
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();

    let recorded = journal(&journal_path);
    assert_eq!(events(&recorded, "done").len(), DONE_FIRST as usize);
    let pending = unsettled(&recorded);
    assert_eq!(
        pending.len(),
        1,
        "the line killed in flight: sent, not settled"
    );

    let rerun = voxys_in(dir.path(), &server, &args, b"").await;
    assert_ok(&rerun);
    let records = printed(&rerun);
    let outcome = |o: &str| records.iter().filter(|r| r["outcome"] == o).count();
    assert_eq!(outcome("earlier"), DONE_FIRST as usize);
    assert_eq!(outcome("recovered"), 1, "the lead the killed run made");
    assert_eq!(outcome("created"), source.len() - DONE_FIRST as usize - 1);
    // Each lead once: the create in flight when killed was not sent again.
    assert_copied_once(&server, b, &source, &before_b);
    assert!(unsettled(&journal(&journal_path)).is_empty());
}

#[tokio::test]
async fn killed_while_a_create_that_never_applied_was_in_flight_a_rerun_creates_it() {
    const DONE_FIRST: u64 = 5;
    let Copy {
        server,
        b,
        source,
        before_b,
        dir,
        input,
    } = Copy::start(24).await;
    // The next create after the first ones meets a proxy's 503 before the
    // application sees it: the SDK cannot tell, looks for the lead (none),
    // waits and looks again. The import is killed meanwhile (or, if it got
    // further, with later lines in any state).
    pass_first_creates(&server, DONE_FIRST);
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(1),
    );
    let args = copy_args(b);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = spawn_in(dir.path(), &server, &args, &input);
    let journal_path = dir.path().join("a.ndjson.journal");
    wait_for("the line after the first ones to be sent", || {
        events(&journal(&journal_path), "sent").len() > DONE_FIRST as usize
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let recorded = journal(&journal_path);
    let refused_key = events(&recorded, "sent")[DONE_FIRST as usize]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        unsettled(&recorded).contains(&refused_key),
        "the refused line is sent and not settled"
    );
    // The journal says `sent` before the request goes: the kill may come
    // before the 503 was met. Either way nothing was made for the line, and
    // the rerun must create it, without meeting that 503 itself.
    server.clear_faults();

    let rerun = voxys_in(dir.path(), &server, &args, b"").await;
    assert_ok(&rerun);
    // The refused line was looked for and, not found, created. (Or found:
    // a request the killed run had already written to the socket may reach
    // the server after the 503 was cleared, and make the lead; the rerun
    // then takes that lead, and still makes none twice.)
    let rerun_journal = journal(&journal_path);
    let refused_line = events(&rerun_journal, "sent")[DONE_FIRST as usize]["line"].clone();
    let record = printed(&rerun)
        .into_iter()
        .find(|r| r["line"] == refused_line)
        .unwrap();
    assert!(
        record["outcome"] == "created" || record["outcome"] == "recovered",
        "{record}"
    );
    assert_copied_once(&server, b, &source, &before_b);
    assert!(unsettled(&journal(&journal_path)).is_empty());
}

#[tokio::test]
async fn a_line_whose_outcome_is_unknown_is_never_created_twice() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let account = server.account_id();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("one.ndjson");
    std::fs::write(
        &input,
        "{\"custom_name\": \"Twin\", \"lead_value\": 10, \"status\": \"won\"}\n",
    )
    .unwrap();
    let import = ["leads", "create", "--from", input.to_str().unwrap()];
    let failures_path = dir.path().join("one.ndjson.failures.ndjson");
    let failure = || -> Value {
        serde_json::from_str(std::fs::read_to_string(&failures_path).unwrap().trim()).unwrap()
    };

    // A proxy's 503, before the application: the SDK looks for the lead,
    // finds none, cannot tell, and does not send it again.
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(1),
    );
    let first = voxys(&server, &import).await;
    assert_eq!(code(&first), Some(8), "{}", stderr(&first));
    assert_eq!(failure()["outcome"], "unknown");
    assert_eq!(creates_in(&server, account), 0);

    // Two leads like it appear (made by someone else, say): the rerun
    // cannot tell which is the line's, and creates nothing.
    let mut twins = Vec::new();
    for _ in 0..2 {
        let made = voxys(
            &server,
            &["leads", "create", "--name", "Twin", "--value", "10"],
        )
        .await;
        assert_ok(&made);
        twins.push(common::ndjson(&made)[0]["id"].as_i64().unwrap());
    }
    let second = voxys(&server, &import).await;
    assert_eq!(code(&second), Some(8), "{}", stderr(&second));
    let reported = failure();
    assert_eq!(reported["outcome"], "unknown");
    let mut candidates: Vec<i64> = reported["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    candidates.sort_unstable();
    assert_eq!(candidates, twins);
    assert_eq!(creates_in(&server, account), 2, "only the two made by hand");

    // One of them deleted: the other is taken as the line's, and its
    // status set.
    let deleted = voxys(
        &server,
        &["leads", "delete", &twins[0].to_string(), "--yes"],
    )
    .await;
    assert_ok(&deleted);
    let third = voxys(&server, &import).await;
    assert_ok(&third);
    assert_eq!(
        printed(&third)[0]["outcome"],
        "recovered",
        "{}",
        stdout(&third)
    );
    assert_eq!(printed(&third)[0]["id"], twins[1]);
    let held = server.account(account).unwrap();
    assert_eq!(held.lead(twins[1]).unwrap().status, "won");
    assert_eq!(creates_in(&server, account), 2);

    let fourth = voxys(&server, &import).await;
    assert_ok(&fourth);
    assert_eq!(printed(&fourth)[0]["outcome"], "earlier");
}

#[tokio::test]
async fn ctrl_c_stops_after_the_line_in_flight_and_a_rerun_finishes() {
    let Copy {
        server,
        b,
        source,
        before_b,
        dir,
        input,
    } = Copy::start(20).await;
    // After the first three, every create takes a second: the import is
    // mid-way, a line in flight, when Ctrl-C comes.
    pass_first_creates(&server, 3);
    server.add_fault(FaultRule::new(Fault::Delay(Duration::from_secs(1))).on_method("POST"));
    let args = copy_args(b);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = spawn_in(dir.path(), &server, &args, &input);
    let journal_path = dir.path().join("a.ndjson.journal");
    wait_for("a fourth line in flight", || {
        events(&journal(&journal_path), "sent").len() >= 4
    })
    .await;
    let output = interrupt(child).await;
    assert_eq!(output.status.code(), Some(130));
    let err = std::fs::read_to_string(dir.path().join("err.txt")).unwrap();
    assert!(err.contains("interrupted"), "{err}");
    // Stopped cleanly: the line in flight was finished and journaled.
    let recorded = journal(&journal_path);
    assert!(unsettled(&recorded).is_empty(), "{recorded:?}");
    let done = events(&recorded, "done").len();
    assert!(done >= 4 && done < source.len(), "{done}");
    assert_eq!(creates_in(&server, b), done);

    server.clear_faults();
    let rerun = voxys_in(dir.path(), &server, &args, b"").await;
    assert_ok(&rerun);
    let records = printed(&rerun);
    assert_eq!(
        records.iter().filter(|r| r["outcome"] == "earlier").count(),
        done
    );
    assert_copied_once(&server, b, &source, &before_b);
}

#[tokio::test]
async fn a_line_that_could_be_taken_for_an_unknown_one_waits_for_it() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let account = server.account_id();
    let before = lead_ids(&server, account);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("two.ndjson");
    // The second line's lead would match the first's: were the first's
    // answer lost, the SDK could take the second's lead for it.
    std::fs::write(
        &input,
        "{\"custom_name\": \"Expo\"}\n{\"custom_name\": \"Expo\", \"lead_value\": 5}\n{\"custom_name\": \"Other\"}\n",
    )
    .unwrap();
    let import = ["leads", "create", "--from", input.to_str().unwrap()];
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(1),
    );
    let first = voxys(&server, &import).await;
    assert_eq!(code(&first), Some(8), "{}", stderr(&first));
    let failures: Vec<Value> =
        std::fs::read_to_string(format!("{}.failures.ndjson", input.to_str().unwrap()))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let outcomes: Vec<(i64, &str)> = failures
        .iter()
        .map(|f| (f["line"].as_i64().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes, [(1, "unknown"), (2, "held")]);
    // The unrelated line went ahead.
    let made: Vec<MockLead> = new_leads(&server, account, &before);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].custom_name.as_deref(), Some("Other"));

    let second = voxys(&server, &import).await;
    assert_ok(&second);
    let records = printed(&second);
    let outcome_of = |line: i64| {
        records
            .iter()
            .find(|r| r["line"] == line)
            .map(|r| r["outcome"].as_str().unwrap().to_owned())
    };
    assert_eq!(outcome_of(1).as_deref(), Some("created"), "none found");
    assert_eq!(outcome_of(2).as_deref(), Some("created"));
    assert_eq!(outcome_of(3).as_deref(), Some("earlier"));
    assert_eq!(new_leads(&server, account, &before).len(), 3);
    assert_eq!(creates_in(&server, account), 3);
}

#[tokio::test]
async fn a_journal_of_another_server_does_not_mistake_its_lead_ids_for_this_ones() {
    // Two servers with the same data hand out the same ids for new leads,
    // as a new mock, or a staging copy of production, does.
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let server = MockServer::builder().leads(20).start().await.unwrap();
        let (a, b) = accounts(&server);
        let source = server.account(a).unwrap().leads;
        let before_b = lead_ids(&server, b);
        let list = listed(&server, a).await;
        let b_arg = b.to_string();
        let copy = [
            "leads",
            "create",
            "--from",
            "-",
            "--account",
            &b_arg,
            "--omit",
            "agent,company",
        ];
        // The same folder, so the same journal of standard input.
        let output = voxys_in(dir.path(), &server, &copy, &list.stdout).await;
        assert_eq!(code(&output), Some(0), "round {round}: {}", stderr(&output));
        assert_each_once(&source, &new_leads(&server, b, &before_b));
        assert!(
            printed(&output).iter().all(|r| r["outcome"] == "created"),
            "round {round}: {}",
            stdout(&output)
        );
    }
}

#[tokio::test]
async fn an_empty_input_is_nothing_to_do() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    for input in [&b""[..], b"\n", b"custom_name,lead_value\n"] {
        let output = voxys_in(
            dir.path(),
            &server,
            &["leads", "create", "--from", "-"],
            input,
        )
        .await;
        assert_eq!(code(&output), Some(0), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("nothing to do"),
            "{}",
            stderr(&output)
        );
    }
    assert_eq!(server.request_count(), 0);
}
