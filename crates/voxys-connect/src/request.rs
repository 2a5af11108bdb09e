//! [`Request`]: one operation of the API, ready to send.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use voxys_connect_api::ResponseValue;

use crate::client::Client;
use crate::error::Result;
use crate::pipeline::Call;

/// What a request of the generated client resolves to.
type Answer<T> = std::result::Result<ResponseValue<T>, voxys_connect_api::Error<()>>;

/// Makes the generated client's request, each time the request is sent.
type Make<T> = Arc<dyn Fn(Client) -> BoxFuture<'static, Answer<T>> + Send + Sync>;

/// A request for one operation of the API, ready to [`send`](Request::send);
/// what the accessors of the sections return for the operations that are
/// one request and one answer (get a lead, lead totals...).
///
/// It goes through the client's pipeline like every request: the rate
/// limiter, retries by what a repeat of the operation does, the body limit,
/// tracing, and errors that say what happened and what to do.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let lead = client.leads(1).get(42).send().await?;
/// let stats = client.leads(1).stats().send().await?;
/// println!("{:?}: one of {} leads", lead.custom_name, stats.total);
/// # Ok(())
/// # }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct Request<T> {
    client: Client,
    operation: &'static str,
    make: Make<T>,
    /// A parameter found out of range when the request was made: it fails
    /// without being sent.
    invalid: Option<Invalid>,
}

/// A parameter out of range, for [`Error::InvalidParameter`](crate::Error::InvalidParameter).
#[derive(Clone, Debug)]
pub(crate) struct Invalid {
    pub(crate) name: &'static str,
    pub(crate) value: String,
    pub(crate) expected: String,
}

impl Invalid {
    /// `Some` when `id` is not a positive id.
    pub(crate) fn id(name: &'static str, id: i64) -> Option<Invalid> {
        (id < 1).then(|| Invalid {
            name,
            value: id.to_string(),
            expected: "an id, a whole number from 1 up".to_owned(),
        })
    }

    fn error(self) -> crate::Error {
        crate::Error::InvalidParameter {
            name: self.name,
            value: self.value,
            expected: self.expected,
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> Request<T> {
    /// A request of `operation` that `make` builds with the generated client
    /// of the client it is given.
    pub(crate) fn new<F, Fut>(client: &Client, operation: &'static str, make: F) -> Request<T>
    where
        F: Fn(Client) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Answer<T>> + Send + 'static,
    {
        Request {
            client: client.clone(),
            operation,
            make: Arc::new(move |client| Box::pin(make(client))),
            invalid: None,
        }
    }

    /// The request fails with `invalid`, when there is one, without being
    /// sent.
    pub(crate) fn check(mut self, invalid: Option<Invalid>) -> Request<T> {
        if self.invalid.is_none() {
            self.invalid = invalid;
        }
        self
    }

    /// The API operation, such as `get_lead`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Sends the request; the answer, decoded.
    pub async fn send(self) -> Result<T> {
        if let Some(invalid) = self.invalid {
            return Err(invalid.error());
        }
        let request = (self.make)(self.client.clone());
        Ok(self
            .client
            .send(self.operation, Call::default(), request)
            .await?
            .value)
    }
}

impl<T> Clone for Request<T> {
    fn clone(&self) -> Self {
        Request {
            client: self.client.clone(),
            operation: self.operation,
            make: Arc::clone(&self.make),
            invalid: self.invalid.clone(),
        }
    }
}

impl<T> fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}
