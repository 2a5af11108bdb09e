//! Pipelines, stages, cards, follow-up tasks and a conversation's CRM panel
//! through the SDK's public API, against the mock server over HTTP, with what
//! happened checked in the mock's own state and journal.

mod common;

use common::on_mock::{applied, lose_answers, mock_client, mock_server};
use std::time::Duration;

use futures::TryStreamExt;
use voxys_connect::types::{
    ChatwootStatus, NaiveDate, Snooze, TaskPriority, TaskStatus, TaskableType, Timestamp,
};
use voxys_connect::{Deleted, Error};
use voxys_connect_mock::{Fault, FaultRule};

#[tokio::test]
async fn a_funnel_its_stages_and_cards_move_as_the_board_does() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let pipelines = client.pipelines(account);
    let funnel = pipelines
        .create("Board")
        .color("#112233")
        .send()
        .await
        .unwrap();
    assert_eq!(server.funnel(account, funnel.id).unwrap().name, "Board");
    let listed: Vec<i64> = pipelines
        .list()
        .send()
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    let held: Vec<i64> = server.funnels(account).iter().map(|f| f.id).collect();
    assert!(listed.contains(&funnel.id), "{listed:?}");
    assert_eq!(listed.len(), held.len());
    let stages = pipelines.stages(funnel.id);
    let a = stages.create("A").send().await.unwrap();
    let b = stages
        .create("B")
        .chatwoot_status(ChatwootStatus::Pending)
        .send()
        .await
        .unwrap();
    let c = stages.create("C").send().await.unwrap();
    // Reorder: refused before sending unless exactly the funnel's stages.
    let refused = stages.reorder([c.id, a.id]).send().await.unwrap_err();
    let Error::InvalidParameter { expected, .. } = &refused else {
        panic!("{refused:?}");
    };
    assert!(
        expected.contains(&format!("missing [{}]", b.id)),
        "{expected}"
    );
    assert!(applied(&server, "reorder_funnel_stages").is_empty());
    let order = stages.reorder([c.id, a.id, b.id]).send().await.unwrap();
    assert_eq!(
        order.iter().map(|s| (s.id, s.position)).collect::<Vec<_>>(),
        [(c.id, 1), (a.id, 2), (b.id, 3)]
    );
    let held: Vec<(i64, i64)> = server
        .stages(account, funnel.id)
        .iter()
        .map(|s| (s.id, s.position))
        .collect();
    assert!(
        held.contains(&(c.id, 1)) && held.contains(&(b.id, 3)),
        "{held:?}"
    );

    // Cards: for a lead, and for a new lead; moved; their history.
    let lead = server.leads(account)[0].id;
    let cards = pipelines.cards(funnel.id);
    let first = cards.create().lead(lead).stage(a.id).send().await.unwrap();
    let second = cards
        .create()
        .name("New deal")
        .value("1200.50".parse().unwrap())
        .stage(a.id)
        .send()
        .await
        .unwrap();
    assert_eq!(first.lead.id, lead);
    let moved = cards.move_to(second.id, b.id).send().await.unwrap();
    assert_eq!(moved.funnel_stage_id, Some(b.id));
    assert_eq!(
        server.card(account, second.id).unwrap().funnel_stage_id,
        Some(b.id)
    );
    let history = cards.history(second.id).send().await.unwrap();
    let change = history
        .iter()
        .find(|e| e.event_type == "stage_changed")
        .expect("a stage_changed event");
    assert_eq!(change.from_stage.as_deref(), Some("A"));
    assert_eq!(change.to_stage.as_deref(), Some("B"));
    assert_eq!(change.actor.as_ref().map(|a| a.id), Some(server.user().id));
    let listed = cards.list().stage(b.id).send().await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [second.id]);

    // Counts and stats are computed.
    let stats = pipelines.stats(funnel.id).send().await.unwrap();
    assert_eq!(stats.total_cards, 2);
    let got = pipelines.get(funnel.id).send().await.unwrap();
    assert_eq!(got.stages_count, Some(3));

    // A stage with cards cannot go; an empty one can.
    let error = stages.delete(a.id).send().await.unwrap_err();
    assert!(matches!(error, Error::Validation { .. }), "{error:?}");
    assert_eq!(stages.delete(c.id).send().await.unwrap(), Deleted::Now);

    // Updates: left out, cleared, set.
    let updated = pipelines
        .update(funnel.id)
        .clear_color()
        .description("renamed board")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.color, None);
    let held = server.funnel(account, funnel.id).unwrap();
    assert_eq!(held.color, None);
    assert_eq!(held.name, "Board", "kept");
    let stage = stages
        .update(b.id)
        .clear_chatwoot_status()
        .send()
        .await
        .unwrap();
    assert_eq!(stage.chatwoot_status, None);
    let card = cards.update(second.id).clear_value().send().await.unwrap();
    assert_eq!(card.lead.lead_value, None);

    // Deleting the funnel takes its stages and cards.
    assert_eq!(cards.delete(first.id).send().await.unwrap(), Deleted::Now);
    assert_eq!(
        pipelines.delete(funnel.id).send().await.unwrap(),
        Deleted::Now
    );
    assert!(server.funnel(account, funnel.id).is_none());
    assert!(server.card(account, second.id).is_none());
}

#[tokio::test]
async fn analytics_take_typed_dates_and_count_the_cards_made() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let pipelines = client.pipelines(account);
    let funnel = pipelines.create("Counted").send().await.unwrap();
    let stage = pipelines
        .stages(funnel.id)
        .create("Only")
        .send()
        .await
        .unwrap();
    for value in ["100", "250.25"] {
        pipelines
            .cards(funnel.id)
            .create()
            .name(format!("deal {value}"))
            .value(value.parse().unwrap())
            .stage(stage.id)
            .send()
            .await
            .unwrap();
    }
    let today: NaiveDate = server.applied_writes().last().unwrap().at.date_naive();
    let analytics = pipelines
        .analytics(funnel.id)
        .since(today)
        .until(today)
        .send()
        .await
        .unwrap();
    assert_eq!(analytics.total_created, 2);
    assert_eq!(analytics.total_value_created.to_string(), "350.25");
    assert_eq!(analytics.period.since, today);
    assert_eq!(analytics.by_stage.len(), 1);
    // A period that ends before it starts is refused before sending.
    let error = pipelines
        .analytics(funnel.id)
        .since(today)
        .until(today.pred_opt().unwrap())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidParameter { name: "since", .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_card_create_whose_answer_is_lost_is_made_once() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let funnel = server.funnels(account)[0].id;
    let lead = server.leads(account)[5].id;
    lose_answers(&server, "POST", Fault::ServerError { status: 504 }, 1);
    let card = client
        .pipelines(account)
        .cards(funnel)
        .create()
        .lead(lead)
        .send()
        .await
        .unwrap();
    let made = applied(&server, "create_funnel_card");
    assert_eq!(made.len(), 1, "made once");
    assert_eq!(made[0].created_id, Some(card.id));
}

#[tokio::test]
async fn tasks_are_listed_created_snoozed_once_and_completed() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let tasks = client.tasks(account);
    let lead = server.leads(account)[2].id;
    let due: Timestamp = "2026-12-20T09:00:00Z".parse().unwrap();
    let task = tasks
        .create("Call back")
        .about(TaskableType::Lead, lead)
        .priority(TaskPriority::High)
        .due(due)
        .send()
        .await
        .unwrap();
    assert_eq!(task.status, TaskStatus::Pending);
    let held = server.task(account, task.id).unwrap();
    assert_eq!(held.priority, "high");

    // Listed by what it is about, page after page.
    let about: Vec<i64> = tasks
        .list()
        .about(TaskableType::Lead, lead)
        .stream()
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .unwrap();
    assert!(about.contains(&task.id), "{about:?}");
    let all: Vec<_> = tasks
        .list()
        .per_page(5)
        .concurrency(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), server.tasks(account).len());

    // Snoozed by a day, its answer lost: pushed once, not twice.
    lose_answers(&server, "PATCH", Fault::DropConnection, 1);
    let snoozed = tasks.snooze(task.id, Snooze::Days(1)).send().await.unwrap();
    assert_eq!(snoozed.status, TaskStatus::Snoozed);
    let snoozes = applied(&server, "snooze_task");
    assert_eq!(snoozes.len(), 1, "pushed once");
    assert_eq!(
        snoozed.due_at.map(|t| t.as_datetime()),
        snoozes[0].due_at_after
    );

    // Due in the calendar's days.
    let day = snoozed.due_at.unwrap().date_naive();
    let calendar = tasks.calendar(day, day).send().await.unwrap();
    assert!(calendar.iter().any(|t| t.id == task.id));

    let done = tasks.complete(task.id).send().await.unwrap();
    assert_eq!(done.status, TaskStatus::Completed);
    assert!(
        server
            .task(account, task.id)
            .unwrap()
            .completed_at
            .is_some()
    );
    let cleared = tasks.update(task.id).clear_due().send().await.unwrap();
    assert_eq!(cleared.due_at, None);
    assert_eq!(tasks.delete(task.id).send().await.unwrap(), Deleted::Now);
    assert!(server.task(account, task.id).is_none());
}

#[tokio::test]
async fn a_relative_snooze_that_cannot_be_settled_is_reported_not_sent_again() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let task = server.tasks(account)[0].id;
    // The snooze is lost before it reaches the application, and its due
    // time never moves: the client cannot tell, and must not push it twice.
    server.add_fault(
        FaultRule::new(Fault::DropConnection)
            .on_method("PATCH")
            .times(1),
    );
    let error = client
        .tasks(account)
        .snooze(task, Snooze::Hours(12))
        .settle_after(Duration::from_millis(10))
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { action, look, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(action, &format!("snoozing task {task} by 12h"));
    assert!(look.contains("due_at"), "{look}");
    assert!(
        applied(&server, "snooze_task").is_empty(),
        "never sent again"
    );
}

#[tokio::test]
async fn a_conversation_is_linked_and_converted_once() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let conversation = server.conversation_ids(account)[0];
    let funnel = server.funnels(account)[0].id;
    let lead = server.leads(account)[4].id;
    let crm = client.conversations(account).crm(conversation);
    let panel = crm.link_lead(lead).send().await.unwrap();
    assert_eq!(panel.linked_lead.map(|l| l.id), Some(lead));
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    let card = crm.convert(funnel).send().await.unwrap();
    assert_eq!(card.lead.id, lead);
    assert_eq!(
        applied(&server, "convert_conversation").len(),
        1,
        "made once"
    );
    let held = server.conversation(account, conversation).unwrap();
    assert_eq!(held.linked_card_id, Some(card.id));
    assert_eq!(crm.unlink_card().send().await.unwrap(), Deleted::Now);
    assert!(server.card(account, card.id).is_some(), "the card stays");
    let again = crm.unlink_card().send().await.unwrap_err();
    assert!(matches!(again, Error::NotFound { .. }), "{again:?}");
    let panel = crm.link_card(card.id).send().await.unwrap();
    assert_eq!(panel.linked_funnel_card.map(|c| c.id), Some(card.id));
    let error = crm.link_card(0).send().await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidParameter { name: "card", .. }),
        "{error:?}"
    );
}
