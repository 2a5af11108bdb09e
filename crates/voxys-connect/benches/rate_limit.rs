//! Throughput against a server that rate-limits: sequential, a fixed
//! concurrency of 16 with per-request retries only, and the adaptive client
//! at a concurrency of 16, side by side in one run.
//!
//! `cargo bench -p voxys-connect --bench rate_limit`
//!
//! The mock serves with latency L and lets R requests a second through per
//! token (Rack::Attack's fixed one-second windows, `429 Retry later`, no
//! `Retry-After`); R x L = 5, so one request at a time reaches a fifth of
//! the limit, and 16 at a time would send 3.2 times it. Two jobs:
//! - an export of `PAGES` pages of 100 leads, every lead checked to arrive
//!   once and in order;
//! - a bulk status change of 10,000 ids, 10 a request, checked against the
//!   mock's journal: every id applied exactly once.
//!
//! Where a job starts against the server's fixed windows moves its results
//! (a burst that straddles two windows gets twice the budget): round k of
//! n starts k/n of the way into the server's first window, the same for
//! every setup.
//!
//! Environment: `VOXYS_BENCH_PAGES` (default 1000), `VOXYS_BENCH_RATE`
//! (requests a second, default 100), `VOXYS_BENCH_LATENCY_MS` (default 50),
//! `VOXYS_BENCH_SETUP` (run only the setups whose name holds it),
//! `VOXYS_BENCH_ROUNDS` (rounds of the concurrent setups, default 5),
//! `VOXYS_BENCH_TRACE` (`info` or `debug`: the limiter's decisions on
//! stderr), `VOXYS_BENCH_TIMELINE` (set: the requests let through and
//! refused in each second of each job, on stderr).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, RetryPolicy};
use voxys_connect_mock::{MockServer, Throttle};

/// How a client is set up.
#[derive(Clone, Copy)]
struct Setup {
    name: &'static str,
    concurrency: usize,
    adaptive: bool,
}

const SETUPS: [Setup; 3] = [
    Setup {
        name: "sequential",
        concurrency: 1,
        adaptive: true,
    },
    Setup {
        name: "fixed concurrency 16, per-request retries",
        concurrency: 16,
        adaptive: false,
    },
    Setup {
        name: "adaptive, concurrency 16",
        concurrency: 16,
        adaptive: true,
    },
];

/// One row of the results.
struct Row {
    setup: &'static str,
    /// How far into the server's first window the job started.
    phase: Duration,
    units: u64,
    took: Duration,
    requests: u64,
    refused: u64,
    checked: &'static str,
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn server(leads: u64, latency: Duration) -> MockServer {
    MockServer::builder()
        .accounts(1)
        .leads(leads)
        .latency(latency)
        .start()
        .await
        .expect("the mock server starts")
}

/// Starts the server's rate limit (its fixed windows start now), then waits
/// `phase` into the first window: where the job starts against the windows
/// moves its results, so each round starts at another point of the window.
async fn throttle(server: &MockServer, rate: u64, phase: Duration) {
    server.set_throttle(Some(Throttle::new(rate, Duration::from_secs(1))));
    tokio::time::sleep(phase).await;
}

fn client(server: &MockServer, setup: Setup) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .adaptive_rate_limit(setup.adaptive)
        // Patient, so that every setup finishes: with the default policy
        // (5 attempts) the fixed concurrency fails part way.
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(50)
                .max_elapsed(Duration::from_secs(600)),
        )
        .build()
        .expect("a client")
}

/// With `VOXYS_BENCH_TIMELINE` set, runs `job` while reading the mock's
/// counts every second, and prints the requests it let through and refused
/// in each second of the run.
async fn timeline<T>(server: &MockServer, job: impl std::future::Future<Output = T>) -> T {
    if std::env::var_os("VOXYS_BENCH_TIMELINE").is_none() {
        return job.await;
    }
    let counts = || (server.request_count(), server.throttled_count());
    let mut samples = Vec::new();
    // The first tick is at once; the job's end takes the last sample.
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(job);
    let out = loop {
        tokio::select! {
            out = &mut job => {
                samples.push(counts());
                break out;
            }
            _ = every_second.tick() => samples.push(counts()),
        }
    };
    let mut line = String::from("through/refused each second:");
    for pair in samples.windows(2) {
        let ((sent, refused), (sent_then, refused_then)) = (pair[1], pair[0]);
        let refused_now = refused - refused_then;
        line.push_str(&format!(
            " {}/{refused_now}",
            sent - sent_then - refused_now
        ));
    }
    eprintln!("{line}");
    out
}

async fn export(pages: u64, rate: u64, latency: Duration, setup: Setup, phase: Duration) -> Row {
    let server = server(pages * 100, latency).await;
    let expected: Vec<i64> = server
        .account(server.account_id())
        .expect("the account")
        .leads_in_default_order()
        .iter()
        .map(|l| l["id"].as_i64().expect("an id"))
        .collect();
    let client = client(&server, setup);
    throttle(&server, rate, phase).await;
    let started = Instant::now();
    let leads: Vec<i64> = timeline(
        &server,
        client
            .leads(server.account_id())
            .list()
            .per_page(100)
            .concurrency(setup.concurrency)
            .stream()
            .map_ok(|lead| lead.id)
            .try_collect(),
    )
    .await
    .expect("the export completes");
    let took = started.elapsed();
    assert_eq!(leads, expected, "{}: every lead once, in order", setup.name);
    Row {
        setup: setup.name,
        phase,
        units: pages,
        took,
        requests: server.request_count(),
        refused: server.throttled_count(),
        checked: "every lead once, in order",
    }
}

async fn bulk(ids: u64, rate: u64, latency: Duration, setup: Setup, phase: Duration) -> Row {
    let server = server(ids, latency).await;
    let all: Vec<i64> = server
        .account(server.account_id())
        .expect("the account")
        .leads
        .iter()
        .map(|l| l.id)
        .collect();
    let client = client(&server, setup);
    throttle(&server, rate, phase).await;
    let started = Instant::now();
    let outcome = timeline(
        &server,
        client
            .leads(server.account_id())
            .bulk_set_status(all.clone(), LeadStatus::Won)
            .batch_size(10)
            .concurrency(setup.concurrency)
            .send(),
    )
    .await
    .expect("a valid request");
    let took = started.elapsed();
    assert!(outcome.is_complete(), "{}: {outcome}", setup.name);
    let mut applied: BTreeMap<i64, u32> = BTreeMap::new();
    for write in server.applied_writes() {
        for id in write.lead_ids {
            *applied.entry(id).or_default() += 1;
        }
    }
    assert_eq!(applied.len(), all.len(), "{}: every id applied", setup.name);
    assert!(applied.values().all(|n| *n == 1), "{}: once", setup.name);
    Row {
        setup: setup.name,
        phase,
        units: server.applied_writes().len() as u64,
        took,
        requests: server.request_count(),
        refused: server.throttled_count(),
        checked: "every id applied exactly once",
    }
}

fn print(title: &str, unit: &str, rate: u64, rows: &[Row]) {
    println!("\n{title}");
    let mut rows: Vec<&Row> = rows.iter().collect();
    // Each setup's rows together, in the order of SETUPS.
    rows.sort_by_key(|row| SETUPS.iter().position(|s| s.name == row.setup));
    println!(
        "| setup | start in window | time | {unit}/s | share of R | requests | answered 429 | checked |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in &rows {
        let per_second = row.units as f64 / row.took.as_secs_f64();
        println!(
            "| {} | {} ms | {:.1} s | {:.1} | {:.0}% | {} | {} ({:.1}%) | {} |",
            row.setup,
            row.phase.as_millis(),
            row.took.as_secs_f64(),
            per_second,
            100.0 * per_second / rate as f64,
            row.requests,
            row.refused,
            100.0 * row.refused as f64 / row.requests.max(1) as f64,
            row.checked,
        );
    }
    // The medians, for setups run more than once.
    for setup in SETUPS {
        let shares: Vec<(f64, f64)> = rows
            .iter()
            .filter(|row| row.setup == setup.name)
            .map(|row| {
                let per_second = row.units as f64 / row.took.as_secs_f64();
                (
                    100.0 * per_second / rate as f64,
                    100.0 * row.refused as f64 / row.requests.max(1) as f64,
                )
            })
            .collect();
        if shares.len() < 2 {
            continue;
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            (
                values[values.len() / 2],
                values[0],
                values[values.len() - 1],
            )
        };
        let (reached, low, high) = median(&mut shares.iter().map(|s| s.0).collect());
        let (refused, fewest, most) = median(&mut shares.iter().map(|s| s.1).collect());
        println!(
            "{}: median of {} rounds: {reached:.0}% of R ({low:.0}% to {high:.0}%), {refused:.1}% answered 429 ({fewest:.1}% to {most:.1}%)",
            setup.name,
            shares.len(),
        );
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter selects the job.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if let Some(level) = std::env::var_os("VOXYS_BENCH_TRACE") {
        // The limiter's decisions, to see how it finds the limit (`debug`
        // shows the rate as it moves).
        let level = match level.to_str() {
            Some("debug") => tracing::Level::DEBUG,
            _ => tracing::Level::INFO,
        };
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .finish()
            .with(
                tracing_subscriber::filter::Targets::new()
                    .with_target("voxys_connect::rate_limit", level),
            );
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    }
    let pages = env("VOXYS_BENCH_PAGES", 1000);
    let rate = env("VOXYS_BENCH_RATE", 100);
    let latency = Duration::from_millis(env("VOXYS_BENCH_LATENCY_MS", 50));
    // `VOXYS_BENCH_SETUP=adaptive` runs the setups whose name holds it.
    let only = std::env::var("VOXYS_BENCH_SETUP").unwrap_or_default();
    let setups = SETUPS.iter().filter(|s| s.name.contains(only.as_str()));
    // The concurrent setups vary from run to run (where a fixed window
    // falls against a burst): they run `VOXYS_BENCH_ROUNDS` times,
    // interleaved; sequential once.
    let rounds = env("VOXYS_BENCH_ROUNDS", 5).max(1);
    // Round k starts k/rounds of the way into the server's first window.
    let runs: Vec<(Setup, Duration)> = (0..rounds)
        .flat_map(|round| {
            let phase = Duration::from_millis(1000 * round / rounds);
            setups
                .clone()
                .filter(move |s| round == 0 || s.concurrency > 1)
                .map(move |s| (*s, phase))
        })
        .collect();
    println!(
        "R = {rate} requests/s (fixed 1 s windows), L = {} ms, R x L = {:.1}",
        latency.as_millis(),
        rate as f64 * latency.as_secs_f64()
    );
    if "export".contains(&filter) {
        let mut rows = Vec::new();
        for &(setup, phase) in &runs {
            rows.push(export(pages, rate, latency, setup, phase).await);
        }
        print(
            &format!("export of {pages} pages of 100 leads"),
            "pages",
            rate,
            &rows,
        );
    }
    if "bulk".contains(&filter) {
        let mut rows = Vec::new();
        for &(setup, phase) in &runs {
            rows.push(bulk(10_000, rate, latency, setup, phase).await);
        }
        print(
            "bulk status change of 10,000 ids, 10 a request",
            "requests",
            rate,
            &rows,
        );
    }
}
