//! Walking every page: in order, with and without concurrency, through lists
//! that change while they are read, and never forever.

mod common;

use std::time::Duration;

use common::*;
use futures::{StreamExt, TryStreamExt};
use voxys_connect::Error;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn ids(leads: &[voxys_connect::types::Lead]) -> Vec<i64> {
    leads.iter().map(|l| l.id).collect()
}

#[tokio::test]
async fn streams_every_lead_of_several_pages_in_order() {
    let server = server_with_leads(237).await;
    let leads = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(50)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&leads), (1..=237).collect::<Vec<_>>());
    // 5 pages, the last one short, and no request past it.
    let pages: Vec<u64> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(page_of)
        .collect();
    assert_eq!(pages, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn pages_carry_their_position() {
    let server = server_with_leads(60).await;
    let pages: Vec<_> = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(25)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let shape: Vec<(u64, usize, Option<u64>)> = pages
        .iter()
        .map(|p| (p.current_page(), p.len(), p.next_page()))
        .collect();
    assert_eq!(shape, [(1, 25, Some(2)), (2, 25, Some(3)), (3, 10, None)]);
    assert!(
        pages
            .iter()
            .all(|p| p.total_count() == 60 && p.total_pages() == 3)
    );
}

#[tokio::test]
async fn an_exactly_full_last_page_and_an_empty_list_end_cleanly() {
    let full = server_with_leads(100).await;
    let leads = client_for(&full)
        .leads(ACCOUNT)
        .list()
        .per_page(50)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(leads.len(), 100);
    let mut asked: Vec<u64> = full
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(page_of)
        .collect();
    asked.dedup();
    assert_eq!(asked, [1, 2], "no page past the last one");

    let empty = server_with_leads(0).await;
    let pages: Vec<_> = client_for(&empty)
        .leads(ACCOUNT)
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.len(),
        1,
        "an empty list is one empty page, with its totals"
    );
    assert!(pages[0].is_empty());
    assert_eq!(pages[0].total_count(), 0);
    // Page 1 only, and no page past it. (A busy machine can make the first
    // attempt fail and be retried: that is page 1 again, not a page past
    // the end.)
    let asked: Vec<u64> = empty
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(page_of)
        .collect();
    assert!(
        !asked.is_empty() && asked.iter().all(|page| *page == 1),
        "pages asked for: {asked:?}"
    );
}

#[tokio::test]
async fn starts_from_the_requested_page() {
    let server = server_with_leads(100).await;
    let leads = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(20)
        .page(4)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&leads), (61..=100).collect::<Vec<_>>());
}

#[tokio::test]
async fn concurrency_fetches_ahead_and_keeps_the_order() {
    // Every answer takes a while, and page 2 much longer than the pages after
    // it: they arrive out of order.
    let server = voxys_connect_mock::MockServer::builder()
        .leads(95)
        .latency(Duration::from_millis(100))
        .fault(
            voxys_connect_mock::FaultRule::new(voxys_connect_mock::Fault::Delay(
                Duration::from_millis(300),
            ))
            .on_page(2),
        )
        .start()
        .await
        .unwrap();
    let leads = voxys_connect::Client::builder()
        .token(server.token())
        .base_url(server.url())
        .build()
        .unwrap()
        .leads(server.account_id())
        .list()
        .per_page(10)
        .concurrency(5)
        .collect_all()
        .await
        .unwrap();
    assert_same_leads(&leads, &held(&server));
    assert_eq!(
        server.request_count(),
        10,
        "no page twice, none past the end"
    );
    // Page 1 alone (it says how many there are), then five at a time.
    assert_eq!(server.most_requests_in_flight(), 5);
}

/// Reads 40 pages of 10 leads, 4 at a time, with a client that `build`
/// makes of a builder given the mock's URL and token, from a mock
/// where page 2 takes 2 s (as a retry waiting out a `Retry-After` would)
/// and the pages after it answer at once. Returns how many requests the
/// server had seen when page 2 came; checks that every lead came, in order,
/// each page asked for once, at most 4 at a time.
async fn requests_while_page_2_waits(
    build: impl FnOnce(voxys_connect::ClientBuilder) -> voxys_connect::ClientBuilder,
) -> u64 {
    let server = voxys_connect_mock::MockServer::builder()
        .leads(400)
        .fault(
            voxys_connect_mock::FaultRule::new(voxys_connect_mock::Fault::Delay(
                Duration::from_secs(2),
            ))
            .on_page(2),
        )
        .start()
        .await
        .unwrap();
    let mut pages = build(
        voxys_connect::Client::builder()
            .token(server.token())
            .base_url(server.url()),
    )
    .build()
    .unwrap()
    .leads(server.account_id())
    .list()
    .per_page(10)
    .concurrency(4)
    .pages();
    let mut leads = Vec::new();
    for _ in 0..2 {
        leads.extend(pages.try_next().await.unwrap().unwrap().into_items());
    }
    let asked = server.request_count();
    while let Some(page) = pages.try_next().await.unwrap() {
        leads.extend(page.into_items());
    }
    assert_same_leads(&leads, &held(&server));
    assert_eq!(server.request_count(), 40, "no page twice");
    assert!(server.most_requests_in_flight() <= 4);
    asked
}

#[tokio::test]
async fn a_page_that_waits_does_not_hold_up_the_pages_after_it() {
    // While page 2 waited, the other three slots went on past page 5 (the
    // last a pager holding only 4 pages would have asked for), and no
    // further than 8 times the concurrency past page 2.
    let asked = requests_while_page_2_waits(|builder| builder).await;
    assert!(
        (6..=1 + 32).contains(&asked),
        "{asked} requests when page 2 came"
    );
}

#[tokio::test]
async fn without_the_adaptive_limit_the_pager_waits_for_a_page_that_waits() {
    // A client with the adaptive limit off retries each request on its own
    // backoff: pages fetched far past a waiting one would keep a server's
    // limit spent while it backs off. The pager asks for pages 1 to 5 (from
    // page 2, as many as the concurrency), and waits; with a maximum rate
    // too, which may be above the server's limit.
    let asked = requests_while_page_2_waits(|builder| builder.adaptive_rate_limit(false)).await;
    assert_eq!(asked, 5, "{asked} requests when page 2 came");
    let asked = requests_while_page_2_waits(|builder| {
        builder
            .adaptive_rate_limit(false)
            .max_requests_per_second(1000.0)
    })
    .await;
    assert_eq!(
        asked, 5,
        "with a maximum rate: {asked} requests when page 2 came"
    );
}

/// A server holding 40 leads, 10 a page, whose answer for page `n` claims
/// `total_pages(n)` pages: a list that changes size while it is read.
async fn server_whose_size_changes(total_pages: fn(u64) -> u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let page = page_of(request);
            let total = total_pages(page);
            let ids: Vec<i64> = ((page - 1) * 10 + 1..=(page * 10).min(40))
                .map(|i| i as i64)
                .collect();
            ResponseTemplate::new(200).set_body_json(list_body(ids, page, total, total * 10))
        })
        .mount(&server)
        .await;
    server
}

/// Reads every lead of `server` with each concurrency; all 40 must arrive, in order.
async fn assert_reads_all_40(server: &MockServer, concurrencies: &[usize]) {
    for &concurrency in concurrencies {
        let leads = client_for(server)
            .leads(ACCOUNT)
            .list()
            .per_page(10)
            .concurrency(concurrency)
            .collect_all()
            .await
            .unwrap();
        assert_eq!(
            ids(&leads),
            (1..=40).collect::<Vec<_>>(),
            "concurrency {concurrency}"
        );
    }
}

#[tokio::test]
async fn a_shrinking_list_stops_at_its_new_end() {
    // 10 pages at first; from page 3 on, the server says there are only 4.
    let server = server_whose_size_changes(|page| if page < 3 { 10 } else { 4 }).await;
    assert_reads_all_40(&server, &[1, 3]).await;
}

#[tokio::test]
async fn a_growing_list_is_read_to_its_new_end() {
    // The first page says 2 pages; later pages say 4.
    let server = server_whose_size_changes(|page| if page == 1 { 2 } else { 4 }).await;
    assert_reads_all_40(&server, &[1, 4]).await;
}

#[tokio::test]
async fn a_server_that_repeats_a_page_stops_with_a_clear_error() {
    // It says there are a million pages, and serves page 1 whatever is asked,
    // echoing the page number it was asked for.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            ResponseTemplate::new(200).set_body_json(list_body(
                1..=10,
                page_of(request),
                1_000_000,
                10_000_000,
            ))
        })
        .mount(&server)
        .await;
    let mut stream = Box::pin(
        client_for(&server)
            .leads(ACCOUNT)
            .list()
            .per_page(10)
            .stream(),
    );
    let mut seen = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => seen += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without an error"),
        }
    };
    assert_eq!(seen, 10, "the first page is good");
    match &error {
        Error::Pagination { page, message, .. } => {
            assert_eq!(*page, 2);
            assert!(message.contains("same 10 items as page 1"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_server_that_ignores_the_page_number_stops_with_a_clear_error() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(list_body(1..=10, 1, 5, 50)))
            .await;
    let error = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(10)
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Pagination { page: 2, message, .. } if message.contains("answered page 1")),
        "{error:?}"
    );
}

/// A server holding `total_pages` pages of 10 leads whose page 3 is not
/// found; page `n` answers after `delay_ms(n)` milliseconds.
async fn server_without_page_3(total_pages: u64, delay_ms: fn(u64) -> u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let page = page_of(request);
            if page == 3 {
                return ResponseTemplate::new(404)
                    .set_body_json(serde_json::json!({"error": "Resource could not be found"}));
            }
            let ids = ((page - 1) * 10 + 1..=page * 10).map(|i| i as i64);
            ResponseTemplate::new(200)
                .set_body_json(list_body(ids, page, total_pages, total_pages * 10))
                .set_delay(Duration::from_millis(delay_ms(page)))
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn an_error_mid_way_ends_the_stream_after_the_good_pages() {
    let server = server_without_page_3(5, |_| 0).await;
    let results: Vec<_> = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(10)
        .pages()
        .collect()
        .await;
    assert_eq!(
        results.len(),
        3,
        "two good pages, then the error, then nothing"
    );
    assert!(results[0].is_ok() && results[1].is_ok());
    assert!(matches!(results[2], Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn an_error_ahead_stops_the_requests_past_it() {
    // 50 pages, 4 at a time. Page 3 fails at once while page 2 takes 2 s
    // and the pages after 3 half a second: the stream will end at page 3,
    // so nothing past the pages already asked for is worth requesting.
    let server = server_without_page_3(50, |page| match page {
        1 => 0,
        2 => 2000,
        _ => 500,
    })
    .await;
    let results: Vec<_> = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(10)
        .concurrency(4)
        .pages()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "pages 1 and 2, then the error");
    assert!(matches!(results[2], Err(Error::NotFound { .. })));
    // Pages 1 to 5 (page 1 alone, then 2 to 5); a round more if the
    // machine was slow to take page 3's answer. Without the stop, the slots
    // freed by pages 4 and 5 go on while page 2 waits.
    let asked = server.received_requests().await.unwrap().len();
    assert!(asked <= 7, "{asked} requests");
}

#[tokio::test]
async fn a_server_that_alternates_two_pages_stops_too() {
    // Odd pages serve leads 1..=10, even pages 11..=20: A, B, A, B...
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let page = page_of(request);
            let first = if page % 2 == 1 { 1 } else { 11 };
            ResponseTemplate::new(200).set_body_json(list_body(
                first..first + 10,
                page,
                1_000_000,
                10_000_000,
            ))
        })
        .mount(&server)
        .await;
    for concurrency in [1, 4] {
        let pages: Vec<_> = client_for(&server)
            .leads(ACCOUNT)
            .list()
            .per_page(10)
            .concurrency(concurrency)
            .pages()
            .collect()
            .await;
        assert_eq!(pages.len(), 3, "A, B, then the error");
        match pages[2].as_ref().unwrap_err() {
            Error::Pagination { page, message, .. } => {
                assert_eq!(*page, 3);
                assert!(message.contains("same 10 items as page 1"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
