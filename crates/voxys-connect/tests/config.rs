//! Configuration: builder options reach the wire, the environment is read, and
//! the token stays secret in Debug output, errors and tracing.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use voxys_connect::error::{Problem, Setting};
use voxys_connect::{Client, Error};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn base_url_prefix_user_agent_and_token_reach_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/api/v1/accounts/17/leads"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body([1], 1, 1, 1)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .token(format!("  {TOKEN}\n"))
        .base_url(format!("{}/crm/", server.uri()))
        .user_agent("lead-sync/2.1")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), format!("{}/crm", server.uri()));
    client.leads(ACCOUNT).list().send().await.unwrap();
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers["api_access_token"], TOKEN,
        "trimmed token sent"
    );
    assert_eq!(request.headers["user-agent"], "lead-sync/2.1");
}

#[tokio::test]
async fn a_callers_http_settings_keep_the_token_agent_and_timeout() {
    let server = server_answering(
        ResponseTemplate::new(200)
            .set_body_json(list_body([1], 1, 1, 1))
            .set_delay(Duration::from_millis(300)),
    )
    .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .configure_http(|http| http.user_agent("theirs/1").pool_max_idle_per_host(1))
        .timeout(Duration::from_millis(50))
        .retry_policy(quick_retries(1))
        .build()
        .unwrap();
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { .. }),
        "the timeout applies: {error:?}"
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers["api_access_token"], TOKEN);
    assert_eq!(
        request.headers["user-agent"],
        concat!("voxys-connect/", env!("CARGO_PKG_VERSION"))
    );
}

/// A server that redirects every request to `to`.
async fn redirecting_to(to: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{to}{LIST_PATH}")),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_token_never_follows_a_redirect_to_another_port_whatever_the_http_settings() {
    let other = server_with_leads(3).await;
    let redirecting = redirecting_to(&other.uri()).await;
    let default = client_for(&redirecting);
    // A caller who asks reqwest to follow every redirect.
    let following = Client::builder()
        .token(TOKEN)
        .base_url(redirecting.uri())
        .configure_http(|http| http.redirect(reqwest::redirect::Policy::limited(10)))
        .build()
        .unwrap();
    for client in [default, following] {
        let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
        match &error {
            Error::UnexpectedStatus {
                status: 302,
                location: Some(location),
                ..
            } => assert!(location.starts_with(&other.uri()), "{location}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(request_count(&redirecting).await, 2);
    assert_eq!(
        request_count(&other).await,
        0,
        "the other port never saw a request, so never the token"
    );
}

#[tokio::test]
async fn a_redirect_within_the_same_origin_is_followed_with_the_token() {
    let server = MockServer::start().await;
    let moved = format!("/v2{LIST_PATH}");
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(ResponseTemplate::new(301).insert_header("location", moved.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(moved.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body([1, 2], 1, 1, 2)))
        .mount(&server)
        .await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].url.path(), moved);
    assert_eq!(requests[1].headers["api_access_token"], TOKEN);
}

#[test]
fn a_missing_or_broken_token_is_a_configuration_error() {
    let missing = Client::builder().build().unwrap_err();
    assert!(
        matches!(&missing, Error::Config(e) if e.setting == Setting::Token && e.problem == Problem::Missing),
        "{missing:?}"
    );
    assert!(missing.to_string().contains("VOXYS_API_TOKEN"), "{missing}");
    let empty = Client::builder().token("  \n").build().unwrap_err();
    assert!(
        empty.to_string().contains("the API token is empty"),
        "{empty}"
    );
    let broken = Client::builder().token("abc\ndef").build().unwrap_err();
    assert!(
        broken.to_string().contains("U+000A at character 4"),
        "{broken}"
    );
    // A zero-width space pasted with the token: refused, and the message
    // shows neither the token nor `[redacted]` everywhere.
    let pasted = Client::builder()
        .token(format!("{TOKEN}\u{200B}"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(pasted.contains("U+200B at character 17"), "{pasted}");
    assert!(
        !pasted.contains(TOKEN) && !pasted.contains("[redacted]"),
        "{pasted}"
    );
}

#[test]
fn plain_http_to_another_host_is_refused_unless_allowed() {
    let refused = Client::builder()
        .token(TOKEN)
        .base_url("http://crm.example.com")
        .build()
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("refusing to send the API token over plain http"),
        "{refused}"
    );
    assert!(!refused.to_string().contains(TOKEN));
    Client::builder()
        .token(TOKEN)
        .base_url("http://crm.example.com")
        .allow_plain_http(true)
        .build()
        .unwrap();
    Client::builder()
        .token(TOKEN)
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let hosted = Client::builder().token(TOKEN).build().unwrap();
    assert_eq!(hosted.base_url(), "https://connect.voxys.ai");
}

#[test]
fn debug_output_masks_the_token() {
    let builder = Client::builder().token(TOKEN);
    let client = builder.clone().build().unwrap();
    for shown in [
        format!("{builder:?}"),
        format!("{client:?}"),
        format!("{:?}", client.leads(1).list()),
    ] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("ApiToken(****)"), "{shown}");
    }
}

#[tokio::test]
async fn from_env_reads_token_base_url_and_account() {
    if in_child() {
        // In the child: the variables are set.
        let client = Client::from_env().unwrap();
        let account = voxys_connect::config::account_id_from_env().unwrap();
        let page = client.leads(account).list().send().await.unwrap();
        println!("CHILD-OK {} {}", page.len(), client.base_url());
        return;
    }
    let server = server_with_leads(3).await;
    let uri = server.uri();
    let output = run_child(
        "from_env_reads_token_base_url_and_account",
        &[
            ("VOXYS_API_TOKEN", TOKEN),
            ("VOXYS_BASE_URL", &uri),
            ("VOXYS_ACCOUNT_ID", "17"),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("CHILD-OK 3 {uri}")), "{stdout}");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers["api_access_token"], TOKEN);
}

#[test]
fn from_env_without_a_token_names_the_variable() {
    if in_child() {
        let error = Client::from_env().unwrap_err();
        let account = voxys_connect::config::account_id_from_env().unwrap_err();
        println!("CHILD-ERR {error} | {account}");
        return;
    }
    let output = run_child("from_env_without_a_token_names_the_variable", &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("CHILD-ERR configuration: no API token: set VOXYS_API_TOKEN"),
        "{stdout}"
    );
    assert!(stdout.contains("VOXYS_ACCOUNT_ID is not set"), "{stdout}");
}

/// A tracing writer that keeps what it is given.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tracing_shows_each_attempt_and_never_the_token() {
    // tracing caches, per call site, whether any subscriber wants it; a test
    // on another thread reaching the call site first, with none, can hide
    // the spans from this one. So the test runs alone, in a process of its
    // own.
    if !in_child() {
        let output =
            run_child_async("tracing_shows_each_attempt_and_never_the_token", Vec::new()).await;
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    // One 503 whose body echoes the token, then success.
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_string(format!("upstream said {TOKEN}"))
                .insert_header("x-request-id", "req-first"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(list_body([1], 1, 1, 1))
                .insert_header("x-request-id", "req-second"),
        )
        .mount(&server)
        .await;
    client_for(&server)
        .leads(ACCOUNT)
        .list()
        .per_page(5)
        .send()
        .await
        .unwrap();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        !log.contains(TOKEN),
        "the token leaked into tracing:\n{log}"
    );
    for expected in [
        "voxys_connect.request",
        "operation=\"list_leads\"",
        "path=\"/api/v1/accounts/17/leads\"",
        "query=\"page=1&per_page=5\"",
        "attempt=1",
        "attempt=2",
        "status=503",
        "status=200",
        "duration_ms=",
        "request_id=\"req-first\"",
        "request_id=\"req-second\"",
        "request failed, retrying",
    ] {
        assert!(log.contains(expected), "missing {expected:?} in:\n{log}");
    }
}
