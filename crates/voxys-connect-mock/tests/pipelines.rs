//! The Pipelines section over HTTP: funnels with their computed counts and
//! totals, stages inserted, changed, reordered and deleted, cards made,
//! changed, moved and deleted with their history, analytics, and the
//! journal of each write.

mod common;

use std::str::FromStr;

use common::{Answer, assert_documented, assert_field_error, has_milliseconds, path, send};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

/// An amount the API sent (a JSON number or a string), exactly.
fn amount(value: &Value) -> Decimal {
    match value {
        Value::String(text) => Decimal::from_str(text).unwrap(),
        other => Decimal::from_str(&other.to_string()).unwrap(),
    }
}

/// Makes a funnel named `name` with stages `stages`, checking each answer;
/// the funnel's id and its stages' ids in order.
async fn funnel_with_stages(server: &MockServer, name: &str, stages: &[&str]) -> (i64, Vec<i64>) {
    let account = server.account_id();
    let made = send(
        server,
        "POST",
        &path(account, "funnels"),
        Some(&json!({"name": name, "color": "#123456"})),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_documented("create_funnel", &made);
    let funnel = made.body["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for stage in stages {
        let answer = send(
            server,
            "POST",
            &path(account, &format!("funnels/{funnel}/stages")),
            Some(&json!({"name": stage})),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        assert_documented("create_funnel_stage", &answer);
        ids.push(answer.body["id"].as_i64().unwrap());
    }
    (funnel, ids)
}

/// Makes a card in `funnel` for a new lead of this name and value.
async fn card_for_new_lead(server: &MockServer, funnel: i64, body: Value) -> Answer {
    let answer = send(
        server,
        "POST",
        &path(server.account_id(), &format!("funnels/{funnel}/cards")),
        Some(&body),
    )
    .await;
    if answer.status == 201 {
        assert_documented("create_funnel_card", &answer);
    }
    answer
}

async fn set_status(server: &MockServer, lead: i64, status: &str) {
    let answer = send(
        server,
        "PATCH",
        &path(server.account_id(), &format!("leads/{lead}/status")),
        Some(&json!({"status": status})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn funnels_show_counts_and_totals_computed_from_their_stages_and_cards() {
    let server = MockServer::start().await;
    let account = server.account_id();
    // The generated funnels: counts as the data holds them.
    let listed = send(&server, "GET", &path(account, "funnels"), None).await;
    assert_documented("list_funnels", &listed);
    let funnels = server.funnels(account);
    assert_eq!(listed.body.as_array().unwrap().len(), funnels.len());
    for (json, funnel) in listed.body.as_array().unwrap().iter().zip(&funnels) {
        assert_eq!(json["id"], funnel.id);
        assert_eq!(json["stages_count"], funnel.stages.len());
        let stages = send(
            &server,
            "GET",
            &path(account, &format!("funnels/{}/stages", funnel.id)),
            None,
        )
        .await;
        assert_documented("list_funnel_stages", &stages);
        let cards = server.cards(account, funnel.id);
        assert!(!cards.is_empty(), "the generated funnels have cards");
        for stage in stages.body.as_array().unwrap() {
            let held = cards
                .iter()
                .filter(|c| c.funnel_stage_id == stage["id"].as_i64())
                .count();
            assert_eq!(stage["cards_count"], held, "{stage}");
        }
        // Totals from the cards' leads as they are.
        let stats = send(
            &server,
            "GET",
            &path(account, &format!("funnels/{}/stats", funnel.id)),
            None,
        )
        .await;
        assert_documented("funnel_stats", &stats);
        let leads: Vec<_> = cards
            .iter()
            .map(|c| server.lead(account, c.lead_id).unwrap())
            .collect();
        let sum = |status: Option<&str>| -> Decimal {
            leads
                .iter()
                .filter(|l| status.is_none_or(|s| l.status == s))
                .filter_map(|l| l.lead_value)
                .sum()
        };
        let won = leads.iter().filter(|l| l.status == "won").count();
        assert_eq!(stats.body["total_cards"], cards.len());
        assert_eq!(stats.body["won_cards"], won);
        assert_eq!(
            stats.body["lost_cards"],
            leads.iter().filter(|l| l.status == "lost").count()
        );
        assert_eq!(amount(&stats.body["total_value"]), sum(None));
        assert_eq!(amount(&stats.body["won_value"]), sum(Some("won")));
        assert_eq!(
            stats.body["conversion_rate"].as_f64().unwrap(),
            won as f64 / cards.len() as f64 * 100.0
        );
    }

    // A new funnel: counts and totals follow its stages and cards.
    let (funnel, stages) = funnel_with_stages(&server, "Renewals", &["Open", "Quoted"]).await;
    let stats_path = path(account, &format!("funnels/{funnel}/stats"));
    let empty = send(&server, "GET", &stats_path, None).await;
    assert_eq!(
        empty.body,
        json!({"total_cards": 0, "total_value": 0, "won_cards": 0, "won_value": 0, "lost_cards": 0, "conversion_rate": 0.0})
    );
    let mut leads = Vec::new();
    for (name, value) in [("A", "100.10"), ("B", "200.20"), ("C", "300")] {
        let card = card_for_new_lead(
            &server,
            funnel,
            json!({"custom_name": name, "lead_value": value, "lead_currency": "EUR"}),
        )
        .await;
        assert_eq!(card.status, 201, "{}", card.text);
        assert_eq!(card.body["funnel_stage_id"], stages[0], "the first stage");
        leads.push(card.body["lead"]["id"].as_i64().unwrap());
    }
    set_status(&server, leads[0], "won").await;
    set_status(&server, leads[1], "lost").await;
    let stats = send(&server, "GET", &stats_path, None).await;
    assert_eq!(stats.body["total_cards"], 3);
    assert_eq!(amount(&stats.body["total_value"]), Decimal::new(6003, 1));
    assert_eq!(stats.body["won_cards"], 1);
    assert_eq!(amount(&stats.body["won_value"]), Decimal::new(10010, 2));
    assert_eq!(stats.body["lost_cards"], 1);
    assert_eq!(
        stats.body["conversion_rate"].as_f64().unwrap(),
        1.0 / 3.0 * 100.0
    );
    let got = send(
        &server,
        "GET",
        &path(account, &format!("funnels/{funnel}")),
        None,
    )
    .await;
    assert_documented("get_funnel", &got);
    assert_eq!(got.body["stages_count"], 2);
    let listed = send(
        &server,
        "GET",
        &path(account, &format!("funnels/{funnel}/stages")),
        None,
    )
    .await;
    let counts: Vec<&Value> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["cards_count"])
        .collect();
    assert_eq!(counts, [&json!(3), &json!(0)]);
}

#[tokio::test]
async fn funnels_are_made_changed_in_three_states_and_refused_blank() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let blank = send(
        &server,
        "POST",
        &path(account, "funnels"),
        Some(&json!({"name": "   "})),
    )
    .await;
    assert_field_error(&blank, "name", "can't be blank");
    let (funnel, _) = funnel_with_stages(&server, "Upsell", &[]).await;
    let made = server.funnel(account, funnel).unwrap();
    assert_eq!(
        (made.is_public, made.is_active, made.color.as_deref()),
        (true, true, Some("#123456"))
    );
    assert_eq!(made.position, Some(3), "last, after the two generated");
    let funnel_path = path(account, &format!("funnels/{funnel}"));
    let changed = send(
        &server,
        "PATCH",
        &funnel_path,
        Some(&json!({"description": "Upsells", "is_active": false})),
    )
    .await;
    assert_documented("update_funnel", &changed);
    assert_eq!(changed.body["color"], "#123456", "left out: kept");
    assert_eq!(
        (&changed.body["description"], &changed.body["is_active"]),
        (&json!("Upsells"), &json!(false))
    );
    let cleared = send(
        &server,
        "PATCH",
        &funnel_path,
        Some(&json!({"color": null, "name": "Upsells 2027"})),
    )
    .await;
    assert_eq!(cleared.body["color"], Value::Null, "null: cleared");
    assert_eq!(cleared.body["description"], "Upsells");
    assert_eq!(server.funnel(account, funnel).unwrap().name, "Upsells 2027");
    let missing = send(
        &server,
        "PATCH",
        &path(account, "funnels/999999"),
        Some(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn stages_are_inserted_changed_reordered_and_deleted_only_when_empty() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (funnel, ids) = funnel_with_stages(&server, "Stages", &["One", "Two", "Three"]).await;
    let stages_path = path(account, &format!("funnels/{funnel}/stages"));
    // Inserted at position 2: the others move down.
    let inserted = send(
        &server,
        "POST",
        &stages_path,
        Some(&json!({"name": "One and a half", "position": 2, "chatwoot_status": "open", "color": "#000000"})),
    )
    .await;
    assert_eq!(inserted.status, 201);
    assert_eq!(inserted.body["position"], 2);
    let half = inserted.body["id"].as_i64().unwrap();
    let order = |server: &MockServer| -> Vec<(i64, i64)> {
        server
            .stages(account, funnel)
            .iter()
            .map(|s| (s.id, s.position))
            .collect()
    };
    assert_eq!(
        order(&server),
        [(ids[0], 1), (half, 2), (ids[1], 3), (ids[2], 4)]
    );
    // Three states: left out keeps, null clears.
    let stage_path = format!("{stages_path}/{half}");
    let renamed = send(&server, "PATCH", &stage_path, Some(&json!({"name": "1.5"}))).await;
    assert_documented("update_funnel_stage", &renamed);
    assert_eq!(
        (&renamed.body["color"], &renamed.body["chatwoot_status"]),
        (&json!("#000000"), &json!("open"))
    );
    let cleared = send(
        &server,
        "PATCH",
        &stage_path,
        Some(&json!({"chatwoot_status": null, "position": 1})),
    )
    .await;
    assert_eq!(cleared.body["chatwoot_status"], Value::Null);
    assert_eq!(cleared.body["color"], "#000000");
    assert_eq!(cleared.body["name"], "1.5");
    assert_eq!(
        order(&server),
        [(half, 1), (ids[0], 2), (ids[1], 3), (ids[2], 4)]
    );

    // Reorder: exactly the funnel's stages, else 422.
    let reorder = format!("{stages_path}/reorder");
    let generated = server.funnels(account)[0].stages[0].id;
    for wrong in [
        json!([ids[2], ids[1], ids[0]]),
        json!([ids[2], ids[1], ids[0], half, generated]),
        json!([ids[2], ids[1], ids[0], generated]),
    ] {
        let refused = send(
            &server,
            "POST",
            &reorder,
            Some(&json!({"stage_ids": wrong})),
        )
        .await;
        assert_eq!(refused.status, 422, "{wrong}: {}", refused.text);
        assert_eq!(
            refused.body["errors"]["stage_ids"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    let twice = send(
        &server,
        "POST",
        &reorder,
        Some(&json!({"stage_ids": [half, half, ids[0], ids[1]]})),
    )
    .await;
    assert_eq!(twice.status, 422, "a stage twice: {}", twice.text);
    assert_eq!(
        order(&server),
        [(half, 1), (ids[0], 2), (ids[1], 3), (ids[2], 4)],
        "nothing moved"
    );
    let wanted = [ids[2], ids[0], half, ids[1]];
    let reordered = send(
        &server,
        "POST",
        &reorder,
        Some(&json!({"stage_ids": wanted})),
    )
    .await;
    assert_eq!(reordered.status, 200, "{}", reordered.text);
    assert_documented("reorder_funnel_stages", &reordered);
    let answered: Vec<(i64, i64)> = reordered
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_i64().unwrap(), s["position"].as_i64().unwrap()))
        .collect();
    let expected: Vec<(i64, i64)> = wanted.iter().copied().zip(1..).collect();
    assert_eq!(answered, expected);
    assert_eq!(order(&server), expected);

    // A stage holding a card is not deleted; an empty one is.
    let card = card_for_new_lead(&server, funnel, json!({"funnel_stage_id": ids[0]})).await;
    assert_eq!(card.status, 201);
    let held = send(
        &server,
        "DELETE",
        &format!("{stages_path}/{}", ids[0]),
        None,
    )
    .await;
    assert_eq!(held.status, 422);
    assert_eq!(
        held.body["errors"]["base"].as_array().unwrap().len(),
        1,
        "{}",
        held.text
    );
    assert!(
        server
            .stages(account, funnel)
            .iter()
            .any(|s| s.id == ids[0])
    );
    let deleted = send(
        &server,
        "DELETE",
        &format!("{stages_path}/{}", ids[2]),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_documented("delete_funnel_stage", &deleted);
    assert_eq!(
        order(&server),
        [(ids[0], 1), (half, 2), (ids[1], 3)],
        "renumbered"
    );
    let again = send(
        &server,
        "DELETE",
        &format!("{stages_path}/{}", ids[2]),
        None,
    )
    .await;
    assert_eq!(again.status, 404);
    // A stage of another funnel is not found through this one.
    let foreign = send(
        &server,
        "PATCH",
        &format!("{stages_path}/{generated}"),
        Some(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(foreign.status, 404);

    let ops: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        ops,
        [
            "create_funnel",
            "create_funnel_stage",
            "create_funnel_stage",
            "create_funnel_stage",
            "create_funnel_stage",
            "update_funnel_stage",
            "update_funnel_stage",
            "reorder_funnel_stages",
            "create_funnel_card",
            "delete_funnel_stage",
        ],
        "refused writes are not journaled"
    );
    let reorder_entry = &server.applied_writes()[7];
    assert_eq!(
        (
            reorder_entry.funnel_ids.clone(),
            reorder_entry.stage_ids.clone()
        ),
        (vec![funnel], wanted.to_vec())
    );
}

#[tokio::test]
async fn deleting_a_funnel_deletes_its_stages_and_cards_but_not_their_leads() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let funnel = server.funnels(account)[0].clone();
    let cards = server.cards(account, funnel.id);
    assert!(!cards.is_empty());
    let funnel_path = path(account, &format!("funnels/{}", funnel.id));
    let deleted = send(&server, "DELETE", &funnel_path, None).await;
    assert_eq!(deleted.status, 204);
    assert_documented("delete_funnel", &deleted);
    assert!(server.funnel(account, funnel.id).is_none());
    assert!(server.cards(account, funnel.id).is_empty());
    for card in &cards {
        assert!(server.card(account, card.id).is_none());
        assert!(server.card_history(account, card.id).is_empty());
        assert!(server.lead(account, card.lead_id).is_some(), "leads stay");
    }
    for suffix in ["", "/stats", "/stages", "/cards"] {
        let gone = send(&server, "GET", &format!("{funnel_path}{suffix}"), None).await;
        assert_eq!(gone.status, 404, "{suffix}");
    }
    assert_eq!(
        send(&server, "DELETE", &funnel_path, None).await.status,
        404
    );
    let journal = server.applied_writes();
    assert_eq!(journal.len(), 1);
    let entry = &journal[0];
    assert_eq!(entry.operation, "delete_funnel");
    assert_eq!(entry.funnel_ids, [funnel.id]);
    let mut card_ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    card_ids.sort_unstable();
    assert_eq!(entry.card_ids, card_ids);
    assert_eq!(
        entry.stage_ids,
        funnel.stages.iter().map(|s| s.id).collect::<Vec<_>>()
    );
    // The other funnel is untouched.
    assert_eq!(server.funnels(account).len(), 1);
}

#[tokio::test]
async fn cards_record_their_history_with_stage_names_and_the_actor() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let user = server.user();
    let (funnel, stages) = funnel_with_stages(&server, "History", &["Lead", "Demo", "Won"]).await;
    let lead = server.leads(account)[0].clone();
    let made = card_for_new_lead(&server, funnel, json!({"lead_id": lead.id, "position": 1})).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert!(has_milliseconds(&made.body["created_at"]));
    assert_eq!(made.body["lead"], lead.to_json(), "the lead, as it is");
    let card = made.body["id"].as_i64().unwrap();
    let cards_path = path(account, &format!("funnels/{funnel}/cards/{card}"));
    let history = |server: &MockServer| -> Vec<(String, Option<String>, Option<String>)> {
        server
            .card_history(account, card)
            .into_iter()
            .map(|e| {
                assert_eq!(e.actor.as_ref(), Some(&user), "by the token's user");
                (e.event_type, e.from_stage, e.to_stage)
            })
            .collect()
    };
    let s = |name: &str| Some(name.to_owned());
    assert_eq!(history(&server), [("created".to_owned(), None, s("Lead"))]);

    // Moved: a stage_changed event naming both stages.
    let moved = send(
        &server,
        "POST",
        &format!("{cards_path}/move"),
        Some(&json!({"target_stage_id": stages[1]})),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_documented("move_funnel_card", &moved);
    assert_eq!(moved.body["funnel_stage_id"], stages[1]);
    // Moved where it is: nothing changes, no event.
    let same = send(
        &server,
        "POST",
        &format!("{cards_path}/move"),
        Some(&json!({"target_stage_id": stages[1]})),
    )
    .await;
    assert_eq!(same.body, moved.body, "nothing changed");
    // Updated: the lead's members change the lead, an `updated` event.
    let updated = send(
        &server,
        "PATCH",
        &cards_path,
        Some(&json!({"custom_name": "Renamed", "lead_value": "18000.25"})),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_documented("update_funnel_card", &updated);
    assert_eq!(updated.body["lead"]["custom_name"], "Renamed");
    let changed = server.lead(account, lead.id).unwrap();
    assert_eq!(changed.lead_value, Some(Decimal::new(1_800_025, 2)));
    assert_eq!(changed.lead_currency, lead.lead_currency, "left out: kept");
    // A new stage through an update moves it too.
    let restaged = send(
        &server,
        "PATCH",
        &cards_path,
        Some(&json!({"funnel_stage_id": stages[2]})),
    )
    .await;
    assert_eq!(restaged.body["funnel_stage_id"], stages[2]);
    assert_eq!(
        history(&server),
        [
            ("stage_changed".to_owned(), s("Demo"), s("Won")),
            ("updated".to_owned(), None, None),
            ("stage_changed".to_owned(), s("Lead"), s("Demo")),
            ("created".to_owned(), None, s("Lead")),
        ],
        "newest first"
    );
    let listed = send(&server, "GET", &format!("{cards_path}/history"), None).await;
    assert_documented("funnel_card_history", &listed);
    assert_eq!(listed.body[0]["from_stage"], "Demo");
    assert_eq!(listed.body[0]["actor"], user.to_json());
    assert_eq!(listed.body.as_array().unwrap().len(), 4);

    // Only within its funnel: a stage of another funnel is refused, and the
    // card is not found through another funnel.
    let other = server.funnels(account)[0].clone();
    let refused = send(
        &server,
        "POST",
        &format!("{cards_path}/move"),
        Some(&json!({"target_stage_id": other.stages[0].id})),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.body["attributes"], json!(["target_stage_id"]));
    let refused = send(
        &server,
        "PATCH",
        &cards_path,
        Some(&json!({"funnel_stage_id": other.stages[0].id})),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let elsewhere = send(
        &server,
        "POST",
        &path(account, &format!("funnels/{}/cards/{card}/move", other.id)),
        Some(&json!({"target_stage_id": other.stages[0].id})),
    )
    .await;
    assert_eq!(elsewhere.status, 404);
    assert_eq!(history(&server).len(), 4, "no event for what was refused");

    // The journal: the move where it was is there, with nothing changed.
    let moves: Vec<_> = server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == "move_funnel_card")
        .collect();
    assert_eq!(moves.len(), 2);
    assert_eq!(
        (moves[0].affected, moves[0].stage_ids.clone()),
        (1, vec![stages[0], stages[1]])
    );
    assert_eq!(
        (moves[1].affected, moves[1].card_ids.clone()),
        (0, vec![card])
    );

    // Deleted: 204, the lead stays.
    let deleted = send(&server, "DELETE", &cards_path, None).await;
    assert_eq!(deleted.status, 204);
    assert_documented("delete_funnel_card", &deleted);
    assert!(server.card(account, card).is_none());
    assert!(server.lead(account, lead.id).is_some());
    assert_eq!(send(&server, "DELETE", &cards_path, None).await.status, 404);
}

#[tokio::test]
async fn cards_are_made_for_a_lead_or_a_new_one_in_a_stage_of_their_funnel() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (funnel, stages) = funnel_with_stages(&server, "Cards", &["A", "B"]).await;
    let leads_before = server.leads(account).len();
    let made = card_for_new_lead(
        &server,
        funnel,
        json!({"custom_name": "New deal", "lead_value": 15000.50, "lead_currency": "USD",
               "assigned_agent_id": server.user().id, "funnel_stage_id": stages[1]}),
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.body["funnel_stage_id"], stages[1]);
    assert_eq!(made.body["position"], 1);
    let lead = server
        .lead(account, made.body["lead"]["id"].as_i64().unwrap())
        .unwrap();
    assert_eq!(server.leads(account).len(), leads_before + 1);
    assert_eq!(
        (
            lead.custom_name.as_deref(),
            lead.lead_value,
            lead.status.as_str()
        ),
        (Some("New deal"), Some(Decimal::new(1_500_050, 2)), "open")
    );
    assert_eq!(lead.assigned_agent, Some(server.user()));
    // A second card goes last; one at position 1 goes first.
    let second = card_for_new_lead(&server, funnel, json!({"funnel_stage_id": stages[1]})).await;
    assert_eq!(second.body["position"], 2);
    let first = card_for_new_lead(
        &server,
        funnel,
        json!({"funnel_stage_id": stages[1], "position": 1, "lead_id": lead.id}),
    )
    .await;
    assert_eq!(first.body["position"], 1);
    let positions: Vec<(i64, Option<i64>)> = server
        .cards(account, funnel)
        .iter()
        .map(|c| (c.id, c.position))
        .collect();
    let id = |a: &Answer| a.body["id"].as_i64().unwrap();
    assert_eq!(
        positions,
        [
            (id(&first), Some(1)),
            (id(&made), Some(2)),
            (id(&second), Some(3))
        ]
    );
    // A stage of another funnel, an unknown lead, an unknown funnel.
    let other = server.funnels(account)[0].stages[0].id;
    let refused = card_for_new_lead(&server, funnel, json!({"funnel_stage_id": other})).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["attributes"], json!(["funnel_stage_id"]));
    let unknown = card_for_new_lead(&server, funnel, json!({"lead_id": 999_999})).await;
    assert_eq!(unknown.status, 404);
    let nowhere = card_for_new_lead(&server, 999_999, json!({})).await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(
        server.leads(account).len(),
        leads_before + 2,
        "no lead for a refused card"
    );
    let journal: Vec<_> = server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == "create_funnel_card")
        .collect();
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[0].created_id, Some(id(&made)));
    assert_eq!(journal[0].card_ids, [id(&made)]);
    assert_eq!(journal[0].lead_ids, [lead.id]);
    assert_eq!(journal[0].name.as_deref(), Some("New deal"));

    // A conversion's card starts its history too.
    let lead = server.leads(account)[1].id;
    let converted = send(
        &server,
        "POST",
        &path(account, &format!("leads/{lead}/convert")),
        Some(&json!({"funnel_id": funnel})),
    )
    .await;
    assert_eq!(converted.status, 201);
    let card = id(&converted);
    let events = server.card_history(account, card);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].event_type.as_str(), events[0].to_stage.as_deref()),
        ("created", Some("A"))
    );
    let entry = server.applied_writes().pop().unwrap();
    assert_eq!(
        (entry.operation, entry.card_ids, entry.funnel_ids),
        ("convert_lead", vec![card], vec![funnel])
    );
}

#[tokio::test]
async fn analytics_count_the_cards_made_in_the_period() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let (funnel, stages) = funnel_with_stages(&server, "Analytics", &["Open", "Later"]).await;
    let agents = server.account(account).unwrap().agents;
    let (me, other) = (agents[0].id, agents[1].id);
    let mut made = Vec::new();
    for (value, agent, stage) in [
        ("100.10", me, stages[0]),
        ("200.05", me, stages[1]),
        ("50", other, stages[1]),
    ] {
        let card = card_for_new_lead(
            &server,
            funnel,
            json!({"lead_value": value, "assigned_agent_id": agent, "funnel_stage_id": stage}),
        )
        .await;
        assert_eq!(card.status, 201);
        made.push(card);
    }
    let lead = |i: usize| made[i].body["lead"]["id"].as_i64().unwrap();
    set_status(&server, lead(0), "won").await;
    set_status(&server, lead(1), "won").await;
    set_status(&server, lead(2), "lost").await;
    let day = common::instant(&made[0].body["created_at"]).date_naive();
    let last = common::instant(&made[2].body["created_at"]).date_naive();
    let analytics = |query: String| {
        let server = &server;
        async move {
            let answer = send(
                server,
                "GET",
                &path(account, &format!("funnels/{funnel}/analytics?{query}")),
                None,
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            assert_documented("funnel_analytics", &answer);
            answer.body
        }
    };
    let all = analytics(format!("since={day}&until={last}&group_by=stage")).await;
    assert_eq!(
        all["period"],
        json!({"since": day.to_string(), "until": last.to_string()})
    );
    assert_eq!(
        (&all["total_created"], &all["total_won"], &all["total_lost"]),
        (&json!(3), &json!(2), &json!(1))
    );
    assert_eq!(amount(&all["total_value_created"]), Decimal::new(35015, 2));
    assert_eq!(amount(&all["total_value_won"]), Decimal::new(30015, 2));
    assert_eq!(amount(&all["average_deal_size"]), Decimal::new(15008, 2));
    assert_eq!(all["conversion_rate"].as_f64().unwrap(), 2.0 / 3.0 * 100.0);
    assert_eq!(all.as_object().unwrap().len(), 10, "no time series: {all}");
    let by_agent: Vec<(i64, i64, i64, Decimal)> = all["by_agent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["agent"]["id"].as_i64().unwrap(),
                a["created"].as_i64().unwrap(),
                a["won"].as_i64().unwrap(),
                amount(&a["value_won"]),
            )
        })
        .collect();
    let mut expected = vec![
        (me, 2, 2, Decimal::new(30015, 2)),
        (other, 1, 0, Decimal::ZERO),
    ];
    expected.sort_unstable();
    assert_eq!(by_agent, expected);
    let by_stage: Vec<(i64, &str, i64, Decimal)> = all["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["stage_id"].as_i64().unwrap(),
                s["stage_name"].as_str().unwrap(),
                s["count"].as_i64().unwrap(),
                amount(&s["value"]),
            )
        })
        .collect();
    assert_eq!(
        by_stage,
        [
            (stages[0], "Open", 1, Decimal::new(10010, 2)),
            (stages[1], "Later", 2, Decimal::new(25005, 2)),
        ]
    );
    // Only an agent's leads.
    let theirs = analytics(format!("since={day}&until={last}&agent_id={other}")).await;
    assert_eq!(
        (
            &theirs["total_created"],
            &theirs["total_won"],
            &theirs["conversion_rate"]
        ),
        (&json!(1), &json!(0), &json!(0.0))
    );
    assert_eq!(amount(&theirs["average_deal_size"]), Decimal::ZERO);
    // A period before the cards were made counts none of them.
    let before = day - chrono::Duration::days(1);
    let none = analytics(format!("since=2020-01-01&until={before}")).await;
    assert_eq!(none["total_created"], 0);
    assert_eq!(amount(&none["total_value_created"]), Decimal::ZERO);
    assert_eq!(none["by_agent"], json!([]));
    // By default, the 30 days up to today.
    let default = analytics(String::new()).await;
    let until =
        chrono::NaiveDate::parse_from_str(default["period"]["until"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let since =
        chrono::NaiveDate::parse_from_str(default["period"]["since"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    assert_eq!(until - since, chrono::Duration::days(30));
    let bad = send(
        &server,
        "GET",
        &path(
            account,
            &format!("funnels/{funnel}/analytics?since=yesterday"),
        ),
        None,
    )
    .await;
    assert_eq!(bad.status, 422);
    let bad = send(
        &server,
        "GET",
        &path(
            account,
            &format!("funnels/{funnel}/analytics?group_by=year"),
        ),
        None,
    )
    .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn a_card_create_answered_with_a_fault_after_applying_is_made_and_journaled() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let funnel = server.funnels(account)[0].id;
    let before = server.cards(account, funnel).len();
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .after_applying()
            .times(1),
    );
    let answer = card_for_new_lead(&server, funnel, json!({"custom_name": "Lost answer"})).await;
    assert_eq!(answer.status, 502);
    assert_eq!(server.cards(account, funnel).len(), before + 1);
    let entry = server.applied_writes().pop().unwrap();
    assert_eq!(entry.operation, "create_funnel_card");
    let card = server.card(account, entry.created_id.unwrap()).unwrap();
    assert_eq!(card.created_at, entry.at);
    // Before applying: nothing made.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).times(1));
    let answer = card_for_new_lead(&server, funnel, json!({"custom_name": "Never"})).await;
    assert_eq!(answer.status, 503);
    assert_eq!(server.cards(account, funnel).len(), before + 1);
    assert_eq!(server.applied_writes().len(), 1);
}
