//! Fixed windows of two seconds or more, once the client has waited one
//! out: it sends each window's budget as soon as the window opens, instead
//! of pacing it over the window (a job of two windows of 5 s then takes a
//! little over five seconds, not ten). Each next turn is looked for where
//! windows of a whole number of seconds would turn, until that is shown
//! wrong. The bookkeeping only, as pure functions: the limiter
//! (`limiter.rs`) reads the clock and decides when to call them.

use std::time::Duration;

use tokio::time::Instant;

/// The least a pause (from the run of 429s to the probe that got through)
/// lasts for the client to send by windows. Windows of a second are paced
/// instead: bursting into them was tried, and four clients sharing such a
/// limit lost a third of their speed (`docs/rate-limiter.md`).
pub(super) const LONG: Duration = Duration::from_secs(2);
/// How far apart the probes around a foreseen window go, as a share of a
/// window's length.
const STEP_SHARE: f64 = 0.05;
/// After a probe past the budget got through, the client sends this share
/// of the budget more (one at least) before it probes again.
const GROWTH: u64 = 8;
/// The most windows in a row that send no probe past the budget.
const MOST_SKIPPED: u32 = 8;
/// A refused probe past the budget, once in this many of the budget's
/// requests, is a cost the client bears every window: the windows skipped
/// after one keep the refused probes under that share (none for a budget
/// over this many, one for a budget over half of it, and so on).
const PAST_BUDGET_RARE: u64 = 100;
/// How much later than a refused request another may leave and still reach
/// the server first (the network's jitter).
const REORDER: Duration = Duration::from_millis(10);
/// The longest window, in whole seconds, whose length the client guesses
/// one second at a time before it has measured it.
const MOST_GUESSED: u64 = 10;
/// The slack of a guess of whole seconds (the clock's reading and the
/// network's jitter): a probe at a guessed turn goes this far past the
/// latest it could be, a foresight from a likely length starts this far
/// before the earliest, and a measured length allows a likely one this
/// far beyond its error.
const GUESS_MARGIN: Duration = Duration::from_millis(10);

/// The lengths a server's fixed windows are likely to have: limiters count
/// them in whole seconds (Rack::Attack's `period`, a Redis key's expiry in
/// seconds, our mock's `--throttle 250/5s`), a few seconds or a round
/// number of them.
fn likely_lengths() -> impl Iterator<Item = Duration> {
    (2..=MOST_GUESSED)
        .chain(
            super::probe::ALIGNED_PERIODS
                .into_iter()
                .filter(|&p| p > MOST_GUESSED),
        )
        .map(Duration::from_secs)
}

/// Where a window opened, as the client found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Turn {
    /// The middle of the time it was found within.
    pub(super) at: Instant,
    /// How far from `at` it may be.
    pub(super) within: Duration,
}

impl Turn {
    /// Between the last request refused before it (`closed`, when that
    /// request left) and the first let through after it (`open`).
    pub(super) fn between(closed: Instant, open: Instant) -> Turn {
        let half = open.saturating_duration_since(closed) / 2;
        Turn {
            at: closed + half,
            within: half,
        }
    }
}

/// What a request that waits to leave does, in a window the client sends
/// by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Goes: the budget is not spent.
    Go,
    /// Goes as the probe past the budget: whether the window has room for
    /// more.
    ProbePastBudget,
    /// Waits for the budget's answers: a probe that overtook them would
    /// take one of their places.
    AwaitAnswers,
    /// The budget is spent, and the last probes past it were refused: waits
    /// for the next window.
    WaitForTheNextWindow,
}

/// What the client learnt of the server's windows, and what it may still
/// send in the window under way.
#[derive(Clone, Copy, Debug)]
pub(super) struct LongWindows {
    /// Requests the last window let through.
    budget: u64,
    /// Requests the client may still send in this window.
    left: u64,
    /// When this window opened.
    turn: Turn,
    /// The turn found most closely so far: the length is measured from it,
    /// over as many windows as have passed since, each adding less to how
    /// far off it may be.
    anchor: Turn,
    /// Answers let through, ever, before it opened.
    accepted_at_turn: u64,
    /// A window's length, and how far off it may be, once two windows'
    /// turns were found.
    length: Option<(Duration, Duration)>,
    /// The least a window lasts: the first window the client waited out
    /// refused it from a 429 until it turned.
    at_least: Duration,
    /// Windows to come that send no probe past the budget.
    skip: u32,
    /// How many the next refused probe past the budget skips.
    skip_next: u32,
    /// When the first request the window under way refused left.
    closed_at: Option<Instant>,
    /// Whether the windows may still be taken to last a likely length
    /// (whole seconds): until a foresight from one was wrong.
    likely: bool,
}

/// When and how to look for the next window's turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Foresight {
    /// From when the probes go.
    pub(super) from: Instant,
    /// Until when they go a step apart; past it, further and further.
    pub(super) until: Instant,
    /// How far apart.
    pub(super) step: Duration,
    /// The earliest the window may turn: `from`, or for a likely length
    /// [`GUESS_MARGIN`] after it.
    pub(super) earliest: Instant,
    /// Whether the length is a likely one the measure allows, rather than
    /// the measure itself: a probe let through before the earliest the
    /// window could turn, or one refused past the latest (`until`), says
    /// it was not the length.
    pub(super) likely: bool,
}

impl LongWindows {
    /// The first window the client sends by: it opened at `turn`, with
    /// `accepted` answers let through before; the last window let `budget`
    /// through, and refused requests for `at_least` before it turned.
    pub(super) fn first(turn: Turn, budget: u64, accepted: u64, at_least: Duration) -> LongWindows {
        LongWindows {
            budget: budget.max(1),
            left: budget.max(1),
            turn,
            anchor: turn,
            accepted_at_turn: accepted,
            length: None,
            at_least,
            skip: 0,
            skip_next: 1,
            closed_at: None,
            likely: true,
        }
    }

    /// The next window opened at `turn`, with `accepted` answers let
    /// through before: the budget is what the last one let through. The
    /// length is measured from the turn found most closely so far, divided
    /// by the windows between (the first time, from the last turn), and
    /// kept when that says more than what the client knew.
    pub(super) fn opened(&self, turn: Turn, accepted: u64) -> LongWindows {
        let measure = |from: Turn, windows: f64| {
            let between = turn.at.saturating_duration_since(from.at);
            (
                between.div_f64(windows),
                (turn.within + from.within).div_f64(windows),
            )
        };
        let length = match self.length {
            Some((known, known_off)) if !known.is_zero() => {
                let between = turn.at.saturating_duration_since(self.anchor.at);
                let windows = (between.as_secs_f64() / known.as_secs_f64())
                    .round()
                    .max(1.0);
                let (measured, off) = measure(self.anchor, windows);
                if off < known_off {
                    (measured, off)
                } else {
                    (known, known_off)
                }
            }
            _ => measure(self.turn, 1.0),
        };
        // A turn found far more closely than the anchor is the new one.
        let anchor = if turn.within * 2 < self.anchor.within {
            turn
        } else {
            self.anchor
        };
        let budget = accepted.saturating_sub(self.accepted_at_turn).max(1);
        LongWindows {
            budget,
            left: budget,
            turn,
            anchor,
            accepted_at_turn: accepted,
            length: Some(length),
            closed_at: None,
            ..*self
        }
    }

    /// What the next request does, at `now` (`accepted`: answers let
    /// through, ever): goes while the budget lasts; then, once none is
    /// `in_flight`, one probes past it, unless the last probes past it were
    /// refused. A window foreseen to have opened since (surely: past as late
    /// as it may open) is the window under way, with the whole budget: the
    /// client was idle, or its requests took long, when it opened.
    pub(super) fn next(&mut self, now: Instant, accepted: u64, in_flight: u64) -> Next {
        if let Some((length, off)) = self.length.filter(|(l, _)| !l.is_zero()) {
            let windows = (now.saturating_duration_since(self.turn.at).as_secs_f64()
                / length.as_secs_f64())
            .floor();
            let early = self.turn.within + off.mul_f64(windows);
            let opened = self.turn.at + length.mul_f64(windows);
            if windows >= 1.0 && now >= opened + early {
                self.turn = Turn {
                    at: opened,
                    within: early,
                };
                self.accepted_at_turn = accepted;
                self.left = self.budget;
                self.closed_at = None;
            }
        }
        if self.left > 0 {
            self.left -= 1;
            return Next::Go;
        }
        if self.skip > 0 {
            return Next::WaitForTheNextWindow;
        }
        if in_flight > 0 {
            return Next::AwaitAnswers;
        }
        Next::ProbePastBudget
    }

    /// The probe past the budget got through: the window has room for a
    /// share of the budget more.
    pub(super) fn room_for_more(&mut self) {
        self.skip_next = 1;
        self.left = (self.budget / GROWTH).max(1);
    }

    /// The most windows skipped after a refused probe past the budget: as
    /// many as keep the refused probes under one in [`PAST_BUDGET_RARE`]
    /// of the budget's requests, and at most [`MOST_SKIPPED`]. Clients
    /// that share windows each have a part of them for a budget, and a
    /// window one of them leaves room in (its job done, or a client gone)
    /// is only taken by a probe past the budget: skipped, a client with a
    /// few requests more than its part waited a whole window for them.
    fn most_skipped(&self) -> u32 {
        u32::try_from(PAST_BUDGET_RARE / self.budget.max(1))
            .unwrap_or(MOST_SKIPPED)
            .min(MOST_SKIPPED)
    }

    /// The window under way has no more room: the probe past the budget was
    /// refused (`past_budget`), or another request was; it left at `at`.
    /// After a refused probe past the budget, the next windows send none:
    /// one, then two, four, up to [`MOST_SKIPPED`], but no more than
    /// [`most_skipped`](Self::most_skipped) allows.
    pub(super) fn closed(&mut self, at: Instant, past_budget: bool) {
        self.left = 0;
        self.closed_at = Some(self.closed_at.map_or(at, |c| c.min(at)));
        if past_budget {
            self.skip = self.skip_next.min(self.most_skipped());
            self.skip_next = (self.skip_next * 2).min(MOST_SKIPPED);
        } else if self.skip > 0 {
            self.skip -= 1;
        }
    }

    /// Whether a request that left at `sent_at` and was let through shows
    /// that these are no fixed windows: it left after a request the window
    /// refused (later than the network's jitter could reorder them). A
    /// fixed window refuses every request once it has no more room; a
    /// token bucket refuses one here and there.
    pub(super) fn let_through_after_closed(&self, sent_at: Instant) -> bool {
        self.closed_at
            .is_some_and(|closed| sent_at > closed + REORDER)
    }

    /// When to look for the next window, the window under way being closed
    /// at `now`: from as early before the foreseen turn as the turn may be
    /// off, to as late after it, a twentieth of a window apart. Once the
    /// measured length allows one likely length alone (see
    /// [`likely_length`](Self::likely_length)), the turn is foreseen from
    /// the turn found most closely, whole windows of that length after it,
    /// and may be off only as much as that turn and [`GUESS_MARGIN`]; the
    /// probes go from before the earliest to past the latest, in one step
    /// if it is under a twentieth of a window. `None` until the length is
    /// known.
    pub(super) fn foreseen(&self, now: Instant) -> Option<Foresight> {
        let (from, length, off, likely) = match self.likely_length() {
            Some(length) => (self.anchor, length, GUESS_MARGIN, true),
            None => {
                let (length, off) = self.length.filter(|(l, _)| !l.is_zero())?;
                (self.turn, length, off, false)
            }
        };
        let since = now.saturating_duration_since(from.at);
        let windows = (since.as_secs_f64() / length.as_secs_f64()).floor() + 1.0;
        let foreseen = from.at + length.mul_f64(windows);
        let (early, step) = if likely {
            // Off by the turn's own slack alone: the first probe goes
            // before the earliest the window may turn (refused, if the
            // length is right), the next past the latest, or a twentieth
            // of a window later if that comes first.
            let early = from.within + off;
            (early, (early * 2).min(length.mul_f64(STEP_SHARE)))
        } else {
            (
                from.within + off.mul_f64(windows),
                length.mul_f64(STEP_SHARE),
            )
        };
        let start = foreseen.checked_sub(early).unwrap_or(foreseen);
        Some(Foresight {
            from: start,
            until: foreseen + early,
            step,
            earliest: if likely { start + off } else { start },
            likely,
        })
    }

    /// The one likely length (see [`likely_lengths`]) that the measured
    /// length allows, give or take how far off it may be and
    /// [`GUESS_MARGIN`]; `None` if none does, or more than one, or a
    /// foresight from a likely length was wrong.
    pub(super) fn likely_length(&self) -> Option<Duration> {
        let (length, off) = self.length.filter(|_| self.likely)?;
        let off = off + GUESS_MARGIN;
        let mut allowed = likely_lengths().filter(|&l| l.abs_diff(length) <= off);
        let one = allowed.next()?;
        allowed.next().is_none().then_some(one)
    }

    /// Before the length is measured: when a probe goes for the next turn
    /// if the windows last a whole number of seconds, up to
    /// [`MOST_GUESSED`]: just past the latest the turn after the one found
    /// may be ([`GUESS_MARGIN`] past it), for the shortest such length the
    /// windows may have (no shorter than they are known to last) whose
    /// probe comes after `after` (the last probe refused, or the window's
    /// close). A probe refused there says the windows are longer, and the
    /// next length is tried. `None` once the length is measured, or past
    /// the longest guessed.
    pub(super) fn guessed_turn(&self, after: Instant) -> Option<Instant> {
        if self.length.is_some() || !self.likely {
            return None;
        }
        let latest = self.turn.at + self.turn.within + GUESS_MARGIN;
        (2..=MOST_GUESSED)
            .map(Duration::from_secs)
            .filter(|&l| l >= self.at_least)
            .map(|l| latest + l)
            .find(|&at| at > after)
    }

    /// The earliest the window a probe at a guessed turn (`planned`, see
    /// [`guessed_turn`](Self::guessed_turn)) found may have opened, if the
    /// guess was right.
    pub(super) fn guessed_opened_after(&self, planned: Instant) -> Instant {
        let spread = self.turn.within * 2 + GUESS_MARGIN;
        planned.checked_sub(spread).unwrap_or(planned)
    }

    /// A foresight from a likely length was wrong: the windows are not
    /// taken to last one from now on, and the length measured so far is
    /// forgotten (a turn found at a guess that got through was taken to be
    /// no sooner than the guess allowed), to be measured again from the
    /// last turn and the next.
    pub(super) fn not_likely(&mut self) {
        self.likely = false;
        self.length = None;
    }

    /// Until the length is known: no window turns sooner than this.
    pub(super) fn not_before(&self) -> Instant {
        self.turn
            .at
            .checked_sub(self.turn.within)
            .unwrap_or(self.turn.at)
            + self.at_least
    }

    /// Where the window under way turned, how long a window lasts at
    /// least, and its length and how far off that may be, once known: what
    /// says whether the windows are aligned to the clock.
    pub(super) fn known(&self) -> (Turn, Duration, Option<(Duration, Duration)>) {
        (self.turn, self.at_least, self.length)
    }

    /// A window's length, once known.
    pub(super) fn length(&self) -> Option<Duration> {
        self.length.map(|(l, _)| l)
    }

    /// The requests a second the windows let the client send, once their
    /// length is known.
    pub(super) fn rate(&self) -> Option<f64> {
        let (length, _) = self.length?;
        (!length.is_zero()).then(|| self.budget as f64 / length.as_secs_f64())
    }

    /// The requests a second let through in the window under way, until
    /// `now` (`accepted`: answers let through, ever): the rate to go on at
    /// if these were no windows.
    pub(super) fn rate_so_far(&self, now: Instant, accepted: u64) -> f64 {
        let since = now.saturating_duration_since(self.turn.at).as_secs_f64();
        accepted.saturating_sub(self.accepted_at_turn) as f64 / since.max(0.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const S: Duration = Duration::from_secs(1);

    /// A foresight from `from` to `until`, `step` apart, from a likely
    /// length or not.
    fn foresight(from: Instant, until: Instant, step: Duration, likely: bool) -> Option<Foresight> {
        Some(Foresight {
            from,
            until,
            step,
            earliest: if likely { from + GUESS_MARGIN } else { from },
            likely,
        })
    }

    fn turn(at: Instant, within: Duration) -> Turn {
        Turn { at, within }
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_is_found_between_the_last_refused_and_the_first_let_through() {
        let now = Instant::now();
        assert_eq!(
            Turn::between(now, now + 400 * MS),
            turn(now + 200 * MS, 200 * MS)
        );
        assert_eq!(Turn::between(now, now), turn(now, Duration::ZERO));
        // Out of order: no turn before the refused request.
        assert_eq!(Turn::between(now + S, now), turn(now + S, Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_goes_then_one_probe_past_it_once_its_answers_are_in() {
        let now = Instant::now();
        let mut windows = LongWindows::first(turn(now, 10 * MS), 3, 0, S);
        assert_eq!(
            [
                windows.next(now, 0, 3),
                windows.next(now, 0, 3),
                windows.next(now, 0, 3)
            ],
            [Next::Go; 3]
        );
        assert_eq!(windows.next(now, 0, 2), Next::AwaitAnswers);
        assert_eq!(windows.next(now, 0, 0), Next::ProbePastBudget);
        windows.room_for_more();
        assert_eq!(windows.next(now, 0, 1), Next::Go);
        assert_eq!(windows.next(now, 0, 0), Next::ProbePastBudget);
        // Refused: no probe past the budget in the next window, then one
        // in the window after; refused again, none in the next two; then
        // none in the next four.
        windows.closed(now, true);
        let mut skipped = Vec::new();
        for i in 1..=8 {
            windows = windows.opened(turn(now + 5 * S * i, 10 * MS), 3 * u64::from(i));
            for _ in 0..3 {
                assert_eq!(windows.next(now, 0, 3), Next::Go);
            }
            let probes = windows.next(now, 0, 0) == Next::ProbePastBudget;
            skipped.push(!probes);
            windows.closed(now, probes);
        }
        assert_eq!(
            skipped,
            [true, false, true, true, false, true, true, true],
            "{windows:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_let_through_after_one_refused_shows_no_fixed_window() {
        let now = Instant::now();
        let mut windows = LongWindows::first(turn(now, 10 * MS), 3, 0, S);
        assert!(!windows.let_through_after_closed(now + S));
        windows.closed(now + 100 * MS, false);
        // Left before it, or as good as at once: the network may have
        // reordered them.
        assert!(!windows.let_through_after_closed(now + 50 * MS));
        assert!(!windows.let_through_after_closed(now + 105 * MS));
        assert!(windows.let_through_after_closed(now + 120 * MS));
        // A later 429 does not move the window's close later.
        windows.closed(now + 200 * MS, true);
        assert!(windows.let_through_after_closed(now + 150 * MS));
        // The next window has refused nothing yet.
        let next = windows.opened(turn(now + 5 * S, 10 * MS), 3);
        assert!(!next.let_through_after_closed(now + 6 * S));
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_that_opened_while_the_client_waited_has_its_whole_budget() {
        let now = Instant::now();
        let first = LongWindows::first(turn(now, 10 * MS), 2, 0, S);
        let mut windows = first.opened(turn(now + 5 * S, 10 * MS), 2);
        for _ in 0..2 {
            assert_eq!(windows.next(now + 5 * S, 2, 0), Next::Go);
        }
        // Within 20 ms of the next opening (10 s, give or take 20 ms): not
        // surely opened.
        assert_eq!(windows.next(now + 10 * S, 4, 1), Next::AwaitAnswers);
        // Past it: the budget again, from the accepted count now.
        assert_eq!(windows.next(now + 10030 * MS, 4, 1), Next::Go);
        assert_eq!(windows.next(now + 10030 * MS, 4, 1), Next::Go);
        assert_eq!(windows.next(now + 10030 * MS, 4, 1), Next::AwaitAnswers);
        let next = windows.opened(turn(now + 15 * S, 10 * MS), 7);
        assert_eq!(next.budget, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_is_what_the_last_window_let_through() {
        let now = Instant::now();
        let windows = LongWindows::first(turn(now, 10 * MS), 250, 1000, S);
        let next = windows.opened(turn(now + 5 * S, 10 * MS), 1240);
        assert_eq!(next.budget, 240);
        assert_eq!(next.rate(), Some(48.0));
        // Nothing let through: one request still goes.
        assert_eq!(next.opened(turn(now + 10 * S, 10 * MS), 1240).budget, 1);
        assert_eq!(next.rate_so_far(now + 7 * S, 1340), 50.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_length_is_measured_again_only_when_the_turns_were_found_closer() {
        let now = Instant::now();
        let first = LongWindows::first(turn(now + S, 500 * MS), 100, 0, 3 * S);
        assert_eq!(first.foreseen(now + S), None);
        // The next turn: no sooner than 3 s after the earliest this one was.
        assert_eq!(first.not_before(), now + 3500 * MS);
        let first = LongWindows::first(turn(now, 500 * MS), 100, 0, 3 * S);
        // Found within half a second each: 5.2 s, give or take a second.
        let second = first.opened(turn(now + 5200 * MS, 500 * MS), 100);
        assert_eq!(second.length, Some((5200 * MS, S)));
        // Windows of 5 s and of 6 s would both fit: the measure stands.
        assert_eq!(second.likely_length(), None);
        // The next window, foreseen at 10.4 s, is looked for from 8.9 s to
        // 11.9 s (off by up to half a second, plus a second a window), a
        // twentieth of a window apart.
        assert_eq!(
            second.foreseen(now + 6 * S),
            foresight(now + 8900 * MS, now + 11900 * MS, 260 * MS, false)
        );
        // A turn found within 100 ms, two windows after the first: 5 s,
        // give or take 0.3 s; it is the anchor from now on.
        let third = second.opened(turn(now + 10 * S, 100 * MS), 200);
        assert_eq!(third.length, Some((5 * S, 300 * MS)));
        // Found less closely: the length stays.
        let fourth = third.opened(turn(now + 15 * S, 900 * MS), 300);
        assert_eq!(fourth.length, Some((5 * S, 300 * MS)));
        // Three windows after the anchor, within 50 ms: off by 50 ms.
        let sixth = fourth.opened(turn(now + 25 * S, 50 * MS), 400);
        assert_eq!(sixth.length, Some((5 * S, 50 * MS)));
        // Closed 7 s into a window: the window after next is foreseen. The
        // measure allows 5 s alone, so the turn is foreseen at whole
        // windows of 5 s from the anchor (found at 10 s within 100 ms: the
        // sixth was not found twice as closely), off by its own 100 ms and
        // 10 ms, and looked for in one step.
        assert_eq!(sixth.likely_length(), Some(5 * S));
        assert_eq!(
            sixth.foreseen(now + 32 * S),
            foresight(now + 34890 * MS, now + 35110 * MS, 220 * MS, true)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_windows_skipped_keep_refused_probes_past_the_budget_rare() {
        let now = Instant::now();
        // Which of eight windows after a refused probe past a budget of
        // `budget` send none, each such probe refused.
        let skipped = |budget: u64| {
            let mut windows = LongWindows::first(turn(now, 10 * MS), budget, 0, S);
            windows.closed(now, true);
            (1..=8u64)
                .map(|i| {
                    windows = windows.opened(turn(now + 5 * S * i as u32, 10 * MS), budget * i);
                    for _ in 0..budget {
                        assert_eq!(windows.next(now, 0, 1), Next::Go);
                    }
                    let probes = windows.next(now, 0, 0) == Next::ProbePastBudget;
                    windows.closed(now, probes);
                    !probes
                })
                .collect::<Vec<_>>()
        };
        // A budget over 100: a probe past it every window.
        assert_eq!(skipped(250), [false; 8]);
        // 51 to 100 (four clients sharing 250): one window at most.
        assert_eq!(
            skipped(62),
            [true, false, true, false, true, false, true, false]
        );
        // 40: two at most (one, then two).
        assert_eq!(
            skipped(40),
            [true, false, true, true, false, true, true, false]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_turn_is_guessed_a_whole_second_at_a_time_until_measured() {
        let now = Instant::now();
        // A turn found at 1 s within 200 ms; the window refused for 2.4 s
        // before it: no window lasts less than that.
        let first = LongWindows::first(turn(now + S, 200 * MS), 60, 0, 2400 * MS);
        // Windows of 3 s would turn next by 4.2 s at the latest: the probe
        // goes 10 ms past that; refused, at 5.21 s (4 s), and so on.
        assert_eq!(first.guessed_turn(now + 2 * S), Some(now + 4210 * MS));
        assert_eq!(first.guessed_turn(now + 4210 * MS), Some(now + 5210 * MS));
        assert_eq!(first.guessed_turn(now + 10210 * MS), Some(now + 11210 * MS));
        // Past 10 s, no more guesses.
        assert_eq!(first.guessed_turn(now + 11210 * MS), None);
        // Let through at the guess for 3 s: the window opened no sooner than
        // the earliest windows of 3 s allow (0.8 s + 3 s).
        assert_eq!(first.guessed_opened_after(now + 4210 * MS), now + 3800 * MS);
        // A window known to last at least 3.5 s: no guess of 3 s.
        let longer = LongWindows::first(turn(now + S, 200 * MS), 60, 0, 3500 * MS);
        assert_eq!(longer.guessed_turn(now + 2 * S), Some(now + 5210 * MS));
        // Once a guess was wrong, or the length measured, none.
        let mut wrong = first;
        wrong.not_likely();
        assert_eq!(wrong.guessed_turn(now + 2 * S), None);
        let measured = first.opened(turn(now + 6 * S, 100 * MS), 60);
        assert_eq!(measured.guessed_turn(now + 7 * S), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_likely_length_is_taken_only_when_the_measure_allows_it_alone() {
        let now = Instant::now();
        let first = LongWindows::first(turn(now, 300 * MS), 60, 0, 2 * S);
        // 5 s give or take 0.4 s: 5 s alone.
        let five = first.opened(turn(now + 5 * S, 100 * MS), 60);
        assert_eq!(five.length, Some((5 * S, 400 * MS)));
        assert_eq!(five.likely_length(), Some(5 * S));
        // 2.5 s give or take 0.4 s: no whole second within.
        let half = first.opened(turn(now + 2500 * MS, 100 * MS), 60);
        assert_eq!(half.likely_length(), None);
        // 12.5 s give or take 0.4 s: between 12 s and 15 s, neither.
        let twelve = first.opened(turn(now + 12500 * MS, 100 * MS), 60);
        assert_eq!(twelve.likely_length(), None);
        // 60.2 s give or take 0.4 s: a minute.
        let minute = first.opened(turn(now + 60200 * MS, 100 * MS), 60);
        assert_eq!(minute.likely_length(), Some(60 * S));
        // Shown wrong: the measure is forgotten (it may rest on a guess),
        // and taken again from the last turn and the next, with no guess.
        let mut wrong = five;
        wrong.not_likely();
        assert_eq!(wrong.likely_length(), None);
        assert_eq!(wrong.foreseen(now + 6 * S), None);
        assert_eq!(wrong.guessed_turn(now + 6 * S), None);
        let again = wrong.opened(turn(now + 10 * S, 100 * MS), 120);
        assert_eq!(again.length, Some((5 * S, 200 * MS)));
        assert_eq!(again.likely_length(), None);
        assert!(!again.foreseen(now + 16 * S).expect("measured").likely);
    }
}
