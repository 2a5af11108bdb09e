//! Changing leads: a status change with notes, bulk actions of any size, and a
//! conversion into a deal, exactly once, on the project's mock server (so it
//! runs with no account).
//!
//! ```sh
//! cargo run -p voxys-connect --example update_leads
//! ```

use std::time::Duration;

use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, Error};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

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
    let mock = MockServer::builder().leads(1_000).start().await?;
    let client = Client::builder()
        .token(mock.token())
        .base_url(mock.url())
        .build()?;
    let account = mock.account(mock.account_id()).ok_or("no account")?;
    let leads = client.leads(account.id);

    // Close a lead as won when its invoice is paid.
    let first = account.leads[0].id;
    let won = leads
        .set_status(first, LeadStatus::Won)
        .notes("invoice paid")
        .send()
        .await?;
    println!("lead {} is now {} ({:?})", won.id, won.status, won.notes);

    // Reassign every lead of an agent who left, in batches of 100.
    let leaving = account.agents[0].id;
    let taking_over = account.agents[1].id;
    let theirs = client
        .leads(account.id)
        .list()
        .assigned_agent(leaving)
        .per_page(100)
        .collect_all()
        .await?;
    let ids: Vec<i64> = theirs.iter().map(|l| l.id).collect();
    let outcome = leads
        .bulk_assign(ids, taking_over)
        .concurrency(4)
        .send()
        .await?;
    println!("reassigned: {outcome}");

    // Delete spam leads; some ids are gone already, which is counted, not an
    // error.
    let spam = [account.leads[1].id, account.leads[2].id, 999_999];
    let outcome = leads.bulk_delete(spam).send().await?;
    println!("deleted: {outcome}");

    // Turn a qualified lead into a deal, while the network loses the answer:
    // the card is made, then the proxy answers 502. The SDK finds the card it
    // made instead of making a second one.
    let funnel = &account.funnels[0];
    mock.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let lead = account.leads[3].id;
    match leads
        .convert(lead, funnel.id)
        .stage(funnel.stages[1].id)
        .settle_after(Duration::from_millis(200))
        .send()
        .await
    {
        Ok(card) => println!(
            "lead {lead} became card {} in funnel {} (stage {:?}), once, though the answer was lost",
            card.id, card.funnel_id, card.funnel_stage_id
        ),
        Err(error @ Error::OutcomeUnknown { .. }) => println!("{error}"),
        Err(error) => return Err(error.into()),
    }
    let cards = client
        .pipelines(account.id)
        .cards(funnel.id)
        .list()
        .send()
        .await?
        .into_iter()
        .filter(|c| c.lead.id == lead)
        .count();
    println!("funnel {} holds {cards} card(s) of lead {lead}", funnel.id);
    Ok(())
}
