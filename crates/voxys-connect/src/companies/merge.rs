//! [`MergeCompanies`]: merge one company into another (`merge_companies`),
//! once.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use voxys_connect_api::types::{Company, CompanyMerge};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, id};
use crate::pipeline::{Call, Failure, Settle, Settled};

/// A request to merge a company (the source) into another (the target)
/// (`POST /api/v1/accounts/{account_id}/companies/{id}/merge`); made by
/// [`Companies::merge`](crate::companies::Companies::merge).
///
/// The source's leads and contacts move to the target, and **the source is
/// deleted**; the answer is the target.
///
/// **Once.** Merging again is answered 404 (the source is gone): harmless,
/// but a blind retry after a lost answer would turn a merge that happened
/// into an error. So a lost answer (a timeout, a 502-504, a dropped
/// connection, a body cut short, or the application's own 500) is settled by
/// reading the source and the target:
/// - the source gone and the target there: it was merged; the target is
///   the answer;
/// - the source still there: it was not merged, or not yet. After the
///   application's own 500 it was not, and the 500 stands. Otherwise the
///   client reads again after [`settle_after`](MergeCompanies::settle_after),
///   and when the source is still there sends the merge again. Should the
///   first merge still be under way on the server, both run; the data ends
///   the same (the source merged into the target), and the second is
///   answered 404 once the first is done;
/// - a failure of a later attempt (a 404 above all) is checked the same way:
///   the source gone and the target there is the merge done.
///
/// When the companies cannot be read, or the last attempt's answer was lost
/// too while the source is still there, the call ends with
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which says where
/// to look. (A source deleted by another program in the same moment would
/// look merged.)
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let survivor = client.companies(1).merge(12, 10).send().await?;
/// println!("{} now has {:?} contacts", survivor.name, survivor.contacts_count);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct MergeCompanies {
    client: Client,
    account_id: i64,
    source_id: i64,
    target_id: i64,
    settle_after: Duration,
}

impl MergeCompanies {
    pub(crate) fn new(
        client: Client,
        account_id: i64,
        source_id: i64,
        target_id: i64,
    ) -> MergeCompanies {
        MergeCompanies {
            client,
            account_id,
            source_id,
            target_id,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// When an answer was lost and the source is still there, how long to
    /// wait before reading it once more, and merging again if it still is
    /// (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> MergeCompanies {
        self.settle_after = wait;
        self
    }

    /// Merges; the target company, as it is after the merge.
    pub async fn send(self) -> Result<Company> {
        id("source", Some(self.source_id))?;
        let target = id("target", Some(self.target_id))?.ok_or_else(|| self.same())?;
        if self.source_id == self.target_id {
            return Err(self.same());
        }
        let request = self
            .client
            .api()
            .merge_companies()
            .account_id(self.account_id)
            .id(self.source_id)
            .body(CompanyMerge::new(target))
            .send();
        let settle = Arc::new(ReadBoth {
            merge: self.clone(),
        });
        let (result, notes) = self
            .client
            .send_noting("merge_companies", Call::settled_by(settle.clone()), request)
            .await;
        match result {
            // A later attempt failed after one that may have merged (the
            // settle rule found the source there and sent it again): a 404
            // may be that merge done, another failure may hide it.
            Err(error) if notes.earlier_may_have_applied && !is_unknown(&error) => {
                match settle.read_both().await {
                    Ok(Seen::Merged(target)) => {
                        tracing::info!(
                            "a later attempt failed, and the source is gone: an earlier attempt merged it"
                        );
                        Ok(*target)
                    }
                    Ok(Seen::SourceThere) if matches!(error, Error::NotFound { .. }) => Err(error),
                    Ok(Seen::SourceThere) => Err(self.unknown(
                        "the last attempt's answer was lost too, and the source is still there: a merge may still be under way".to_owned(),
                        error,
                    )),
                    Err(look) => Err(self.unknown(
                        format!("reading the source and the target failed too: {look}"),
                        error,
                    )),
                }
            }
            other => other,
        }
    }

    /// The outcome unknown, after `cause`.
    fn unknown(&self, why: String, cause: Error) -> Error {
        let rule = ReadBoth {
            merge: self.clone(),
        };
        Error::OutcomeUnknown {
            operation: "merge_companies",
            action: rule.action(),
            why,
            look: rule.look(),
            cause: Box::new(cause),
        }
    }

    fn same(&self) -> Error {
        Error::InvalidParameter {
            name: "target",
            value: self.target_id.to_string(),
            expected: "another company than the source".to_owned(),
        }
    }
}

/// How a merge whose answer was lost is settled: by reading the source and
/// the target.
struct ReadBoth {
    merge: MergeCompanies,
}

/// What reading the source and the target found.
enum Seen {
    /// The source is gone and the target is there: merged.
    Merged(Box<Company>),
    /// The source is still there.
    SourceThere,
}

impl ReadBoth {
    async fn read_both(&self) -> Result<Seen> {
        let companies = self.merge.client.companies(self.merge.account_id);
        match companies.get(self.merge.source_id).send().await {
            Ok(_) => return Ok(Seen::SourceThere),
            Err(Error::NotFound { .. }) => {}
            Err(other) => return Err(other),
        }
        let target = companies.get(self.merge.target_id).send().await?;
        Ok(Seen::Merged(Box::new(target)))
    }
}

impl Settle for ReadBoth {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            let unreadable = |look: Error| {
                Settled::Unknown(format!(
                    "reading the source and the target failed too: {look}"
                ))
            };
            match self.read_both().await {
                Ok(Seen::Merged(target)) => return Settled::found(&target, "target"),
                // The application answered: it is done, and did not merge.
                Ok(Seen::SourceThere) if failure.answered_by_the_application() => {
                    return Settled::Absent;
                }
                Ok(Seen::SourceThere) => {}
                Err(look) => return unreadable(look),
            }
            // The server may still be merging: read again before merging
            // again.
            tokio::time::sleep(self.merge.settle_after).await;
            match self.read_both().await {
                Ok(Seen::Merged(target)) => Settled::found(&target, "target"),
                Ok(Seen::SourceThere) => Settled::Absent,
                Err(look) => unreadable(look),
            }
        })
    }

    fn action(&self) -> String {
        format!(
            "merging company {} into company {}",
            self.merge.source_id, self.merge.target_id
        )
    }

    fn look(&self) -> String {
        let (account, source) = (self.merge.account_id, self.merge.source_id);
        format!(
            "read the source company: gone means it was merged (Client::companies({account}).get({source}), or `voxys companies get {source}`)"
        )
    }
}

/// Whether `error` already says the outcome is unknown.
fn is_unknown(error: &Error) -> bool {
    matches!(error, Error::OutcomeUnknown { .. })
}
