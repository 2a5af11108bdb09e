//! The commands that change leads: `set-status`, `bulk assign|status|delete`
//! and `convert`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use voxys_connect::Error;
use voxys_connect::leads::{BulkActionKind, BulkOutcome};
use voxys_connect::types::LeadStatus;

use crate::connect::{ConnectionArgs, connect, rate_note};
use crate::ids::read_ids;
use crate::list::STATUSES;
use crate::output::OutputArgs;
use crate::signals::Interrupts;
use crate::{Failure, describe, exit};

/// `voxys leads set-status`.
#[derive(Args)]
pub struct SetStatusArgs {
    /// The lead's id.
    pub id: i64,
    /// The new status.
    #[arg(value_parser = PossibleValuesParser::new(STATUSES.iter().map(LeadStatus::as_str)))]
    pub status: String,
    /// Replace the lead's notes with this text.
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        conflicts_with = "clear_notes"
    )]
    pub notes: Option<String>,
    /// Clear the lead's notes. Without --notes or --clear-notes they stay as
    /// they are.
    #[arg(long)]
    pub clear_notes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads set-status`: prints the updated lead.
pub async fn set_status(args: SetStatusArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut change = client
        .leads(account)
        .set_status(args.id, LeadStatus::from(args.status.as_str()));
    if let Some(notes) = &args.notes {
        change = change.notes(notes);
    } else if args.clear_notes {
        change = change.clear_notes();
    }
    let lead = change.send().await.map_err(|e| describe(&e, account, 0))?;
    // The table has no notes column: say what the lead's notes now are,
    // as the server stored them, when this command changed them.
    if args.notes.is_some() || args.clear_notes {
        match &lead.notes {
            Some(notes) => eprintln!(
                "lead {}: set-status {}; notes: {notes:?}",
                lead.id, args.status
            ),
            None => eprintln!(
                "lead {}: set-status {}; notes cleared",
                lead.id, args.status
            ),
        }
    }
    args.output.write_all(&[lead])
}

/// The bulk actions.
#[derive(Subcommand)]
pub enum BulkCommand {
    /// Assign leads to an agent.
    #[command(after_help = BULK_HELP)]
    Assign {
        /// The agent's user id.
        #[arg(long, value_name = "ID")]
        agent: i64,
        #[command(flatten)]
        job: BulkJobArgs,
    },
    /// Set the status of leads (as `voxys leads set-status` does for one).
    #[command(after_help = BULK_HELP, visible_alias = "set-status")]
    Status {
        /// The new status.
        #[arg(value_parser = PossibleValuesParser::new(STATUSES.iter().map(LeadStatus::as_str)))]
        status: String,
        #[command(flatten)]
        job: BulkJobArgs,
    },
    /// Delete leads. Asks for confirmation on a terminal; elsewhere refuses
    /// without --yes.
    #[command(after_help = BULK_HELP)]
    Delete {
        /// Delete without asking.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        job: BulkJobArgs,
    },
}

const BULK_HELP: &str = "\
Examples:
  voxys leads list --all --status lost --format ndjson | voxys leads bulk delete --yes
  voxys leads bulk assign --agent 5 --ids-from stale-leads.txt
  voxys leads bulk status won 11 12 13 --dry-run
  voxys leads bulk status won --ids-from ids.txt --failed-ids rest.txt
  voxys leads bulk status won --ids-from rest.txt   # exactly the ids not done

Ids come from the arguments, from --ids-from FILE (- for standard input), or
from standard input when it is a pipe: one id a line, NDJSON records with an
`id`, or what `voxys leads list` writes in any format: --format json
(pretty-printed too) or --format csv (its `id` column; a byte order mark is
skipped). A card's record gives its lead's id; records that are not leads
(tasks, companies...) are refused. A bad record is reported with its line
number, and nothing is sent.

Exit codes: 0 every batch done, or no ids at all (an empty file or pipe:
\"nothing to do\" on standard error); 7 some batches failed (the summary
says which ids, --failed-ids FILE keeps them); 130 interrupted (Ctrl-C,
SIGTERM or SIGHUP stops sending new batches, waits for those in flight, and
says which ids were done; a second one stops at once, and --failed-ids FILE
then holds the ids of the batches in flight too, which may or may not have
been applied); 2 bad ids or flags; 3, 4, 5, 6 as for every command when
nothing could be done.";

/// The flags of every bulk action.
#[derive(Args)]
pub struct BulkJobArgs {
    /// Lead ids (else --ids-from, else standard input).
    #[arg(value_name = "IDS")]
    pub ids: Vec<i64>,
    /// Read the ids from this file, - for standard input: ids, NDJSON, JSON
    /// or CSV as voxys writes them.
    #[arg(long, value_name = "FILE")]
    pub ids_from: Option<PathBuf>,
    /// Ids a request, 1 to 1000.
    #[arg(long, default_value_t = voxys_connect::leads::DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Requests at once, 1 to 32.
    #[arg(long, default_value_t = voxys_connect::leads::DEFAULT_BULK_CONCURRENCY)]
    pub concurrency: usize,
    /// Print what would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the ids not done (failed, or not sent) to this file, one a line,
    /// ready for --ids-from.
    #[arg(long, value_name = "FILE")]
    pub failed_ids: Option<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads bulk ...`.
pub async fn bulk(command: BulkCommand) -> Result<(), Failure> {
    // `what` names the action in the summary, in the words of the command
    // line: `set-status won`, as `voxys leads set-status` says it too.
    let (action, what, job, confirmed) = match command {
        BulkCommand::Assign { agent, job } => (
            BulkActionKind::Assign { agent_id: agent },
            format!("assign --agent {agent}"),
            job,
            true,
        ),
        BulkCommand::Status { status, job } => (
            BulkActionKind::SetStatus {
                status: LeadStatus::from(status.as_str()),
            },
            format!("set-status {status}"),
            job,
            true,
        ),
        BulkCommand::Delete { yes, job } => (BulkActionKind::Delete, "delete".to_owned(), job, yes),
    };
    let ids = read_ids(&job.ids, job.ids_from.as_deref())?;
    if ids.is_empty() {
        // An empty file, or a pipe that matched nothing: no id is left to
        // do, so the --failed-ids file (if any) is empty too.
        if let Some(path) = &job.failed_ids {
            std::fs::write(path, "").map_err(|e| {
                Failure::new(
                    exit::OTHER,
                    format!("cannot write {}: {e}.", path.display()),
                )
            })?;
        }
        eprintln!("nothing to do: no ids in the input; nothing was sent.");
        return Ok(());
    }
    let (client, account, _demo) = connect(&job.connection).await?;
    let request = client
        .leads(account)
        .bulk(action.clone(), ids)
        .batch_size(job.batch_size)
        .concurrency(job.concurrency);
    let plan = request.plan().map_err(|e| describe(&e, account, 0))?;
    let count: usize = plan.iter().map(|(ids, _)| ids.len()).sum();
    if job.dry_run {
        let mut out = std::io::stdout().lock();
        let url = format!("{}/api/v1/accounts/{account}/leads/bulk", client.base_url());
        for (_, body) in &plan {
            writeln!(out, "POST {url} {body}").map_err(crate::write_failure)?;
        }
        eprintln!(
            "dry run: {} request(s) for {count} lead(s) would be sent; nothing was sent.",
            plan.len()
        );
        return Ok(());
    }
    if !confirmed {
        confirm_delete(count, account)?;
    }

    let mut run = request.start().map_err(|e| describe(&e, account, 0))?;
    let progress = progress_bar(count as u64);
    let started = Instant::now();
    let mut interrupts = Interrupts::new().map_err(crate::signals::cannot_watch)?;
    let mut interrupted = false;
    let (mut finished_ids, mut failed_ids) = (0u64, 0u64);
    // Each batch that completed (by its index): whether it was applied.
    let mut finished: BTreeMap<usize, bool> = BTreeMap::new();
    // The batches sent at most: those before this index (the run takes them
    // in order, `concurrency` at a time; none after a stop).
    let mut sent_before = plan.len();
    let mut ticks = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            biased;
            true = interrupts.next() => {
                if interrupted {
                    // The second interrupt: stop at once, with what is known.
                    progress.finish_and_clear();
                    let (code, message) =
                        stop_now(&plan, &finished, sent_before, job.failed_ids.as_deref());
                    eprintln!("voxys: {message}");
                    std::process::exit(code);
                }
                interrupted = true;
                run.stop();
                // Nothing new is sent, and nothing is retried: the batches in
                // flight end with their attempt under way.
                client.stop_retrying();
                sent_before = (finished.len() + job.concurrency).min(plan.len());
                let note = "interrupted: no new batch is sent and none is retried; waiting for those in flight (interrupt again to stop at once)";
                if progress.is_hidden() {
                    eprintln!("{note}");
                } else {
                    progress.println(note);
                }
            }
            batch = run.next() => match batch {
                None => break,
                Some(batch) => {
                    finished.insert(batch.index, batch.result.is_ok());
                    finished_ids += batch.ids.len() as u64;
                    if batch.result.is_err() {
                        failed_ids += batch.ids.len() as u64;
                    }
                    progress.set_position(finished_ids);
                }
            },
            _ = ticks.tick(), if !progress.is_hidden() => {}
        }
        if !progress.is_hidden() {
            let rate = finished_ids as f64 / started.elapsed().as_secs_f64().max(0.001);
            let mut message = format!("{rate:.0} ids/s");
            if failed_ids > 0 {
                message.push_str(&format!(", {failed_ids} failed"));
            }
            if let Some(note) = rate_note(&client) {
                message.push_str(&format!(" ({note})"));
            }
            progress.set_message(message);
        }
    }
    progress.finish_and_clear();
    let outcome = run.finish().await;
    report(&outcome, &what, job.failed_ids.as_deref())?;
    if interrupted {
        return Err(Failure::new(
            exit::INTERRUPTED,
            format!(
                "interrupted: {} id(s) done, {} not done{}.",
                outcome.done().len(),
                outcome.not_done().len(),
                match &job.failed_ids {
                    Some(path) => format!(" (written to {})", path.display()),
                    None => String::new(),
                }
            ),
        ));
    }
    if outcome.is_complete() {
        return Ok(());
    }
    let first = outcome.failed().next().map(|(_, e)| e);
    match first {
        // Nothing done: the reason is the whole story (a token refused...).
        Some(error) if outcome.done().is_empty() => Err(describe(error, account, 0)),
        _ => Err(Failure::new(
            exit::PARTIAL,
            format!(
                "{} of {} id(s) were not done{}.{}",
                outcome.not_done().len(),
                outcome.requested,
                match first {
                    Some(error) => format!(": {}", describe(error, account, 0).message),
                    None => String::new(),
                },
                match &job.failed_ids {
                    Some(path) => format!(
                        " Their ids are in {}: run again with --ids-from {} to finish.",
                        path.display(),
                        path.display()
                    ),
                    None => " Run with --failed-ids FILE to keep their ids.".to_owned(),
                }
            ),
        )),
    }
}

/// On a second interrupt: writes to `failed_ids` every id not known to be
/// done (those of failed batches, of batches in flight, which may or may
/// not have been applied, and of batches not sent), and says what is known.
/// The exit code and the message.
fn stop_now(
    plan: &[(Vec<i64>, serde_json::Value)],
    finished: &BTreeMap<usize, bool>,
    sent_before: usize,
    failed_ids: Option<&std::path::Path>,
) -> (i32, String) {
    let (mut done, mut failed, mut unknown, mut not_sent) = (0usize, 0usize, 0usize, 0usize);
    let mut text = String::new();
    for (index, (ids, _)) in plan.iter().enumerate() {
        match finished.get(&index) {
            Some(true) => {
                done += ids.len();
                continue;
            }
            Some(false) => failed += ids.len(),
            None if index < sent_before => unknown += ids.len(),
            None => not_sent += ids.len(),
        }
        for id in ids {
            text.push_str(&id.to_string());
            text.push('\n');
        }
    }
    let mut message = format!(
        "interrupted again: stopped at once. {done} id(s) done, {failed} failed, {unknown} in batches in flight (unknown: they may or may not have been applied), {not_sent} not sent."
    );
    let mut code = i32::from(exit::INTERRUPTED);
    match failed_ids {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => message.push_str(&format!(
                " The ids not known to be done are in {}: run again with --ids-from {} to finish.",
                path.display(),
                path.display()
            )),
            Err(e) => {
                code = i32::from(exit::OTHER);
                message.push_str(&format!(" Cannot write {}: {e}.", path.display()));
            }
        },
        None => {
            message.push_str(" Run with --failed-ids FILE to keep the ids not known to be done.")
        }
    }
    (code, message)
}

/// The summary on standard error, and the ids not done in `failed_ids`.
fn report(
    outcome: &BulkOutcome,
    action: &str,
    failed_ids: Option<&std::path::Path>,
) -> Result<(), Failure> {
    let failed: usize = outcome.failed().map(|(ids, _)| ids.len()).sum();
    let done = outcome.done().len();
    let affected = outcome.affected();
    eprintln!(
        "{action}: {} requested{}, {} affected, {} not affected (not found), {failed} failed, {} not sent{}",
        outcome.requested,
        match outcome.duplicates {
            0 => String::new(),
            n => format!(" ({n} repeated ids dropped)"),
        },
        affected,
        (done as u64).saturating_sub(affected),
        outcome.not_sent.len(),
        if outcome.counts_may_be_low() {
            " (a batch was retried after an attempt that may have applied: the affected count may be low)"
        } else {
            ""
        }
    );
    if let Some(path) = failed_ids {
        let mut text = String::new();
        for id in outcome.not_done() {
            text.push_str(&id.to_string());
            text.push('\n');
        }
        std::fs::write(path, text).map_err(|e| {
            Failure::new(
                exit::OTHER,
                format!("cannot write {}: {e}.", path.display()),
            )
        })?;
    }
    Ok(())
}

/// Asks on the terminal before deleting; refuses without one (see
/// [`confirm`](crate::confirm::confirm)).
fn confirm_delete(count: usize, account: i64) -> Result<(), Failure> {
    crate::confirm::confirm(
        false,
        &format!("delete {count} lead(s) of account {account}"),
        &format!("Delete {count} lead(s) of account {account}? This cannot be undone."),
    )
}

/// A progress bar on standard error when it is a terminal: ids done of the
/// total, the rate, and the rate the client's limiter holds requests to.
fn progress_bar(total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} ids  {msg}  {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    crate::connect::bar_shown();
    bar
}

/// `voxys leads convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The lead's id.
    pub id: i64,
    /// The funnel (pipeline) to make the card in.
    #[arg(long, value_name = "ID")]
    pub funnel: i64,
    /// The stage of the funnel [default: its first stage].
    #[arg(long, value_name = "ID")]
    pub stage: Option<i64>,
    /// Convert even when the lead already has a card in the funnel: each
    /// conversion makes one more card. Without it, such a lead is refused
    /// (exit 2) and nothing is sent.
    #[arg(long)]
    pub again: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads convert`: prints the card. Looks first at the funnel's cards:
/// a lead that has one there already is converted again only with
/// `--again`, for each conversion makes a new card.
pub async fn convert(args: ConvertArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    if !args.again {
        let cards = client
            .pipelines(account)
            .cards(args.funnel)
            .list()
            .send()
            .await
            .map_err(|e| match e {
                // The API does not page a funnel's cards: one too big to
                // read cannot be checked, which is no reason to refuse.
                Error::BodyTooLarge { .. } => Failure::new(
                    exit::OTHER,
                    format!(
                        "funnel {}'s cards are too many to read at once, so whether lead {} has a card there already cannot be checked. Pass --again to convert without checking.",
                        args.funnel, args.id
                    ),
                ),
                e => crate::describe_missing(&e, account, &format!("funnel {}", args.funnel)),
            })?;
        let made: Vec<String> = cards
            .iter()
            .filter(|card| card.lead.id == args.id)
            .map(|card| card.id.to_string())
            .collect();
        if !made.is_empty() {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "lead {} already has card {} in funnel {}; a conversion would make one more. Nothing was sent: pass --again to convert it again.",
                    args.id,
                    made.join(", "),
                    args.funnel
                ),
            ));
        }
    }
    let mut conversion = client.leads(account).convert(args.id, args.funnel);
    if let Some(stage) = args.stage {
        conversion = conversion.stage(stage);
    }
    match conversion.send().await {
        Ok(card) => args.output.write_all(&[card]),
        Err(Error::OutcomeUnknown { why, cause, .. }) => Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "lead {lead} may or may not have been converted into funnel {funnel}: the answer was lost ({}), and {why}. Before converting again, check: voxys pipelines cards list {funnel} (a card of lead {lead} made just now means it was converted).",
                describe(&cause, account, 0).message.trim_end_matches('.'),
                lead = args.id,
                funnel = args.funnel,
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}
