//! The arithmetic of the rate: the CUBIC curve it grows back along, the
//! decrease on a run of 429s, and the estimates of the server's limit the
//! decrease starts from. Pure functions of plain numbers (rates in requests
//! a second, times in seconds or [`Duration`]s): no clock, no locks; the
//! limiter measures and passes what they need.

use std::time::Duration;

/// The rate falls to this share of the refused rate on a run of 429s.
pub(super) const BETA: f64 = 0.95;
/// How fast the rate grows back (requests per second, per second cubed).
pub(super) const SCALE: f64 = 0.1;
/// The lowest rate the limiter falls to, in requests per second.
pub(super) const MIN_RATE: f64 = 0.5;
/// A run of 429s when the client was held to less than this many times what
/// the server let through (and more than a second after the last decrease)
/// is the end of a window reached a little early: the rate decreases,
/// without a pause, since the next window is about to open.
pub(super) const EDGE: f64 = 1.1;
/// Windows this long or longer end where no measure over a second can
/// tell: a client that learnt them pauses at a 429 until the next opens.
pub(super) const LONG_WINDOW: Duration = Duration::from_secs(2);
/// How many times the rate grows each second of a slow start.
pub(super) const SLOW_START_GROWTH: f64 = 2.0;
/// A cycle's limit under this share of the estimate corrects it.
const CORRECT_UNDER: f64 = 0.9;
/// A cycle's limit under this share of the estimate says the client was
/// idle for part of the cycle, not where the limit is.
const IDLE_UNDER: f64 = 0.5;

/// The curve the rate grows back along after a decrease: from `BETA` times
/// the refused rate, fast at first, flat at the refused rate (where the
/// server's limit is), then faster and faster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Curve {
    /// Where the curve flattens: the rate refused at the last decrease.
    pub(super) refused_rate: f64,
    /// Seconds from the start of the curve until it is back at
    /// `refused_rate`.
    pub(super) time_to_refused: f64,
}

impl Curve {
    /// Flat at `rate`: the curve before the first decrease, which no rate
    /// follows (a rate grows along a curve only once a decrease shaped it).
    pub(super) fn flat(rate: f64) -> Curve {
        Curve {
            refused_rate: rate,
            time_to_refused: 0.0,
        }
    }

    /// The curve that levels off at `refused`, growing from `BETA` times it.
    pub(super) fn level_off_at(refused: f64) -> Curve {
        Curve {
            refused_rate: refused,
            time_to_refused: (refused * (1.0 - BETA) / SCALE).cbrt(),
        }
    }

    /// The rate `since` seconds after the curve started.
    pub(super) fn rate_at(&self, since: f64) -> f64 {
        SCALE * (since - self.time_to_refused).powi(3) + self.refused_rate
    }

    /// Where the curve starts: `BETA` times the refused rate.
    pub(super) fn start(&self) -> f64 {
        self.refused_rate - SCALE * self.time_to_refused.powi(3)
    }
}

/// The rate `since` seconds along `curve`, for a client measured sending
/// `sending` requests a second (`0.0`: not measured yet): not past twice
/// what it sends, so that an idle client does not bank a rate it then
/// bursts with, but never under where the curve started because of that.
pub(super) fn grown(curve: Curve, since: f64, sending: f64) -> f64 {
    curve.rate_at(since).min(ceiling(sending, curve.start()))
}

/// The most a rate may grow to for a client measured sending `sending`
/// requests a second (`0.0`: not measured yet, no bound): twice that, but
/// never under `floor`, where the growth started.
fn ceiling(sending: f64, floor: f64) -> f64 {
    if sending > 0.0 {
        (2.0 * sending).max(floor)
    } else {
        f64::INFINITY
    }
}

/// The rate `since` seconds into a slow start from `from` (after a run of
/// 429s that measured a token bucket's burst, not its rate): grown
/// [`SLOW_START_GROWTH`] times each second until 429s come again, but no
/// more than twice the rate the client is `sending` at (0: not measured
/// yet), as [`grown`] holds it.
pub(super) fn slow_start(from: f64, since: f64, sending: f64) -> f64 {
    (from * SLOW_START_GROWTH.powf(since)).min(ceiling(sending, from))
}

/// The rate the server refused, from the rate the client was `sending` at,
/// the rate it was `held_to`, and the rate the server `let_through`, each
/// over the same recent time: the least of the three, and at least
/// [`MIN_RATE`]. A limit counted over a second (or less) is about
/// `let_through`, whatever the client sent; a limit over a minute is far
/// above it, and the sending rate is the bound.
pub(super) fn refused_rate(sending: f64, held_to: f64, let_through: f64) -> f64 {
    sending.min(held_to).min(let_through).max(MIN_RATE)
}

/// The rate after a decrease from the `refused` rate (before the cap and
/// the floor).
pub(super) fn decreased(refused: f64) -> f64 {
    refused * BETA
}

/// `rate`, at least [`MIN_RATE`] and at most `cap`.
pub(super) fn within(rate: f64, cap: Option<f64>) -> f64 {
    let rate = rate.max(MIN_RATE);
    match cap {
        Some(cap) => rate.min(cap),
        None => rate,
    }
}

/// Whether a run of 429s is the end of a window reached a little early
/// (the next one is about to open, so the client slows down without a
/// pause): it came without a `Retry-After`, the client was `held_to` a rate
/// under [`EDGE`] times what the server `let_through`, the last decrease
/// (if any) was more than a second ago, and the server's windows, if the
/// client learnt their `cycle`, are shorter than [`LONG_WINDOW`]: what got
/// through is measured over a second, which says nothing of the end of a
/// longer window.
pub(super) fn at_window_edge(
    held_to: f64,
    let_through: f64,
    since_decrease: Option<Duration>,
    retry_after: Option<Duration>,
    cycle: Option<Duration>,
) -> bool {
    retry_after.is_none()
        && cycle.is_none_or(|cycle| cycle < LONG_WINDOW)
        && held_to.is_finite()
        && let_through.is_finite()
        && held_to < EDGE * let_through
        && since_decrease.is_none_or(|since| since > Duration::from_secs(1))
}

/// The server's limit, from a whole cycle of its window (from the end of
/// one pause to the end of the next) in which it let `let_through` answers
/// through, when that corrects the `estimate` made at the decrease: a
/// window boundary can inflate the estimate (up to twice the limit, in the
/// second before it), and a cycle is the limit exactly for a client that
/// kept the server busy. `None` when the cycle's rate is not well under the
/// estimate, or so far under it that the client was idle for part of the
/// cycle (which says nothing of the limit).
pub(super) fn cycle_limit(let_through: u64, cycle: Duration, estimate: f64) -> Option<f64> {
    let limit = let_through as f64 / cycle.as_secs_f64().max(0.001);
    (limit < CORRECT_UNDER * estimate && limit >= IDLE_UNDER * estimate).then_some(limit)
}

/// The curve's arithmetic, number by number.
#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `a` is `b`, to within rounding.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn the_curve_starts_at_beta_times_the_refused_rate_and_flattens_there() {
        for refused in [0.5, 3.0, 50.0, 100.0, 2000.0] {
            let curve = Curve::level_off_at(refused);
            assert!(close(curve.start(), BETA * refused), "{curve:?}");
            assert!(close(curve.rate_at(0.0), BETA * refused), "{curve:?}");
            assert_eq!(curve.rate_at(curve.time_to_refused), refused);
            // Flat around the refused rate: a tenth of the way before and
            // after, within a hair of it.
            let near = 0.1 * curve.time_to_refused;
            for t in [curve.time_to_refused - near, curve.time_to_refused + near] {
                assert!((curve.rate_at(t) - refused).abs() < 0.001 * refused + 1e-9);
            }
        }
    }

    #[test]
    fn the_curve_grows_fast_then_flat_then_faster_and_faster() {
        let curve = Curve::level_off_at(100.0);
        // Back at the refused rate in cbrt(100 * 0.05 / 0.1) s.
        assert!(close(curve.time_to_refused, 50.0_f64.cbrt()));
        let rates: Vec<f64> = (0..=40)
            .map(|i| curve.rate_at(f64::from(i) * 0.25))
            .collect();
        assert!(rates.windows(2).all(|w| w[1] >= w[0]), "{rates:?}");
        let steps: Vec<f64> = rates.windows(2).map(|w| w[1] - w[0]).collect();
        let flattest = steps.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(steps[0] > 10.0 * flattest, "fast at first: {steps:?}");
        assert!(steps[39] > steps[20], "faster and faster: {steps:?}");
        // Ten seconds past the flat part: 100 over the refused rate.
        assert!((curve.rate_at(curve.time_to_refused + 10.0) - 200.0).abs() < 1e-6);
    }

    #[test]
    fn a_flat_curve_stays_at_its_rate() {
        let curve = Curve::flat(20.0);
        assert_eq!(curve.start(), 20.0);
        assert_eq!(curve.rate_at(0.0), 20.0);
        assert_eq!(Curve::flat(f64::INFINITY).refused_rate, f64::INFINITY);
    }

    #[test]
    fn the_rate_grows_past_twice_the_sending_rate_only_down_to_the_start() {
        let curve = Curve::level_off_at(100.0);
        let late = curve.time_to_refused + 10.0;
        // Not measured yet: the curve alone.
        assert_eq!(grown(curve, late, 0.0), curve.rate_at(late));
        // Sending at 60 a second: held to 120, not 200.
        assert!((curve.rate_at(late) - 200.0).abs() < 1e-9);
        assert_eq!(grown(curve, late, 60.0), 120.0);
        // Sending at 30 a second, or nearly idle: held to where the curve
        // started, not under it.
        assert!(close(grown(curve, late, 30.0), BETA * 100.0));
        assert!(close(grown(curve, late, 1.0), BETA * 100.0));
        // Sending a lot: the curve is the bound.
        assert_eq!(grown(curve, 0.5, 500.0), curve.rate_at(0.5));
    }

    #[test]
    fn a_slow_start_doubles_each_second_within_twice_the_sending_rate() {
        assert_eq!(slow_start(30.0, 0.0, 0.0), 30.0);
        assert_eq!(slow_start(30.0, 1.0, 0.0), 60.0);
        assert_eq!(slow_start(30.0, 2.5, 0.0), 30.0 * 2.0_f64.powf(2.5));
        assert_eq!(slow_start(30.0, 2.0, 40.0), 80.0);
        assert_eq!(slow_start(30.0, 2.0, 5.0), 30.0);
    }

    #[test]
    fn the_refused_rate_is_the_least_of_the_three_and_at_least_the_floor() {
        assert_eq!(refused_rate(80.0, f64::INFINITY, 50.0), 50.0);
        assert_eq!(refused_rate(40.0, f64::INFINITY, 50.0), 40.0);
        assert_eq!(refused_rate(80.0, 30.0, 50.0), 30.0);
        assert_eq!(refused_rate(0.0, 30.0, 0.0), MIN_RATE);
        assert_eq!(decreased(100.0), 100.0 * BETA);
    }

    #[test]
    fn a_rate_stays_within_the_floor_and_the_cap() {
        assert_eq!(within(0.1, None), MIN_RATE);
        assert_eq!(within(42.0, None), 42.0);
        assert_eq!(within(f64::INFINITY, None), f64::INFINITY);
        assert_eq!(within(42.0, Some(10.0)), 10.0);
        assert_eq!(within(4.0, Some(10.0)), 4.0);
        assert_eq!(within(f64::INFINITY, Some(10.0)), 10.0);
        // The cap wins over the floor.
        assert_eq!(within(0.1, Some(0.2)), 0.2);
    }

    #[test]
    fn a_run_is_the_end_of_a_window_only_when_held_just_over_what_got_through() {
        let long_ago = Some(Duration::from_secs(5));
        let second = Some(Duration::from_secs(1));
        assert!(at_window_edge(105.0, 100.0, long_ago, None, None));
        assert!(at_window_edge(105.0, 100.0, None, None, None));
        assert!(at_window_edge(105.0, 100.0, long_ago, None, second));
        // Held well over what got through: the limit, not its window's end.
        assert!(!at_window_edge(120.0, 100.0, long_ago, None, None));
        assert!(!at_window_edge(200.0, 100.0, long_ago, None, None));
        // Not held to a rate at all.
        assert!(!at_window_edge(f64::INFINITY, 100.0, long_ago, None, None));
        // Refused again within a second of the last decrease.
        assert!(!at_window_edge(105.0, 100.0, second, None, None));
        // The server said how long to wait.
        let now = Some(Duration::ZERO);
        assert!(!at_window_edge(105.0, 100.0, long_ago, now, None));
        // Windows of two seconds or more: a second says nothing of their end.
        let long = Some(LONG_WINDOW);
        assert!(!at_window_edge(105.0, 100.0, long_ago, None, long));
    }

    #[test]
    fn a_cycle_corrects_an_estimate_it_is_well_under_but_not_far_under() {
        let second = Duration::from_secs(1);
        // 200 estimated (a burst straddled two windows), 100 a cycle.
        assert_eq!(cycle_limit(100, second, 200.0), Some(100.0));
        assert_eq!(cycle_limit(300, 3 * second, 200.0), Some(100.0));
        // Close to the estimate: it stands.
        assert_eq!(cycle_limit(90, second, 100.0), None);
        assert_eq!(cycle_limit(89, second, 100.0), Some(89.0));
        // Under half: the client was idle for part of the cycle.
        assert_eq!(cycle_limit(50, second, 100.0), Some(50.0));
        assert_eq!(cycle_limit(49, second, 100.0), None);
        // A cycle of no time counts as a millisecond.
        assert_eq!(cycle_limit(1, Duration::ZERO, 2000.0), Some(1000.0));
    }
}
