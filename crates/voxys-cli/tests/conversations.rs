//! `voxys conversations crm ...` against the mock server: the panel as the
//! server holds it, links, unlink (asked first) and conversion into a deal.

use voxys_connect_mock::MockServer;

mod common;

use common::{assert_ok, dry_run_line, ndjson, stderr, stdout, voxys};

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

#[tokio::test]
async fn the_panel_links_unlinks_and_converts() {
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let account = server.account_id();
    // A conversation with nothing linked.
    let conversation = server
        .conversation_ids(account)
        .into_iter()
        .find(|id| {
            let c = server.conversation(account, *id).unwrap();
            c.linked_lead_id.is_none() && c.linked_card_id.is_none()
        })
        .unwrap();
    let id_arg = conversation.to_string();

    let panel = voxys(&server, &["conversations", "crm", "get", &id_arg]).await;
    assert_ok(&panel);
    let panel = ndjson(&panel).remove(0);
    assert_eq!(panel["conversation_id"], conversation);
    assert!(panel["linked_lead"].is_null() && panel["linked_funnel_card"].is_null());

    let lead = server.leads(account)[3].id;
    let linked = voxys(
        &server,
        &[
            "conversations",
            "crm",
            "link-lead",
            &id_arg,
            &lead.to_string(),
        ],
    )
    .await;
    assert_ok(&linked);
    assert_eq!(
        server
            .conversation(account, conversation)
            .unwrap()
            .linked_lead_id,
        Some(lead)
    );
    assert_eq!(ndjson(&linked)[0]["linked_lead"]["id"], lead);

    let card = server.cards(account, 1)[0].id;
    let linked = voxys(
        &server,
        &[
            "conversations",
            "crm",
            "link-card",
            &id_arg,
            &card.to_string(),
        ],
    )
    .await;
    assert_ok(&linked);
    assert_eq!(
        server
            .conversation(account, conversation)
            .unwrap()
            .linked_card_id,
        Some(card)
    );
    let table = voxys(
        &server,
        &["conversations", "crm", "get", &id_arg, "--format", "table"],
    )
    .await;
    assert_ok(&table);
    assert!(stdout(&table).contains(&card.to_string()));

    // Unlink: asked first, a dry run sends nothing, the card stays.
    let writes = server.applied_writes().len();
    let refused = voxys(&server, &["conversations", "crm", "unlink-card", &id_arg]).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "refusing to unlink the card of conversation {conversation}"
        )),
        "{}",
        stderr(&refused)
    );
    let dry = voxys(
        &server,
        &["conversations", "crm", "unlink-card", &id_arg, "--dry-run"],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(
            &server,
            "DELETE",
            &format!("conversations/{conversation}/crm/unlink_pipeline")
        )
    );
    assert_eq!(server.applied_writes().len(), writes);
    let unlinked = voxys(
        &server,
        &["conversations", "crm", "unlink-card", &id_arg, "--yes"],
    )
    .await;
    assert_ok(&unlinked);
    assert!(
        stderr(&unlinked).contains("unlinked"),
        "{}",
        stderr(&unlinked)
    );
    assert_eq!(
        server
            .conversation(account, conversation)
            .unwrap()
            .linked_card_id,
        None
    );
    assert!(server.card(account, card).is_some(), "the card stays");

    // Convert: a card in the funnel, for the linked lead, linked.
    let converted = voxys(
        &server,
        &[
            "conversations",
            "crm",
            "convert",
            &id_arg,
            "--funnel",
            "1",
            "--stage",
            "12",
        ],
    )
    .await;
    assert_ok(&converted);
    let made = ndjson(&converted).remove(0);
    let made_id = made["id"].as_i64().unwrap();
    let held = server.card(account, made_id).unwrap();
    assert_eq!(
        (held.funnel_id, held.funnel_stage_id, held.lead_id),
        (1, Some(12), lead)
    );
    assert_eq!(
        server
            .conversation(account, conversation)
            .unwrap()
            .linked_card_id,
        Some(made_id)
    );
    let operations: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        operations,
        [
            "link_conversation_lead",
            "link_conversation_card",
            "unlink_conversation_card",
            "convert_conversation"
        ]
    );

    let missing = voxys(&server, &["conversations", "crm", "get", "999999999"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
}
