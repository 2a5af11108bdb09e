//! [`Error`]: everything that can go wrong, with where and what to do.

use std::time::Duration;

mod answer;
mod snippet;

pub(crate) use answer::classify;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call of this SDK can fail with.
///
/// Each variant says what happened and where (the API operation, the HTTP
/// status, the server's request id, a short snippet of the body), and its
/// message says what to do. The API token never appears in an error.
///
/// New variants, and new fields in a variant, may be added: match the variants
/// you handle with `{ .. }` and keep a wildcard arm. [`Error::is_retryable`]
/// says whether trying again later may succeed, and [`Error::request_id`]
/// gives the id to quote to support.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API refused the token (401, or 403 from a proxy): it is missing,
    /// invalid, or its user is not a member of the account or lacks permission.
    #[error(
        "{operation}: unauthorized ({status}): {message}; check the API token (VOXYS_API_TOKEN, a user access token from the profile settings) and that its user belongs to the account{}",
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    Unauthorized {
        /// The API operation, such as `list_leads`.
        operation: &'static str,
        /// The HTTP status: 401 (or 403).
        status: u16,
        /// The server's message, from either of its 401 body shapes.
        message: String,
        /// The server's id for the request (`X-Request-Id`), if it sent one.
        request_id: Option<String>,
    },

    /// The account or resource does not exist (404).
    #[error(
        "{operation}: not found (404): {message}; check the account id and the base URL{}",
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    NotFound {
        /// The API operation.
        operation: &'static str,
        /// The server's message.
        message: String,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// The API rejected the request's parameters or body (422).
    ///
    /// The API words these in two shapes (each field with its messages, as
    /// the reference documents; or one message and the fields at fault, as
    /// Chatwoot sends); both are read into `fields`.
    #[error(
        "{operation}: the API rejected the request (422): {message}{}; {}{}",
        fmt_parameters(.attributes, .fields),
        what_to_correct(.fields),
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    Validation {
        /// The API operation.
        operation: &'static str,
        /// The server's message; for the field-by-field shape, every field
        /// and its messages in one line (`name: can't be blank`).
        message: String,
        /// The names of the parameters or members at fault, when the server
        /// gave them.
        attributes: Vec<String>,
        /// Each member at fault and what is wrong with it, from either
        /// shape (for the one-message shape, each field named gets the
        /// message).
        fields: std::collections::BTreeMap<String, Vec<String>>,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// The API's rate limiter refused the request (429), on every attempt.
    #[error(
        "{operation}: rate limited (429) after {attempts} attempt(s){}; send fewer requests (lower the concurrency) or allow more retry time{}",
        fmt_retry_after(.retry_after),
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    RateLimited {
        /// The API operation.
        operation: &'static str,
        /// The delay the server asked for (`Retry-After`), when it sent one.
        retry_after: Option<Duration>,
        /// How many attempts were made.
        attempts: u32,
        /// The server's id for the last request, if it sent one.
        request_id: Option<String>,
    },

    /// The server or a proxy in front of it failed (5xx).
    #[error(
        "{operation}: server error ({status}) after {attempts} attempt(s): {snippet}{}{}",
        server_hint(*.status),
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    Server {
        /// The API operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body, with HTML reduced to its text.
        snippet: String,
        /// The delay the server asked for (`Retry-After`), when it sent one.
        retry_after: Option<Duration>,
        /// How many attempts were made.
        attempts: u32,
        /// The server's id for the last request, if it sent one (a proxy's
        /// own error page has none).
        request_id: Option<String>,
    },

    /// An answer with a status the API does not document (a redirect, 400,
    /// 409...).
    #[error(
        "{operation}: unexpected answer ({status}): {snippet}{}{}",
        location_hint(.location),
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    UnexpectedStatus {
        /// The API operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        snippet: String,
        /// Where a redirect pointed (the SDK does not follow redirects to
        /// another origin, so as not to send the token there).
        location: Option<String>,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// A parameter is outside what the API accepts; nothing was sent.
    #[error("invalid parameter `{name}`: {value} is not allowed; expected {expected}")]
    #[non_exhaustive]
    InvalidParameter {
        /// The parameter's name, as the builder method calls it.
        name: &'static str,
        /// The value given.
        value: String,
        /// What is allowed, such as `a whole number from 1 to 100`.
        expected: String,
    },

    /// The response body does not have the documented shape.
    #[error(
        "{operation}: could not decode the response (status {status}) at `{path}`: {message}; body near the error: {snippet}{}",
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    Decode {
        /// The API operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// Where in the body decoding failed, such as `data[3].created_at`.
        path: String,
        /// What was wrong there.
        message: String,
        /// The body around the place of the error.
        snippet: String,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// The request did not complete in time, on every attempt.
    #[error(
        "{operation}: timed out after {attempts} attempt(s); the server or the network is slow: raise the timeout or try again later"
    )]
    #[non_exhaustive]
    Timeout {
        /// The API operation.
        operation: &'static str,
        /// How many attempts were made.
        attempts: u32,
    },

    /// The connection failed or broke (refused, reset, body cut short), on
    /// every attempt.
    #[error("{operation}: network error after {attempts} attempt(s): {}; check the base URL and the network", transport_detail(.source))]
    #[non_exhaustive]
    Transport {
        /// The API operation.
        operation: &'static str,
        /// How many attempts were made.
        attempts: u32,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The base URL's host name does not resolve. Not retried: a name that
    /// does not resolve is almost always a wrong base URL.
    #[error(
        "{operation}: cannot resolve the host {host}: {}; check the base URL (VOXYS_BASE_URL) and this machine's DNS",
        transport_detail(.source)
    )]
    #[non_exhaustive]
    Dns {
        /// The API operation.
        operation: &'static str,
        /// The host name that did not resolve.
        host: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The TLS connection could not be made: the server's certificate is not
    /// trusted or not valid for the host, or the handshake failed. Not
    /// retried: it fails the same way until the configuration changes.
    #[error(
        "{operation}: TLS failed: {reason}; if the instance uses a private certificate authority, trust it (ClientBuilder::add_root_certificates_pem, or the PEM file named by VOXYS_CA_CERT), and check that the base URL names the host the certificate is for"
    )]
    #[non_exhaustive]
    Tls {
        /// The API operation.
        operation: &'static str,
        /// What failed, in words.
        reason: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The server speaks another protocol than the base URL's scheme says:
    /// TLS behind an `http://` URL (its answer was not HTTP, or nginx's
    /// "plain HTTP request was sent to HTTPS port"), or plain HTTP behind an
    /// `https://` one (the TLS handshake was answered in HTTP). Not retried:
    /// it fails the same way until the base URL changes. A handshake that
    /// failed sent nothing; after an `http://` request the SDK cannot be
    /// sure, and a create whose answer was this is reported
    /// [`OutcomeUnknown`](Error::OutcomeUnknown) with this as its cause.
    #[error(
        "{operation}: {}",
        scheme_advice(.server_speaks, *.loopback)
    )]
    #[non_exhaustive]
    WrongScheme {
        /// The API operation.
        operation: &'static str,
        /// The scheme the answer was in: `"https"` or `"http"`.
        server_speaks: &'static str,
        /// Whether the base URL's host is this machine (where plain http is
        /// harmless); elsewhere the answer may come from a proxy, and plain
        /// http would send the token in clear.
        loopback: bool,
        /// The underlying error, when the failure was not an answer.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The response body is larger than the client accepts
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes));
    /// it was not read into memory.
    #[error(
        "{operation}: the response body is larger than {limit} bytes, far more than a page of leads; check the base URL (a proxy or another service may be answering), or raise ClientBuilder::max_response_bytes{}",
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    BodyTooLarge {
        /// The API operation.
        operation: &'static str,
        /// The limit, in bytes.
        limit: usize,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// Pagination stopped because the server's pages are inconsistent (it
    /// repeats a page, or ignores the page number).
    #[error("{operation}: pagination stopped at page {page}: {message}")]
    #[non_exhaustive]
    Pagination {
        /// The API operation.
        operation: &'static str,
        /// The page being read.
        page: u64,
        /// What was inconsistent.
        message: String,
    },

    /// The API answered that it did not apply the action (`"success":
    /// false`), with no more said.
    #[error(
        "{operation}: the API did not apply the action (it answered success: false){}",
        fmt_request_id(.request_id)
    )]
    #[non_exhaustive]
    NotApplied {
        /// The API operation.
        operation: &'static str,
        /// The server's id for the request, if it sent one.
        request_id: Option<String>,
    },

    /// What the request acted on changed while it ran (another program at
    /// work), so its result is not what was asked: read it again and retry.
    #[error("{operation}: {message}")]
    #[non_exhaustive]
    Conflict {
        /// The API operation.
        operation: &'static str,
        /// What changed, and what to do.
        message: String,
    },

    /// A write that makes something new each time it is sent (a conversion,
    /// a create) failed in a way that leaves it unknown whether it was
    /// applied (the answer was lost: a timeout, a 5xx from a proxy, a
    /// connection dropped after sending), and looking for what it would have
    /// made could not settle it. The SDK did not send it again, so as not to
    /// make a second one: `look` says where to check before you do.
    #[error(
        "{operation}: {action} may or may not have happened: {cause}; {why}. Before trying again, {look}"
    )]
    #[non_exhaustive]
    OutcomeUnknown {
        /// The API operation, such as `convert_lead`.
        operation: &'static str,
        /// What the request does, in words (`converting lead 42 into
        /// funnel 3`).
        action: String,
        /// Why the outcome could not be settled.
        why: String,
        /// Where to look before sending it again, in words.
        look: String,
        /// The failure that left the outcome unknown.
        #[source]
        cause: Box<Error>,
    },

    /// The client is not configured correctly, or a request could not be
    /// made of the configuration; nothing was sent. [`ConfigError::setting`]
    /// says which setting.
    #[error("configuration: {0}")]
    Config(ConfigError),
}

/// A setting of the client, as [`ConfigError`] names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Setting {
    /// The API token ([`ClientBuilder::token`](crate::ClientBuilder::token),
    /// `VOXYS_API_TOKEN`).
    Token,
    /// The base URL ([`ClientBuilder::base_url`](crate::ClientBuilder::base_url),
    /// `VOXYS_BASE_URL`).
    BaseUrl,
    /// The account id (`VOXYS_ACCOUNT_ID`).
    AccountId,
    /// The user agent.
    UserAgent,
    /// Extra certificate authorities
    /// ([`ClientBuilder::add_root_certificates_pem`](crate::ClientBuilder::add_root_certificates_pem),
    /// `VOXYS_CA_CERT`).
    RootCertificates,
    /// The HTTP client's settings
    /// ([`ClientBuilder::configure_http`](crate::ClientBuilder::configure_http)).
    HttpClient,
    /// A request's parameters, as the generated client checks them.
    Request,
    /// The rate limit
    /// ([`ClientBuilder::max_requests_per_second`](crate::ClientBuilder::max_requests_per_second)).
    RateLimit,
}

/// What is wrong with a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Problem {
    /// It is not set, and it must be.
    Missing,
    /// Its value cannot be used.
    Invalid,
    /// It would send the token where others can read it (plain `http://` to
    /// another host).
    Insecure,
    /// It needs something this build does not have (a TLS backend).
    Unsupported,
}

/// A setting that is missing or wrong: which, what is wrong with it, and a
/// sentence that says what to do.
///
/// ```
/// use voxys_connect::{Client, Error};
/// use voxys_connect::error::{Problem, Setting};
///
/// match Client::builder().build() {
///     Err(Error::Config(e)) if e.setting == Setting::Token => {
///         assert_eq!(e.problem, Problem::Missing);
///         assert!(e.to_string().contains("VOXYS_API_TOKEN"));
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct ConfigError {
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong with it.
    pub problem: Problem,
    /// What happened and what to do, in a sentence.
    pub message: String,
    /// The underlying error, when there is one (an [`InvalidToken`](crate::config::InvalidToken),
    /// an I/O error reading a file...).
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ConfigError {
    pub(crate) fn new(
        setting: Setting,
        problem: Problem,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            setting,
            problem,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn because(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> ConfigError {
        self.source = Some(Box::new(source));
        self
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Error {
        Error::Config(error)
    }
}

impl Error {
    /// Whether the same request may succeed if tried again later: rate
    /// limiting, 502/503/504, timeouts and network errors.
    ///
    /// The client already retries these according to its
    /// [`RetryPolicy`](crate::RetryPolicy); an error that reaches you has
    /// exhausted it. TLS and DNS failures, and everything the server refused
    /// on its merits (401, 404, 422), are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Server { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The HTTP status of the answer the error comes from, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { status, .. }
            | Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::Decode { status, .. } => Some(*status),
            Error::NotFound { .. } => Some(404),
            Error::Validation { .. } => Some(422),
            Error::RateLimited { .. } => Some(429),
            Error::OutcomeUnknown { cause, .. } => cause.status(),
            _ => None,
        }
    }

    /// The API operation the error comes from (`list_leads`,
    /// `create_card`...), as the document names it; `None` for an invalid
    /// parameter or setting, found before any request.
    ///
    /// Every message starts with it (`list_leads: ...`); a program that shows
    /// errors to people who never see the document may strip it.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Unauthorized { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::Validation { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Server { operation, .. }
            | Error::UnexpectedStatus { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Transport { operation, .. }
            | Error::Dns { operation, .. }
            | Error::Tls { operation, .. }
            | Error::WrongScheme { operation, .. }
            | Error::BodyTooLarge { operation, .. }
            | Error::Pagination { operation, .. }
            | Error::NotApplied { operation, .. }
            | Error::Conflict { operation, .. }
            | Error::OutcomeUnknown { operation, .. } => Some(operation),
            Error::InvalidParameter { .. } | Error::Config(_) => None,
        }
    }

    /// The server's id for the request (its `X-Request-Id` header), when the
    /// error comes from an answer that had one: quote it to support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::NotFound { request_id, .. }
            | Error::Validation { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Server { request_id, .. }
            | Error::UnexpectedStatus { request_id, .. }
            | Error::Decode { request_id, .. }
            | Error::BodyTooLarge { request_id, .. }
            | Error::NotApplied { request_id, .. } => request_id.as_deref(),
            Error::OutcomeUnknown { cause, .. } => cause.request_id(),
            _ => None,
        }
    }

    /// The delay the server asked for before trying again, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Server { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Records how many attempts were made, on the variants that say so.
    pub(crate) fn with_attempts(mut self, n: u32) -> Error {
        match &mut self {
            Error::RateLimited { attempts, .. }
            | Error::Server { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }
}

fn fmt_request_id(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (request id {id})"),
        None => String::new(),
    }
}

/// What to do about a 422: correct the fields it names (Rails's `base` is
/// the record as a whole, not a field).
fn what_to_correct(fields: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    let names: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|name| *name != "base")
        .collect();
    if names.is_empty() {
        "correct the request as the message says, or check the state of the record it acts on"
            .to_owned()
    } else {
        format!("correct `{}` and send it again", names.join("`, `"))
    }
}

/// The parameters at fault, when the advice does not name them already.
fn fmt_parameters(
    attributes: &[String],
    fields: &std::collections::BTreeMap<String, Vec<String>>,
) -> String {
    if fields.is_empty() {
        fmt_attributes(attributes)
    } else {
        String::new()
    }
}

fn fmt_attributes(attributes: &[String]) -> String {
    if attributes.is_empty() {
        String::new()
    } else {
        format!(" (parameters: {})", attributes.join(", "))
    }
}

fn fmt_retry_after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(" (the server asked to wait {}s)", d.as_secs()),
        None => String::new(),
    }
}

fn server_hint(status: u16) -> &'static str {
    match status {
        502..=504 => "; the service or a proxy in front of it is unavailable: try again later",
        _ => "; this is a fault of the server: try again later, and report it if it persists",
    }
}

fn location_hint(location: &Option<String>) -> String {
    match location {
        Some(to) => format!(" (redirected to {to}; set the base URL to the final address)"),
        None => String::new(),
    }
}

/// reqwest's message, with its chain of causes ("connection refused"...).
/// What to do about an answer in `server_speaks` (`https` or `http`) to a
/// request in the other scheme, on this machine (`loopback`) or not.
fn scheme_advice(server_speaks: &str, loopback: bool) -> String {
    match (server_speaks, loopback) {
        ("https", _) => "the server at this address speaks https (TLS), not plain http: use a base URL that starts with https:// (or check the port)".to_owned(),
        (_, true) => "the server at this address speaks plain http, not https (TLS): use a base URL that starts with http:// (or check the port)".to_owned(),
        _ => "something at this address answered the TLS handshake in plain http: check the base URL's port (https is usually 443) and any proxy in between (HTTPS_PROXY); plain http would send the token unencrypted".to_owned(),
    }
}

/// An error's text with the texts of its causes that it does not already
/// hold, joined by `: `.
fn transport_detail(error: &reqwest::Error) -> String {
    let mut out = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}
