//! A sales pipeline at work: a funnel with stages, deals (cards) moving
//! through them, their history, the board's totals and analytics, follow-up
//! tasks snoozed and completed, and a conversation turned into a deal.
//!
//! ```sh
//! cargo run -p voxys-connect --example sales_pipeline
//! ```
//! It runs on the project's mock server, started in-process: no account is
//! needed, and nothing real is changed.

use voxys_connect::Client;
use voxys_connect::types::{NaiveDate, Snooze, TaskPriority, TaskableType};
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
    let pipelines = client.pipelines(account);

    // A funnel and its stages, put in order.
    let funnel = pipelines
        .create("Enterprise")
        .description("Deals above 10k")
        .color("#4CAF50")
        .send()
        .await?;
    let stages = pipelines.stages(funnel.id);
    let mut made = Vec::new();
    for name in ["Won", "Lead in", "Proposal"] {
        made.push(stages.create(name).send().await?);
    }
    let (won, lead_in, proposal) = (&made[0], &made[1], &made[2]);
    let order = stages
        .reorder([lead_in.id, proposal.id, won.id])
        .send()
        .await?;
    let names: Vec<&str> = order.iter().map(|s| s.name.as_str()).collect();
    println!("funnel {} {:?}: stages {names:?}", funnel.id, funnel.name);

    // Deals: one for an existing lead, one for a new lead.
    let cards = pipelines.cards(funnel.id);
    let lead = client
        .leads(account)
        .list()
        .per_page(1)
        .send()
        .await?
        .into_items()
        .remove(0);
    let existing = cards
        .create()
        .lead(lead.id)
        .stage(lead_in.id)
        .send()
        .await?;
    let fresh = cards
        .create()
        .name("Initech expansion")
        .value("24000".parse()?)
        .currency("EUR")
        .stage(lead_in.id)
        .send()
        .await?;
    cards.move_to(fresh.id, proposal.id).send().await?;
    cards.move_to(fresh.id, won.id).send().await?;
    println!("\ncard {}'s history:", fresh.id);
    for event in cards.history(fresh.id).send().await? {
        let who = event.actor.as_ref().map_or("system", |a| a.name.as_str());
        println!(
            "  {} {:<14} {:?} -> {:?} by {who}",
            event.occurred_at, event.event_type, event.from_stage, event.to_stage
        );
    }

    // The board's totals, and the quarter's analytics.
    let stats = pipelines.stats(funnel.id).send().await?;
    println!(
        "\n{} cards worth {}, {} won ({:.1}%)",
        stats.total_cards, stats.total_value, stats.won_cards, stats.conversion_rate
    );
    let today = chrono_today();
    let analytics = pipelines
        .analytics(funnel.id)
        .since(today - chrono::Days::new(90))
        .until(today)
        .send()
        .await?;
    println!(
        "last 90 days: {} made, {} won, average deal {}",
        analytics.total_created, analytics.total_won, analytics.average_deal_size
    );
    for stage in &analytics.by_stage {
        println!(
            "  {:<10} {} card(s), {}",
            stage.stage_name, stage.count, stage.value
        );
    }

    // A follow-up task: snoozed a day (once, even if an answer is lost), then done.
    let tasks = client.tasks(account);
    let task = tasks
        .create("Send the contract")
        .about(TaskableType::FunnelCard, existing.id)
        .priority(TaskPriority::High)
        .due("2026-12-15T09:00:00Z".parse()?)
        .send()
        .await?;
    let task = tasks.snooze(task.id, Snooze::Days(1)).send().await?;
    println!(
        "\ntask {} is {} until {:?}",
        task.id,
        task.status,
        task.due_at.map(|t| t.to_string())
    );
    let task = tasks.complete(task.id).send().await?;
    println!("task {} is {}", task.id, task.status);
    let december = tasks
        .calendar(
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or(today),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or(today),
        )
        .send()
        .await?;
    println!("{} task(s) due in December 2026", december.len());

    // A conversation becomes a deal, linked to it.
    if let Some(conversation) = lead.conversation_id {
        let crm = client.conversations(account).crm(conversation);
        let card = crm.convert(funnel.id).stage(lead_in.id).send().await?;
        let panel = crm.get().send().await?;
        println!(
            "\nconversation {conversation}: lead {:?}, card {:?} (made {})",
            panel.linked_lead.map(|l| l.id),
            panel.linked_funnel_card.map(|c| c.id),
            card.id
        );
    }
    Ok(())
}

/// Today's date (UTC).
fn chrono_today() -> NaiveDate {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive()
}
