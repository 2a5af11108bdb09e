//! The writes through the SDK: each reaches the wire as the document says,
//! changes the mock's state (checked through the mock, not the SDK), refuses
//! bad input before any request, maps the API's refusals, and stays exactly
//! once under faults.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{ACCOUNT, TOKEN, client_for, quick_retries};
use serde_json::{Value, json};
use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::{Fault, FaultRule, MockServer};
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

/// A server that answers every request with `response`.
async fn server_answering(response: ResponseTemplate) -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn client_of(server: &MockServer) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(quick_retries(4))
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

/// The JSON body of the request a wiremock server received.
async fn sent_body(server: &wiremock::MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    serde_json::from_slice(&requests.last().unwrap().body).unwrap()
}

#[tokio::test]
async fn each_meaning_of_notes_reaches_the_wire_as_such() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(common::lead(42))).await;
    let leads = client_for(&server).leads(ACCOUNT);
    leads.set_status(42, LeadStatus::Won).send().await.unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"status": "won"}),
        "left out: unchanged"
    );
    leads
        .set_status(42, LeadStatus::Lost)
        .clear_notes()
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"status": "lost", "notes": null}),
        "null: cleared"
    );
    leads
        .set_status(42, LeadStatus::Open)
        .notes("paid")
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"status": "open", "notes": "paid"}),
        "a string: replaced"
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(request.url.path(), "/api/v1/accounts/17/leads/42/status");
    assert_eq!(request.headers["api_access_token"], TOKEN);
    assert_eq!(request.headers["content-type"], "application/json");
}

#[tokio::test]
async fn a_status_change_changes_the_lead_the_mock_holds() {
    let server = MockServer::start().await;
    let client = client_of(&server);
    let account = server.account(server.account_id()).unwrap();
    let target = account
        .leads
        .iter()
        .find(|l| l.notes.is_some() && l.status != "won")
        .unwrap();
    let leads = client.leads(server.account_id());
    let lead = leads
        .set_status(target.id, LeadStatus::Won)
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status, LeadStatus::Won);
    let held = server
        .account(server.account_id())
        .unwrap()
        .lead(target.id)
        .cloned()
        .unwrap();
    assert_eq!(
        (held.status.as_str(), &held.notes),
        ("won", &target.notes),
        "notes kept"
    );
    leads
        .set_status(target.id, LeadStatus::Lost)
        .clear_notes()
        .send()
        .await
        .unwrap();
    let held = server
        .account(server.account_id())
        .unwrap()
        .lead(target.id)
        .cloned()
        .unwrap();
    assert_eq!((held.status.as_str(), held.notes), ("lost", None));
    let lead = leads
        .set_status(target.id, LeadStatus::Snoozed)
        .notes("later")
        .send()
        .await
        .unwrap();
    assert_eq!(lead.notes.as_deref(), Some("later"));
    common::assert_same_lead(
        &lead,
        &server
            .account(server.account_id())
            .unwrap()
            .lead(target.id)
            .unwrap()
            .to_json(),
    );
}

#[tokio::test]
async fn refusals_map_to_typed_errors_in_both_422_shapes() {
    let server = MockServer::start().await;
    let client = client_of(&server);
    let leads = client.leads(server.account_id());
    let missing = leads
        .set_status(999_999, LeadStatus::Won)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    let funnel = server.account(server.account_id()).unwrap().funnels[0].clone();
    let no_funnel = leads.convert(1, 999_999).send().await.unwrap_err();
    assert!(matches!(no_funnel, Error::NotFound { .. }), "{no_funnel:?}");
    let wrong_stage = leads
        .convert(1, funnel.id)
        .stage(999)
        .send()
        .await
        .unwrap_err();
    match &wrong_stage {
        Error::Validation { attributes, .. } => assert_eq!(attributes, &["funnel_stage_id"]),
        other => panic!("{other:?}"),
    }
    let stranger = leads.bulk_assign([1, 2], 424_242).send().await.unwrap();
    match stranger.failed().next() {
        Some((ids, Error::Validation { attributes, .. })) => {
            assert_eq!(
                (ids, attributes.as_slice()),
                (&[1, 2][..], &["assigned_agent_id".to_owned()][..])
            );
        }
        other => panic!("{other:?}"),
    }
    // The other shape: {"error": ...}.
    let server = server_answering(
        ResponseTemplate::new(422)
            .set_body_json(json!({"error": "param is missing or the value is empty: status"})),
    )
    .await;
    let error = client_for(&server)
        .leads(ACCOUNT)
        .set_status(1, LeadStatus::Won)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Validation { message, attributes, .. } if message.contains("param is missing") && attributes.is_empty()),
        "{error:?}"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let server = server_answering(ResponseTemplate::new(500)).await;
    let leads = client_for(&server).leads(ACCOUNT);
    let refusals = [
        leads.bulk_delete(Vec::<i64>::new()).send().await.err(),
        leads.bulk_delete([3, 0, 4]).send().await.err(),
        leads.bulk_assign([1], 0).send().await.err(),
        leads.bulk_delete([1]).batch_size(0).send().await.err(),
        leads.bulk_delete([1]).batch_size(1_001).send().await.err(),
        leads.bulk_delete([1]).concurrency(0).send().await.err(),
        leads.set_status(0, LeadStatus::Won).send().await.err(),
        leads.convert(0, 3).send().await.err(),
        leads.convert(1, -3).send().await.err(),
        client_for(&server)
            .pipelines(ACCOUNT)
            .cards(0)
            .list()
            .send()
            .await
            .err(),
    ];
    for refusal in refusals {
        assert!(
            matches!(refusal, Some(Error::InvalidParameter { .. })),
            "{refusal:?}"
        );
    }
    assert_eq!(common::request_count(&server).await, 0);
}

#[tokio::test]
async fn bulk_batches_dedupe_and_count_what_the_mock_changed() {
    let server = MockServer::builder().leads(400).start().await.unwrap();
    let client = client_of(&server);
    let account = server.account(server.account_id()).unwrap();
    let agent = account.agents[4].id;
    let mut ids: Vec<i64> = account.leads.iter().take(250).map(|l| l.id).collect();
    ids.extend(ids[..20].to_vec()); // repeats
    ids.extend([900_001, 900_002]); // not in the account
    let before = server.request_count();
    let outcome = client
        .leads(server.account_id())
        .bulk_assign(ids.clone(), agent)
        .batch_size(100)
        .concurrency(3)
        .send()
        .await
        .unwrap();
    assert_eq!(server.request_count() - before, 3, "252 ids, 100 a batch");
    assert_eq!((outcome.requested, outcome.duplicates), (252, 20));
    assert!(outcome.is_complete());
    assert_eq!(
        outcome.affected(),
        250,
        "the two unknown ids are not counted, and not an error"
    );
    let held = server.account(server.account_id()).unwrap();
    let assigned = held
        .leads
        .iter()
        .filter(|l| l.assigned_agent.as_ref().is_some_and(|a| a.id == agent))
        .count();
    let before_assigned = account
        .leads
        .iter()
        .filter(|l| l.assigned_agent.as_ref().is_some_and(|a| a.id == agent))
        .count();
    let already = account.leads[250..]
        .iter()
        .filter(|l| l.assigned_agent.as_ref().is_some_and(|a| a.id == agent))
        .count();
    assert_eq!(assigned, 250 + already, "{before_assigned} before");

    let deleted = client
        .leads(server.account_id())
        .bulk_delete(ids[..120].to_vec())
        .send()
        .await
        .unwrap();
    let left = server.account(server.account_id()).unwrap().leads.len();
    assert_eq!(
        deleted.affected(),
        (400 - left) as u64,
        "the count is the mock's own"
    );
    assert_eq!(left, 280);
    let again = client
        .leads(server.account_id())
        .bulk_delete(ids[..120].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        (again.affected(), again.is_complete()),
        (0, true),
        "nothing more to delete"
    );
}

#[tokio::test]
async fn a_plan_sends_nothing_and_is_what_sending_sends() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let client = client_of(&server);
    let account = server.account(server.account_id()).unwrap();
    let agent = account.agents[1].id;
    let mut ids: Vec<i64> = account.leads.iter().take(230).map(|l| l.id).collect();
    ids.extend(ids[..5].to_vec());
    let bulk = client
        .leads(server.account_id())
        .bulk_assign(ids.clone(), agent)
        .batch_size(100);
    let plan = bulk.plan().unwrap();
    assert_eq!(server.request_count(), 0, "planning sends nothing");
    let unique = &ids[..230];
    let expected: Vec<(Vec<i64>, Value)> = unique
        .chunks(100)
        .map(|chunk| {
            (
                chunk.to_vec(),
                json!({"action_type": "assign", "lead_ids": chunk, "params": {"assigned_agent_id": agent}}),
            )
        })
        .collect();
    assert_eq!(plan, expected);
    bulk.send().await.unwrap();
    // Batches run two at a time, so they may apply in another order.
    let sent: BTreeSet<Vec<i64>> = server
        .applied_writes()
        .into_iter()
        .map(|w| w.lead_ids)
        .collect();
    let planned: BTreeSet<Vec<i64>> = plan.into_iter().map(|(ids, _)| ids).collect();
    assert_eq!(sent, planned, "the batches sent are the batches planned");
    // An invalid request has no plan either.
    assert!(matches!(
        client.leads(server.account_id()).bulk_delete([0]).plan(),
        Err(Error::InvalidParameter { name: "ids", .. })
    ));
}

#[tokio::test]
async fn a_failed_batch_is_reported_with_its_ids_and_running_them_again_completes_the_job() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(quick_retries(2))
        .build()
        .unwrap();
    let ids: Vec<i64> = server
        .account(server.account_id())
        .unwrap()
        .leads
        .iter()
        .map(|l| l.id)
        .collect();
    // Four 503s in a row: with two attempts a batch, two batches fail (one
    // batch at a time, so the failures land on the first two).
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(4),
    );
    let first = client
        .leads(server.account_id())
        .bulk_set_status(ids.clone(), LeadStatus::Snoozed)
        .batch_size(50)
        .concurrency(1)
        .send()
        .await
        .unwrap();
    assert!(!first.is_complete());
    let failed: Vec<i64> = first.not_done();
    assert_eq!(
        failed,
        ids[..100].to_vec(),
        "the first two batches, in order"
    );
    assert!(first.failed().all(|(_, e)| matches!(
        e,
        Error::Server {
            status: 503,
            attempts: 2,
            ..
        }
    )));
    assert_eq!(first.done(), ids[100..].to_vec());
    let snoozed = |server: &MockServer| -> BTreeSet<i64> {
        server
            .account(server.account_id())
            .unwrap()
            .leads
            .iter()
            .filter(|l| l.status == "snoozed")
            .map(|l| l.id)
            .collect()
    };
    assert!(first.done().iter().all(|id| snoozed(&server).contains(id)));
    let before = server.request_count();
    let second = client
        .leads(server.account_id())
        .bulk_set_status(failed, LeadStatus::Snoozed)
        .batch_size(50)
        .send()
        .await
        .unwrap();
    assert!(second.is_complete());
    assert_eq!(
        server.request_count() - before,
        2,
        "only the ids not done were sent"
    );
    assert_eq!(snoozed(&server).len(), 300);
}

#[tokio::test]
async fn a_stopped_run_sends_no_new_batch_and_says_exactly_what_was_done() {
    let server = MockServer::builder()
        .leads(500)
        .latency(Duration::from_millis(30))
        .start()
        .await
        .unwrap();
    let client = client_of(&server);
    let ids: Vec<i64> = server
        .account(server.account_id())
        .unwrap()
        .leads
        .iter()
        .map(|l| l.id)
        .collect();
    let mut run = client
        .leads(server.account_id())
        .bulk_delete(ids.clone())
        .batch_size(25)
        .concurrency(2)
        .start()
        .unwrap();
    assert_eq!(run.batch_count(), 20);
    let first = run.next().await.unwrap();
    assert!(first.result.is_ok());
    run.stop_handle().stop();
    let outcome = run.finish().await;
    assert!(!outcome.is_complete());
    let done: BTreeSet<i64> = outcome.done().into_iter().collect();
    let not_done: BTreeSet<i64> = outcome.not_done().into_iter().collect();
    assert!(
        done.len() >= 25 && done.len() <= 75,
        "the first, and those in flight: {}",
        done.len()
    );
    assert!(done.is_disjoint(&not_done));
    assert_eq!(
        done.len() + not_done.len(),
        500,
        "every id is one or the other"
    );
    let left: BTreeSet<i64> = server
        .account(server.account_id())
        .unwrap()
        .leads
        .iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(left, not_done, "the mock deleted exactly the ids said done");
}

#[tokio::test]
async fn converting_makes_one_card_and_the_cards_list_has_it() {
    let server = MockServer::start().await;
    let client = client_of(&server);
    let account = server.account(server.account_id()).unwrap();
    let funnel = account.funnels[0].clone();
    let lead = account.leads[9].id;
    let card = client
        .leads(server.account_id())
        .convert(lead, funnel.id)
        .stage(funnel.stages[1].id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (card.funnel_id, card.funnel_stage_id, card.lead.id),
        (funnel.id, Some(funnel.stages[1].id), lead)
    );
    let held = server.account(server.account_id()).unwrap();
    let new: Vec<_> = held
        .cards_of(funnel.id, lead)
        .into_iter()
        .filter(|c| !account.cards.iter().any(|o| o.id == c.id))
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].id, card.id);
    let listed = client
        .pipelines(server.account_id())
        .cards(funnel.id)
        .list()
        .stage(funnel.stages[1].id)
        .send()
        .await
        .unwrap();
    assert!(listed.iter().any(|c| c.id == card.id));
    assert!(
        listed
            .iter()
            .all(|c| c.funnel_stage_id == Some(funnel.stages[1].id))
    );
    let raw = held.card_json(new[0]).unwrap();
    assert_eq!(raw["id"], card.id);
    common::assert_same_lead(&card.lead, &raw["lead"]);
}

/// New cards of `lead` in `funnel` since `before`, as the mock holds them.
fn new_cards(
    server: &MockServer,
    before: &voxys_connect_mock::Account,
    funnel: i64,
    lead: i64,
) -> Vec<i64> {
    server
        .account(server.account_id())
        .unwrap()
        .cards_of(funnel, lead)
        .iter()
        .filter(|c| !before.cards.iter().any(|o| o.id == c.id))
        .map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn a_lost_answer_is_settled_by_the_cards_and_never_converts_twice() {
    // Each fault on the conversion's POST only; the reads that settle it go
    // through.
    let applied = |fault: Fault| {
        FaultRule::new(fault)
            .on_method("POST")
            .after_applying()
            .times(1)
    };
    let before_applying = |fault: Fault| FaultRule::new(fault).on_method("POST").times(1);
    enum Then {
        /// The conversion happened once, and its card is returned.
        Converted,
        /// It did not happen, and the error says so plainly.
        NotConverted,
        /// It could not be told: the error says it may or may not have.
        Uncertain,
    }
    let cases = [
        (
            "a proxy's 502 after applying",
            applied(Fault::ServerError { status: 502 }),
            Then::Converted,
        ),
        (
            "a dropped connection after applying",
            applied(Fault::DropConnection),
            Then::Converted,
        ),
        (
            "a timeout after applying",
            applied(Fault::Delay(Duration::from_millis(900))),
            Then::Converted,
        ),
        (
            "a body cut short",
            before_applying(Fault::CutBody),
            Then::Converted,
        ),
        (
            "a 429",
            before_applying(Fault::RateLimited { retry_after: None }),
            Then::Converted,
        ),
        (
            "the server answering late, after the client gave up",
            before_applying(Fault::Delay(Duration::from_millis(700))),
            Then::Converted,
        ),
        (
            "the application's own 500",
            before_applying(Fault::ServerError { status: 500 }),
            Then::NotConverted,
        ),
        (
            "a proxy's 502 before applying",
            before_applying(Fault::ServerError { status: 502 }),
            Then::Uncertain,
        ),
        (
            "a dropped connection before applying",
            before_applying(Fault::DropConnection),
            Then::Uncertain,
        ),
    ];
    for (what, rule, then) in cases {
        let server = MockServer::start().await;
        let client = client_of(&server);
        let before = server.account(server.account_id()).unwrap();
        let funnel = before.funnels[0].id;
        let lead = before.leads[5].id;
        server.add_fault(rule);
        let result = client
            .leads(server.account_id())
            .convert(lead, funnel)
            .settle_after(Duration::from_millis(400))
            .send()
            .await;
        let made = new_cards(&server, &before, funnel, lead);
        match then {
            Then::Converted => {
                let card = result.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(
                    made,
                    [card.id],
                    "{what}: exactly one card, the one returned"
                );
            }
            Then::NotConverted => {
                let error = result.unwrap_err();
                assert!(
                    matches!(error, Error::Server { status: 500, .. }),
                    "{what}: {error:?}"
                );
                assert!(made.is_empty(), "{what}");
            }
            Then::Uncertain => {
                let error = result.unwrap_err();
                match &error {
                    Error::OutcomeUnknown {
                        operation, action, ..
                    } => {
                        assert_eq!(*operation, "convert_lead", "{what}");
                        assert_eq!(
                            action,
                            &format!("converting lead {lead} into funnel {funnel}"),
                            "{what}"
                        );
                    }
                    other => panic!("{what}: {other:?}"),
                }
                let shown = error.to_string();
                assert!(
                    shown.contains("may or may not have happened"),
                    "{what}: {shown}"
                );
                assert!(
                    shown.contains(&format!("voxys pipelines cards list {funnel}")),
                    "{what}: {shown}"
                );
                assert!(made.is_empty(), "{what}: never converted twice");
            }
        }
    }
}

#[tokio::test]
async fn writes_that_repeat_to_the_same_state_are_retried_through_faults() {
    let server = MockServer::start().await;
    let client = client_of(&server);
    let lead = server.account(server.account_id()).unwrap().leads[0].id;
    for rule in [
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("PATCH")
            .after_applying()
            .times(2),
        FaultRule::new(Fault::DropConnection)
            .on_method("PATCH")
            .times(2),
        FaultRule::new(Fault::CutBody).on_method("PATCH").times(1),
    ] {
        server.add_fault(rule);
        let updated = client
            .leads(server.account_id())
            .set_status(lead, LeadStatus::Lost)
            .notes("retried")
            .send()
            .await
            .unwrap();
        assert_eq!(updated.notes.as_deref(), Some("retried"));
    }
    let held = server
        .account(server.account_id())
        .unwrap()
        .lead(lead)
        .cloned()
        .unwrap();
    assert_eq!(
        (held.status.as_str(), held.notes.as_deref()),
        ("lost", Some("retried"))
    );

    // A deletion retried after an attempt that applied counts what the last
    // attempt found, and says so.
    let ids: Vec<i64> = server.account(server.account_id()).unwrap().leads[10..20]
        .iter()
        .map(|l| l.id)
        .collect();
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let outcome = client
        .leads(server.account_id())
        .bulk_delete(ids.clone())
        .send()
        .await
        .unwrap();
    assert!(outcome.is_complete());
    assert_eq!(outcome.affected(), 0, "the first attempt deleted them");
    assert!(outcome.counts_may_be_low());
    assert!(outcome.to_string().contains("may be low"), "{outcome}");
    let left = server.account(server.account_id()).unwrap();
    assert!(ids.iter().all(|id| left.lead(*id).is_none()));
}

#[tokio::test]
async fn the_writes_go_to_the_documented_paths_with_the_documented_bodies() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/api/v1/accounts/17/leads/bulk"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "affected_count": 2})),
        )
        .mount(&server)
        .await;
    let leads = client_for(&server).leads(ACCOUNT);
    leads.bulk_assign([5, 6], 9).send().await.unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"lead_ids": [5, 6], "action_type": "assign", "params": {"assigned_agent_id": 9}})
    );
    leads
        .bulk_set_status([5], LeadStatus::Won)
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"lead_ids": [5], "action_type": "status_change", "params": {"status": "won"}})
    );
    leads.bulk_delete([7]).send().await.unwrap();
    assert_eq!(
        sent_body(&server).await,
        json!({"lead_ids": [7], "action_type": "delete"})
    );

    // success: false is a failed batch, not a success.
    let refused = server_answering(
        ResponseTemplate::new(200).set_body_json(json!({"success": false, "affected_count": 0})),
    )
    .await;
    let outcome = client_with_no_retries(&refused)
        .leads(ACCOUNT)
        .bulk_delete([1])
        .send()
        .await
        .unwrap();
    assert!(matches!(
        outcome.failed().next(),
        Some((_, Error::NotApplied { .. }))
    ));
}

fn client_with_no_retries(server: &wiremock::MockServer) -> Client {
    common::client_with(&server.uri(), RetryPolicy::disabled())
}
