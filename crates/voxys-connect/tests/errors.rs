//! What the API really answers, mapped to `Error`, retried when it may pass,
//! and never carrying the token.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use voxys_connect::{Client, Error, RetryPolicy};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn list_error(server: &MockServer) -> Error {
    client_for(server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap_err()
}

fn assert_clean(error: &Error) {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "the token leaked: {shown}");
    assert!(
        shown.contains("list_leads"),
        "the operation is named: {shown}"
    );
}

#[tokio::test]
async fn invalid_token_is_unauthorized_with_the_servers_message() {
    let server = server_answering(
        ResponseTemplate::new(401).set_body_json(json!({"error": "Invalid Access Token"})),
    )
    .await;
    let error = list_error(&server).await;
    match &error {
        Error::Unauthorized {
            status, message, ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(message, "Invalid Access Token");
        }
        other => panic!("{other:?}"),
    }
    let shown = error.to_string();
    assert!(
        shown.contains("unauthorized (401): Invalid Access Token"),
        "{shown}"
    );
    assert!(
        shown.contains("VOXYS_API_TOKEN"),
        "says what to do: {shown}"
    );
    assert!(!error.is_retryable());
    assert_eq!(request_count(&server).await, 1, "401 is not retried");
    assert_clean(&error);
}

#[tokio::test]
async fn missing_header_body_is_unauthorized_too() {
    let body = json!({"errors": ["You need to sign in or sign up before continuing."]});
    let server = server_answering(ResponseTemplate::new(401).set_body_json(body)).await;
    match list_error(&server).await {
        Error::Unauthorized { message, .. } => {
            assert_eq!(message, "You need to sign in or sign up before continuing.")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn not_found_names_the_fix() {
    let server = server_answering(
        ResponseTemplate::new(404).set_body_json(json!({"error": "Resource could not be found"})),
    )
    .await;
    let error = list_error(&server).await;
    assert!(
        matches!(&error, Error::NotFound { message, .. } if message == "Resource could not be found")
    );
    assert!(
        error.to_string().contains("check the account id"),
        "{error}"
    );
    assert_eq!(error.status(), Some(404));
    assert_eq!(request_count(&server).await, 1, "404 is not retried");
    assert_clean(&error);
}

#[tokio::test]
async fn validation_errors_carry_message_and_attributes() {
    let body = json!({"message": "Per page must be less than or equal to 100", "attributes": ["per_page"]});
    let server = server_answering(ResponseTemplate::new(422).set_body_json(body)).await;
    let error = list_error(&server).await;
    match &error {
        Error::Validation {
            message,
            attributes,
            fields,
            ..
        } => {
            assert_eq!(message, "Per page must be less than or equal to 100");
            assert_eq!(attributes, &["per_page"]);
            assert_eq!(
                fields.get("per_page").map(Vec::as_slice),
                Some(&["Per page must be less than or equal to 100".to_owned()][..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("correct `per_page` and send it again"),
        "{error}"
    );
    assert_eq!(request_count(&server).await, 1, "422 is not retried");

    let missing = server_answering(
        ResponseTemplate::new(422)
            .set_body_json(json!({"error": "param is missing or the value is empty: status"})),
    )
    .await;
    assert!(matches!(
        list_error(&missing).await,
        Error::Validation { message, attributes, .. } if message.contains("param is missing") && attributes.is_empty()
    ));
}

#[tokio::test]
async fn rate_limiting_without_retry_after_backs_off_and_gives_up_after_the_attempts() {
    let server =
        server_answering(ResponseTemplate::new(429).set_body_raw("Retry later", "text/plain"))
            .await;
    // Each request on its own (the adaptive limiter takes charge of a run
    // of 429s: see the next test).
    let error = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .retry_policy(quick_retries(4))
        .adaptive_rate_limit(false)
        .build()
        .unwrap()
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::RateLimited {
            retry_after,
            attempts,
            ..
        } => {
            assert_eq!(*retry_after, None);
            assert_eq!(*attempts, 4);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(request_count(&server).await, 4, "attempts are capped");
    assert!(error.is_retryable());
    assert!(
        error
            .to_string()
            .contains("rate limited (429) after 4 attempt(s)"),
        "{error}"
    );
    assert_clean(&error);
}

#[tokio::test]
async fn a_server_that_refuses_everything_is_given_up_on_at_the_time_budget() {
    // The default client's limiter waits a run of 429s out (a window can
    // last a minute) without using up the request's attempts: a server that
    // never stops refusing is given up on when the policy's time budget is
    // spent, with the error the attempts would have given.
    let server =
        server_answering(ResponseTemplate::new(429).set_body_raw("Retry later", "text/plain"))
            .await;
    let budget = Duration::from_secs(2);
    let started = std::time::Instant::now();
    let error = client_with(&server.uri(), quick_retries(4).max_elapsed(budget))
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(took <= budget + Duration::from_secs(1), "{took:?}");
    match &error {
        Error::RateLimited { attempts, .. } => {
            assert!(*attempts > 4, "the limiter's probes: {attempts}");
            assert_eq!(request_count(&server).await, *attempts as usize);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("allow more retry time"),
        "{error}"
    );
    assert_clean(&error);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    // How long the client waits for a Retry-After is tested on a paused
    // clock (retry.rs); here, that the header is read and the call retried.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_raw("Retry later", "text/plain"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body([1], 1, 1, 1)))
        .mount(&server)
        .await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(request_count(&server).await, 2);

    // The wait asked for is read from the header, seconds or HTTP date.
    let server =
        server_answering(ResponseTemplate::new(429).insert_header("retry-after", "7")).await;
    let error = client_with(&server.uri(), RetryPolicy::disabled())
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
    assert!(
        error.to_string().contains("the server asked to wait 7s"),
        "{error}"
    );
}

#[tokio::test]
async fn html_503_from_a_proxy_is_retried_then_reported_with_its_text() {
    let page = "<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>\n<body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>";
    let server = server_answering(ResponseTemplate::new(503).set_body_raw(page, "text/html")).await;
    let error = list_error(&server).await;
    match &error {
        Error::Server {
            status,
            snippet,
            attempts,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(*attempts, 4);
            assert!(
                snippet.starts_with("503 Service Temporarily Unavailable"),
                "{snippet}"
            );
            assert!(!snippet.contains('<'), "HTML is reduced to text: {snippet}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(request_count(&server).await, 4);
    assert!(error.to_string().contains("try again later"), "{error}");
    assert_clean(&error);
}

#[tokio::test]
async fn a_transient_502_is_retried_and_the_call_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw("<html><title>502 Bad Gateway</title></html>", "text/html"),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body([1, 2, 3], 1, 1, 3)))
        .mount(&server)
        .await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_500_is_not_retried() {
    let server =
        server_answering(ResponseTemplate::new(500).set_body_json(json!({"error": "boom"}))).await;
    let error = list_error(&server).await;
    assert!(
        matches!(
            error,
            Error::Server {
                status: 500,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let server = server_answering(ResponseTemplate::new(503)).await;
    let client = client_with(&server.uri(), RetryPolicy::disabled());
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Server {
                status: 503,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn the_total_time_budget_stops_retries() {
    let server =
        server_answering(ResponseTemplate::new(429).insert_header("retry-after", "2")).await;
    let client = client_with(
        &server.uri(),
        quick_retries(10).max_elapsed(Duration::from_millis(500)),
    );
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::RateLimited {
                attempts: 1,
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        request_count(&server).await,
        1,
        "a 2 s wait does not fit a 0.5 s budget"
    );
}

#[tokio::test]
async fn timeouts_are_retried_and_reported() {
    let server = server_answering(
        ResponseTemplate::new(200)
            .set_body_json(list_body([1], 1, 1, 1))
            .set_delay(Duration::from_millis(400)),
    )
    .await;
    let client = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .timeout(Duration::from_millis(50))
        .retry_policy(quick_retries(2))
        .build()
        .unwrap();
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        error.to_string().contains("timed out after 2 attempt(s)"),
        "{error}"
    );
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn connection_errors_are_retried_and_reported() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client_with(&format!("http://127.0.0.1:{port}"), quick_retries(3));
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    match &error {
        Error::Transport { attempts, .. } => assert_eq!(*attempts, 3),
        other => panic!("{other:?}"),
    }
    let shown = error.to_string();
    assert!(
        shown.contains("network error after 3 attempt(s)"),
        "{shown}"
    );
    assert!(
        shown.to_lowercase().contains("connect"),
        "the cause is shown: {shown}"
    );
    assert_clean(&error);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_names_the_path_and_shows_the_place() {
    let mut bad = lead(3);
    bad["created_at"] = json!("last tuesday");
    let body = json!({"data": [lead(1), lead(2), bad], "meta": {"current_page": 1, "total_pages": 1, "total_count": 3}});
    let server = server_answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let error = list_error(&server).await;
    match &error {
        Error::Decode {
            status,
            path,
            snippet,
            ..
        } => {
            assert_eq!(*status, 200);
            assert_eq!(path, "data[2].created_at");
            assert!(snippet.contains("last tuesday"), "{snippet}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable());
    assert_eq!(request_count(&server).await, 1);
    assert_clean(&error);
}

#[tokio::test]
async fn an_html_page_with_status_200_is_a_decode_error() {
    let server = server_answering(
        ResponseTemplate::new(200)
            .set_body_raw("<html><body>Maintenance</body></html>", "text/html"),
    )
    .await;
    let error = list_error(&server).await;
    assert!(
        matches!(&error, Error::Decode { snippet, .. } if snippet.contains("Maintenance")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_token_echoed_by_the_server_is_redacted() {
    let body = json!({"error": format!("token {TOKEN} is not valid")});
    let server = server_answering(ResponseTemplate::new(401).set_body_json(body)).await;
    let error = list_error(&server).await;
    assert!(
        error.to_string().contains("token [redacted] is not valid"),
        "{error}"
    );
    assert_clean(&error);

    let server = server_answering(
        ResponseTemplate::new(502).set_body_string(format!("upstream rejected {TOKEN}")),
    )
    .await;
    let error = list_error(&server).await;
    assert_clean(&error);
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed() {
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(list_body([1], 1, 1, 1)))
        .mount(&other)
        .await;
    // 127.0.0.1 and localhost are different hosts to a browser and to us.
    let elsewhere = other.uri().replace("127.0.0.1", "localhost");
    let server = server_answering(
        ResponseTemplate::new(302).insert_header("location", format!("{elsewhere}/leads")),
    )
    .await;
    let error = list_error(&server).await;
    match &error {
        Error::UnexpectedStatus {
            status, location, ..
        } => {
            assert_eq!(*status, 302);
            assert!(location.as_deref().unwrap().ends_with("/leads"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        request_count(&other).await,
        0,
        "the token never went to the other host"
    );
}

#[tokio::test]
async fn every_error_from_an_answer_carries_the_servers_request_id() {
    let id = "6f1c2a9e-7b4d-4c1a-9e0f-3d2b1a0c9e8f";
    let cases = [
        ResponseTemplate::new(401).set_body_json(json!({"error": "Invalid Access Token"})),
        ResponseTemplate::new(404).set_body_json(json!({"error": "Resource could not be found"})),
        ResponseTemplate::new(422).set_body_json(json!({"message": "bad", "attributes": ["page"]})),
        ResponseTemplate::new(429).set_body_raw("Retry later", "text/plain"),
        ResponseTemplate::new(500).set_body_raw("<html>boom</html>", "text/html"),
        ResponseTemplate::new(302).insert_header("location", "http://localhost:9/elsewhere"),
        // A 200 whose body does not decode: the id comes from the headers all
        // the same.
        ResponseTemplate::new(200).set_body_json(json!({"data": "no"})),
    ];
    for response in cases {
        let server = server_answering(response.insert_header("x-request-id", id)).await;
        let error = client_with(&server.uri(), RetryPolicy::disabled())
            .leads(ACCOUNT)
            .list()
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.request_id(), Some(id), "{error:?}");
        assert!(
            error.to_string().contains(&format!("(request id {id})")),
            "{error}"
        );
    }
    // Without the header there is none, and the message does not pretend.
    let server =
        server_answering(ResponseTemplate::new(404).set_body_json(json!({"error": "x"}))).await;
    let error = list_error(&server).await;
    assert_eq!(error.request_id(), None);
    assert!(!error.to_string().contains("request id"), "{error}");
}

#[tokio::test]
async fn a_host_that_does_not_resolve_fails_at_once_saying_so() {
    // `.invalid` never resolves (RFC 6761).
    let client = Client::builder()
        .token(TOKEN)
        .base_url("https://voxys-connect.invalid")
        .build()
        .unwrap();
    let error = client.leads(ACCOUNT).list().send().await.unwrap_err();
    match &error {
        Error::Dns { host, .. } => assert_eq!(host, "voxys-connect.invalid"),
        other => panic!("{other:?}"),
    }
    assert!(!error.is_retryable(), "not retried");
    assert!(
        error
            .to_string()
            .contains("cannot resolve the host voxys-connect.invalid"),
        "{error}"
    );
    assert!(error.to_string().contains("check the base URL"), "{error}");
}

#[tokio::test]
async fn nginx_answering_plain_http_on_its_tls_port_is_the_wrong_scheme() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(wiremock::ResponseTemplate::new(400).set_body_string(
            "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head><body><center><h1>400 Bad Request</h1></center><center>The plain HTTP request was sent to HTTPS port</center><hr><center>nginx</center></body></html>",
        ))
        .mount(&server)
        .await;
    let client = voxys_connect::Client::builder()
        .token("t0ken")
        .base_url(server.uri())
        .build()
        .unwrap();
    let error = client.leads(1).get(1).send().await.unwrap_err();
    let voxys_connect::Error::WrongScheme { server_speaks, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*server_speaks, "https");
    assert!(error.to_string().contains("https://"), "{error}");
}
