//! Helpers shared by the wrapper's tests: a local HTTP server (wiremock on
//! 127.0.0.1) answering like the API, and clients pointed at it.
#![allow(dead_code, missing_docs)]

use std::time::Duration;

use serde_json::{Value, json};
use voxys_connect::{Client, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const TOKEN: &str = "tok-9f8e7d6c5b4a";
pub const ACCOUNT: i64 = 17;
pub const LIST_PATH: &str = "/api/v1/accounts/17/leads";

/// A lead as the API sends it.
pub fn lead(id: i64) -> Value {
    json!({
        "id": id,
        "custom_name": format!("Lead {id}"),
        "status": "open",
        "lead_value": 1000 + id,
        "lead_currency": "USD",
        "position": id,
        "notes": null,
        "assigned_agent": {"id": 1, "name": "Jane Smith", "email": "jane@example.com", "avatar_url": ""},
        "company": null,
        "conversation_id": null,
        "custom_attributes": {},
        "created_at": "2024-05-01T10:00:00Z",
        "updated_at": "2024-05-02T11:30:00Z"
    })
}

/// A list body with leads `ids`.
pub fn list_body(
    ids: impl IntoIterator<Item = i64>,
    page: u64,
    total_pages: u64,
    total_count: u64,
) -> Value {
    json!({
        "data": ids.into_iter().map(lead).collect::<Vec<_>>(),
        "meta": {"current_page": page, "total_pages": total_pages, "total_count": total_count}
    })
}

/// The `page` query parameter of a request (1 when absent).
pub fn page_of(request: &Request) -> u64 {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// A query parameter of a request.
pub fn param(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A server holding `count` leads (ids 1..=count), paged by `per_page` as the
/// API pages them.
pub async fn server_with_leads(count: u64) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(move |request: &Request| {
            let per_page: u64 = param(request, "per_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(25);
            let page = page_of(request);
            let total_pages = count.div_ceil(per_page);
            let first = (page - 1) * per_page + 1;
            let ids = (first..=count.min(page * per_page)).map(|id| id as i64);
            ResponseTemplate::new(200).set_body_json(list_body(ids, page, total_pages, count))
        })
        .mount(&server)
        .await;
    server
}

/// A server that answers every list request with `response`.
pub async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// Retries that wait a few milliseconds, so that tests run fast.
pub fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
        .max_retry_after(Duration::from_secs(2))
}

/// A client for `server`, with quick retries.
pub fn client_for(server: &MockServer) -> Client {
    client_with(&server.uri(), quick_retries(4))
}

/// A client for the server at `base_url`, retrying as `retry` says.
pub fn client_with(base_url: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(base_url)
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// How many requests the server received.
pub async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// The variables a child process of a test starts without: the SDK's own and
/// the proxy settings, so that only what the test sets applies.
pub const CHILD_ENV_CLEARED: [&str; 10] = [
    "VOXYS_API_TOKEN",
    "VOXYS_BASE_URL",
    "VOXYS_ACCOUNT_ID",
    "VOXYS_CA_CERT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// Runs this test binary again, with `env`, to run `test` alone in a process
/// of its own (the environment is process-wide). The child sees
/// `VOXYS_TEST_CHILD`.
pub fn run_child(test: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("VOXYS_TEST_CHILD", "1");
    for name in CHILD_ENV_CLEARED {
        command.env_remove(name);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// [`run_child`] off the async runtime, so that servers running on it (the
/// project's mock, a proxy) keep answering the child.
pub async fn run_child_async(
    test: &'static str,
    env: Vec<(String, String)>,
) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_child(test, &env)
    })
    .await
    .unwrap()
}

/// Whether this process is a child started by [`run_child`].
pub fn in_child() -> bool {
    std::env::var_os("VOXYS_TEST_CHILD").is_some()
}

/// A forward proxy on 127.0.0.1 that keeps the request line of everything it
/// is asked: `CONNECT host:port` is tunnelled to `host:port`; a plain request
/// (`GET http://...`) is answered with one page holding lead 1, so that a
/// client shows whether it came through the proxy.
pub struct Proxy {
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    pub async fn start() -> Proxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    // The request head, up to the blank line.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    log.lock().unwrap().push(line.clone());
                    if let Some(target) = line
                        .strip_prefix("CONNECT ")
                        .and_then(|rest| rest.split_whitespace().next())
                    {
                        let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let _ = client
                            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                            .await;
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    } else {
                        let body = list_body([1], 1, 1, 1).to_string();
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = client.write_all(answer.as_bytes()).await;
                    }
                });
            }
        });
        Proxy { url, seen }
    }

    /// The request lines received so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Asserts that `lead`, as the SDK decoded it, says what `raw` says: `raw` is
/// the lead as the mock server holds it, JSON read by serde_json alone. Each
/// member is compared on its own, so that a member decoded into the wrong
/// field, or lost, shows; the two sides share no decoding code.
pub fn assert_same_lead(lead: &voxys_connect::types::Lead, raw: &Value) {
    use std::str::FromStr;
    let id = lead.id;
    let text = |member: &str| raw[member].as_str().map(str::to_owned);
    let integer = |member: &str| raw[member].as_i64();
    let instant = |member: &str| {
        chrono::DateTime::parse_from_rfc3339(raw[member].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(Some(lead.id), integer("id"));
    assert_eq!(lead.custom_name, text("custom_name"), "lead {id}");
    assert_eq!(
        Some(lead.status.as_str()),
        raw["status"].as_str(),
        "lead {id}"
    );
    let value = raw["lead_value"]
        .as_number()
        .map(|n| voxys_connect::types::Decimal::from_str(&n.to_string()).unwrap());
    assert_eq!(lead.lead_value.map(|v| v.as_decimal()), value, "lead {id}");
    assert_eq!(lead.lead_currency, text("lead_currency"), "lead {id}");
    assert_eq!(lead.position, integer("position"), "lead {id}");
    assert_eq!(lead.notes, text("notes"), "lead {id}");
    match (&lead.assigned_agent, &raw["assigned_agent"]) {
        (None, Value::Null) => {}
        (Some(agent), raw) => {
            assert_eq!(Some(agent.id), raw["id"].as_i64(), "lead {id}");
            assert_eq!(Some(agent.name.as_str()), raw["name"].as_str(), "lead {id}");
            assert_eq!(agent.email.as_deref(), raw["email"].as_str(), "lead {id}");
            assert_eq!(
                agent.avatar_url.as_deref(),
                raw["avatar_url"].as_str(),
                "lead {id}"
            );
            assert!(agent.extra.is_empty(), "lead {id}");
        }
        (None, other) => panic!("lead {id}: the agent {other} was lost"),
    }
    match (&lead.company, &raw["company"]) {
        (None, Value::Null) => {}
        (Some(company), raw) => {
            assert_eq!(Some(company.id), raw["id"].as_i64(), "lead {id}");
            assert_eq!(
                Some(company.name.as_str()),
                raw["name"].as_str(),
                "lead {id}"
            );
            assert_eq!(
                company.domain.as_deref(),
                raw["domain"].as_str(),
                "lead {id}"
            );
            assert!(company.extra.is_empty(), "lead {id}");
        }
        (None, other) => panic!("lead {id}: the company {other} was lost"),
    }
    assert_eq!(
        lead.conversation_id,
        integer("conversation_id"),
        "lead {id}"
    );
    assert_eq!(
        &Value::Object(lead.custom_attributes.clone()),
        &raw["custom_attributes"],
        "lead {id}"
    );
    assert_eq!(*lead.created_at, instant("created_at"), "lead {id}");
    assert_eq!(*lead.updated_at, instant("updated_at"), "lead {id}");
    assert!(lead.extra.is_empty(), "lead {id}: {:?}", lead.extra);
    assert_eq!(
        raw.as_object().unwrap().len(),
        13,
        "the members checked above"
    );
}

/// [`assert_same_lead`] for every lead, and the same leads in the same order.
pub fn assert_same_leads(leads: &[voxys_connect::types::Lead], raw: &[Value]) {
    let ids: Vec<i64> = leads.iter().map(|l| l.id).collect();
    let raw_ids: Vec<i64> = raw.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, raw_ids, "the same leads, in the same order");
    for (lead, raw) in leads.iter().zip(raw) {
        assert_same_lead(lead, raw);
    }
}

/// The first account's leads as the mock server holds them, in the API's
/// default order (newest first, ties by id), as the JSON it sends.
pub fn held(server: &voxys_connect_mock::MockServer) -> Vec<Value> {
    server
        .account(server.account_id())
        .unwrap()
        .leads_in_default_order()
}
pub mod on_mock;
