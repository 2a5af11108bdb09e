//! [`CreateFunnel`] (exactly once) and [`UpdateFunnel`].

use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::types::{Funnel, FunnelCreate, FunnelCreateName};
use voxys_connect_api::{Change, FunnelUpdate, Timestamp};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record, sent_any_case};
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, id};
use crate::pipeline::Call;

/// A request to create a funnel (`POST /api/v1/accounts/{account_id}/funnels`);
/// made by [`Pipelines::create`](crate::pipelines::Pipelines::create). It has
/// no stages until [`Stages::create`](crate::pipelines::Stages::create) adds
/// them.
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it looks among the account's funnels
/// for one with the name and members sent, made after the attempt began.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateFunnel {
    client: Client,
    account_id: i64,
    name: String,
    description: Option<String>,
    color: Option<String>,
    position: Option<i64>,
    public: Option<bool>,
    active: Option<bool>,
    settle_after: Duration,
}

impl CreateFunnel {
    pub(crate) fn new(client: Client, account_id: i64, name: String) -> CreateFunnel {
        CreateFunnel {
            client,
            account_id,
            name,
            description: None,
            color: None,
            position: None,
            public: None,
            active: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// What the funnel is for.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// Its color on the board, as `#RRGGBB`.
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }

    /// Its place among the account's funnels, from 1 (default last).
    pub fn position(mut self, position: i64) -> Self {
        self.position = Some(position);
        self
    }

    /// Whether every agent sees it (the API's default: yes).
    pub fn public(mut self, public: bool) -> Self {
        self.public = Some(public);
        self
    }

    /// Whether it is in use (the API's default: yes).
    pub fn active(mut self, active: bool) -> Self {
        self.active = Some(active);
        self
    }

    /// When an answer was lost and no funnel is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Creates the funnel; the funnel made.
    pub async fn send(self) -> Result<Funnel> {
        let name =
            FunnelCreateName::try_from(self.name.clone()).map_err(|_| Error::InvalidParameter {
                name: "name",
                value: format!("{:?}", self.name),
                expected: "the funnel's name, not empty".to_owned(),
            })?;
        let mut body = FunnelCreate::new(name);
        body.description = self.description.clone();
        body.color = self.color.clone();
        body.position = id("position", self.position)?;
        if let Some(public) = self.public {
            body.is_public = public;
        }
        if let Some(active) = self.active {
            body.is_active = active;
        }
        let account = self.account_id;
        let request = self
            .client
            .api()
            .create_funnel()
            .account_id(account)
            .body(body)
            .send();
        let list = self.client.pipelines(account).list();
        let this = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            &self.client,
            Create {
                kind: Kind {
                    one: "funnel",
                    many: "funnels",
                },
                action: format!("creating funnel {:?}", self.name),
                look: format!(
                    "look among the account's funnels for it (Client::pipelines({account}).list(), or `voxys pipelines list`)"
                ),
                identifying: true,
                candidates: Box::new(move |_| Box::pin(list.clone().send())),
                matches: Arc::new(move |funnel: &Funnel| this.matches(funnel)),
                settle_after: self.settle_after,
            },
        );
        let funnel: Funnel = self
            .client
            .send("create_funnel", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(funnel.id);
        Ok(funnel)
    }

    fn matches(&self, funnel: &Funnel) -> bool {
        funnel.name == self.name
            && (self.description.is_none() || self.description == funnel.description)
            && sent_any_case(self.color.as_deref(), funnel.color.as_deref())
    }
}

impl Record for Funnel {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// A request to change a funnel
/// (`PATCH /api/v1/accounts/{account_id}/funnels/{id}`); made by
/// [`Pipelines::update`](crate::pipelines::Pipelines::update). Each member is
/// left as it is unless set or cleared (sent as `null`). **Repeating it**
/// gives the same funnel: it is retried like a read.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateFunnel {
    client: Client,
    account_id: i64,
    funnel_id: i64,
    changes: FunnelUpdate,
}

impl UpdateFunnel {
    pub(crate) fn new(client: Client, account_id: i64, funnel_id: i64) -> Self {
        UpdateFunnel {
            client,
            account_id,
            funnel_id,
            changes: FunnelUpdate::default(),
        }
    }

    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.changes.name = Some(name.into());
        self
    }

    /// A new description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.changes.description = Change::Set(text.into());
        self
    }

    /// Clears the description.
    pub fn clear_description(mut self) -> Self {
        self.changes.description = Change::Clear;
        self
    }

    /// A new color.
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.changes.color = Change::Set(color.into());
        self
    }

    /// Clears the color.
    pub fn clear_color(mut self) -> Self {
        self.changes.color = Change::Clear;
        self
    }

    /// A new place among the account's funnels.
    pub fn position(mut self, position: i64) -> Self {
        self.changes.position = Change::Set(position);
        self
    }

    /// Clears the position.
    pub fn clear_position(mut self) -> Self {
        self.changes.position = Change::Clear;
        self
    }

    /// Whether every agent sees it.
    pub fn public(mut self, public: bool) -> Self {
        self.changes.is_public = Some(public);
        self
    }

    /// Whether it is in use.
    pub fn active(mut self, active: bool) -> Self {
        self.changes.is_active = Some(active);
        self
    }

    /// Every change at once, replacing those set before.
    pub fn changes(mut self, changes: FunnelUpdate) -> Self {
        self.changes = changes;
        self
    }

    /// Sends the changes; the funnel as it is now.
    pub async fn send(self) -> Result<Funnel> {
        not_blank("name", self.changes.name.as_deref())?;
        if let Change::Set(position) = self.changes.position {
            id("position", Some(position))?;
        }
        let request = self
            .client
            .api()
            .update_funnel()
            .account_id(self.account_id)
            .id(self.funnel_id)
            .body(self.changes.clone())
            .send();
        Ok(self
            .client
            .send("update_funnel", Call::default(), request)
            .await?
            .value)
    }
}

/// Refuses a new name that is empty (the API answers 422).
pub(crate) fn not_blank(name: &'static str, value: Option<&str>) -> Result<()> {
    match value {
        Some(text) if text.trim().is_empty() => Err(Error::InvalidParameter {
            name,
            value: format!("{text:?}"),
            expected: "a name, not blank".to_owned(),
        }),
        _ => Ok(()),
    }
}
