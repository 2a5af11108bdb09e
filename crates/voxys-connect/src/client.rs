//! [`Client`]: the entry point, and the one way every API call is made.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use voxys_connect_api::{ApiToken, ClientInfo, RequestDefaults, ResponseValue};

use crate::companies::Companies;
use crate::config::ClientBuilder;
use crate::conversations::Conversations;
use crate::create::Claimed;
use crate::error::{Error, Result, classify};
use crate::leads::Leads;
use crate::pipeline::{Call, Notes, Pipeline};
use crate::pipelines::Pipelines;
use crate::rate_limit::RateLimitStatus;
use crate::retry::RetryPolicy;
use crate::tasks::Tasks;

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
    claimed: Arc<Claimed>,
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
                claimed: Arc::default(),
            }),
        }
    }

    /// The leads of one account.
    pub fn leads(&self, account_id: i64) -> Leads {
        Leads::new(self.clone(), account_id)
    }

    /// The companies of one account.
    pub fn companies(&self, account_id: i64) -> Companies {
        Companies::new(self.clone(), account_id)
    }

    /// The pipelines (funnels) of one account.
    pub fn pipelines(&self, account_id: i64) -> Pipelines {
        Pipelines::new(self.clone(), account_id)
    }

    /// The follow-up tasks of one account.
    pub fn tasks(&self, account_id: i64) -> Tasks {
        Tasks::new(self.clone(), account_id)
    }

    /// The conversations of one account, for their CRM panel.
    pub fn conversations(&self, account_id: i64) -> Conversations {
        Conversations::new(self.clone(), account_id)
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

    /// Whether the client's adaptive rate limit is on: once 429s come, it
    /// paces every request, retries included.
    pub(crate) fn adapts(&self) -> bool {
        self.inner.pipeline.limiter.adapts()
    }

    /// Stops retrying, for good: from now on no request of this client (or
    /// of its clones) is retried. Each call under way ends with what its
    /// current attempt comes to (a wait before a retry ends at once); a
    /// write whose answer is lost then ends with
    /// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) without the
    /// reads that would settle it; new calls go once. For a program that
    /// stops on a signal: nothing new is sent, nothing is retried, and what
    /// is in flight finishes. (A request waiting for the rate limiter when
    /// this is called still goes when the limiter lets it.)
    ///
    /// ```no_run
    /// # async fn example(
    /// #     client: voxys_connect::Client,
    /// #     interrupted: tokio::sync::oneshot::Receiver<()>,
    /// # ) {
    /// let stopper = client.clone();
    /// tokio::spawn(async move {
    ///     let _ = interrupted.await; // from the program's signal handler
    ///     stopper.stop_retrying();
    /// });
    /// # }
    /// ```
    pub fn stop_retrying(&self) {
        self.inner.pipeline.stop.set();
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
        let (result, notes) = self.send_noting(operation, call, request).await;
        result.map(|value| Sent { value, notes })
    }

    /// [`send`](Client::send), with what the attempts came to whether the
    /// call succeeded or not (a delete reads a 404 after a lost answer as
    /// done).
    pub(crate) async fn send_noting<T, Fut>(
        &self,
        operation: &'static str,
        call: Call,
        request: Fut,
    ) -> (Result<T>, Notes)
    where
        T: DeserializeOwned,
        Fut: Future<Output = std::result::Result<ResponseValue<T>, voxys_connect_api::Error<()>>>,
    {
        let call = Arc::new(call);
        let (result, observed) = call.scope(voxys_connect_api::observe(request)).await;
        let notes = call.notes();
        match result {
            Ok(value) => (Ok(value.into_inner()), notes),
            Err(error) => {
                let error = classify::<T>(
                    operation,
                    error,
                    observed,
                    &self.inner.token,
                    self.inner.pipeline.max_response_bytes,
                )
                .await
                .with_attempts(notes.attempts.max(1));
                tracing::debug!(error = %error, "call failed");
                let error = match notes.uncertain.clone() {
                    Some(why) => Error::OutcomeUnknown {
                        operation,
                        action: call.action(operation),
                        why,
                        look: call.look(),
                        cause: Box::new(error),
                    },
                    None => error,
                };
                (Err(error), notes)
            }
        }
    }

    /// The ids of records this client's creates were answered with or
    /// settled on.
    pub(crate) fn claimed(&self) -> &Arc<Claimed> {
        &self.inner.claimed
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
