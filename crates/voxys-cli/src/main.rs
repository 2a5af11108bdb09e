//! `voxys`: look at and export the leads of a Voxys Connect account.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, CommandFactory, Parser, Subcommand};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use voxys_connect::{
    Client, ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL, ENV_CA_CERT, Error, LeadSortField,
    LeadStatus, ListLeads, RetryPolicy, Setting, SortOrder,
};
#[cfg(feature = "demo")]
use voxys_connect_mock::{MockServer, cli::ServeArgs};

/// What keeps a demo server alive while a command runs (nothing, in a build
/// without the `demo` feature).
#[cfg(feature = "demo")]
type DemoServer = MockServer;
#[cfg(not(feature = "demo"))]
type DemoServer = std::convert::Infallible;

mod output;

use output::{Format, LeadWriter};

/// Exit codes, as `--help` lists them.
mod exit {
    /// Stop without a message: the reader of the output went away.
    pub const QUIET: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const AUTH: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const RATE_LIMITED: u8 = 5;
    pub const SERVER_OR_NETWORK: u8 = 6;
    pub const INTERRUPTED: u8 = 130;
}

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    another failure (such as the output file cannot be written)
  2    usage: a wrong flag or value, or one the API rejected (422)
  3    authentication: no token, or the API refused it (401)
  4    not found (404): check --account and --base-url
  5    rate limited (429), still after retries
  6    server or network failure (5xx, timeout, connection, bad answer)
  130  interrupted (Ctrl-C); what was written is complete records

Configuration: VOXYS_API_TOKEN (or --token-file), VOXYS_BASE_URL (or
--base-url; default https://connect.voxys.ai), VOXYS_ACCOUNT_ID (or --account),
VOXYS_CA_CERT (or --ca-cert) for a private certificate authority. HTTPS_PROXY,
HTTP_PROXY and NO_PROXY are honoured. The token is never taken as a
command-line value, where `ps` would show it.";

/// Look at and export the leads of a Voxys Connect account.
#[derive(Parser)]
#[command(name = "voxys", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with leads.
    Leads {
        #[command(subcommand)]
        command: LeadsCommand,
    },
    /// Serve a local mock of the Voxys Connect Leads API, in the foreground.
    #[cfg(feature = "demo")]
    Mock(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum LeadsCommand {
    /// List an account's leads: one page, or every page with --all.
    #[command(after_help = EXIT_CODES)]
    List(ListArgs),
}

/// The statuses the API documents.
static STATUSES: [LeadStatus; 4] = LeadStatus::KNOWN;

/// The fields leads sort by (the API's `sort_by` values).
const SORT_FIELDS: [&str; 5] = [
    "created_at",
    "updated_at",
    "lead_value",
    "position",
    "custom_name",
];

#[derive(Args)]
struct ListArgs {
    /// Only leads with this status.
    #[arg(long, value_parser = PossibleValuesParser::new(STATUSES.iter().map(LeadStatus::as_str)))]
    status: Option<String>,
    /// Only leads assigned to this agent (user id).
    #[arg(long, value_name = "ID")]
    agent: Option<i64>,
    /// Only leads from this inbox (id).
    #[arg(long, value_name = "ID")]
    inbox: Option<i64>,
    /// Sort by this field [default: created_at].
    #[arg(long, value_parser = PossibleValuesParser::new(SORT_FIELDS))]
    sort: Option<String>,
    /// Sort direction [default: desc].
    #[arg(long, value_parser = PossibleValuesParser::new(["asc", "desc"]))]
    order: Option<String>,
    /// The page to show, from 1 (with --all: the page to start from).
    #[arg(long)]
    page: Option<u64>,
    /// Leads per page, 1 to 100 [default: 25; with --all, 100].
    #[arg(long)]
    per_page: Option<u64>,
    /// Every page, streamed (with a progress bar on a terminal).
    #[arg(long)]
    all: bool,
    /// Pages fetched at once with --all, 1 to 32.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Output format [default: table on a terminal, else ndjson, or as the
    /// --output file's extension says].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// CSV: write text cells as they are. By default a cell that starts with
    /// =, +, -, @, a tab or a carriage return gets a leading ' so that a
    /// spreadsheet shows it as text instead of running it as a formula; use
    /// this for programs that read the CSV.
    #[arg(long)]
    csv_raw: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Args)]
struct ConnectionArgs {
    #[arg(
        long,
        value_name = "URL",
        help = "The instance's base URL [env: VOXYS_BASE_URL; default: https://connect.voxys.ai]"
    )]
    base_url: Option<String>,
    /// The account id [env: VOXYS_ACCOUNT_ID].
    #[arg(long, value_name = "ID")]
    account: Option<i64>,
    /// Read the API token from this file (surrounding white space ignored)
    /// instead of VOXYS_API_TOKEN.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Trust the certificate authorities in this PEM file besides the
    /// system's, for an instance with a private CA [env: VOXYS_CA_CERT].
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    /// Use a local mock server with demo data instead of a real instance.
    #[cfg(feature = "demo")]
    #[arg(long)]
    demo: bool,
    /// Retries of a failed request (429, 502-504, timeouts, network errors).
    #[arg(long, default_value_t = 4)]
    retries: u32,
}

/// A failure, with the exit code it gives.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Leads {
            command: LeadsCommand::List(args),
        } => list(args).await,
        #[cfg(feature = "demo")]
        Command::Mock(args) => return args.serve_until_interrupted().await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "voxys", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.code == exit::QUIET => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("voxys: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// The client and account the flags and environment name; keeps a demo server
/// alive as long as it is needed.
async fn connect(args: &ConnectionArgs) -> Result<(Client, i64, Option<DemoServer>), Failure> {
    let retry = RetryPolicy::default().max_attempts(args.retries.saturating_add(1));
    #[cfg(feature = "demo")]
    if args.demo {
        let server = MockServer::builder()
            .leads(250)
            .start()
            .await
            .map_err(|e| Failure::new(exit::OTHER, format!("cannot start the demo server: {e}")))?;
        let client = Client::builder()
            .token(server.token())
            .base_url(server.url())
            .retry_policy(retry)
            .build()
            .map_err(|e| Failure::new(exit::OTHER, e.to_string()))?;
        let account = args.account.unwrap_or_else(|| server.account_id());
        return Ok((client, account, Some(server)));
    }
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                exit::AUTH,
                format!("cannot read the token file {}: {e}.", path.display()),
            )
        })?,
        None => std::env::var(ENV_API_TOKEN).unwrap_or_default(),
    };
    if token.trim().is_empty() {
        return Err(Failure::new(
            exit::AUTH,
            format!(
                "no API token. Set {ENV_API_TOKEN} to a user access token (from the profile settings), or pass --token-file FILE, or try --demo."
            ),
        ));
    }
    let mut builder = Client::builder().token(token).retry_policy(retry);
    let ca_cert = args.ca_cert.clone().or_else(|| {
        std::env::var_os(ENV_CA_CERT)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    });
    if let Some(path) = ca_cert {
        builder = builder.add_root_certificates_from_file(path);
    }
    let base_url = args.base_url.clone().or_else(|| {
        std::env::var(ENV_BASE_URL)
            .ok()
            .filter(|u| !u.trim().is_empty())
    });
    if let Some(url) = base_url {
        builder = builder.base_url(url.trim());
    }
    let client = builder.build().map_err(|e| match e {
        Error::Config(e) if e.setting == Setting::Token => {
            Failure::new(exit::AUTH, format!("{e}."))
        }
        Error::Config(e) => Failure::new(exit::USAGE, format!("{e}.")),
        other => Failure::new(exit::OTHER, other.to_string()),
    })?;
    let account = match args.account {
        Some(account) => account,
        None => voxys_connect::account_id_from_env().map_err(|_| {
            Failure::new(
                exit::USAGE,
                format!("no account. Pass --account ID or set {ENV_ACCOUNT_ID} to the numeric id of the account."),
            )
        })?,
    };
    Ok((client, account, None))
}

/// The list request the flags describe.
fn request(client: &Client, account: i64, args: &ListArgs) -> ListLeads {
    let mut request = client.leads(account).list().concurrency(args.concurrency);
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
    match (args.per_page, args.all) {
        (Some(per_page), _) => request.per_page(per_page),
        // Every page in the fewest requests.
        (None, true) => request.per_page(voxys_connect::MAX_PER_PAGE),
        (None, false) => request,
    }
}

/// Where leads go: the file, or standard output.
fn destination(args: &ListArgs) -> Result<(Box<dyn Write>, Format), Failure> {
    let format = args.format.unwrap_or_else(|| match &args.output {
        Some(path) => Format::from_file_name(&path.to_string_lossy()).unwrap_or(Format::Ndjson),
        None if std::io::stdout().is_terminal() => Format::Table,
        None => Format::Ndjson,
    });
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                Failure::new(
                    exit::OTHER,
                    format!("cannot write {}: {e}.", path.display()),
                )
            })?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    Ok((out, format))
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let request = request(&client, account, &args);
    let (out, format) = destination(&args)?;
    let mut writer = LeadWriter::new(format, out, args.csv_raw).map_err(write_failure)?;

    let progress = if args.all && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} leads  {msg}  {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut pages = if args.all {
        request.pages()
    } else {
        futures::stream::once(request.send()).boxed()
    };
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let (mut written, mut total) = (0u64, None);
    let started = std::time::Instant::now();
    let mut failure = None;
    loop {
        tokio::select! {
            biased;
            _ = &mut interrupt => {
                failure = Some(Failure::new(
                    exit::INTERRUPTED,
                    format!("interrupted after {written} of {} leads; what was written is complete.", total.map_or("?".to_owned(), |t: u64| t.to_string())),
                ));
                break;
            }
            next = pages.next() => match next {
                None => break,
                Some(Err(error)) => {
                    failure = Some(describe(&error, account, written));
                    break;
                }
                Some(Ok(page)) => {
                    total = Some(page.total_count());
                    progress.set_length(page.total_count());
                    for lead in page.items() {
                        writer.write(lead).map_err(write_failure)?;
                        written += 1;
                    }
                    progress.set_position(written);
                    let rate = written as f64 / started.elapsed().as_secs_f64().max(0.001);
                    progress.set_message(format!("{rate:.0} leads/s"));
                }
            },
        }
    }
    progress.finish_and_clear();
    writer.finish().map_err(write_failure)?;
    match failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

fn write_failure(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        // The reader went away (`| head`): stop quietly, as Unix tools do.
        return Failure::new(exit::QUIET, "");
    }
    Failure::new(exit::OTHER, format!("cannot write the output: {error}."))
}

/// An SDK error in one or two sentences, with what to do, and its exit code.
fn describe(error: &Error, account: i64, written: u64) -> Failure {
    let so_far = if written > 0 {
        format!(" ({written} leads were written before it.)")
    } else {
        String::new()
    };
    let (code, message) = match error {
        Error::Unauthorized {
            status, message, ..
        } => (
            exit::AUTH,
            format!(
                "the API refused the token ({status}: {message}). Check VOXYS_API_TOKEN or --token-file, and that its user belongs to account {account}."
            ),
        ),
        Error::NotFound { message, .. } => (
            exit::NOT_FOUND,
            format!("not found (404: {message}). Check --account and --base-url."),
        ),
        Error::Validation { message, .. } => (
            exit::USAGE,
            format!("the API rejected the request (422: {message})."),
        ),
        Error::InvalidParameter { .. } => (exit::USAGE, format!("{error}.")),
        Error::RateLimited { attempts, .. } => (
            exit::RATE_LIMITED,
            format!(
                "the API is rate limiting these requests (429, {attempts} attempts). Wait a minute, or lower --concurrency."
            ),
        ),
        Error::Server {
            status, snippet, ..
        } => (
            exit::SERVER_OR_NETWORK,
            format!("the server failed ({status}: {snippet}). Try again later."),
        ),
        Error::Tls { reason, .. } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "TLS failed: {reason}. If the instance uses a private certificate authority, pass its certificate with --ca-cert FILE (or set VOXYS_CA_CERT); check --base-url."
            ),
        ),
        Error::Timeout { .. } | Error::Transport { .. } => (
            exit::SERVER_OR_NETWORK,
            format!("{error}. Check the network and --base-url, then try again."),
        ),
        Error::Config(e) if e.setting == Setting::Token => (exit::AUTH, format!("{e}.")),
        Error::Config(e) => (exit::USAGE, format!("{e}.")),
        other => (exit::SERVER_OR_NETWORK, format!("{other}.")),
    };
    // The server's id for the request, for support; the SDK's own message
    // (the `other` arm) says it already.
    let request_id = match (error.request_id(), message.contains("request id")) {
        (Some(id), false) => format!(" Request id for support: {id}."),
        _ => String::new(),
    };
    Failure::new(code, format!("{message}{so_far}{request_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sort_fields_are_the_documented_ones() {
        let spec = voxys_connect_spec::Spec::bundled();
        let documented: Vec<&str> = spec
            .get("#/components/schemas/LeadSortField/enum")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(SORT_FIELDS.to_vec(), documented);
        for field in SORT_FIELDS {
            assert!(LeadSortField::from_str(field).is_ok());
        }
    }
}
