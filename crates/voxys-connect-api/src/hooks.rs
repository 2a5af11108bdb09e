//! [`RequestDefaults`]: what every request of a [`Client`] carries.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{HeaderValue, USER_AGENT};

use crate::{API_KEY_HEADER, ApiToken, Client, InvalidParameter, Operation};

/// The header in which the server names each request (Rails sends it on
/// every answer).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    /// What the answers of the requests under way in this task said about
    /// themselves; set by [`observe`].
    static OBSERVED: std::cell::RefCell<Observed>;
}

/// What an answer said about itself, whatever became of it (decoded, or an
/// error): read it with [`observe`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observed {
    /// The HTTP status of the last answer.
    pub status: Option<u16>,
    /// The server's id for the last request (`X-Request-Id`), if it sent one.
    pub request_id: Option<String>,
    /// A parameter out of the range the document gives it, when the hooks
    /// refused the request for it (nothing was sent).
    pub rejected: Option<InvalidParameter>,
}

/// Runs `request` (a call of this crate's [`Client`]) and returns its output
/// with what its last answer said about itself: the status and the server's
/// request id, which [`Error::InvalidResponsePayload`] (a body that does not
/// decode) does not carry.
///
/// ```no_run
/// # async fn example(client: voxys_connect_api::Client) {
/// let (result, observed) =
///     voxys_connect_api::observe(client.list_leads().account_id(1).send()).await;
/// if let Err(error) = result {
///     eprintln!("{error} (request id {:?})", observed.request_id);
/// }
/// # }
/// ```
pub async fn observe<F: std::future::Future>(request: F) -> (F::Output, Observed) {
    OBSERVED
        .scope(std::cell::RefCell::new(Observed::default()), async {
            let output = request.await;
            let observed = OBSERVED.with(|o| o.take());
            (output, observed)
        })
        .await
}

/// The start of the [`Error::Custom`] message of a response whose body is
/// larger than [`RequestDefaults::max_response_bytes`].
pub const BODY_TOO_LARGE: &str = "response body too large";

/// Marks a response whose body was over the limit (and was not read).
#[derive(Clone, Copy, Debug)]
struct TooLarge;

/// Settings applied to every request a [`Client`] sends.
///
/// progenitor ignores the document's security scheme, so the client's hooks
/// apply it: the token goes into the `api_access_token` header of each request
/// (marked sensitive). Because they are applied per request, these settings
/// work with any `reqwest::Client`, including one the caller built.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestDefaults {
    /// The API access token; requests go without one when `None`.
    pub token: Option<ApiToken>,
    /// The `User-Agent` header; reqwest's (none) when `None`.
    pub user_agent: Option<HeaderValue>,
    /// The time a whole request may take, from connecting until the body is
    /// read; the `reqwest::Client`'s own setting when `None`.
    pub timeout: Option<Duration>,
    /// The largest response body read into memory; a larger one fails the
    /// request with [`Error::Custom`] starting with [`BODY_TOO_LARGE`] instead
    /// of exhausting memory. No limit when `None`.
    pub max_response_bytes: Option<usize>,
    /// What sends each request: retries, rate limiting, tracing. `None`
    /// sends each request once, with [`send_once`].
    pub pipeline: Option<Arc<dyn Pipeline>>,
}

/// What sends every request of a [`Client`] whose [`RequestDefaults`] name
/// it: the place for retries, rate limiting and tracing, once for every
/// operation.
///
/// It gets the request, already carrying the token and the user agent and
/// checked against the document's parameter ranges, and the facts the
/// document states about its operation (its [`RetryClass`](crate::RetryClass)
/// above all). It sends it, with [`send_once`] for each attempt (a request
/// with a buffered body can be copied with `try_clone` to send again), and
/// returns the answer the generated code will decode, or the transport
/// error it will report. The `voxys-connect` crate implements it.
pub trait Pipeline: std::fmt::Debug + Send + Sync + 'static {
    /// Sends `request`, made for `operation`, as this pipeline does.
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static Operation,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;
}

impl RequestDefaults {
    /// Defaults that send `token` with every request.
    pub fn with_token(token: ApiToken) -> RequestDefaults {
        RequestDefaults {
            token: Some(token),
            ..RequestDefaults::default()
        }
    }
}

impl ClientHooks<RequestDefaults> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        let defaults = self.inner();
        let headers = request.headers_mut();
        if let Some(token) = &defaults.token {
            headers.insert(API_KEY_HEADER, token.header_value().clone());
        }
        if let Some(agent) = &defaults.user_agent {
            headers.insert(USER_AGENT, agent.clone());
        }
        if let Some(timeout) = defaults.timeout {
            *request.timeout_mut() = Some(timeout);
        }
        if let Some(operation) = crate::operation(info.operation_id)
            && let Err(rejected) = crate::check_parameters(request, operation)
        {
            let message = rejected.to_string();
            // Outside `observe`, there is nothing to note it in.
            let _ = OBSERVED.try_with(|observed| observed.borrow_mut().rejected = Some(rejected));
            return Err(Error::Custom(message));
        }
        Ok(())
    }

    /// Hands the request to the [`Pipeline`], or sends it once.
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let defaults = self.inner();
        match (&defaults.pipeline, crate::operation(info.operation_id)) {
            (Some(pipeline), Some(operation)) => {
                pipeline.send(self.client(), request, operation).await
            }
            _ => send_once(self.client(), request, defaults.max_response_bytes).await,
        }
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _: &OperationInfo,
    ) -> Result<(), Error<E>> {
        match result {
            Ok(response) if is_too_large(response) => Err(Error::Custom(format!(
                "{BODY_TOO_LARGE}: more than {} bytes (status {})",
                self.inner().max_response_bytes.unwrap_or_default(),
                response.status().as_u16()
            ))),
            _ => Ok(()),
        }
    }
}

/// Sends `request` once and reads the answer's body into memory (up to
/// `max_response_bytes`), so that a body cut short fails here, as a
/// transport error, and not later while it is decoded. Notes the status and
/// the request id for [`observe`].
///
/// A body over the limit is not read: the answer comes back empty and
/// marked, and the client's hooks turn it into [`Error::Custom`] starting
/// with [`BODY_TOO_LARGE`] ([`is_too_large`] tells such an answer).
pub async fn send_once(
    http: &reqwest::Client,
    request: reqwest::Request,
    max_response_bytes: Option<usize>,
) -> reqwest::Result<reqwest::Response> {
    let response = http.execute(request).await?;
    // Outside `observe`, there is nothing to note it in.
    let _ = OBSERVED.try_with(|observed| {
        let mut observed = observed.borrow_mut();
        observed.status = Some(response.status().as_u16());
        observed.request_id = request_id(&response);
    });
    read_limited(response, max_response_bytes.unwrap_or(usize::MAX)).await
}

/// The server's id for the request an answer answers (`X-Request-Id`).
pub fn request_id(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether [`send_once`] left this answer's body unread because it was over
/// the limit.
pub fn is_too_large(response: &reqwest::Response) -> bool {
    response.extensions().get::<TooLarge>().is_some()
}

/// The response with its body read into memory, or, when the body is larger
/// than `limit`, an empty response marked [`TooLarge`]: a server cannot make
/// the client hold more than `limit` bytes of one body.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let declared = response
        .content_length()
        .and_then(|n| usize::try_from(n).ok());
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    let mut too_large = declared.is_some_and(|n| n > limit);
    while !too_large && let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            too_large = true;
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    if too_large {
        body = Vec::new();
    }
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = response.status();
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = response.headers().clone();
    if too_large {
        rebuilt.extensions_mut().insert(TooLarge);
    }
    Ok(reqwest::Response::from(rebuilt))
}
