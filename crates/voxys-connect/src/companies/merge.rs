//! [`MergeCompanies`]: merge one company into another (`merge_companies`),
//! once.

use std::sync::Arc;

use futures::future::BoxFuture;
use voxys_connect_api::types::{Company, CompanyMerge};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::leads::id;
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
/// into an error. So a lost answer is settled by reading the source and the
/// target:
/// - the source gone and the target there: it was merged; the target is
///   the answer;
/// - the source still there: it was not merged, or not yet; the merge is
///   sent again, which is safe: should the first still be under way, the
///   second is answered 404, and that 404, after an attempt that may have
///   merged, is settled by reading the two companies again.
///
/// When the companies cannot be read, the call ends with
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown). (Another program
/// deleting the source in the same moment would look like the merge.)
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
        }
    }

    /// Merges; the target company, as it is after the merge.
    pub async fn send(self) -> Result<Company> {
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
            // A 404 after an attempt that may have merged: the source may be
            // gone because of it.
            Err(Error::NotFound { .. }) if notes.attempts > 1 => match settle.read_both().await {
                Ok(Seen::Merged(target)) => {
                    tracing::info!(
                        "the retry was answered 404, and the source is gone: an earlier attempt merged it"
                    );
                    Ok(*target)
                }
                _ => result,
            },
            other => other,
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
    fn settle<'a>(&'a self, _failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            match self.read_both().await {
                Ok(Seen::Merged(target)) => found(&target),
                // Not merged, or not yet: merging again is safe (see
                // `MergeCompanies`).
                Ok(Seen::SourceThere) => Settled::Absent,
                Err(look) => Settled::Unknown(format!(
                    "reading the source and the target failed too: {look}"
                )),
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

/// The target found, as the answer that was lost would have carried it.
fn found(target: &Company) -> Settled {
    match serde_json::to_vec(target) {
        Ok(body) => Settled::Found(body),
        Err(e) => Settled::Unknown(format!("the target could not be encoded: {e}")),
    }
}
