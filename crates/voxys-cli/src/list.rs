//! `voxys leads list`.

use std::io::IsTerminal;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use clap::builder::PossibleValuesParser;
use futures::StreamExt;
use futures::stream::BoxStream;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use voxys_connect::Client;
use voxys_connect::leads::ListLeads;
use voxys_connect::pagination::Page;
use voxys_connect::types::{LeadSortField, LeadStatus, SortOrder};

use crate::connect::{ConnectionArgs, connect, rate_note};
use crate::output::{OutputArgs, PageInfo, Tabular};
use crate::signals::Interrupts;
use crate::{Failure, describe_after, exit, write_failure};

/// The statuses the API documents.
pub static STATUSES: [LeadStatus; 4] = LeadStatus::KNOWN;

/// The fields leads sort by (the API's `sort_by` values).
pub const SORT_FIELDS: [&str; 5] = [
    "created_at",
    "updated_at",
    "lead_value",
    "position",
    "custom_name",
];

/// `voxys leads list`.
#[derive(Args)]
pub struct ListArgs {
    /// Only leads with this status.
    #[arg(long, value_parser = PossibleValuesParser::new(STATUSES.iter().map(LeadStatus::as_str)))]
    pub status: Option<String>,
    /// Only leads assigned to this agent (user id).
    #[arg(long, value_name = "ID")]
    pub agent: Option<i64>,
    /// Only leads from this inbox (id).
    #[arg(long, value_name = "ID")]
    pub inbox: Option<i64>,
    /// Sort by this field [default: created_at].
    #[arg(long, value_parser = PossibleValuesParser::new(SORT_FIELDS))]
    pub sort: Option<String>,
    /// Sort direction [default: desc].
    #[arg(long, value_parser = PossibleValuesParser::new(["asc", "desc"]))]
    pub order: Option<String>,
    /// The page to show, from 1 (with --all: the page to start from).
    #[arg(long)]
    pub page: Option<u64>,
    /// Leads per page, 1 to 100 [default: 25; with --all, 100].
    #[arg(long)]
    pub per_page: Option<u64>,
    #[command(flatten)]
    pub pages: PagesArgs,
}

/// The flags every list command ends with: one page or every page, how many
/// at once, the output and the connection.
#[derive(Args)]
pub struct PagesArgs {
    /// Every page, streamed (with a progress bar on a terminal).
    #[arg(long)]
    pub all: bool,
    /// Pages fetched at once with --all, 1 to 32.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The list request the flags describe.
fn request(client: &Client, account: i64, args: &ListArgs) -> ListLeads {
    let mut request = client
        .leads(account)
        .list()
        .concurrency(args.pages.concurrency);
    if let Some(status) = &args.status {
        request = request.status(LeadStatus::from(status.as_str()));
    }
    if let Some(agent) = args.agent {
        request = request.assigned_agent(agent);
    }
    if let Some(inbox) = args.inbox {
        request = request.source_inbox(inbox);
    }
    if let Some(field) = args
        .sort
        .as_deref()
        .and_then(|s| LeadSortField::from_str(s).ok())
    {
        request = request.sort_by(field);
    }
    if let Some(order) = args
        .order
        .as_deref()
        .and_then(|s| SortOrder::from_str(s).ok())
    {
        request = request.order(order);
    }
    if let Some(page) = args.page {
        request = request.page(page);
    }
    match (args.per_page, args.pages.all) {
        (Some(per_page), _) => request.per_page(per_page),
        // Every page in the fewest requests.
        (None, true) => request.per_page(voxys_connect::leads::max_per_page()),
        (None, false) => request,
    }
}

/// `voxys leads list`.
pub async fn list(args: ListArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.pages.connection).await?;
    let request = request(&client, account, &args);
    let pages = if args.pages.all {
        request.pages()
    } else {
        futures::stream::once(request.send()).boxed()
    };
    write_pages(&client, account, pages, &args.pages, "leads").await
}

/// Writes every record of `pages` as `flags.output` says, with a progress
/// bar on a terminal with `--all` (records written of the total, the rate,
/// the client's rate limit). Ctrl-C, SIGTERM or SIGHUP stops cleanly: what was written is complete
/// records. `noun` names the records in messages (`leads`). One page (no
/// `--all`) in a table ends with a footer (`25 of 498 leads · --page 2 or
/// --all`), and an empty one is `No leads`.
pub async fn write_pages<T: Tabular>(
    client: &Client,
    account: i64,
    mut pages: BoxStream<'static, voxys_connect::Result<Page<T>>>,
    flags: &PagesArgs,
    noun: &str,
) -> Result<(), Failure> {
    let mut writer = flags.output.writer::<T>()?;

    let progress = if flags.all && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {noun}  {{msg}}  {{eta}} left"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        crate::connect::bar_shown();
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut interrupts = Interrupts::new().map_err(crate::signals::cannot_watch)?;
    let interrupt = interrupts.next();
    tokio::pin!(interrupt);
    let (mut written, mut total) = (0u64, None);
    let started = std::time::Instant::now();
    let mut failure = None;
    let mut ticks = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            biased;
            true = &mut interrupt => {
                failure = Some(Failure::new(
                    exit::INTERRUPTED,
                    match total {
                        Some(total) => format!("interrupted after {written} of {total} {noun}; what was written is complete."),
                        None => format!("interrupted after {written} {noun}, before the first page came; what was written is complete."),
                    },
                ));
                break;
            }
            next = pages.next() => match next {
                None => break,
                Some(Err(error)) => {
                    failure = Some(describe_after(&error, account, written, noun));
                    break;
                }
                Some(Ok(page)) => {
                    if !flags.all {
                        // One page: a table's footer says where it stands.
                        writer.set_page(PageInfo {
                            current_page: page.current_page(),
                            total_pages: page.total_pages(),
                            total_count: page.total_count(),
                        });
                    }
                    total = Some(page.total_count());
                    progress.set_length(page.total_count());
                    for record in page.items() {
                        writer.write(record).map_err(write_failure)?;
                        written += 1;
                    }
                    progress.set_position(written);
                }
            },
            _ = ticks.tick(), if !progress.is_hidden() => {}
        }
        if !progress.is_hidden() {
            let rate = written as f64 / started.elapsed().as_secs_f64().max(0.001);
            progress.set_message(match rate_note(client) {
                None => format!("{rate:.0} {noun}/s"),
                Some(note) => format!("{rate:.0} {noun}/s ({note})"),
            });
        }
    }
    progress.finish_and_clear();
    match failure {
        None => writer.finish().map_err(write_failure)?.commit(),
        // Interrupted: the complete records fetched so far are written, to
        // the -o file too (as the user stopped it, not a failure); before
        // the first record, an -o file is left as it was.
        Some(failure) if failure.code == exit::INTERRUPTED => {
            let out = writer.abandon().map_err(write_failure)?;
            if written > 0 || out.is_stdout() {
                out.commit()?;
            }
            Err(failure)
        }
        // Failed: standard output has the complete records written so far
        // (never a lone `[]`); an -o file is left as it was.
        Some(failure) => {
            let out = writer.abandon().map_err(write_failure)?;
            if out.is_stdout() {
                out.commit()?;
            }
            Err(failure)
        }
    }
}
