//! The SDK at work in a minute: a filtered page, then every lead streamed, with
//! totals.
//!
//! ```sh
//! cargo run -p voxys-connect --example quickstart
//! ```
//! Without `VOXYS_API_TOKEN` it starts the project's mock server in-process
//! and talks to that; with `VOXYS_API_TOKEN` and `VOXYS_ACCOUNT_ID` set (and
//! `VOXYS_BASE_URL` for a self-hosted instance) it talks to the real service.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use voxys_connect::Client;
use voxys_connect::types::{Decimal, LeadSortField, LeadStatus, SortOrder};
use voxys_connect_mock::MockServer;

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
    // Keep the mock server alive until the end of main.
    let mut _mock = None;
    let (client, account) = if std::env::var_os(voxys_connect::config::ENV_API_TOKEN).is_some() {
        (
            Client::from_env()?,
            voxys_connect::config::account_id_from_env()?,
        )
    } else {
        let mock = MockServer::builder().leads(1_000).start().await?;
        println!(
            "{} is not set: using a local mock server at {}\n",
            voxys_connect::config::ENV_API_TOKEN,
            mock.url()
        );
        let client = Client::builder()
            .token(mock.token())
            .base_url(mock.url())
            .build()?;
        let account = mock.account_id();
        _mock = Some(mock);
        (client, account)
    };

    // One filtered page: the five newest open leads.
    let page = client
        .leads(account)
        .list()
        .status(LeadStatus::Open)
        .sort_by(LeadSortField::CreatedAt)
        .order(SortOrder::Desc)
        .per_page(5)
        .send()
        .await?;
    println!("The newest open leads, {page}:");
    for lead in &page {
        let value = lead.lead_value.map_or("-".to_owned(), |v| v.to_string());
        let currency = lead.lead_currency.as_deref().unwrap_or("");
        let agent = lead
            .assigned_agent
            .as_ref()
            .map_or("unassigned", |a| a.name.as_str());
        let name = lead.custom_name.as_deref().unwrap_or("(no name)");
        println!(
            "  #{:<5} {value:>12} {currency:<3}  {name:<40} {agent}",
            lead.id
        );
    }

    // Every lead of the account, streamed four pages at a time.
    let mut leads = client
        .leads(account)
        .list()
        .per_page(100)
        .concurrency(4)
        .stream();
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut count = 0u64;
    while let Some(lead) = leads.try_next().await? {
        count += 1;
        *by_status.entry(lead.status.to_string()).or_default() += 1;
        if let (Some(value), Some(currency)) = (lead.lead_value, lead.lead_currency) {
            *by_currency.entry(currency).or_default() += value.as_decimal();
        }
    }
    println!("\nStreamed {count} leads of account {account}.");
    println!("By status:");
    for (status, n) in &by_status {
        println!("  {status:<8} {n:>6}");
    }
    println!("Pipeline value by currency:");
    for (currency, total) in &by_currency {
        println!("  {currency:<3} {total:>16}");
    }
    Ok(())
}
