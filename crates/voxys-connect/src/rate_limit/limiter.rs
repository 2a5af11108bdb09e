//! The limiter: the clock, the lock and the decisions. It reads the clock,
//! keeps the state behind one lock, and on each answer decides what the
//! client learns from it, using the bookkeeping of [`window`](super::window),
//! the token [`bucket`](super::bucket), the pauses of
//! [`probe`] and the arithmetic of [`curve`].

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::bucket::{Bucket, Turn as Token};
use super::curve::{self, Curve};
use super::long_windows::{Foresight, LongWindows, Next, Turn};
use super::probe::{self, Probe};
use super::window::{LastSecond, RECENT, RECENT_LIMIT, RecentRefusals, SCATTERED, SendingRate};
use super::{LOG_TARGET, Outcome, Permit, RateLimitStatus};
use crate::retry::Pacing;

/// How much sooner than its `Retry-After` a server may take requests again:
/// the header counts whole seconds.
const RETRY_AFTER_ROUNDING: Duration = Duration::from_secs(1);

/// The rate limiter of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Whether the rate adapts to 429s.
    adaptive: bool,
    /// The most requests a second, if the client set a cap.
    cap: Option<f64>,
    /// The longest pause a `Retry-After` can cause.
    max_retry_after: Duration,
    /// Whether requests wait for tokens: after the 429s first kept coming, or from the
    /// start with a cap. Read without the lock.
    engaged: AtomicBool,
    /// Requests sent, ever; read under the lock to measure the rate.
    sent: AtomicU64,
    /// Requests sent and not answered (nor given up) yet.
    in_flight: AtomicU64,
    /// Whether the client sends by long windows: then requests that wait
    /// for the answers in flight to probe past a window's budget are woken
    /// when the last comes.
    by_windows: AtomicBool,
    /// Requests sent in the last second: the rate the client was sending
    /// at when the server's limit shows.
    sent_recently: LastSecond,
    /// Wakes the requests waiting for a probe's answer.
    resumed: Notify,
    /// Answers in a row that were 429, up to the latest.
    recent_refusals: RecentRefusals,
    /// Every answer, retries and all: when most are 429, that is a limit
    /// whatever else says otherwise.
    all_refusals: RecentRefusals,
    /// Answers other than 429 in the last second.
    accepted: LastSecond,
    /// Everything else, behind one lock.
    state: Mutex<State>,
}

/// The wall clock, as time since the Unix epoch, for an [`Instant`]: where
/// the server's windows aligned to its clock turn (see
/// [`probe::aligned_probe`]).
#[derive(Clone, Copy, Debug)]
enum WallClock {
    /// The system's clock, read each time: it may be set or slewed while
    /// the client lives, and the monotonic clock is not.
    System,
    /// The epoch at a fixed instant: tests on tokio's paused clock, where
    /// the system's clock does not follow the instants.
    #[cfg_attr(not(test), allow(dead_code))]
    Fixed(Instant),
}

impl WallClock {
    /// The system's clock; in the crate's own tests, an epoch at `now`, so
    /// that they do not depend on the time of day.
    fn new(now: Instant) -> WallClock {
        if cfg!(test) {
            WallClock::Fixed(now)
        } else {
            WallClock::System
        }
    }

    /// An instant and its time since the epoch (`None` if the system's
    /// clock is set before the epoch): now and the system's clock now, or
    /// the fixed epoch itself. Read once, then converted both ways with
    /// [`Anchor`]'s arithmetic.
    fn anchor(self) -> Option<Anchor> {
        match self {
            WallClock::System => {
                let at = Instant::now();
                let since = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?;
                Some(Anchor { at, since })
            }
            WallClock::Fixed(epoch) => Some(Anchor {
                at: epoch,
                since: Duration::ZERO,
            }),
        }
    }
}

/// One reading of the wall clock: the instant `at` was `since` after the
/// epoch.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    at: Instant,
    since: Duration,
}

impl Anchor {
    /// How long after the epoch `at` was (`None` before it).
    fn since_epoch(self, at: Instant) -> Option<Duration> {
        match at.checked_duration_since(self.at) {
            Some(after) => self.since.checked_add(after),
            None => self.since.checked_sub(self.at.duration_since(at)),
        }
    }

    /// The instant `since` after the epoch.
    fn instant(self, since: Duration) -> Option<Instant> {
        match since.checked_sub(self.since) {
            Some(after) => self.at.checked_add(after),
            None => self.at.checked_sub(self.since - since),
        }
    }
}

/// What the limiter knows, behind its lock.
#[derive(Debug)]
struct State {
    /// The tokens requests take, at the rate they are held to.
    bucket: Bucket,
    /// The curve the rate grows back along, shaped at the last decrease.
    curve: Curve,
    /// When the rate last decreased; the 429s of requests sent before it
    /// belong to the same event.
    decreased_at: Option<Instant>,
    /// When the curve started: when the probe after the last decrease got
    /// through, or the decrease itself at the end of a window.
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
    /// The rate the client sends at, smoothed.
    sending: SendingRate,
    /// Whether the client is paused or waiting for a probe's answer.
    probe: Probe,
    /// 429s seen.
    throttled: u64,
    /// The refused rate measured over the client's life rather than a
    /// second, when it was higher: the rate to go on at if the first probe
    /// after the decrease gets through (the limit refills at once: a token
    /// bucket, not a window).
    if_probe_passes_at_once: Option<f64>,
    /// The rate the client went on at when the first probe after the run
    /// of 429s that engaged the limiter got through at once: the limit
    /// refills at once (a token bucket), and the run measured its burst,
    /// not its rate. The rate doubles each second from there (TCP's slow
    /// start) until 429s come again, then grows along the curve.
    slow_start: Option<f64>,
    /// Whether the pause under way (or just ended) is the first, after the
    /// run of 429s that engaged the limiter.
    first_pause: bool,
    /// The client's clock, to foresee the turns of windows aligned to it.
    clock: WallClock,
    /// When the probe out, or the next, was planned for, if it was planned
    /// for a turn rather than the end of a pause (and which turn).
    planned_probe: Option<PlannedProbe>,
    /// When the last refused probe left, since the last pause ended.
    probe_refused_at: Option<Instant>,
    /// Probes refused since the last decrease.
    refused_probes: u32,
    /// The last cycle (from one pause's end to the next), when its pause
    /// refused probes for a while: about a window of the server's.
    window_cycle: Option<Duration>,
    /// Whether the pause under way (or just ended) waits for a window
    /// foreseen from the last cycle.
    foreseen_pause: bool,
    /// After a decrease: whether the 429s stop once the client slows down.
    check: Option<Check>,
    /// The share of answers that are 429 whatever the client's rate (a
    /// proxy's or a fault's), once a check found some: 429s count as the
    /// limit only when they come far more often than that.
    noise: f64,
    /// Once a pause showed fixed windows of two seconds or more: what the
    /// client learnt of them. It sends by them instead of a rate.
    long_windows: Option<LongWindows>,
    /// Whether the probe out goes past a window's budget (not for the next
    /// window).
    past_budget: bool,
    /// While the client looks for a window it foresaw: from when until
    /// when the probes go a step apart rather than further and further
    /// apart, and how far apart.
    scan: Option<Foresight>,
}

/// A probe planned for a turn the client foresaw rather than for the end of
/// a pause: such a probe, let through, bounds the turn it found from the
/// plan, however late it went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PlannedProbe {
    /// Just after a turn of a window aligned to the clock
    /// ([`probe::ALIGNED_MARGIN`] after it, on the client's clock), at
    /// this instant.
    Aligned(Instant),
    /// Just past a guessed turn of long windows whose length is not
    /// measured yet (see [`LongWindows::guessed_turn`]), at this instant.
    Guessed(Instant),
}

impl PlannedProbe {
    /// When the probe was planned for, if for an aligned turn.
    fn aligned(plan: Option<PlannedProbe>) -> Option<Instant> {
        match plan {
            Some(PlannedProbe::Aligned(at)) => Some(at),
            _ => None,
        }
    }

    /// When the probe was planned for, if for a guessed turn.
    fn guessed(plan: Option<PlannedProbe>) -> Option<Instant> {
        match plan {
            Some(PlannedProbe::Guessed(at)) => Some(at),
            _ => None,
        }
    }
}

/// The answers after a decrease, counted to tell whether the 429s were the
/// server's limit: a limit refuses less once the client slows down; 429s
/// that come at random, whatever the rate, keep coming. Counted in rounds
/// of [`CHECK_ANSWERS`] until the 429s drop (a limit) or the client has
/// slowed to half its rate and they have not (noise): other clients that
/// share a limit keep it refusing while one slows down alone.
#[derive(Clone, Copy, Debug)]
struct Check {
    /// The rate before the decrease (infinite when the client was not
    /// held).
    rate_before: f64,
    /// The fastest the client sent at while the 429s came (the refused
    /// rate of each decrease): the check concludes only once the client
    /// has slowed to [`DEEP`] times it.
    sending_before: f64,
    /// The share of 429s among the 64 answers before the decrease.
    share_before: f64,
    /// Answers to requests sent after the decrease, and the 429s among them.
    seen: u32,
    refused: u32,
}

/// How far under the rate it sent at when the 429s began the client must
/// have slowed before 429s that keep coming are taken for noise.
const DEEP: f64 = 0.5;
/// The most 429s, as a share of answers, that can be noise: more than that,
/// even after the client slowed down, is a limit others share.
const MOST_NOISE: f64 = 0.15;
/// 429s among the last [`RECENT`] answers of any kind (retries included)
/// that are a limit, whatever else the limiter has learnt.
pub(super) const MOSTLY_REFUSED: u32 = RECENT * 3 / 4;
/// How many answers after a decrease the check counts.
const CHECK_ANSWERS: u32 = 128;
/// 429s among them that say the 429s do not depend on the rate.
const CHECK_REFUSED: u32 = 3;
/// The share of 429s after a decrease, against the share before, that says
/// they did not drop.
const SAME_SHARE: f64 = 0.4;

/// What a request waiting to leave does next.
enum Step {
    /// Leave now; as the probe, if `probe`.
    Go {
        /// Whether this request is the probe after a pause.
        probe: bool,
    },
    /// Wait this long for the pause to end, then look again.
    Sleep(Duration),
    /// Wait for the probe's answer, then look again.
    AwaitProbe,
    /// Wait for the answers in flight (or this long at most), then look
    /// again.
    AwaitAnswers(Duration),
    /// Wait this long for the reserved token, then leave if the rate did
    /// not fall meanwhile (the generation is still this one).
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
            in_flight: AtomicU64::new(0),
            by_windows: AtomicBool::new(false),
            sent_recently: LastSecond::new(now),
            resumed: Notify::new(),
            recent_refusals: RecentRefusals::new(now),
            all_refusals: RecentRefusals::new(now),
            accepted: LastSecond::new(now),
            state: Mutex::new(State {
                bucket: Bucket::new(rate, now),
                curve: Curve::flat(rate),
                decreased_at: None,
                curve_from: None,
                flowing_since: None,
                cycle_from: None,
                generation: 0,
                sending: SendingRate::default(),
                probe: Probe::Off,
                throttled: 0,
                if_probe_passes_at_once: None,
                slow_start: None,
                first_pause: false,
                clock: WallClock::new(now),
                planned_probe: None,
                refused_probes: 0,
                probe_refused_at: None,
                window_cycle: None,
                foreseen_pause: false,
                check: None,
                noise: 0.0,
                long_windows: None,
                past_budget: false,
                scan: None,
            }),
        }
    }

    /// Counts the wall clock from `epoch` (the Unix epoch at that instant):
    /// the simulation's server whose windows are aligned to its clock.
    #[cfg(test)]
    pub(crate) fn set_epoch(&self, epoch: Instant) {
        self.state().clock = WallClock::Fixed(epoch);
    }

    /// The state, locked.
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
            let step = self.next_step();
            match step {
                Step::Go { probe } => return self.permit(probe),
                Step::Sleep(wait) => tokio::time::sleep(wait).await,
                Step::AwaitProbe => resumed.await,
                Step::AwaitAnswers(most) => {
                    let _ = tokio::time::timeout(most, resumed).await;
                }
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

    /// Decides what a request waiting to leave does next: goes as the
    /// probe when a pause is over, waits out a pause or a probe out, or
    /// takes a token from the bucket (or reserves the next).
    fn next_step(&self) -> Step {
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
                let in_flight = self.in_flight.load(Ordering::Acquire);
                let accepted = self.accepted.ever();
                match state
                    .long_windows
                    .as_mut()
                    .map(|w| w.next(now, accepted, in_flight))
                {
                    Some(Next::ProbePastBudget) => {
                        state.past_budget = true;
                        state.probe = Probe::Out {
                            pause: probe::FIRST_PAUSE,
                        };
                        return Step::Go { probe: true };
                    }
                    // A request that takes long must not hold the others
                    // past the next window: they look again now and then.
                    Some(Next::AwaitAnswers) => return Step::AwaitAnswers(probe::FIRST_PAUSE),
                    Some(Next::WaitForTheNextWindow) => {
                        self.window_closed(&mut state, now, now, false, None);
                        return match state.probe {
                            Probe::Waiting { until, .. } => {
                                Step::Sleep(until.saturating_duration_since(now))
                            }
                            _ => Step::AwaitProbe,
                        };
                    }
                    Some(Next::Go) | None => {}
                }
                match state.bucket.take(now) {
                    Token::Now => Step::Go { probe: false },
                    Token::Reserved(wait) => Step::Reserved(wait, state.generation),
                }
            }
        }
    }

    /// Lets a request go: counts it as sent.
    fn permit(&self, probe: bool) -> Permit<'_> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.sent_recently.count(Instant::now());
        Permit {
            limiter: self,
            sent_at: Instant::now(),
            probe,
            recorded: false,
            retry: false,
        }
    }

    /// A request was answered, or given up: once none is in flight, a
    /// request waiting to probe past a window's budget may go.
    pub(super) fn landed(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1
            && self.by_windows.load(Ordering::Acquire)
        {
            self.resumed.notify_waiters();
        }
    }

    /// The probe was dropped unanswered (its caller gave up): another
    /// request may probe at once.
    pub(super) fn probe_dropped(&self) {
        self.state().probe.dropped(Instant::now());
        self.resumed.notify_waiters();
    }

    /// Learns from what became of the request `permit` let go, and says who
    /// decides when it goes again if it failed: the limiter, for a 429 once
    /// the client holds back or the 429s keep coming (it pauses the
    /// client, then probes); otherwise the retry policy.
    ///
    /// In steps: without adaptation, [`record_fixed`](Self::record_fixed);
    /// otherwise the answer is counted (among the recent 429s, and among
    /// those let through) and, unless the limiter is not holding back and the
    /// answer got through, it goes to the step for its kind:
    /// [`probe_refused`](Self::probe_refused),
    /// [`probe_through`](Self::probe_through),
    /// [`refused`](Self::refused) or [`grow`](Self::grow).
    pub(crate) fn record(&self, mut permit: Permit<'_>, outcome: Outcome) -> Pacing {
        permit.recorded = true;
        if !self.adaptive {
            return self.record_fixed(outcome);
        }
        let now = Instant::now();
        let throttled = matches!(outcome, Outcome::Throttled(_));
        let all_recent = self.all_refusals.count(throttled, now);
        // The 429s of retries are left out while other answers get through:
        // one request that keeps being refused while others get through is
        // no limit of the server's. A lone request refused again and again
        // is.
        let left_out = throttled && permit.retry && self.all_refusals.first_through_lately();
        let recent = if left_out {
            self.recent_refusals.peek()
        } else {
            self.recent_refusals.count(throttled, now)
        };
        if !throttled {
            if !permit.retry {
                self.all_refusals.first_through();
            }
            self.accepted.count(now);
            if !self.engaged.load(Ordering::Acquire) {
                return Pacing::Policy;
            }
        }
        let mut state = self.state();
        let sent = self.sent.load(Ordering::Relaxed);
        state.sending.measure(now, sent);
        let retry_after = match outcome {
            Outcome::Throttled(after) => {
                state.throttled += 1;
                // Whole seconds, rounded up (the header has no finer
                // unit): the server may take requests again up to a
                // second sooner, and the probe finds out.
                // A `Retry-After: 1` then says nothing a probe would not.
                after
                    .map(|a| {
                        a.saturating_sub(RETRY_AFTER_ROUNDING)
                            .min(self.max_retry_after)
                    })
                    .filter(|a| !a.is_zero())
            }
            Outcome::Other => None,
        };
        if !permit.probe && !permit.retry {
            self.check_after_decrease(
                &mut state,
                permit.sent_at,
                matches!(outcome, Outcome::Throttled(_)),
            );
        }
        // A probe whose answer no pause waits for (the client left the
        // long windows meanwhile) is answered like any other request.
        let probe = permit.probe && matches!(state.probe, Probe::Out { .. });
        match (probe, outcome) {
            (true, Outcome::Throttled(_)) => {
                self.probe_refused(&mut state, now, permit.sent_at, retry_after);
                drop(state);
                // Those waiting for the probe's answer wait out the next
                // pause now, and one of them probes after it: the refused
                // probe's own request may never come back (its time
                // budget spent).
                self.resumed.notify_waiters();
                Pacing::Limiter { counts: false }
            }
            (true, Outcome::Other) => {
                self.probe_through(&mut state, now, permit.sent_at, sent);
                drop(state);
                self.resumed.notify_waiters();
                Pacing::Policy
            }
            (false, Outcome::Throttled(_)) => {
                // Most answers, retries included, are 429: whatever the
                // first attempts and the noise say, it is a limit.
                let mostly = all_recent >= MOSTLY_REFUSED;
                let recent = if mostly { RECENT } else { recent };
                let left_out = left_out && !mostly;
                self.refused(
                    &mut state,
                    now,
                    permit.sent_at,
                    recent,
                    left_out,
                    retry_after,
                )
            }
            (false, Outcome::Other) => {
                if let Some(windows) = state
                    .long_windows
                    .filter(|w| w.let_through_after_closed(permit.sent_at))
                {
                    let accepted = self.accepted.ever();
                    self.leave_windows(&mut state, now, windows, accepted);
                    drop(state);
                    self.resumed.notify_waiters();
                    return Pacing::Policy;
                }
                self.grow(&mut state, now);
                Pacing::Policy
            }
        }
    }

    /// Without adaptation: counts a 429 for [`status`](Self::status), and
    /// leaves every retry to the retry policy.
    fn record_fixed(&self, outcome: Outcome) -> Pacing {
        if let Outcome::Throttled(_) = outcome {
            self.state().throttled += 1;
        }
        Pacing::Policy
    }

    /// The probe was refused too: the window has not ended. Decides the
    /// next pause (see [`probe::next_pause`]): a step, while looking for a
    /// window foreseen; the next guess, after a refused guessed turn; and a
    /// refused probe past the latest a likely length allows drops that
    /// length ([`LongWindows::not_likely`]). The probe's request waits for
    /// the next probe, with the limiter pacing it, and so do the requests
    /// that waited for its answer (the caller wakes them once the lock is
    /// released).
    fn probe_refused(
        &self,
        state: &mut State,
        now: Instant,
        sent_at: Instant,
        retry_after: Option<Duration>,
    ) {
        if std::mem::take(&mut state.past_budget) {
            self.window_closed(state, now, sent_at, true, retry_after);
            return;
        }
        state.probe_refused_at = Some(sent_at);
        state.if_probe_passes_at_once = None;
        state.refused_probes = state.refused_probes.saturating_add(1);
        let refused_for = state
            .decreased_at
            .map_or(Duration::ZERO, |d| now.saturating_duration_since(d));
        let pause = match state.scan {
            // Looking for a window foreseen: a step at a time (for a likely
            // length, the step past the latest it may turn, even when the
            // answer to the probe before it came later than that).
            Some(scan)
                if now >= scan.from
                    && (now < scan.until || scan.likely && sent_at <= scan.until) =>
            {
                scan.step.max(retry_after.unwrap_or_default())
            }
            _ => probe::next_pause(state.probe.last_pause(), refused_for, retry_after),
        };
        state.probe = Probe::pause_from(now, pause);
        let at_aligned_turn = PlannedProbe::aligned(state.planned_probe).is_some();
        if let Some(windows) = state.long_windows.as_mut() {
            // A probe past the latest a window of the likely length could
            // turn, refused: the windows do not last that long. (Not a
            // probe at an aligned turn: the clocks may be apart.)
            if !at_aligned_turn
                && state
                    .scan
                    .is_some_and(|scan| scan.likely && sent_at > scan.until)
            {
                windows.not_likely();
                state.scan = None;
            }
            // A guessed turn refused: the windows are longer; the probe
            // goes at the next guess.
            if PlannedProbe::guessed(state.planned_probe).is_some() {
                state.planned_probe = None;
                if let Some(at) = windows.guessed_turn(sent_at) {
                    let went = at.max(now + retry_after.unwrap_or_default());
                    state.probe = Probe::Waiting { until: went, pause };
                    // Moved by a `Retry-After`, the probe is no guess.
                    state.planned_probe = (went == at).then_some(PlannedProbe::Guessed(at));
                }
            }
        }
        // A window aligned to the clock (Rack::Attack's) that held the
        // decrease may turn before the pause ends: the probe goes just
        // after that turn instead. Refused there, it looks again soon, once:
        // the client's clock may be ahead of the server's by more than the
        // margin, and the turn just after.
        // Sending by long windows, the probe just after a foreseen aligned
        // turn looks again the same way (see `window_closed`).
        let relook = PlannedProbe::aligned(state.planned_probe).is_some();
        if relook {
            state.planned_probe = None;
        }
        let at_least = now + probe::FIRST_PAUSE.max(retry_after.unwrap_or_default());
        let aligned_turn = state
            .decreased_at
            .zip(state.clock.anchor())
            .filter(|_| state.long_windows.is_none())
            .and_then(|(d, anchor)| {
                let since =
                    probe::aligned_probe(anchor.since_epoch(d)?, anchor.since_epoch(sent_at)?)?;
                anchor.instant(since)
            });
        let aligned = aligned_turn.map(|at| at.max(at_least));
        let again = relook.then(|| (now + probe::ALIGNED_RELOOK).max(at_least));
        let soonest = [aligned, again].into_iter().flatten().min();
        if let Some(at) = soonest.filter(|&at| at < now + pause) {
            state.probe = Probe::Waiting { until: at, pause };
            state.planned_probe = aligned_turn
                .filter(|_| Some(at) == aligned)
                .map(PlannedProbe::Aligned);
        }
        let until_probe_ms = match state.probe {
            Probe::Waiting { until, .. } => until.saturating_duration_since(now).as_millis() as u64,
            Probe::Off | Probe::Out { .. } => 0,
        };
        tracing::debug!(
            target: LOG_TARGET,
            pause_ms = pause.as_millis() as u64,
            until_probe_ms,
            aligned = PlannedProbe::aligned(state.planned_probe).is_some(),
            "the probe was refused too: pausing longer"
        );
    }

    /// The probe got an answer other than 429: the pause is over. Every
    /// request goes again, at the lowered rate, and the curve starts now;
    /// the cycle that ends here may correct the rate
    /// ([`correct_from_cycle`](Self::correct_from_cycle)). The pause is
    /// not the client's sending rate: that is measured afresh, and the
    /// bucket starts empty. The caller wakes the waiting requests once the
    /// lock is released.
    fn probe_through(&self, state: &mut State, now: Instant, sent_at: Instant, sent: u64) {
        state.probe = Probe::Off;
        let planned = state.planned_probe.take();
        let aligned = PlannedProbe::aligned(planned);
        let guessed = PlannedProbe::guessed(planned);
        if std::mem::take(&mut state.past_budget) {
            if let Some(windows) = state.long_windows.as_mut() {
                windows.room_for_more();
            }
            return;
        }
        if self.window_opened(state, now, sent_at, aligned, guessed) {
            return;
        }
        if let Some(refused) = state.if_probe_passes_at_once.take() {
            state.curve = Curve::level_off_at(refused);
            state.bucket.rate = self.capped(curve::decreased(refused));
        }
        // Got through at once: the first probe, after the first pause of
        // 50 ms, not lengthened by a `Retry-After` (a window that turned
        // within those 50 ms looks the same; its next window's end ends
        // the doubling).
        let at_once = state.refused_probes == 0
            && !state.foreseen_pause
            && state
                .decreased_at
                .is_some_and(|d| sent_at.saturating_duration_since(d) < probe::FIRST_PAUSE * 2);
        state.slow_start = (state.first_pause && at_once)
            .then_some(state.bucket.rate)
            .filter(|r| r.is_finite());
        state.curve_from = Some(now);
        let flowed_from = state.flowing_since.replace(now);
        // Where the server's window turned: between the last refused
        // probe and this one, as the server saw them.
        let turned = match state.probe_refused_at.take() {
            Some(refused) => refused + sent_at.saturating_duration_since(refused) / 2,
            None => sent_at,
        };
        self.correct_from_cycle(state, turned, flowed_from);
        state.sending.restart(now, sent);
        state.bucket.empty(now);
    }

    /// At the end of a pause, the window having turned at `now`: when a
    /// whole cycle of the server's window (from the last turn to this one:
    /// sending, refused, paused) let through well under the estimate made
    /// at the decrease, that is the server's limit, and the curve levels
    /// off there instead (see [`curve::cycle_limit`]). Learns the cycle when
    /// the pause showed a window. Starts the next cycle. `flowed_from`:
    /// when requests last flowed again, after the pause before.
    fn correct_from_cycle(&self, state: &mut State, now: Instant, flowed_from: Option<Instant>) {
        let total = self.accepted.ever();
        let Some((from, then)) = state.cycle_from.replace((now, total)) else {
            return;
        };
        let cycle = now.saturating_duration_since(from);
        // Probes refused for a while before this one got through: the limit
        // counts in windows, and a cycle is about one.
        // A cycle in which the client was idle part of the time says
        // nothing of the window: while it flowed (from the end of the last
        // pause to the decrease that started this one), it must have let
        // through at least half the rate refused. The pause is not
        // idleness: several clients that share a window use it up early
        // and wait for the next.
        let flowed_from = flowed_from.unwrap_or(from).max(from);
        let flowing = state
            .decreased_at
            .filter(|&d| d > flowed_from)
            .map_or(now.saturating_duration_since(flowed_from), |d| {
                d.saturating_duration_since(flowed_from)
            });
        let busy = (total - then) as f64 >= 0.5 * state.curve.refused_rate * flowing.as_secs_f64();
        // A cycle whose pause refused probes for a while, and was a good
        // part of it: about a window. (A token bucket shared with other
        // clients refuses probes now and then too, but after a long time
        // flowing: taken for a window's cycle, that time was a pause of up
        // to `LONGEST_PAUSE`.)
        let paused = state
            .decreased_at
            .filter(|&d| d > from)
            .map_or(Duration::ZERO, |d| now.saturating_duration_since(d));
        let window_like = state.refused_probes >= probe::WINDOW_PROBES
            && paused.as_secs_f64() >= probe::WINDOW_PAUSE_SHARE * cycle.as_secs_f64();
        state.window_cycle = if !busy {
            None
        } else if window_like {
            Some(cycle)
        } else if state.foreseen_pause {
            // The probe went at the window foreseen: got through at once,
            // it may have been late, so the cycle is no longer than that.
            state.window_cycle.map(|known| known.min(cycle))
        } else {
            None
        };
        let Some(limit) =
            curve::cycle_limit(total - then, cycle, state.curve.refused_rate).filter(|_| busy)
        else {
            return;
        };
        state.curve = Curve::level_off_at(limit);
        state.bucket.rate = self.capped(curve::decreased(limit));
        tracing::info!(
            target: LOG_TARGET,
            rate = state.bucket.rate,
            refused_rate = limit,
            "the server let {limit:.1} requests a second through from one pause to the next: the client slows down to {:.1} requests a second",
            state.bucket.rate
        );
    }

    /// A 429 to a request other than the probe, `recent` 429s among the
    /// last answers (`left_out`: a retry's, left out of them while first
    /// attempts get through): a `Retry-After` lengthens a pause under way;
    /// then decides whether it belongs to the event already dealt with
    /// ([`State::same_event`]), is a passing refusal (a retry's left out;
    /// before the client met the limit, a lone one; within the noise; a
    /// lone one with a `Retry-After` over a second), or is the server's
    /// limit ([`decrease`](Self::decrease)); and who paces the request's
    /// retry.
    fn refused(
        &self,
        state: &mut State,
        now: Instant,
        sent_at: Instant,
        recent: u32,
        left_out: bool,
        retry_after: Option<Duration>,
    ) -> Pacing {
        if let Some(after) = retry_after {
            state.probe.wait_at_least(now, after);
        }
        if state.same_event(sent_at) {
            return Pacing::Limiter { counts: false };
        }
        // Sending by long windows: any 429 says the window has no more room.
        if state.long_windows.is_some() {
            self.window_closed(state, now, sent_at, false, retry_after);
            return Pacing::Limiter { counts: false };
        }
        // The server's limit: 429s that keep coming (a window refuses
        // every request, a token bucket one here and there). Before the
        // client met the limit (its first decrease), a lone one (a proxy's,
        // a fault) is a passing refusal: nothing slows down (random 429s
        // would hold the client down otherwise). Once it met it, one 429 is
        // the limit again: waiting for a second costs one more refusal at
        // each overshoot, for every client sharing the limit. (A lone one with a `Retry-After` of more than a second is
        // still left to the retry policy, which waits it out for that
        // request alone.) No more 429s than the noise is a passing refusal
        // either, and nor is a retry's while first attempts get through
        // (one request's fault of its own).
        // Noise is a share of 429s that does not depend on the rate: once
        // far more come than that, the client sped into a limit, and the
        // noise was wrong.
        if state.noise > 0.0 && self.recent_refusals.share_of_64() > 2.0 * state.noise + 1.0 / 16.0
        {
            state.noise = 0.0;
        }
        let noisy = state.noise > 0.0 && f64::from(recent) <= 4.0 * state.noise * f64::from(RECENT);
        // The client met the limit at its first decrease.
        let met_limit = state.decreased_at.is_some();
        let lone = recent < RECENT_LIMIT && (!met_limit || retry_after.is_some());
        if noisy || left_out || lone {
            // Once the client is held to a rate (it met the limit, or has a
            // cap), the retry waits its turn among the others: the rate
            // spaces the requests, and a `Retry-After` of a second or less
            // (a bucket's token, rounded up) asks for nothing more. It
            // counts as an attempt.
            if self.engaged.load(Ordering::Acquire) && retry_after.is_none() {
                return Pacing::Limiter { counts: true };
            }
            return Pacing::Policy;
        }
        self.decrease(state, now, retry_after);
        Pacing::Limiter { counts: false }
    }

    /// The window under way has no more room (a 429 to a request that left
    /// at `closed_at`; `past_budget`: the probe past the budget): the
    /// client waits for the next window, looking for it from as early as
    /// it may open when its length is known (a step at a time until as
    /// late as it may open), just past the turn a length of whole seconds
    /// would make before the length is measured (see
    /// [`LongWindows::guessed_turn`]), from a short pause otherwise.
    fn window_closed(
        &self,
        state: &mut State,
        now: Instant,
        closed_at: Instant,
        past_budget: bool,
        retry_after: Option<Duration>,
    ) {
        let Some(windows) = state.long_windows.as_mut() else {
            return;
        };
        windows.closed(closed_at, past_budget);
        let pause = probe::first_pause(retry_after);
        let foreseen = windows.foreseen(now);
        // A wrong guess costs at most a window (or the longest pause,
        // before the length is known).
        let longest = probe::LONGEST_PAUSE
            .max(pause)
            .max(windows.length().unwrap_or_default());
        // Before the length is measured, the windows are guessed to last a
        // whole number of seconds: the probe goes just past the next turn
        // that would make.
        let guessed = foreseen
            .is_none()
            .then(|| windows.guessed_turn(now + pause))
            .flatten()
            .filter(|&at| at <= now + longest);
        let until = foreseen
            .map_or(windows.not_before(), |scan| scan.from)
            .max(now + pause)
            .min(now + longest);
        let until = guessed.unwrap_or(until);
        // A window that turned at a whole multiple of a likely length on
        // the clock (Rack::Attack's) turns next at the next multiple: the
        // probe goes just after it, not before, and looks again soon once
        // if refused (see `probe_refused`).
        let (turn, at_least, length) = windows.known();
        let aligned = state
            .clock
            .anchor()
            .and_then(|anchor| {
                let at = probe::aligned_next_turn(
                    anchor.since_epoch(turn.at)?,
                    turn.within,
                    anchor.since_epoch(closed_at)?,
                    at_least,
                    length?,
                )?;
                anchor.instant(at)
            })
            .filter(|&at| at >= now + pause && at <= now + longest);
        let until = aligned.unwrap_or(until);
        state.planned_probe = aligned
            .map(PlannedProbe::Aligned)
            .or(guessed.map(PlannedProbe::Guessed));
        state.probe = Probe::Waiting { until, pause };
        state.scan = foreseen;
        state.foreseen_pause = foreseen.is_some();
        state.decreased_at = Some(now);
        state.generation += 1;
        state.refused_probes = 0;
        state.probe_refused_at = Some(closed_at);
    }

    /// A probe got through after a pause: when the client sends by long
    /// windows, the next window opened, and the client sends its budget
    /// (or, got through at once after a 429 it did not foresee, these were
    /// no windows: back to a rate, which the caller goes on with). After a
    /// pause of [`LONG`](super::long_windows::LONG) or more that refused
    /// probes until a window opened, the client starts sending by windows.
    /// Says whether the probe was dealt with. A probe meant to go just
    /// after a turn of a window aligned to the clock (`aligned`: when, the
    /// turn and the margin after it) found a window that opened no sooner
    /// than a margin before that turn (the client's clock and the server's
    /// may be apart by as much), however late the probe went; one meant
    /// for a guessed turn (`guessed`: when) found a window that opened no
    /// sooner than the guess allows
    /// ([`LongWindows::guessed_opened_after`]).
    fn window_opened(
        &self,
        state: &mut State,
        now: Instant,
        sent_at: Instant,
        aligned: Option<Instant>,
        guessed: Option<Instant>,
    ) -> bool {
        let accepted = self.accepted.ever().saturating_sub(1);
        let refused_for = state
            .decreased_at
            .map_or(Duration::ZERO, |d| sent_at.saturating_duration_since(d));
        let opened_after =
            aligned.and_then(|planned| planned.checked_sub(probe::ALIGNED_MARGIN * 2));
        let closed_at = state.probe_refused_at;
        // Got through at the first probe for a window foreseen: it opened
        // after as early as it could (a step before, for a foresight a
        // little off), and before this probe; if the probe went later than
        // the latest it could open, it is not known when.
        // At a foresight from a likely length, the first probe goes before
        // the earliest the window could turn: got through there, the length
        // was not that one; later (a pause or a `Retry-After` held it), the
        // window opened no sooner than that earliest.
        let scan_from = match state.scan {
            Some(scan)
                if state.foreseen_pause && state.refused_probes == 0 && sent_at <= scan.until =>
            {
                if scan.likely {
                    if sent_at < scan.earliest && aligned.is_none() {
                        // Let through before the earliest the window could
                        // turn: the length was not that one. (A probe at an
                        // aligned turn goes after the turn, by design.)
                        if let Some(windows) = state.long_windows.as_mut() {
                            windows.not_likely();
                        }
                        None
                    } else {
                        Some(scan.earliest)
                    }
                } else {
                    Some(scan.from.checked_sub(scan.step).unwrap_or(scan.from))
                }
            }
            _ => None,
        };
        let mut next = match state.long_windows {
            Some(windows) => {
                let at_once = state.refused_probes == 0
                    && !state.foreseen_pause
                    && refused_for < probe::FIRST_PAUSE * 2;
                if at_once {
                    self.leave_windows(state, now, windows, accepted);
                    return false;
                }
                // A probe at a guessed turn that got through found a window
                // that opened no sooner than the earliest the guess allows.
                let guessed_after = guessed.map(|planned| windows.guessed_opened_after(planned));
                let closed = scan_from
                    .or(closed_at)
                    .max(opened_after)
                    .max(guessed_after)
                    .unwrap_or(sent_at);
                windows.opened(Turn::between(closed, sent_at), accepted)
            }
            None => {
                if state.refused_probes < probe::WINDOW_PROBES
                    || refused_for < super::long_windows::LONG
                {
                    return false;
                }
                let budget = accepted.saturating_sub(state.cycle_from.map_or(0, |c| c.1));
                let turn = Turn::between(closed_at.unwrap_or(sent_at), sent_at);
                tracing::info!(
                    target: LOG_TARGET,
                    budget,
                    "the server counts requests in windows of {:.1} s or more: the client sends {budget} as each window opens",
                    refused_for.as_secs_f64()
                );
                // The window refused requests from the 429s until the last
                // refused probe at least: it lasts that long.
                let at_least = match (closed_at, state.decreased_at) {
                    (Some(closed), Some(decreased)) => closed.saturating_duration_since(decreased),
                    _ => Duration::ZERO,
                };
                LongWindows::first(turn, budget, accepted, at_least)
            }
        };
        // The probe was the window's first request.
        next.next(now, accepted, 0);
        state.long_windows = Some(next);
        self.by_windows.store(true, Ordering::Release);
        state.probe_refused_at = None;
        state.check = None;
        state.refused_probes = 0;
        state.foreseen_pause = false;
        state.scan = None;
        state.bucket.rate = self.capped(f64::INFINITY);
        state.bucket.empty(now);
        state.flowing_since = Some(now);
        state.cycle_from = Some((now, accepted));
        true
    }

    /// These were no fixed windows (a request got through soon after a
    /// 429, or after one it left after): the client goes back to a rate,
    /// the one let through since the last window opened (`accepted`:
    /// answers let through, ever), from now.
    fn leave_windows(&self, state: &mut State, now: Instant, windows: LongWindows, accepted: u64) {
        let rate = windows.rate_so_far(now, accepted);
        state.long_windows = None;
        state.scan = None;
        state.past_budget = false;
        state.planned_probe = None;
        self.by_windows.store(false, Ordering::Release);
        // Nor what the paced client learnt of windows, nor the pause: the
        // client flows at the rate from now. (A probe out, answered later,
        // is an answer like any other.)
        state.window_cycle = None;
        state.foreseen_pause = false;
        state.probe_refused_at = None;
        state.first_pause = false;
        state.probe = Probe::Off;
        state.curve = Curve::level_off_at(rate);
        state.bucket.rate = self.capped(curve::decreased(rate));
        state.curve_from = Some(now);
        state.bucket.empty(now);
        state.refused_probes = 0;
        tracing::info!(
            target: LOG_TARGET,
            rate = state.bucket.rate,
            "requests got through right after a 429: no fixed windows; the client goes on at {:.1} requests a second",
            state.bucket.rate
        );
    }

    /// A run of 429s confirms the server's limit: the rate drops to `BETA`
    /// times the refused rate ([`refused_rate`](Self::refused_rate)), the
    /// curve is shaped to level off at it, requests that reserved tokens at
    /// the old rate wait again, and the limiter holds every request from
    /// now on. At the end of a window reached a little early (see
    /// [`curve::at_window_edge`]) the curve starts at once; otherwise the
    /// client pauses, then probes.
    fn decrease(&self, state: &mut State, now: Instant, retry_after: Option<Duration>) {
        if state.check.is_none() {
            let engaged = self.engaged.load(Ordering::Acquire);
            state.check = Some(Check {
                rate_before: if engaged {
                    state.bucket.rate
                } else {
                    f64::INFINITY
                },
                sending_before: 0.0,
                share_before: self.recent_refusals.share_of_64(),
                seen: 0,
                refused: 0,
            });
        }
        let (refused, let_through) = self.refused_rate(state, now, true);
        // A client younger than a second took its life for a second: right
        // for a window, which let a burst through and refuses the rest of
        // it; far too low for a token bucket, which lets requests through
        // again at its rate at once. Which it was, the probe tells: kept
        // for `probe_through`.
        let (refused_over_life, _) = self.refused_rate(state, now, false);
        // The check measures how far the client slowed from the fastest it
        // sent at while the 429s came.
        if let Some(check) = state.check.as_mut() {
            check.sending_before = check.sending_before.max(refused);
        }
        state.if_probe_passes_at_once = (refused_over_life > refused).then_some(refused_over_life);
        // 429s here and there among answers that get through, to a client
        // already held to a rate: a token bucket refusing the few requests
        // over its rate, not a window that refuses all until it ends. The
        // rate decreases without a pause, as TCP's does on a lost packet: a
        // pause would leave the limit to the clients that share it and did
        // not pause.
        // Answers to first attempts that got through between this 429 and
        // the last: a window refuses every request in a row. Unless the
        // client learnt the server's windows: then a 429 closed the window
        // until it turns, however many got through before, and the client
        // pauses until the turn it foresees.
        let scattered = self.engaged.load(Ordering::Acquire)
            && state.window_cycle.is_none()
            && self.recent_refusals.through_before_latest() >= SCATTERED
            && retry_after.is_none();
        let edge = scattered
            || curve::at_window_edge(
                state.bucket.rate,
                let_through,
                state.decreased_at.map(|d| now.saturating_duration_since(d)),
                retry_after,
                state.window_cycle,
            );
        let first = state.decreased_at.is_none();
        state.planned_probe = None;
        state.curve = Curve::level_off_at(refused);
        state.slow_start = None;
        state.decreased_at = Some(now);
        state.generation += 1;
        state.bucket.rate = self.capped(curve::decreased(refused));
        state.bucket.empty(now);
        self.engaged.store(true, Ordering::Release);
        if edge {
            state.curve_from = Some(now);
            // What the trace says is what the limiter took the 429 for.
            let seen = if scattered {
                "among answers let through"
            } else {
                "at the end of a window"
            };
            tracing::info!(
                target: LOG_TARGET,
                rate = state.bucket.rate,
                refused_rate = refused,
                "rate limited (429) {seen}: the client slows down to {:.1} requests a second, without a pause",
                state.bucket.rate
            );
        } else {
            let pause = probe::first_pause(retry_after);
            // A window refused the probes of the last pause, and a cycle
            // (one pause's end to the next) is known: the next window opens
            // about a cycle after the last one did. The first probe goes a
            // little before that, rather than many from now on.
            let foreseen = match (state.window_cycle, state.cycle_from) {
                (Some(cycle), Some((from, _))) if cycle > probe::FIRST_PAUSE => {
                    // The first window boundary after now, a little early.
                    let since = now.saturating_duration_since(from).as_secs_f64();
                    let cycles = (since / cycle.as_secs_f64()).floor() + 1.0;
                    Some(from + cycle.mul_f64(cycles) - cycle.mul_f64(probe::EARLY_SHARE))
                }
                _ => None,
            };
            state.foreseen_pause = false;
            state.probe = match foreseen {
                // Never longer than the longest pause between probes, or a
                // Retry-After: a cycle that is wrong costs little.
                Some(until)
                    if until > now + pause && until <= now + probe::LONGEST_PAUSE.max(pause) =>
                {
                    state.foreseen_pause = true;
                    Probe::Waiting { until, pause }
                }
                _ => Probe::pause_from(now, pause),
            };
            state.refused_probes = 0;
            state.first_pause = first;
            tracing::info!(
                target: LOG_TARGET,
                rate = state.bucket.rate,
                refused_rate = refused,
                pause_ms = pause.as_millis() as u64,
                "rate limited (429): the client pauses, then slows down to {:.1} requests a second",
                state.bucket.rate
            );
        }
    }

    /// The rate the server refused, and the rate it let requests through
    /// at: measured over the last second, or since the last pause ended if
    /// that was less than a second ago (the pause is not a rate the server
    /// asked for); see [`curve::refused_rate`]. Within 200 ms of a pause's
    /// end both measures are unknown, and the refused rate is the rate the
    /// client is held to: finite, since a pause follows a decrease. Before
    /// any request of the client was let through, the rate let through is
    /// unknown too (not none): the first 429s can come back before the
    /// answers to the requests sent with them, a limit answering at once
    /// and the work it guards taking longer, and the client then slows
    /// from the rate it sent at rather than to the floor.
    fn refused_rate(&self, state: &State, now: Instant, young_as_a_second: bool) -> (f64, f64) {
        let since = state.flowing_since;
        let sending = self.sent_recently.per_second(now, since, young_as_a_second);
        let let_through = self.accepted.per_second(now, since, young_as_a_second);
        let known = if self.accepted.ever() == 0 {
            f64::INFINITY
        } else {
            let_through
        };
        (
            curve::refused_rate(sending, state.bucket.rate, known),
            let_through,
        )
    }

    /// An answer other than 429, while requests flow along a curve: the
    /// rate moves to where the curve is now (see [`curve::grown`]), within
    /// the cap and the floor. Nothing changes before the first decrease, or
    /// while the client is paused.
    fn grow(&self, state: &mut State, now: Instant) {
        let (Some(from), Probe::Off, None) = (state.curve_from, state.probe, state.long_windows)
        else {
            return;
        };
        let since = now.saturating_duration_since(from).as_secs_f64();
        let rate = self.capped(match state.slow_start {
            Some(from) => curve::slow_start(from, since, state.sending.measured),
            None => curve::grown(state.curve, since, state.sending.measured),
        });
        state.bucket.refill(now);
        if (rate - state.bucket.rate).abs() > state.bucket.rate * 0.1 {
            tracing::debug!(
                target: LOG_TARGET,
                rate,
                "the client's request rate is now {rate:.1} a second"
            );
        }
        state.bucket.rate = rate;
    }

    /// Counts an answer (`refused`: a 429) to a first attempt that left at
    /// `sent_at`, for the check after the last decrease. At each round of
    /// [`CHECK_ANSWERS`] sent after a decrease: fewer than
    /// [`CHECK_REFUSED`] 429s, or a share under [`SAME_SHARE`] of the share
    /// before, and they were a limit (the check ends); otherwise, once the
    /// client has slowed to [`DEEP`] times the fastest it sent at (the
    /// highest refused rate of its decreases), they do not depend on the
    /// rate: unless they are more than [`MOST_NOISE`] of the answers, the
    /// decrease is undone (the client stays held to a rate) and such a
    /// share of 429s counts as noise from then on; before that, another
    /// round.
    fn check_after_decrease(&self, state: &mut State, sent_at: Instant, refused: bool) {
        let (Some(check), Some(decreased)) = (state.check.as_mut(), state.decreased_at) else {
            return;
        };
        if sent_at <= decreased {
            return;
        }
        check.seen += 1;
        check.refused += u32::from(refused);
        if check.seen < CHECK_ANSWERS {
            return;
        }
        let share = f64::from(check.refused) / f64::from(check.seen);
        // A limit refuses far less once the client slows down (and the
        // noise measured before was less than thought).
        if check.refused < CHECK_REFUSED || share < SAME_SHARE * check.share_before {
            state.check = None;
            state.noise /= 2.0;
            return;
        }
        if state.bucket.rate > DEEP * check.sending_before {
            // Not slowed down enough to tell yet: other clients sharing the
            // limit may keep it refusing. Count again.
            check.seen = 0;
            check.refused = 0;
            return;
        }
        let check = *check;
        state.check = None;
        // So many 429s, even after the client slowed down, are no proxy's
        // noise: other clients share the limit and keep it refusing.
        if share > MOST_NOISE {
            return;
        }
        state.noise = state.noise.max(share);
        // Back to where the client was, but still held to a rate: if the
        // noise was a limit after all, the client must not flood it.
        state.bucket.rate = self.capped(check.rate_before.min(check.sending_before));
        state.curve = Curve::flat(state.bucket.rate);
        state.slow_start = None;
        // The rate grows from here, not from where the last curve started.
        state.curve_from = Some(Instant::now());
        tracing::info!(
            target: LOG_TARGET,
            share,
            "429s kept coming after the client slowed down: they do not depend on its rate, and it goes back to where it was"
        );
    }

    /// `rate`, within the cap and the floor.
    fn capped(&self, rate: f64) -> f64 {
        curve::within(rate, self.cap)
    }

    /// What the limiter is doing now.
    pub(crate) fn status(&self) -> RateLimitStatus {
        let state = self.state();
        RateLimitStatus {
            requests_per_second: match state.long_windows {
                Some(windows) => windows.rate(),
                None => self
                    .engaged
                    .load(Ordering::Acquire)
                    .then_some(state.bucket.rate)
                    .filter(|r| r.is_finite()),
            },
            paused: state.probe != Probe::Off,
            throttled: state.throttled,
        }
    }

    /// Whether the limiter adapts to 429s.
    pub(crate) fn adapts(&self) -> bool {
        self.adaptive
    }

    /// The rate requests are held to, while the limiter holds them back.
    pub(crate) fn current_rate(&self) -> Option<f64> {
        if !self.engaged.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state();
        match state.long_windows {
            Some(windows) => windows.rate(),
            None => Some(state.bucket.rate).filter(|r| r.is_finite()),
        }
    }
}

impl State {
    /// Whether a 429 to a request that left at `sent_at` belongs to the
    /// congestion event already dealt with: the client is paused (or
    /// waiting for a probe's answer), or the request left before the last
    /// decrease, at the old rate. One event decreases the rate once.
    fn same_event(&self, sent_at: Instant) -> bool {
        self.probe != Probe::Off
            || self
                .decreased_at
                .is_some_and(|decreased| sent_at <= decreased)
    }
}

#[cfg(test)]
mod wall_clock_tests {
    use super::*;

    #[test]
    fn an_anchor_converts_both_ways_around_its_reading() {
        let at = Instant::now() + Duration::from_secs(100);
        let anchor = Anchor {
            at,
            since: Duration::from_secs(1_000),
        };
        let s = Duration::from_secs;
        assert_eq!(anchor.since_epoch(at + s(5)), Some(s(1_005)));
        assert_eq!(anchor.since_epoch(at - s(3)), Some(s(997)));
        assert_eq!(anchor.instant(s(1_010)), Some(at + s(10)));
        assert_eq!(anchor.instant(s(990)), Some(at - s(10)));
        // Before the epoch, there is no time since it.
        let young = Anchor { at, since: s(2) };
        assert_eq!(young.since_epoch(at - s(3)), None);
    }

    #[test]
    fn the_system_clock_reads_the_time_of_day() {
        let anchor = WallClock::System.anchor().expect("the clock is after 1970");
        // 2020-01-01 as seconds since the epoch: the system's clock, not
        // an epoch at the anchor.
        assert!(anchor.since > Duration::from_secs(1_577_836_800));
        let fixed = Instant::now();
        let at_epoch = WallClock::Fixed(fixed).anchor().expect("fixed");
        assert_eq!(
            at_epoch.since_epoch(fixed + Duration::from_secs(7)),
            Some(Duration::from_secs(7))
        );
    }
}
