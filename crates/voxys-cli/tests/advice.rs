//! What `voxys` says when something is wrong, through the binary: advice the
//! CLI can act on (a flag it has), one sentence of it, no internal operation
//! names, a setting that is present but invalid called invalid, the flags
//! the user typed in validation errors, a long wait on a rate limit that is
//! not silent; and the smaller promises of the CLI's messages (convert
//! `--again`, `set-status --notes`, the bulk summary's words, `voxys mock`'s
//! banner).

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;

use common::{assert_ok, stderr, stdout, voxys, voxys_command, voxys_env};

/// The exit code, and standard error.
fn failed(output: &Output) -> (Option<i32>, String) {
    (output.status.code(), stderr(output))
}

/// A message of the CLI: no SDK operation name, and one piece of advice
/// (one "try again" at most).
fn assert_plain(message: &str) {
    for operation in ["list_leads", "convert_lead", "create_lead", "update_lead"] {
        assert!(!message.contains(operation), "{message}");
    }
    assert!(
        message.matches("try again").count() <= 1,
        "advice said twice: {message}"
    );
    assert!(!message.contains(".."), "{message}");
}

#[tokio::test]
async fn an_https_url_to_a_plain_http_port_says_the_server_speaks_http() {
    let server = MockServer::start().await;
    let https = server.url().replacen("http://", "https://", 1);
    let output = voxys_env(
        &["leads", "list", "--base-url", &https, "--per-page", "1"],
        &[
            ("VOXYS_API_TOKEN", server.token()),
            ("VOXYS_ACCOUNT_ID", "1"),
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("speaks plain http"), "{message}");
    assert!(message.contains("starts with http://"), "{message}");
    assert!(!message.contains("--ca-cert"), "{message}");
    assert_plain(&message);
}

#[tokio::test]
async fn an_http_url_to_a_tls_port_suggests_https_without_retrying() {
    let server = MockServer::builder().tls().start().await.unwrap();
    let plain = server.url().replacen("https://", "http://", 1);
    let output = voxys_env(
        &["leads", "list", "--base-url", &plain, "--per-page", "1"],
        &[
            ("VOXYS_API_TOKEN", server.token()),
            ("VOXYS_ACCOUNT_ID", "1"),
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("speaks https"), "{message}");
    assert!(message.contains("starts with https://"), "{message}");
    // Not a network error after five attempts.
    assert!(!message.contains("attempt"), "{message}");
    assert_plain(&message);
}

#[tokio::test]
async fn a_timeout_advises_the_timeout_flag_which_exists() {
    let server = MockServer::builder()
        .latency(std::time::Duration::from_secs(3))
        .start()
        .await
        .unwrap();
    let output = voxys(
        &server,
        &[
            "leads",
            "list",
            "--per-page",
            "1",
            "--timeout",
            "0.2",
            "--retries",
            "0",
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(6), "{message}");
    assert!(message.contains("raise --timeout"), "{message}");
    assert_plain(&message);

    let output = voxys(&server, &["leads", "list", "--timeout", "0"]).await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("number of seconds"), "{message}");
}

#[tokio::test]
async fn plain_http_to_another_host_advises_a_flag_that_lifts_the_refusal() {
    let server = MockServer::start().await;
    let args = [
        "leads",
        "bulk",
        "status",
        "won",
        "1",
        "--dry-run",
        "--base-url",
        "http://crm.example.com",
    ];
    let env = [
        ("VOXYS_API_TOKEN", server.token()),
        ("VOXYS_ACCOUNT_ID", "1"),
    ];
    let output = voxys_env(&args, &env).await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("--allow-plain-http"), "{message}");
    assert!(!message.contains("ClientBuilder"), "{message}");

    // The flag it names works: the dry run then prints the request (and
    // sends nothing anywhere).
    let mut allowed = args.to_vec();
    allowed.push("--allow-plain-http");
    let output = voxys_env(&allowed, &env).await;
    assert_ok(&output);
    assert!(
        stdout(&output).starts_with("POST http://crm.example.com/api/v1/accounts/1/leads/bulk "),
        "{}",
        stdout(&output)
    );
}

#[tokio::test]
async fn a_refused_connection_is_one_sentence_of_advice_without_operation_names() {
    // Port 1: nothing listens there (a port below 1024 that no test
    // binds), so the connection is refused.
    let server = MockServer::start().await;
    let output = voxys_env(
        &[
            "leads",
            "list",
            "--base-url",
            "http://127.0.0.1:1",
            "--retries",
            "1",
        ],
        &[
            ("VOXYS_API_TOKEN", server.token()),
            ("VOXYS_ACCOUNT_ID", "1"),
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(6), "{message}");
    assert!(message.contains("cannot reach the server"), "{message}");
    assert!(message.contains("2 attempts"), "{message}");
    assert_eq!(message.matches("--base-url").count(), 1, "{message}");
    assert_plain(&message);
}

#[tokio::test]
async fn settings_that_are_present_but_invalid_are_called_invalid() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();

    let output = voxys_env(
        &["leads", "list", "--base-url", server.url()],
        &[
            ("VOXYS_API_TOKEN", server.token()),
            ("VOXYS_ACCOUNT_ID", "abc"),
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("\"abc\""), "{message}");
    assert!(!message.contains("no account"), "{message}");

    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").unwrap();
    let output = voxys_env(
        &[
            "leads",
            "list",
            "--base-url",
            server.url(),
            "--token-file",
            empty.to_str().unwrap(),
        ],
        &[("VOXYS_ACCOUNT_ID", "1")],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(3), "{message}");
    assert!(message.contains("is empty"), "{message}");
    assert!(message.contains("empty-token"), "{message}");
    assert!(!message.contains("no API token"), "{message}");

    let bad = dir.path().join("bad-token");
    std::fs::write(&bad, "abc def\n").unwrap();
    let output = voxys_env(
        &[
            "leads",
            "list",
            "--base-url",
            server.url(),
            "--token-file",
            bad.to_str().unwrap(),
        ],
        &[("VOXYS_ACCOUNT_ID", "1")],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(3), "{message}");
    assert!(message.contains("bad-token"), "{message}");
    assert!(!message.contains("VOXYS_API_TOKEN"), "{message}");
}

#[tokio::test]
async fn validation_errors_name_the_flags_typed_and_ranges_in_words() {
    let server = MockServer::start().await;
    let output = voxys(&server, &["leads", "list", "--per-page", "0"]).await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("--per-page 0"), "{message}");
    assert!(message.contains("1 to 100"), "{message}");
    assert!(
        !message.contains("per_page") && !message.contains("..="),
        "{message}"
    );

    let output = voxys(&server, &["leads", "list", "--all", "--concurrency", "99"]).await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("--concurrency 99"), "{message}");
    assert!(message.contains("1 to 32"), "{message}");

    // The API's 422 names `company_id`; the user typed --company.
    let output = voxys(
        &server,
        &[
            "leads",
            "create",
            "--name",
            "Acme renewal",
            "--company",
            "999999",
        ],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("--company: must exist"), "{message}");
    assert!(!message.contains("company_id"), "{message}");
    assert_plain(&message);
}

#[tokio::test]
async fn a_long_wait_on_a_rate_limit_is_said_while_it_lasts() {
    let server = MockServer::builder()
        .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(100_000))
        .start()
        .await
        .unwrap();
    let mut child = voxys_command(&server)
        .args(["leads", "list", "--per-page", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // The first line on standard error, long before the two minutes the
    // retries may take: that the command waits on the rate limit.
    let first = tokio::time::timeout(
        std::time::Duration::from_secs(90),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stderr).read_line(&mut line).unwrap();
            line
        }),
    )
    .await;
    let first = match first {
        Ok(line) => line.unwrap(),
        Err(_) => {
            child.kill().unwrap();
            panic!("nothing said on standard error in 90 s of 429s");
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.contains("rate limiting this command"), "{first}");
    assert!(first.contains("answers 429"), "{first}");
    assert!(first.contains("Ctrl-C"), "{first}");
}

#[tokio::test]
async fn with_no_retries_a_429_fails_at_once_as_the_help_says() {
    let server = MockServer::builder()
        .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1))
        .start()
        .await
        .unwrap();
    let output = voxys(
        &server,
        &["leads", "list", "--per-page", "1", "--retries", "0"],
    )
    .await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(5), "{message}");
    assert!(message.contains("1 attempt."), "{message}");
    assert_eq!(server.request_count(), 1);
    let help = voxys(&server, &["leads", "list", "--help"]).await;
    assert!(
        stdout(&help).contains("with 0, every request goes once, and a 429 fails it at once"),
        "{}",
        stdout(&help)
    );
}

#[tokio::test]
async fn convert_refuses_a_second_card_in_the_funnel_without_again() {
    let server = MockServer::start().await;
    let lead = server.leads(server.account_id())[0].id.to_string();
    let cards_of_lead = |server: &MockServer, lead: &str| {
        server
            .cards(server.account_id(), 1)
            .iter()
            .filter(|c| c.lead_id.to_string() == lead)
            .count()
    };
    let before = cards_of_lead(&server, &lead);
    let first = voxys(
        &server,
        &[
            "leads", "convert", &lead, "--funnel", "1", "--format", "json",
        ],
    )
    .await;
    let (code, message) = failed(&first);
    if before == 0 {
        assert_eq!(code, Some(0), "{message}");
    }
    assert_eq!(cards_of_lead(&server, &lead), before.max(1));

    let again = voxys(&server, &["leads", "convert", &lead, "--funnel", "1"]).await;
    let (code, message) = failed(&again);
    assert_eq!(code, Some(2), "{message}");
    assert!(message.contains("already has card"), "{message}");
    assert!(message.contains("--again"), "{message}");
    assert_eq!(cards_of_lead(&server, &lead), before.max(1), "nothing sent");

    let forced = voxys(
        &server,
        &[
            "leads", "convert", &lead, "--funnel", "1", "--again", "--format", "json",
        ],
    )
    .await;
    assert_ok(&forced);
    assert_eq!(cards_of_lead(&server, &lead), before.max(1) + 1);
}

#[tokio::test]
async fn set_status_with_notes_says_the_notes_it_set() {
    let server = MockServer::start().await;
    let lead = server.leads(server.account_id())[0].id;
    let output = voxys(
        &server,
        &[
            "leads",
            "set-status",
            &lead.to_string(),
            "won",
            "--notes",
            "- call Bob",
            "--format",
            "json",
        ],
    )
    .await;
    assert_ok(&output);
    assert!(
        stderr(&output).contains("notes: \"- call Bob\""),
        "{}",
        stderr(&output)
    );
    let held = server.lead(server.account_id(), lead).unwrap();
    assert_eq!(held.notes.as_deref(), Some("- call Bob"));
}

#[tokio::test]
async fn the_bulk_summary_says_set_status_as_the_commands_do() {
    let server = MockServer::start().await;
    let lead = server.leads(server.account_id())[0].id.to_string();
    for command in ["status", "set-status"] {
        let output = voxys(&server, &["leads", "bulk", command, "won", &lead]).await;
        assert_ok(&output);
        let summary = stderr(&output);
        assert!(
            summary.starts_with("set-status won: 1 requested"),
            "{summary}"
        );
        assert!(!summary.contains("status_change"), "{summary}");
    }
}

#[tokio::test]
async fn the_mock_banner_runs_the_cli_and_a_taken_port_says_so() {
    let taken = MockServer::start().await;
    let port = taken.addr().port().to_string();
    let output = voxys_env(&["mock", "--port", &port], &[]).await;
    let (code, message) = failed(&output);
    assert_eq!(code, Some(1), "{message}");
    assert!(message.contains("port taken"), "{message}");
    assert!(message.contains("--port 0"), "{message}");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("voxys"))
        .args(["mock", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut banner = String::new();
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Ctrl-C");
            banner.push_str(&line);
            banner.push('\n');
            if done {
                break;
            }
        }
        banner
    })
    .await
    .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(banner.contains(" voxys leads list"), "{banner}");
    assert!(!banner.contains("cargo run"), "{banner}");
}

#[tokio::test]
async fn one_429_retried_at_once_is_no_wait_to_announce() {
    // A listing that lasts well past the notice's 5 s, with one 429 near
    // its start: nothing waits, so nothing is said.
    let server = MockServer::builder()
        .latency(std::time::Duration::from_millis(60))
        .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1))
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
            "1",
            "--concurrency",
            "1",
            "--format",
            "ndjson",
        ],
    )
    .await;
    assert_ok(&output);
    assert_eq!(stdout(&output).lines().count(), 120);
    assert!(
        !stderr(&output).contains("rate limit"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn an_interrupt_before_the_first_page_leaves_the_output_file_as_it_was() {
    let server = common::slow_server(50, std::time::Duration::from_secs(30)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prev.csv");
    std::fs::write(&file, "important\n").unwrap();
    let child = voxys_command(&server)
        .args(["leads", "list", "--all", "-o", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first page is asked for, and held back by the server.
    common::wait_until("the first request", || server.request_count() >= 1).await;
    let output = common::interrupt(child).await;
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "important\n");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
}
