//! The Conversation CRM section over HTTP: a conversation's panel, linking
//! and unlinking a card (which stays), linking a lead, converting into a
//! deal, and the journal of each write.

mod common;

use common::{Answer, assert_documented, path, send};
use serde_json::{Value, json};
use voxys_connect_mock::MockServer;

/// What the journal says of a write: operation, conversation, cards,
/// leads, affected.
type Written = (&'static str, Option<i64>, Vec<i64>, Vec<i64>, u64);

fn crm(server: &MockServer, conversation: i64, what: &str) -> String {
    path(
        server.account_id(),
        &format!("conversations/{conversation}/crm{what}"),
    )
}

async fn panel(server: &MockServer, conversation: i64) -> Answer {
    let answer = send(server, "GET", &crm(server, conversation, ""), None).await;
    if answer.status == 200 {
        assert_documented("get_conversation_crm", &answer);
    }
    answer
}

/// A conversation with nothing linked to it, and one a lead came from.
fn conversations(server: &MockServer) -> (i64, i64) {
    let account = server.account_id();
    let ids = server.conversation_ids(account);
    let lone = ids
        .iter()
        .copied()
        .find(|id| {
            let c = server.conversation(account, *id).unwrap();
            c.linked_lead_id.is_none() && c.linked_card_id.is_none()
        })
        .expect("a conversation with nothing linked");
    let from_lead = server
        .leads(account)
        .iter()
        .find_map(|l| l.conversation_id)
        .expect("a lead from a conversation");
    (lone, from_lead)
}

#[tokio::test]
async fn the_panel_shows_what_is_linked_and_the_conversations_tasks() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (lone, from_lead) = conversations(&server);
    let empty = panel(&server, lone).await;
    assert_eq!(
        empty.body,
        json!({"conversation_id": lone, "linked_lead": null, "linked_funnel_card": null, "follow_up_tasks": []})
    );
    let linked = panel(&server, from_lead).await;
    let conversation = server.conversation(account, from_lead).unwrap();
    let lead = server
        .lead(account, conversation.linked_lead_id.unwrap())
        .unwrap();
    assert_eq!(lead.conversation_id, Some(from_lead));
    assert_eq!(linked.body["linked_lead"], lead.to_json());
    assert_eq!(panel(&server, 999_999_999).await.status, 404);

    // A task about the conversation shows in its panel.
    let task = send(
        &server,
        "POST",
        &path(account, "follow_up_tasks"),
        Some(&json!({"title": "Answer", "taskable_type": "Conversation", "taskable_id": lone, "due_at": "2031-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(task.status, 201, "{}", task.text);
    let undated = send(
        &server,
        "POST",
        &path(account, "follow_up_tasks"),
        Some(&json!({"title": "Someday", "taskable_type": "Conversation", "taskable_id": lone})),
    )
    .await;
    let with_tasks = panel(&server, lone).await;
    assert_eq!(
        with_tasks.body["follow_up_tasks"],
        json!([task.body, undated.body])
    );
    // Seeded tasks about conversations show in theirs.
    for seeded in server
        .tasks(account)
        .iter()
        .filter(|t| t.taskable_type.as_deref() == Some("Conversation"))
    {
        let id = seeded.taskable_id.unwrap();
        let shown = panel(&server, id).await;
        assert!(
            shown.body["follow_up_tasks"]
                .as_array()
                .unwrap()
                .contains(&seeded.to_json()),
            "{id}"
        );
    }
}

#[tokio::test]
async fn cards_and_leads_are_linked_and_a_card_unlinked_stays() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (lone, _) = conversations(&server);
    let funnel = server.funnels(account)[0].id;
    let card = server.cards(account, funnel)[0].clone();
    let unknown = send(
        &server,
        "POST",
        &crm(&server, lone, "/link_pipeline"),
        Some(&json!({"funnel_card_id": 999_999})),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let linked = send(
        &server,
        "POST",
        &crm(&server, lone, "/link_pipeline"),
        Some(&json!({"funnel_card_id": card.id})),
    )
    .await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert_documented("link_conversation_card", &linked);
    assert_eq!(linked.body["linked_funnel_card"]["id"], card.id);
    assert_eq!(
        linked.body["linked_lead"],
        Value::Null,
        "a card links no lead"
    );
    assert_eq!(panel(&server, lone).await.body, linked.body);
    let again = send(
        &server,
        "POST",
        &crm(&server, lone, "/link_pipeline"),
        Some(&json!({"funnel_card_id": card.id})),
    )
    .await;
    assert_eq!(again.body, linked.body, "linking again changes nothing");

    let unlinked = send(
        &server,
        "DELETE",
        &crm(&server, lone, "/unlink_pipeline"),
        None,
    )
    .await;
    assert_eq!(unlinked.status, 204);
    assert_documented("unlink_conversation_card", &unlinked);
    assert_eq!(
        server.card(account, card.id),
        Some(card.clone()),
        "the card stays"
    );
    assert_eq!(
        server.conversation(account, lone).unwrap().linked_card_id,
        None
    );
    assert_eq!(
        panel(&server, lone).await.body["linked_funnel_card"],
        Value::Null
    );
    let none = send(
        &server,
        "DELETE",
        &crm(&server, lone, "/unlink_pipeline"),
        None,
    )
    .await;
    assert_eq!(none.status, 404, "no card linked");

    let lead = server.leads(account)[3].clone();
    let with_lead = send(
        &server,
        "POST",
        &crm(&server, lone, "/link_lead"),
        Some(&json!({"lead_id": lead.id})),
    )
    .await;
    assert_eq!(with_lead.status, 200, "{}", with_lead.text);
    assert_documented("link_conversation_lead", &with_lead);
    assert_eq!(with_lead.body["linked_lead"], lead.to_json());
    let missing = send(
        &server,
        "POST",
        &crm(&server, lone, "/link_lead"),
        Some(&json!({"lead_id": 999_999})),
    )
    .await;
    assert_eq!(missing.status, 404);
    let nowhere = send(
        &server,
        "POST",
        &crm(&server, 999_999_999, "/link_lead"),
        Some(&json!({"lead_id": lead.id})),
    )
    .await;
    assert_eq!(nowhere.status, 404);

    // A linked card that is deleted is linked no more.
    send(
        &server,
        "POST",
        &crm(&server, lone, "/link_pipeline"),
        Some(&json!({"funnel_card_id": card.id})),
    )
    .await;
    let deleted = send(
        &server,
        "DELETE",
        &path(account, &format!("funnels/{funnel}/cards/{}", card.id)),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        panel(&server, lone).await.body["linked_funnel_card"],
        Value::Null
    );

    let journal: Vec<Written> = server
        .applied_writes()
        .iter()
        .map(|w| {
            (
                w.operation,
                w.conversation_id,
                w.card_ids.clone(),
                w.lead_ids.clone(),
                w.affected,
            )
        })
        .collect();
    assert_eq!(
        journal,
        [
            (
                "link_conversation_card",
                Some(lone),
                vec![card.id],
                vec![card.lead_id],
                1
            ),
            (
                "link_conversation_card",
                Some(lone),
                vec![card.id],
                vec![card.lead_id],
                0
            ),
            (
                "unlink_conversation_card",
                Some(lone),
                vec![card.id],
                vec![],
                1
            ),
            (
                "link_conversation_lead",
                Some(lone),
                vec![],
                vec![lead.id],
                1
            ),
            (
                "link_conversation_card",
                Some(lone),
                vec![card.id],
                vec![card.lead_id],
                1
            ),
            (
                "delete_funnel_card",
                None,
                vec![card.id],
                vec![card.lead_id],
                1
            ),
        ]
    );
}

#[tokio::test]
async fn converting_makes_a_card_and_links_it_with_its_lead() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (lone, from_lead) = conversations(&server);
    let funnel = server.funnels(account)[1].clone();
    let convert = |conversation: i64, body: Value| {
        let server = &server;
        async move {
            let answer = send(
                server,
                "POST",
                &crm(server, conversation, "/convert_to_deal"),
                Some(&body),
            )
            .await;
            if answer.status == 201 {
                assert_documented("convert_conversation", &answer);
            }
            answer
        }
    };
    // Nothing linked: a new lead named after the conversation, the first stage.
    let leads_before = server.leads(account).len();
    let card = convert(lone, json!({"funnel_id": funnel.id})).await;
    assert_eq!(card.status, 201, "{}", card.text);
    assert_eq!(card.body["funnel_stage_id"], funnel.stages[0].id);
    assert_eq!(
        card.body["lead"]["custom_name"],
        format!("Conversation #{lone}")
    );
    assert_eq!(card.body["lead"]["conversation_id"], lone);
    assert_eq!(server.leads(account).len(), leads_before + 1);
    let card_id = card.body["id"].as_i64().unwrap();
    let lead_id = card.body["lead"]["id"].as_i64().unwrap();
    let shown = panel(&server, lone).await;
    assert_eq!(shown.body["linked_funnel_card"], card.body);
    assert_eq!(shown.body["linked_lead"]["id"], lead_id);
    let history = server.card_history(account, card_id);
    assert_eq!(
        (
            history.len(),
            history[0].event_type.as_str(),
            history[0].to_stage.as_deref()
        ),
        (1, "created", Some(funnel.stages[0].name.as_str()))
    );
    // Again: a second card, for the lead now linked.
    let second = convert(
        lone,
        json!({"funnel_id": funnel.id, "stage_id": funnel.stages[1].id}),
    )
    .await;
    assert_eq!(second.body["lead"]["id"], lead_id);
    assert_eq!(second.body["funnel_stage_id"], funnel.stages[1].id);
    assert_ne!(second.body["id"], card.body["id"]);
    assert_eq!(server.leads(account).len(), leads_before + 1);
    // With a linked lead, or a lead given.
    let linked = server
        .conversation(account, from_lead)
        .unwrap()
        .linked_lead_id
        .unwrap();
    let theirs = convert(from_lead, json!({"funnel_id": funnel.id})).await;
    assert_eq!(theirs.body["lead"]["id"], linked);
    let given = server.leads(account)[5].id;
    let chosen = convert(from_lead, json!({"funnel_id": funnel.id, "lead_id": given})).await;
    assert_eq!(chosen.body["lead"]["id"], given);
    assert_eq!(
        server
            .conversation(account, from_lead)
            .unwrap()
            .linked_lead_id,
        Some(given)
    );
    // Refused: a stage of another funnel, an unknown funnel, lead or
    // conversation, no funnel.
    let other = server.funnels(account)[0].stages[0].id;
    let refused = convert(lone, json!({"funnel_id": funnel.id, "stage_id": other})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["attributes"], json!(["stage_id"]));
    assert_eq!(
        convert(lone, json!({"funnel_id": 999_999})).await.status,
        404
    );
    assert_eq!(
        convert(lone, json!({"funnel_id": funnel.id, "lead_id": 999_999}))
            .await
            .status,
        404
    );
    assert_eq!(
        convert(999_999_999, json!({"funnel_id": funnel.id}))
            .await
            .status,
        404
    );
    assert_eq!(convert(lone, json!({})).await.status, 422);
    let conversions: Vec<_> = server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == "convert_conversation")
        .collect();
    assert_eq!(conversions.len(), 4, "one per conversion made");
    assert_eq!(conversions[0].conversation_id, Some(lone));
    assert_eq!(conversions[0].created_id, Some(card_id));
    assert_eq!(conversions[0].card_ids, [card_id]);
    assert_eq!(conversions[0].lead_ids, [lead_id]);
    assert_eq!(conversions[0].funnel_ids, [funnel.id]);
}
