//! [`Delete`]: a request that deletes a record or removes it from another
//! (a contact from a company), and what it did ([`Deleted`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use voxys_connect_api::ResponseValue;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::Call;

/// What a [`Delete`] did (for a contact taken out of a company, "deleted"
/// means removed from it: the contact stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Deleted {
    /// The server answered that it deleted it.
    Now,
    /// An earlier attempt's answer was lost (a timeout, a dropped connection,
    /// a proxy's 5xx), and the retry was answered 404: the earlier attempt
    /// deleted it, or another program did meanwhile, or (the client cannot
    /// tell) it never existed. Either way it is not there now.
    ByEarlierAttempt,
}

impl fmt::Display for Deleted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Deleted::Now => "done",
            Deleted::ByEarlierAttempt => {
                "done (a retry found it gone: an attempt whose answer was lost did it)"
            }
        })
    }
}

/// What a request of the generated client resolves to.
type Answer = std::result::Result<ResponseValue<()>, voxys_connect_api::Error<()>>;

/// Makes the generated client's request, each time the request is sent.
type Make = Arc<dyn Fn(Client) -> BoxFuture<'static, Answer> + Send + Sync>;

/// A request that deletes a lead or a company, or removes a contact from a
/// company; made by [`Leads::delete`](crate::leads::Leads::delete),
/// [`Companies::delete`](crate::companies::Companies::delete) and
/// [`CompanyContacts::remove`](crate::companies::CompanyContacts::remove).
///
/// **Repeating it** is harmless, but answered differently: the second
/// request gets 404. So it is retried like a read, and a 404 after an
/// attempt that may have deleted it counts as done:
/// [`Deleted::ByEarlierAttempt`]. A 404 on the first attempt is
/// [`Error::NotFound`]: there was nothing to delete.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::Deleted;
///
/// match client.leads(1).delete(42).send().await? {
///     Deleted::Now => println!("deleted"),
///     other => println!("{other}"),
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct Delete {
    client: Client,
    operation: &'static str,
    make: Make,
}

impl Delete {
    /// A delete of `operation` that `make` builds with the generated client.
    pub(crate) fn new<F, Fut>(client: &Client, operation: &'static str, make: F) -> Delete
    where
        F: Fn(Client) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Answer> + Send + 'static,
    {
        Delete {
            client: client.clone(),
            operation,
            make: Arc::new(move |client| Box::pin(make(client))),
        }
    }

    /// The API operation, such as `delete_lead`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// Sends the request; what it did.
    pub async fn send(self) -> Result<Deleted> {
        let request = (self.make)(self.client.clone());
        let (result, notes) = self
            .client
            .send_noting(self.operation, Call::default(), request)
            .await;
        match result {
            Ok(()) => Ok(Deleted::Now),
            Err(Error::NotFound { .. }) if notes.earlier_may_have_applied => {
                tracing::info!(
                    operation = self.operation,
                    "the retry was answered 404 after an attempt that may have deleted it: done"
                );
                Ok(Deleted::ByEarlierAttempt)
            }
            Err(error) => Err(error),
        }
    }
}

impl Clone for Delete {
    fn clone(&self) -> Self {
        Delete {
            client: self.client.clone(),
            operation: self.operation,
            make: Arc::clone(&self.make),
        }
    }
}

impl fmt::Debug for Delete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delete")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}
