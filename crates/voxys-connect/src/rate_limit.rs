//! The client-wide rate limiter: one per [`Client`](crate::Client), shared by
//! every request it makes (each page of every stream, every bulk batch,
//! single calls, and clones of the client).
//!
//! A deployment throttles each client (Chatwoot: 3000 requests a minute per
//! IP, in fixed windows, answered `429 Retry later` with no `Retry-After`).
//! Until the server first answers 429 three times in a row the limiter does
//! nothing: a request takes a few atomic operations and goes. After that,
//! requests wait for a token from a token bucket whose rate follows a CUBIC
//! curve, as in the AWS SDKs' adaptive retry mode (smithy-rs's
//! `client_rate_limiter.rs`):
//!
//! - on a run of 429s the rate drops to `BETA` times the rate that was
//!   refused, and every request of the client slows down at once. The
//!   refused rate is the least of: the rate the client was sending at, the
//!   rate it was held to, and the rate the server let requests through at,
//!   each over the last second (or since the last pause ended, if that was
//!   less than a second ago); the last is about the limit when the server
//!   counts over a second, and a limit over a minute is far above it;
//! - then it grows back along a cubic curve: fast at first, flat at the
//!   rate that was refused (where the server's limit is), then faster and
//!   faster, so that it finds the limit again if it was raised or lifted;
//! - it never grows past twice the rate the client actually sends at, so an
//!   idle client does not bank a rate it then bursts with.
//!
//! CUBIC rather than AIMD: after a decrease AIMD climbs back linearly and
//! spends much of its time well under the limit, or climbs fast and crosses
//! it often; CUBIC returns quickly to the rate that was refused and stays
//! there, which is where a fixed limit is. What differs from the AWS SDKs'
//! version, for a limiter shared by many concurrent requests against limits
//! counted in fixed windows:
//! - a 429 alone, between answers that got through, is a passing refusal
//!   (a proxy's, another client's burst on a shared limit, a fault, or the
//!   last request of a window): it is retried, and nothing slows down.
//!   Three in a row are the limit: a limit refuses every request until its
//!   window moves on. Without this rule a server that refuses a few
//!   requests in a hundred at any rate would drive the rate down to
//!   nothing, one decrease at a time;
//! - one decrease per congestion event: the 429s of requests sent before the
//!   last decrease say nothing new (they left at the old rate), and counting
//!   each would shrink the rate once per request in flight;
//! - a shallower decrease (`BETA` 0.95 instead of 0.7), from a truer
//!   estimate of the refused rate, and a curve that levels off at that rate
//!   rather than under it: a fixed window's budget left unspent is lost,
//!   while a rate a request or two over it costs a lone 429 at the window's
//!   end, retried with the next token. The first rule already stops the
//!   compounding that a deep decrease guards against;
//! - after a decrease the client pauses, then sends one request (a probe)
//!   and waits for its answer before the others go: a limit counted in
//!   fixed windows refuses everything until the window ends, whatever the
//!   rate, and sending into it only collects 429s (and would count as new
//!   congestion events). The pause doubles while probes are refused (from
//!   50 ms, at most 10 s), but stays under a quarter of the time refused so
//!   far, since the rest of the pause in which the window ends is lost;
//!   `Retry-After`, when a deployment sends it, is the pause, for the whole
//!   client, not just the request that got it. But a run of 429s while the
//!   client was held to a rate at most 10% over what the server let through
//!   (and over a second after the last decrease) is the end of a window
//!   reached a little early: the rate decreases without a pause;
//! - from the end of one pause to the end of the next is a whole cycle of
//!   the server's window, and what the server let through in it is its
//!   limit, exactly, for a client that kept it busy. When that is well under
//!   the estimate made at the decrease (which a burst straddling two
//!   windows inflates up to twice), the rate drops to it;
//! - the requests refused in a run the limiter took charge of go again when
//!   it lets them (after the pause and the probe), with no backoff of the
//!   retry policy on top, and do not use up their attempts: waiting out a
//!   window of a minute is the limiter's job, bounded by the policy's time
//!   budget. A lone 429 while the client is held to a rate goes again with
//!   the next token.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::retry::Pacing;

/// The rate falls to this share of the refused rate on a 429.
const BETA: f64 = 0.95;
/// How fast the rate grows back (requests per second, per second cubed).
const SCALE: f64 = 0.4;
/// The lowest rate the limiter falls to, in requests per second.
const MIN_RATE: f64 = 0.5;
/// How long the sending rate is measured over before it is smoothed in.
const MEASURE_EVERY: Duration = Duration::from_millis(500);
/// The weight of the latest measurement of the sending rate.
const SMOOTHING: f64 = 0.8;
/// How many answers in a row must be 429 before the client takes them for
/// the server's limit: a limit refuses every request until its window
/// moves on, while a lone 429 between answers that got through is a passing
/// refusal, retried like any other.
const CONFIRM: u32 = 3;
/// The first pause after a 429, before the probe.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest pause between probes (a `Retry-After` may ask for longer).
const LONGEST_PAUSE: Duration = Duration::from_secs(10);
/// The longest pause between probes as a share of the time the client has
/// been refused so far: the window ends during the last pause, and the rest
/// of that pause is lost.
const PAUSE_SHARE: f64 = 0.25;
/// A run of 429s when the client was held to at most this many times what
/// the server let through in the last second (and more than a second after
/// the last decrease) is the end of a window reached a little early: the
/// rate decreases, without a pause, since the next window is about to open.
const EDGE: f64 = 1.1;

/// The rate limiter of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    adaptive: bool,
    cap: Option<f64>,
    /// The longest pause a `Retry-After` can cause.
    max_retry_after: Duration,
    /// Whether requests wait for tokens: after the first run of 429s, or from the
    /// start with a cap. Read without the lock.
    engaged: AtomicBool,
    /// Requests sent, ever; read under the lock to measure the rate.
    sent: AtomicU64,
    /// Requests sent in the last second: the rate the client was sending
    /// at when a run of 429s comes.
    sent_recently: LastSecond,
    /// Wakes the requests waiting for a probe's answer.
    resumed: Notify,
    /// Answers in a row that were 429, up to the latest.
    refused_in_a_row: AtomicU32,
    /// Answers other than 429 in the last second.
    accepted: LastSecond,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Tokens a second; the rate requests may leave at.
    rate: f64,
    /// Tokens in the bucket; below zero when requests have reserved tokens
    /// still to come.
    tokens: f64,
    refilled: Instant,
    /// Where the curve flattens: the rate refused at the last decrease.
    refused_rate: f64,
    /// Seconds from the start of the curve until it is back at
    /// `refused_rate`.
    time_to_refused: f64,
    /// When the rate last decreased; the 429s of requests sent before it
    /// belong to the same event.
    decreased_at: Option<Instant>,
    /// When the curve started: when the probe after the last decrease got
    /// through.
    curve_from: Option<Instant>,
    /// When the last probe got through and requests flowed again: the
    /// pause before it says nothing about the rate the server allows.
    flowing_since: Option<Instant>,
    /// When the last pause ended, and the answers accepted until then: the
    /// start of the cycle the next pause ends.
    cycle_from: Option<(Instant, u64)>,
    /// Bumped at each decrease: a request that waited for a token reserved
    /// at the old rate waits again.
    generation: u64,
    /// The sending rate, smoothed.
    measured: f64,
    measured_at: Option<Instant>,
    sent_then: u64,
    probe: Probe,
    /// 429s seen.
    throttled: u64,
}

/// Where the limiter is after a decrease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    /// Requests go as tokens allow.
    Off,
    /// Nothing leaves until `until`; then one request, the probe.
    Waiting { until: Instant, pause: Duration },
    /// The probe is out; the others wait for its answer.
    Out { pause: Duration },
}

/// Permission to send one request, from [`RateLimiter::acquire`]; counts
/// the request as in flight while it lives. Give it back with
/// [`RateLimiter::record`].
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a RateLimiter,
    sent_at: Instant,
    /// Whether this request is the probe after a decrease.
    probe: bool,
    recorded: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.recorded {
            // The probe was dropped unanswered (its caller gave up): let
            // another request probe.
            let mut state = self.limiter.state();
            if let Probe::Out { pause } = state.probe {
                state.probe = Probe::Waiting {
                    until: Instant::now(),
                    pause,
                };
            }
            drop(state);
            self.limiter.resumed.notify_waiters();
        }
    }
}

/// What became of a request, for the limiter.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Outcome {
    /// Refused by the server's rate limiter (429), with its `Retry-After`.
    Throttled(Option<Duration>),
    /// Anything else: an answer, or no answer at all.
    Other,
}

/// What the rate limiter is doing, from
/// [`Client::rate_limit`](crate::Client::rate_limit).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct RateLimitStatus {
    /// The rate requests are held to, in requests a second; `None` while
    /// the client is not holding back (it has met no run of 429s, and has
    /// no cap).
    pub requests_per_second: Option<f64>,
    /// Whether requests are paused after a 429, waiting for a probe to get
    /// through.
    pub paused: bool,
    /// How many answers were 429 (rate limited) so far.
    pub throttled: u64,
}

/// What a request waiting to leave does next.
enum Step {
    Go { probe: bool },
    Sleep(Duration),
    AwaitProbe,
    Reserved(Duration, u64),
}

impl RateLimiter {
    /// A limiter that adapts to 429s when `adaptive`, and holds the rate at
    /// or under `cap` requests a second when there is one; a `Retry-After`
    /// pauses the client for at most `max_retry_after`.
    pub(crate) fn new(adaptive: bool, cap: Option<f64>, max_retry_after: Duration) -> RateLimiter {
        let now = Instant::now();
        let rate = cap.unwrap_or(f64::INFINITY);
        RateLimiter {
            adaptive,
            cap,
            max_retry_after,
            engaged: AtomicBool::new(cap.is_some()),
            sent: AtomicU64::new(0),
            sent_recently: LastSecond::new(now),
            resumed: Notify::new(),
            refused_in_a_row: AtomicU32::new(0),
            accepted: LastSecond::new(now),
            state: Mutex::new(State {
                rate,
                tokens: 1.0,
                refilled: now,
                refused_rate: rate,
                time_to_refused: 0.0,
                decreased_at: None,
                curve_from: None,
                flowing_since: None,
                cycle_from: None,
                generation: 0,
                measured: 0.0,
                measured_at: None,
                sent_then: 0,
                probe: Probe::Off,
                throttled: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is numbers only, each always valid: a panic elsewhere
        // cannot leave it half-changed in a way that matters.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may leave.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        if !self.engaged.load(Ordering::Acquire) {
            return self.permit(false);
        }
        loop {
            // Registered before the state is read, so that a probe answered
            // in between still wakes this request.
            let resumed = self.resumed.notified();
            tokio::pin!(resumed);
            resumed.as_mut().enable();
            let step = {
                let mut state = self.state();
                let now = Instant::now();
                match state.probe {
                    Probe::Waiting { until, pause } if now >= until => {
                        state.probe = Probe::Out { pause };
                        Step::Go { probe: true }
                    }
                    Probe::Waiting { until, .. } => Step::Sleep(until - now),
                    Probe::Out { .. } => Step::AwaitProbe,
                    Probe::Off => {
                        state.refill(now);
                        state.tokens -= 1.0;
                        if state.tokens >= 0.0 {
                            Step::Go { probe: false }
                        } else {
                            let wait = (-state.tokens / state.rate).min(3600.0);
                            Step::Reserved(Duration::from_secs_f64(wait), state.generation)
                        }
                    }
                }
            };
            match step {
                Step::Go { probe } => return self.permit(probe),
                Step::Sleep(wait) => tokio::time::sleep(wait).await,
                Step::AwaitProbe => resumed.await,
                Step::Reserved(wait, generation) => {
                    tokio::time::sleep(wait).await;
                    let state = self.state();
                    if state.generation == generation && state.probe == Probe::Off {
                        drop(state);
                        return self.permit(false);
                    }
                    // The rate fell while this request waited: its token
                    // was reserved at the old rate. Wait again.
                }
            }
        }
    }

    fn permit(&self, probe: bool) -> Permit<'_> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.sent_recently.count(Instant::now());
        Permit {
            limiter: self,
            sent_at: Instant::now(),
            probe,
            recorded: false,
        }
    }

    /// Learns from what became of the request `permit` let go, and says who
    /// decides when it goes again if it failed: the limiter, for a 429 of a
    /// run it took charge of (it pauses the client, then probes) and for
    /// any 429 while it holds the client to a rate; otherwise the retry
    /// policy.
    pub(crate) fn record(&self, mut permit: Permit<'_>, outcome: Outcome) -> Pacing {
        permit.recorded = true;
        let throttled = matches!(outcome, Outcome::Throttled(_));
        if !self.adaptive {
            if throttled {
                self.state().throttled += 1;
            }
            return Pacing::Policy;
        }
        let now = Instant::now();
        let in_a_row = if throttled {
            self.refused_in_a_row.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            if self.refused_in_a_row.load(Ordering::Relaxed) != 0 {
                self.refused_in_a_row.store(0, Ordering::Relaxed);
            }
            0
        };
        if !throttled {
            self.accepted.count(now);
            if !self.engaged.load(Ordering::Acquire) {
                return Pacing::Policy;
            }
        }
        let mut state = self.state();
        let sent = self.sent.load(Ordering::Relaxed);
        state.measure(now, sent);
        if throttled {
            state.throttled += 1;
        }
        let retry_after = match outcome {
            Outcome::Throttled(after) => after.map(|a| a.min(self.max_retry_after)),
            Outcome::Other => None,
        };
        if permit.probe {
            match outcome {
                Outcome::Throttled(_) => {
                    let pause = match state.probe {
                        Probe::Out { pause } | Probe::Waiting { pause, .. } => pause,
                        Probe::Off => FIRST_PAUSE,
                    };
                    // Doubling, but at most a share of the time the client
                    // has been refused: the window ends during the last
                    // pause, which is time lost.
                    let refused_for = state
                        .decreased_at
                        .map_or(Duration::ZERO, |d| now.saturating_duration_since(d));
                    let pause = (pause * 2)
                        .min(refused_for.mul_f64(PAUSE_SHARE).max(FIRST_PAUSE))
                        .min(LONGEST_PAUSE)
                        .max(retry_after.unwrap_or_default());
                    state.probe = Probe::Waiting {
                        until: now + pause,
                        pause,
                    };
                    tracing::debug!(
                        pause_ms = pause.as_millis() as u64,
                        "the probe was refused too: pausing longer"
                    );
                }
                Outcome::Other => {
                    // Through: every request goes again, at the lowered
                    // rate, and the curve starts.
                    state.probe = Probe::Off;
                    state.curve_from = Some(now);
                    state.flowing_since = Some(now);
                    let total = self.accepted.ever();
                    if let Some((from, then)) = state.cycle_from.replace((now, total)) {
                        // From the end of one pause to the end of the next:
                        // a whole cycle of the server's window (sending,
                        // refused, paused), and what it let through, which
                        // is the server's limit for a client that kept it
                        // busy. Truer than the estimate at the decrease,
                        // which a window boundary can inflate (up to twice
                        // the limit in the second before it).
                        let cycle = now.saturating_duration_since(from).as_secs_f64();
                        let limit = (total - then) as f64 / cycle.max(0.001);
                        let refused = state.refused_rate;
                        // Far lower, the client was idle for part of the cycle:
                        // that says nothing of the limit.
                        if limit < 0.9 * refused && limit >= 0.5 * refused {
                            state.level_off_at(limit);
                            state.rate = self.capped(limit * BETA);
                            tracing::info!(
                                rate = state.rate,
                                refused_rate = limit,
                                "the server let {limit:.1} requests a second through from one pause to the next: the client slows down to {:.1} requests a second",
                                state.rate
                            );
                        }
                    }
                    // The pause is not the client's sending rate.
                    state.measured = 0.0;
                    state.measured_at = Some(now);
                    state.sent_then = sent;
                    state.refilled = now;
                    state.tokens = 0.0;
                    drop(state);
                    self.resumed.notify_waiters();
                }
            }
            // A refused probe waits for the next; any other answer is the
            // retry policy's to deal with.
            return if throttled {
                Pacing::Limiter { counts: false }
            } else {
                Pacing::Policy
            };
        }
        match outcome {
            Outcome::Throttled(_) => {
                if let (Some(after), Probe::Waiting { until, pause }) = (retry_after, state.probe) {
                    state.probe = Probe::Waiting {
                        until: until.max(now + after),
                        pause,
                    };
                }
                let same_event = state.probe != Probe::Off
                    || state
                        .decreased_at
                        .is_some_and(|decreased| permit.sent_at <= decreased);
                if same_event {
                    return Pacing::Limiter { counts: false };
                }
                if in_a_row < CONFIRM {
                    // Not (yet) the server's limit: this request is retried
                    // on its own.
                    return if self.engaged.load(Ordering::Acquire) && retry_after.is_none() {
                        // Held to a rate: the retry takes a token like any request.
                        Pacing::Limiter { counts: true }
                    } else {
                        Pacing::Policy
                    };
                }
                // The rate the client was sending at, and the rate the
                // server let requests through at, in the last second: a
                // limit counted over a second (or less) is about the
                // latter, whatever the client sent; a limit over a minute
                // is far above it, and the sending rate is the bound. When
                // a pause ended less than a second ago, both since then:
                // the pause is not a rate the server asked for.
                let sending = self.sent_recently.per_second(now, state.flowing_since);
                let let_through = self.accepted.per_second(now, state.flowing_since);
                let refused = sending.min(state.rate).min(let_through).max(MIN_RATE);
                // Held to a rate a little over what the server let through,
                // and the first run in a while: the end of a window reached
                // a little early, and the next one is about to open.
                let edge = retry_after.is_none()
                    && state.rate.is_finite()
                    && state.rate < EDGE * let_through
                    && state
                        .decreased_at
                        .is_none_or(|d| now.saturating_duration_since(d) > Duration::from_secs(1));
                // The curve levels off at the refused rate.
                state.level_off_at(refused);
                state.decreased_at = Some(now);
                state.generation += 1;
                state.rate = self.capped(refused * BETA);
                state.refilled = now;
                state.tokens = 0.0;
                self.engaged.store(true, Ordering::Release);
                if edge {
                    state.curve_from = Some(now);
                    tracing::info!(
                        rate = state.rate,
                        refused_rate = refused,
                        "rate limited (429) at the end of a window: the client slows down to {:.1} requests a second",
                        state.rate
                    );
                } else {
                    let pause = FIRST_PAUSE.max(retry_after.unwrap_or_default());
                    state.probe = Probe::Waiting {
                        until: now + pause,
                        pause,
                    };
                    tracing::info!(
                        rate = state.rate,
                        refused_rate = refused,
                        pause_ms = pause.as_millis() as u64,
                        "rate limited (429): the client pauses, then slows down to {:.1} requests a second",
                        state.rate
                    );
                }
                Pacing::Limiter { counts: false }
            }
            Outcome::Other => {
                let (Some(from), Probe::Off) = (state.curve_from, state.probe) else {
                    return Pacing::Policy;
                };
                let since = now.saturating_duration_since(from).as_secs_f64();
                let curve = SCALE * (since - state.time_to_refused).powi(3) + state.refused_rate;
                // Not past twice what the client sends (an idle client
                // does not bank a rate), nor under where the curve started.
                let ceiling = if state.measured > 0.0 {
                    let start = state.refused_rate - SCALE * state.time_to_refused.powi(3);
                    (2.0 * state.measured).max(start)
                } else {
                    f64::INFINITY
                };
                let rate = self.capped(curve.min(ceiling));
                state.refill(now);
                if (rate - state.rate).abs() > state.rate * 0.1 {
                    tracing::debug!(rate, "the client's request rate is now {rate:.1} a second");
                }
                state.rate = rate;
                Pacing::Policy
            }
        }
    }

    /// `rate`, within the cap and the floor.
    fn capped(&self, rate: f64) -> f64 {
        let rate = rate.max(MIN_RATE);
        match self.cap {
            Some(cap) => rate.min(cap),
            None => rate,
        }
    }

    /// What the limiter is doing now.
    pub(crate) fn status(&self) -> RateLimitStatus {
        let state = self.state();
        RateLimitStatus {
            requests_per_second: self
                .engaged
                .load(Ordering::Acquire)
                .then_some(state.rate)
                .filter(|r| r.is_finite()),
            paused: state.probe != Probe::Off,
            throttled: state.throttled,
        }
    }

    /// The rate requests are held to, while the limiter holds them back.
    pub(crate) fn current_rate(&self) -> Option<f64> {
        if !self.engaged.load(Ordering::Acquire) {
            return None;
        }
        Some(self.state().rate).filter(|r| r.is_finite())
    }
}

/// A count of events over the last second, in ten slots of 100 ms; without
/// a lock (concurrent counts may race a slot's reset: the count is an
/// estimate).
#[derive(Debug)]
struct LastSecond {
    origin: Instant,
    counts: [AtomicU64; 10],
    /// The number of the 100 ms period each slot counts.
    periods: [AtomicU64; 10],
    /// Every event counted, ever.
    total: AtomicU64,
}

impl LastSecond {
    fn new(origin: Instant) -> LastSecond {
        LastSecond {
            origin,
            counts: Default::default(),
            periods: Default::default(),
            total: AtomicU64::new(0),
        }
    }

    /// Every event counted, ever.
    fn ever(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    fn period(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.origin).as_millis() / 100)
            .unwrap_or(u64::MAX)
    }

    fn count(&self, now: Instant) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let period = self.period(now);
        let slot = (period % 10) as usize;
        if self.periods[slot].swap(period, Ordering::Relaxed) != period {
            self.counts[slot].store(0, Ordering::Relaxed);
        }
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// The events of the last second (of the ten periods of 100 ms up to
    /// now, the one under way included).
    #[cfg(test)]
    fn total(&self, now: Instant) -> u64 {
        self.last_second(now).0
    }

    /// The events of the ten periods of 100 ms up to now (the one under way
    /// included), and the time they cover (from 0.9 s to 1 s). A limiter
    /// younger than that counts its life as a second: a burst in the first
    /// moments says how many the server lets through, not how fast.
    fn last_second(&self, now: Instant) -> (u64, Duration) {
        let period = self.period(now);
        let first = period.saturating_sub(9);
        let count = self.sum(first, period);
        if period < 9 {
            return (count, Duration::from_secs(1));
        }
        let start = self.origin + Duration::from_millis(first.saturating_mul(100));
        (count, now.saturating_duration_since(start))
    }

    /// The events since `since` (at most a second ago), counted from the
    /// start of the 100 ms period that holds it, and the time that covers.
    fn since(&self, now: Instant, since: Instant) -> (u64, Duration) {
        let period = self.period(now);
        let first = self.period(since).max(period.saturating_sub(9));
        let start = self.origin + Duration::from_millis(first.saturating_mul(100));
        (
            self.sum(first, period),
            now.saturating_duration_since(start),
        )
    }

    /// The events a second over the last second, or since `since` if that
    /// was less than a second ago (over at least 200 ms).
    fn per_second(&self, now: Instant, since: Option<Instant>) -> f64 {
        match since {
            Some(since) if now.saturating_duration_since(since) < Duration::from_secs(1) => {
                let (count, over) = self.since(now, since);
                count as f64 / over.max(Duration::from_millis(200)).as_secs_f64()
            }
            _ => {
                let (count, over) = self.last_second(now);
                count as f64 / over.as_secs_f64().max(0.1)
            }
        }
    }

    fn sum(&self, first: u64, last: u64) -> u64 {
        (0..10)
            .filter(|&slot| (first..=last).contains(&self.periods[slot].load(Ordering::Relaxed)))
            .map(|slot| self.counts[slot].load(Ordering::Relaxed))
            .sum()
    }
}

impl State {
    /// Shapes the curve to level off at `refused`, growing from `BETA`
    /// times it.
    fn level_off_at(&mut self, refused: f64) {
        self.refused_rate = refused;
        self.time_to_refused = (refused * (1.0 - BETA) / SCALE).cbrt();
    }

    /// Adds the tokens earned since the last refill, up to one in the bucket.
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        if self.rate.is_finite() {
            self.tokens = (self.tokens + elapsed * self.rate).min(1.0);
        } else {
            self.tokens = 1.0;
        }
        self.refilled = now;
    }

    /// Folds the requests sent since the last measurement into the smoothed
    /// sending rate, every [`MEASURE_EVERY`].
    fn measure(&mut self, now: Instant, sent: u64) {
        let Some(at) = self.measured_at else {
            self.measured_at = Some(now);
            self.sent_then = sent;
            return;
        };
        let elapsed = now.saturating_duration_since(at);
        if elapsed < MEASURE_EVERY {
            return;
        }
        let rate = (sent - self.sent_then) as f64 / elapsed.as_secs_f64();
        self.measured = if self.measured == 0.0 {
            rate
        } else {
            SMOOTHING * rate + (1.0 - SMOOTHING) * self.measured
        };
        self.measured_at = Some(now);
        self.sent_then = sent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adaptive() -> RateLimiter {
        RateLimiter::new(true, None, Duration::from_secs(60))
    }

    /// Sends one request through `limiter` and answers it after `took`.
    async fn request(limiter: &RateLimiter, took: Duration, outcome: Outcome) {
        let permit = limiter.acquire().await;
        tokio::time::sleep(took).await;
        limiter.record(permit, outcome);
    }

    /// Sends `CONFIRM` requests at once through `limiter`, all answered 429
    /// after `took`: the server's limit, as the limiter knows it.
    async fn refused(limiter: &RateLimiter, took: Duration) {
        let permits: Vec<_> =
            futures::future::join_all((0..CONFIRM).map(|_| limiter.acquire())).await;
        tokio::time::sleep(took).await;
        for permit in permits {
            limiter.record(permit, Outcome::Throttled(None));
        }
    }

    /// How long `n` requests answered at once take to leave, one after the
    /// other, on the paused clock.
    async fn time_to_send(limiter: &RateLimiter, n: usize) -> Duration {
        let started = Instant::now();
        for _ in 0..n {
            limiter.record(limiter.acquire().await, Outcome::Other);
        }
        started.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_429_between_answers_that_got_through_is_only_retried() {
        let limiter = adaptive();
        for _ in 0..100 {
            for _ in 0..CONFIRM - 1 {
                request(&limiter, Duration::from_millis(1), Outcome::Throttled(None)).await;
            }
            request(&limiter, Duration::from_millis(1), Outcome::Other).await;
        }
        let status = limiter.status();
        assert_eq!(status.throttled, 100 * u64::from(CONFIRM - 1));
        assert_eq!(status.requests_per_second, None, "no slowing down");
        assert!(!status.paused);
        // The next in a row is the server's limit.
        request(&limiter, Duration::from_millis(1), Outcome::Throttled(None)).await;
        request(&limiter, Duration::from_millis(1), Outcome::Throttled(None)).await;
        request(&limiter, Duration::from_millis(1), Outcome::Throttled(None)).await;
        assert!(limiter.status().paused);
        assert!(limiter.status().requests_per_second.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_decides_when_a_429_it_took_charge_of_goes_again() {
        let owned = adaptive();
        let limiter = &owned;
        let record = |outcome| async move {
            let permit = limiter.acquire().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            limiter.record(permit, outcome)
        };
        // A lone 429 before the limiter holds anything back: the retry
        // policy's backoff.
        assert_eq!(record(Outcome::Throttled(None)).await, Pacing::Policy);
        assert_eq!(record(Outcome::Other).await, Pacing::Policy);
        // A run: the limiter takes charge, and the requests refused in it
        // wait for its pause and probe, without using up their attempts.
        let permits: Vec<_> =
            futures::future::join_all((0..CONFIRM + 2).map(|_| limiter.acquire())).await;
        let pacing: Vec<Pacing> = permits
            .into_iter()
            .map(|p| limiter.record(p, Outcome::Throttled(None)))
            .collect();
        let (before, taken) = pacing.split_at(CONFIRM as usize - 1);
        assert!(before.iter().all(|p| *p == Pacing::Policy), "{pacing:?}");
        assert!(
            taken
                .iter()
                .all(|p| *p == Pacing::Limiter { counts: false }),
            "{pacing:?}"
        );
        // A refused probe too.
        assert_eq!(
            record(Outcome::Throttled(None)).await,
            Pacing::Limiter { counts: false }
        );
        // A probe answered otherwise (through, or failed as a 503 may):
        // whatever failed is the retry policy's.
        assert_eq!(record(Outcome::Other).await, Pacing::Policy);
        // Held to a rate now: a lone 429 goes again with the next token, and
        // counts as an attempt.
        assert_eq!(
            record(Outcome::Throttled(None)).await,
            Pacing::Limiter { counts: true }
        );
        // Without adaptation, always the policy.
        let fixed = RateLimiter::new(false, Some(10.0), Duration::from_secs(60));
        for _ in 0..5 {
            let permit = fixed.acquire().await;
            assert_eq!(
                fixed.record(permit, Outcome::Throttled(None)),
                Pacing::Policy
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_of_429s_at_the_end_of_a_window_slows_the_client_without_a_pause() {
        let limiter = adaptive();
        for _ in 0..100 {
            request(&limiter, Duration::ZERO, Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(10)).await;
        request(&limiter, Duration::from_millis(10), Outcome::Other).await;
        // Two seconds at the limiter's rate, every request let through.
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(2) {
            request(&limiter, Duration::ZERO, Outcome::Other).await;
        }
        let before = limiter.status().requests_per_second.unwrap();
        refused(&limiter, Duration::from_millis(10)).await;
        let status = limiter.status();
        assert!(!status.paused, "the next window is about to open");
        let after = status.requests_per_second.unwrap();
        assert!(
            after < before && after >= 0.9 * before,
            "{before} -> {after}"
        );
        // Refused again at once: the window was not about to end. Pause.
        refused(&limiter, Duration::from_millis(10)).await;
        assert!(limiter.status().paused);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cycle_from_pause_to_pause_corrects_an_estimate_a_window_boundary_inflated() {
        let limiter = adaptive();
        // The first burst straddled a window boundary: 200 got through
        // before the run of 429s, twice the server's limit.
        for _ in 0..200 {
            request(&limiter, Duration::ZERO, Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(10)).await;
        let inflated = limiter.status().requests_per_second.unwrap();
        assert!(inflated > 150.0, "{inflated}");
        // The probe gets through at the start of the next window, which
        // lets 100 through, then refuses until it ends a second later.
        let window = Instant::now();
        request(&limiter, Duration::ZERO, Outcome::Other).await;
        for _ in 0..100 {
            request(&limiter, Duration::ZERO, Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(10)).await;
        loop {
            let probe = limiter.acquire().await;
            if window.elapsed() >= Duration::from_secs(1) {
                limiter.record(probe, Outcome::Other);
                break;
            }
            limiter.record(probe, Outcome::Throttled(None));
        }
        // From one pause's end to the next: a whole window, 100 let through.
        let corrected = limiter.status().requests_per_second.unwrap();
        assert!(
            (80.0..105.0).contains(&corrected),
            "{inflated} -> {corrected}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_meets_no_429_never_waits() {
        let limiter = adaptive();
        let started = Instant::now();
        for _ in 0..10_000 {
            let permit = limiter.acquire().await;
            limiter.record(permit, Outcome::Other);
        }
        assert_eq!(Instant::now(), started, "not a moment of waiting");
        assert_eq!(limiter.status().requests_per_second, None);
        assert!(!limiter.status().paused);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_then_one_probe_goes_then_the_lower_rate_holds() {
        let limiter = std::sync::Arc::new(adaptive());
        // Fifty let through in the last second...
        for _ in 0..50 {
            request(&limiter, Duration::from_millis(10), Outcome::Other).await;
        }
        // ...then sixteen at a time, 50 ms each (320 a second): refused.
        let permits: Vec<_> = futures::future::join_all((0..16).map(|_| limiter.acquire())).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut permits = permits.into_iter();
        limiter.record(permits.next().unwrap(), Outcome::Throttled(None));
        // The others, sent before the decrease, were refused too: the same
        // event, one decrease.
        for permit in permits {
            limiter.record(permit, Outcome::Throttled(None));
        }
        let status = limiter.status();
        assert!(status.paused && status.throttled == 16);
        // The limit is about what got through in the last second: 50.
        let rate = status.requests_per_second.unwrap();
        assert!((rate - 50.0 * BETA).abs() < 1e-9, "{rate}");

        // Everyone waits for the pause; then one request probes while the
        // rest wait for its answer.
        let started = Instant::now();
        let probe = limiter.acquire().await;
        assert!(probe.probe);
        assert_eq!(started.elapsed(), FIRST_PAUSE);
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                let permit = limiter.acquire().await;
                let left = Instant::now();
                limiter.record(permit, Outcome::Other);
                left
            })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(!waiting.is_finished(), "nobody goes while the probe is out");
        let answered = Instant::now();
        limiter.record(probe, Outcome::Other);
        let left = waiting.await.unwrap();
        assert!(
            left >= answered
                && left - answered
                    <= Duration::from_secs_f64(1.0 / rate) + Duration::from_millis(1),
            "the probe's answer lets them go, at the lowered rate: {:?} after it",
            left - answered
        );
        assert!(!limiter.status().paused);

        // Then requests leave at the lowered rate: 100 take about 100/rate s.
        let rate = limiter.status().requests_per_second.unwrap();
        let took = time_to_send(&limiter, 100).await.as_secs_f64();
        assert!(
            took >= 99.0 / (rate * 1.5) && took <= 101.0 / rate,
            "{took} s at {rate}/s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_soon_after_a_pause_is_not_measured_against_the_pause() {
        let limiter = adaptive();
        for _ in 0..100 {
            request(&limiter, Duration::from_millis(10), Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(10)).await;
        let lowered = limiter.status().requests_per_second.unwrap();
        // A long pause (a probe refused until a window ended), then the
        // probe gets through and requests flow at the lowered rate for a
        // third of a second, then one is refused.
        tokio::time::sleep(Duration::from_secs(2)).await;
        request(&limiter, Duration::from_millis(10), Outcome::Other).await;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) {
            request(&limiter, Duration::ZERO, Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(10)).await;
        // About `lowered` got through a second since the pause ended: the
        // limit is there, not at the third of it the last whole second
        // holds (which would drop the rate to about a third).
        let rate = limiter.status().requests_per_second.unwrap();
        assert!(
            rate > 0.7 * lowered && rate < lowered * 1.1,
            "{lowered} -> {rate}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_probe_pauses_longer_but_loses_little_of_the_next_window() {
        let limiter = adaptive();
        refused(&limiter, Duration::from_millis(50)).await;
        let refused_from = Instant::now();
        let mut pauses: Vec<Duration> = Vec::new();
        while refused_from.elapsed() < Duration::from_secs(60) {
            let started = Instant::now();
            let probe = limiter.acquire().await;
            let pause = started.elapsed();
            // At most double the last pause, and at most a share of the
            // time refused so far (the window ends in the last pause):
            // little of a window is lost however long the server refuses.
            let before = refused_from.elapsed() - pause;
            assert!(pause >= FIRST_PAUSE, "{pause:?}");
            assert!(pause <= pauses.last().map_or(FIRST_PAUSE, |p| *p * 2));
            assert!(
                pause <= before.mul_f64(PAUSE_SHARE).max(FIRST_PAUSE) + Duration::from_millis(1),
                "{pause:?} after {before:?}"
            );
            pauses.push(pause);
            limiter.record(probe, Outcome::Throttled(None));
        }
        assert_eq!(pauses[..3], [FIRST_PAUSE; 3], "the first pauses are short");
        // A minute of refusals takes a few dozen probes, not a thousand.
        assert!(pauses.len() < 60, "{} probes", pauses.len());
        assert!(
            *pauses.last().unwrap() > Duration::from_secs(5),
            "{pauses:?}"
        );
        // A probe refused with Retry-After: the whole client waits that long.
        let limiter = adaptive();
        refused(&limiter, Duration::from_millis(50)).await;
        let probe = limiter.acquire().await;
        limiter.record(probe, Outcome::Throttled(Some(Duration::from_secs(7))));
        let started = Instant::now();
        let next = limiter.acquire().await;
        assert_eq!(started.elapsed(), Duration::from_secs(7));
        limiter.record(next, Outcome::Other);
        assert!(!limiter.status().paused);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_probe_lets_another_request_probe() {
        let limiter = adaptive();
        refused(&limiter, Duration::from_millis(50)).await;
        let probe = limiter.acquire().await;
        drop(probe); // its caller gave up
        let next = tokio::time::timeout(Duration::from_secs(1), limiter.acquire())
            .await
            .expect("another request probes");
        assert!(next.probe);
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_grows_back_past_the_refused_rate_when_429s_stop() {
        let limiter = adaptive();
        // Refused at about 20 a second (one request in flight, 50 ms).
        for _ in 0..20 {
            request(&limiter, Duration::from_millis(50), Outcome::Other).await;
        }
        refused(&limiter, Duration::from_millis(50)).await;
        let probe = limiter.acquire().await;
        limiter.record(probe, Outcome::Other);
        let lowered = limiter.status().requests_per_second.unwrap();
        // Forty seconds of requests answered at once, ten at a time.
        let mut rates = Vec::new();
        for _ in 0..40 {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(1) {
                let permits = futures::future::join_all((0..10).map(|_| limiter.acquire())).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
                for permit in permits {
                    limiter.record(permit, Outcome::Other);
                }
            }
            rates.push(limiter.status().requests_per_second.unwrap());
        }
        assert!(rates.windows(2).all(|w| w[1] >= w[0] * 0.99), "{rates:?}");
        assert!(rates[39] > 10.0 * lowered, "{lowered} -> {rates:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cap_holds_from_the_first_request() {
        let limiter = RateLimiter::new(true, Some(10.0), Duration::from_secs(60));
        assert_eq!(limiter.status().requests_per_second, Some(10.0));
        let took = time_to_send(&limiter, 51).await;
        assert_eq!(
            took,
            Duration::from_secs(5),
            "one token at once, then ten a second"
        );
        // Without adaptation the cap still holds; 429s change nothing.
        let fixed = RateLimiter::new(false, Some(10.0), Duration::from_secs(60));
        request(&fixed, Duration::ZERO, Outcome::Throttled(None)).await;
        assert_eq!(fixed.status().requests_per_second, Some(10.0));
        assert!(!fixed.status().paused);
    }

    #[tokio::test(start_paused = true)]
    async fn without_adaptation_a_429_changes_nothing() {
        let limiter = RateLimiter::new(false, None, Duration::from_secs(60));
        request(&limiter, Duration::ZERO, Outcome::Throttled(None)).await;
        let started = Instant::now();
        time_to_send(&limiter, 1000).await;
        assert_eq!(Instant::now(), started);
        assert_eq!(limiter.status().requests_per_second, None);
        // The 429 is still counted, for those who watch.
        assert_eq!(limiter.status().throttled, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_second_counts_only_the_last_second() {
        let counter = LastSecond::new(Instant::now());
        for _ in 0..30 {
            counter.count(Instant::now());
            tokio::time::advance(Duration::from_millis(50)).await;
        }
        // One every 50 ms for 1.5 s: the last ten slots of 100 ms (the one
        // under way included) hold those from 0.6 s to 1.45 s.
        assert_eq!(counter.total(Instant::now()), 18);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(counter.total(Instant::now()), 0);
    }
}
