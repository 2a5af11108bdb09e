//! The answers every part of the server builds: JSON and text bodies, and
//! the API's error bodies. It depends on nothing else of the server's, so
//! that the routes, the handlers and the serving loop all use it without
//! depending on each other.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::faults::proxy_page;

/// The API's messages, as Chatwoot words them (the facts file; the document
/// shows them as examples of its 401 and 404 answers).
pub(crate) const MISSING_TOKEN: &str = "You need to sign in or sign up before continuing.";
pub(crate) const INVALID_TOKEN: &str = "Invalid Access Token";
pub(crate) const NOT_A_MEMBER: &str = "You are not authorized to access this account";
pub(crate) const NOT_FOUND: &str = "Resource could not be found";

/// Why a request was refused, as the API answers it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 401: the token's user is not a member of the account.
    NotAMember,
    /// 404: the resource does not exist (in that account).
    NotFound,
    /// 422, `{"message": ..., "attributes": [attribute]}`: a value is not
    /// acceptable, and which attribute holds it.
    Invalid { message: String, attribute: String },
    /// 422, `{"error": "param is missing or the value is empty: NAME"}`.
    Missing(String),
    /// 422 in the reference's shape, `{"errors": {"name": ["can't be
    /// blank"]}}`: members of the body a model validation refused, each
    /// with its messages (in the order given).
    Fields(Vec<(String, String)>),
}

impl Refusal {
    /// A 422 about `attribute`.
    pub(crate) fn invalid(attribute: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal::Invalid {
            message: message.into(),
            attribute: attribute.into(),
        }
    }

    /// A 422 in the reference's shape about one member.
    pub(crate) fn field(member: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal::Fields(vec![(member.into(), message.into())])
    }

    /// The answer.
    pub(crate) fn response(self) -> Response<Body> {
        match self {
            Refusal::NotAMember => {
                error_response(StatusCode::UNAUTHORIZED, json!({"error": NOT_A_MEMBER}))
            }
            Refusal::NotFound => not_found(),
            Refusal::Invalid { message, attribute } => unprocessable(json!({
                "message": message,
                "attributes": [attribute],
            })),
            Refusal::Missing(name) => unprocessable(missing_body(&name)),
            Refusal::Fields(errors) => unprocessable(field_errors(errors)),
        }
    }
}

/// Chatwoot's body for a required parameter that is missing or empty.
pub(crate) fn missing_body(name: &str) -> Value {
    json!({"error": format!("param is missing or the value is empty: {name}")})
}

/// The reference's validation body: each member with its messages.
pub(crate) fn field_errors(errors: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut members = serde_json::Map::new();
    for (member, message) in errors {
        if let Value::Array(messages) = members
            .entry(member)
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            messages.push(Value::String(message));
        }
    }
    json!({ "errors": members })
}

/// A body with its content type.
pub(crate) fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An answer with no body and no content type (a `204`).
pub(crate) fn empty_response(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// A JSON body, as Rails labels it.
pub(crate) fn json_response(status: StatusCode, body: String) -> Response<Body> {
    text_response(status, "application/json; charset=utf-8", body)
}

/// An error body.
pub(crate) fn error_response(status: StatusCode, body: Value) -> Response<Body> {
    json_response(status, body.to_string())
}

/// 404 `{"error": "Resource could not be found"}`.
pub(crate) fn not_found() -> Response<Body> {
    error_response(StatusCode::NOT_FOUND, json!({"error": NOT_FOUND}))
}

/// 422 with this body.
pub(crate) fn unprocessable(body: Value) -> Response<Body> {
    error_response(StatusCode::UNPROCESSABLE_ENTITY, body)
}

/// The application's own 500 page (HTML, as the document's `5XX` says).
pub(crate) fn server_error() -> Response<Body> {
    text_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/html",
        proxy_page(500),
    )
}
