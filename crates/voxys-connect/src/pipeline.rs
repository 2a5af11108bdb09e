//! The request pipeline: how every request of a [`Client`](crate::Client) is
//! sent, whatever its operation.
//!
//! The generated client hands each request to [`Pipeline::send`] (through
//! its `ClientHooks::exec` hook) with the facts the document states about
//! its operation. The pipeline then, once for every operation:
//! - waits for the client-wide rate limiter;
//! - sends the request in a tracing span `voxys_connect.request` that names
//!   the operation and the attempt, and gets the status, the duration, the
//!   server's request id and the rate the client holds itself to;
//! - reads the body into memory up to the client's limit;
//! - tells what the answer or failure means ([`Verdict`]) and retries by the
//!   operation's [`RetryClass`] as the [`RetryPolicy`] allows.
//!
//! What a repeat does decides the retries:
//! - `read`, `same-state` and `answer-changes` operations are retried after
//!   any failure that may pass (429, 502-504, timeouts, lost connections);
//!   the call notes when an attempt that may have been applied came before
//!   the last one (a delete's 404 then means done);
//! - `second-effect` operations (creates, conversions, merges) are retried
//!   only when the failure proves the request never reached the application
//!   (a 429, a connection never made). After any other failure, the
//!   application's own 500 included, the call's [`Settle`] rule, when it has
//!   one, looks for what the attempt would have made: found, it is the
//!   answer; provably absent, the request goes again (after a 500, the 500
//!   stands); else the call ends with the outcome unknown, and says why.
//!
//! The composite operations (paging, bulk batches, exactly-once creates)
//! plug into it through the call's [`Call`] state: they never run a retry
//! loop of their own.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use tracing::Instrument;
use voxys_connect_api::{Operation, RetryClass};

use crate::rate_limit::{Outcome, RateLimiter};
use crate::retry::{Pacing, RetryPolicy, Step, Stop, retry_after};

/// The pipeline of one client (shared by its clones).
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub(crate) retry: RetryPolicy,
    pub(crate) limiter: RateLimiter,
    pub(crate) max_response_bytes: usize,
    /// Set by [`Client::stop_retrying`](crate::Client::stop_retrying).
    pub(crate) stop: Stop,
}

impl voxys_connect_api::Pipeline for Pipeline {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static Operation,
    ) -> Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>> {
        Box::pin(self.run(http, request, operation))
    }
}

tokio::task_local! {
    /// The state of the call under way in this task, set by
    /// [`Call::scope`]; absent for requests made with the generated client
    /// directly (`Client::api()`).
    static CALL: Arc<Call>;
}

/// What settles the outcome of a `second-effect` request whose answer was
/// lost: it looks for what the request would have made.
pub(crate) trait Settle: Send + Sync {
    /// Looks, after `failure`, for what the request would have made.
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled>;

    /// What the request does, in words (`converting lead 42 into funnel
    /// 3`), for an [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown).
    fn action(&self) -> String;

    /// Where to look before sending it again, in words.
    fn look(&self) -> String;
}

/// What a [`Settle`] rule found.
pub(crate) enum Settled {
    /// What the request made: the body of the answer that was lost, in
    /// JSON (the generated code decodes it as it would have the answer).
    Found(Vec<u8>),
    /// Provably not made: the request may go again.
    Absent,
    /// It cannot tell; why, in words.
    Unknown(String),
}

impl Settled {
    /// The `what` (`card`, `task`...) found: as the answer that was lost
    /// would have carried it.
    pub(crate) fn found(record: &impl serde::Serialize, what: &str) -> Settled {
        match serde_json::to_vec(record) {
            Ok(body) => Settled::Found(body),
            Err(e) => Settled::Unknown(format!("the {what} found could not be encoded: {e}")),
        }
    }
}

/// An attempt whose failure leaves it unknown whether it was applied.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The status of the answer, when there was one (a 5xx).
    pub(crate) status: Option<u16>,
    /// The server's id for the request, when the answer had one: then the
    /// application itself answered, and is done with the request.
    pub(crate) request_id: Option<String>,
    /// What happened, in words.
    pub(crate) what: String,
    /// When the attempt began (this machine's clock, before the rate
    /// limiter's wait): what it made, it made after this.
    pub(crate) began: std::time::SystemTime,
}

impl Failure {
    /// Whether the application itself answered with a failure, and so is
    /// done with the request: its own 500, with a request id. (A 502, 503
    /// or 504 comes from a proxy or a gateway, which may have given up on an
    /// application still at work, even when it adds a request id of its
    /// own.)
    pub(crate) fn answered_by_the_application(&self) -> bool {
        self.request_id.is_some() && self.status == Some(500)
    }
}

/// The state of one call of the SDK: its settle rule, and what its attempts
/// came to.
#[derive(Default)]
pub(crate) struct Call {
    settle: Option<Arc<dyn Settle>>,
    notes: Mutex<Notes>,
}

/// What the attempts of one call came to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Notes {
    /// Attempts made, the last one included.
    pub(crate) attempts: u32,
    /// An attempt before the last failed in a way that leaves it unknown
    /// whether it was applied.
    pub(crate) earlier_may_have_applied: bool,
    /// The answer was lost, and is what the settle rule found.
    pub(crate) settled: bool,
    /// A `second-effect` request's outcome could not be settled: why.
    pub(crate) uncertain: Option<String>,
}

impl Call {
    /// A call that settles lost answers with `settle`.
    pub(crate) fn settled_by(settle: Arc<dyn Settle>) -> Call {
        Call {
            settle: Some(settle),
            notes: Mutex::default(),
        }
    }

    /// Runs `future` (a request of the generated client) as this call.
    pub(crate) async fn scope<F: Future>(self: &Arc<Self>, future: F) -> F::Output {
        CALL.scope(Arc::clone(self), future).await
    }

    /// What the request does, in words.
    pub(crate) fn action(&self, operation: &str) -> String {
        match &self.settle {
            Some(settle) => settle.action(),
            None => format!("the {operation} request"),
        }
    }

    /// Where to look before sending the request again, in words.
    pub(crate) fn look(&self) -> String {
        match &self.settle {
            Some(settle) => settle.look(),
            None => "check whether it was applied (look for what it would have made)".to_owned(),
        }
    }

    /// What the attempts came to.
    pub(crate) fn notes(&self) -> Notes {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn note(&self, f: impl FnOnce(&mut Notes)) {
        if let Ok(mut notes) = self.notes.lock() {
            f(&mut notes);
        }
    }
}

/// What an attempt's answer or failure means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A 2xx answer.
    Success,
    /// A failure that may pass; whether the request may have been applied.
    MayPass(Reach),
    /// An answer or failure that will not pass by trying again (401, 404,
    /// 422, a TLS or DNS failure, a body over the limit...).
    Final,
}

/// Whether a failed request reached the application and was applied, as far
/// as the failure tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// It provably changed nothing: the connection was never made, or the
    /// rate limiter refused it (429).
    NotApplied,
    /// It may have been applied: a timeout, a connection lost after
    /// sending, a 502-504, a body cut short.
    Unknown,
}

impl Verdict {
    /// The verdict on one attempt.
    pub(crate) fn of(result: &reqwest::Result<reqwest::Response>) -> Verdict {
        match result {
            Ok(response) if voxys_connect_api::is_too_large(response) => Verdict::Final,
            Ok(response) => match response.status().as_u16() {
                200..=299 => Verdict::Success,
                429 => Verdict::MayPass(Reach::NotApplied),
                502..=504 => Verdict::MayPass(Reach::Unknown),
                _ => Verdict::Final,
            },
            Err(error) => match TransportFailure::of(error) {
                TransportFailure::Connect => Verdict::MayPass(Reach::NotApplied),
                TransportFailure::Timeout | TransportFailure::Broken => {
                    Verdict::MayPass(Reach::Unknown)
                }
                TransportFailure::Tls(_)
                | TransportFailure::WrongScheme { .. }
                | TransportFailure::Dns
                | TransportFailure::BadUrl => Verdict::Final,
            },
        }
    }
}

/// What kind of failure a transport error is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    /// The request did not complete in time.
    Timeout,
    /// TLS failed, for the reason given: it will fail the same way until the
    /// configuration changes.
    Tls(String),
    /// The server speaks another protocol than the URL's scheme: TLS on an
    /// `http://` URL, or plain HTTP on an `https://` one. Nothing reached the
    /// application (the server could not read the request), and it fails
    /// the same way until the base URL changes.
    WrongScheme {
        /// The scheme the server speaks: `https` or `http`.
        server_speaks: &'static str,
    },
    /// The host name did not resolve.
    Dns,
    /// The URL cannot be used (its scheme, or its shape).
    BadUrl,
    /// The connection could not be made: nothing was sent.
    Connect,
    /// The connection broke after sending, or the body was cut short.
    Broken,
}

impl TransportFailure {
    /// The kind of `error`.
    pub(crate) fn of(error: &reqwest::Error) -> TransportFailure {
        if error.is_timeout() {
            TransportFailure::Timeout
        } else if let Some(server_speaks) = wrong_scheme(error) {
            TransportFailure::WrongScheme { server_speaks }
        } else if let Some(reason) = crate::tls::failure(error) {
            TransportFailure::Tls(reason)
        } else if is_dns_failure(error) {
            TransportFailure::Dns
        } else if error.is_builder() || has_bad_scheme(error) {
            TransportFailure::BadUrl
        } else if error.is_connect() {
            TransportFailure::Connect
        } else {
            TransportFailure::Broken
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

/// The scheme the server speaks, when it is not the URL's: `https` when an
/// `http://` request was answered with bytes that are not HTTP (a TLS
/// alert), `http` when a TLS handshake was answered with bytes that are not
/// TLS (an HTTP 400).
fn wrong_scheme(error: &reqwest::Error) -> Option<&'static str> {
    let scheme = error.url()?.scheme();
    let texts: Vec<String> = causes(error).collect();
    let any = |needles: &[&str]| {
        texts
            .iter()
            .any(|text| needles.iter().any(|needle| text.contains(needle)))
    };
    match scheme {
        // hyper's parse error for a status line that does not start "HTTP/".
        "http" if any(&["invalid HTTP version parsed"]) => Some("https"),
        // rustls reads the first byte of "HTTP/1.1 400" as a record type;
        // OpenSSL says "wrong version number" or "packet length too long".
        // Only in the handshake (a connect error): nothing was sent yet.
        "https"
            if error.is_connect()
                && any(&[
                    "InvalidContentType",
                    "wrong version number",
                    "packet length too long",
                ]) =>
        {
            Some("http")
        }
        _ => None,
    }
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

/// One attempt's failure, in words, for logs and settle rules.
fn describe(result: &reqwest::Result<reqwest::Response>) -> String {
    match result {
        Ok(response) => format!("answered {}", response.status().as_u16()),
        Err(error) if error.is_timeout() => "timed out".to_owned(),
        Err(error) => format!("failed: {error}"),
    }
}

impl Pipeline {
    /// Sends `request` for `operation`, retrying as its class and the
    /// policy allow.
    async fn run(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static Operation,
    ) -> reqwest::Result<reqwest::Response> {
        let call = CALL.try_with(Arc::clone).ok();
        let url = request.url().clone();
        // A request whose body cannot be copied (none here: every body is
        // buffered JSON) goes once.
        let mut once = Some(request);
        let retryable = once.as_ref().and_then(|r| r.try_clone()).is_some();
        let (result, attempts) = self
            .retry
            .run_until_stopped(&self.stop, |attempt| {
                let request = if retryable {
                    once.as_ref().and_then(|r| r.try_clone())
                } else {
                    once.take()
                };
                let call = call.clone();
                let url = &url;
                async move {
                    let Some(request) = request else {
                        unreachable_request()
                    };
                    let span = tracing::info_span!(
                        "voxys_connect.request",
                        operation = operation.id,
                        attempt,
                        path = url.path(),
                        query = url.query(),
                        status = tracing::field::Empty,
                        duration_ms = tracing::field::Empty,
                        request_id = tracing::field::Empty,
                        rate_limit = tracing::field::Empty,
                    );
                    let began = std::time::SystemTime::now();
                    let (result, pacing) = self
                        .attempt(http, request, attempt > 1)
                        .instrument(span.clone())
                        .await;
                    self.judge(result, pacing, operation, call.as_deref(), retryable, began)
                        .instrument(span)
                        .await
                }
            })
            .await;
        if let Some(call) = &call {
            call.note(|notes| notes.attempts = attempts);
        }
        result
    }

    /// One attempt (`retry`: not the first), in the current span: waits
    /// for the rate limiter, sends, reads the body, and tells the limiter
    /// how it went.
    async fn attempt(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        retry: bool,
    ) -> (reqwest::Result<reqwest::Response>, Pacing) {
        let permit = self.limiter.acquire().await.for_retry(retry);
        let span = tracing::Span::current();
        if let Some(rate) = self.limiter.current_rate() {
            span.record("rate_limit", rate);
        }
        let started = tokio::time::Instant::now();
        let result =
            voxys_connect_api::send_once(http, request, Some(self.max_response_bytes)).await;
        let outcome = match &result {
            Ok(response) if response.status() == 429 => {
                Outcome::Throttled(retry_after(response.headers()))
            }
            _ => Outcome::Other,
        };
        let pacing = self.limiter.record(permit, outcome);
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        if let Ok(response) = &result {
            span.record("status", response.status().as_u16());
            if let Some(id) = voxys_connect_api::request_id(response) {
                span.record("request_id", id.as_str());
            }
        }
        (result, pacing)
    }

    /// What to do after an attempt: stop with its result, or go again.
    async fn judge(
        &self,
        result: reqwest::Result<reqwest::Response>,
        pacing: Pacing,
        operation: &'static Operation,
        call: Option<&Call>,
        retryable: bool,
        began: std::time::SystemTime,
    ) -> Step<reqwest::Result<reqwest::Response>> {
        let failure = |result: &reqwest::Result<reqwest::Response>| Failure {
            status: result.as_ref().ok().map(|r| r.status().as_u16()),
            request_id: result.as_ref().ok().and_then(voxys_connect_api::request_id),
            what: describe(result),
            began,
        };
        let reach = match Verdict::of(&result) {
            Verdict::Success => {
                tracing::debug!("request succeeded");
                return Step::Done(result);
            }
            // The application's own 500 is not retried, but it does not
            // prove a write was not made (Rails may fail after committing,
            // rendering the answer): a second-effect write looks.
            Verdict::Final
                if operation.retry == RetryClass::SecondEffect
                    && result.as_ref().is_ok_and(|r| r.status() == 500)
                    && let Some(settle) = call.and_then(|c| c.settle.as_ref()) =>
            {
                let failure = failure(&result);
                match settle.settle(&failure).await {
                    Settled::Found(body) => {
                        tracing::info!(outcome = %failure.what, "the server answered 500, but what the request made is there: it was applied once");
                        if let Some(call) = call {
                            call.note(|notes| notes.settled = true);
                        }
                        return Step::Done(Ok(found(body)));
                    }
                    // Nothing made: the 500 stands, as a refusal.
                    Settled::Absent => return Step::Done(result),
                    Settled::Unknown(why) => {
                        if let Some(call) = call {
                            call.note(|notes| notes.uncertain = Some(why));
                        }
                        return Step::Done(result);
                    }
                }
            }
            // An answer that was not HTTP to an `http://` request: a TLS
            // server's, which read no request, or a broken server's, which
            // may have applied it. A request that makes something new each
            // time cannot tell, and the reads that would settle it fail the
            // same way.
            Verdict::Final
                if operation.retry == RetryClass::SecondEffect
                    && result.as_ref().err().map(TransportFailure::of)
                        == Some(TransportFailure::WrongScheme {
                            server_speaks: "https",
                        }) =>
            {
                if let Some(call) = call {
                    call.note(|notes| {
                        notes.uncertain = Some(
                            "the answer was not HTTP: a TLS server answers so without reading the request, but so may a broken server after applying it".to_owned(),
                        )
                    });
                }
                return Step::Done(result);
            }
            Verdict::Final => {
                tracing::debug!(outcome = %describe(&result), "request failed");
                return Step::Done(result);
            }
            Verdict::MayPass(_) if !retryable => return Step::Done(result),
            Verdict::MayPass(reach) => reach,
        };
        if reach == Reach::Unknown
            && operation.retry == RetryClass::SecondEffect
            && self.stop.is_set()
        {
            // Told to stop: nothing new is sent, not even the reads that
            // would settle it.
            if let Some(call) = call {
                call.note(|notes| {
                    notes.uncertain = Some(
                        "the client was told to stop retrying before it could look for what the request made".to_owned(),
                    )
                });
            }
            return Step::Done(result);
        }
        if reach == Reach::Unknown && operation.retry == RetryClass::SecondEffect {
            let failure = failure(&result);
            let settled = match call.and_then(|c| c.settle.as_ref()) {
                Some(settle) => settle.settle(&failure).await,
                None => Settled::Unknown(format!(
                    "{} makes something new each time it is sent, and nothing told whether this attempt did",
                    operation.id
                )),
            };
            match settled {
                Settled::Found(body) => {
                    tracing::info!(outcome = %failure.what, "the answer was lost, but what the request made is there: it was applied once");
                    if let Some(call) = call {
                        call.note(|notes| notes.settled = true);
                    }
                    return Step::Done(Ok(found(body)));
                }
                Settled::Absent => {
                    tracing::warn!(outcome = %failure.what, "the request was not applied; sending it again");
                    // It was not, as far as the settle rule could see: a
                    // later answer that depends on it (a merge's 404) is
                    // checked again.
                    if let Some(call) = call {
                        call.note(|notes| notes.earlier_may_have_applied = true);
                    }
                }
                Settled::Unknown(why) => {
                    if let Some(call) = call {
                        call.note(|notes| notes.uncertain = Some(why));
                    }
                    return Step::Done(result);
                }
            }
        } else if reach == Reach::Unknown
            && let Some(call) = call
        {
            call.note(|notes| notes.earlier_may_have_applied = true);
        }
        let retry_after = result.as_ref().ok().and_then(|r| retry_after(r.headers()));
        Step::Again {
            why: describe(&result),
            result,
            retry_after,
            pacing,
        }
    }
}

/// A request that [`Pipeline::run`] could not copy goes once: its attempt
/// closure is called once only, since a failure of it is then final.
fn unreachable_request() -> ! {
    unreachable!("a request that cannot be copied is sent once, and never retried")
}

/// The answer a settle rule found, as the server would have sent it.
fn found(body: Vec<u8>) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = http::StatusCode::OK;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    reqwest::Response::from(response)
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("settle", &self.settle.is_some())
            .field("notes", &self.notes())
            .finish()
    }
}
