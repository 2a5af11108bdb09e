//! Reaching the API: the connection flags, and the client they make.

use std::path::PathBuf;

use clap::Args;
use voxys_connect::config::{ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL, ENV_CA_CERT};
use voxys_connect::error::Setting;
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
    #[arg(long, value_name = "ID")]
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
    /// A run of 429s is waited out by the rate limiter (up to two minutes a
    /// request) without using up these.
    #[arg(long, default_value_t = 4)]
    pub retries: u32,
    /// Send at most this many requests a second (the whole command, every
    /// page and batch together). Without it the rate adapts on its own: it
    /// slows down when the server answers 429 (three in a row), finds the
    /// server's limit and holds there.
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub max_rate: Option<f64>,
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
        let builder = builder.retry_policy(retry);
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

/// Failures to build the client, as the CLI reports them.
fn build_failure(error: Error) -> Failure {
    match error {
        Error::Config(e) if e.setting == Setting::Token => {
            Failure::new(exit::AUTH, format!("{e}."))
        }
        Error::Config(e) => Failure::new(exit::USAGE, format!("{e}.")),
        other => Failure::new(exit::OTHER, other.to_string()),
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
            .map_err(build_failure)?;
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
    let client = builder.build().map_err(build_failure)?;
    let account = match args.account {
        Some(account) => account,
        None => voxys_connect::config::account_id_from_env().map_err(|_| {
            Failure::new(
                exit::USAGE,
                format!("no account. Pass --account ID or set {ENV_ACCOUNT_ID} to the numeric id of the account."),
            )
        })?,
    };
    Ok((client, account, None))
}
