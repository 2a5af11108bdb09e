//! `voxys leads create --from FILE`: a lead for each line of a file, each
//! exactly once, even across crashes, kills and Ctrl-C.
//!
//! How (see [`journal`] for the file):
//! 1. The input is read whole (NDJSON or CSV, see [`input`]); each line
//!    gets a key.
//! 2. Lines the journal has as done are skipped (their leads are reported).
//!    Lines whose lead was made but whose status and notes were not set
//!    get them set.
//! 3. Lines sent but not settled (the run that sent them stopped before the
//!    answer, or could not tell what it made) are settled before anything
//!    new is sent: the leads made since the line was sent (less the SDK's
//!    [`CLOCK_ALLOWANCE`]) with every member the create sent (as the
//!    journal has it) are listed
//!    ([`CreateLead::find_made_since`](voxys_connect::leads::CreateLead::find_made_since)),
//!    leaving out those the journal says lines made: exactly one is the
//!    line's lead; none, and the line is created; more than one, and the
//!    line is reported as unknown (nothing is created). Identical lines are
//!    settled together (as many leads as lines at most, one each); lines
//!    with more members first, as a lead made for one with fewer cannot
//!    match them.
//! 4. The other lines are created, `--concurrency` at a time, but never two
//!    at once that the SDK could take for each other when an answer is lost
//!    (identical lines, or one whose members are all in the other): those
//!    go one after the other. And none is sent while a line it could be
//!    taken for is unknown: it is held (reported), for a later run.

pub mod input;
pub mod journal;

use std::collections::{HashMap, VecDeque};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::Value;
use voxys_connect::types::{Lead, Timestamp};
use voxys_connect::{CLOCK_ALLOWANCE, Client, Error};

use crate::connect::{ConnectionArgs, connect};
use crate::output::{OutputArgs, RecordWriter, Sink, Tabular, names};
use crate::signals::Interrupts;
use crate::{Failure, describe, exit, field_errors, write_failure};

use input::{Fields, InputFormat, Line, Member, Plan};
use journal::{Event, Journal, State};

/// The journal of an import from standard input, in the current directory,
/// unless `--journal` says otherwise.
pub const STDIN_JOURNAL: &str = "voxys-leads-create.journal";
/// The failures file of an import from standard input, in the current
/// directory, unless `--failures` says otherwise.
pub const STDIN_FAILURES: &str = "voxys-leads-create.failures.ndjson";
/// The most lines created at once.
pub const MAX_CONCURRENCY: usize = 32;

/// The flags of `voxys leads create --from`.
#[derive(Args)]
pub struct ImportArgs {
    /// The input's format [default: from the file's extension (.csv; .ndjson,
    /// .jsonl, .json), else from its content].
    #[arg(long, value_enum, value_name = "FORMAT", requires = "from")]
    pub input_format: Option<InputFormat>,
    /// The journal of what was sent and made, for reruns [default: FILE.journal
    /// next to the input; for standard input, voxys-leads-create.journal in
    /// the current directory].
    #[arg(long, value_name = "PATH", requires = "from")]
    pub journal: Option<PathBuf>,
    /// Where to write the lines that failed, each with why, as NDJSON
    /// [default: FILE.failures.ndjson next to the input; for standard
    /// input, voxys-leads-create.failures.ndjson in the current directory].
    #[arg(long, value_name = "PATH", requires = "from")]
    pub failures: Option<PathBuf>,
    /// Leave these members out of every line (comma-separated), such as
    /// agent,company when copying into an account whose agents and
    /// companies differ.
    #[arg(
        long,
        value_enum,
        value_name = "MEMBERS",
        value_delimiter = ',',
        requires = "from"
    )]
    pub omit: Vec<Member>,
    /// Lines created at once, 1 to 32. Lines that could be taken for each
    /// other (identical ones...) still go one after the other.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub concurrency: usize,
}

/// What became of a line, as the import prints it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Made {
    /// The line's number in the input.
    pub line: usize,
    /// The `id` the line carried (the lead it was listed from), if any.
    pub source_id: Option<i64>,
    /// The lead made for it.
    pub id: i64,
    /// `created` (now), `recovered` (by an earlier run that stopped before
    /// its answer, found now), or `earlier` (done by an earlier run: skipped).
    pub outcome: String,
}

const MADE_COLUMNS: [&str; 4] = ["line", "source_id", "id", "outcome"];

impl Tabular for Made {
    const NOUN: &'static str = "leads";
    const TABLE: &'static [&'static str] = &["line", "source id", "lead", "outcome"];

    fn csv_columns() -> Vec<String> {
        names(&MADE_COLUMNS)
    }

    fn table_row(&self) -> Vec<String> {
        vec![
            self.line.to_string(),
            self.source_id.map(|i| i.to_string()).unwrap_or_default(),
            self.id.to_string(),
            self.outcome.clone(),
        ]
    }

    fn csv_row(&self, _raw: bool) -> Vec<String> {
        self.table_row()
    }
}

/// Why a line was not done, as the failures file has it.
#[derive(Debug, Serialize)]
struct Failed {
    line: usize,
    source_id: Option<i64>,
    /// `invalid` (not sent), `failed` (refused, or an error: see `why`),
    /// `unknown` (it may or may not have made a lead), `held` (not sent, as
    /// it could be taken for an unknown line), `incomplete` (its lead was
    /// made, its status or notes not set).
    outcome: &'static str,
    why: String,
    /// A 422's fields and their messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// The lead made, for `incomplete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    lead_id: Option<i64>,
    /// The leads that could be the line's, for `unknown`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<i64>,
    /// The line as read.
    record: Value,
    /// The first API error, for the exit code.
    #[serde(skip)]
    error: Option<Error>,
}

/// The counts of the summary.
#[derive(Default)]
struct Tally {
    created: usize,
    recovered: usize,
    earlier: usize,
    failed: Vec<Failed>,
}

impl Tally {
    fn done(&self) -> usize {
        self.created + self.recovered + self.earlier
    }
}

/// Stops new lines on the first interrupt (Ctrl-C, SIGTERM, SIGHUP); exits
/// at once on the second. The handlers are in place when this returns
/// (before anything is sent), so that an interrupt never kills the import
/// half way through a line.
fn watch_interrupts() -> Result<Arc<AtomicBool>, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let mut interrupts = Interrupts::new().map_err(crate::signals::cannot_watch)?;
    tokio::spawn(async move {
        if !interrupts.next().await {
            return;
        }
        flag.store(true, Ordering::SeqCst);
        eprintln!(
            "interrupted: no new line is sent; waiting for the lines in flight (interrupt again to stop at once)."
        );
        if interrupts.next().await {
            eprintln!(
                "interrupted again: stopped at once. The journal records every line sent; run the same command again to settle them and finish."
            );
            std::process::exit(i32::from(exit::INTERRUPTED));
        }
    });
    Ok(stop)
}

/// The default of a path next to the input (`FILE.suffix`), or in the
/// current directory for standard input.
fn next_to(from: &Path, suffix: &str, stdin_name: &str) -> PathBuf {
    if from == Path::new("-") {
        return PathBuf::from(stdin_name);
    }
    let mut name = from.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The input's text.
fn read_input(from: &Path) -> Result<String, Failure> {
    let mut text = String::new();
    if from == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .map_err(|e| {
                Failure::new(
                    exit::USAGE,
                    format!("cannot read the leads from standard input: {e}."),
                )
            })?;
    } else {
        text = std::fs::read_to_string(from).map_err(|e| {
            Failure::new(
                exit::USAGE,
                format!("cannot read the leads from {}: {e}.", from.display()),
            )
        })?;
    }
    Ok(text)
}

/// A progress bar on standard error when it is a terminal.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} lines  {msg}  {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    crate::connect::bar_shown();
    bar
}

/// Whether a create's error proves that it made nothing: the API refused
/// it (401, 404, 422, 429 on every attempt) or the SDK did not send it.
/// Other errors leave the line `sent`, and the next run looks for its lead
/// before creating it again.
fn made_nothing(error: &Error) -> bool {
    matches!(
        error,
        Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::Validation { .. }
            | Error::RateLimited { .. }
            | Error::InvalidParameter { .. }
            | Error::Config(_)
    )
}

/// One import: its lines, the client, the journal, and what came of it.
struct Import<'a> {
    client: Client,
    account: i64,
    lines: &'a [Line],
    keys: Vec<String>,
    journal: Journal,
    writer: RecordWriter<Sink>,
    tally: Tally,
    progress: ProgressBar,
    stop: Arc<AtomicBool>,
    /// Lines whose outcome is unknown (left `sent`): no line that could be
    /// taken for one of them is sent.
    unsettled: Vec<usize>,
    /// The members each line's create sent, when an earlier run sent them
    /// (read from the journal) or this one did.
    sent: Vec<Option<Fields>>,
    /// Whether the output is still read (not a closed pipe).
    output_open: bool,
}

/// What a line's request in flight came to.
enum Answer {
    Created(usize, voxys_connect::Result<Lead>),
    FollowedUp(usize, i64, voxys_connect::Result<Lead>),
}

/// The plan of a line that has one (only those are ever sent).
fn plan_of(lines: &[Line], index: usize) -> &Plan {
    match &lines[index].plan {
        Ok(plan) => plan,
        Err(_) => unreachable!("a line that is not valid is never sent"),
    }
}

impl<'a> Import<'a> {
    fn plan(&self, index: usize) -> &'a Plan {
        plan_of(self.lines, index)
    }

    /// The members line `index`'s create sent (or would send).
    fn fields(&self, index: usize) -> &Fields {
        match &self.sent[index] {
            Some(fields) => fields,
            None => &self.plan(index).fields,
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Prints a line's lead and counts it.
    fn made(&mut self, index: usize, id: i64, outcome: &str) -> Result<(), Failure> {
        let line = &self.lines[index];
        let made = Made {
            line: line.number,
            source_id: line.source_id,
            id,
            outcome: outcome.to_owned(),
        };
        if self.output_open {
            let written = self.writer.write(&made).and_then(|()| self.writer_flush());
            match written {
                Ok(()) => {}
                // The reader went away (`| head`): the import goes on, as
                // stopping half way would leave lines in flight.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => self.output_open = false,
                Err(e) => return Err(write_failure(e)),
            }
        }
        match outcome {
            "created" => self.tally.created += 1,
            "recovered" => self.tally.recovered += 1,
            _ => self.tally.earlier += 1,
        }
        self.progress.inc(1);
        Ok(())
    }

    fn writer_flush(&mut self) -> std::io::Result<()> {
        match &mut self.writer {
            RecordWriter::Ndjson(out, _) => out.flush(),
            _ => Ok(()),
        }
    }

    /// Counts a line as not done, with why.
    fn fail(
        &mut self,
        index: usize,
        outcome: &'static str,
        why: String,
        error: Option<Error>,
        lead_id: Option<i64>,
        candidates: Vec<i64>,
    ) {
        let line = &self.lines[index];
        let fields = match &error {
            Some(Error::Validation { fields, .. }) if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        self.progress.inc(1);
        self.tally.failed.push(Failed {
            line: line.number,
            source_id: line.source_id,
            outcome,
            why,
            fields,
            lead_id,
            candidates,
            record: line.record.clone(),
            error,
        });
    }

    fn event_sent(&self, index: usize) -> Event {
        Event::Sent {
            key: self.keys[index].clone(),
            account: self.account,
            line: self.lines[index].number,
            at: Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
                std::time::SystemTime::now(),
            )),
            body: Some(self.fields(index).to_json()),
        }
    }

    fn event_made(&self, index: usize, id: i64, done: bool) -> Event {
        let (key, account, line) = (
            self.keys[index].clone(),
            self.account,
            self.lines[index].number,
        );
        if done {
            Event::Done {
                key,
                account,
                line,
                id,
            }
        } else {
            Event::Created {
                key,
                account,
                line,
                id,
            }
        }
    }

    /// The request that sets a line's status and notes, if it has any.
    fn follow_up(&self, index: usize, id: i64) -> Option<BoxFuture<'static, Answer>> {
        let (status, notes) = self.plan(index).follow_up()?;
        let mut request = self.client.leads(self.account).set_status(id, status);
        if let Some(notes) = notes {
            request = request.notes(notes);
        }
        Some(Box::pin(async move {
            Answer::FollowedUp(index, id, request.send().await)
        }))
    }

    /// What to do once a line's lead `id` is known: set its status and
    /// notes (journaled as created first), or journal it done.
    fn settle_made(
        &mut self,
        index: usize,
        id: i64,
        outcome: &str,
    ) -> Result<Option<BoxFuture<'static, Answer>>, Failure> {
        match self.follow_up(index, id) {
            Some(request) => {
                self.journal.record(self.event_made(index, id, false))?;
                Ok(Some(request))
            }
            None => {
                self.journal.record(self.event_made(index, id, true))?;
                self.made(index, id, outcome)?;
                Ok(None)
            }
        }
    }

    /// Handles what a request in flight came to; may start a follow-up.
    fn answered(
        &mut self,
        answer: Answer,
        outcomes: &mut HashMap<usize, &'static str>,
    ) -> Result<Option<BoxFuture<'static, Answer>>, Failure> {
        match answer {
            Answer::Created(index, Ok(lead)) => {
                if self
                    .journal
                    .made(self.client.base_url(), self.account, lead.id)
                {
                    // The SDK settled a lost answer on a lead an earlier
                    // run made for another line: this line's own may or may
                    // not exist. The next run settles it from the journal.
                    self.unsettled(
                        index,
                        format!(
                            "the answer was lost, and the lead the SDK found for it ({}) is one an earlier run made for another line; this line may or may not have made one. Run the same command again: it looks for this line's lead, leaving out those the journal knows",
                            lead.id
                        ),
                        Vec::new(),
                    );
                    return Ok(None);
                }
                outcomes.insert(index, "created");
                self.settle_made(index, lead.id, "created")
            }
            Answer::Created(index, Err(error)) => {
                let message = describe(&error, self.account, 0).message;
                match &error {
                    Error::OutcomeUnknown { why, .. } => {
                        let why = format!(
                            "the answer was lost and the SDK could not tell whether the lead was made: {why}. Run the same command again to look for it (one lead found is taken as this line's; none, and it is created)"
                        );
                        self.unsettled.push(index);
                        self.fail(index, "unknown", why, Some(error), None, Vec::new());
                    }
                    e if made_nothing(e) => {
                        self.journal.record(Event::Failed {
                            key: self.keys[index].clone(),
                            account: self.account,
                            line: self.lines[index].number,
                            why: message.clone(),
                        })?;
                        let why = match e {
                            Error::Validation { fields, .. } if !fields.is_empty() => format!(
                                "the API rejected it (422: {}); nothing was made",
                                field_errors(fields)
                            ),
                            _ => format!("{} Nothing was made.", message.trim_end()),
                        };
                        self.fail(index, "failed", why, Some(error), None, Vec::new());
                    }
                    _ => {
                        // It may have made a lead: it stays `sent`, and
                        // is settled like an unknown one.
                        let why = format!(
                            "{} The next run looks for its lead before creating it again.",
                            message.trim_end()
                        );
                        self.unsettled.push(index);
                        self.fail(index, "failed", why, Some(error), None, Vec::new());
                    }
                }
                Ok(None)
            }
            Answer::FollowedUp(index, id, Ok(_)) => {
                self.journal.record(self.event_made(index, id, true))?;
                let outcome = outcomes.remove(&index).unwrap_or("created");
                self.made(index, id, outcome)?;
                Ok(None)
            }
            Answer::FollowedUp(index, id, Err(error)) => {
                let message = describe(&error, self.account, 0).message;
                self.fail(
                    index,
                    "incomplete",
                    format!(
                        "lead {id} was made, but setting its status and notes failed: {} Run the same command again to set them.",
                        message.trim_end()
                    ),
                    Some(error),
                    Some(id),
                    Vec::new(),
                );
                Ok(None)
            }
        }
    }

    /// Settles lines an earlier run sent without knowing what they made:
    /// `group`, identical lines (the same members), sent at `since` at the
    /// earliest. The leads made since then (less the clock allowance) that
    /// match them, leaving out those the journal gives to other lines, are
    /// theirs: one each in line order, the lines left over are created; more
    /// leads than lines, and none is settled.
    async fn resolve(
        &mut self,
        group: &[usize],
        since: Timestamp,
    ) -> Result<Vec<Resolved>, Failure> {
        let allowance = chrono::Duration::from_std(CLOCK_ALLOWANCE)
            .unwrap_or_else(|_| chrono::Duration::zero());
        let since = Timestamp::from(*since - allowance);
        let request = self
            .fields(group[0])
            .request(&self.client.leads(self.account));
        let found = match request.find_made_since(since).await {
            Ok(found) => found,
            Err(error) => {
                let message = describe(&error, self.account, 0).message;
                for &index in group {
                    self.unsettled(
                        index,
                        format!(
                            "an earlier run sent this line without learning what it made, and looking for the lead it may have made failed: {} Run the same command again.",
                            message.trim_end()
                        ),
                        Vec::new(),
                    );
                }
                return Ok(vec![Resolved::Unsettled; group.len()]);
            }
        };
        let mut candidates: Vec<i64> = found
            .iter()
            .map(|lead| lead.id)
            .filter(|id| !self.journal.made(self.client.base_url(), self.account, *id))
            .collect();
        candidates.sort_unstable();
        if candidates.len() > group.len() {
            for &index in group {
                self.unsettled(
                    index,
                    format!(
                        "an earlier run sent this line{} without learning what it made, and {} leads made since then match it (ids {}): nothing was created. Check them (voxys leads get ID): delete those that are not copies of this line, and run again (one lead left is taken as this line's; none, and it is created)",
                        if group.len() > 1 {
                            format!(" and {} identical to it", group.len() - 1)
                        } else {
                            String::new()
                        },
                        candidates.len(),
                        candidates.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                    ),
                    candidates.clone(),
                );
            }
            return Ok(vec![Resolved::Unsettled; group.len()]);
        }
        let mut resolved: Vec<Resolved> = candidates.into_iter().map(Resolved::Found).collect();
        resolved.resize(group.len(), Resolved::Absent);
        Ok(resolved)
    }

    /// Counts a line whose outcome is unknown: it stays `sent` in the
    /// journal, and no line it could be taken for is sent in this run.
    fn unsettled(&mut self, index: usize, why: String, candidates: Vec<i64>) {
        self.unsettled.push(index);
        self.fail(index, "unknown", why, None, None, candidates);
    }

    /// The unsettled line `index` could be taken for, if any.
    fn held_by(&self, index: usize) -> Option<usize> {
        let fields = self.fields(index);
        self.unsettled
            .iter()
            .copied()
            .find(|&other| self.fields(other).could_be_taken_for(fields))
    }

    /// Counts a line not sent because a line it could be taken for is
    /// unsettled.
    fn hold(&mut self, index: usize, by: usize) {
        let why = format!(
            "not sent: line {by}, whose outcome is unknown, and this line could be taken for each other when looking for the lead of a lost answer. Settle line {by} first (see its entry), then run again",
            by = self.lines[by].number
        );
        self.fail(index, "held", why, None, None, Vec::new());
    }

    /// Runs requests in flight to the end (follow-ups included).
    async fn drain(
        &mut self,
        in_flight: &mut FuturesUnordered<BoxFuture<'static, Answer>>,
        outcomes: &mut HashMap<usize, &'static str>,
    ) -> Result<(), Failure> {
        while let Some(answer) = in_flight.next().await {
            if let Some(next) = self.answered(answer, outcomes)? {
                in_flight.push(next);
            }
        }
        Ok(())
    }

    /// Steps 2 and 3 of the module docs: lines an earlier run began, one at
    /// a time. The lines still to create are added to `to_create`; the
    /// number of lines not sent (stopped) is returned.
    async fn finish_earlier(&mut self, to_create: &mut Vec<usize>) -> Result<usize, Failure> {
        let mut not_sent = 0;
        let mut in_flight = FuturesUnordered::new();
        let mut outcomes = HashMap::new();
        let mut pending: Vec<(usize, Timestamp)> = Vec::new();
        for index in 0..self.lines.len() {
            if self.lines[index].plan.is_err() {
                continue;
            }
            let state = self.journal.state(&self.keys[index]).cloned();
            match state {
                None | Some(State::Failed) => to_create.push(index),
                Some(State::Done(id)) => self.made(index, id, "earlier")?,
                Some(State::Created(id)) => {
                    if self.stopped() {
                        not_sent += 1;
                        continue;
                    }
                    outcomes.insert(index, "recovered");
                    if let Some(request) = self.follow_up(index, id) {
                        in_flight.push(request);
                        self.drain(&mut in_flight, &mut outcomes).await?;
                    } else {
                        self.journal.record(self.event_made(index, id, true))?;
                        self.made(index, id, "recovered")?;
                    }
                }
                Some(State::Sent(at, body)) => {
                    // What was sent, which this run's flags may not say.
                    self.sent[index] = body.as_ref().and_then(Fields::from_json);
                    pending.push((index, at));
                }
            }
        }
        // The lines with the most members first: a lead made for one with
        // fewer (whose members are all in it) cannot be taken for its, but
        // its could be taken for the other's until it is journaled.
        pending.sort_by_key(|(index, _)| std::cmp::Reverse(self.fields(*index).count()));
        let mut settled = vec![false; self.lines.len()];
        for position in 0..pending.len() {
            let (first, _) = pending[position];
            if settled[first] {
                continue;
            }
            let fields = self.fields(first).clone();
            let group: Vec<(usize, Timestamp)> = pending[position..]
                .iter()
                .filter(|(index, _)| !settled[*index] && *self.fields(*index) == fields)
                .copied()
                .collect();
            for (index, _) in &group {
                settled[*index] = true;
            }
            if self.stopped() {
                not_sent += group.len();
                continue;
            }
            let mut indices: Vec<usize> = group.iter().map(|(index, _)| *index).collect();
            indices.sort_unstable();
            if let Some(by) = self
                .unsettled
                .iter()
                .copied()
                .find(|&other| fields.is_within(self.fields(other)))
            {
                // A line that could have made the lead this one would find
                // is itself unsettled.
                for &index in &indices {
                    let why = format!(
                        "an earlier run sent this line without learning what it made; line {by}, also unsettled, could have made the lead that would be found for it. Settle line {by} first (see its entry), then run again",
                        by = self.lines[by].number
                    );
                    self.unsettled(index, why, Vec::new());
                }
                continue;
            }
            let since = group.iter().map(|(_, at)| *at).min().unwrap_or(group[0].1);
            let resolved = self.resolve(&indices, since).await?;
            for (index, resolved) in indices.into_iter().zip(resolved) {
                match resolved {
                    Resolved::Found(id) => {
                        outcomes.insert(index, "recovered");
                        if let Some(request) = self.settle_made(index, id, "recovered")? {
                            in_flight.push(request);
                            self.drain(&mut in_flight, &mut outcomes).await?;
                        }
                    }
                    Resolved::Absent => to_create.push(index),
                    Resolved::Unsettled => {}
                }
            }
        }
        to_create.sort_unstable();
        Ok(not_sent)
    }

    /// Step 4 of the module docs; the number of lines not sent (stopped).
    async fn create(
        &mut self,
        to_create: Vec<usize>,
        concurrency: usize,
    ) -> Result<usize, Failure> {
        let mut queue: VecDeque<usize> = to_create.into();
        let mut in_flight: FuturesUnordered<BoxFuture<'static, Answer>> = FuturesUnordered::new();
        let mut creating: Vec<usize> = Vec::new();
        let mut outcomes: HashMap<usize, &'static str> = HashMap::new();
        loop {
            while !self.stopped() && creating.len() < concurrency {
                let Some(&next) = queue.front() else { break };
                if let Some(by) = self.held_by(next) {
                    queue.pop_front();
                    self.hold(next, by);
                    continue;
                }
                // Sent as this run reads it (also when an earlier run sent
                // it with other members and made nothing).
                self.sent[next] = None;
                let fields = self.fields(next);
                if creating
                    .iter()
                    .any(|&other| self.fields(other).could_be_taken_for(fields))
                {
                    // It waits for the one it could be taken for.
                    break;
                }
                let request = fields.request(&self.client.leads(self.account));
                queue.pop_front();
                self.journal.record(self.event_sent(next))?;
                creating.push(next);
                in_flight.push(Box::pin(async move {
                    Answer::Created(next, request.send().await)
                }));
            }
            let Some(answer) = in_flight.next().await else {
                break;
            };
            if let Answer::Created(index, _) = &answer {
                creating.retain(|i| i != index);
            }
            if let Some(next) = self.answered(answer, &mut outcomes)? {
                in_flight.push(next);
            }
        }
        Ok(queue.len())
    }
}

/// What settling a line an earlier run sent found.
#[derive(Clone, Copy)]
enum Resolved {
    /// Its lead.
    Found(i64),
    /// No lead: it is created.
    Absent,
    /// Not settled (reported).
    Unsettled,
}

/// `voxys leads create --from FILE`.
pub async fn import(
    from: &Path,
    args: &ImportArgs,
    output: &OutputArgs,
    connection: &ConnectionArgs,
) -> Result<(), Failure> {
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(Failure::new(
            exit::USAGE,
            format!("--concurrency must be 1 to {MAX_CONCURRENCY}."),
        ));
    }
    let text = read_input(from)?;
    let format = input::detect(args.input_format, from, &text);
    let input = input::read(&text, format, &args.omit)?;
    if input.lines.is_empty() {
        // As a bulk action given no ids: a pipe that matched nothing is a
        // quiet night, not a failure.
        eprintln!("nothing to do: no leads in the input; nothing was sent.");
        return Ok(());
    }
    if !input.unknown.is_empty() {
        eprintln!(
            "note: left out of every lead, as the import does not know them: {}.",
            input.unknown.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    let lines = input.lines;
    let (client, account, _demo) = connect(connection).await?;

    let base_url = client.base_url().to_string();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let keys: Vec<String> = lines
        .iter()
        .map(|line| {
            let occurrence = seen.entry(line.canonical.as_str()).or_default();
            *occurrence += 1;
            journal::key(&base_url, account, &line.canonical, *occurrence)
        })
        .collect();

    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| next_to(from, ".journal", STDIN_JOURNAL));
    let failures_path = args
        .failures
        .clone()
        .unwrap_or_else(|| next_to(from, ".failures.ndjson", STDIN_FAILURES));
    let mut journal = Journal::open(&journal_path)?;
    let known: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let elsewhere = journal.unsettled_elsewhere(&base_url, account, &known);
    if !elsewhere.is_empty() {
        eprintln!(
            "note: the journal {} has {} line(s) sent by an earlier run into account {account} that are not in this input (edited, or another input: line(s) {} of it) and were never settled. If they made leads, this run does not know them: run the earlier input again to settle them, or check the newest leads (voxys leads list --sort created_at).",
            journal_path.display(),
            elsewhere.len(),
            elsewhere
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    journal.record(Event::Run {
        v: journal::VERSION,
        at: Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
            std::time::SystemTime::now(),
        )),
        account,
        base_url,
        input: from.display().to_string(),
    })?;

    let writer = output.writer::<Made>()?;
    let stop = watch_interrupts()?;
    let mut import = Import {
        client,
        account,
        lines: &lines,
        keys,
        journal,
        writer,
        tally: Tally::default(),
        progress: progress_bar(lines.len() as u64),
        stop,
        unsettled: Vec::new(),
        sent: vec![None; lines.len()],
        output_open: true,
    };
    for (index, line) in lines.iter().enumerate() {
        if let Err(why) = &line.plan {
            import.fail(
                index,
                "invalid",
                format!("{why}; not sent"),
                None,
                None,
                Vec::new(),
            );
        }
    }
    let mut to_create = Vec::new();
    let mut not_sent = import.finish_earlier(&mut to_create).await?;
    not_sent += import.create(to_create, args.concurrency).await?;
    import.progress.finish_and_clear();
    let interrupted = import.stopped() && not_sent > 0;
    let Import {
        writer,
        tally,
        journal,
        output_open,
        ..
    } = import;
    // The leads made are written whatever the outcome (an -o file takes
    // them in place of what it held).
    match writer.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe || !output_open => {}
        Err(e) => return Err(write_failure(e)),
        Ok(out) => out.commit()?,
    }
    finish(
        &tally,
        lines.len(),
        not_sent,
        interrupted,
        journal.path(),
        &failures_path,
        account,
    )
}

/// The failures file, the summary, and the exit code.
fn finish(
    tally: &Tally,
    total: usize,
    not_sent: usize,
    interrupted: bool,
    journal: &Path,
    failures: &Path,
    account: i64,
) -> Result<(), Failure> {
    let mut text = String::new();
    for failed in &tally.failed {
        let line = serde_json::to_string(failed)
            .map_err(|e| Failure::new(exit::OTHER, format!("cannot encode a failure: {e}.")))?;
        text.push_str(&line);
        text.push('\n');
    }
    // Written even when empty, so that a failures file from an earlier run
    // is never taken for this one's.
    if !tally.failed.is_empty() || failures.exists() {
        std::fs::write(failures, text).map_err(|e| {
            Failure::new(
                exit::OTHER,
                format!("cannot write the failures to {}: {e}.", failures.display()),
            )
        })?;
    }
    let count = |outcome: &str| tally.failed.iter().filter(|f| f.outcome == outcome).count();
    let (invalid, failed, unknown, incomplete, held) = (
        count("invalid"),
        count("failed"),
        count("unknown"),
        count("incomplete"),
        count("held"),
    );
    let counts = [
        (tally.created, "created"),
        (tally.recovered, "recovered (sent by an earlier run)"),
        (tally.earlier, "done by an earlier run"),
        (failed, "failed"),
        (invalid, "invalid"),
        (incomplete, "incomplete (status or notes not set)"),
        (unknown, "unknown"),
        (held, "held back by an unknown line"),
        (not_sent, "not sent"),
    ];
    let said: Vec<String> = counts
        .iter()
        .enumerate()
        .filter(|(i, (n, _))| *i == 0 || *n > 0)
        .map(|(_, (n, what))| format!("{n} {what}"))
        .collect();
    eprintln!(
        "import into account {account}: {total} line(s): {}. Journal: {}.{}",
        said.join(", "),
        journal.display(),
        if tally.failed.is_empty() {
            String::new()
        } else {
            format!(" Failures, each with why: {}.", failures.display())
        }
    );
    if interrupted {
        return Err(Failure::new(
            exit::INTERRUPTED,
            format!(
                "interrupted: {not_sent} line(s) not sent. Run the same command again to finish: the journal ({}) skips every line done.",
                journal.display()
            ),
        ));
    }
    if tally.failed.is_empty() {
        return Ok(());
    }
    if unknown > 0 {
        return Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "{unknown} line(s) may or may not have made a lead; {} in all were not done. See {} for each line, why, and what to check; then run the same command again.",
                tally.failed.len(),
                failures.display()
            ),
        ));
    }
    if tally.done() == 0
        && let Some(error) = tally.failed.iter().find_map(|f| f.error.as_ref())
    {
        // Nothing done, and the API said why (a token refused...): that is
        // the whole story.
        let described = describe(error, account, 0);
        return Err(Failure::new(
            described.code,
            format!(
                "no line was done: {} Each line and why: {}.",
                described.message,
                failures.display()
            ),
        ));
    }
    if tally.done() == 0 && invalid == tally.failed.len() {
        return Err(Failure::new(
            exit::USAGE,
            format!(
                "no line could be read into a lead: see {} for each line and why. Nothing was sent.",
                failures.display()
            ),
        ));
    }
    Err(Failure::new(
        exit::PARTIAL,
        format!(
            "{} of {total} line(s) were not done: see {} for each line and why. Fix them (or leave members out with --omit), then run the same command again: lines done are skipped.",
            tally.failed.len(),
            failures.display()
        ),
    ))
}
