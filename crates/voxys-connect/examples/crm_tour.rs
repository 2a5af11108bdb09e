//! A tour of the CRM section: companies, their look-alikes and a merge,
//! leads made, changed and noted, a contact moved, a timeline, a delete.
//!
//! ```sh
//! cargo run -p voxys-connect --example crm_tour
//! ```
//! It runs on the project's mock server, started in-process: no account is
//! needed, and nothing real is changed.

use voxys_connect::types::CompanySortField;
use voxys_connect::{Client, Deleted, Error};
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
    let mock = MockServer::builder().leads(20).start().await?;
    let client = Client::builder()
        .token(mock.token())
        .base_url(mock.url())
        .build()?;
    let account = mock.account_id();
    println!("A mock server at {}, account {account}\n", mock.url());
    let companies = client.companies(account);
    let leads = client.leads(account);

    // Two companies that are one: the same domain, the name spelled twice.
    let acme = companies
        .create("Acme Corp")
        .domain("acme.example")
        .description("Widgets, worldwide")
        .send()
        .await?;
    let twin = companies
        .create("ACME  corp")
        .domain("acme.example")
        .send()
        .await?;
    println!(
        "created companies {} {:?} and {} {:?}",
        acme.id, acme.name, twin.id, twin.name
    );

    // A lead of the twin, with a note.
    let lead = leads
        .create()
        .name("Acme renewal")
        .value("15000.50".parse()?)
        .currency("USD")
        .company(twin.id)
        .send()
        .await?;
    println!(
        "created lead {} in company {:?}",
        lead.id,
        lead.company.as_ref().map(|c| c.id)
    );
    leads
        .notes(lead.id)
        .create("Called; they want a quote by Friday")
        .send()
        .await?;

    // A contact moves into the twin.
    let contact = mock_contact(&mock, account);
    if let Some(contact) = contact {
        let added = companies.contacts(twin.id).add(contact).send().await?;
        println!(
            "contact {} {:?} is now in company {}",
            added.id, added.name, twin.id
        );
    }

    // Find the look-alikes of Acme, and merge them into it.
    for duplicate in companies.duplicates(acme.id).send().await? {
        let survivor = companies.merge(duplicate.id, acme.id).send().await?;
        println!(
            "merged {} {:?} into {}: it now has {} contacts",
            duplicate.id,
            duplicate.name,
            survivor.id,
            survivor.contacts_count.unwrap_or(0)
        );
    }
    // The merged company is gone; its lead now belongs to Acme.
    match companies.get(twin.id).send().await {
        Err(Error::NotFound { .. }) => println!("company {} is gone", twin.id),
        other => println!("company {}: {other:?}", twin.id),
    }
    let lead = leads.get(lead.id).send().await?;
    println!(
        "lead {} is in company {:?}",
        lead.id,
        lead.company.as_ref().map(|c| &c.name)
    );

    // Change the lead: a new value, no agent (sent as null).
    let lead = leads
        .update(lead.id)
        .value("18000".parse()?)
        .unassign()
        .send()
        .await?;
    let value = lead
        .lead_value
        .map_or("nothing".to_owned(), |v| v.to_string());
    let currency = lead.lead_currency.as_deref().unwrap_or("");
    let agent = lead
        .assigned_agent
        .as_ref()
        .map_or("no one", |a| a.name.as_str());
    println!(
        "lead {} is worth {value} {currency}, assigned to {agent}",
        lead.id
    );

    // What happened to Acme.
    println!("\nAcme's timeline:");
    for event in companies.timeline(acme.id).send().await? {
        println!(
            "  {} {:<18} {}",
            event.occurred_at,
            event.event_type,
            event.description.unwrap_or_default()
        );
    }
    for note in leads.notes(lead.id).list().send().await? {
        let author = note.author.as_ref().map_or("?", |a| a.name.as_str());
        println!("note by {author}: {}", note.content);
    }

    // The companies, by name; a search.
    let page = companies.list().sort(CompanySortField::Name).send().await?;
    println!(
        "\n{} companies; the first by name: {:?}",
        page.total_count(),
        page.items().first().map(|c| &c.name)
    );
    let found = companies.search("acme").send().await?;
    println!("searching \"acme\": {} found", found.len());

    // The API's validation errors name each field and what is wrong with it.
    match leads.create().name("Orphan").company(999_999).send().await {
        Err(Error::Validation { fields, .. }) => println!("refused: {fields:?}"),
        other => println!("a lead in a company that does not exist: {other:?}"),
    }

    // Delete the lead; a delete says whether an earlier attempt did it.
    match leads.delete(lead.id).send().await? {
        Deleted::Now => println!("lead {} deleted", lead.id),
        other => println!("lead {}: {other}", lead.id),
    }
    Ok(())
}

/// A contact of the mock's account that is in no company yet.
fn mock_contact(mock: &MockServer, account: i64) -> Option<i64> {
    mock.account(account)?.contacts.first().map(|c| c.id)
}
