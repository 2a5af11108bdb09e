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
        }
    }

    /// The API operation, such as `get_lead`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Sends the request; the answer, decoded.
    pub async fn send(self) -> Result<T> {
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
