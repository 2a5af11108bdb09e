//! [`Convert`]: turn a lead into a deal (`convert_lead`), exactly once.

use std::collections::BTreeSet;
use std::time::Duration;

use tracing::Instrument;
use voxys_connect_api::types::{Card, LeadConversion};

use crate::client::{Client, Reach, reach, request_span};
use crate::error::{Error, Result};
use crate::leads::positive_id;
use crate::retry::Tries;

/// How long [`Convert`] waits before it looks a second time for a card that a
/// lost answer may still be making (default of
/// [`Convert::settle_after`]).
pub const DEFAULT_SETTLE_AFTER: Duration = Duration::from_secs(2);

/// A request to convert a lead into a deal: a card in a pipeline (funnel)
/// (`POST /api/v1/accounts/{account_id}/leads/{lead_id}/convert`); made by
/// [`Leads::convert`](crate::Leads::convert).
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
///   returned; no new card, when the application itself answered (its answer
///   had a request id), proves it was not applied, and it is converted again;
///   otherwise the client looks once more after
///   [`settle_after`](Convert::settle_after), and when it still cannot tell,
///   returns [`Error::ConversionUncertain`], which says how to check.
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
///     Err(Error::ConversionUncertain { funnel_id, .. }) => {
///         eprintln!("look in the cards of funnel {funnel_id} before trying again");
///     }
///     Err(other) => return Err(other),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct Convert {
    client: Client,
    account_id: i64,
    lead_id: i64,
    funnel_id: i64,
    stage_id: Option<i64>,
    settle_after: Duration,
}

const OPERATION: &str = "convert_lead";

impl Convert {
    pub(crate) fn new(client: Client, account_id: i64, lead_id: i64, funnel_id: i64) -> Convert {
        Convert {
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
    pub fn stage(mut self, stage_id: i64) -> Convert {
        self.stage_id = Some(stage_id);
        self
    }

    /// When an answer was lost in a way that leaves the server possibly still
    /// working on the conversion (a timeout, a proxy's 5xx, a dropped
    /// connection) and no card is there yet, how long to wait before looking
    /// once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Convert {
        self.settle_after = wait;
        self
    }

    /// Converts the lead; the card made for it.
    pub async fn send(self) -> Result<Card> {
        positive_id("account_id", Some(self.account_id))?;
        positive_id("lead_id", Some(self.lead_id))?;
        positive_id("funnel_id", Some(self.funnel_id))?;
        positive_id("stage", self.stage_id)?;
        let before = self.cards_of_lead().await?;
        let policy = self.client.retry_policy().clone();
        let mut tries = Tries::new();
        loop {
            let attempt = tries.number;
            let (result, observed, pacing) = self
                .client
                .attempt(OPERATION, {
                    let client = self.client.clone();
                    let body = LeadConversion::new(self.funnel_id, self.stage_id);
                    let (account_id, lead_id) = (self.account_id, self.lead_id);
                    async move {
                        client
                            .api()
                            .convert_lead()
                            .account_id(account_id)
                            .lead_id(lead_id)
                            .body(body)
                            .send()
                            .await
                    }
                })
                .instrument(request_span!(
                    OPERATION,
                    attempt,
                    account_id = self.account_id,
                    lead_id = self.lead_id,
                    funnel_id = self.funnel_id
                ))
                .await;
            let error = match result {
                Ok(card) => return Ok(card),
                Err(error) => error,
            };
            if reach(&error, &observed) == Reach::NotApplied {
                if error.is_retryable()
                    && policy.pause_before_retry(&mut tries, &error, pacing).await
                {
                    continue;
                }
                return Err(error.with_attempts(attempt));
            }
            // The answer was lost: settle it by looking for the card.
            let answered_failure = observed.request_id.is_some()
                && observed.status.is_some_and(|s| !(200..300).contains(&s));
            let why = match self.new_cards(&before).await {
                Ok(Found::One(card)) => return Ok(settled(*card, &error)),
                Ok(Found::None) if answered_failure => {
                    // The application answered with a failure: it is done
                    // with the request, and made no card.
                    tracing::warn!(attempt, error = %error, "the conversion was not applied; converting again");
                    if error.is_retryable()
                        && policy.pause_before_retry(&mut tries, &error, pacing).await
                    {
                        continue;
                    }
                    return Err(error.with_attempts(attempt));
                }
                Ok(Found::None) => {
                    // The server may still be working on it: look once more.
                    tokio::time::sleep(self.settle_after).await;
                    match self.new_cards(&before).await {
                        Ok(Found::One(card)) => return Ok(settled(*card, &error)),
                        Ok(Found::None) => format!(
                            "no card of the lead appeared in the funnel, but the server may have been working on it when the answer was lost, and may still make it (looked again after {} ms)",
                            self.settle_after.as_millis()
                        ),
                        Ok(Found::Many(n)) => many(n),
                        Err(look) => format!("looking for its card failed too: {look}"),
                    }
                }
                Ok(Found::Many(n)) => many(n),
                Err(look) => format!("looking for its card failed too: {look}"),
            };
            return Err(Error::ConversionUncertain {
                operation: OPERATION,
                lead_id: self.lead_id,
                funnel_id: self.funnel_id,
                why,
                cause: Box::new(error.with_attempts(attempt)),
            });
        }
    }

    /// The ids of the lead's cards in the funnel (in the stage, when one is
    /// given), now.
    async fn cards_of_lead(&self) -> Result<BTreeSet<i64>> {
        let mut cards = self.client.pipelines(self.account_id).cards(self.funnel_id);
        if let Some(stage) = self.stage_id {
            cards = cards.stage(stage);
        }
        Ok(cards
            .send()
            .await?
            .into_iter()
            .filter(|c| c.lead.id == self.lead_id)
            .map(|c| c.id)
            .collect())
    }

    /// The lead's cards that were not there before the conversion began.
    async fn new_cards(&self, before: &BTreeSet<i64>) -> Result<Found> {
        let mut cards = self.client.pipelines(self.account_id).cards(self.funnel_id);
        if let Some(stage) = self.stage_id {
            cards = cards.stage(stage);
        }
        let mut new: Vec<Card> = cards
            .send()
            .await?
            .into_iter()
            .filter(|c| c.lead.id == self.lead_id && !before.contains(&c.id))
            .collect();
        Ok(match new.len() {
            0 => Found::None,
            1 => Found::One(Box::new(new.remove(0))),
            n => Found::Many(n),
        })
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

/// A card found after the answer was lost.
fn settled(card: Card, error: &Error) -> Card {
    tracing::info!(card = card.id, error = %error, "the answer was lost, but the card is there: the conversion happened once");
    card
}
