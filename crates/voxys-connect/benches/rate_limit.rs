//! Throughput against a server that rate-limits, for every common kind of
//! limit, side by side in one run.
//!
//! `cargo bench -p voxys-connect --bench rate_limit` (about half an hour with
//! `VOXYS_BENCH_ROUNDS=3`, as BENCHMARKS.md's figures were made, and longer
//! with the default of 5; `VOXYS_BENCH_SHAPE`, `VOXYS_BENCH_SETUP` and a
//! job name, `export` or `bulk`, run a part).
//!
//! The mock serves with latency L and lets R requests a second through per
//! token, in each of these shapes (`Throttle`, as `voxys mock --throttle`
//! sets them):
//! - fixed windows of a second (Rack::Attack's kind, `R/1s`), and the same
//!   with `Retry-After`;
//! - a sliding log of a second (`R/1s,sliding`);
//! - fixed windows of five seconds (`5R/5s`), and the same aligned to the
//!   clock (`5R/5s,aligned`: counted from the Unix epoch, as Rack::Attack
//!   counts them, where a client can foresee the turns);
//! - a token bucket with a burst of a fifth of a second (`R/1s,burst=R/5`,
//!   as nginx's `limit_req` or an API gateway), and the same with
//!   `Retry-After`.
//!
//! For each shape, four setups of one client: sequential; a fixed
//! concurrency of 16 with per-request retries only; a fixed client-side
//! rate equal to R (`max_requests_per_second`, adaptation off) at a
//! concurrency of 16; and the adaptive client (the default) at a
//! concurrency of 16. Then four adaptive clients at once, 4 at a time each,
//! sharing the one limit (one token), each with a quarter of the job; and
//! the same four, each capped at a quarter of the limit
//! (`max_requests_per_second(R / 4)`, adaptation on), as users who know
//! their limit and how many workers share it can set them.
//!
//! Two jobs:
//! - an export of `PAGES` pages of 100 leads (each client exporting an
//!   account of its own), every lead checked to arrive once and in order;
//! - a bulk status change of `PAGES` requests of 10 ids, checked against the
//!   mock's journal: every id applied exactly once.
//!
//! Each row gives the share of the fastest possible time, and the share of
//! requests answered 429. The fastest possible time is the windows that
//! must pass (for windows) or the time to earn the tokens past the burst
//! (for a bucket), then the last requests' own time at a concurrency of
//! 16, and never less than the job takes at that concurrency with
//! no limit. A round of 16 requests takes the latency, or longer where
//! this machine is the bound (the mock and the client share its cores: an
//! export's pages of 100 leads take longer than the latency to serve and
//! decode), as measured: each job first runs three times with no limit,
//! adaptive at 16 at a time, and its best time over the rounds it needs (an
//! export's first page goes alone, a round of its own) is a round's length.
//! Where the limit hardly binds (windows of 5 s), the adaptive client is
//! thus measured against its own time with no limit, and reads about 100%:
//! what it costs with no limit does not show there. The fastest being the
//! same for every setup, sequential shows how far under the limit one
//! request at a time stays.
//! Concurrent
//! setups run `VOXYS_BENCH_ROUNDS` times, each round starting another share
//! of the way into the server's first window (the fastest time counts the
//! rest of that window as the first, window by window as 16 at a time can
//! use them); the medians are printed, and the range. In the export, each
//! of the four clients exports an account of its own, a quarter of the
//! pages, with the one token: four exports at once against one limit.
//!
//! Environment: `VOXYS_BENCH_PAGES` (default 500), `VOXYS_BENCH_RATE`
//! (requests a second, default 100), `VOXYS_BENCH_LATENCY_MS` (default 50),
//! `VOXYS_BENCH_SHAPE`, `VOXYS_BENCH_SETUP` (run only the shapes and setups
//! whose name holds it), `VOXYS_BENCH_ROUNDS` (default 5),
//! `VOXYS_BENCH_TRACE` (`info` or `debug`: the limiter's decisions on
//! stderr).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, RetryPolicy};
use voxys_connect_mock::{MockServer, Throttle, Window};

/// How a client is set up.
#[derive(Clone, Copy)]
struct Setup {
    name: &'static str,
    concurrency: usize,
    adaptive: bool,
    /// A client-side cap: the limit shared among the clients (the limit
    /// itself for one client).
    capped: bool,
    /// Clients sharing the limit (each with its share of the job).
    clients: usize,
}

const SETUPS: [Setup; 6] = [
    Setup {
        name: "sequential",
        concurrency: 1,
        adaptive: true,
        capped: false,
        clients: 1,
    },
    Setup {
        name: "concurrency 16, per-request retries",
        concurrency: 16,
        adaptive: false,
        capped: false,
        clients: 1,
    },
    Setup {
        name: "a fixed rate of R, concurrency 16",
        concurrency: 16,
        adaptive: false,
        capped: true,
        clients: 1,
    },
    Setup {
        name: "adaptive, concurrency 16",
        concurrency: 16,
        adaptive: true,
        capped: false,
        clients: 1,
    },
    Setup {
        name: "4 adaptive clients, 4 each",
        concurrency: 4,
        adaptive: true,
        capped: false,
        clients: 4,
    },
    Setup {
        name: "4 adaptive clients capped at R/4, 4 each",
        concurrency: 4,
        adaptive: true,
        capped: true,
        clients: 4,
    },
];

/// A kind of server limit, at R requests a second.
#[derive(Clone, Copy)]
enum Shape {
    /// Fixed windows of `seconds`, counted from the throttle's setting or,
    /// `aligned`, from the Unix epoch (as Rack::Attack's).
    Fixed {
        seconds: u64,
        aligned: bool,
    },
    Sliding,
    Bucket,
}

/// The shapes, by name, and whether refusals carry `Retry-After`.
const SHAPES: [(&str, Shape, bool); 7] = [
    ("fixed windows of 1 s", Shape::fixed(1), false),
    ("fixed windows of 1 s, Retry-After", Shape::fixed(1), true),
    ("sliding window of 1 s", Shape::Sliding, false),
    ("fixed windows of 5 s", Shape::fixed(5), false),
    (
        "fixed windows of 5 s aligned to the clock",
        Shape::Fixed {
            seconds: 5,
            aligned: true,
        },
        false,
    ),
    ("token bucket, burst R/5", Shape::Bucket, false),
    ("token bucket, burst R/5, Retry-After", Shape::Bucket, true),
];

impl Shape {
    /// Fixed windows of `seconds` from the throttle's setting.
    const fn fixed(seconds: u64) -> Shape {
        Shape::Fixed {
            seconds,
            aligned: false,
        }
    }

    fn throttle(self, rate: u64, retry_after: bool) -> Throttle {
        let throttle = match self {
            Shape::Fixed { seconds, aligned } => {
                let fixed = Throttle::new(rate * seconds, Duration::from_secs(seconds));
                if aligned { fixed.aligned() } else { fixed }
            }
            Shape::Sliding => Throttle::new(rate, Duration::from_secs(1)).sliding(),
            Shape::Bucket => Throttle::new(rate, Duration::from_secs(1)).bucket((rate / 5).max(1)),
        };
        throttle.retry_after(retry_after)
    }

    /// The fastest `n` requests can be answered at `rate`, `at_once` at a
    /// time, a round of `at_once` taking `round` (the latency, or longer
    /// where the machine is the bound), from a server that was idle,
    /// starting `phase` into its first fixed window: window by window, as
    /// many as each lets through or as `at_once` at a time can send before
    /// it ends.
    fn fastest(
        self,
        n: u64,
        rate: u64,
        at_once: u64,
        round: Duration,
        phase: Duration,
    ) -> Duration {
        let rounds = |k: u64| round * u32::try_from(k.div_ceil(at_once.max(1))).unwrap_or(u32::MAX);
        let limited = match self {
            Shape::Fixed { seconds, .. } => {
                let period = Duration::from_secs(seconds);
                let limit = rate * seconds;
                let (mut left, mut from) = (n, Duration::ZERO);
                let mut end = period.saturating_sub(phase);
                loop {
                    let fit = (end - from).as_secs_f64() / round.as_secs_f64().max(1e-9);
                    let can = limit.min(at_once.max(1) * fit.ceil() as u64);
                    if left <= can {
                        break from + rounds(left);
                    }
                    left -= can;
                    from = end;
                    end += period;
                }
            }
            Shape::Sliding => {
                let passed = n.saturating_sub(1) / rate;
                Duration::from_secs(passed) + rounds(n - passed * rate)
            }
            Shape::Bucket => {
                let burst = (rate / 5).max(1);
                Duration::from_secs_f64(n.saturating_sub(burst) as f64 / rate as f64) + round
            }
        };
        limited.max(rounds(n))
    }
}

/// One job's outcome.
struct Row {
    /// The share of the fastest possible time.
    speed: f64,
    /// The share of requests answered 429.
    refused: f64,
    /// Jain's fairness index of the clients' throughputs.
    fairness: f64,
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A mock server of `accounts` accounts of `leads` leads each.
async fn server(accounts: u64, leads: u64, latency: Duration) -> MockServer {
    MockServer::builder()
        .accounts(accounts)
        .leads(leads)
        .latency(latency)
        .start()
        .await
        .expect("the mock server starts")
}

fn client(server: &MockServer, setup: Setup, rate: u64) -> Client {
    let mut builder = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .adaptive_rate_limit(setup.adaptive)
        // Patient, so that every setup finishes: with the default policy
        // (5 attempts) the fixed concurrency fails part way.
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(50)
                .max_elapsed(Duration::from_secs(600)),
        );
    if setup.capped {
        builder = builder.max_requests_per_second(rate as f64 / setup.clients as f64);
    }
    builder.build().expect("a client")
}

/// Jain's fairness index of `rates`.
fn jain(rates: &[f64]) -> f64 {
    let sum: f64 = rates.iter().sum();
    let squares: f64 = rates.iter().map(|r| r * r).sum();
    sum * sum / (rates.len() as f64 * squares).max(f64::MIN_POSITIVE)
}

/// The export of `pages` pages, shared among the setup's clients (each
/// exports the whole of its own account, as separate exports with one
/// token would), checked lead by lead; with no limit when `throttle` is
/// `None`.
async fn export(
    pages: u64,
    throttle: Option<Throttle>,
    latency: Duration,
    setup: Setup,
    phase: Duration,
) -> (u64, Vec<Duration>, MockServer) {
    let share = pages / setup.clients as u64;
    let server = server(setup.clients as u64, share * 100, latency).await;
    server.set_throttle(throttle);
    tokio::time::sleep(until_phase(throttle, phase)).await;
    let rate = throttle.map_or(0, |t| t.per_second() as u64);
    let clients: Vec<Client> = (0..setup.clients)
        .map(|_| client(&server, setup, rate))
        .collect();
    let started = Instant::now();
    let jobs = clients
        .iter()
        .zip(server.account_ids())
        .map(|(client, account)| async move {
            let pages: Vec<_> = client
                .leads(account)
                .list()
                .per_page(100)
                .concurrency(setup.concurrency)
                .pages()
                .try_collect()
                .await
                .expect("the export completes");
            let ids: Vec<i64> = pages
                .iter()
                .flat_map(|page| page.items().iter().map(|lead| lead.id))
                .collect();
            (account, ids, started.elapsed())
        });
    let done = futures::future::join_all(jobs).await;
    let mut took = Vec::new();
    for (account, ids, time) in done {
        let expected: Vec<i64> = server
            .account(account)
            .expect("the account")
            .leads_in_default_order()
            .iter()
            .map(|l| l["id"].as_i64().expect("an id"))
            .collect();
        assert_eq!(ids, expected, "{}: every lead once, in order", setup.name);
        took.push(time);
    }
    (pages, took, server)
}

/// The bulk job of `requests` requests of 10 ids, shared among the setup's
/// clients, checked against the mock's journal.
async fn bulk(
    requests: u64,
    throttle: Option<Throttle>,
    latency: Duration,
    setup: Setup,
    phase: Duration,
) -> (u64, Vec<Duration>, MockServer) {
    let server = server(1, requests * 10, latency).await;
    let all: Vec<i64> = server
        .account(server.account_id())
        .expect("the account")
        .leads
        .iter()
        .map(|l| l.id)
        .collect();
    server.set_throttle(throttle);
    tokio::time::sleep(until_phase(throttle, phase)).await;
    let rate = throttle.map_or(0, |t| t.per_second() as u64);
    let clients: Vec<Client> = (0..setup.clients)
        .map(|_| client(&server, setup, rate))
        .collect();
    let share = all.len().div_ceil(setup.clients);
    let started = Instant::now();
    let jobs = clients.iter().zip(all.chunks(share)).map(|(client, ids)| {
        let account = server.account_id();
        async move {
            let outcome = client
                .leads(account)
                .bulk_set_status(ids.to_vec(), LeadStatus::Won)
                .batch_size(10)
                .concurrency(setup.concurrency)
                .send()
                .await
                .expect("a valid request");
            assert!(outcome.is_complete(), "{}: {outcome}", setup.name);
            started.elapsed()
        }
    });
    let took = futures::future::join_all(jobs).await;
    let mut applied: BTreeMap<i64, u32> = BTreeMap::new();
    for write in server.applied_writes() {
        for id in write.lead_ids {
            *applied.entry(id).or_default() += 1;
        }
    }
    assert_eq!(applied.len(), all.len(), "{}: every id applied", setup.name);
    assert!(applied.values().all(|n| *n == 1), "{}: once", setup.name);
    (requests, took, server)
}

/// How long to wait after setting `throttle` to be `phase` into its
/// window: `phase` for windows counted from the setting; for windows
/// aligned to the clock, until the system's clock (the mock's) is `phase`
/// past a whole period.
fn until_phase(throttle: Option<Throttle>, phase: Duration) -> Duration {
    let Some(throttle) = throttle.filter(|t| t.window() == Window::Aligned) else {
        return phase;
    };
    let period = throttle.period().as_nanos();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let wait = (phase.as_nanos() + period - now % period) % period;
    Duration::from_nanos(u64::try_from(wait).expect("a wait within a period"))
}

/// A job's row, from the requests it needed, each client's time, and the
/// server's counts.
fn row(
    units: u64,
    took: &[Duration],
    server: &MockServer,
    (shape, rate, round, phase): (Shape, u64, Duration, Duration),
) -> Row {
    let total = took.iter().max().copied().unwrap_or_default();
    // The same for every setup: what 16 requests at a time could do within
    // the limit (so that sequential shows how far below it one at a time
    // is).
    let fastest = shape.fastest(units, rate, 16, round, phase);
    let rates: Vec<f64> = took
        .iter()
        .map(|t| (units as f64 / took.len() as f64) / t.as_secs_f64())
        .collect();
    Row {
        speed: fastest.as_secs_f64() / total.as_secs_f64(),
        refused: server.throttled_count() as f64 / server.request_count().max(1) as f64,
        fairness: jain(&rates),
    }
}

/// The median, the least and the most of `values`.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter selects the job.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if let Some(level) = std::env::var_os("VOXYS_BENCH_TRACE") {
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
    // A multiple of the four clients, each with an equal share.
    let pages = (env("VOXYS_BENCH_PAGES", 500) / 4).max(1) * 4;
    let rate = env("VOXYS_BENCH_RATE", 100).max(1);
    let latency = Duration::from_millis(env("VOXYS_BENCH_LATENCY_MS", 50));
    let rounds = env("VOXYS_BENCH_ROUNDS", 5).max(1);
    let only_shape = std::env::var("VOXYS_BENCH_SHAPE").unwrap_or_default();
    let only_setup = std::env::var("VOXYS_BENCH_SETUP").unwrap_or_default();
    println!(
        "R = {rate} requests/s, L = {} ms, {pages} requests a job, {rounds} rounds of the concurrent setups",
        latency.as_millis()
    );
    for job in ["export", "bulk"] {
        if !job.contains(&filter) {
            continue;
        }
        // What this machine does with no limit, 16 at a time: a round of
        // 16 takes at least the latency, and longer where the machine (the
        // mock's work and the client's, on the same cores) is the bound.
        // The best of three runs; the export asks for its first page alone
        // (it says how many there are), a round of its own.
        let adaptive = SETUPS[3];
        let mut unlimited = f64::INFINITY;
        for _ in 0..3 {
            let (_, took, _) = match job {
                "export" => export(pages, None, latency, adaptive, Duration::ZERO).await,
                _ => bulk(pages, None, latency, adaptive, Duration::ZERO).await,
            };
            let took = took.iter().max().copied().unwrap_or_default();
            unlimited = unlimited.min(took.as_secs_f64());
        }
        let rounds_of_16 = match job {
            "export" => 1 + (pages - 1).div_ceil(16),
            _ => pages.div_ceil(16),
        };
        let machine_round = Duration::from_secs_f64(unlimited / rounds_of_16 as f64).max(latency);
        println!("\n### {job}: {pages} requests\n");
        println!(
            "With no limit, 16 at a time: {unlimited:.2} s (the best of 3), {rounds_of_16} rounds of 16 in {} ms each; the fastest possible counts rounds of that length.\n",
            machine_round.as_millis()
        );
        println!(
            "| server limit | setup | share of the fastest possible (median, range) | share refused (median, range) | fairness |"
        );
        println!("|---|---|---|---|---|");
        for (shape_name, shape, retry_after) in SHAPES {
            if !shape_name.contains(&only_shape) {
                continue;
            }
            let throttle = Some(shape.throttle(rate, retry_after));
            for setup in SETUPS.iter().filter(|s| s.name.contains(&only_setup)) {
                let n = if setup.concurrency == 1 && setup.clients == 1 {
                    1
                } else {
                    rounds
                };
                let mut rows = Vec::new();
                for round in 0..n {
                    // Round k starts k/n of the way into the first window.
                    let window_ms = match shape {
                        Shape::Fixed { seconds, .. } => 1000 * seconds,
                        _ => 1000,
                    };
                    let phase = Duration::from_millis(window_ms * round / rounds);
                    let (units, took, server) = match job {
                        "export" => export(pages, throttle, latency, *setup, phase).await,
                        _ => bulk(pages, throttle, latency, *setup, phase).await,
                    };
                    rows.push(row(
                        units,
                        &took,
                        &server,
                        (shape, rate, machine_round, phase),
                    ));
                }
                let (speed, slowest, fastest) = spread(rows.iter().map(|r| r.speed).collect());
                let (refused, fewest, most) = spread(rows.iter().map(|r| r.refused).collect());
                let fairness = if setup.clients > 1 {
                    let (f, low, _) = spread(rows.iter().map(|r| r.fairness).collect());
                    format!("{f:.2} (least {low:.2})")
                } else {
                    "".to_owned()
                };
                println!(
                    "| {shape_name} | {} | {:.0}% ({:.0}% to {:.0}%) | {:.1}% ({:.1}% to {:.1}%) | {fairness} |",
                    setup.name,
                    speed * 100.0,
                    slowest * 100.0,
                    fastest * 100.0,
                    refused * 100.0,
                    fewest * 100.0,
                    most * 100.0,
                );
            }
        }
    }
}
