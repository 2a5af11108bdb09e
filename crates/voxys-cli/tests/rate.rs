//! `voxys` against a server that rate-limits it: `--max-rate`, and the
//! adaptive limiter without it. What the server refused is read from the
//! mock's own count, not from the CLI's output.

use std::time::{Duration, Instant};

use voxys_connect_mock::{MockServer, Throttle};

mod common;

use common::{assert_ok, ndjson, stderr, voxys};

/// The ids of an NDJSON export, in the order written.
fn exported_ids(output: &std::process::Output) -> Vec<i64> {
    ndjson(output)
        .iter()
        .map(|lead| lead["id"].as_i64().unwrap())
        .collect()
}

/// `voxys leads list --all` in NDJSON, `per_page` leads a request, with
/// `extra` flags.
async fn export(server: &MockServer, per_page: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "leads",
        "list",
        "--all",
        "--format",
        "ndjson",
        "--per-page",
        per_page,
    ];
    args.extend_from_slice(extra);
    voxys(server, &args).await
}

/// The first account's lead ids in the order the list command writes them
/// (its default sort: newest first).
async fn expected_ids(server: &MockServer) -> Vec<i64> {
    server.set_throttle(None);
    let output = export(server, "100", &[]).await;
    assert_ok(&output);
    exported_ids(&output)
}

#[tokio::test]
async fn max_rate_keeps_an_export_under_the_servers_limit() {
    let server = MockServer::builder().leads(250).start().await.unwrap();
    let expected = expected_ids(&server).await;
    // The CLI runs in a process of its own, on the real clock: the bound
    // must hold however a busy machine delays its requests. Asked for 4 a
    // second, its tokens are a quarter of a second apart (the bucket holds
    // one): at most 4 in any second. A request held back (by the scheduler,
    // or on its way) can reach the server later than its token, bunched
    // with later ones, but it takes one of the export's 4 requests at once
    // while it is late: at most 4 of those. So at most 8 in any second
    // reach the server, and with a limit of 9 not one of the 13 requests
    // may be refused. Without the cap the export sends its 13 requests at
    // once, and some are refused.
    server.set_throttle(Some(Throttle::new(9, Duration::from_secs(1)).sliding()));
    let started = Instant::now();
    let output = export(&server, "20", &["--max-rate", "4", "--concurrency", "4"]).await;
    let took = started.elapsed();
    assert_ok(&output);
    assert_eq!(exported_ids(&output), expected);
    assert_eq!(server.throttled_count(), 0, "{}", stderr(&output));
    // Thirteen pages at four a second: twelve gaps of 250 ms at least. (A
    // lower bound only: a slow machine cannot make it fail.)
    assert!(took >= Duration::from_millis(3_000), "took {took:?}");
}

#[tokio::test]
async fn without_max_rate_an_export_adapts_to_the_limit_and_loses_nothing() {
    let server = MockServer::builder().leads(250).start().await.unwrap();
    let expected = expected_ids(&server).await;
    // Chatwoot's answer: 429 `Retry later`, no Retry-After, fixed windows.
    server.set_throttle(Some(Throttle::new(5, Duration::from_secs(1))));
    let output = export(&server, "10", &[]).await;
    assert_ok(&output);
    assert_eq!(exported_ids(&output), expected);
    // The limit was met (25 pages at 5 a second), and the export went on.
    // Not meeting it would take a machine so slow that the export's 4
    // requests at once each took most of a second.
    assert!(server.throttled_count() > 0);
}

#[tokio::test]
async fn a_max_rate_that_is_not_a_positive_number_is_a_usage_error() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    for bad in ["0", "-3", "NaN", "inf", "fast"] {
        let flag = format!("--max-rate={bad}");
        let output = voxys(&server, &["leads", "list", &flag]).await;
        assert_eq!(output.status.code(), Some(2), "--max-rate {bad}");
        let message = stderr(&output);
        assert!(message.contains("rate"), "--max-rate {bad}: {message}");
    }
    assert_eq!(server.request_count(), 0);
}
