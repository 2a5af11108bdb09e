//! The client-wide rate limiter against the mock server's rate limiter (the
//! service's Rack::Attack: fixed windows per token, `429 Retry later`):
//! shared by clones and by an export and a bulk job running together, faster
//! again once the limit is lifted, untouched when there is no limit, a cap,
//! and `Retry-After` pausing the whole client. What reached the server is
//! read from the mock (its counts and its journal of applied writes).
//!
//! Every test here runs on tokio's paused clock (`start_paused`, a
//! current_thread runtime), with the mock server on the same runtime: the
//! server's windows and latency, the limiter's token bucket and pauses, and
//! the retry policy's backoff all read that one clock, which moves only
//! while the runtime waits. A busy machine makes a test take longer, but
//! cannot change what happens within it: how many requests fit in a window
//! of the server, how many are refused, how fast the client goes. See
//! [`tick_the_paused_clock`] for the one thing a paused clock needs with
//! real sockets.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use tokio::time::Instant;
use voxys_connect::error::Setting;
use voxys_connect::types::LeadStatus;
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::{MockServer, Throttle};

/// A request's timeout for these tests: far longer than any request takes
/// on the paused clock (a few milliseconds over the server's latency), so
/// that none times out, even if the clock jumps (see
/// [`tick_the_paused_clock`]).
const TIMEOUT: Duration = Duration::from_secs(300);

/// Keeps the paused clock moving in steps of at most 1 ms, for as long as
/// the test's runtime lives.
///
/// When a paused runtime has nothing to do, tokio moves its clock straight
/// to the next timer. A request on its way over the loopback socket is
/// normally ready to be read by then, and the clock waits for it; but on a
/// busy machine the kernel may hand it over a moment later, and the clock
/// would leap meanwhile: to a request's timeout or a connection pool's idle
/// timer if nothing else is due, timing the request out for nothing and
/// skipping the server's windows. With a timer due every millisecond, such
/// a leap is 1 ms at most: that request takes a little longer, as over a
/// network, and nothing else changes. ([`TIMEOUT`] is long besides.)
fn tick_the_paused_clock() {
    tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
}

fn client_of(server: &MockServer, adaptive: bool) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .timeout(TIMEOUT)
        .adaptive_rate_limit(adaptive)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(30)
                .max_elapsed(Duration::from_secs(120)),
        )
        .build()
        .unwrap()
}

/// The ids of the first account's leads in the API's default order.
fn ids_in_order(server: &MockServer) -> Vec<i64> {
    server
        .account(server.account_id())
        .unwrap()
        .leads_in_default_order()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect()
}

/// Every lead id of the account in pages of 10, `concurrency` pages at once.
async fn export_ids(
    client: &Client,
    account: i64,
    concurrency: usize,
) -> voxys_connect::Result<Vec<i64>> {
    client
        .leads(account)
        .list()
        .per_page(10)
        .concurrency(concurrency)
        .stream()
        .map_ok(|lead| lead.id)
        .try_collect()
        .await
}

/// An export (pages of 10, eight at once) and a bulk status change of every
/// lead (5 ids a request, eight at once) on `export_client` and
/// `bulk_client`, at the same time; checks that each completed whole, and
/// returns how many requests the server refused.
async fn export_and_bulk_together(
    server: &MockServer,
    export_client: &Client,
    bulk_client: &Client,
) -> u64 {
    let account = server.account_id();
    let expected = ids_in_order(server);
    let export = export_ids(export_client, account, 8);
    let bulk = bulk_client
        .leads(account)
        .bulk_set_status(expected.clone(), LeadStatus::Won)
        .batch_size(5)
        .concurrency(8)
        .send();
    let (exported, changed) = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::join!(export, bulk)
    })
    .await
    .expect("both finish");
    // The export ran while the bulk job changed statuses: the default order
    // (by creation) does not move, so every lead still arrives once, in order.
    assert_eq!(exported.unwrap(), expected);
    let changed = changed.unwrap();
    assert!(changed.is_complete(), "{changed}");
    let mut applied: BTreeMap<i64, u32> = BTreeMap::new();
    for write in server.applied_writes() {
        for id in write.lead_ids {
            *applied.entry(id).or_default() += 1;
        }
    }
    assert_eq!(applied.len(), expected.len());
    assert!(applied.values().all(|n| *n == 1), "each id applied once");
    server.throttled_count()
}

fn throttled_server() -> voxys_connect_mock::MockServerBuilder {
    MockServer::builder()
        .accounts(1)
        .leads(400)
        .latency(Duration::from_millis(10))
        .throttle(Throttle::new(40, Duration::from_secs(1)))
}

#[tokio::test(start_paused = true)]
async fn clones_an_export_and_a_bulk_job_share_one_limiter() {
    // What it proves: an export and a bulk job running together on two
    // clones of a client are held back by one limiter, which spares them
    // most of the 429s they meet without it. On the paused clock the counts
    // do not depend on how busy the machine is.
    tick_the_paused_clock();
    // Adaptive: the export runs on one clone, the bulk job on another.
    let server = throttled_server().start().await.unwrap();
    let client = client_of(&server, true);
    let clone = client.clone();
    let shared_refused = export_and_bulk_together(&server, &client, &clone).await;
    // One limiter: both clones report the same, and it met every 429 of
    // both jobs, as the server counted them. With a limiter each, each
    // would have met its own job's 429s only, and the two would differ.
    let status = client.rate_limit();
    assert_eq!(status, clone.rate_limit(), "one limiter for both clones");
    assert!(shared_refused > 0, "both jobs together met the limit");
    assert_eq!(
        status.throttled, shared_refused,
        "every 429 of both jobs met the one limiter"
    );
    // It took charge, and holds the client near the server's 40 a second:
    // within a factor of two (its estimate of the limit can be up to twice
    // it just after a window boundary), neither free-running nor crawling.
    let rate = status.requests_per_second.expect("it is holding back");
    assert!((20.0..80.0).contains(&rate), "{rate} requests a second");

    // The same jobs with each request on its own.
    let server = throttled_server().start().await.unwrap();
    let alone = client_of(&server, false);
    let alone_refused = export_and_bulk_together(&server, &alone, &alone.clone()).await;
    assert_eq!(alone.rate_limit().requests_per_second, None);
    println!(
        "export and bulk together at 40 requests a second: {shared_refused} requests refused with the shared limiter, {alone_refused} without"
    );
    // The shared limiter's count is the same from run to run; the other
    // varies with the retry policy's random backoff (about 75, never under
    // 64 in 150 runs, against 25 or 26). A factor of two leaves room for
    // that, and still fails if the limiter no longer holds both jobs back.
    assert!(
        shared_refused * 2 < alone_refused,
        "the shared limiter is refused far less: {shared_refused} against {alone_refused}"
    );
}

#[tokio::test(start_paused = true)]
async fn once_the_limit_is_lifted_the_client_speeds_up_again() {
    // Held near a limit of 20 a second, then the limit is lifted: ten
    // seconds later the client goes at several times the old limit. The
    // seconds are the paused clock's: the rate measured is the limiter's,
    // not how fast a busy machine decodes pages. Enough leads that the
    // export is still under way twelve seconds after the lift.
    tick_the_paused_clock();
    let server = MockServer::builder()
        .accounts(1)
        .leads(40_000)
        .latency(Duration::from_millis(5))
        .throttle(Throttle::new(20, Duration::from_secs(1)))
        .start()
        .await
        .unwrap();
    let client = client_of(&server, true);
    let mut pages = client
        .leads(server.account_id())
        .list()
        .per_page(10)
        .concurrency(8)
        .pages();
    let started = Instant::now();
    let mut lifted: Option<(Instant, u64)> = None;
    let mut after_lift = Vec::new();
    let mut count = 0u64;
    while let Some(page) = pages.next().await {
        page.unwrap();
        count += 1;
        let elapsed = started.elapsed();
        if lifted.is_none() && elapsed > Duration::from_secs(3) {
            let rate = client.rate_limit().requests_per_second;
            assert!(
                rate.is_some_and(|r| r < 40.0),
                "held near the limit: {rate:?}"
            );
            server.set_throttle(None);
            lifted = Some((Instant::now(), count));
        }
        if let Some((at, _)) = lifted
            && at.elapsed() > Duration::from_secs(12)
        {
            break;
        }
        if let Some((at, _)) = lifted {
            after_lift.push((at.elapsed(), count));
        }
    }
    let (lifted_at, at_lift) = lifted.expect("lifted");
    assert!(
        lifted_at.elapsed() > Duration::from_secs(12),
        "the export ended {:?} after the lift, {count} pages: too few leads to measure",
        lifted_at.elapsed()
    );
    // Pages a second in the last two seconds, against the limit of 20.
    let last = after_lift.last().unwrap().1;
    let two_before = after_lift
        .iter()
        .rev()
        .find(|(t, _)| *t < after_lift.last().unwrap().0 - Duration::from_secs(2))
        .unwrap()
        .1;
    let rate = (last - two_before) as f64 / 2.0;
    println!(
        "limit lifted after {at_lift} pages: {rate:.0} pages a second ten seconds later (limit was 20), limiter at {:?}",
        client.rate_limit().requests_per_second
    );
    assert!(rate > 80.0, "{rate} pages a second");
}

#[tokio::test(start_paused = true)]
async fn without_a_429_the_limiter_stays_out_of_the_way() {
    // No limit on the server: the limiter never engages, and the export
    // goes at the concurrency asked. On the paused clock, sending the 16
    // requests takes a few milliseconds at most, however busy the machine,
    // against the server's 20 ms latency: all 16 are in flight at once, and
    // never more.
    tick_the_paused_clock();
    let server = MockServer::builder()
        .leads(2_000)
        .latency(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = client_of(&server, true);
    let leads = export_ids(&client, server.account_id(), 16).await.unwrap();
    assert_eq!(leads, ids_in_order(&server));
    let status = client.rate_limit();
    assert_eq!((status.requests_per_second, status.throttled), (None, 0));
    assert_eq!(
        server.most_requests_in_flight(),
        16,
        "requests went at the concurrency asked, not held back"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_pauses_the_whole_client() {
    // The client waits as long as `Retry-After` says, every request of it,
    // and does not knock in between. On the paused clock the server's
    // windows and the client's pauses share one clock, so how many are
    // refused does not depend on how busy the machine is.
    tick_the_paused_clock();
    // Ten requests a window of two seconds, with Retry-After.
    let server = MockServer::builder()
        .accounts(1)
        .leads(300)
        .throttle(Throttle::new(10, Duration::from_secs(2)).retry_after(true))
        .start()
        .await
        .unwrap();
    let client = client_of(&server, true);
    let started = Instant::now();
    let leads = export_ids(&client, server.account_id(), 8).await.unwrap();
    assert_eq!(leads, ids_in_order(&server));
    let refused = server.throttled_count();
    // 30 pages at 10 a window: at least two windows of waiting; and told
    // when to come back, the client does not knock in between: the 429s
    // are those in flight when a window filled, not one per retry.
    assert!(started.elapsed() >= Duration::from_secs(4));
    println!(
        "30 pages, 10 a 2 s window, Retry-After: {:.1} s, {refused} refused",
        started.elapsed().as_secs_f64()
    );
    assert!(refused <= 3 * 8, "{refused} refused");
}

#[tokio::test(start_paused = true)]
async fn a_long_window_is_waited_out_with_the_default_retry_policy() {
    // On the paused clock, as the other tests (see the module's comment);
    // the client's only setting is a longer timeout, which is not part of
    // the retry policy.
    tick_the_paused_clock();
    // The service's limit is per minute (Chatwoot: 3000 a minute): a fast
    // client fills a window early, then is refused until it ends. Scaled
    // down: 10 requests a window of 3 s. With the default retry policy (5
    // attempts), requests refused while the limiter waits the window out
    // must not run out of attempts: the limiter, not the request, decides
    // when they go again, and the policy's time budget bounds it.
    let server = MockServer::builder()
        .accounts(1)
        .leads(250)
        .latency(Duration::from_millis(5))
        .throttle(Throttle::new(10, Duration::from_secs(3)))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let started = Instant::now();
    let leads = export_ids(&client, server.account_id(), 4)
        .await
        .expect("the export waits the windows out");
    assert_eq!(leads, ids_in_order(&server));
    // 25 pages at 10 a window: the third window.
    assert!(started.elapsed() >= Duration::from_secs(6));
    let refused = server.throttled_count();
    println!(
        "25 pages, 10 a 3 s window, default policy: {:.1} s, {refused} refused",
        started.elapsed().as_secs_f64()
    );
    // Each of the two windows waited out: the requests in flight when it
    // filled, and the probes (their pauses growing); not a retry of every
    // request every few hundred milliseconds (hundreds refused). 19-22 on
    // an idle machine; on a loaded one the paused clock jumps ahead while
    // the mock's real sockets wait, more requests are in flight when a
    // window fills, and four copies of this suite at once on two cores
    // saw up to 35 (39 after the guessed lengths): hence half as much
    // again as two windows' worth.
    assert!(refused <= 3 * (4 + 16), "{refused} refused");
}

#[tokio::test(start_paused = true)]
async fn a_cap_holds_from_the_start_and_bad_caps_are_refused() {
    // A lower bound on the time taken: a busy machine cannot make it fail,
    // and without the cap the 30 requests take a few milliseconds at most
    // on the paused clock.
    tick_the_paused_clock();
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let capped = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .timeout(TIMEOUT)
        .max_requests_per_second(20.0)
        .build()
        .unwrap();
    assert_eq!(capped.rate_limit().requests_per_second, Some(20.0));
    let started = Instant::now();
    let pages = capped
        .leads(server.account_id())
        .list()
        .per_page(10)
        .concurrency(8)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(pages.len(), 30);
    // 30 requests at 20 a second: the first at once, 29 more over 1.45 s.
    assert!(started.elapsed() >= Duration::from_millis(1400));

    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let error = Client::builder()
            .token("t")
            .max_requests_per_second(bad)
            .build()
            .unwrap_err();
        match error {
            Error::Config(e) => {
                assert_eq!(e.setting, Setting::RateLimit);
                assert!(e.to_string().contains("max_requests_per_second"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_disabled_retry_policy_sends_each_request_once_even_in_a_run_of_429s() {
    use voxys_connect_mock::{Fault, FaultRule};
    let server = MockServer::builder()
        .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1_000))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let leads = client.leads(server.account_id());
    // Eight at once: a run of 429s the limiter would otherwise wait out,
    // without counting them as attempts.
    let results = futures::future::join_all((1..=8).map(|id| leads.get(id).send())).await;
    for result in results {
        assert!(
            matches!(result, Err(Error::RateLimited { .. })),
            "{result:?}"
        );
    }
    assert_eq!(server.request_count(), 8);
}
