//! [`Client`]: the entry point, and the one way every API call is made.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use voxys_connect_api::{ApiToken, ClientInfo, Observed, RequestDefaults, ResponseValue};

use crate::config::ClientBuilder;
use crate::error::{ConfigError, Error, Problem, Result, Setting, error_body_message, snippet};
use crate::leads::Leads;
use crate::pipeline::{Call, Notes, Pipeline, TransportFailure};
use crate::pipelines::Pipelines;
use crate::rate_limit::RateLimitStatus;
use crate::retry::{RetryPolicy, retry_after};

/// A client for the Voxys Connect CRM API.
///
/// Cheap to clone (the clones share one connection pool and one rate
/// limiter); make one and reuse it. It is `Send + Sync`, and so are the
/// futures and streams it returns.
///
/// ```no_run
/// # async fn example() -> voxys_connect::Result<()> {
/// use voxys_connect::Client;
/// use voxys_connect::types::LeadStatus;
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
    pipeline: Arc<Pipeline>,
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
        mut defaults: RequestDefaults,
        token: ApiToken,
        pipeline: Pipeline,
    ) -> Client {
        let pipeline = Arc::new(pipeline);
        defaults.pipeline = Some(pipeline.clone());
        Client {
            inner: Arc::new(Inner {
                api: voxys_connect_api::Client::new_with_client(&base_url, http, defaults),
                token,
                pipeline,
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
        &self.inner.pipeline.retry
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
        self.inner.pipeline.limiter.status()
    }

    /// The generated low-level client underneath: every operation of the
    /// document, as progenitor makes it.
    ///
    /// Its requests go through this client's pipeline, as the SDK's own do:
    /// the token, the rate limiter, retries by what a repeat of the
    /// operation does (a create is never sent twice blindly: after a lost
    /// answer it fails, since it has no way to look for what it made), the
    /// body limit, tracing. Its errors are the generated client's
    /// (`voxys_connect_api::Error`), not this crate's [`Error`].
    pub fn api(&self) -> &voxys_connect_api::Client {
        &self.inner.api
    }

    /// Makes one API call: `request` is a request of the generated client
    /// ([`Client::api`]), which goes through the pipeline; `call` holds how
    /// the call settles lost answers, if it can. Returns the decoded answer
    /// and what its attempts came to, or this crate's [`Error`].
    pub(crate) async fn send<T, Fut>(
        &self,
        operation: &'static str,
        call: Call,
        request: Fut,
    ) -> Result<Sent<T>>
    where
        T: DeserializeOwned,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, voxys_connect_api::Error<()>>>,
    {
        let call = Arc::new(call);
        let (result, observed) = call.scope(voxys_connect_api::observe(request)).await;
        let notes = call.notes();
        match result {
            Ok(value) => Ok(Sent {
                value: value.into_inner(),
                notes,
            }),
            Err(error) => {
                let error = self
                    .map_error::<T>(operation, error, observed)
                    .await
                    .with_attempts(notes.attempts.max(1));
                tracing::debug!(error = %error, "call failed");
                Err(match notes.uncertain {
                    Some(why) => Error::OutcomeUnknown {
                        operation,
                        action: call.action(operation),
                        why,
                        look: call.look(),
                        cause: Box::new(error),
                    },
                    None => error,
                })
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
                    limit: self.inner.pipeline.max_response_bytes,
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

/// The value of a call, and what its attempts came to.
pub(crate) struct Sent<T> {
    /// The decoded answer.
    pub(crate) value: T,
    /// What the attempts came to.
    pub(crate) notes: Notes,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("token", &self.inner.token)
            .field("retry", self.retry_policy())
            .field("rate_limit", &self.rate_limit())
            .finish()
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
