//! The token bucket requests take their turns from while the limiter holds
//! them to a rate. It holds at most one token: a rate, not a burst.

use std::time::Duration;

use tokio::time::Instant;

/// The longest a request waits for a token it reserved, in seconds.
const LONGEST_WAIT: f64 = 3600.0;

/// A token bucket that fills at `rate` tokens a second, up to one token.
#[derive(Debug)]
pub(super) struct Bucket {
    /// Tokens a second; the rate requests may leave at.
    pub(super) rate: f64,
    /// Tokens in the bucket; below zero when requests have reserved tokens
    /// still to come.
    tokens: f64,
    /// When the tokens were last counted.
    refilled: Instant,
}

/// A request's turn, from [`Bucket::take`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Turn {
    /// A token was there: the request goes now.
    Now,
    /// The request reserved the next token, earned after this long.
    Reserved(Duration),
}

impl Bucket {
    /// A bucket filling at `rate`, with one token in it `now`.
    pub(super) fn new(rate: f64, now: Instant) -> Bucket {
        Bucket {
            rate,
            tokens: 1.0,
            refilled: now,
        }
    }

    /// Adds the tokens earned since the last refill, up to one in the bucket.
    pub(super) fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = refilled(self.tokens, elapsed, self.rate);
        self.refilled = now;
    }

    /// Takes a token for a request leaving `now`, or reserves the next one.
    pub(super) fn take(&mut self, now: Instant) -> Turn {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Turn::Now
        } else {
            Turn::Reserved(Duration::from_secs_f64(wait_for(-self.tokens, self.rate)))
        }
    }

    /// Empties the bucket `now`: the next token is a whole one away at the
    /// rate. Done when the rate changes under a pause or a decrease, so that
    /// nothing earned before it leaves at once.
    pub(super) fn empty(&mut self, now: Instant) {
        self.refilled = now;
        self.tokens = 0.0;
    }
}

/// The tokens in a bucket that held `tokens` and filled at `rate` for
/// `elapsed` seconds: at most one; one at once at an infinite rate.
pub(super) fn refilled(tokens: f64, elapsed: f64, rate: f64) -> f64 {
    if rate.is_finite() {
        (tokens + elapsed * rate).min(1.0)
    } else {
        1.0
    }
}

/// Seconds until `owed` tokens are earned at `rate`; at most an hour.
pub(super) fn wait_for(owed: f64, rate: f64) -> f64 {
    (owed / rate).min(LONGEST_WAIT)
}

/// The bucket's turns and refills.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_fills_at_its_rate_up_to_one_token() {
        assert_eq!(refilled(0.0, 0.05, 10.0), 0.5);
        assert_eq!(refilled(-2.0, 0.1, 10.0), -1.0);
        assert_eq!(refilled(0.5, 60.0, 10.0), 1.0);
        assert_eq!(refilled(-5.0, 0.0, f64::INFINITY), 1.0);
    }

    #[test]
    fn a_reserved_token_comes_at_the_rate_within_an_hour() {
        assert_eq!(wait_for(1.0, 10.0), 0.1);
        assert_eq!(wait_for(3.0, 0.5), 6.0);
        assert_eq!(wait_for(10_000.0, 0.5), 3600.0);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_take_turns_one_token_at_a_time() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10.0, start);
        // One token at once, then each request reserves the next.
        assert_eq!(bucket.take(start), Turn::Now);
        assert_eq!(
            bucket.take(start),
            Turn::Reserved(Duration::from_millis(100))
        );
        assert_eq!(
            bucket.take(start),
            Turn::Reserved(Duration::from_millis(200))
        );
        // Idle for a minute: still only one token, no burst.
        let later = start + Duration::from_secs(60);
        assert_eq!(bucket.take(later), Turn::Now);
        assert_eq!(
            bucket.take(later),
            Turn::Reserved(Duration::from_millis(100))
        );
        // Emptied: the next token is a whole one away.
        let mut bucket = Bucket::new(10.0, start);
        bucket.empty(start);
        assert_eq!(
            bucket.take(start),
            Turn::Reserved(Duration::from_millis(100))
        );
        // No rate: every request goes.
        let mut open = Bucket::new(f64::INFINITY, start);
        for _ in 0..1000 {
            assert_eq!(open.take(start), Turn::Now);
        }
    }
}
