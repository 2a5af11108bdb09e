//! [`ConvertLead`]: turn a lead into a deal (`convert_lead`), exactly once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use voxys_connect_api::types::{Card, LeadConversion};

use crate::client::Client;
use crate::error::Result;
use crate::leads::positive_id;
use crate::pipeline::{Call, Failure, Settle, Settled};

/// How long a write whose answer was lost waits before it looks a second
/// time for what it may still be making: the default of
/// [`ConvertLead::settle_after`], [`CreateLead::settle_after`](crate::leads::CreateLead::settle_after),
/// [`CreateNote::settle_after`](crate::leads::CreateNote::settle_after),
/// [`CreateCompany::settle_after`](crate::companies::CreateCompany::settle_after)
/// and [`MergeCompanies::settle_after`](crate::companies::MergeCompanies::settle_after).
pub const DEFAULT_SETTLE_AFTER: Duration = Duration::from_secs(2);

/// A request to convert a lead into a deal: a card in a pipeline (funnel)
/// (`POST /api/v1/accounts/{account_id}/leads/{lead_id}/convert`); made by
/// [`Leads::convert`](crate::leads::Leads::convert).
///
/// **Exactly once.** Converting makes a card each time, and the API has no
/// idempotency key: a blind retry could make two. So:
/// - before converting, the client notes the cards the lead already has in
///   the funnel (one read);
/// - a failure that proves the request was not applied (a 429, a connection
///   that was never made) is retried as the retry policy says; the API
///   refusing it (401, 404, 422) is returned;
/// - a failure that leaves it unknown (a timeout, a 5xx, a connection lost
///   after sending, a body cut short) is settled by looking at the funnel's
///   cards: a new card of the lead is the one this conversion made, and is
///   returned; no new card after the application's own 500 (with a request
///   id: it is done with the request) proves it was not applied, and the 500
///   is returned; otherwise the client looks once more after
///   [`settle_after`](ConvertLead::settle_after), and when it still cannot tell,
///   returns [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which
///   says how to check.
///
/// It never converts again while a card it made may exist. (Two programs
/// converting the same lead at the same moment can still confuse it: that
/// shows as more than one new card, and is reported as uncertain.)
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::Error;
///
/// match client.leads(1).convert(42, 3).stage(7).send().await {
///     Ok(card) => println!("card {} in stage {:?}", card.id, card.funnel_stage_id),
///     Err(error @ Error::OutcomeUnknown { .. }) => {
///         eprintln!("{error}"); // says where to look before trying again
///     }
///     Err(other) => return Err(other),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ConvertLead {
    client: Client,
    account_id: i64,
    lead_id: i64,
    funnel_id: i64,
    stage_id: Option<i64>,
    settle_after: Duration,
}

const OPERATION: &str = "convert_lead";

impl ConvertLead {
    pub(crate) fn new(
        client: Client,
        account_id: i64,
        lead_id: i64,
        funnel_id: i64,
    ) -> ConvertLead {
        ConvertLead {
            client,
            account_id,
            lead_id,
            funnel_id,
            stage_id: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// The stage of the funnel to make the card in (by default the funnel's
    /// first stage).
    pub fn stage(mut self, stage_id: i64) -> ConvertLead {
        self.stage_id = Some(stage_id);
        self
    }

    /// When an answer was lost in a way that leaves the server possibly still
    /// working on the conversion (a timeout, a proxy's 5xx, a dropped
    /// connection) and no card is there yet, how long to wait before looking
    /// once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> ConvertLead {
        self.settle_after = wait;
        self
    }

    /// Converts the lead; the card made for it.
    pub async fn send(self) -> Result<Card> {
        positive_id("lead_id", Some(self.lead_id))?;
        positive_id("stage", self.stage_id)?;
        let before = self.cards_of_lead().await?;
        let request = self
            .client
            .api()
            .convert_lead()
            .account_id(self.account_id)
            .lead_id(self.lead_id)
            .body(LeadConversion::new(self.funnel_id, self.stage_id))
            .send();
        let settle = Arc::new(LookForTheCard {
            convert: self.clone(),
            before,
        });
        Ok(self
            .client
            .send(OPERATION, Call::settled_by(settle), request)
            .await?
            .value)
    }

    /// The lead's cards in the funnel (in the stage, when one is given),
    /// now.
    async fn cards_of_lead(&self) -> Result<BTreeSet<i64>> {
        Ok(self.lead_cards().await?.into_iter().map(|c| c.id).collect())
    }

    async fn lead_cards(&self) -> Result<Vec<Card>> {
        let mut cards = self
            .client
            .pipelines(self.account_id)
            .cards(self.funnel_id)
            .list();
        if let Some(stage) = self.stage_id {
            cards = cards.stage(stage);
        }
        Ok(cards
            .send()
            .await?
            .into_iter()
            .filter(|c| c.lead.id == self.lead_id)
            .collect())
    }
}

/// How a conversion whose answer was lost is settled: by looking for the
/// lead's new card in the funnel.
struct LookForTheCard {
    convert: ConvertLead,
    /// The lead's cards before the conversion began.
    before: BTreeSet<i64>,
}

impl LookForTheCard {
    /// The lead's cards that were not there before the conversion began.
    async fn new_cards(&self) -> Result<Found> {
        let mut new: Vec<Card> = self
            .convert
            .lead_cards()
            .await?
            .into_iter()
            .filter(|c| !self.before.contains(&c.id))
            .collect();
        Ok(match new.len() {
            0 => Found::None,
            1 => Found::One(Box::new(new.remove(0))),
            n => Found::Many(n),
        })
    }
}

impl Settle for LookForTheCard {
    fn settle<'a>(&'a self, failure: &'a Failure) -> BoxFuture<'a, Settled> {
        Box::pin(async move {
            match self.new_cards().await {
                Ok(Found::One(card)) => return Settled::found(&card, "card"),
                // The application answered with a failure: it is done with
                // the request, and made no card.
                Ok(Found::None) if failure.answered_by_the_application() => {
                    return Settled::Absent;
                }
                Ok(Found::None) => {}
                Ok(Found::Many(n)) => return Settled::Unknown(many(n)),
                Err(look) => {
                    return Settled::Unknown(format!("looking for its card failed too: {look}"));
                }
            }
            // The server may still be working on it: look once more.
            let wait = self.convert.settle_after;
            tokio::time::sleep(wait).await;
            match self.new_cards().await {
                Ok(Found::One(card)) => Settled::found(&card, "card"),
                Ok(Found::None) => Settled::Unknown(format!(
                    "no card of the lead appeared in the funnel, but the server may have been working on it when the answer was lost, and may still make it (looked again after {} ms)",
                    wait.as_millis()
                )),
                Ok(Found::Many(n)) => Settled::Unknown(many(n)),
                Err(look) => Settled::Unknown(format!("looking for its card failed too: {look}")),
            }
        })
    }

    fn action(&self) -> String {
        format!(
            "converting lead {} into funnel {}",
            self.convert.lead_id, self.convert.funnel_id
        )
    }

    fn look(&self) -> String {
        let funnel = self.convert.funnel_id;
        format!(
            "look for a card of lead {} in the funnel's cards (Client::pipelines(account).cards({funnel}).list(), or `voxys pipelines cards list {funnel}`)",
            self.convert.lead_id
        )
    }
}

/// What looking for the conversion's card found.
enum Found {
    None,
    One(Box<Card>),
    Many(usize),
}

fn many(n: usize) -> String {
    format!(
        "{n} new cards of the lead are in the funnel: another conversion of it ran at the same time"
    )
}
