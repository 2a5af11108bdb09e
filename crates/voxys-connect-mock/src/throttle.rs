//! [`Throttle`]: the rate limiter in front of the API, as a deployment runs
//! it (Chatwoot uses Rack::Attack: 3000 requests a minute per IP by default,
//! answered `429 Retry later` as `text/plain`, with no `Retry-After`).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How a [`Throttle`] counts requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Window {
    /// Rack::Attack's way: time is cut into periods, and every request that
    /// arrives in a period counts, refused ones included; past `limit`,
    /// requests are refused until the next period begins. Here the periods
    /// are counted from the server's start (or the throttle's setting);
    /// Rack::Attack counts them from the Unix epoch on the server's clock
    /// (a window of a minute turns at each whole minute), as
    /// [`Aligned`](Window::Aligned) does.
    Fixed,
    /// Fixed windows as Rack::Attack numbers them: from the Unix epoch on
    /// the server's clock (`Time.now.to_i / period`), so that a window of a
    /// minute turns at each whole minute, and one of 5 s at each whole
    /// multiple of 5 s. A client whose clock agrees can foresee the turns.
    Aligned,
    /// A sliding log: a request is let through when fewer than `limit`
    /// requests were let through in the `period` before it. Refused requests
    /// do not count.
    Sliding,
    /// A token bucket (GCRA, as nginx's `limit_req`, Envoy and most API
    /// gateways): it holds at most `burst` tokens, earns `limit` a
    /// `period`, and a request takes one or is refused. It refuses single
    /// requests spread among those it lets through, never a window's run.
    /// Refused requests take nothing.
    Bucket {
        /// The most tokens it holds: the most requests let through at once.
        burst: u64,
    },
}

/// A rate limit: at most `limit` requests per `period` for each token, as
/// the service's rate limiter enforces it. Requests past it are answered
/// `429` with the body `Retry later` (`text/plain`), and, only when
/// [`retry_after`](Throttle::retry_after) is set, a `Retry-After` header
/// with the whole seconds until a request would be let through again.
///
/// The real service keys its limit by client IP; every client of the mock
/// is on 127.0.0.1, so the mock keys it by the `api_access_token` header
/// instead (requests without one share a key): two clients with the same
/// token share one limit, as two programs on one host do.
///
/// ```
/// use std::time::Duration;
/// use voxys_connect_mock::Throttle;
///
/// // Chatwoot's default.
/// let chatwoot = Throttle::new(3000, Duration::from_secs(60));
/// // 50 a second over a sliding window, telling clients when to come back.
/// let strict = Throttle::new(50, Duration::from_secs(1)).sliding().retry_after(true);
/// assert_eq!("50/1s,sliding,retry-after".parse::<Throttle>().unwrap(), strict);
/// # let _ = chatwoot;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    limit: u64,
    period: Duration,
    window: Window,
    retry_after: bool,
}

impl Throttle {
    /// At most `limit` requests per `period` (at least 1, and 1 ms), counted
    /// in fixed windows, without `Retry-After`.
    pub fn new(limit: u64, period: Duration) -> Throttle {
        Throttle {
            limit: limit.max(1),
            period: period.max(Duration::from_millis(1)),
            window: Window::Fixed,
            retry_after: false,
        }
    }

    /// Counts over a sliding window instead of fixed ones.
    pub fn sliding(mut self) -> Throttle {
        self.window = Window::Sliding;
        self
    }

    /// A token bucket instead of windows: `limit` a `period` on average,
    /// at most `burst` (at least 1) at once.
    pub fn bucket(mut self, burst: u64) -> Throttle {
        self.window = Window::Bucket {
            burst: burst.max(1),
        };
        self
    }

    /// Counts in fixed windows (the default).
    pub fn fixed(mut self) -> Throttle {
        self.window = Window::Fixed;
        self
    }

    /// Counts in fixed windows numbered from the Unix epoch on the
    /// server's clock, as Rack::Attack does ([`Window::Aligned`]), instead
    /// of from the server's start.
    pub fn aligned(mut self) -> Throttle {
        self.window = Window::Aligned;
        self
    }

    /// How requests are counted.
    pub fn window(&self) -> Window {
        self.window
    }

    /// Whether refusals carry a `Retry-After` header (default: no, as
    /// Rack::Attack's default answer).
    pub fn retry_after(mut self, send: bool) -> Throttle {
        self.retry_after = send;
        self
    }

    /// The most requests let through in one period.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The limit as requests per second.
    pub fn per_second(&self) -> f64 {
        self.limit as f64 / self.period.as_secs_f64()
    }
}

impl fmt::Display for Throttle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.period.as_millis();
        match ms {
            _ if ms.is_multiple_of(60_000) => write!(f, "{}/{}m", self.limit, ms / 60_000)?,
            _ if ms.is_multiple_of(1000) => write!(f, "{}/{}s", self.limit, ms / 1000)?,
            _ => write!(f, "{}/{ms}ms", self.limit)?,
        }
        match self.window {
            Window::Fixed => {}
            Window::Aligned => f.write_str(",aligned")?,
            Window::Sliding => f.write_str(",sliding")?,
            Window::Bucket { burst } => write!(f, ",burst={burst}")?,
        }
        if self.retry_after {
            f.write_str(",retry-after")?;
        }
        Ok(())
    }
}

/// A throttle that does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidThrottle(String);

impl fmt::Display for InvalidThrottle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid throttle {:?}: expected LIMIT/PERIOD[,aligned|,sliding|,burst=N][,retry-after], PERIOD a number with ms, s or m (such as 50/1s, 3000/1m or 50/1s,burst=10)",
            self.0
        )
    }
}

impl std::error::Error for InvalidThrottle {}

impl FromStr for Throttle {
    type Err = InvalidThrottle;

    /// `LIMIT/PERIOD[,aligned|,sliding|,burst=N][,retry-after]`: `3000/1m`,
    /// `3000/1m,aligned` (windows from the epoch, as Rack::Attack's),
    /// `50/1s,sliding`, `50/1s,burst=10` (a token bucket),
    /// `10/500ms,retry-after`.
    fn from_str(text: &str) -> Result<Throttle, InvalidThrottle> {
        let invalid = || InvalidThrottle(text.to_owned());
        let mut parts = text.split(',').map(str::trim);
        let (limit, period) = parts
            .next()
            .and_then(|rate| rate.split_once('/'))
            .ok_or_else(invalid)?;
        let limit: u64 = limit.trim().parse().map_err(|_| invalid())?;
        let period = period.trim();
        let (number, unit) = period
            .find(|c: char| !c.is_ascii_digit())
            .map(|at| period.split_at(at))
            .ok_or_else(invalid)?;
        let number: u64 = number.parse().map_err(|_| invalid())?;
        let period = match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.saturating_mul(60)),
            _ => return Err(invalid()),
        };
        if limit == 0 || period.is_zero() {
            return Err(invalid());
        }
        let mut throttle = Throttle::new(limit, period);
        for option in parts {
            throttle = match option {
                "sliding" => throttle.sliding(),
                "fixed" => throttle.fixed(),
                "aligned" => throttle.aligned(),
                "retry-after" => throttle.retry_after(true),
                other => match other.strip_prefix("burst=").map(str::parse::<u64>) {
                    Some(Ok(burst)) if burst > 0 => throttle.bucket(burst),
                    _ => return Err(invalid()),
                },
            };
        }
        Ok(throttle)
    }
}

/// The server's clock as time since the Unix epoch (zero if it is set
/// before it).
fn wall_clock() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// What the limiter decided for one request.
pub(crate) enum Verdict {
    Pass,
    /// Refused; with the wait to send in `Retry-After`, when configured.
    Refuse(Option<Duration>),
}

/// A throttle's counts, per key.
pub(crate) struct Limiter {
    state: Mutex<State>,
    refused: std::sync::atomic::AtomicU64,
}

struct State {
    throttle: Option<Throttle>,
    started: Instant,
    /// The server's clock at `started`, as time since the Unix epoch: where
    /// aligned windows turn.
    started_wall: Duration,
    /// Fixed windows: per key, the window's number and its count.
    fixed: HashMap<String, (u64, u64)>,
    /// Sliding window: per key, when the requests let through arrived.
    sliding: HashMap<String, VecDeque<Instant>>,
    /// Token bucket: per key, the tokens held and when they were counted.
    buckets: HashMap<String, (f64, Instant)>,
}

impl Limiter {
    pub(crate) fn new(throttle: Option<Throttle>) -> Limiter {
        Limiter {
            state: Mutex::new(State {
                throttle,
                started: Instant::now(),
                started_wall: wall_clock(),
                fixed: HashMap::new(),
                sliding: HashMap::new(),
                buckets: HashMap::new(),
            }),
            refused: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the throttle (none: no limit), counting afresh: fixed
    /// windows start now.
    pub(crate) fn set(&self, throttle: Option<Throttle>) {
        let mut state = self.state();
        state.throttle = throttle;
        state.started = Instant::now();
        state.started_wall = wall_clock();
        state.fixed.clear();
        state.sliding.clear();
        state.buckets.clear();
    }

    /// How many requests were refused.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a request with this key, arriving now.
    pub(crate) fn check(&self, key: &str) -> Verdict {
        let mut state = self.state();
        let Some(throttle) = state.throttle else {
            return Verdict::Pass;
        };
        let now = Instant::now();
        let verdict = match throttle.window {
            Window::Fixed | Window::Aligned => {
                let mut since = now.saturating_duration_since(state.started);
                if throttle.window == Window::Aligned {
                    since += state.started_wall;
                }
                let since = since.as_nanos();
                let period = throttle.period.as_nanos().max(1);
                let window = u64::try_from(since / period).unwrap_or(u64::MAX);
                let count = state.fixed.entry(key.to_owned()).or_insert((window, 0));
                if count.0 != window {
                    *count = (window, 0);
                }
                count.1 += 1;
                if count.1 <= throttle.limit {
                    Verdict::Pass
                } else {
                    let left = period - since % period;
                    let left = Duration::from_nanos(u64::try_from(left).unwrap_or(u64::MAX));
                    Verdict::Refuse(Some(left))
                }
            }
            Window::Sliding => {
                let log = state.sliding.entry(key.to_owned()).or_default();
                while log
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= throttle.period)
                {
                    log.pop_front();
                }
                if (log.len() as u64) < throttle.limit {
                    log.push_back(now);
                    Verdict::Pass
                } else {
                    let oldest = log.front().copied().unwrap_or(now);
                    Verdict::Refuse(Some(
                        throttle
                            .period
                            .saturating_sub(now.saturating_duration_since(oldest)),
                    ))
                }
            }
            Window::Bucket { burst } => {
                let rate = throttle.per_second();
                let (tokens, at) = state
                    .buckets
                    .entry(key.to_owned())
                    .or_insert((burst as f64, now));
                let earned = now.saturating_duration_since(*at).as_secs_f64() * rate;
                *tokens = (*tokens + earned).min(burst as f64);
                *at = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    Verdict::Pass
                } else {
                    Verdict::Refuse(Some(Duration::from_secs_f64((1.0 - *tokens) / rate)))
                }
            }
        };
        match verdict {
            Verdict::Pass => Verdict::Pass,
            Verdict::Refuse(wait) => {
                self.refused
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Verdict::Refuse(wait.filter(|_| throttle.retry_after))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_read_and_print_the_same() {
        for text in [
            "3000/1m",
            "50/1s,sliding",
            "10/500ms,retry-after",
            "7/2s,sliding,retry-after",
            "50/1s,burst=10",
            "50/1s,burst=10,retry-after",
            "3000/1m,aligned",
            "250/5s,aligned,retry-after",
        ] {
            let throttle: Throttle = text.parse().unwrap();
            assert_eq!(throttle.to_string().parse::<Throttle>().unwrap(), throttle);
        }
        assert_eq!(
            "3000/1m".parse::<Throttle>().unwrap(),
            Throttle::new(3000, Duration::from_secs(60))
        );
        for bad in [
            "",
            "50",
            "0/1s",
            "50/0s",
            "50/1h",
            "x/1s",
            "50/1s,later",
            "50/1s,burst=0",
            "50/1s,burst=x",
            "50/1s,align",
        ] {
            assert!(bad.parse::<Throttle>().is_err(), "{bad}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_fixed_window_counts_refusals_and_resets_each_period() {
        let limiter = Limiter::new(Some(
            Throttle::new(3, Duration::from_secs(1)).retry_after(true),
        ));
        let passes = |n: usize| {
            (0..n)
                .filter(|_| matches!(limiter.check("t"), Verdict::Pass))
                .count()
        };
        assert_eq!(passes(5), 3);
        assert_eq!(limiter.refused(), 2);
        // Another key has a limit of its own.
        assert!(matches!(limiter.check("other"), Verdict::Pass));
        tokio::time::advance(Duration::from_millis(400)).await;
        match limiter.check("t") {
            Verdict::Refuse(Some(wait)) => assert_eq!(wait, Duration::from_millis(600)),
            _ => panic!("refused, with the rest of the period"),
        }
        tokio::time::advance(Duration::from_millis(600)).await;
        assert_eq!(passes(4), 3, "a new period");
    }

    #[tokio::test(start_paused = true)]
    async fn setting_a_throttle_starts_its_fixed_windows_afresh() {
        let limiter = Limiter::new(None);
        tokio::time::advance(Duration::from_millis(700)).await;
        limiter.set(Some(
            Throttle::new(1, Duration::from_secs(1)).retry_after(true),
        ));
        assert!(matches!(limiter.check("t"), Verdict::Pass));
        // The window began when the throttle was set, not when the server
        // started: a whole period is left, not 300 ms.
        match limiter.check("t") {
            Verdict::Refuse(Some(wait)) => assert_eq!(wait, Duration::from_secs(1)),
            _ => panic!("refused, with the rest of the period"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn aligned_windows_turn_at_whole_periods_of_the_servers_clock() {
        let throttle = Throttle::new(2, Duration::from_secs(5)).retry_after(true);
        let limiter = Limiter::new(Some(throttle.aligned()));
        // The server's clock is 1 000 003.3 s past the epoch: its window
        // of 5 s turns in 1.7 s, at 1 000 005 s.
        limiter.state().started_wall = Duration::from_millis(1_000_003_300);
        let passes = |n: usize| {
            (0..n)
                .filter(|_| matches!(limiter.check("t"), Verdict::Pass))
                .count()
        };
        assert_eq!(passes(3), 2);
        match limiter.check("t") {
            Verdict::Refuse(Some(wait)) => assert_eq!(wait, Duration::from_millis(1_700)),
            _ => panic!("refused, with the rest of the aligned window"),
        }
        tokio::time::advance(Duration::from_millis(1_699)).await;
        assert_eq!(passes(1), 0, "the window has not turned yet");
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(passes(3), 2, "a new window, at a whole 5 s");
        // The same throttle unaligned counts from its start: a whole
        // period.
        limiter.set(Some(throttle));
        limiter.state().started_wall = Duration::from_millis(1_000_003_300);
        assert_eq!(passes(3), 2);
        match limiter.check("t") {
            Verdict::Refuse(Some(wait)) => assert_eq!(wait, Duration::from_secs(5)),
            _ => panic!("refused, with a whole period"),
        }
        // Set afresh, an aligned throttle reads the server's clock.
        limiter.set(Some(throttle.aligned()));
        assert!(limiter.state().started_wall > Duration::from_secs(1_577_836_800));
    }

    #[tokio::test(start_paused = true)]
    async fn a_sliding_window_lets_one_through_as_each_ages_out() {
        let limiter = Limiter::new(Some(Throttle::new(2, Duration::from_secs(1)).sliding()));
        assert!(matches!(limiter.check("t"), Verdict::Pass));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(matches!(limiter.check("t"), Verdict::Pass));
        // No Retry-After unless configured.
        assert!(matches!(limiter.check("t"), Verdict::Refuse(None)));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(
            matches!(limiter.check("t"), Verdict::Pass),
            "the first aged out"
        );
        assert!(matches!(limiter.check("t"), Verdict::Refuse(None)));
        limiter.set(None);
        assert!((0..100).all(|_| matches!(limiter.check("t"), Verdict::Pass)));
        assert_eq!(limiter.refused(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_bucket_lets_its_burst_through_then_its_rate() {
        let limiter = Limiter::new(Some(
            Throttle::new(10, Duration::from_secs(1))
                .bucket(3)
                .retry_after(true),
        ));
        let passes = |n: usize| {
            (0..n)
                .filter(|_| matches!(limiter.check("t"), Verdict::Pass))
                .count()
        };
        assert_eq!(passes(5), 3, "the burst");
        // A token every 100 ms: one here and there, never a run.
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(passes(2), 1);
        match limiter.check("t") {
            Verdict::Refuse(Some(wait)) => assert_eq!(wait, Duration::from_millis(100)),
            _ => panic!("refused, with the time to the next token"),
        }
        // Idle for long: no more than the burst at once.
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(passes(10), 3);
        assert_eq!(limiter.refused(), 2 + 1 + 1 + 7);
    }
}
