//! The client-wide rate limiter, and what it tells of itself:
//! [`RateLimitStatus`], from [`Client::rate_limit`](crate::Client::rate_limit).
//!
//! Each [`Client`](crate::Client) has one, shared by every request it makes
//! (each page of every stream, every bulk batch, single calls, and clones of
//! the client). It stays out of the way (a few atomic operations a request)
//! until 429s keep coming (two among the last 16 answers, in a row as a
//! window refuses or one here and there as a token bucket does), or from
//! the first request when the client has a cap
//! ([`ClientBuilder::max_requests_per_second`](crate::ClientBuilder::max_requests_per_second)).
//! Then requests wait for tokens at a rate that drops at each 429 that
//! comes again (one is enough once the client met the limit) and grows
//! back along a CUBIC curve (doubling each second instead after a token
//! bucket's burst); after a drop on a run of 429s the client pauses, and
//! one request probes before the others go (429s here and there to a
//! client already held to a rate drop it without a pause, as does a run at
//! the end of a window of a second; a client that learnt the server's
//! windows pauses at 429s here and there until the next window opens, and
//! so it does at any 429 when the windows are two seconds or longer).
//! Once a pause of two seconds or more showed fixed windows, the client
//! sends each window's budget as the window opens and waits for the next
//! (foreseen from their length), instead of pacing the budget over the
//! window; a request let through after one the window refused shows no
//! such window, and the client goes back to a rate.
//! 429s that keep coming (up to 15% of answers) although the client slowed
//! to half the rate it was refused at (a flaky proxy's, at random) undo
//! the drop.
//! [`ClientBuilder::adaptive_rate_limit`](crate::ClientBuilder::adaptive_rate_limit)
//! turns the adaptation off.
//!
//! The design, and why, is in `docs/rate-limiter.md` in this crate's
//! source, with a map of the code: the limiter (`limiter.rs`) decides, with
//! the clock and the lock; the curve's arithmetic (`curve.rs`), the pauses
//! (`probe.rs`) and the long windows (`long_windows.rs`) are pure
//! functions; the token bucket (`bucket.rs`) and the counts over time
//! (`window.rs`) are its bookkeeping.

mod bucket;
mod curve;
mod limiter;
mod long_windows;
mod probe;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;
mod window;

use std::time::Duration;

use tokio::time::Instant;

pub(crate) use limiter::RateLimiter;

/// The target of the limiter's log events, whichever file they come from.
const LOG_TARGET: &str = module_path!();

/// Permission to send one request, from [`RateLimiter::acquire`]; counts
/// the request as in flight while it lives. Give it back with
/// [`RateLimiter::record`].
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    /// The limiter that let the request go.
    limiter: &'a RateLimiter,
    /// When the request left.
    sent_at: Instant,
    /// Whether this request is the probe after a decrease.
    probe: bool,
    /// Whether the request's outcome was recorded.
    recorded: bool,
    /// Whether this is a retry of a request refused before: its 429 says
    /// nothing new of the server's limit (one request that keeps being
    /// refused while others get through is a fault of its own).
    retry: bool,
}

impl Permit<'_> {
    /// Marks the request as a retry of one that failed before.
    pub(crate) fn for_retry(mut self, retry: bool) -> Self {
        self.retry = retry;
        self
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.landed();
        if self.probe && !self.recorded {
            self.limiter.probe_dropped();
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
    /// no cap). While the client sends by long windows (each window's
    /// budget as it opens), their budget over their length, once two
    /// windows have shown it (`None` until then).
    pub requests_per_second: Option<f64>,
    /// Whether requests are paused after a 429, waiting for a probe to get
    /// through.
    pub paused: bool,
    /// How many answers were 429 (rate limited) so far.
    pub throttled: u64,
}
