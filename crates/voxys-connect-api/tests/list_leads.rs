//! The generated client against a real HTTP server on 127.0.0.1: the request it
//! sends is the one the OpenAPI document describes, and it decodes what the API
//! answers, including what the API sends beyond the document.

use std::collections::BTreeSet;

use std::time::Duration;

use reqwest::header::HeaderValue;
use serde_json::{Value, json};
use voxys_connect_api::types::{ErrorBody, LeadSortField, SortOrder};
use voxys_connect_api::{
    API_KEY_HEADER, Amount, ApiToken, Client, Error, LeadStatus, RequestDefaults,
};
use voxys_connect_spec::Spec;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "test-token-3f9a";
const LIST_PATH: &str = "/paths/~1api~1v1~1accounts~1{account_id}~1leads/get";

/// The seed's example response (the API reference page), as recorded.
fn seed_body() -> Value {
    let text = include_str!("../../../tests/recordings/list_leads_200_seed.json");
    let recording: Value = serde_json::from_str(text).unwrap();
    recording["response"]["body"].clone()
}

fn client_for(server: &MockServer) -> Client {
    let defaults = RequestDefaults::with_token(ApiToken::new(TOKEN).unwrap());
    Client::new_with_client(&server.uri(), reqwest::Client::new(), defaults)
}

async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/17/leads"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn query_pairs(request: &wiremock::Request) -> BTreeSet<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn sends_every_parameter_as_the_spec_describes() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(seed_body())).await;
    client_for(&server)
        .list_leads()
        .account_id(17u64)
        .status(LeadStatus::Won)
        .assigned_agent_id(7u64)
        .source_inbox_id(3u64)
        .sort_by(LeadSortField::LeadValue)
        .sort_order(SortOrder::Asc)
        .page(2u64)
        .per_page(100u64)
        .send()
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), "/api/v1/accounts/17/leads");
    let expected: BTreeSet<(String, String)> = [
        ("status", "won"),
        ("assigned_agent_id", "7"),
        ("source_inbox_id", "3"),
        ("sort_by", "lead_value"),
        ("sort_order", "asc"),
        ("page", "2"),
        ("per_page", "100"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(query_pairs(request), expected);
    assert_eq!(request.headers.get(API_KEY_HEADER).unwrap(), TOKEN);
    assert_eq!(request.headers.get("accept").unwrap(), "application/json");

    // Every query parameter the document declares was sent, under its own name.
    let spec = Spec::bundled();
    let declared: BTreeSet<String> = spec.get(LIST_PATH).unwrap()["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| match p.get("$ref").and_then(Value::as_str) {
            Some(r) => spec.get(r).unwrap().clone(),
            None => p.clone(),
        })
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let sent: BTreeSet<String> = query_pairs(request).into_iter().map(|(k, _)| k).collect();
    assert_eq!(sent, declared);
}

#[tokio::test]
async fn omits_parameters_that_are_not_set() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(seed_body())).await;
    client_for(&server)
        .list_leads()
        .account_id(17u64)
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn sends_every_enum_value_as_its_wire_string() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(seed_body())).await;
    let client = client_for(&server);
    let spec = Spec::bundled();
    let wire = |schema: &str| -> Vec<String> {
        spec.get(&format!("#/components/schemas/{schema}")).unwrap()["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    for value in wire("LeadStatus") {
        let status: LeadStatus = value.parse().unwrap();
        assert!(status.is_known(), "{value} is a documented status");
        client
            .list_leads()
            .account_id(17u64)
            .status(status)
            .send()
            .await
            .unwrap();
    }
    for value in wire("LeadSortField") {
        let field: LeadSortField = value.parse().unwrap();
        client
            .list_leads()
            .account_id(17u64)
            .sort_by(field)
            .send()
            .await
            .unwrap();
    }
    for value in wire("SortOrder") {
        let order: SortOrder = value.parse().unwrap();
        client
            .list_leads()
            .account_id(17u64)
            .sort_order(order)
            .send()
            .await
            .unwrap();
    }
    // A status the SDK does not know yet is still sent as given.
    client
        .list_leads()
        .account_id(17u64)
        .status(LeadStatus::from("archived"))
        .send()
        .await
        .unwrap();

    let sent: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    let mut expected: Vec<String> = Vec::new();
    expected.extend(wire("LeadStatus").iter().map(|v| format!("status={v}")));
    expected.extend(wire("LeadSortField").iter().map(|v| format!("sort_by={v}")));
    expected.extend(wire("SortOrder").iter().map(|v| format!("sort_order={v}")));
    expected.push("status=archived".to_owned());
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn decodes_the_seed_example() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(seed_body())).await;
    let page = client_for(&server)
        .list_leads()
        .account_id(17u64)
        .send()
        .await
        .unwrap()
        .into_inner();

    assert_eq!(
        (
            page.meta.current_page,
            page.meta.total_pages,
            page.meta.total_count
        ),
        (123, 123, 123)
    );
    assert_eq!(page.data.len(), 1);
    let lead = &page.data[0];
    assert_eq!(lead.id, 42);
    assert_eq!(lead.custom_name.as_deref(), Some("Enterprise Deal - Q3"));
    assert_eq!(lead.status, LeadStatus::Open);
    assert_eq!(lead.lead_value, Some(Amount::from(15000)));
    assert_eq!(lead.lead_currency.as_deref(), Some("USD"));
    assert_eq!(lead.position, Some(1));
    assert_eq!(lead.notes.as_deref(), Some("Prospect from trade show"));
    let agent = lead.assigned_agent.as_ref().unwrap();
    assert_eq!((agent.id, agent.name.as_str()), (1, "Jane Smith"));
    assert_eq!(agent.email.as_deref(), Some("jane@example.com"));
    assert_eq!(agent.avatar_url.as_deref(), Some("<string>"));
    let company = lead.company.as_ref().unwrap();
    assert_eq!(
        (company.id, company.name.as_str(), company.domain.as_deref()),
        (10, "Acme Corp", Some("acme.com"))
    );
    assert_eq!(lead.conversation_id, Some(100));
    assert_eq!(
        lead.custom_attributes.get("industry"),
        Some(&json!("Technology"))
    );
    assert_eq!(
        lead.custom_attributes.get("annual_revenue"),
        Some(&json!(500000))
    );
    assert_eq!(lead.created_at.to_rfc3339(), "2023-11-07T05:31:56+00:00");
    assert_eq!(lead.updated_at, lead.created_at);
    assert!(lead.extra.is_empty() && agent.extra.is_empty() && company.extra.is_empty());

    // Encoding again gives back the body received.
    assert_eq!(serde_json::to_value(&page).unwrap(), seed_body());
}

#[tokio::test]
async fn decodes_what_the_api_sends_beyond_the_document() {
    let body = json!({
        "data": [{
            "id": 7,
            "custom_name": null,
            "status": "archived",
            "lead_value": "15000.10",
            "lead_currency": null,
            "position": null,
            "notes": null,
            "assigned_agent": null,
            "company": {"id": 3, "name": "Zeta", "domain": null, "industry": "retail"},
            "conversation_id": null,
            "custom_attributes": {},
            "created_at": "2024-01-02T03:04:05Z",
            "updated_at": "2024-01-02T03:04:05Z",
            "priority": "high",
            "tags": ["vip", 3]
        }],
        "meta": {"current_page": "2", "total_pages": 2, "total_count": "26", "next_page": null}
    });
    let server = server_answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let page = client_for(&server)
        .list_leads()
        .account_id(17u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    let lead = &page.data[0];
    assert!(!lead.status.is_known());
    assert_eq!(lead.status.as_str(), "archived");
    assert_eq!(
        lead.lead_value.unwrap().as_decimal(),
        "15000.1".parse().unwrap()
    );
    assert_eq!(lead.extra.get("priority"), Some(&json!("high")));
    assert_eq!(lead.extra.get("tags"), Some(&json!(["vip", 3])));
    assert_eq!(
        lead.company.as_ref().unwrap().extra.get("industry"),
        Some(&json!("retail"))
    );
    assert_eq!((page.meta.current_page, page.meta.total_count), (2, 26));
    assert_eq!(page.meta.extra.get("next_page"), Some(&Value::Null));

    // Nothing the server sent is lost on the way back out.
    let again = serde_json::to_value(lead).unwrap();
    assert_eq!(again["status"], "archived");
    assert_eq!(again["priority"], "high");
    assert_eq!(again["lead_value"], json!(15000.1));
}

/// Sends one request to a server that answers `response`, and returns the error.
async fn error_from(response: ResponseTemplate) -> reqwest::Response {
    let server = server_answering(response).await;
    match client_for(&server)
        .list_leads()
        .account_id(17u64)
        .send()
        .await
    {
        Err(Error::UnexpectedResponse(response)) => response,
        other => panic!("expected the raw error response, got {other:?}"),
    }
}

#[tokio::test]
async fn error_answers_come_back_whole_and_their_json_bodies_decode() {
    let cases = [
        (401, json!({"error": "Invalid Access Token"})),
        (
            401,
            json!({"errors": ["You need to sign in or sign up before continuing."]}),
        ),
        (404, json!({"error": "Resource could not be found"})),
        (
            422,
            json!({"message": "Per page is too large", "attributes": ["per_page"]}),
        ),
    ];
    for (status, body) in cases {
        let response = error_from(ResponseTemplate::new(status).set_body_json(&body)).await;
        assert_eq!(response.status(), status);
        let decoded: ErrorBody = response.json().await.unwrap();
        match (&decoded, status) {
            (ErrorBody::ErrorMessage(m), 401 | 404) => assert_eq!(m.error, body["error"]),
            (ErrorBody::ErrorList(l), 401) => assert_eq!(
                l.errors,
                ["You need to sign in or sign up before continuing."]
            ),
            (ErrorBody::ValidationError(v), 422) => assert_eq!(v.attributes, ["per_page"]),
            other => panic!("{body} decoded as {other:?}"),
        }
    }

    let limited = error_from(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "7")
            .set_body_string("Retry later"),
    )
    .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(limited.text().await.unwrap(), "Retry later");

    let html = "<html><head><title>502 Bad Gateway</title></head></html>";
    let bad_gateway = error_from(ResponseTemplate::new(502).set_body_raw(html, "text/html")).await;
    assert_eq!(bad_gateway.status(), 502);
    assert_eq!(bad_gateway.text().await.unwrap(), html);
}

#[tokio::test]
async fn request_defaults_apply_to_a_caller_supplied_client() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(seed_body())
                .set_delay(Duration::from_millis(500)),
        )
        .mount(&server)
        .await;
    // The caller's client has a user agent and no token of its own.
    let http = reqwest::Client::builder()
        .user_agent("callers-agent/1")
        .build()
        .unwrap();
    let mut defaults = RequestDefaults::with_token(ApiToken::new(TOKEN).unwrap());
    defaults.user_agent = Some(HeaderValue::from_static("voxys-test/9"));
    defaults.timeout = Some(Duration::from_millis(100));
    let client = Client::new_with_client(&server.uri(), http, defaults);
    match client.list_leads().account_id(17u64).send().await {
        Err(Error::CommunicationError(e)) => assert!(e.is_timeout(), "{e}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers[API_KEY_HEADER], TOKEN);
    assert_eq!(request.headers["user-agent"], "voxys-test/9");
    // The token never shows in the client's Debug output.
    assert!(!format!("{client:?}").contains(TOKEN));
}

/// A server on 127.0.0.1 that answers every connection with `head` and then
/// `chunks` in chunked encoding (no Content-Length); returns its base URL.
async fn chunked_server(chunks: usize, chunk: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let chunk = chunk.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..chunks {
                    let framed = [
                        format!("{:x}\r\n", chunk.len()).into_bytes(),
                        chunk.clone(),
                        b"\r\n".to_vec(),
                    ]
                    .concat();
                    if socket.write_all(&framed).await.is_err() {
                        return; // the client stopped reading: fine
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    url
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_without_reading_it_all() {
    let limited = |url: &str| {
        let mut defaults = RequestDefaults::with_token(ApiToken::new(TOKEN).unwrap());
        defaults.max_response_bytes = Some(64 * 1024);
        Client::new_with_client(url, reqwest::Client::new(), defaults)
    };
    // Declared too large by Content-Length.
    let big = format!(
        "{{\"data\": [], \"meta\": {{\"current_page\": 1, \"total_pages\": 0, \"total_count\": 0}}, \"pad\": \"{}\"}}",
        "x".repeat(100_000)
    );
    let server =
        server_answering(ResponseTemplate::new(200).set_body_raw(big.clone(), "application/json"))
            .await;
    match limited(&server.uri())
        .list_leads()
        .account_id(17u64)
        .send()
        .await
    {
        Err(Error::Custom(message)) => assert!(
            message.starts_with(voxys_connect_api::BODY_TOO_LARGE),
            "{message}"
        ),
        other => panic!("expected the body to be refused, got {other:?}"),
    }
    // Not declared: 1 GiB in chunks; the client stops after the limit.
    let endless = chunked_server(16 * 1024, vec![b' '; 64 * 1024]).await;
    match limited(&endless)
        .list_leads()
        .account_id(17u64)
        .send()
        .await
    {
        Err(Error::Custom(message)) => assert!(
            message.starts_with(voxys_connect_api::BODY_TOO_LARGE),
            "{message}"
        ),
        other => panic!("expected the body to be refused, got {other:?}"),
    }
    // Under the limit, the same body decodes.
    let fits =
        server_answering(ResponseTemplate::new(200).set_body_raw(big, "application/json")).await;
    let mut defaults = RequestDefaults::with_token(ApiToken::new(TOKEN).unwrap());
    defaults.max_response_bytes = Some(1024 * 1024);
    let client = Client::new_with_client(&fits.uri(), reqwest::Client::new(), defaults);
    let page = client
        .list_leads()
        .account_id(17u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.meta.total_count, 0);
}

#[test]
fn known_statuses_are_the_documented_ones() {
    let spec = Spec::bundled();
    let documented: Vec<&str> = spec.get("#/components/schemas/LeadStatus").unwrap()["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let known: Vec<&str> = LeadStatus::KNOWN.iter().map(LeadStatus::as_str).collect();
    assert_eq!(known, documented);
}

#[test]
fn token_header_is_the_documented_security_scheme() {
    let spec = Spec::bundled();
    let scheme = spec
        .get("#/components/securitySchemes/apiAccessToken")
        .unwrap();
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], API_KEY_HEADER);
}
