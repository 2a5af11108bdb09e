//! The request pipeline under operations added by the plain recipe (the
//! document, the generated code, one accessor): `get_lead` and
//! `lead_stats` get retries, the rate limiter and typed errors with the
//! request id like every operation, through a fault proxy that is not the
//! mock; and any 2xx with the documented body is success.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

mod common;
use common::{assert_same_lead, held, quick_retries};

/// What the fault proxy does to the request it is handed, by its number
/// (from 0): drop the connection without answering, answer 502 itself,
/// delay then forward, or forward.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Act {
    Drop,
    BadGateway,
    Delay,
    Forward,
}

/// A fault proxy of its own, in front of `upstream` (`host:port`): each
/// connection carries one request, which it drops, answers 502, delays or
/// forwards as `plan` says for that request's number. Counts the requests
/// it was handed.
struct FaultProxy {
    url: String,
    handed: Arc<AtomicU64>,
}

impl FaultProxy {
    async fn start(upstream: String, plan: fn(u64) -> Act) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handed = Arc::new(AtomicU64::new(0));
        let count = handed.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = count.fetch_add(1, Ordering::SeqCst);
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let _ = relay(client, &upstream, plan(n)).await;
                });
            }
        });
        FaultProxy { url, handed }
    }

    fn handed(&self) -> u64 {
        self.handed.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and `Content-Length` body) and acts on it.
async fn relay(mut client: TcpStream, upstream: &str, act: Act) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + length {
        let n = client.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    match act {
        Act::Drop => return Ok(()),
        Act::BadGateway => {
            let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
            let answer = format!(
                "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            return client.write_all(answer.as_bytes()).await;
        }
        Act::Delay => tokio::time::sleep(Duration::from_millis(300)).await,
        Act::Forward => {}
    }
    // One request a connection: ask the server to close after answering,
    // then copy its answer back to the end.
    let text = String::from_utf8_lossy(&request[..head_end])
        .replace("\r\n\r\n", "\r\nconnection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(text.as_bytes()).await?;
    server.write_all(&request[head_end..]).await?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await?;
    client.write_all(&answer).await
}

fn client_through(proxy: &FaultProxy, server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(&proxy.url)
        .allow_plain_http(true)
        .retry_policy(retry)
        .build()
        .unwrap()
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

#[tokio::test]
async fn get_and_stats_come_through_drops_delays_and_502s() {
    let server = MockServer::builder()
        .accounts(1)
        .leads(40)
        .start()
        .await
        .unwrap();
    // Of every four requests: the first dropped, the second a proxy's 502,
    // the third delayed, the fourth forwarded.
    let proxy = FaultProxy::start(host_port(server.url()), |n| match n % 4 {
        0 => Act::Drop,
        1 => Act::BadGateway,
        2 => Act::Delay,
        _ => Act::Forward,
    })
    .await;
    let client = client_through(&proxy, &server, quick_retries(6));
    let leads = client.leads(server.account_id());
    let raw = held(&server);
    for lead in raw.iter().take(5) {
        let id = lead["id"].as_i64().unwrap();
        let got = leads.get(id).send().await.unwrap();
        assert_same_lead(&got, lead);
    }
    let stats = leads.stats().send().await.unwrap();
    // The totals, counted here from the mock's own data.
    let count = |status: &str| raw.iter().filter(|l| l["status"] == status).count() as i64;
    assert_eq!(stats.total, raw.len() as i64);
    assert_eq!(
        (stats.open, stats.won, stats.lost),
        (count("open"), count("won"), count("lost"))
    );
    // Calls one after another: the first meets a drop, a 502 and a delay
    // before its answer (3 requests), the second goes straight through (1),
    // and so on: 6 calls, 12 requests, no request sent more than needed.
    assert_eq!(proxy.handed(), 12, "three faults met by every other call");
}

#[tokio::test]
async fn errors_of_a_plain_operation_carry_the_request_id_and_the_attempts() {
    let server = MockServer::builder()
        .accounts(1)
        .leads(3)
        .start()
        .await
        .unwrap();
    // Every request forwarded: a lead that does not exist is the API's 404.
    let proxy = FaultProxy::start(host_port(server.url()), |_| Act::Forward).await;
    let client = client_through(&proxy, &server, quick_retries(3));
    let error = client
        .leads(server.account_id())
        .get(999_999)
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::NotFound {
            operation,
            request_id,
            ..
        } => {
            assert_eq!(*operation, "get_lead");
            assert!(
                request_id.is_some(),
                "the mock names every request: {error}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("(request id "), "{error}");
    assert_eq!(proxy.handed(), 1, "a 404 is not retried");

    // Every request a proxy's 502: retried to the end of the policy, then
    // reported with the attempts and what the page said.
    let proxy = FaultProxy::start(host_port(server.url()), |_| Act::BadGateway).await;
    let client = client_through(&proxy, &server, quick_retries(3));
    let error = client
        .leads(server.account_id())
        .stats()
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::Server {
            operation,
            status: 502,
            attempts: 3,
            snippet,
            ..
        } => {
            assert_eq!(*operation, "lead_stats");
            assert!(snippet.contains("502 Bad Gateway"), "{snippet}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(proxy.handed(), 3);
}

#[tokio::test]
async fn out_of_range_ids_are_refused_before_sending() {
    let server = wiremock::MockServer::start().await;
    let client = common::client_for(&server);
    for (error, name) in [
        (client.leads(1).get(0).send().await.unwrap_err(), "id"),
        (
            client.leads(-4).stats().send().await.unwrap_err(),
            "account_id",
        ),
    ] {
        match &error {
            Error::InvalidParameter { name: got, .. } => assert_eq!(*got, name),
            other => panic!("{other:?}"),
        }
        assert!(error.to_string().contains("from 1 up"), "{error}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A card as the API answers a conversion.
fn card() -> Value {
    serde_json::json!({
        "id": 55, "funnel_id": 3, "funnel_stage_id": 7, "position": 1,
        "lead": common::lead(42),
        "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-01T10:00:00Z"
    })
}

#[tokio::test]
async fn a_conversion_answered_201_or_200_is_a_success_sent_once() {
    for status in [201, 200] {
        let server = wiremock::MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/accounts/17/funnels/3/cards"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v1/accounts/17/leads/42/convert"))
            .respond_with(ResponseTemplate::new(status).set_body_json(card()))
            .expect(1)
            .mount(&server)
            .await;
        let client = common::client_for(&server);
        let card = client.leads(17).convert(42, 3).send().await.unwrap();
        assert_eq!((card.id, card.lead.id), (55, 42), "answered {status}");
        let posts = server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(
            posts, 1,
            "answered {status}: converted once, no settle read"
        );
    }
}

#[tokio::test]
async fn the_generated_client_goes_through_the_pipeline_too() {
    // Client::api() is retried by the operation's class: a read comes
    // through two 503s.
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::lead(42)))
        .mount(&server)
        .await;
    let client = common::client_for(&server);
    let lead = client
        .api()
        .get_lead()
        .account_id(17)
        .id(42)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lead.id, 42);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    // A second-effect operation is not repeated after a lost answer: with no
    // way to look for what it made, the generated client reports the 502.
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let client = common::client_for(&server);
    let body = voxys_connect::api::types::LeadConversion::new(3, None);
    let result = client
        .api()
        .convert_lead()
        .account_id(17)
        .lead_id(42)
        .body(body)
        .send()
        .await;
    assert!(result.is_err());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "never sent twice"
    );
}
