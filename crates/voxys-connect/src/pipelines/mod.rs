//! An account's pipelines (the API calls them funnels): [`Pipelines`], made
//! by [`Client::pipelines`](crate::Client::pipelines); a funnel's stages
//! ([`Stages`]) and cards, its deals ([`Cards`]); and the requests they make.
//!
//! The API names a stage `funnel_stage_id`, `stage_id` or `target_stage_id`
//! depending on the operation; this module calls it `stage` everywhere.

mod analytics;
mod cards;
pub(crate) mod funnels;
mod stages;

pub use analytics::FunnelAnalyticsRequest;
pub use cards::{Cards, CreateCard, ListCards, MoveCard, UpdateCard};
pub use funnels::{CreateFunnel, UpdateFunnel};
pub use stages::{CreateStage, ReorderStages, Stages, UpdateStage};

use voxys_connect_api::types::{Funnel, FunnelStats};

use crate::client::Client;
use crate::delete::Delete;
use crate::request::{Invalid, Request};

/// The pipelines (funnels) of one account; made by
/// [`Client::pipelines`](crate::Client::pipelines).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let pipelines = client.pipelines(1);
/// let sales = pipelines.create("Sales").color("#4CAF50").send().await?;
/// let stages = pipelines.stages(sales.id);
/// let lead_in = stages.create("Lead in").send().await?;
/// let won = stages.create("Won").send().await?;
/// let card = pipelines.cards(sales.id).create().name("Acme renewal").stage(lead_in.id).send().await?;
/// pipelines.cards(sales.id).move_to(card.id, won.id).send().await?;
/// let stats = pipelines.stats(sales.id).send().await?;
/// println!("{} cards, {}% won", stats.total_cards, stats.conversion_rate);
/// # Ok(())
/// # }
/// ```
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

    /// A request for every funnel of the account, by position
    /// (`list_funnels`; not paged).
    pub fn list(&self) -> Request<Vec<Funnel>> {
        let account = self.account_id;
        Request::new(&self.client, "list_funnels", move |c| async move {
            c.api().list_funnels().account_id(account).send().await
        })
    }

    /// A request to create a funnel named `name`, exactly once; see
    /// [`CreateFunnel`].
    pub fn create(&self, name: impl Into<String>) -> CreateFunnel {
        CreateFunnel::new(self.client.clone(), self.account_id, name.into())
    }

    /// A request for the funnel `funnel_id` (`get_funnel`).
    pub fn get(&self, funnel_id: i64) -> Request<Funnel> {
        let account = self.account_id;
        Request::new(&self.client, "get_funnel", move |c| async move {
            c.api()
                .get_funnel()
                .account_id(account)
                .id(funnel_id)
                .send()
                .await
        })
    }

    /// A request to change a funnel; see [`UpdateFunnel`].
    pub fn update(&self, funnel_id: i64) -> UpdateFunnel {
        UpdateFunnel::new(self.client.clone(), self.account_id, funnel_id)
    }

    /// A request to delete a funnel, with its stages and cards (their leads
    /// stay) (`delete_funnel`); see [`Delete`].
    pub fn delete(&self, funnel_id: i64) -> Delete {
        let account = self.account_id;
        Delete::new(&self.client, "delete_funnel", move |c| async move {
            c.api()
                .delete_funnel()
                .account_id(account)
                .id(funnel_id)
                .send()
                .await
        })
    }

    /// A request for a funnel's totals: cards, won, lost, their value, the
    /// share won (`funnel_stats`).
    pub fn stats(&self, funnel_id: i64) -> Request<FunnelStats> {
        let account = self.account_id;
        Request::new(&self.client, "funnel_stats", move |c| async move {
            c.api()
                .funnel_stats()
                .account_id(account)
                .id(funnel_id)
                .send()
                .await
        })
        .check(Invalid::id("funnel", funnel_id))
    }

    /// A request for what a funnel's cards made in a period came to; see
    /// [`FunnelAnalyticsRequest`].
    pub fn analytics(&self, funnel_id: i64) -> FunnelAnalyticsRequest {
        FunnelAnalyticsRequest::new(self.client.clone(), self.account_id, funnel_id)
    }

    /// The stages of the funnel `funnel_id`.
    pub fn stages(&self, funnel_id: i64) -> Stages {
        Stages::new(self.client.clone(), self.account_id, funnel_id)
    }

    /// The cards (deals) of the funnel `funnel_id`.
    pub fn cards(&self, funnel_id: i64) -> Cards {
        Cards::new(self.client.clone(), self.account_id, funnel_id)
    }
}
