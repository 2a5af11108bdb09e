//! A simulation of clients against a server's rate limit, on tokio's paused
//! clock: the limiter as the pipeline drives it (acquire, send, record, go
//! again as [`Pacing`] says), against a server model of each common kind of
//! limit. Thousands of requests take milliseconds of real time and the same
//! on any machine, so the limiter's promises are tested here with figures
//! (share of the fastest possible time, share refused, fairness), and the
//! HTTP benchmark (`benches/rate_limit.rs`) checks the same through the
//! mock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{Outcome, RateLimiter};
use crate::RetryPolicy;
use crate::retry::Pacing;

/// A kind of server limit.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    /// At most `limit` a `period`, in fixed windows counted from the
    /// server's start (Rack::Attack); refused requests count.
    Fixed { limit: u64, period: Duration },
    /// At most `limit` let through in any `period` (a sliding log).
    Sliding { limit: u64, period: Duration },
    /// A token bucket (GCRA): `rate` a second, at most `burst` at once.
    Bucket { rate: f64, burst: f64 },
    /// No limit, but a proxy that answers 429 to a share of requests at
    /// random, whatever the rate.
    Random { share: f64 },
}

impl Shape {
    /// The fastest `n` requests can all be answered, sent as the limit
    /// allows from a server that was idle, `at_once` at a time, each
    /// answered after `latency`, starting `phase` into the server's first
    /// fixed window: window by window, as many as each lets through or as
    /// `at_once` at a time can send before it ends (or the time to earn the
    /// tokens past the burst), then the last requests' own time.
    pub(crate) fn fastest(
        &self,
        n: u64,
        at_once: u64,
        latency: Duration,
        phase: Duration,
    ) -> Duration {
        let rounds =
            |k: u64| latency * u32::try_from(k.div_ceil(at_once.max(1))).unwrap_or(u32::MAX);
        match *self {
            Shape::Fixed { limit, period } => {
                // Window by window: as many as the window lets through, or
                // as `at_once` at a time can send before it ends.
                let mut left = n;
                let mut from = Duration::ZERO;
                let mut end = period.saturating_sub(phase);
                loop {
                    let rounds_in = (end - from).as_secs_f64() / latency.as_secs_f64().max(1e-9);
                    let can = limit.min(at_once.max(1) * (rounds_in.ceil() as u64));
                    if left <= can {
                        return from + rounds(left);
                    }
                    left -= can;
                    from = end;
                    end += period;
                }
            }
            Shape::Sliding { limit, period } => {
                let passed = n.saturating_sub(1) / limit;
                period * u32::try_from(passed).unwrap_or(u32::MAX) + rounds(n - passed * limit)
            }
            Shape::Bucket { rate, burst } => {
                let earned = Duration::from_secs_f64(((n as f64 - burst).max(0.0)) / rate);
                earned.max(rounds(n).saturating_sub(latency)) + latency
            }
            Shape::Random { share } => rounds((n as f64 / (1.0 - share)).ceil() as u64),
        }
    }
}

/// The server's limit: one, shared by every client of the simulation.
#[derive(Debug)]
pub(crate) struct Server {
    shape: Shape,
    retry_after: bool,
    started: Instant,
    window: (u64, u64),
    log: VecDeque<Instant>,
    tokens: f64,
    filled_at: Instant,
}

impl Server {
    /// A server whose first fixed window started `phase` ago.
    pub(crate) fn new(shape: Shape, retry_after: bool, phase: Duration) -> Server {
        let now = Instant::now();
        Server {
            shape,
            retry_after,
            started: now.checked_sub(phase).unwrap_or(now),
            window: (0, 0),
            log: VecDeque::new(),
            tokens: match shape {
                Shape::Bucket { burst, .. } => burst,
                _ => 0.0,
            },
            filled_at: now,
        }
    }

    /// Whether a request arriving now is let through; if not, the
    /// `Retry-After` it gets (when the server sends one).
    fn check(&mut self) -> Result<(), Option<Duration>> {
        let now = Instant::now();
        let refused = |wait: Duration| Err(self_retry(self.retry_after, wait));
        match self.shape {
            Shape::Fixed { limit, period } => {
                let since = now.duration_since(self.started).as_nanos();
                let index = u64::try_from(since / period.as_nanos()).unwrap_or(u64::MAX);
                if self.window.0 != index {
                    self.window = (index, 0);
                }
                self.window.1 += 1;
                if self.window.1 <= limit {
                    Ok(())
                } else {
                    let left = period.as_nanos() - since % period.as_nanos();
                    refused(Duration::from_nanos(
                        u64::try_from(left).unwrap_or(u64::MAX),
                    ))
                }
            }
            Shape::Sliding { limit, period } => {
                while self
                    .log
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= period)
                {
                    self.log.pop_front();
                }
                if (self.log.len() as u64) < limit {
                    self.log.push_back(now);
                    Ok(())
                } else {
                    let oldest = self.log.front().copied().unwrap_or(now);
                    refused(period.saturating_sub(now.duration_since(oldest)))
                }
            }
            Shape::Random { share } => {
                if fastrand::f64() < share {
                    refused(Duration::from_secs(1))
                } else {
                    Ok(())
                }
            }
            Shape::Bucket { rate, burst } => {
                let earned = now.duration_since(self.filled_at).as_secs_f64() * rate;
                self.tokens = (self.tokens + earned).min(burst);
                self.filled_at = now;
                if self.tokens >= 1.0 {
                    self.tokens -= 1.0;
                    Ok(())
                } else {
                    refused(Duration::from_secs_f64((1.0 - self.tokens) / rate))
                }
            }
        }
    }
}

/// A `Retry-After` as a server sends it: whole seconds, rounded up.
fn self_retry(send: bool, wait: Duration) -> Option<Duration> {
    send.then(|| Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)))
}

/// What became of one client's job.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Job {
    /// Requests let through (the job's size).
    pub(crate) done: u64,
    /// Answers that were 429.
    pub(crate) refused: u64,
    /// Of those: to probes, and to retries (the rest to first attempts).
    pub(crate) refused_probes: u64,
    pub(crate) refused_retries: u64,
    /// From the start until the last request was let through.
    pub(crate) took: Duration,
}

/// Runs `n` requests of one client (`limiter`), `concurrency` at a time,
/// each answered after `latency`, against `server`; a refused request goes
/// again as the limiter's answer says: at once through the limiter, or
/// after the retry policy's backoff (or the `Retry-After`).
pub(crate) async fn job(
    limiter: Arc<RateLimiter>,
    server: Arc<Mutex<Server>>,
    n: u64,
    concurrency: usize,
    latency: Duration,
) -> Job {
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let refused = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let refused_probes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let refused_retries = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let policy = RetryPolicy::default();
    let workers = (0..concurrency).map(|_| {
        let (limiter, server, next, refused) = (
            limiter.clone(),
            server.clone(),
            next.clone(),
            refused.clone(),
        );
        let (refused_probes, refused_retries) = (refused_probes.clone(), refused_retries.clone());
        let policy = policy.clone();
        async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let mut retries = 0;
                loop {
                    let permit = limiter.acquire().await.for_retry(retries > 0);
                    match round_trip(&server, latency).await {
                        Ok(()) => {
                            limiter.record(permit, Outcome::Other);
                            break;
                        }
                        Err(after) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if permit.probe {
                                refused_probes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            } else if retries > 0 {
                                refused_retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            retries += 1;
                            match limiter.record(permit, Outcome::Throttled(after)) {
                                Pacing::Limiter { .. } => {}
                                Pacing::Policy => {
                                    tokio::time::sleep(policy.wait(retries, after)).await;
                                }
                            }
                        }
                    }
                }
            }
            Instant::now()
        }
    });
    let ends = futures::future::join_all(workers).await;
    let last = ends.into_iter().max().unwrap_or(started);
    Job {
        done: n,
        refused: refused.load(std::sync::atomic::Ordering::Relaxed),
        refused_probes: refused_probes.load(std::sync::atomic::Ordering::Relaxed),
        refused_retries: refused_retries.load(std::sync::atomic::Ordering::Relaxed),
        took: last.duration_since(started),
    }
}

/// One request to `server`, answered after about `latency`: each way
/// takes half of it, give or take a fifth (a network's jitter: without it,
/// a client sending at a steady period can lock in phase with a token
/// bucket's refill and never be refused). The server's verdict, as it
/// counted the request on its arrival.
async fn round_trip(server: &Mutex<Server>, latency: Duration) -> Result<(), Option<Duration>> {
    let jitter = || latency.mul_f64(0.5 * (0.8 + 0.4 * fastrand::f64()));
    tokio::time::sleep(jitter()).await;
    let verdict = server.lock().unwrap().check();
    tokio::time::sleep(jitter()).await;
    verdict
}

/// The outcome of `clients` clients, each with its own limiter, running
/// `n` requests each at once against one limit.
#[derive(Debug)]
pub(crate) struct Run {
    /// Each client's job.
    pub(crate) jobs: Vec<Job>,
    /// The share of the fastest possible time for all of them together
    /// (1.0: as fast as the limit allows).
    pub(crate) speed: f64,
    /// The share of all answers that were 429.
    pub(crate) refused: f64,
    /// Jain's fairness index of the clients' throughputs (1.0: equal).
    pub(crate) fairness: f64,
}

/// A job to simulate: `clients` clients of `n` requests each,
/// `concurrency` at a time, each request answered after about `latency`,
/// against one server limit of `shape` (with `Retry-After` on refusals if
/// `retry_after`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scenario {
    pub(crate) shape: Shape,
    pub(crate) retry_after: bool,
    pub(crate) clients: usize,
    pub(crate) n: u64,
    pub(crate) concurrency: usize,
    pub(crate) latency: Duration,
    /// The server's fixed windows aligned to the clients' clocks, as
    /// Rack::Attack's are to the epoch, with the clients' clocks this many
    /// milliseconds ahead of the server's (behind, if negative); `None`:
    /// each client's clock counts from its start, and the windows are the
    /// seed's phase apart from it.
    pub(crate) aligned: Option<i64>,
}

impl Scenario {
    /// `clients` clients of `n` requests each, `concurrency` at a time,
    /// answered in `latency`, against `shape`, with windows not aligned to
    /// the clients' clocks.
    pub(crate) fn new(
        (shape, retry_after): (Shape, bool),
        clients: usize,
        n: u64,
        concurrency: usize,
        latency: Duration,
    ) -> Scenario {
        Scenario {
            shape,
            retry_after,
            clients,
            n,
            concurrency,
            latency,
            aligned: None,
        }
    }
}

/// Runs `scenario` through limiters made by `limiter`, each client with
/// its own. `seed` sets the retry policy's jitter, each request's time,
/// and the phase of the server's fixed windows (seed 7 starts at a
/// window's start).
pub(crate) async fn run(scenario: Scenario, seed: u64, limiter: impl Fn() -> RateLimiter) -> Run {
    let Scenario {
        clients,
        n,
        concurrency,
        latency,
        ..
    } = scenario;
    let (server, phase) = start(scenario, seed);
    let started = Instant::now();
    let limiters: Vec<Arc<RateLimiter>> = (0..clients).map(|_| Arc::new(limiter())).collect();
    if let Some(ahead) = scenario.aligned {
        let started = server.lock().unwrap().started;
        let off = Duration::from_millis(ahead.unsigned_abs());
        let epoch = if ahead >= 0 {
            started.checked_sub(off).unwrap_or(started)
        } else {
            started + off
        };
        for limiter in &limiters {
            limiter.set_epoch(epoch);
        }
    }
    let trace = std::env::var_os("SIM_TRACE").map(|_| {
        let limiters = limiters.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(
                    std::env::var("SIM_TRACE")
                        .ok()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(250),
                ))
                .await;
                let rates: Vec<String> = limiters
                    .iter()
                    .map(|l| {
                        let s = l.status();
                        format!(
                            "{:>6.1}{} {:>4}",
                            s.requests_per_second.unwrap_or(f64::NAN),
                            if s.paused { "p" } else { " " },
                            s.throttled
                        )
                    })
                    .collect();
                eprintln!(
                    "{:>6.2}s {}",
                    started.elapsed().as_secs_f64(),
                    rates.join(" | ")
                );
            }
        })
    });
    let jobs = futures::future::join_all(
        limiters
            .iter()
            .map(|l| job(l.clone(), server.clone(), n, concurrency, latency)),
    )
    .await;
    if let Some(trace) = trace {
        trace.abort();
    }
    outcome(scenario, jobs, started.elapsed(), phase)
}

/// The server of `scenario`, started from `seed` (which also seeds the
/// jitter), and the phase of its fixed windows (seed 7 starts at a
/// window's start).
fn start(scenario: Scenario, seed: u64) -> (Arc<Mutex<Server>>, Duration) {
    fastrand::seed(seed);
    let phase = match scenario.shape {
        Shape::Fixed { period, .. } if seed != 7 => period.mul_f64((seed as f64 * 0.377).fract()),
        _ => Duration::ZERO,
    };
    let server = Server::new(scenario.shape, scenario.retry_after, phase);
    (Arc::new(Mutex::new(server)), phase)
}

/// The figures of `jobs`, the clients' jobs of `scenario`, which `took`
/// that long together against a server started at `phase`.
fn outcome(scenario: Scenario, jobs: Vec<Job>, took: Duration, phase: Duration) -> Run {
    let Scenario {
        shape,
        clients,
        n,
        concurrency,
        latency,
        ..
    } = scenario;
    let total = n * clients as u64;
    let fastest = shape.fastest(total, (concurrency * clients) as u64, latency, phase);
    let refused: u64 = jobs.iter().map(|j| j.refused).sum();
    let rates: Vec<f64> = jobs
        .iter()
        .map(|j| j.done as f64 / j.took.as_secs_f64().max(1e-9))
        .collect();
    let sum: f64 = rates.iter().sum();
    let squares: f64 = rates.iter().map(|r| r * r).sum();
    Run {
        jobs,
        speed: fastest.as_secs_f64() / took.as_secs_f64(),
        refused: refused as f64 / (refused + total) as f64,
        fairness: sum * sum / (rates.len() as f64 * squares),
    }
}

/// The design the issue named beside a rate, measured against the same
/// servers: a limit on the requests in flight rather than on their rate,
/// as Envoy's and gRPC's adaptive concurrency keep, here with the rule
/// that takes a refusal as its signal (Netflix concurrency-limits'
/// `AIMDLimit`; Envoy's gradient reads latency, which a rate limit's 429
/// does not change). The limit starts at `concurrency`; a 429 to a request
/// sent since the last decrease multiplies it by 0.9 (at least 1); an
/// answer that gets through while at least half the limit is in flight
/// adds one (at most `concurrency`). A refused request is retried after
/// the retry policy's backoff (or its `Retry-After`), holding no place.
pub(crate) async fn run_in_flight(scenario: Scenario, seed: u64) -> Run {
    let (server, phase) = start(scenario, seed);
    let started = Instant::now();
    let jobs = futures::future::join_all(
        (0..scenario.clients).map(|_| in_flight_job(server.clone(), scenario)),
    )
    .await;
    outcome(scenario, jobs, started.elapsed(), phase)
}

/// One client's job under [`run_in_flight`]'s limit on requests in flight.
async fn in_flight_job(server: Arc<Mutex<Server>>, scenario: Scenario) -> Job {
    /// The limit, the requests in flight, and when it last went down.
    struct Limit {
        limit: f64,
        in_flight: usize,
        decreased_at: Option<Instant>,
    }
    let Scenario {
        n,
        concurrency,
        latency,
        ..
    } = scenario;
    let started = Instant::now();
    let state = Arc::new(Mutex::new(Limit {
        limit: concurrency as f64,
        in_flight: 0,
        decreased_at: None,
    }));
    let freed = Arc::new(tokio::sync::Notify::new());
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counts = Arc::new(Mutex::new(Job::default()));
    let policy = RetryPolicy::default();
    let workers = (0..concurrency).map(|_| {
        let (server, state, freed, next, counts, policy) = (
            server.clone(),
            state.clone(),
            freed.clone(),
            next.clone(),
            counts.clone(),
            policy.clone(),
        );
        async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let mut retries = 0;
                loop {
                    // A place within the limit.
                    let sent_at = loop {
                        let notified = freed.notified();
                        {
                            let mut s = state.lock().unwrap();
                            if (s.in_flight as f64) < s.limit.floor().max(1.0) {
                                s.in_flight += 1;
                                break Instant::now();
                            }
                        }
                        notified.await;
                    };
                    let verdict = round_trip(&server, latency).await;
                    {
                        let mut s = state.lock().unwrap();
                        let busy = s.in_flight * 2 >= s.limit as usize;
                        s.in_flight -= 1;
                        match verdict {
                            Ok(()) if busy => s.limit = (s.limit + 1.0).min(concurrency as f64),
                            Ok(()) => {}
                            Err(_) if s.decreased_at.is_none_or(|at| sent_at > at) => {
                                s.limit = (s.limit * 0.9).max(1.0);
                                s.decreased_at = Some(Instant::now());
                            }
                            Err(_) => {}
                        }
                    }
                    freed.notify_waiters();
                    match verdict {
                        Ok(()) => break,
                        Err(after) => {
                            {
                                let mut c = counts.lock().unwrap();
                                c.refused += 1;
                                if retries > 0 {
                                    c.refused_retries += 1;
                                }
                            }
                            retries += 1;
                            tokio::time::sleep(policy.wait(retries, after)).await;
                        }
                    }
                }
            }
            Instant::now()
        }
    });
    let ends = futures::future::join_all(workers).await;
    let last = ends.into_iter().max().unwrap_or(started);
    let counts = counts.lock().unwrap();
    Job {
        done: n,
        took: last.duration_since(started),
        ..*counts
    }
}
