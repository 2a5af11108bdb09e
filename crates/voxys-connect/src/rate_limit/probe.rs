//! The pause and the probe after a decrease: nothing leaves until the pause
//! ends, then one request (the probe) goes and the others wait for its
//! answer. The pauses are pure functions of durations; [`Probe`] is where
//! the limiter is, moved on by the instants the limiter passes it.

use std::time::Duration;

use tokio::time::Instant;

/// The first pause after a run of 429s, before the probe.
pub(super) const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest pause between probes (a `Retry-After` may ask for longer).
pub(super) const LONGEST_PAUSE: Duration = Duration::from_secs(10);
/// The longest pause between probes as a share of the time the client has
/// been refused so far: the window ends during the last pause, and the rest
/// of that pause is lost.
pub(super) const PAUSE_SHARE: f64 = 0.25;

/// How early the first probe goes before the window the limiter foresees,
/// as a share of the cycle: the probe is refused once rather than late.
pub(super) const EARLY_SHARE: f64 = 0.02;
/// Probes refused in one pause that show the limit counts in windows (a
/// token bucket lets the first or second through).
pub(super) const WINDOW_PROBES: u32 = 2;
/// The least share of a cycle its pause takes, for the cycle to be a
/// window's: a window refuses everything for the rest of it.
pub(super) const WINDOW_PAUSE_SHARE: f64 = 0.2;

/// Where the limiter is after a decrease.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    /// Requests go as tokens allow.
    Off,
    /// Nothing leaves until `until`; then one request, the probe.
    Waiting {
        /// When the pause ends and the probe may go.
        until: Instant,
        /// How long this pause is: the next refused probe doubles it.
        pause: Duration,
    },
    /// The probe is out; the others wait for its answer.
    Out {
        /// How long the pause before this probe was.
        pause: Duration,
    },
}

impl Probe {
    /// A pause of `pause` from `now`, then a probe.
    pub(super) fn pause_from(now: Instant, pause: Duration) -> Probe {
        Probe::Waiting {
            until: now + pause,
            pause,
        }
    }

    /// The length of the pause under way or the last one before the probe
    /// that is out; [`FIRST_PAUSE`] when there is none.
    pub(super) fn last_pause(self) -> Duration {
        match self {
            Probe::Out { pause } | Probe::Waiting { pause, .. } => pause,
            Probe::Off => FIRST_PAUSE,
        }
    }

    /// A `Retry-After` of `after` came `now`: a pause under way lasts at
    /// least that long (the whole client waits, not just the request that
    /// got it). A probe out, or no pause, is left as it is.
    pub(super) fn wait_at_least(&mut self, now: Instant, after: Duration) {
        if let Probe::Waiting { until, pause } = *self {
            *self = Probe::Waiting {
                until: until.max(now + after),
                pause,
            };
        }
    }

    /// The probe out was dropped unanswered `now` (its caller gave up):
    /// another request may probe at once.
    pub(super) fn dropped(&mut self, now: Instant) {
        if let Probe::Out { pause } = *self {
            *self = Probe::Waiting { until: now, pause };
        }
    }
}

/// The pause after a decrease: [`FIRST_PAUSE`], or the server's
/// `Retry-After` if longer.
pub(super) fn first_pause(retry_after: Option<Duration>) -> Duration {
    FIRST_PAUSE.max(retry_after.unwrap_or_default())
}

/// The pause after a refused probe, from the `last` pause and the time the
/// client has been `refused_for` (since the decrease): double the last, but
/// at most [`PAUSE_SHARE`] of the time refused (and at least
/// [`FIRST_PAUSE`]), at most [`LONGEST_PAUSE`]; and at least the server's
/// `Retry-After`.
pub(super) fn next_pause(
    last: Duration,
    refused_for: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    (last * 2)
        .min(refused_for.mul_f64(PAUSE_SHARE).max(FIRST_PAUSE))
        .min(LONGEST_PAUSE)
        .max(retry_after.unwrap_or_default())
}

/// The lengths, in seconds, a window aligned to the clock is likely to
/// have: Rack::Attack (the hosted service's limiter) numbers its windows
/// `Time.now.to_i / period`, so a window of a minute turns at each whole
/// minute of the server's clock, one of 5 s at each fifth second.
pub(super) const ALIGNED_PERIODS: [u64; 12] =
    [5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600];

/// How long after a turn of a window aligned to the clock, as the
/// client's clock tells it, a probe goes: the client's clock and the
/// server's may be apart by this much either way, and a probe that goes
/// before the turn is refused and waits a whole pause more.
pub(super) const ALIGNED_MARGIN: Duration = Duration::from_millis(100);

/// How soon a probe goes again after one just after a turn of a window
/// aligned to the clock was refused: the client's clock may be ahead of
/// the server's by more than [`ALIGNED_MARGIN`].
pub(super) const ALIGNED_RELOOK: Duration = Duration::from_millis(200);

/// When to probe for the turn of a window aligned to the clock, if one of
/// a likely length ([`ALIGNED_PERIODS`]) held the decrease at `decreased`
/// (time since the Unix epoch, as the client's clock tells it) and a probe
/// sent at `tested` was refused: [`ALIGNED_MARGIN`] after the first such
/// turn that the refused probe did not already try, as time since the
/// epoch. The caller probes then only if that comes before the pause ends:
/// a window that is not aligned (or a clock far off) costs no more pauses
/// than before, and an aligned one is found as it turns, not up to a pause
/// late.
pub(super) fn aligned_probe(decreased: Duration, tested: Duration) -> Option<Duration> {
    ALIGNED_PERIODS
        .iter()
        .filter_map(|&period| probe_after_turn(decreased.as_millis(), u128::from(period) * 1000))
        .filter(|&probe| probe > tested)
        .min()
}

/// [`ALIGNED_MARGIN`] after the first turn of a window of `period`
/// milliseconds aligned to the clock after `since` (milliseconds since the
/// epoch), as time since the epoch.
fn probe_after_turn(since: u128, period: u128) -> Option<Duration> {
    let turn = (since / period + 1) * period;
    Some(Duration::from_millis(u64::try_from(turn).ok()?) + ALIGNED_MARGIN)
}

/// When to probe for the next window, for a client sending by long
/// windows whose window under way turned at `turn` (time since the Unix
/// epoch, give or take `within`) and closed at `closed`, and whose length
/// was measured as `length`, give or take `off`.
///
/// The windows are taken for windows aligned to the clock, of the shortest
/// likely length ([`ALIGNED_PERIODS`]) such that:
/// - the turn fell on a whole multiple of it, give or take `within` and
///   [`ALIGNED_MARGIN`] (the clocks may be apart by as much);
/// - that slack, and `off` with the margin, are each under a quarter of
///   it: a turn or a length found more loosely says nothing of it (windows
///   of 3 s measured within 2 s are not windows of 5 s);
/// - it agrees with the measured length, give or take `off` and the
///   margin, and is at least `at_least`, less the margin (what the windows
///   are known to last).
///
/// The next turn is then the next multiple after `closed`, and the probe
/// goes [`ALIGNED_MARGIN`] after it. A length too short costs a refused
/// probe (and its second look), not a window.
pub(super) fn aligned_next_turn(
    turn: Duration,
    within: Duration,
    closed: Duration,
    at_least: Duration,
    (length, off): (Duration, Duration),
) -> Option<Duration> {
    let ms = |d: Duration| d.as_millis();
    let slack = within + ALIGNED_MARGIN;
    let (earliest, latest) = (ms(turn.saturating_sub(slack)), ms(turn + slack));
    let period = ALIGNED_PERIODS
        .iter()
        .map(|&p| u128::from(p) * 1000)
        .filter(|&p| p + ms(ALIGNED_MARGIN) >= ms(at_least))
        .filter(|&p| 4 * ms(slack) < p)
        .filter(|&p| 4 * (ms(off) + ms(ALIGNED_MARGIN)) < p)
        .filter(|&p| ms(length).abs_diff(p) <= ms(off) + ms(ALIGNED_MARGIN))
        .find(|&p| earliest.div_ceil(p) * p <= latest)?;
    probe_after_turn(ms(closed), period)
}

/// The pauses and the probe's states.
#[cfg(test)]
mod tests {
    use super::*;

    /// A millisecond.
    const MS: Duration = Duration::from_millis(1);
    /// A second.
    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_next_aligned_turn_is_foreseen_from_a_turn_on_a_whole_multiple() {
        // Seconds past a whole hour of the epoch, to the millisecond.
        let at = |s: u64, ms: u64| Duration::from_millis((3600 * 1000 + s) * 1000 + ms);
        // Lengths as measured, give or take their error.
        let five = (5100 * MS, 300 * MS);
        let three = (3 * S, 200 * MS);
        let twelve = (12 * S, 3 * S);
        let loose = (10 * S, 6 * S);
        // (why, the turn, give or take, the close, the least a window
        // lasts, its length, the probe foreseen)
        let cases = [
            (
                "windows of 5 s, aligned",
                at(15, 50),
                50 * MS,
                at(16, 200),
                4 * S,
                five,
                Some(at(20, 100)),
            ),
            (
                "closed a window after its turn: the next after the close",
                at(15, 0),
                50 * MS,
                at(27, 0),
                4 * S,
                five,
                Some(at(30, 100)),
            ),
            (
                "17.3 s is no multiple of 5 s",
                at(17, 300),
                200 * MS,
                at(18, 0),
                4 * S,
                five,
                None,
            ),
            (
                "windows of 3 s on a multiple of 5 s by chance",
                at(15, 0),
                50 * MS,
                at(16, 0),
                2 * S,
                three,
                None,
            ),
            (
                "measured within 6 s: it says nothing of a length",
                at(20, 0),
                50 * MS,
                at(21, 0),
                4 * S,
                loose,
                None,
            ),
            (
                "windows of 3 s measured within 2 s, on a multiple of 5 s",
                at(15, 0),
                50 * MS,
                at(16, 0),
                2 * S,
                (3 * S, 2 * S),
                None,
            ),
            (
                "12 s within 3 s: 15 s, a length the error is a quarter of",
                at(15, 50),
                50 * MS,
                at(16, 200),
                6 * S,
                twelve,
                Some(at(30, 100)),
            ),
            (
                "found within 2.5 s: nothing of 5 or 10 s, 15 s fits",
                at(17, 300),
                2500 * MS,
                at(18, 0),
                4 * S,
                twelve,
                Some(at(30, 100)),
            ),
            (
                "found within 2.5 s, measured at 5 s: nothing",
                at(17, 300),
                2500 * MS,
                at(18, 0),
                4 * S,
                five,
                None,
            ),
        ];
        for (why, turn, within, closed, at_least, length, foreseen) in cases {
            assert_eq!(
                aligned_next_turn(turn, within, closed, at_least, length),
                foreseen,
                "{why}"
            );
        }
    }

    #[test]
    fn a_probe_for_an_aligned_window_goes_just_after_a_turn_not_yet_tried() {
        // Seconds past a whole hour of the epoch, to the millisecond.
        let at = |s: u64, ms: u64| Duration::from_millis((3600 * 1000 + s) * 1000 + ms);
        // Refused at 12.3 s: windows of 5 and 15 s turn at 15, of 10 and
        // 20 s at 20, of 30 s at 30, of a minute at 60.
        let decreased = at(12, 300);
        assert_eq!(aligned_probe(decreased, at(12, 400)), Some(at(15, 100)));
        // The probe at 15.1 was refused: no window of 5 s; next, 10 s.
        assert_eq!(aligned_probe(decreased, at(15, 100)), Some(at(20, 100)));
        assert_eq!(aligned_probe(decreased, at(20, 100)), Some(at(30, 100)));
        assert_eq!(aligned_probe(decreased, at(30, 100)), Some(at(60, 100)));
        // A probe that went during the margin did not try the turn.
        assert_eq!(aligned_probe(decreased, at(15, 50)), Some(at(15, 100)));
        // Past the longest (an hour), nothing: the pauses go on as before.
        assert_eq!(aligned_probe(decreased, at(3600, 100)), None);
    }

    #[test]
    fn the_first_pause_is_short_unless_the_server_asks_for_longer() {
        assert_eq!(first_pause(None), FIRST_PAUSE);
        assert_eq!(first_pause(Some(10 * MS)), FIRST_PAUSE);
        assert_eq!(first_pause(Some(7 * S)), 7 * S);
    }

    #[test]
    fn pauses_double_within_a_share_of_the_time_refused() {
        // Early on, the share of the time refused holds them at the first.
        assert_eq!(next_pause(FIRST_PAUSE, 50 * MS, None), FIRST_PAUSE);
        assert_eq!(next_pause(FIRST_PAUSE, 100 * MS, None), FIRST_PAUSE);
        // Refused long enough: they double.
        assert_eq!(next_pause(FIRST_PAUSE, 10 * S, None), 100 * MS);
        assert_eq!(next_pause(800 * MS, 10 * S, None), 1600 * MS);
        // A quarter of the time refused, when doubling would be more.
        assert_eq!(next_pause(2 * S, 6 * S, None), 1500 * MS);
        // Never longer than the longest.
        assert_eq!(next_pause(8 * S, 600 * S, None), LONGEST_PAUSE);
        // Each pause at most double the last, however long the refusal.
        let mut pause = FIRST_PAUSE;
        let mut refused_for = Duration::ZERO;
        for _ in 0..100 {
            refused_for += pause;
            let next = next_pause(pause, refused_for, None);
            assert!(next >= FIRST_PAUSE && next <= pause * 2 && next <= LONGEST_PAUSE);
            assert!(next <= refused_for.mul_f64(PAUSE_SHARE).max(FIRST_PAUSE));
            pause = next;
        }
        assert_eq!(pause, LONGEST_PAUSE);
    }

    #[test]
    fn a_retry_after_is_the_pause_even_past_the_longest() {
        assert_eq!(next_pause(FIRST_PAUSE, 100 * MS, Some(7 * S)), 7 * S);
        assert_eq!(next_pause(8 * S, 600 * S, Some(30 * S)), 30 * S);
        // Shorter than the pause would be: the pause.
        assert_eq!(next_pause(800 * MS, 10 * S, Some(S)), 1600 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_ends_then_the_probe_goes_and_may_be_dropped() {
        let now = Instant::now();
        assert_eq!(Probe::Off.last_pause(), FIRST_PAUSE);
        let mut probe = Probe::pause_from(now, 200 * MS);
        assert_eq!(
            probe,
            Probe::Waiting {
                until: now + 200 * MS,
                pause: 200 * MS
            }
        );
        assert_eq!(probe.last_pause(), 200 * MS);
        // A Retry-After lengthens the pause, never shortens it.
        probe.wait_at_least(now, 100 * MS);
        assert_eq!(probe, Probe::pause_from(now, 200 * MS));
        probe.wait_at_least(now + 50 * MS, 3 * S);
        assert_eq!(
            probe,
            Probe::Waiting {
                until: now + 3050 * MS,
                pause: 200 * MS
            }
        );
        // Dropping is for a probe out; then another may go at once.
        probe.dropped(now);
        assert!(matches!(probe, Probe::Waiting { .. }));
        let mut out = Probe::Out { pause: 200 * MS };
        out.wait_at_least(now, 3 * S);
        assert_eq!(out, Probe::Out { pause: 200 * MS });
        assert_eq!(out.last_pause(), 200 * MS);
        tokio::time::advance(S).await;
        out.dropped(Instant::now());
        assert_eq!(
            out,
            Probe::Waiting {
                until: Instant::now(),
                pause: 200 * MS
            }
        );
        let mut off = Probe::Off;
        off.wait_at_least(now, S);
        off.dropped(now);
        assert_eq!(off, Probe::Off);
    }
}
