//! Reaching the API: the connection flags, and the client they make.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use voxys_connect::config::{ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL, ENV_CA_CERT};
use voxys_connect::error::{Problem, Setting};
use voxys_connect::{Client, ClientBuilder, Error, RetryPolicy};
#[cfg(feature = "demo")]
use voxys_connect_mock::MockServer;

use crate::{Failure, exit};

/// What keeps a demo server alive while a command runs (nothing, in a build
/// without the `demo` feature).
#[cfg(feature = "demo")]
pub type DemoServer = MockServer;
/// What keeps a demo server alive while a command runs (nothing, in a build
/// without the `demo` feature).
#[cfg(not(feature = "demo"))]
pub type DemoServer = std::convert::Infallible;

/// How many leads the demo account holds.
#[cfg(feature = "demo")]
const DEMO_LEADS: u64 = 250;

/// Where and how to reach the API: the flags every command that calls it
/// takes.
#[derive(Args)]
pub struct ConnectionArgs {
    #[arg(
        long,
        value_name = "URL",
        help = "The instance's base URL [env: VOXYS_BASE_URL; default: https://connect.voxys.ai]"
    )]
    pub base_url: Option<String>,
    /// The account id [env: VOXYS_ACCOUNT_ID].
    #[arg(long, value_name = "ID", value_parser = parse_account)]
    pub account: Option<i64>,
    /// Read the API token from this file (surrounding white space ignored)
    /// instead of VOXYS_API_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust the certificate authorities in this PEM file besides the
    /// system's, for an instance with a private CA [env: VOXYS_CA_CERT].
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Use a mock server inside the process, with demo data, instead of a
    /// real instance. It starts afresh for each command (the same data each
    /// time) and keeps changes until the command ends; for changes that last,
    /// run `voxys mock` and pass --base-url.
    #[cfg(feature = "demo")]
    #[arg(long)]
    pub demo: bool,
    /// Retries of a failed request (429, 502-504, timeouts, network errors).
    /// Once 429s keep coming (a lone one is retried as any failure), the
    /// rate limiter waits out the server's limit (up to two minutes a
    /// request) without using up these;
    /// with 0, every request goes once, and a 429 fails it at once.
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
    /// Seconds one attempt of a request may take, from connecting until the
    /// answer is read; a slow instance or a big page may need more.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub timeout: Duration,
    /// Send the token over plain http:// to a host other than this machine.
    /// Anyone on the network path can read it: only for a network you trust
    /// (http://localhost and 127.0.0.1 are always allowed).
    #[arg(long)]
    pub allow_plain_http: bool,
    /// Send at most this many requests a second (the whole command, every
    /// page and batch together). Without it the rate adapts on its own: it
    /// slows down when the server's 429s keep coming, finds the server's
    /// limit and holds there; with it, the rate still adapts under N.
    /// Processes that share one limit (one token, or one IP address) can
    /// each be given their share of it: that pays against a limit per
    /// second, not against a window of a minute that the job fits in.
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub max_rate: Option<f64>,
}

/// An account id for `--account`: a positive whole number.
fn parse_account(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!(
            "{text:?} is not an account id: give the account's number, such as 1"
        )),
    }
}

/// A time for `--timeout`: a positive number of seconds.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.trim().parse::<f64>() {
        Ok(seconds) if (0.1..=86_400.0).contains(&seconds) => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!(
            "{text:?} is not a time: give a number of seconds from 0.1 to 86400, such as 60"
        )),
    }
}

/// A rate for `--max-rate`: a positive number of requests a second.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate: give a positive number of requests a second, such as 50 or 0.5"
        )),
    }
}

impl ConnectionArgs {
    /// The settings every client gets, demo or not.
    fn apply(&self, builder: ClientBuilder) -> ClientBuilder {
        let retry = RetryPolicy::default().max_attempts(self.retries.saturating_add(1));
        let builder = builder
            .retry_policy(retry)
            .timeout(self.timeout)
            .allow_plain_http(self.allow_plain_http);
        match self.max_rate {
            Some(rate) => builder.max_requests_per_second(rate),
            None => builder,
        }
    }
}

/// What a progress bar says about the client's rate limiter: the rate it
/// holds requests to, or that it is paused after a 429; `None` while it is
/// not holding back.
pub fn rate_note(client: &Client) -> Option<String> {
    let status = client.rate_limit();
    let refused = match status.throttled {
        0 => String::new(),
        n => format!(", {n}\u{d7}429"),
    };
    if status.paused {
        return Some(format!("paused by a 429{refused}"));
    }
    let rate = status.requests_per_second?;
    let shown = if rate < 10.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.0}")
    };
    Some(format!("limited to {shown} req/s{refused}"))
}

/// Whether a progress bar is on the terminal: it shows the rate limiter's
/// state itself ([`rate_note`]), so [`watch_rate_limit`] stays quiet.
static BAR_SHOWN: AtomicBool = AtomicBool::new(false);

/// Notes that a progress bar is drawn from now on.
pub fn bar_shown() {
    BAR_SHOWN.store(true, Ordering::Relaxed);
}

/// How long a command waits on 429s before it says so, and then how often
/// it says so again while they go on.
const FIRST_NOTICE: Duration = Duration::from_secs(5);
const NEXT_NOTICE: Duration = Duration::from_secs(30);

/// Says on standard error that the command is waiting on the server's rate
/// limit, once 429s have held it up for [`FIRST_NOTICE`], and again every
/// [`NEXT_NOTICE`] while more come: a command that waits out a limit is
/// not silent for minutes. Quiet while a progress bar shows it.
fn watch_rate_limit(client: Client) {
    tokio::spawn(async move {
        // The spell of refusals under way: since when, and the 429s counted
        // at the last tick; a tick with no new 429 and no pause ends it.
        let mut spell: Option<Instant> = None;
        let mut seen = 0;
        let mut told: Option<(Instant, u64)> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let status = client.rate_limit();
            let refused = status.throttled > seen || status.paused;
            seen = status.throttled;
            if !refused {
                spell = None;
                told = None;
                continue;
            }
            let since = *spell.get_or_insert_with(Instant::now);
            let due = match told {
                None => since.elapsed() >= FIRST_NOTICE,
                Some((at, then)) => at.elapsed() >= NEXT_NOTICE && status.throttled > then,
            };
            if due && !BAR_SHOWN.load(Ordering::Relaxed) {
                let what = if told.is_none() {
                    "the API is rate limiting this command"
                } else {
                    "still rate limited"
                };
                eprintln!(
                    "voxys: {what} ({} {} so far): waiting, then trying again, up to two minutes a request. Ctrl-C stops.",
                    status.throttled,
                    if status.throttled == 1 {
                        "answer 429"
                    } else {
                        "answers 429"
                    }
                );
                told = Some((Instant::now(), status.throttled));
            }
        }
    });
}

/// Failures to build the client, as the CLI reports them: `token_file` is
/// where the token came from, if not the environment.
fn build_failure(error: Error, token_file: Option<&Path>) -> Failure {
    match error {
        Error::Config(e) if e.setting == Setting::Token => {
            let message = match (token_file, e.problem, &e.source) {
                (Some(path), Problem::Invalid, Some(why)) => {
                    format!("{why}; check the token file {}.", path.display())
                }
                _ => format!("{e}."),
            };
            Failure::new(exit::AUTH, message)
        }
        Error::Config(e) if e.problem == Problem::Insecure => Failure::new(
            exit::USAGE,
            format!(
                "{}: use an https:// --base-url, or pass --allow-plain-http if this network is trusted.",
                e.message
                    .split_once(": use https")
                    .map_or(e.message.as_str(), |(what, _)| what)
            ),
        ),
        Error::Config(e) => Failure::new(exit::USAGE, format!("{e}.")),
        other => Failure::new(exit::OTHER, crate::describe(&other, 0, 0).message),
    }
}

/// The client and account the flags and environment name; keeps a demo server
/// alive as long as it is needed.
pub async fn connect(args: &ConnectionArgs) -> Result<(Client, i64, Option<DemoServer>), Failure> {
    #[cfg(feature = "demo")]
    if args.demo {
        let server = MockServer::builder()
            .leads(DEMO_LEADS)
            .start()
            .await
            .map_err(|e| Failure::new(exit::OTHER, format!("cannot start the demo server: {e}")))?;
        let client = args
            .apply(
                Client::builder()
                    .token(server.token())
                    .base_url(server.url()),
            )
            .build()
            .map_err(|e| build_failure(e, None))?;
        let account = args.account.unwrap_or_else(|| server.account_id());
        watch_rate_limit(client.clone());
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
    if let (Some(path), true) = (&args.token_file, token.trim().is_empty()) {
        return Err(Failure::new(
            exit::AUTH,
            format!(
                "the token file {} is empty. Put a user access token (from the profile settings) in it.",
                path.display()
            ),
        ));
    }
    if token.trim().is_empty() {
        return Err(Failure::new(
            exit::AUTH,
            format!(
                "no API token. Set {ENV_API_TOKEN} to a user access token (from the profile settings), or pass --token-file FILE, or try --demo."
            ),
        ));
    }
    let mut builder = args.apply(Client::builder().token(token));
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
    let client = builder
        .build()
        .map_err(|e| build_failure(e, args.token_file.as_deref()))?;
    let account = match args.account {
        Some(account) => account,
        None => voxys_connect::config::account_id_from_env().map_err(|e| match e {
            Error::Config(e) if e.problem == Problem::Invalid => Failure::new(
                exit::USAGE,
                format!("{e}; or pass --account ID."),
            ),
            _ => Failure::new(
                exit::USAGE,
                format!("no account. Pass --account ID or set {ENV_ACCOUNT_ID} to the numeric id of the account."),
            ),
        })?,
    };
    watch_rate_limit(client.clone());
    Ok((client, account, None))
}
