//! The bookkeeping of what happened over time: the requests the client sent
//! and the answers the server let through over the last second, the 429s in
//! a row, and the client's smoothed sending rate. Counts only; what they
//! mean for the rate is the limiter's and the curve's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// How long the sending rate is measured over before it is smoothed in.
pub(super) const MEASURE_EVERY: Duration = Duration::from_millis(500);
/// The weight of the latest measurement of the sending rate.
pub(super) const SMOOTHING: f64 = 0.8;

/// A count of events over the last second, in ten slots of 100 ms; without
/// a lock (concurrent counts may race a slot's reset: the count is an
/// estimate).
#[derive(Debug)]
pub(super) struct LastSecond {
    /// The instant period 0 starts at.
    origin: Instant,
    /// The events of each slot's period.
    counts: [AtomicU64; 10],
    /// The number of the 100 ms period each slot counts.
    periods: [AtomicU64; 10],
    /// Every event counted, ever.
    total: AtomicU64,
}

impl LastSecond {
    /// A count with nothing counted, whose periods start at `origin`.
    pub(super) fn new(origin: Instant) -> LastSecond {
        LastSecond {
            origin,
            counts: Default::default(),
            periods: Default::default(),
            total: AtomicU64::new(0),
        }
    }

    /// Every event counted, ever.
    pub(super) fn ever(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The number of the 100 ms period `now` falls in.
    fn period(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.origin).as_millis() / 100)
            .unwrap_or(u64::MAX)
    }

    /// Counts one event, `now`.
    pub(super) fn count(&self, now: Instant) {
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
        self.last_second(now, true).0
    }

    /// The events of the ten periods of 100 ms up to now (the one under way
    /// included), and the time they cover (from 0.9 s to 1 s). A limiter
    /// younger than that counts its life as a second: a burst in the first
    /// moments says how many the server lets through, not how fast.
    fn last_second(&self, now: Instant, young_as_a_second: bool) -> (u64, Duration) {
        let period = self.period(now);
        let first = period.saturating_sub(9);
        let count = self.sum(first, period);
        if period < 9 {
            let life = now.saturating_duration_since(self.origin);
            return (
                count,
                if young_as_a_second {
                    Duration::from_secs(1)
                } else {
                    life.max(Duration::from_millis(200))
                },
            );
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
    /// was less than a second ago; unknown (infinite) when `since` was
    /// less than 200 ms ago: a few answers just after a pause are no rate
    /// (counted over 200 ms, they made one far under the client's). A count younger
    /// than a second counts its life as a second when `young_as_a_second`
    /// (a burst at the start says how many a window lets through, not how
    /// fast), else its life (at least 200 ms).
    pub(super) fn per_second(
        &self,
        now: Instant,
        since: Option<Instant>,
        young_as_a_second: bool,
    ) -> f64 {
        match since {
            Some(since) if now.saturating_duration_since(since) < Duration::from_secs(1) => {
                // Too short a time to tell a rate from: unknown.
                if now.saturating_duration_since(since) < Duration::from_millis(200) {
                    return f64::INFINITY;
                }
                let (count, over) = self.since(now, since);
                count as f64 / over.as_secs_f64()
            }
            _ => {
                let (count, over) = self.last_second(now, young_as_a_second);
                count as f64 / over.as_secs_f64().max(0.1)
            }
        }
    }

    /// The events of the slots that count periods `first` to `last`.
    fn sum(&self, first: u64, last: u64) -> u64 {
        (0..10)
            .filter(|&slot| (first..=last).contains(&self.periods[slot].load(Ordering::Relaxed)))
            .map(|slot| self.counts[slot].load(Ordering::Relaxed))
            .sum()
    }
}

/// How many of the last [`RECENT`] answers were 429; without a lock.
#[derive(Debug)]
pub(super) struct RecentRefusals {
    /// The last 64 answers, newest in the lowest bit: 1 for a 429.
    answers: AtomicU64,
    /// Answers counted, ever.
    seen: AtomicU64,
    /// `seen` when a first attempt last got through; [`NEVER`] before.
    first_through: AtomicU64,
    /// The instant the milliseconds below count from.
    origin: Instant,
    /// When the last 429 came, in milliseconds from `origin`.
    last_refused_ms: AtomicU64,
}

/// 429s further apart than this are not the same limit at work: the history
/// forgets those before (two 429s an hour apart are no run).
pub(super) const FORGET_AFTER: Duration = Duration::from_secs(30);

/// No first attempt got through yet.
const NEVER: u64 = u64::MAX;

impl RecentRefusals {
    /// No answer counted yet; times count from `origin`.
    pub(super) fn new(origin: Instant) -> Self {
        RecentRefusals {
            answers: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            first_through: AtomicU64::new(NEVER),
            origin,
            last_refused_ms: AtomicU64::new(0),
        }
    }
}

/// 429s among the last [`RECENT`] answers that are the server's limit: a
/// window refuses every request until it ends, a token bucket one here and
/// there among those it lets through; either way they keep coming. One
/// alone (a proxy's, a fault) is only retried.
pub(super) const RECENT_LIMIT: u32 = 2;

/// Answers that got through between a 429 and the one before it that show
/// a limit refusing here and there (a token bucket), not a window's run.
pub(super) const SCATTERED: u32 = 3;

/// How many of the latest answers [`RecentRefusals::count`] looks back on.
pub(super) const RECENT: u32 = 16;

impl RecentRefusals {
    /// The 429s among the last [`RECENT`] answers, counting nothing.
    pub(super) fn peek(&self) -> u32 {
        (self.answers.load(Ordering::Relaxed) & ((1 << RECENT) - 1)).count_ones()
    }

    /// Counts that a first attempt (not a retry) got through.
    pub(super) fn first_through(&self) {
        let seen = self.seen.load(Ordering::Relaxed);
        if self.first_through.load(Ordering::Relaxed) != seen {
            self.first_through.store(seen, Ordering::Relaxed);
        }
    }

    /// Whether a first attempt got through among the last [`RECENT`]
    /// answers counted: other requests get through, and a retry refused
    /// again is a fault of its own, not the server's limit. Retries that
    /// get through do not count: when every request in flight is a retry of
    /// a refused one, the limit refuses them all but the few a window
    /// lets through.
    pub(super) fn first_through_lately(&self) -> bool {
        let at = self.first_through.load(Ordering::Relaxed);
        at != NEVER && self.seen.load(Ordering::Relaxed).saturating_sub(at) < u64::from(RECENT)
    }

    /// The answers that got through between the latest 429 counted and
    /// the 429 before it, among the last 64 (63 when there is none): few
    /// for a window, which refuses every request until it ends; more for a
    /// token bucket, which refuses one here and there.
    pub(super) fn through_before_latest(&self) -> u32 {
        let answers = self.answers.load(Ordering::Relaxed);
        let latest = answers.trailing_zeros();
        match answers.checked_shr(latest + 1) {
            Some(before) if before != 0 => before.trailing_zeros(),
            _ => 63,
        }
    }

    /// The share of 429s among the last 64 answers.
    pub(super) fn share_of_64(&self) -> f64 {
        f64::from(self.answers.load(Ordering::Relaxed).count_ones()) / 64.0
    }

    /// Counts an answer, `throttled` (429) or not, that came `now`, and
    /// returns the 429s among the last [`RECENT`] answers, this one
    /// included; a 429 more than [`FORGET_AFTER`] after the last one
    /// forgets those before.
    pub(super) fn count(&self, throttled: bool, now: Instant) -> u32 {
        // The common case, an answer that got through with no 429 among the
        // last: nothing to write.
        if !throttled && self.answers.load(Ordering::Relaxed) == 0 {
            // Counted once there is a 429 to tell apart from: `seen` only
            // matters while the history holds one.
            return 0;
        }
        if throttled {
            let ms = u64::try_from(now.saturating_duration_since(self.origin).as_millis())
                .unwrap_or(u64::MAX);
            let last = self.last_refused_ms.swap(ms, Ordering::Relaxed);
            if ms.saturating_sub(last) > FORGET_AFTER.as_millis() as u64 {
                self.answers.store(0, Ordering::Relaxed);
            }
        }
        self.seen.fetch_add(1, Ordering::Relaxed);
        let bit = u64::from(throttled);
        let previous = self
            .answers
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                Some((r << 1) | bit)
            })
            .unwrap_or_default();
        (((previous << 1) | bit) & ((1 << RECENT) - 1)).count_ones()
    }
}

/// The rate the client sends at, measured every [`MEASURE_EVERY`] and
/// smoothed.
#[derive(Debug, Default)]
pub(super) struct SendingRate {
    /// The smoothed rate, in requests a second; 0 until measured.
    pub(super) measured: f64,
    /// When the last measurement ended; `None` before the first.
    measured_at: Option<Instant>,
    /// Requests sent, ever, when the last measurement ended.
    sent_then: u64,
}

impl SendingRate {
    /// With `sent` requests sent ever by `now`: folds the requests sent
    /// since the last measurement into the smoothed rate, if that was at
    /// least [`MEASURE_EVERY`] ago. The first call only starts measuring.
    pub(super) fn measure(&mut self, now: Instant, sent: u64) {
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
        self.measured = smoothed(self.measured, rate);
        self.measured_at = Some(now);
        self.sent_then = sent;
    }

    /// Forgets the rate and measures afresh from `now`, with `sent`
    /// requests sent ever: after a pause, which is not the rate the client
    /// sends at.
    pub(super) fn restart(&mut self, now: Instant, sent: u64) {
        self.measured = 0.0;
        self.measured_at = Some(now);
        self.sent_then = sent;
    }
}

/// The smoothed rate after a `latest` measurement: [`SMOOTHING`] of it and
/// the rest of the `previous` smoothed rate; the measurement alone when
/// there was none before (`previous` is 0).
pub(super) fn smoothed(previous: f64, latest: f64) -> f64 {
    if previous == 0.0 {
        latest
    } else {
        SMOOTHING * latest + (1.0 - SMOOTHING) * previous
    }
}

/// The counts over time.
#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test(start_paused = true)]
    async fn a_rate_since_a_recent_instant_is_over_that_time_and_unknown_under_200_ms() {
        let origin = Instant::now();
        let counter = LastSecond::new(origin);
        // A young count takes its life for a second.
        for _ in 0..20 {
            counter.count(Instant::now());
        }
        assert_eq!(counter.per_second(Instant::now(), None, true), 20.0);
        tokio::time::advance(Duration::from_secs(3)).await;
        let since = Instant::now();
        for _ in 0..30 {
            counter.count(Instant::now());
            tokio::time::advance(Duration::from_millis(10)).await;
        }
        let now = Instant::now();
        // 30 in the 300 ms since `since`; 30 in the last ten periods, which
        // cover 900 ms at the start of a period.
        assert!((counter.per_second(now, Some(since), true) - 100.0).abs() < 1e-9);
        assert!((counter.per_second(now, None, true) - 30.0 / 0.9).abs() < 1e-9);
        // Ten of them in the last 100 ms: too short a time to tell.
        let late = now - Duration::from_millis(100);
        assert_eq!(counter.per_second(now, Some(late), true), f64::INFINITY);
        let early = now - Duration::from_millis(200);
        assert!((counter.per_second(now, Some(early), true) - 100.0).abs() < 1e-9);
        // A second ago or more: the last second.
        assert_eq!(
            counter.per_second(now, Some(since - Duration::from_secs(1)), true),
            counter.per_second(now, None, true)
        );
        assert_eq!(counter.ever(), 50);
    }

    #[tokio::test(start_paused = true)]
    async fn the_recent_429s_are_those_of_the_last_sixteen_answers() {
        let recent = RecentRefusals::new(Instant::now());
        let now = Instant::now();
        assert_eq!(recent.count(true, now), 1);
        assert_eq!(recent.count(false, now), 1);
        assert_eq!(recent.count(true, now), 2);
        for _ in 0..RECENT - 2 {
            recent.count(false, now);
        }
        // The first 429 is now seventeen answers back.
        assert_eq!(recent.count(false, now), 1);
        assert_eq!(recent.count(false, now), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_answers_between_the_last_two_429s_are_counted() {
        let recent = RecentRefusals::new(Instant::now());
        let now = Instant::now();
        assert_eq!(recent.through_before_latest(), 63, "no 429 yet");
        recent.count(true, now);
        assert_eq!(recent.through_before_latest(), 63, "one 429");
        recent.count(true, now);
        assert_eq!(recent.through_before_latest(), 0, "in a row, as a window");
        for _ in 0..5 {
            recent.count(false, now);
        }
        recent.count(true, now);
        assert_eq!(recent.through_before_latest(), 5, "here and there");
        recent.count(false, now);
        assert_eq!(recent.through_before_latest(), 5, "from the latest 429");
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_far_apart_in_time_are_no_run() {
        let recent = RecentRefusals::new(Instant::now());
        assert_eq!(recent.count(true, Instant::now()), 1);
        tokio::time::advance(FORGET_AFTER).await;
        // Thirty seconds apart, and two answers: a run.
        assert_eq!(recent.count(false, Instant::now()), 1);
        assert_eq!(recent.count(true, Instant::now()), 2);
        tokio::time::advance(FORGET_AFTER + Duration::from_millis(1)).await;
        // Longer: the 429s before are forgotten.
        assert_eq!(recent.count(true, Instant::now()), 1);
        assert_eq!(recent.peek(), 1);
    }

    #[test]
    fn the_latest_measurement_weighs_most() {
        assert_eq!(smoothed(0.0, 40.0), 40.0);
        assert!((smoothed(10.0, 40.0) - 34.0).abs() < 1e-9);
        assert!((smoothed(40.0, 10.0) - 16.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sending_rate_is_measured_every_half_second() {
        let mut rate = SendingRate::default();
        rate.measure(Instant::now(), 100);
        assert_eq!(rate.measured, 0.0, "the first call starts measuring");
        tokio::time::advance(Duration::from_millis(400)).await;
        rate.measure(Instant::now(), 120);
        assert_eq!(rate.measured, 0.0, "not half a second yet");
        tokio::time::advance(Duration::from_millis(100)).await;
        rate.measure(Instant::now(), 150);
        assert_eq!(rate.measured, 100.0);
        tokio::time::advance(MEASURE_EVERY).await;
        rate.measure(Instant::now(), 150);
        assert!((rate.measured - 20.0).abs() < 1e-9, "{}", rate.measured);
        // A pause is not a rate: forgotten, then measured afresh.
        tokio::time::advance(Duration::from_secs(10)).await;
        rate.restart(Instant::now(), 150);
        assert_eq!(rate.measured, 0.0);
        tokio::time::advance(MEASURE_EVERY).await;
        rate.measure(Instant::now(), 160);
        assert_eq!(rate.measured, 20.0);
    }
}
