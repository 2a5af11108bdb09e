//! An account's pipelines (funnels): [`Pipelines`] and the [`ListCards`]
//! request.

use voxys_connect_api::LeadStatus;
use voxys_connect_api::types::Card;

use crate::client::Client;
use crate::error::Result;
use crate::pipeline::Call;

/// The pipelines (funnels) of one account; made by
/// [`Client::pipelines`](crate::Client::pipelines).
#[derive(Clone, Debug)]
pub struct Pipelines {
    client: Client,
    account_id: i64,
}

impl Pipelines {
    pub(crate) fn new(client: Client, account_id: i64) -> Pipelines {
        Pipelines { client, account_id }
    }

    /// The account these pipelines belong to.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    /// A request for the cards of the funnel `funnel_id`: what converting
    /// leads into deals made there.
    pub fn cards(&self, funnel_id: i64) -> ListCards {
        ListCards {
            client: self.client.clone(),
            account_id: self.account_id,
            funnel_id,
            lead_status: None,
            stage_id: None,
        }
    }
}

/// A request for a funnel's cards (`GET
/// /api/v1/accounts/{account_id}/funnels/{id}/cards`): every card at once,
/// as the API does not page them.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::LeadStatus;
///
/// let cards = client.pipelines(1).cards(3).lead_status(LeadStatus::Open).send().await?;
/// for card in &cards {
///     println!("card {} in stage {:?}: lead {}", card.id, card.funnel_stage_id, card.lead.id);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListCards {
    client: Client,
    account_id: i64,
    funnel_id: i64,
    lead_status: Option<LeadStatus>,
    stage_id: Option<i64>,
}

impl ListCards {
    /// Only cards whose lead has this status.
    pub fn lead_status(mut self, status: LeadStatus) -> ListCards {
        self.lead_status = Some(status);
        self
    }

    /// Only cards in the stage with this id.
    pub fn stage(mut self, stage_id: i64) -> ListCards {
        self.stage_id = Some(stage_id);
        self
    }

    /// Sends the request; the cards, in the API's order.
    pub async fn send(self) -> Result<Vec<Card>> {
        let mut request = self
            .client
            .api()
            .list_funnel_cards()
            .account_id(self.account_id)
            .id(self.funnel_id);
        if let Some(status) = &self.lead_status {
            request = request.lead_status(status.clone());
        }
        if let Some(stage) = self.stage_id {
            request = request.stage_id(stage);
        }
        Ok(self
            .client
            .send("list_funnel_cards", Call::default(), request.send())
            .await?
            .value)
    }
}
