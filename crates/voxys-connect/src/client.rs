//! [`Client`]: the entry point, and the one way every API call is made.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;
use tracing::Instrument;
use voxys_connect_api::{ApiToken, ClientInfo, Observed, RequestDefaults, ResponseValue};

use crate::config::ClientBuilder;
use crate::error::{ConfigError, Error, Problem, Result, Setting, error_body_message, snippet};
use crate::leads::Leads;
use crate::pipelines::Pipelines;
use crate::rate_limit::{Outcome, RateLimitStatus, RateLimiter};
use crate::retry::{Pacing, RetryPolicy, retry_after};

/// A client for the Voxys Connect Leads API.
///
/// Cheap to clone (the clones share one connection pool); make one and reuse
/// it. It is `Send + Sync`, and so are the futures and streams it returns.
///
/// ```no_run
/// # async fn example() -> voxys_connect::Result<()> {
/// use voxys_connect::{Client, LeadStatus};
///
/// let client = Client::from_env()?;
/// let page = client.leads(1).list().status(LeadStatus::Open).send().await?;
/// for lead in page.items() {
///     println!("{} {:?}", lead.id, lead.custom_name);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    api: voxys_connect_api::Client,
    token: ApiToken,
    retry: RetryPolicy,
    max_response_bytes: usize,
    limiter: RateLimiter,
}

impl Client {
    /// A builder to configure a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment: the token from
    /// `VOXYS_API_TOKEN` (required), the base URL from `VOXYS_BASE_URL`
    /// (default `https://connect.voxys.ai`) and extra certificate authorities
    /// from the PEM file `VOXYS_CA_CERT`.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        defaults: RequestDefaults,
        token: ApiToken,
        retry: RetryPolicy,
        limiter: RateLimiter,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                max_response_bytes: defaults.max_response_bytes.unwrap_or(usize::MAX),
                api: voxys_connect_api::Client::new_with_client(&base_url, http, defaults),
                token,
                retry,
                limiter,
            }),
        }
    }

    /// The leads of one account.
    pub fn leads(&self, account_id: i64) -> Leads {
        Leads::new(self.clone(), account_id)
    }

    /// The pipelines (funnels) of one account.
    pub fn pipelines(&self, account_id: i64) -> Pipelines {
        Pipelines::new(self.clone(), account_id)
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.api.baseurl()
    }

    /// The retry policy requests follow.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// What the client's rate limiter is doing: the rate it holds requests
    /// to (none until the server first answers 429 several times in a
    /// row, unless a cap is set),
    /// and how many 429s it has met. Shared by every clone of the client.
    ///
    /// ```no_run
    /// # fn example(client: &voxys_connect::Client) {
    /// if let Some(rate) = client.rate_limit().requests_per_second {
    ///     eprintln!("rate limited: {rate:.0} requests a second");
    /// }
    /// # }
    /// ```
    pub fn rate_limit(&self) -> RateLimitStatus {
        self.inner.limiter.status()
    }

    /// The generated low-level client underneath, for operations this crate
    /// does not wrap yet. It sends the token, but does not retry, and does
    /// not go through the rate limiter.
    pub fn api(&self) -> &voxys_connect_api::Client {
        &self.inner.api
    }

    /// Makes one API call the way every call is made: `send` makes one
    /// attempt with the generated client (`client.api()` of the client it
    /// is given, a cheap clone of this one); each attempt runs in the tracing
    /// span `span` makes for it (see [`request_span!`]), which gets the
    /// status, the duration and the server's request id; failures become
    /// [`Error`]s; and retryable ones are retried as the policy says. For
    /// requests whose repeat gives the same result (reads, and writes that
    /// set a state).
    pub(crate) async fn call<T, S, F, Fut>(
        &self,
        operation: &'static str,
        span: S,
        send: F,
    ) -> Result<Called<T>>
    where
        T: DeserializeOwned,
        S: Fn(u32) -> tracing::Span,
        F: Fn(Client) -> Fut,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, voxys_connect_api::Error<()>>>,
    {
        let maybe_applied = AtomicBool::new(false);
        let mut attempts = 0;
        let value = self
            .retry_policy()
            .run(|attempt| {
                attempts = attempt;
                let request = self.attempt(operation, send(self.clone()));
                let maybe_applied = &maybe_applied;
                async move {
                    let (result, observed, pacing) = request.await;
                    if let Err(error) = &result
                        && reach(error, &observed) == Reach::Unknown
                    {
                        maybe_applied.store(true, Ordering::Relaxed);
                    }
                    (result, pacing)
                }
                .instrument(span(attempt))
            })
            .await?;
        Ok(Called {
            value,
            attempts,
            earlier_may_have_applied: maybe_applied.load(Ordering::Relaxed),
        })
    }

    /// One attempt, in the current span: the result, errors mapped, what
    /// the answer said about itself, and who decides when the request goes
    /// again if it failed (the rate limiter takes charge of 429s). The span
    /// gets the status, the duration and the server's request id.
    pub(crate) async fn attempt<T, Fut>(
        &self,
        operation: &'static str,
        request: Fut,
    ) -> (Result<T>, Observed, Pacing)
    where
        T: DeserializeOwned,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, voxys_connect_api::Error<()>>>,
    {
        let limiter = &self.inner.limiter;
        let permit = limiter.acquire().await;
        let span = tracing::Span::current();
        if let Some(rate) = limiter.current_rate() {
            span.record("rate_limit", rate);
        }
        let started = tokio::time::Instant::now();
        let (result, observed) = voxys_connect_api::observe(request).await;
        let pacing = limiter.record(
            permit,
            match &result {
                Err(voxys_connect_api::Error::UnexpectedResponse(r)) if r.status() == 429 => {
                    Outcome::Throttled(retry_after(r.headers()))
                }
                _ => Outcome::Other,
            },
        );
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        if let Some(status) = observed.status {
            span.record("status", status);
        }
        if let Some(id) = &observed.request_id {
            span.record("request_id", id.as_str());
        }
        match result {
            Ok(value) => {
                tracing::debug!("request succeeded");
                (Ok(value.into_inner()), observed, pacing)
            }
            Err(error) => {
                let error = self
                    .map_error::<T>(operation, error, observed.clone())
                    .await;
                tracing::debug!(error = %error, "request failed");
                (Err(error), observed, pacing)
            }
        }
    }

    /// Turns a failure of the generated client into this crate's [`Error`];
    /// `T` is the type the success body decodes into.
    async fn map_error<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        error: voxys_connect_api::Error<()>,
        observed: Observed,
    ) -> Error {
        use voxys_connect_api::Error as Api;
        let token = &self.inner.token;
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
                    limit: self.inner.max_response_bytes,
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
}

/// The value of a call, and how it got it.
pub(crate) struct Called<T> {
    /// The decoded answer.
    pub(crate) value: T,
    /// How many attempts were made, the last one included.
    pub(crate) attempts: u32,
    /// Whether an attempt before the last failed in a way that leaves it
    /// unknown whether the server applied it (a timeout, a 5xx, a connection
    /// lost after sending).
    pub(crate) earlier_may_have_applied: bool,
}

/// Whether a failed request reached the application and was applied, as far
/// as the failure tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It provably did not change anything: it was never sent, the
    /// connection was never established, the rate limiter refused it (429),
    /// or the application refused it on its merits (401, 404, 422...).
    NotApplied,
    /// It may have been applied: a timeout, a connection lost after sending,
    /// a 5xx, a body cut short or that does not decode.
    Unknown,
}

/// What a failure tells of whether the request was applied.
pub(crate) fn reach(error: &Error, observed: &Observed) -> Reach {
    match error {
        // Answered 200, then the body failed: it was applied, but the answer
        // is lost; for the caller that is as unknown as the rest.
        _ if observed.status.is_some_and(|s| (200..300).contains(&s)) => Reach::Unknown,
        Error::Transport { source, .. } if source.is_connect() => Reach::NotApplied,
        Error::Timeout { .. }
        | Error::Transport { .. }
        | Error::Server { .. }
        | Error::Decode { .. }
        | Error::BodyTooLarge { .. } => Reach::Unknown,
        _ => Reach::NotApplied,
    }
}

/// The tracing span of one attempt of one API call: `voxys_connect.request`
/// with the operation, the attempt, the given fields, and the fields
/// [`Client::call`] records once the answer is in (status, duration, the
/// server's request id).
macro_rules! request_span {
    ($operation:expr, $attempt:expr $(, $field:ident = $value:expr)* $(,)?) => {
        tracing::info_span!(
            "voxys_connect.request",
            operation = $operation,
            attempt = $attempt,
            $($field = $value,)*
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
            rate_limit = tracing::field::Empty,
        )
    };
}
pub(crate) use request_span;

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("token", &self.inner.token)
            .field("retry", &self.inner.retry)
            .field("rate_limit", &self.rate_limit())
            .finish()
    }
}

/// A failure before any answer: a timeout, a TLS or DNS failure (reported at
/// once, for they fail the same way until the configuration changes), a URL
/// reqwest cannot use, or a connection that failed or broke (retried).
fn transport(operation: &'static str, error: reqwest::Error) -> Error {
    if error.is_timeout() {
        Error::Timeout {
            operation,
            attempts: 1,
        }
    } else if let Some(reason) = crate::tls::failure(&error) {
        Error::Tls {
            operation,
            reason,
            source: error,
        }
    } else if is_dns_failure(&error) {
        Error::Dns {
            operation,
            host: error
                .url()
                .and_then(|u| u.host_str())
                .unwrap_or_default()
                .to_owned(),
            source: error,
        }
    } else if error.is_builder() || has_bad_scheme(&error) {
        ConfigError::new(
            Setting::BaseUrl,
            Problem::Invalid,
            format!(
                "{operation}: the base URL cannot be used: {error}; expected something like {}",
                crate::DEFAULT_BASE_URL
            ),
        )
        .because(error)
        .into()
    } else {
        Error::Transport {
            operation,
            attempts: 1,
            source: error,
        }
    }
}

/// The texts of an error and of its causes.
fn causes(error: &reqwest::Error) -> impl Iterator<Item = String> + '_ {
    std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .map(ToString::to_string)
}

/// Whether connecting failed because the host name did not resolve.
fn is_dns_failure(error: &reqwest::Error) -> bool {
    // hyper-util's connector says "dns error", and the resolver's own message
    // follows (getaddrinfo's "failed to lookup address information").
    error.is_connect()
        && causes(error).any(|text| {
            text.contains("dns error") || text.contains("failed to lookup address information")
        })
}

/// Whether the URL's scheme is one reqwest cannot speak.
fn has_bad_scheme(error: &reqwest::Error) -> bool {
    causes(error).any(|text| {
        text.contains("URL scheme is not allowed") || text.contains("scheme is not http")
    })
}

/// A body that does not decode, with the serde path and the text around the
/// place of the error.
pub(crate) fn decode_error<T: DeserializeOwned>(
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
        snippet: crate::error::snippet_around(body, offset, token),
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
    let decoded = serde_json::from_slice::<voxys_connect_api::types::ErrorBody>(&body).ok();
    let (message, attributes) = match &decoded {
        Some(body) => {
            let (message, attributes) = error_body_message(body);
            (token.redact(&message), attributes)
        }
        None => (snippet(&body, token), Vec::new()),
    };
    match status {
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
