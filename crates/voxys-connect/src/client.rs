//! [`Client`]: the entry point.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use voxys_connect_api::{ApiToken, ClientInfo, RequestDefaults};

use crate::config::ClientBuilder;
use crate::error::{Error, Result, error_body_message, snippet};
use crate::leads::Leads;
use crate::retry::{RetryPolicy, retry_after};

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
}

impl Client {
    /// A builder to configure a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client configured from the environment: the token from
    /// `VOXYS_API_TOKEN` (required) and the base URL from `VOXYS_BASE_URL`
    /// (default `https://connect.voxys.ai`).
    pub fn from_env() -> Result<Client> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn new(
        base_url: String,
        http: reqwest::Client,
        defaults: RequestDefaults,
        token: ApiToken,
        retry: RetryPolicy,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                max_response_bytes: defaults.max_response_bytes.unwrap_or(usize::MAX),
                api: voxys_connect_api::Client::new_with_client(&base_url, http, defaults),
                token,
                retry,
            }),
        }
    }

    /// The leads of one account.
    pub fn leads(&self, account_id: u64) -> Leads {
        Leads::new(self.clone(), account_id)
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.inner.api.baseurl()
    }

    /// The retry policy requests follow.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The generated low-level client underneath, for operations this crate
    /// does not wrap yet. It sends the token, but does not retry.
    pub fn api(&self) -> &voxys_connect_api::Client {
        &self.inner.api
    }

    /// Turns a failure of the generated client into this crate's [`Error`];
    /// `T` is the type the success body decodes into.
    pub(crate) async fn map_error<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        error: voxys_connect_api::Error<()>,
    ) -> Error {
        use voxys_connect_api::Error as Api;
        let secret = self.inner.token.expose();
        match error {
            Api::CommunicationError(e) | Api::ResponseBodyError(e) | Api::InvalidUpgrade(e) => {
                transport(operation, e)
            }
            Api::InvalidResponsePayload(body, e) => {
                decode_error::<T>(operation, 200, &body, &e, secret)
            }
            Api::UnexpectedResponse(response) => answer_error(operation, response, secret).await,
            Api::ErrorResponse(value) => Error::UnexpectedStatus {
                operation,
                status: value.status().as_u16(),
                snippet: String::new(),
                location: None,
            },
            Api::Custom(message) if message.starts_with(voxys_connect_api::BODY_TOO_LARGE) => {
                Error::BodyTooLarge {
                    operation,
                    limit: self.inner.max_response_bytes,
                }
            }
            Api::InvalidRequest(message) | Api::Custom(message) => Error::Config(format!(
                "{operation}: the request could not be made: {message}"
            )),
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("token", &self.inner.token)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

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
    } else {
        Error::Transport {
            operation,
            attempts: 1,
            source: error,
        }
    }
}

/// A body that does not decode, with the serde path and the text around the
/// place of the error.
pub(crate) fn decode_error<T: DeserializeOwned>(
    operation: &'static str,
    status: u16,
    body: &[u8],
    error: &serde_json::Error,
    secret: &str,
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
        path,
        message: error.to_string(),
        snippet: crate::error::snippet_around(body, offset, secret),
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
    secret: &str,
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
        Some(body) => error_body_message(body),
        None => (snippet(&body, secret), Vec::new()),
    };
    let message = message.replace(secret, "[redacted]");
    match status {
        401 | 403 => Error::Unauthorized {
            operation,
            status,
            message,
        },
        404 => Error::NotFound { operation, message },
        422 => Error::Validation {
            operation,
            message,
            attributes,
        },
        429 => Error::RateLimited {
            operation,
            retry_after,
            attempts: 1,
        },
        500..=599 => Error::Server {
            operation,
            status,
            snippet: snippet(&body, secret),
            retry_after,
            attempts: 1,
        },
        _ => Error::UnexpectedStatus {
            operation,
            status,
            snippet: snippet(&body, secret),
            location,
        },
    }
}
