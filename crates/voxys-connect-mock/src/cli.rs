//! The command line of the mock server, shared by the `voxys-mock` binary and
//! the `voxys mock` command of the CLI.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::{FaultRule, MockServer, Throttle};

/// The options of `voxys-mock` (and `voxys mock`): what to serve, and where.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Leads in each account.
    #[arg(long, default_value_t = 120)]
    pub leads: u64,
    /// Number of accounts (ids 1, 2, ...).
    #[arg(long, default_value_t = 2)]
    pub accounts: u64,
    /// Seed of the generated data: the same seed serves the same leads.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// The token to accept (default: a random one, printed on start).
    #[arg(long)]
    pub token: Option<String>,
    /// A fault rule, `KIND[:TIMES]`; repeat for more. KIND: 429,
    /// 429+retry=SECONDS, 500, 502, 503, 504, delay=MILLISECONDS, cut (body cut
    /// short), drop (connection closed unanswered); applied-500, applied-502,
    /// applied-503, applied-504, applied-delay=MILLISECONDS and applied-drop
    /// apply the request (a write is made) before failing. `--fault 503:2`
    /// makes the next two requests answer 503.
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<FaultRule>,
    /// Rate-limit as the service does: LIMIT/PERIOD per token, such as
    /// 3000/1m (Chatwoot's default, fixed windows) or 50/1s; add ,aligned
    /// for fixed windows counted from the Unix epoch (as Rack::Attack's:
    /// a minute turns at each whole minute) instead of from the server's
    /// start, ,sliding for a sliding window, ,burst=N for a token
    /// bucket (as nginx's limit_req or an API gateway: LIMIT/PERIOD on
    /// average, at most N at once), ,retry-after to send Retry-After with
    /// the 429s.
    #[arg(long, value_name = "LIMIT/PERIOD")]
    pub throttle: Option<Throttle>,
    /// Serve HTTPS, with a certificate for 127.0.0.1 and localhost signed by
    /// a certificate authority made at start; its PEM is printed (and written
    /// to --write-ca FILE) for clients to trust.
    #[arg(long)]
    pub tls: bool,
    /// With --tls, write the CA certificate (PEM) to this file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub write_ca: Option<std::path::PathBuf>,
    /// Answer creates and conversions with this status instead of the
    /// document's 201 (200, as some deployments answer).
    #[arg(long, value_name = "STATUS")]
    pub created_status: Option<u16>,
}

impl ServeArgs {
    /// Starts a server as the options say.
    pub async fn start(&self) -> std::io::Result<MockServer> {
        let mut builder = MockServer::builder()
            .addr(SocketAddr::new(self.host, self.port))
            .leads(self.leads)
            .accounts(self.accounts)
            .seed(self.seed)
            .latency(Duration::from_millis(self.latency_ms));
        if let Some(token) = &self.token {
            builder = builder.token(token.clone());
        }
        for rule in &self.faults {
            builder = builder.fault(rule.clone());
        }
        if let Some(throttle) = self.throttle {
            builder = builder.throttle(throttle);
        }
        if self.tls {
            builder = builder.tls();
        }
        if let Some(status) = self.created_status {
            builder = builder.created_status(status);
        }
        builder.start().await
    }

    /// Starts a server, prints how to use it, and serves until Ctrl-C.
    /// `cli` is how the banner's example runs the CLI: `voxys` from the
    /// CLI's own `voxys mock`, `cargo run -p voxys-cli --` from `voxys-mock`.
    pub async fn serve_until_interrupted(&self, cli: &str) -> std::process::ExitCode {
        let server = match self.start().await {
            Ok(server) => server,
            // A choice the server refuses, or a document it cannot serve.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
                ) =>
            {
                eprintln!("cannot start the mock server: {e}");
                return std::process::ExitCode::FAILURE;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                eprintln!(
                    "cannot listen on {}:{}: port taken (another server, or a mock still running): try --port 0, which picks a free one",
                    self.host, self.port
                );
                return std::process::ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("cannot listen on {}:{}: {e}", self.host, self.port);
                return std::process::ExitCode::FAILURE;
            }
        };
        let accounts: Vec<String> = server.account_ids().iter().map(i64::to_string).collect();
        if let (Some(path), Some(pem)) = (&self.write_ca, server.ca_pem())
            && let Err(e) = std::fs::write(path, pem)
        {
            eprintln!("cannot write the CA certificate to {}: {e}", path.display());
            return std::process::ExitCode::FAILURE;
        }
        println!("serving the Voxys Connect CRM API");
        println!("  url:      {}", server.url());
        println!("  token:    {}", server.token());
        println!(
            "  accounts: {} ({} leads each, seed {})",
            accounts.join(", "),
            self.leads,
            self.seed
        );
        let (curl_ca, env_ca) = match (&self.write_ca, server.ca_pem()) {
            (Some(path), Some(_)) => (
                format!("--cacert {} ", path.display()),
                format!("VOXYS_CA_CERT={} ", path.display()),
            ),
            (None, Some(pem)) => {
                println!(
                    "  CA certificate (trust it to reach the server; --write-ca FILE saves it):\n{pem}"
                );
                (
                    "--cacert CA.pem ".to_owned(),
                    "VOXYS_CA_CERT=CA.pem ".to_owned(),
                )
            }
            _ => (String::new(), String::new()),
        };
        println!(
            "try:\n  curl {curl_ca}-H 'api_access_token: {}' '{}/api/v1/accounts/{}/leads?per_page=2'",
            server.token(),
            server.url(),
            server.account_id()
        );
        println!(
            "or:\n  {env_ca}VOXYS_BASE_URL={} VOXYS_API_TOKEN={} VOXYS_ACCOUNT_ID={} {cli} leads list",
            server.url(),
            server.token(),
            server.account_id()
        );
        if let Some(throttle) = self.throttle {
            println!("  throttle: {throttle} per token (429 Retry later past it)");
        }
        println!("Ctrl-C stops it.");
        let _ = tokio::signal::ctrl_c().await;
        std::process::ExitCode::SUCCESS
    }
}
