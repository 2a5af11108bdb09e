//! What a failure of the generated client means, as this crate's [`Error`]:
//! an answer with an error status, a failure before any answer, a body that
//! does not decode, a request the generated client would not make.
//!
//! Whether to try again is the pipeline's concern (its `Verdict`); this is
//! what the caller is told once the attempts are over.

use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use voxys_connect_api::types::ErrorBody;
use voxys_connect_api::{ApiToken, Observed};

use super::snippet::{snippet, snippet_around};
use super::{ConfigError, Error, Problem, Setting};
use crate::pipeline::TransportFailure;
use crate::retry::retry_after;

/// Turns a failure of the generated client into this crate's [`Error`]:
/// `T` is the type the success body decodes into, `observed` what the
/// pipeline saw of the last attempt, `max_response_bytes` the client's body
/// limit (for [`Error::BodyTooLarge`]).
pub(crate) async fn classify<T: DeserializeOwned>(
    operation: &'static str,
    error: voxys_connect_api::Error<()>,
    observed: Observed,
    token: &ApiToken,
    max_response_bytes: usize,
) -> Error {
    use voxys_connect_api::Error as Api;
    if let Some(rejected) = observed.rejected {
        return Error::InvalidParameter {
            name: rejected.name,
            value: rejected.value,
            expected: rejected.expected,
        };
    }
    let request_id = observed.request_id;
    match error {
        Api::CommunicationError(e) | Api::ResponseBodyError(e) | Api::InvalidUpgrade(e) => {
            transport(operation, e)
        }
        Api::InvalidResponsePayload(body, e) => decode_error::<T>(
            operation,
            observed.status.unwrap_or(200),
            &body,
            &e,
            token,
            request_id,
        ),
        Api::UnexpectedResponse(response) => {
            answer_error(operation, response, token, request_id).await
        }
        Api::ErrorResponse(value) => Error::UnexpectedStatus {
            operation,
            status: value.status().as_u16(),
            snippet: String::new(),
            location: None,
            request_id,
        },
        Api::Custom(message) if message.starts_with(voxys_connect_api::BODY_TOO_LARGE) => {
            Error::BodyTooLarge {
                operation,
                limit: max_response_bytes,
                request_id,
            }
        }
        Api::InvalidRequest(message) | Api::Custom(message) => ConfigError::new(
            Setting::Request,
            Problem::Invalid,
            format!(
                "{operation}: the request could not be made: {}",
                token.redact(&message)
            ),
        )
        .into(),
    }
}

/// A failure before any answer: a timeout, a TLS or DNS failure (reported at
/// once, for they fail the same way until the configuration changes), a URL
/// reqwest cannot use, or a connection that failed or broke (retried).
fn transport(operation: &'static str, error: reqwest::Error) -> Error {
    match TransportFailure::of(&error) {
        TransportFailure::Timeout => Error::Timeout {
            operation,
            attempts: 1,
        },
        TransportFailure::Tls(reason) => Error::Tls {
            operation,
            reason,
            source: error,
        },
        TransportFailure::WrongScheme { server_speaks } => Error::WrongScheme {
            operation,
            server_speaks,
            loopback: error.url().is_some_and(crate::config::is_loopback),
            source: Some(error),
        },
        TransportFailure::Dns => Error::Dns {
            operation,
            host: error
                .url()
                .and_then(|u| u.host_str())
                .unwrap_or_default()
                .to_owned(),
            source: error,
        },
        TransportFailure::BadUrl => ConfigError::new(
            Setting::BaseUrl,
            Problem::Invalid,
            format!(
                "{operation}: the base URL cannot be used: {error}; expected something like {}",
                crate::config::DEFAULT_BASE_URL
            ),
        )
        .because(error)
        .into(),
        TransportFailure::Connect | TransportFailure::Broken => Error::Transport {
            operation,
            attempts: 1,
            source: error,
        },
    }
}

/// A body that does not decode, with the serde path and the text around the
/// place of the error.
fn decode_error<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
    error: &serde_json::Error,
    token: &ApiToken,
    request_id: Option<String>,
) -> Error {
    // Decode again, tracking the path, to say where it failed.
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(e) => e.path().to_string(),
        Ok(_) => ".".to_owned(),
    };
    let offset = byte_offset(body, error.line(), error.column());
    Error::Decode {
        operation,
        status,
        // serde names the values it did not expect: the token, if the server
        // echoed it, must not show.
        path: token.redact(&path),
        message: token.redact(&error.to_string()),
        snippet: snippet_around(body, offset, token),
        request_id,
    }
}

/// The byte offset of a 1-based line and column, as serde_json reports them.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = body
        .split(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(body.len())
}

/// The most of an error body read into memory; the rest is not needed to say
/// what went wrong.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// An error answer (any status the generated client does not decode).
async fn answer_error(
    operation: &'static str,
    mut response: reqwest::Response,
    token: &ApiToken,
    request_id: Option<String>,
) -> Error {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            // Part of the body is still enough to describe the error.
            Err(_) => break,
        }
    }
    let decoded = serde_json::from_slice::<ErrorBody>(&body).ok();
    let (message, attributes, fields) = match &decoded {
        Some(body) => {
            let (message, attributes, fields) = error_body_message(body);
            let fields = fields
                .into_iter()
                .map(|(field, messages)| {
                    let messages = messages.iter().map(|m| token.redact(m)).collect();
                    (token.redact(&field), messages)
                })
                .collect();
            let attributes = attributes.iter().map(|a| token.redact(a)).collect();
            (token.redact(&message), attributes, fields)
        }
        None => (snippet(&body, token), Vec::new(), BTreeMap::new()),
    };
    match status {
        // nginx's (and others') answer to plain HTTP on its TLS port: the
        // request never reached the application.
        400 if String::from_utf8_lossy(&body)
            .contains("plain HTTP request was sent to HTTPS port") =>
        {
            Error::WrongScheme {
                operation,
                server_speaks: "https",
                loopback: false,
                source: None,
            }
        }
        401 | 403 => Error::Unauthorized {
            operation,
            status,
            message,
            request_id,
        },
        404 => Error::NotFound {
            operation,
            message,
            request_id,
        },
        422 => Error::Validation {
            operation,
            message,
            attributes,
            fields,
            request_id,
        },
        429 => Error::RateLimited {
            operation,
            retry_after,
            attempts: 1,
            request_id,
        },
        500..=599 => Error::Server {
            operation,
            status,
            snippet: snippet(&body, token),
            retry_after,
            attempts: 1,
            request_id,
        },
        _ => Error::UnexpectedStatus {
            operation,
            status,
            snippet: snippet(&body, token),
            location,
            request_id,
        },
    }
}

/// The message of an error body, whichever of the API's shapes it has; the
/// fields it names; and each field's messages.
fn error_body_message(body: &ErrorBody) -> (String, Vec<String>, BTreeMap<String, Vec<String>>) {
    match body {
        ErrorBody::ErrorMessage(m) => (m.error.clone(), Vec::new(), BTreeMap::new()),
        ErrorBody::ErrorList(l) => (l.errors.join("; "), Vec::new(), BTreeMap::new()),
        ErrorBody::ValidationError(v) => {
            let fields = v
                .attributes
                .iter()
                .map(|field| (field.clone(), vec![v.message.clone()]))
                .collect();
            (v.message.clone(), v.attributes.clone(), fields)
        }
        ErrorBody::FieldErrors(f) => {
            let message = f
                .errors
                .iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            let attributes = f.errors.keys().cloned().collect();
            (message, attributes, f.errors.clone())
        }
        // A shape added to the document later: its JSON says it best.
        #[allow(unreachable_patterns)]
        other => (
            serde_json::to_string(other).unwrap_or_default(),
            Vec::new(),
            BTreeMap::new(),
        ),
    }
}
