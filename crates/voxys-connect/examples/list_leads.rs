//! One filtered page of an account's leads.
//!
//! ```sh
//! VOXYS_API_TOKEN=... VOXYS_ACCOUNT_ID=1 cargo run -p voxys-connect --example list_leads
//! ```
//! Set `VOXYS_BASE_URL` for a self-hosted instance.

use voxys_connect::Client;
use voxys_connect::types::{LeadSortField, LeadStatus, SortOrder};

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

    let page = client
        .leads(account)
        .list()
        .status(LeadStatus::Open)
        .sort_by(LeadSortField::LeadValue)
        .order(SortOrder::Desc)
        .per_page(10)
        .send()
        .await?;

    println!("{page}");
    for lead in &page {
        let value = match (&lead.lead_value, &lead.lead_currency) {
            (Some(value), Some(currency)) => format!("{value} {currency}"),
            (Some(value), None) => value.to_string(),
            _ => "-".to_owned(),
        };
        let agent = lead
            .assigned_agent
            .as_ref()
            .map_or("unassigned", |a| a.name.as_str());
        println!(
            "#{:<6} {:<8} {:>14}  {:<30} {}",
            lead.id,
            lead.status,
            value,
            lead.custom_name.as_deref().unwrap_or("(no name)"),
            agent
        );
    }
    Ok(())
}
