//! `voxys-mock`: serves the Voxys Connect Leads API locally, in the foreground.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use voxys_connect_mock::{FaultRule, MockServer};

/// Serve a local Voxys Connect Leads API over generated data.
#[derive(Parser)]
#[command(name = "voxys-mock", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// Leads in each account.
    #[arg(long, default_value_t = 120)]
    leads: u64,
    /// Number of accounts (ids 1, 2, ...).
    #[arg(long, default_value_t = 2)]
    accounts: u64,
    /// Seed of the generated data: the same seed serves the same leads.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Delay before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// The token to accept (default: a random one, printed on start).
    #[arg(long)]
    token: Option<String>,
    /// A fault rule, `KIND[:TIMES]`; repeat for more. KIND: 429,
    /// 429+retry=SECONDS, 500, 502, 503, 504, delay=MILLISECONDS, cut (body cut
    /// short), drop (connection closed unanswered). `--fault 503:2` makes the
    /// next two requests answer 503.
    #[arg(long = "fault", value_name = "RULE")]
    faults: Vec<FaultRule>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut builder = MockServer::builder()
        .addr(SocketAddr::new(args.host, args.port))
        .leads(args.leads)
        .accounts(args.accounts)
        .seed(args.seed)
        .latency(Duration::from_millis(args.latency_ms));
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    for rule in args.faults {
        builder = builder.fault(rule);
    }
    let server = match builder.start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!(
                "voxys-mock: cannot listen on {}:{}: {e}",
                args.host, args.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let accounts: Vec<String> = server.account_ids().iter().map(u64::to_string).collect();
    println!("voxys-mock: serving the Voxys Connect Leads API");
    println!("  url:      {}", server.url());
    println!("  token:    {}", server.token());
    println!(
        "  accounts: {} ({} leads each, seed {})",
        accounts.join(", "),
        args.leads,
        args.seed
    );
    println!(
        "try:\n  curl -H 'api_access_token: {}' '{}/api/v1/accounts/{}/leads?per_page=2'",
        server.token(),
        server.url(),
        server.account_id()
    );
    println!(
        "or:\n  VOXYS_BASE_URL={} VOXYS_API_TOKEN={} VOXYS_ACCOUNT_ID={} cargo run -p voxys-connect --example list_leads",
        server.url(),
        server.token(),
        server.account_id()
    );
    println!("Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
