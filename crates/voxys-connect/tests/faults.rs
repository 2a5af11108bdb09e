//! The fault suite: exports through the mock server's fault rules complete
//! with every lead exactly once and in order, or end with the right error,
//! never handing out a partial page as if it were complete.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use voxys_connect::types::Lead;
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

mod common;
use common::{assert_same_leads, held};

const LEADS: u64 = 5_000;

/// Every export here must end well within this; a hang fails the test.
const BOUND: Duration = Duration::from_secs(120);

fn client_for(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// Retries with short waits, and a cap on `Retry-After`, so that the suite
/// runs in seconds.
fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(2))
        .max_backoff(Duration::from_millis(20))
        .max_retry_after(Duration::from_millis(20))
}

async fn export(
    client: &Client,
    server: &MockServer,
    concurrency: usize,
) -> voxys_connect::Result<Vec<Lead>> {
    let export = client
        .leads(server.account_id())
        .list()
        .per_page(100)
        .concurrency(concurrency)
        .collect_all();
    tokio::time::timeout(BOUND, export)
        .await
        .expect("the export ends in bounded time")
}

fn assert_complete(leads: &[Lead], server: &MockServer) {
    let ids: BTreeSet<i64> = leads.iter().map(|l| l.id).collect();
    assert_eq!(leads.len() as u64, LEADS, "every lead");
    assert_eq!(ids.len() as u64, LEADS, "each once");
    assert_same_leads(leads, &held(server));
}

#[tokio::test]
async fn an_export_completes_through_every_kind_of_fault() {
    for concurrency in [1, 4] {
        let server = MockServer::builder()
            .leads(LEADS)
            .seed(11)
            .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).share(0.08))
            .fault(
                FaultRule::new(Fault::RateLimited {
                    retry_after: Some(1),
                })
                .share(0.05),
            )
            .fault(FaultRule::new(Fault::ServerError { status: 502 }).share(0.05))
            .fault(FaultRule::new(Fault::ServerError { status: 503 }).share(0.05))
            .fault(FaultRule::new(Fault::CutBody).share(0.05))
            .fault(FaultRule::new(Fault::DropConnection).share(0.05))
            .start()
            .await
            .unwrap();
        let client = client_for(&server, quick_retries(15));
        let leads = export(&client, &server, concurrency).await.unwrap();
        assert_complete(&leads, &server);
        // 50 pages; about a third of the requests failed and were retried.
        assert!(
            server.request_count() > 55,
            "concurrency {concurrency}: {} requests",
            server.request_count()
        );
    }
}

#[tokio::test]
async fn each_kind_of_fault_alone_is_retried_through() {
    let faults = [
        Fault::RateLimited { retry_after: None },
        Fault::RateLimited {
            retry_after: Some(1),
        },
        Fault::ServerError { status: 502 },
        Fault::ServerError { status: 503 },
        Fault::ServerError { status: 504 },
        Fault::CutBody,
        Fault::DropConnection,
    ];
    for fault in faults {
        // Two failures in a row on page 7, then it answers.
        let server = MockServer::builder()
            .leads(LEADS)
            .fault(FaultRule::new(fault.clone()).on_page(7).times(2))
            .start()
            .await
            .unwrap();
        let client = client_for(&server, quick_retries(3));
        let leads = export(&client, &server, 2)
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_complete(&leads, &server);
        assert_eq!(
            server.request_count(),
            52,
            "{fault:?}: 50 pages and 2 retries"
        );
    }
}

/// The pages of an export whose page 3 fails with `fault` more often than the
/// client retries.
async fn pages_when_page_3_keeps_failing(
    fault: Fault,
) -> Vec<voxys_connect::Result<voxys_connect::pagination::Page<Lead>>> {
    let server = MockServer::builder()
        .leads(LEADS)
        .fault(FaultRule::new(fault).on_page(3))
        .start()
        .await
        .unwrap();
    let client = client_for(&server, quick_retries(3));
    let pages = client
        .leads(server.account_id())
        .list()
        .per_page(100)
        .concurrency(4)
        .pages()
        .collect::<Vec<_>>();
    tokio::time::timeout(BOUND, pages)
        .await
        .expect("the export ends in bounded time")
}

/// Whether an error is the one a case expects.
type ExpectedError = fn(&Error) -> bool;

#[tokio::test]
async fn faults_that_outlast_the_retries_end_the_export_with_the_right_error() {
    let cases: [(Fault, ExpectedError); 5] = [
        (
            Fault::RateLimited {
                retry_after: Some(1),
            },
            |e| {
                matches!(
                    e,
                    Error::RateLimited {
                        attempts: 3,
                        retry_after: Some(_),
                        ..
                    }
                )
            },
        ),
        (Fault::ServerError { status: 503 }, |e| {
            matches!(
                e,
                Error::Server {
                    status: 503,
                    attempts: 3,
                    ..
                }
            )
        }),
        (Fault::ServerError { status: 500 }, |e| {
            matches!(
                e,
                Error::Server {
                    status: 500,
                    attempts: 1,
                    ..
                }
            )
        }),
        (Fault::CutBody, |e| {
            matches!(e, Error::Transport { attempts: 3, .. })
        }),
        (Fault::DropConnection, |e| {
            matches!(e, Error::Transport { attempts: 3, .. })
        }),
    ];
    for (fault, expected) in cases {
        let pages = pages_when_page_3_keeps_failing(fault.clone()).await;
        assert_eq!(
            pages.len(),
            3,
            "{fault:?}: two whole pages, then the error, then nothing"
        );
        for page in &pages[..2] {
            let page = page.as_ref().unwrap();
            assert_eq!(
                page.len(),
                100,
                "{fault:?}: only whole pages are handed out"
            );
        }
        let error = pages[2].as_ref().unwrap_err();
        assert!(expected(error), "{fault:?}: got {error:?}");
        assert!(error.to_string().contains("list_leads"), "{error}");
    }
}
