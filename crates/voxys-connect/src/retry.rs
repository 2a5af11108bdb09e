//! [`RetryPolicy`]: when and how long to wait before trying a request again.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How the client retries idempotent requests that failed for a reason that
/// may pass: 429, 502, 503, 504, timeouts and network errors.
///
/// Waits grow exponentially with full jitter (a random wait between zero and
/// `initial_backoff * 2^(retry - 1)`, at most `max_backoff`). When the server
/// sends `Retry-After` (seconds or an HTTP date) the client waits that long
/// instead, at most `max_retry_after`. Retries stop after `max_attempts`
/// attempts, or when the next wait would end past `max_elapsed` since the first
/// attempt; the last error is returned then.
///
/// 429s the client's rate limiter takes charge of (429s that keep coming:
/// see [`ClientBuilder::adaptive_rate_limit`](crate::ClientBuilder::adaptive_rate_limit))
/// are not backed off: the limiter pauses the whole client and decides when
/// they go again, and they do not count against `max_attempts`;
/// `max_elapsed` still bounds them. A lone 429 is backed off as any
/// failure, and counts; once the limiter holds the client to a rate, a lone
/// 429 with no `Retry-After` over a second goes again when the limiter lets
/// it (the rate spaces it), and counts. With `max_attempts` 1 nothing goes
/// again.
///
/// ```
/// use std::time::Duration;
/// use voxys_connect::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(8)
///     .max_elapsed(Duration::from_secs(300));
/// let never = RetryPolicy::disabled();
/// assert_eq!(never.attempts(), 1);
/// # let _ = patient;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 250 ms up to 20 s, 2 minutes in all,
    /// `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(120),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn disabled() -> RetryPolicy {
        RetryPolicy::default().max_attempts(1)
    }

    /// At most `n` attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> RetryPolicy {
        self.max_attempts = n.max(1);
        self
    }

    /// The upper bound of the first backoff wait.
    pub fn initial_backoff(mut self, wait: Duration) -> RetryPolicy {
        self.initial_backoff = wait;
        self
    }

    /// The upper bound of any backoff wait.
    pub fn max_backoff(mut self, wait: Duration) -> RetryPolicy {
        self.max_backoff = wait;
        self
    }

    /// No retry wait ends later than this after the first attempt began.
    pub fn max_elapsed(mut self, total: Duration) -> RetryPolicy {
        self.max_elapsed = total;
        self
    }

    /// The longest `Retry-After` the client honours; longer ones are cut to it.
    pub fn max_retry_after(mut self, wait: Duration) -> RetryPolicy {
        self.max_retry_after = wait;
        self
    }

    /// How many attempts a request gets at most.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub(crate) fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_retry_after);
        }
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// The longest `Retry-After` the policy honours.
    pub(crate) fn longest_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Runs `attempt` until it says [`Step::Done`], or the policy is spent;
    /// the last result, and how many attempts were made.
    ///
    /// `attempt` receives the attempt number, from 1.
    #[cfg(test)]
    pub(crate) async fn run<T, F, Fut>(&self, attempt: F) -> (T, u32)
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Step<T>>,
    {
        self.run_until_stopped(&Stop::default(), attempt).await
    }

    /// [`run`](Self::run), but no attempt follows once `stop` is set: the
    /// wait before a retry is cut short, and the last result returned.
    pub(crate) async fn run_until_stopped<T, F, Fut>(&self, stop: &Stop, mut attempt: F) -> (T, u32)
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Step<T>>,
    {
        let mut tries = Tries::new();
        loop {
            match attempt(tries.number).await {
                Step::Done(result) => return (result, tries.number),
                Step::Again {
                    result,
                    retry_after,
                    pacing,
                    why,
                } => {
                    if !self
                        .pause_before_retry(&mut tries, retry_after, &why, pacing, stop)
                        .await
                    {
                        return (result, tries.number);
                    }
                }
            }
        }
    }

    /// After attempt number `tries.number` failed (`error` says how): waits
    /// before the next one, counts it, and returns true; or returns false at
    /// once when the policy is spent (no attempts left, or the wait would
    /// end past the time budget counted from the first attempt).
    ///
    /// With [`Pacing::Limiter`] the client's rate limiter decides when the
    /// request goes again (it is paused or holding every request to a
    /// rate): no backoff is added on top of it, and a 429 the limiter took
    /// charge of does not count against `max_attempts`; `max_elapsed`
    /// still bounds the request.
    async fn pause_before_retry(
        &self,
        tries: &mut Tries,
        retry_after: Option<Duration>,
        error: &str,
        pacing: Pacing,
        stop: &Stop,
    ) -> bool {
        if stop.is_set() {
            tracing::info!(attempt = tries.number, error = %error, "not retried: the client was told to stop retrying");
            return false;
        }
        let counts = !matches!(pacing, Pacing::Limiter { counts: false });
        if counts {
            tries.counted += 1;
        }
        // One attempt means one: not even a 429 the rate limiter would wait
        // out goes again.
        if tries.counted >= self.max_attempts || self.max_attempts <= 1 {
            return false;
        }
        let wait = match pacing {
            Pacing::Policy => self.wait(tries.counted.max(1), retry_after),
            Pacing::Limiter { .. } => Duration::ZERO,
        };
        if tries.started.elapsed() + wait > self.max_elapsed {
            tracing::warn!(attempt = tries.number, wait_ms = wait.as_millis() as u64, error = %error, "giving up: the retry time budget is spent");
            return false;
        }
        match pacing {
            Pacing::Policy => tracing::warn!(
                attempt = tries.number,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "request failed, retrying"
            ),
            Pacing::Limiter { .. } => tracing::debug!(
                attempt = tries.number,
                error = %error,
                "rate limited: the request goes again when the client's rate limiter lets it"
            ),
        }
        if !stop.wait(wait).await {
            tracing::info!(attempt = tries.number, error = %error, "not retried: the client was told to stop retrying");
            return false;
        }
        tries.number += 1;
        true
    }
}

/// A client's word to stop retrying ([`Client::stop_retrying`](crate::Client::stop_retrying)),
/// once given: waits before a retry end at once, and no retry follows.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    set: std::sync::atomic::AtomicBool,
    given: tokio::sync::Notify,
}

impl Stop {
    /// Gives the word: every wait ends, no retry follows.
    pub(crate) fn set(&self) {
        self.set.store(true, std::sync::atomic::Ordering::Release);
        self.given.notify_waiters();
    }

    /// Whether the word was given.
    pub(crate) fn is_set(&self) -> bool {
        self.set.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Waits `wait`; false when the word is given first.
    async fn wait(&self, wait: Duration) -> bool {
        let given = self.given.notified();
        if self.is_set() {
            return false;
        }
        let sleep = tokio::time::sleep(wait);
        futures::pin_mut!(given, sleep);
        match futures::future::select(given, sleep).await {
            futures::future::Either::Left(_) => false,
            futures::future::Either::Right(_) => !self.is_set(),
        }
    }
}

/// What an attempt came to, for [`RetryPolicy::run`].
#[derive(Debug)]
pub(crate) enum Step<T> {
    /// Stop, with this result.
    Done(T),
    /// A failure that may pass: go again if the policy allows, else stop
    /// with `result`.
    Again {
        /// The attempt's result, returned if there is no next attempt.
        result: T,
        /// The delay the server asked for, if it did.
        retry_after: Option<Duration>,
        /// Who decides when it goes again.
        pacing: Pacing,
        /// What happened, in words, for the log.
        why: String,
    },
}

/// Who decides when a failed attempt goes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pacing {
    /// The retry policy: its backoff, or the server's `Retry-After`.
    Policy,
    /// The client's rate limiter, which holds every request of the client
    /// to a rate, or pauses them all after a run of 429s: the request goes
    /// again as soon as the limiter lets it. `counts`: whether the attempt
    /// counts against `max_attempts`; a 429 of a run the limiter took charge
    /// of does not, since the limiter's pauses, not the request, decide how
    /// long the client waits for the server's window to end.
    Limiter {
        /// Whether the attempt counts against `max_attempts`.
        counts: bool,
    },
}

/// The attempts of one request so far.
#[derive(Debug)]
struct Tries {
    /// The number of the attempt under way or just made, from 1.
    number: u32,
    /// The attempts that count against `max_attempts`.
    counted: u32,
    /// When the first attempt began, on tokio's clock (tests pause it).
    started: tokio::time::Instant,
}

impl Tries {
    /// Before the first attempt.
    fn new() -> Tries {
        Tries {
            number: 1,
            counted: 0,
            started: tokio::time::Instant::now(),
        }
    }
}

/// The `Retry-After` delay of a response: seconds, or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, Result};
    use reqwest::header::HeaderValue;

    fn rate_limited(retry_after: Option<Duration>) -> Error {
        Error::RateLimited {
            operation: "list_leads",
            retry_after,
            attempts: 1,
            request_id: None,
        }
    }

    /// Runs `policy` over attempts that fail with `errors` in turn, then
    /// succeed; returns the result and how long it took on tokio's clock.
    async fn run_through(policy: &RetryPolicy, errors: Vec<Error>) -> (Result<u32>, Duration) {
        paced_run_through(
            policy,
            errors.into_iter().map(|e| (e, Pacing::Policy)).collect(),
            Duration::ZERO,
        )
        .await
    }

    /// Like [`run_through`], each failure with who decides when it goes
    /// again, each attempt taking `took`.
    async fn paced_run_through(
        policy: &RetryPolicy,
        errors: Vec<(Error, Pacing)>,
        took: Duration,
    ) -> (Result<u32>, Duration) {
        let started = tokio::time::Instant::now();
        let errors = std::sync::Mutex::new(errors.into_iter());
        let (result, attempts) = policy
            .run(|attempt| {
                let next = errors.lock().unwrap().next();
                async move {
                    tokio::time::sleep(took).await;
                    match next {
                        Some((error, pacing)) if error.is_retryable() => Step::Again {
                            retry_after: error.retry_after(),
                            why: error.to_string(),
                            result: Err(error),
                            pacing,
                        },
                        Some((error, _)) => Step::Done(Err(error)),
                        None => Step::Done(Ok(attempt)),
                    }
                }
            })
            .await;
        (
            result.map_err(|e| e.with_attempts(attempts)),
            started.elapsed(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_the_rate_limiter_took_charge_of_wait_for_it_and_use_up_no_attempts() {
        let policy = RetryPolicy::default().max_attempts(3);
        // Ten refused while the limiter waited out the server's window: no
        // backoff on top of the limiter's pauses, and the request is not
        // out of attempts when the window opens.
        let absorbed = (0..10)
            .map(|_| (rate_limited(None), Pacing::Limiter { counts: false }))
            .collect();
        let (result, took) = paced_run_through(&policy, absorbed, Duration::from_millis(5)).await;
        assert_eq!(result.unwrap(), 11, "the eleventh attempt gets through");
        assert_eq!(took, Duration::from_millis(55), "no wait but the attempts'");

        // Passing 429s while the limiter holds the client to a rate count,
        // and go again at once (the limiter's next token is the wait).
        let lone = (0..5)
            .map(|_| (rate_limited(None), Pacing::Limiter { counts: true }))
            .collect();
        let (result, took) = paced_run_through(&policy, lone, Duration::from_millis(5)).await;
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 3, .. })),
            "{result:?}"
        );
        assert_eq!(took, Duration::from_millis(15));

        // However long the limiter waits, the time budget bounds it.
        let policy = policy.max_elapsed(Duration::from_secs(5));
        let forever = (0..1000)
            .map(|_| (rate_limited(None), Pacing::Limiter { counts: false }))
            .collect();
        let (result, took) = paced_run_through(&policy, forever, Duration::from_secs(1)).await;
        assert!(
            matches!(
                result,
                Err(Error::RateLimited {
                    attempts: 5 | 6,
                    ..
                })
            ),
            "{result:?}"
        );
        assert!(took <= Duration::from_secs(6), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn waits_as_long_as_retry_after_asks_then_succeeds() {
        let (result, took) = run_through(
            &RetryPolicy::default(),
            vec![rate_limited(Some(Duration::from_secs(1)))],
        )
        .await;
        assert_eq!(result.unwrap(), 2, "succeeds on the second attempt");
        assert_eq!(took, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_retry_after_is_cut_to_the_cap() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_millis(50));
        let (result, took) =
            run_through(&policy, vec![rate_limited(Some(Duration::from_secs(3600)))]).await;
        assert_eq!(result.unwrap(), 2);
        assert_eq!(took, Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_time_budget_gives_up_at_once() {
        let policy = RetryPolicy::default().max_elapsed(Duration::from_millis(500));
        let (result, took) =
            run_through(&policy, vec![rate_limited(Some(Duration::from_secs(2)))]).await;
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 1, .. })),
            "{result:?}"
        );
        assert_eq!(took, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_it_backs_off_within_the_bounds_and_counts_attempts() {
        let policy = RetryPolicy::default()
            .max_attempts(4)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(250));
        let errors = (0..5).map(|_| rate_limited(None)).collect();
        let (result, took) = run_through(&policy, errors).await;
        assert!(
            matches!(result, Err(Error::RateLimited { attempts: 4, .. })),
            "{result:?}"
        );
        // Three waits, each at most 100, 200 and 250 ms.
        assert!(took <= Duration::from_millis(550), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_that_cannot_pass_is_returned_at_once() {
        let not_found = Error::NotFound {
            operation: "list_leads",
            message: "Resource could not be found".to_owned(),
            request_id: None,
        };
        let (result, took) = run_through(&RetryPolicy::default(), vec![not_found]).await;
        assert!(matches!(result, Err(Error::NotFound { .. })), "{result:?}");
        assert_eq!(took, Duration::ZERO);
    }

    #[test]
    fn backoff_is_jittered_exponential_and_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
        for _ in 0..200 {
            assert!(policy.wait(1, None) <= Duration::from_millis(100));
            assert!(policy.wait(2, None) <= Duration::from_millis(200));
            assert!(policy.wait(3, None) <= Duration::from_millis(350));
            assert!(policy.wait(40, None) <= Duration::from_millis(350));
        }
        // Full jitter: waits spread over the whole range.
        let waits: Vec<Duration> = (0..200).map(|_| policy.wait(3, None)).collect();
        assert!(waits.iter().any(|w| *w < Duration::from_millis(100)));
        assert!(waits.iter().any(|w| *w > Duration::from_millis(250)));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
