//! The fault suite for writes: a thousand writes of each kind against the
//! mock, under a mix of every fault, before and after the write is applied.
//! What the SDK told the caller is checked against the mock's own state:
//! no conversion made twice, every status change applied, bulk totals equal
//! to what the mock changed; no panic, no hang.
//!
//! The figures are printed (`cargo test -p voxys-connect --test write_faults
//! -- --nocapture`) and recorded in RELIABILITY.md.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::StreamExt;
use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

/// Every run here must end well within this; a hang fails the test.
const BOUND: Duration = Duration::from_secs(300);

const WRITES: usize = 1_000;

/// Held by each test for its whole run: the tests run one at a time, so
/// that each meets the client's short timeout on a machine as busy as
/// itself alone makes it (seven suites of 1,000 writes at once on two cores
/// answered past the timeout often enough to turn a tenth of the card
/// creates more into `OutcomeUnknown`).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The client's timeout: the delays below outlast it.
const TIMEOUT: Duration = Duration::from_millis(250);

/// How late the late answers of [`fault_mix`] come: past [`TIMEOUT`], and
/// less than the 300 ms a create waits before it looks again.
const LATE: Duration = Duration::from_millis(400);

/// The card creates' timeout and lateness. The API does not page a funnel's
/// cards, so a card create that looks for its card reads the whole funnel,
/// which grows to 1,000 cards here: in 250 ms, that read timed out often
/// enough (more so on a busy machine) to leave a fifth of the creates
/// unknown. The same margins as [`TIMEOUT`] and [`LATE`], a second later.
const CARD_TIMEOUT: Duration = Duration::from_millis(1250);
/// See [`CARD_TIMEOUT`].
const CARD_LATE: Duration = Duration::from_millis(1400);

/// A mix of every fault: before applying (the server never changes
/// anything), and after (the change is made, then the answer is lost). The
/// application's own 500, which is not retried (it is a fault of the server,
/// not a passing one), only where `with_500`.
fn faulty_server(leads: u64, seed: u64, with_500: bool) -> voxys_connect_mock::MockServerBuilder {
    faulty_server_late_by(leads, seed, with_500, LATE)
}

/// [`faulty_server`], whose late answers come `late` late.
fn faulty_server_late_by(
    leads: u64,
    seed: u64,
    with_500: bool,
    late: Duration,
) -> voxys_connect_mock::MockServerBuilder {
    fault_mix(with_500, late).into_iter().fold(
        MockServer::builder().leads(leads).accounts(1).seed(seed),
        |builder, rule| builder.fault(rule),
    )
}

/// The rules of [`faulty_server`], for a server whose data is made first.
fn fault_mix(with_500: bool, late: Duration) -> Vec<FaultRule> {
    let before = |fault: Fault, share: f64| FaultRule::new(fault).share(share);
    let after = |fault: Fault, share: f64| FaultRule::new(fault).after_applying().share(share);
    vec![
        before(Fault::RateLimited { retry_after: None }, 0.04),
        before(
            Fault::RateLimited {
                retry_after: Some(1),
            },
            0.02,
        ),
        before(
            Fault::ServerError { status: 500 },
            if with_500 { 0.02 } else { 0.0 },
        ),
        before(Fault::ServerError { status: 502 }, 0.03),
        before(Fault::ServerError { status: 503 }, 0.03),
        before(Fault::DropConnection, 0.03),
        before(Fault::Delay(late), 0.02),
        after(Fault::ServerError { status: 502 }, 0.03),
        after(Fault::ServerError { status: 504 }, 0.02),
        after(Fault::DropConnection, 0.03),
        after(Fault::Delay(late), 0.02),
        before(Fault::CutBody, 0.03),
        // The application's own 500 after saving (Rails failing as it
        // renders the answer).
        after(
            Fault::ServerError { status: 500 },
            if with_500 { 0.01 } else { 0.0 },
        ),
    ]
}

fn client_for(server: &MockServer) -> Client {
    client_with_timeout(server, TIMEOUT)
}

/// [`client_for`], with `timeout`.
fn client_with_timeout(server: &MockServer, timeout: Duration) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .timeout(timeout)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(12)
                .initial_backoff(Duration::from_millis(2))
                .max_backoff(Duration::from_millis(20))
                .max_retry_after(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_conversions_make_no_duplicate_and_report_every_uncertain_one() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = faulty_server(1_100, 21, true).start().await.unwrap();
    let client = client_for(&server);
    let account = server.account(server.account_id()).unwrap();
    let jobs: Vec<(i64, i64, i64)> = account
        .leads
        .iter()
        .take(WRITES)
        .enumerate()
        .map(|(i, lead)| {
            let funnel = &account.funnels[i % account.funnels.len()];
            let stage = &funnel.stages[i % funnel.stages.len()];
            (lead.id, funnel.id, stage.id)
        })
        .collect();
    let started = Instant::now();
    let results: Vec<_> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(jobs.clone())
            .map(|(lead, funnel, stage)| {
                let client = client.clone();
                let account = server.account_id();
                async move {
                    let result = client
                        .leads(account)
                        .convert(lead, funnel)
                        .stage(stage)
                        .settle_after(Duration::from_millis(300))
                        .send()
                        .await;
                    (lead, funnel, result)
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the conversions end in bounded time");
    let took = started.elapsed();

    let after = server.account(server.account_id()).unwrap();
    let new_cards = |funnel: i64, lead: i64| -> Vec<i64> {
        after
            .cards_of(funnel, lead)
            .iter()
            .filter(|c| !account.cards.iter().any(|old| old.id == c.id))
            .map(|c| c.id)
            .collect()
    };
    let (mut converted, mut uncertain, mut uncertain_made, mut refused) = (0, 0, 0, 0);
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    for (lead, funnel, result) in &results {
        let made = new_cards(*funnel, *lead);
        assert!(
            made.len() <= 1,
            "lead {lead}: {} cards, a duplicate",
            made.len()
        );
        match result {
            Ok(card) => {
                assert_eq!(
                    made,
                    [card.id],
                    "lead {lead}: told converted, exactly its card"
                );
                converted += 1;
            }
            Err(Error::OutcomeUnknown { action, .. }) => {
                assert_eq!(
                    *action,
                    format!("converting lead {lead} into funnel {funnel}")
                );
                uncertain += 1;
                uncertain_made += made.len();
            }
            Err(other) => {
                assert!(
                    made.is_empty(),
                    "lead {lead}: told {other}, yet a card was made"
                );
                refused += 1;
                *refusals.entry(kind(other)).or_default() += 1;
            }
        }
    }
    assert_eq!(results.len(), WRITES);
    println!(
        "conversions: {WRITES} in {:.1} s, {} requests: {converted} converted (each exactly one card), {uncertain} reported uncertain (of which {uncertain_made} had made a card), {refused} refused as not applied {refusals:?}; 0 duplicate cards",
        took.as_secs_f64(),
        server.request_count()
    );
    assert!(converted > WRITES * 8 / 10, "{converted}");
}

/// A short name for an error's kind.
fn kind(error: &Error) -> String {
    format!("{error:?}")
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_status_changes_are_all_applied() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = faulty_server(1_100, 22, false).start().await.unwrap();
    let client = client_for(&server);
    let account = server.account(server.account_id()).unwrap();
    let statuses = [
        LeadStatus::Open,
        LeadStatus::Won,
        LeadStatus::Lost,
        LeadStatus::Snoozed,
    ];
    let jobs: Vec<(i64, LeadStatus, Option<String>)> = account
        .leads
        .iter()
        .take(WRITES)
        .enumerate()
        .map(|(i, lead)| {
            let notes = (i % 3 != 0).then(|| format!("change {i}"));
            (lead.id, statuses[i % 4].clone(), notes)
        })
        .collect();
    let started = Instant::now();
    let results: Vec<_> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(jobs.clone())
            .map(|(lead, status, notes)| {
                let client = client.clone();
                let account = server.account_id();
                async move {
                    let mut change = client.leads(account).set_status(lead, status);
                    change = match notes {
                        Some(text) => change.notes(text),
                        None => change.clear_notes(),
                    };
                    change.send().await
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the changes end in bounded time");
    let took = started.elapsed();
    let failed: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    let held = server.account(server.account_id()).unwrap();
    for (lead, status, notes) in &jobs {
        let now = held.lead(*lead).unwrap();
        assert_eq!(
            (now.status.as_str(), &now.notes),
            (status.as_str(), notes),
            "lead {lead}"
        );
    }
    println!(
        "status changes: {WRITES} in {:.1} s, {} requests: every one applied, the mock holding each lead's status and notes",
        took.as_secs_f64(),
        server.request_count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_totals_equal_what_the_mock_changed() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = faulty_server(10_000, 23, false).start().await.unwrap();
    let client = client_for(&server);
    let account = server.account(server.account_id()).unwrap();
    let ids: Vec<i64> = account.leads.iter().map(|l| l.id).collect();

    // Status change: 10,000 ids, 10 a batch: a thousand writes.
    let started = Instant::now();
    let changed = tokio::time::timeout(
        BOUND,
        client
            .leads(server.account_id())
            .bulk_set_status(ids.clone(), LeadStatus::Won)
            .batch_size(10)
            .concurrency(8)
            .send(),
    )
    .await
    .expect("bounded")
    .unwrap();
    let status_took = started.elapsed();
    let status_requests = server.request_count();
    assert!(changed.is_complete(), "{changed}");
    let won = server
        .account(server.account_id())
        .unwrap()
        .leads
        .iter()
        .filter(|l| l.status == "won")
        .count();
    assert_eq!(won, 10_000);
    assert_eq!(
        changed.affected(),
        won as u64,
        "the total is the mock's own count"
    );

    // Deletion: the same ids and 500 that do not exist, 10 a batch.
    let unknown: Vec<i64> = (1..=500).map(|i| 5_000_000 + i).collect();
    let mut to_delete = ids.clone();
    to_delete.extend(&unknown);
    fastrand::Rng::with_seed(3).shuffle(&mut to_delete);
    let started = Instant::now();
    let deleted = tokio::time::timeout(
        BOUND,
        client
            .leads(server.account_id())
            .bulk_delete(to_delete.clone())
            .batch_size(10)
            .concurrency(8)
            .send(),
    )
    .await
    .expect("bounded")
    .unwrap();
    let delete_took = started.elapsed();
    assert!(deleted.is_complete(), "{deleted}");
    let left = server.account(server.account_id()).unwrap().leads.len();
    assert_eq!(left, 0, "every lead deleted");
    let existed: BTreeSet<i64> = ids.iter().copied().collect();
    let mut low = 0;
    for batch in &deleted.batches {
        let done = batch.result.as_ref().unwrap();
        let there = batch.ids.iter().filter(|id| existed.contains(id)).count() as u64;
        if done.earlier_attempt_may_have_applied {
            assert!(done.affected <= there, "batch {}", batch.index);
            low += 1;
        } else {
            assert_eq!(
                done.affected, there,
                "batch {}: the count is what the mock deleted",
                batch.index
            );
        }
    }
    assert!(deleted.affected() <= 10_000);
    assert_eq!(deleted.counts_may_be_low(), low > 0);
    println!(
        "bulk: status change of 10,000 ids in 1,000 batches in {:.1} s ({status_requests} requests), total affected {} = the mock's count of won leads; delete of 10,500 ids (500 unknown) in 1,050 batches in {:.1} s: the mock deleted 10,000, the batches counted {} ({low} batches retried after an attempt that may have applied, counted low and flagged so; every other batch counted exactly what the mock deleted)",
        status_took.as_secs_f64(),
        changed.affected(),
        delete_took.as_secs_f64(),
        deleted.affected()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_lead_creates_make_no_duplicate_and_report_no_create_that_did_not_happen() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = faulty_server(50, 23, true).start().await.unwrap();
    let client = client_for(&server);
    let account = server.account_id();
    let started = Instant::now();
    let results: Vec<(String, Result<voxys_connect::types::Lead, Error>)> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(0..WRITES)
            .map(|i| {
                let client = client.clone();
                async move {
                    let name = format!("fault suite lead {i:04}");
                    let result = client
                        .leads(account)
                        .create()
                        .name(name.clone())
                        .currency("EUR")
                        .settle_after(Duration::from_millis(300))
                        .send()
                        .await;
                    (name, result)
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the creates end in bounded time");
    let took = started.elapsed();

    // What the mock made, by name, from its journal.
    let mut made: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for write in server.applied_writes() {
        if write.operation == "create_lead" {
            made.entry(write.name.clone().unwrap_or_default())
                .or_default()
                .extend(write.created_id);
        }
    }
    let tally = tally_creates(
        "lead",
        &results,
        &made,
        |lead| lead.id,
        |name, lead| {
            assert_eq!(lead.custom_name.as_deref(), Some(name));
        },
    );
    for (name, result) in &results {
        if let Err(Error::OutcomeUnknown { action, .. }) = result {
            assert_eq!(*action, format!("creating lead {name:?}"));
        }
    }
    println!(
        "lead creates: {WRITES} in {:.1} s, {} requests: {tally}",
        took.as_secs_f64(),
        server.request_count(),
    );
}

const MERGES: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_merges_are_each_applied_once_and_never_reported_done_when_not() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = MockServer::builder()
        .leads(0)
        .accounts(1)
        .seed(24)
        .start()
        .await
        .unwrap();
    let client = client_for(&server);
    let account = server.account_id();
    // The companies, made before the faults begin: a source and a target
    // for each merge, the source with a lead.
    let mut pairs = Vec::new();
    for i in 0..MERGES {
        let companies = client.companies(account);
        let source = companies
            .create(format!("merge source {i:03}"))
            .send()
            .await
            .unwrap();
        let target = companies
            .create(format!("merge target {i:03}"))
            .send()
            .await
            .unwrap();
        client
            .leads(account)
            .create()
            .name(format!("lead of source {i:03}"))
            .company(source.id)
            .send()
            .await
            .unwrap();
        pairs.push((source.id, target.id));
    }
    for rule in fault_mix(true, LATE) {
        server.add_fault(rule);
    }
    let started = Instant::now();
    let results: Vec<_> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(pairs.clone())
            .map(|(source, target)| {
                let client = client.clone();
                async move {
                    let result = client.companies(account).merge(source, target).send().await;
                    (source, target, result)
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the merges end in bounded time");
    let took = started.elapsed();
    server.clear_faults();

    let mut merged: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for write in server.applied_writes() {
        if write.operation == "merge_companies" {
            merged
                .entry(write.company_ids[0])
                .or_default()
                .push(write.company_ids[1]);
        }
    }
    let (mut done, mut uncertain, mut uncertain_merged, mut refused) = (0, 0, 0, 0);
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    for (source, target, result) in &results {
        let merges = merged.get(source).cloned().unwrap_or_default();
        assert!(
            merges.len() <= 1,
            "company {source}: merged {} times",
            merges.len()
        );
        let gone = server.company(account, *source).is_none();
        assert_eq!(
            gone,
            !merges.is_empty(),
            "company {source}: gone iff merged"
        );
        match result {
            Ok(survivor) => {
                assert_eq!(
                    merges,
                    [*target],
                    "{source}: told merged, merged into {target}"
                );
                assert_eq!(survivor.id, *target);
                done += 1;
            }
            Err(Error::OutcomeUnknown { action, .. }) => {
                assert_eq!(
                    *action,
                    format!("merging company {source} into company {target}")
                );
                uncertain += 1;
                uncertain_merged += merges.len();
            }
            Err(other) => {
                assert!(
                    merges.is_empty(),
                    "{source}: told {other}, yet it was merged"
                );
                refused += 1;
                *refusals.entry(kind(other)).or_default() += 1;
            }
        }
    }
    // Every lead of a merged source is in its target now.
    for lead in server.leads(account) {
        if let Some(company) = &lead.company {
            assert!(
                !merged.contains_key(&company.id),
                "lead {} left in merged company {}",
                lead.id,
                company.id
            );
        }
    }
    assert_eq!(results.len(), MERGES);
    println!(
        "merges: {MERGES} in {:.1} s, {} requests: {done} merged (each exactly once, into its target), {uncertain} reported unknown ({:.1}%; {uncertain_merged} of them had merged), {refused} refused as not applied {refusals:?}; 0 merged twice",
        took.as_secs_f64(),
        server.request_count(),
        uncertain as f64 * 100.0 / MERGES as f64,
    );
    assert!(done > MERGES * 8 / 10, "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_card_creates_make_no_duplicate_and_report_no_card_that_was_not_made() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = faulty_server_late_by(20, 25, true, CARD_LATE)
        .start()
        .await
        .unwrap();
    let client = client_with_timeout(&server, CARD_TIMEOUT);
    let account = server.account_id();
    let funnel = server.funnels(account)[0].id;
    let started = Instant::now();
    let results: Vec<(String, Result<voxys_connect::types::Card, Error>)> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(0..WRITES)
            .map(|i| {
                let client = client.clone();
                async move {
                    let name = format!("fault suite deal {i:04}");
                    let result = client
                        .pipelines(account)
                        .cards(funnel)
                        .create()
                        .name(name.clone())
                        .settle_after(Duration::from_millis(300))
                        .send()
                        .await;
                    (name, result)
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the creates end in bounded time");
    let took = started.elapsed();

    let mut made: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for write in server.applied_writes() {
        if write.operation == "create_funnel_card" {
            made.entry(write.name.clone().unwrap_or_default())
                .or_default()
                .extend(write.created_id);
        }
    }
    let tally = tally_creates("card", &results, &made, |card| card.id, |_, _| {});
    println!(
        "card creates: {WRITES} in {:.1} s, {} requests: {tally}",
        took.as_secs_f64(),
        server.request_count(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_snoozes_by_a_day_are_never_applied_twice() {
    let _one_at_a_time = ONE_AT_A_TIME.lock().await;
    let server = MockServer::builder()
        .leads(10)
        .accounts(1)
        .seed(26)
        .start()
        .await
        .unwrap();
    let client = client_for(&server);
    let account = server.account_id();
    // The tasks, made before the faults begin.
    let tasks: Vec<i64> = futures::stream::iter(0..WRITES)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .tasks(account)
                    .create(format!("snoozed task {i:04}"))
                    .due("2026-12-24T09:00:00Z".parse().unwrap())
                    .send()
                    .await
                    .unwrap()
                    .id
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for rule in fault_mix(true, LATE) {
        server.add_fault(rule);
    }
    let started = Instant::now();
    let results: Vec<_> = tokio::time::timeout(
        BOUND,
        futures::stream::iter(tasks.clone())
            .map(|task| {
                let client = client.clone();
                async move {
                    let result = client
                        .tasks(account)
                        .snooze(task, voxys_connect::types::Snooze::Days(1))
                        .settle_after(Duration::from_millis(300))
                        .send()
                        .await;
                    (task, result)
                }
            })
            .buffer_unordered(16)
            .collect(),
    )
    .await
    .expect("the snoozes end in bounded time");
    let took = started.elapsed();
    server.clear_faults();

    let mut snoozes: BTreeMap<i64, Vec<voxys_connect_mock::AppliedWrite>> = BTreeMap::new();
    for write in server.applied_writes() {
        if write.operation == "snooze_task" {
            snoozes.entry(write.task_ids[0]).or_default().push(write);
        }
    }
    let (mut done, mut uncertain, mut uncertain_applied, mut refused) = (0, 0, 0, 0);
    let mut refusals: BTreeMap<String, usize> = BTreeMap::new();
    for (task, result) in &results {
        let applied = snoozes.get(task).cloned().unwrap_or_default();
        assert!(
            applied.len() <= 1,
            "task {task}: snoozed {} times",
            applied.len()
        );
        match result {
            Ok(snoozed) => {
                assert_eq!(applied.len(), 1, "task {task}: told snoozed, snoozed once");
                assert_eq!(
                    snoozed.due_at.map(|t| t.as_datetime()),
                    applied[0].due_at_after,
                    "task {task}: the due time it was pushed to"
                );
                done += 1;
            }
            Err(Error::OutcomeUnknown { .. }) => {
                uncertain += 1;
                uncertain_applied += applied.len();
            }
            Err(other) => {
                assert!(applied.is_empty(), "task {task}: told {other}, yet snoozed");
                refused += 1;
                *refusals.entry(kind(other)).or_default() += 1;
            }
        }
    }
    assert_eq!(results.len(), WRITES);
    println!(
        "snoozes by a day: {WRITES} in {:.1} s, {} requests: {done} snoozed (each exactly once), {uncertain} reported unknown ({:.1}%; {uncertain_applied} of them had been applied), {refused} refused as not applied {refusals:?}; 0 double snoozes",
        took.as_secs_f64(),
        server.request_count(),
        uncertain as f64 * 100.0 / WRITES as f64,
    );
    assert!(done > WRITES * 8 / 10, "{done}");
}

/// What a thousand creates came to, checked against what the mock made
/// (`made`: the ids its journal holds under each name).
struct Tally {
    kind: &'static str,
    created: usize,
    uncertain: usize,
    uncertain_made: usize,
    refused: usize,
    refusals: BTreeMap<String, usize>,
}

/// Checks each create's outcome against the mock's journal: never two
/// records for one create; a create told done made exactly the record it
/// returned (`check` looks at it too); one told refused made none. Counts
/// each outcome, and asks that most were done.
fn tally_creates<T>(
    what: &'static str,
    results: &[(String, Result<T, Error>)],
    made: &BTreeMap<String, Vec<i64>>,
    id: impl Fn(&T) -> i64,
    check: impl Fn(&str, &T),
) -> Tally {
    let mut tally = Tally {
        kind: what,
        created: 0,
        uncertain: 0,
        uncertain_made: 0,
        refused: 0,
        refusals: BTreeMap::new(),
    };
    for (name, result) in results {
        let ids = made.get(name).cloned().unwrap_or_default();
        assert!(ids.len() <= 1, "{name}: {} {what}s, a duplicate", ids.len());
        match result {
            Ok(record) => {
                assert_eq!(ids, [id(record)], "{name}: told made, exactly its {what}");
                check(name, record);
                tally.created += 1;
            }
            Err(Error::OutcomeUnknown { .. }) => {
                tally.uncertain += 1;
                tally.uncertain_made += ids.len();
            }
            Err(other) => {
                assert!(
                    ids.is_empty(),
                    "{name}: told {other}, yet a {what} was made"
                );
                tally.refused += 1;
                *tally.refusals.entry(kind(other)).or_default() += 1;
            }
        }
    }
    assert_eq!(results.len(), WRITES);
    assert!(tally.created > WRITES * 8 / 10, "{}", tally.created);
    tally
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind;
        write!(
            f,
            "{} made (each exactly one {kind}), {} reported unknown ({:.1}%; {} of them had made a {kind}), {} refused as not applied {:?}; 0 duplicates",
            self.created,
            self.uncertain,
            self.uncertain as f64 * 100.0 / WRITES as f64,
            self.uncertain_made,
            self.refused,
            self.refusals,
        )
    }
}
