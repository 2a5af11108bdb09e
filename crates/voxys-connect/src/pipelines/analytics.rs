//! [`FunnelAnalyticsRequest`]: what a funnel's cards made in a period came to.

use chrono::NaiveDate;
use voxys_connect_api::types::{AnalyticsGrouping, FunnelAnalytics};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::pipeline::Call;

/// A request for a funnel's analytics
/// (`GET /api/v1/accounts/{account_id}/funnels/{id}/analytics`); made by
/// [`Pipelines::analytics`](crate::pipelines::Pipelines::analytics).
///
/// The cards made from [`since`](FunnelAnalyticsRequest::since) to
/// [`until`](FunnelAnalyticsRequest::until) (inclusive), optionally only an
/// agent's: how many, won and lost, their value, the average won deal, the
/// share won, by agent and by stage. The reference describes no time series:
/// grouping by day, week or month changes nothing in the answer's documented
/// members (a deployment that sends one keeps it in `extra`).
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// use voxys_connect::types::NaiveDate;
///
/// let q1 = client
///     .pipelines(1)
///     .analytics(3)
///     .since(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
///     .until(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap())
///     .send()
///     .await?;
/// println!("{} made, {} won ({}%)", q1.total_created, q1.total_won, q1.conversion_rate);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct FunnelAnalyticsRequest {
    client: Client,
    account_id: i64,
    funnel_id: i64,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    agent: Option<i64>,
    group_by: Option<AnalyticsGrouping>,
}

impl FunnelAnalyticsRequest {
    pub(crate) fn new(client: Client, account_id: i64, funnel_id: i64) -> Self {
        FunnelAnalyticsRequest {
            client,
            account_id,
            funnel_id,
            since: None,
            until: None,
            agent: None,
            group_by: None,
        }
    }

    /// The first day counted (the server's default: 30 days before `until`).
    pub fn since(mut self, day: NaiveDate) -> Self {
        self.since = Some(day);
        self
    }

    /// The last day counted (the server's default: today).
    pub fn until(mut self, day: NaiveDate) -> Self {
        self.until = Some(day);
        self
    }

    /// Only cards whose lead is assigned to this agent (a user id).
    pub fn agent(mut self, agent_id: i64) -> Self {
        self.agent = Some(agent_id);
        self
    }

    /// How to group, as the API takes it (see the type's docs).
    pub fn group_by(mut self, grouping: AnalyticsGrouping) -> Self {
        self.group_by = Some(grouping);
        self
    }

    /// Sends the request; the analytics.
    pub async fn send(self) -> Result<FunnelAnalytics> {
        if let (Some(since), Some(until)) = (self.since, self.until)
            && since > until
        {
            return Err(Error::InvalidParameter {
                name: "since",
                value: since.to_string(),
                expected: format!("a day on or before `until` ({until})"),
            });
        }
        let mut request = self
            .client
            .api()
            .funnel_analytics()
            .account_id(self.account_id)
            .id(self.funnel_id);
        if let Some(since) = self.since {
            request = request.since(since);
        }
        if let Some(until) = self.until {
            request = request.until(until);
        }
        if let Some(agent) = self.agent {
            request = request.agent_id(agent);
        }
        if let Some(grouping) = self.group_by {
            request = request.group_by(grouping);
        }
        Ok(self
            .client
            .send("funnel_analytics", Call::default(), request.send())
            .await?
            .value)
    }
}
