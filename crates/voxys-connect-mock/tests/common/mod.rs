//! What the tests of the Leads and Companies writes share: requests over
//! real HTTP, answers read whole, and checks against the document.

#![allow(dead_code)]

use serde_json::{Value, json};
use voxys_connect_mock::MockServer;
use voxys_connect_spec::Spec;

/// An answer as it came: status, content type (empty when none), the body's
/// text, and the body as JSON (`Null` when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
    pub body: Value,
}

/// Sends a request with the server's token, a JSON body when given.
pub async fn send(server: &MockServer, method: &str, path: &str, body: Option<&Value>) -> Answer {
    let mut request = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", server.url()))
        .header("api_access_token", server.token());
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    read(request.send().await.unwrap()).await
}

/// Sends a request whose body is this text, as written.
pub async fn send_text(server: &MockServer, method: &str, path: &str, body: &str) -> Answer {
    let request = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", server.url()))
        .header("api_access_token", server.token())
        .header("content-type", "application/json")
        .body(body.to_owned());
    read(request.send().await.unwrap()).await
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    Answer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// The path of an account's collection: `/api/v1/accounts/ID/WHAT`.
pub fn path(account: i64, what: &str) -> String {
    format!("/api/v1/accounts/{account}/{what}")
}

/// 404 as the API answers it.
pub fn not_found() -> Value {
    json!({"error": "Resource could not be found"})
}

/// Asserts the answer is valid against what the document says
/// `operation` answers with its status and content type.
pub fn assert_documented(operation: &str, answer: &Answer) {
    let spec = Spec::bundled();
    if answer.status == 204 {
        assert!(
            answer.text.is_empty() && answer.content_type.is_empty(),
            "{operation}: a 204 has no body and no content type: {answer:?}"
        );
        assert!(
            spec.get(&format!(
                "{}/responses/204",
                spec.operation(operation).unwrap().pointer
            ))
            .is_some(),
            "{operation}: 204 is documented"
        );
        return;
    }
    let schema = spec
        .response_schema(operation, answer.status, &answer.content_type)
        .unwrap_or_else(|| {
            panic!(
                "{operation}: {} {} is not documented",
                answer.status, answer.content_type
            )
        });
    let validator = spec.validator(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&answer.body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{operation} {}: {errors:?}\n{}",
        answer.status,
        answer.text
    );
}

/// Asserts a 422 in the reference's shape, `{"errors": {member: [message]}}`.
pub fn assert_field_error(answer: &Answer, member: &str, message: &str) {
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(
        answer.body,
        json!({"errors": {member: [message]}}),
        "the reference's shape"
    );
    let spec = Spec::bundled();
    let shape = spec.validator("#/components/schemas/FieldErrors").unwrap();
    assert!(shape.is_valid(&answer.body));
}

/// An instant the API sent.
pub fn instant(value: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap_or_else(|e| panic!("{e}: {value}"))
        .to_utc()
}

/// The time now, as the machine's clock says.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from(std::time::SystemTime::now())
}

/// Whether a timestamp the mock wrote has three digits of milliseconds, as
/// Rails sends them (`2026-12-01T06:20:01.123Z`).
pub fn has_milliseconds(value: &Value) -> bool {
    let text = value.as_str().unwrap();
    text.len() == "2026-12-01T06:20:01.123Z".len()
        && text.as_bytes()[19] == b'.'
        && text.ends_with('Z')
}
