//! Every lead of an account, streamed page after page as JSON lines on stdout,
//! with totals on stderr. Memory stays at a few pages however large the account.
//!
//! ```sh
//! VOXYS_API_TOKEN=... VOXYS_ACCOUNT_ID=1 cargo run -p voxys-connect --example export_leads > leads.ndjson
//! ```

use std::io::Write;

use futures::TryStreamExt;
use voxys_connect::Client;
use voxys_connect::types::{Decimal, LeadSortField, SortOrder};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Errors are printed with `Display`: their message says what to do.
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    let account = voxys_connect::config::account_id_from_env()?;

    // Oldest first, so that leads created during the export land at the end.
    let mut leads = client
        .leads(account)
        .list()
        .sort_by(LeadSortField::CreatedAt)
        .order(SortOrder::Asc)
        .per_page(100)
        .concurrency(4)
        .stream();

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut count, mut total_value) = (0u64, Decimal::ZERO);
    while let Some(lead) = leads.try_next().await? {
        count += 1;
        total_value += lead.lead_value.map(|v| v.as_decimal()).unwrap_or_default();
        serde_json::to_writer(&mut out, &lead)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!("exported {count} leads, worth {total_value} in all (mixed currencies)");
    Ok(())
}
