//! `voxys pipelines ...` against the mock server: funnels, stages, cards,
//! their totals and analytics, and the board. What each write did is read
//! from the mock's own state and journal of applied writes.

use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;

use common::{assert_ok, dry_run_body, dry_run_line, ndjson, stderr, stdout, voxys};

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

async fn server() -> MockServer {
    MockServer::builder().leads(60).start().await.unwrap()
}

/// The ids of NDJSON records, in order.
fn ids(records: &[Value]) -> Vec<i64> {
    records.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

/// The operations of the journal, in order.
fn operations(server: &MockServer) -> Vec<&'static str> {
    server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect()
}

#[tokio::test]
async fn funnels_list_get_create_update_stats_and_delete() {
    let server = server().await;
    let account = server.account_id();

    let listed = voxys(&server, &["pipelines", "list"]).await;
    assert_ok(&listed);
    let held: Vec<i64> = server.funnels(account).iter().map(|f| f.id).collect();
    assert_eq!(ids(&ndjson(&listed)), held);

    let got = voxys(&server, &["pipelines", "get", "1", "--format", "json"]).await;
    assert_ok(&got);
    let got: Value = serde_json::from_str(&stdout(&got)).unwrap();
    assert_eq!(got[0]["name"], "Sales");
    assert_eq!(got[0]["stages_count"], 5);

    // Create: printed, held, journaled once.
    let created = voxys(
        &server,
        &[
            "pipelines",
            "create",
            "Renewals",
            "--color",
            "#123456",
            "--description",
            "Yearly renewals",
            "--public",
            "false",
        ],
    )
    .await;
    assert_ok(&created);
    let funnel = ndjson(&created).remove(0);
    let id = funnel["id"].as_i64().unwrap();
    let held = server.funnel(account, id).unwrap();
    assert_eq!(held.name, "Renewals");
    assert_eq!(held.color.as_deref(), Some("#123456"));
    assert_eq!(held.description.as_deref(), Some("Yearly renewals"));
    assert!(!held.is_public);
    assert_eq!(funnel["name"], "Renewals");
    assert_eq!(operations(&server), ["create_funnel"]);
    let id_arg = id.to_string();

    // Update: a flag per member, --clear-… sends null; a dry run sends
    // nothing; nothing to change is refused.
    let dry = voxys(
        &server,
        &[
            "pipelines",
            "update",
            &id_arg,
            "--name",
            "Renewals 2027",
            "--clear-color",
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        dry_run_body(
            &server,
            stdout(&dry).trim(),
            "PATCH",
            &format!("funnels/{id}")
        ),
        json!({"name": "Renewals 2027", "color": null})
    );
    let nothing = voxys(&server, &["pipelines", "update", &id_arg]).await;
    assert_eq!(code(&nothing), Some(2), "{}", stderr(&nothing));
    assert_eq!(operations(&server), ["create_funnel"]);
    let updated = voxys(
        &server,
        &[
            "pipelines",
            "update",
            &id_arg,
            "--name",
            "Renewals 2027",
            "--clear-color",
            "--active",
            "false",
        ],
    )
    .await;
    assert_ok(&updated);
    let held = server.funnel(account, id).unwrap();
    assert_eq!(held.name, "Renewals 2027");
    assert_eq!(held.color, None);
    assert!(!held.is_active);
    assert_eq!(held.description.as_deref(), Some("Yearly renewals"));
    assert_eq!(ndjson(&updated)[0]["name"], "Renewals 2027");

    // Stats: the server's totals.
    let stats = voxys(&server, &["pipelines", "stats", "1"]).await;
    assert_ok(&stats);
    let expected = server.funnel_stats(account, 1).unwrap();
    let stats = ndjson(&stats).remove(0);
    for member in ["total_cards", "won_cards", "lost_cards"] {
        assert_eq!(stats[member], expected[member], "{member}");
    }
    let csv = voxys(&server, &["pipelines", "stats", "1", "--format", "csv"]).await;
    assert_ok(&csv);
    assert!(stdout(&csv).starts_with("total_cards,won_cards,lost_cards,"));

    // Delete: refused without a terminal or --yes, a dry run sends
    // nothing, --yes deletes, a second delete finds nothing (4).
    let refused = voxys(&server, &["pipelines", "delete", &id_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("refusing to delete funnel {id}")),
        "{}",
        stderr(&refused)
    );
    let dry = voxys(&server, &["pipelines", "delete", &id_arg, "--dry-run"]).await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(&server, "DELETE", &format!("funnels/{id}"))
    );
    assert!(server.funnel(account, id).is_some());
    assert_eq!(operations(&server), ["create_funnel", "update_funnel"]);
    let deleted = voxys(&server, &["pipelines", "delete", &id_arg, "--yes"]).await;
    assert_ok(&deleted);
    assert!(server.funnel(account, id).is_none());
    assert_eq!(
        operations(&server),
        ["create_funnel", "update_funnel", "delete_funnel"]
    );
    let again = voxys(&server, &["pipelines", "delete", &id_arg, "--yes"]).await;
    assert_eq!(code(&again), Some(4), "{}", stderr(&again));
}

#[tokio::test]
async fn a_funnel_create_whose_answer_is_lost_exits_with_8_and_says_how_to_check() {
    let server = server().await;
    // Lost at the proxy, before the application saw it: the SDK finds no
    // funnel, cannot tell whether the server is still at it, and says so.
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("POST")
            .times(1),
    );
    let output = voxys(&server, &["pipelines", "create", "Lost"]).await;
    assert_eq!(code(&output), Some(8), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("funnel \"Lost\" may or may not have been created")
            && message.contains("voxys pipelines list"),
        "{message}"
    );
    assert!(operations(&server).is_empty());
}

#[tokio::test]
async fn stages_list_create_update_reorder_and_delete() {
    let server = server().await;
    let account = server.account_id();
    let stage_ids = |server: &MockServer| -> Vec<i64> {
        server.stages(account, 1).iter().map(|s| s.id).collect()
    };

    let listed = voxys(&server, &["pipelines", "stages", "list", "1"]).await;
    assert_ok(&listed);
    assert_eq!(ids(&ndjson(&listed)), stage_ids(&server));

    let created = voxys(
        &server,
        &[
            "pipelines",
            "stages",
            "create",
            "1",
            "Demo booked",
            "--position",
            "2",
            "--color",
            "#2196F3",
            "--chatwoot-status",
            "open",
        ],
    )
    .await;
    assert_ok(&created);
    let stage = ndjson(&created)[0]["id"].as_i64().unwrap();
    let held = server.stages(account, 1);
    assert_eq!(held[1].id, stage, "second, as asked");
    assert_eq!(held[1].name, "Demo booked");
    assert_eq!(held[1].chatwoot_status.as_deref(), Some("open"));
    let stage_arg = stage.to_string();

    let updated = voxys(
        &server,
        &[
            "pipelines",
            "stages",
            "update",
            "1",
            &stage_arg,
            "--name",
            "Demo",
            "--clear-color",
            "--clear-chatwoot-status",
        ],
    )
    .await;
    assert_ok(&updated);
    let held = server
        .stages(account, 1)
        .into_iter()
        .find(|s| s.id == stage)
        .unwrap();
    assert_eq!(
        (held.name.as_str(), held.color, held.chatwoot_status),
        ("Demo", None, None)
    );

    // Reorder: exactly the funnel's stages; anything else is refused before
    // sending.
    let mut reversed = stage_ids(&server);
    reversed.reverse();
    let mut args: Vec<String> = ["pipelines", "stages", "reorder", "1"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    args.extend(reversed.iter().map(i64::to_string));
    let missing: Vec<&str> = args[..args.len() - 1].iter().map(String::as_str).collect();
    let writes = server.applied_writes().len();
    let refused = voxys(&server, &missing).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("missing"), "{}", stderr(&refused));
    assert_eq!(server.applied_writes().len(), writes);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let reordered = voxys(&server, &args).await;
    assert_ok(&reordered);
    assert_eq!(stage_ids(&server), reversed);
    assert_eq!(ids(&ndjson(&reordered)), reversed);

    // Delete: asked first; an empty stage goes; one with cards is refused.
    let refused = voxys(&server, &["pipelines", "stages", "delete", "1", &stage_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let dry = voxys(
        &server,
        &[
            "pipelines",
            "stages",
            "delete",
            "1",
            &stage_arg,
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(&server, "DELETE", &format!("funnels/1/stages/{stage}"))
    );
    assert!(stage_ids(&server).contains(&stage));
    let deleted = voxys(
        &server,
        &["pipelines", "stages", "delete", "1", &stage_arg, "--yes"],
    )
    .await;
    assert_ok(&deleted);
    assert!(!stage_ids(&server).contains(&stage));
    let with_cards = server.cards(account, 1)[0].funnel_stage_id.unwrap();
    let refused = voxys(
        &server,
        &[
            "pipelines",
            "stages",
            "delete",
            "1",
            &with_cards.to_string(),
            "--yes",
        ],
    )
    .await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(stage_ids(&server).contains(&with_cards));
}

#[tokio::test]
async fn cards_list_create_update_move_history_and_delete() {
    let server = server().await;
    let account = server.account_id();

    // The list, and the old form of it.
    let listed = voxys(&server, &["pipelines", "cards", "list", "1"]).await;
    assert_ok(&listed);
    let held: Vec<i64> = server.cards(account, 1).iter().map(|c| c.id).collect();
    let mut listed_ids = ids(&ndjson(&listed));
    listed_ids.sort_unstable();
    let mut held_sorted = held.clone();
    held_sorted.sort_unstable();
    assert_eq!(listed_ids, held_sorted);
    let old = voxys(&server, &["pipelines", "cards", "1"]).await;
    assert_ok(&old);
    assert_eq!(stdout(&old), stdout(&listed));
    let in_stage = voxys(
        &server,
        &["pipelines", "cards", "list", "1", "--stage", "12"],
    )
    .await;
    assert_ok(&in_stage);
    assert!(ndjson(&in_stage).iter().all(|c| c["funnel_stage_id"] == 12));

    // Create a card for a new lead.
    let created = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            "create",
            "1",
            "--name",
            "Acme renewal",
            "--value",
            "15000.50",
            "--currency",
            "USD",
            "--stage",
            "12",
        ],
    )
    .await;
    assert_ok(&created);
    let card = ndjson(&created).remove(0);
    let id = card["id"].as_i64().unwrap();
    let held = server.card(account, id).unwrap();
    assert_eq!(held.funnel_stage_id, Some(12));
    let lead = server.lead(account, held.lead_id).unwrap();
    assert_eq!(lead.custom_name.as_deref(), Some("Acme renewal"));
    assert_eq!(lead.lead_value.unwrap().normalize().to_string(), "15000.5");
    assert_eq!(card["lead"]["lead_value"], json!(15000.5));
    let id_arg = id.to_string();

    // Update: the card's lead; --clear-… sends null.
    let dry = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            "update",
            "1",
            &id_arg,
            "--value",
            "18000",
            "--clear-currency",
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        dry_run_body(
            &server,
            stdout(&dry).trim(),
            "PATCH",
            &format!("funnels/1/cards/{id}")
        ),
        json!({"lead_value": 18000, "lead_currency": null})
    );
    let updated = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            "update",
            "1",
            &id_arg,
            "--value",
            "18000",
            "--clear-currency",
        ],
    )
    .await;
    assert_ok(&updated);
    let lead = server.lead(account, held.lead_id).unwrap();
    assert_eq!(lead.lead_value.unwrap().normalize().to_string(), "18000");
    assert_eq!(lead.lead_currency, None);

    // Move, then its history says so.
    let moved = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            "move",
            "1",
            &id_arg,
            "14",
            "--position",
            "1",
        ],
    )
    .await;
    assert_ok(&moved);
    let held = server.card(account, id).unwrap();
    assert_eq!((held.funnel_stage_id, held.position), (Some(14), Some(1)));
    let history = voxys(&server, &["pipelines", "cards", "history", "1", &id_arg]).await;
    assert_ok(&history);
    let events = ndjson(&history);
    let expected: Vec<i64> = server
        .card_history(account, id)
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids(&events), expected);
    assert!(
        events
            .iter()
            .any(|e| e["event_type"] == "stage_changed" && e["to_stage"] == "Negotiation"),
        "{events:?}"
    );
    let table = voxys(
        &server,
        &[
            "pipelines",
            "cards",
            "history",
            "1",
            &id_arg,
            "--format",
            "table",
        ],
    )
    .await;
    assert_ok(&table);
    assert!(stdout(&table).contains("stage_changed"));

    // Delete: asked first; the lead stays.
    let refused = voxys(&server, &["pipelines", "cards", "delete", "1", &id_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let dry = voxys(
        &server,
        &["pipelines", "cards", "delete", "1", &id_arg, "--dry-run"],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(&server, "DELETE", &format!("funnels/1/cards/{id}"))
    );
    assert!(server.card(account, id).is_some());
    let deleted = voxys(
        &server,
        &["pipelines", "cards", "delete", "1", &id_arg, "--yes"],
    )
    .await;
    assert_ok(&deleted);
    assert!(server.card(account, id).is_none());
    assert!(server.lead(account, held.lead_id).is_some());
    assert_eq!(
        operations(&server),
        [
            "create_funnel_card",
            "update_funnel_card",
            "move_funnel_card",
            "delete_funnel_card"
        ]
    );
}

/// The first `n` characters of `text`: what a column shows of it at least.
fn start(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[tokio::test]
async fn show_draws_every_stage_with_its_cards_in_plain_text_when_piped() {
    let server = server().await;
    let account = server.account_id();
    for (funnel, width) in [(2i64, "200"), (1, "200"), (1, "40")] {
        let output = voxys(
            &server,
            &["pipelines", "show", &funnel.to_string(), "--width", width],
        )
        .await;
        assert_ok(&output);
        let text = stdout(&output);
        assert!(!text.contains('\u{1b}'), "no colors when piped: {text}");
        let width: usize = width.parse().unwrap();
        for line in text.lines() {
            assert!(
                line.chars().count() <= width,
                "{line:?} is wider than {width}"
            );
        }
        let held = server.funnel(account, funnel).unwrap();
        assert!(text.starts_with(&format!("{} (funnel {funnel})", held.name)));
        for stage in &held.stages {
            assert!(text.contains(&stage.name), "{} in {text}", stage.name);
        }
        // A column is 15 characters at least: the start of every card's
        // lead's name is there.
        for card in server.cards(account, funnel) {
            let lead = server.lead(account, card.lead_id).unwrap();
            let name = lead
                .custom_name
                .unwrap_or_else(|| format!("lead {}", lead.id));
            assert!(text.contains(&start(&name, 12)), "{name} in {text}");
        }
        if width == 40 {
            // Five stages do not fit in 40 columns: more than one band.
            let heads = text
                .lines()
                .filter(|l| held.stages.iter().any(|s| l.starts_with(&s.name)))
                .count();
            assert!(heads > 1, "{text}");
        }
    }
    let missing = voxys(&server, &["pipelines", "show", "999"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
}

#[tokio::test]
async fn analytics_are_json_when_piped_and_tables_on_request() {
    let server = server().await;

    let piped = voxys(
        &server,
        &[
            "pipelines",
            "analytics",
            "1",
            "--since",
            "2020-01-01",
            "--until",
            "2030-12-31",
        ],
    )
    .await;
    assert_ok(&piped);
    let text = stdout(&piped);
    assert_eq!(text.lines().count(), 1, "one JSON object: {text}");
    let analytics: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(analytics["period"]["since"], "2020-01-01");
    assert_eq!(analytics["period"]["until"], "2030-12-31");
    let stages = analytics["by_stage"].as_array().unwrap();
    assert!(!stages.is_empty(), "{analytics}");
    assert!(analytics["total_created"].as_i64().unwrap() > 0);

    let table = voxys(
        &server,
        &[
            "pipelines",
            "analytics",
            "1",
            "--since",
            "2020-01-01",
            "--until",
            "2030-12-31",
            "--format",
            "table",
        ],
    )
    .await;
    assert_ok(&table);
    let table = stdout(&table);
    let (agents, by_stage) = (
        table.find("By agent").unwrap(),
        table.find("By stage").unwrap(),
    );
    assert!(table.find("conversion %").unwrap() < agents && agents < by_stage);
    for stage in stages {
        assert!(table[by_stage..].contains(stage["stage_name"].as_str().unwrap()));
    }
    for agent in analytics["by_agent"].as_array().unwrap() {
        assert!(table[agents..by_stage].contains(agent["agent"]["name"].as_str().unwrap()));
    }
    assert!(serde_json::from_str::<Value>(&table).is_err());

    // Days are checked before anything is sent.
    let requests = server.request_count();
    for bad in [
        &["pipelines", "analytics", "1", "--since", "2026-13-01"][..],
        &["pipelines", "analytics", "1", "--since", "01/02/2026"],
        &[
            "pipelines",
            "analytics",
            "1",
            "--since",
            "2026-03-01",
            "--until",
            "2026-02-01",
        ],
        &["pipelines", "analytics", "1", "--group-by", "year"],
    ] {
        let refused = voxys(&server, bad).await;
        assert_eq!(code(&refused), Some(2), "{bad:?}: {}", stderr(&refused));
    }
    assert_eq!(server.request_count(), requests);
}

#[tokio::test]
async fn the_demo_runs_the_pipelines_and_tasks_commands() {
    for args in [
        &["pipelines", "show", "1", "--demo"][..],
        &["pipelines", "analytics", "1", "--demo"],
        &["pipelines", "stages", "list", "2", "--demo"],
        &["tasks", "list", "--all", "--demo"],
    ] {
        let output = common::run(args, &[], None).await;
        assert!(
            output.status.success(),
            "{args:?}: exit {:?}: {}",
            output.status.code(),
            stderr(&output)
        );
    }
}

/// A card's CSV header: the card's columns, then its lead's, each prefixed
/// `lead_` once (`lead_value`, not `lead_lead_value`), no column twice.
#[cfg(feature = "demo")]
#[tokio::test]
async fn a_cards_csv_header_prefixes_its_leads_columns_once() {
    let output = common::voxys_env(
        &[
            "pipelines",
            "cards",
            "list",
            "1",
            "--demo",
            "--format",
            "csv",
        ],
        &[],
    )
    .await;
    common::assert_ok(&output);
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for expected in [
        "id",
        "lead_id",
        "lead_status",
        "lead_value",
        "lead_currency",
    ] {
        assert!(
            header.iter().any(|h| h == expected),
            "{expected}: {header:?}"
        );
    }
    assert!(
        !header.iter().any(|h| h.starts_with("lead_lead_")),
        "{header:?}"
    );
    let unique: std::collections::BTreeSet<&String> = header.iter().collect();
    assert_eq!(unique.len(), header.len(), "{header:?}");
}

/// A 404 says what was not found, and in which account (exit 4).
#[cfg(feature = "demo")]
#[tokio::test]
async fn a_missing_lead_or_funnel_is_named_in_the_404() {
    for (args, said) in [
        (
            &["leads", "get", "999999", "--demo"][..],
            "lead 999999 not found in account",
        ),
        (
            &["pipelines", "get", "9", "--demo"][..],
            "funnel 9 not found in account",
        ),
        (
            &["tasks", "get", "999999", "--demo"][..],
            "task 999999 not found in account",
        ),
    ] {
        let output = common::voxys_env(args, &[]).await;
        assert_eq!(output.status.code(), Some(4), "{args:?}: {output:?}");
        let stderr = common::stderr(&output);
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
}
