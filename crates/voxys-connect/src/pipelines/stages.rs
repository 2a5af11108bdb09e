//! A funnel's stages: [`Stages`], [`CreateStage`] (exactly once),
//! [`UpdateStage`] and [`ReorderStages`].

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use voxys_connect_api::types::{Stage, StageCreate, StageCreateName, StageOrder};
use voxys_connect_api::{Change, ChatwootStatus, StageUpdate, Timestamp};

use crate::client::Client;
use crate::create::{Create, Kind, LookForTheRecord, Record, sent_any_case};
use crate::delete::Delete;
use crate::error::{Error, Result};
use crate::leads::{DEFAULT_SETTLE_AFTER, id, required_id};
use crate::pipeline::Call;
use crate::pipelines::funnels::not_blank;
use crate::request::Request;

/// The stages (the board's columns) of one funnel; made by
/// [`Pipelines::stages`](crate::pipelines::Pipelines::stages).
#[derive(Clone, Debug)]
pub struct Stages {
    client: Client,
    account_id: i64,
    funnel_id: i64,
}

impl Stages {
    pub(crate) fn new(client: Client, account_id: i64, funnel_id: i64) -> Stages {
        Stages {
            client,
            account_id,
            funnel_id,
        }
    }

    /// A request for the funnel's stages, by position
    /// (`list_funnel_stages`; not paged).
    pub fn list(&self) -> Request<Vec<Stage>> {
        let (account, funnel) = (self.account_id, self.funnel_id);
        Request::new(&self.client, "list_funnel_stages", move |c| async move {
            c.api()
                .list_funnel_stages()
                .account_id(account)
                .id(funnel)
                .send()
                .await
        })
    }

    /// A request to add a stage named `name`, exactly once; see
    /// [`CreateStage`].
    pub fn create(&self, name: impl Into<String>) -> CreateStage {
        CreateStage {
            stages: self.clone(),
            name: name.into(),
            color: None,
            position: None,
            status: None,
            settle_after: DEFAULT_SETTLE_AFTER,
        }
    }

    /// A request to change a stage; see [`UpdateStage`].
    pub fn update(&self, stage_id: i64) -> UpdateStage {
        UpdateStage {
            stages: self.clone(),
            stage_id,
            changes: StageUpdate::default(),
        }
    }

    /// A request to delete an empty stage (one that holds cards is refused,
    /// 422: move them first) (`delete_funnel_stage`); see [`Delete`].
    pub fn delete(&self, stage_id: i64) -> Delete {
        let (account, funnel) = (self.account_id, self.funnel_id);
        Delete::new(&self.client, "delete_funnel_stage", move |c| async move {
            c.api()
                .delete_funnel_stage()
                .account_id(account)
                .id(funnel)
                .stage_id(stage_id)
                .send()
                .await
        })
    }

    /// A request to put the funnel's stages in this order; see
    /// [`ReorderStages`].
    pub fn reorder(&self, stage_ids: impl IntoIterator<Item = i64>) -> ReorderStages {
        ReorderStages {
            stages: self.clone(),
            order: stage_ids.into_iter().collect(),
        }
    }
}

/// A request to add a stage to a funnel
/// (`POST /api/v1/accounts/{account_id}/funnels/{id}/stages`); made by
/// [`Stages::create`].
///
/// **Exactly once**, as [`CreateLead`](crate::leads::CreateLead) is: after an
/// attempt that may have been applied, it looks among the funnel's stages for
/// one with the name and members sent, made after the attempt began.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateStage {
    stages: Stages,
    name: String,
    color: Option<String>,
    position: Option<i64>,
    status: Option<ChatwootStatus>,
    settle_after: Duration,
}

impl CreateStage {
    /// Its color, as `#RRGGBB`.
    pub fn color(mut self, color: impl Into<String>) -> Self {
        self.color = Some(color.into());
        self
    }

    /// Its place, from 1 (default last); the stages after it move down.
    pub fn position(mut self, position: i64) -> Self {
        self.position = Some(position);
        self
    }

    /// The status it gives its cards' conversations.
    pub fn chatwoot_status(mut self, status: ChatwootStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// When an answer was lost and no stage is there yet, how long to wait
    /// before looking once more (default [`DEFAULT_SETTLE_AFTER`]).
    pub fn settle_after(mut self, wait: Duration) -> Self {
        self.settle_after = wait;
        self
    }

    /// Adds the stage; the stage made.
    pub async fn send(self) -> Result<Stage> {
        let name =
            StageCreateName::try_from(self.name.clone()).map_err(|_| Error::InvalidParameter {
                name: "name",
                value: format!("{:?}", self.name),
                expected: "the stage's name, not empty".to_owned(),
            })?;
        let mut body = StageCreate::new(name);
        body.color = self.color.clone();
        body.position = id("position", self.position)?;
        body.chatwoot_status = self.status.clone();
        let stages = &self.stages;
        let client = &stages.client;
        let request = client
            .api()
            .create_funnel_stage()
            .account_id(stages.account_id)
            .id(stages.funnel_id)
            .body(body)
            .send();
        let list = stages.list();
        let this = self.clone();
        let (settle, in_flight) = LookForTheRecord::new(
            client,
            Create {
                kind: Kind {
                    one: "stage",
                    many: "stages",
                },
                action: format!(
                    "adding stage {:?} to funnel {}",
                    self.name, stages.funnel_id
                ),
                look: format!(
                    "look among the funnel's stages for it (Client::pipelines({}).stages({}).list(), or `voxys pipelines stages list {}`)",
                    stages.account_id, stages.funnel_id, stages.funnel_id
                ),
                identifying: true,
                candidates: Box::new(move |_| Box::pin(list.clone().send())),
                matches: Arc::new(move |stage: &Stage| {
                    stage.name == this.name
                        && sent_any_case(this.color.as_deref(), stage.color.as_deref())
                        && (this.status.is_none() || this.status == stage.chatwoot_status)
                }),
                settle_after: self.settle_after,
            },
        );
        let stage: Stage = client
            .send("create_funnel_stage", Call::settled_by(settle), request)
            .await?
            .value;
        in_flight.claim_answer(stage.id);
        Ok(stage)
    }
}

impl Record for Stage {
    fn id(&self) -> i64 {
        self.id
    }

    fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// A request to change a stage
/// (`PATCH /api/v1/accounts/{account_id}/funnels/{id}/stages/{stage_id}`);
/// made by [`Stages::update`]. Each member is left as it is unless set or
/// cleared. **Repeating it** gives the same stage.
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct UpdateStage {
    stages: Stages,
    stage_id: i64,
    changes: StageUpdate,
}

impl UpdateStage {
    /// A new name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.changes.name = Some(name.into());
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

    /// A new place (the others move to make room).
    pub fn position(mut self, position: i64) -> Self {
        self.changes.position = Some(position);
        self
    }

    /// A new status for its cards' conversations.
    pub fn chatwoot_status(mut self, status: ChatwootStatus) -> Self {
        self.changes.chatwoot_status = Change::Set(status);
        self
    }

    /// Clears the status.
    pub fn clear_chatwoot_status(mut self) -> Self {
        self.changes.chatwoot_status = Change::Clear;
        self
    }

    /// Every change at once, replacing those set before.
    pub fn changes(mut self, changes: StageUpdate) -> Self {
        self.changes = changes;
        self
    }

    /// Sends the changes; the stage as it is now.
    pub async fn send(self) -> Result<Stage> {
        not_blank("name", self.changes.name.as_deref())?;
        id("position", self.changes.position)?;
        let stages = &self.stages;
        let request = stages
            .client
            .api()
            .update_funnel_stage()
            .account_id(stages.account_id)
            .id(stages.funnel_id)
            .stage_id(self.stage_id)
            .body(self.changes.clone())
            .send();
        Ok(stages
            .client
            .send("update_funnel_stage", Call::default(), request)
            .await?
            .value)
    }
}

/// A request to put a funnel's stages in a new order
/// (`POST /api/v1/accounts/{account_id}/funnels/{id}/stages/reorder`); made
/// by [`Stages::reorder`].
///
/// An order must hold exactly the funnel's stage ids, each once (the
/// reference says only "ordered list of stage ids"; the mock server answers
/// 422 otherwise, and this SDK holds to that). So the client first reads the
/// funnel's stages, and refuses an order that misses a stage, names one
/// twice, or names one that is not the funnel's, with the ids at fault,
/// before sending anything; should a stage be added or deleted between that
/// read and the reorder, the answer shows it, and the call fails saying so.
/// **Repeating it** gives the same order.
///
/// ```no_run
/// # async fn example(client: voxys_connect::Client) -> voxys_connect::Result<()> {
/// let stages = client.pipelines(1).stages(3);
/// let mut ids: Vec<i64> = stages.list().send().await?.iter().map(|s| s.id).collect();
/// ids.reverse();
/// let reordered = stages.reorder(ids).send().await?;
/// assert_eq!(reordered[0].position, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ReorderStages {
    stages: Stages,
    order: Vec<i64>,
}

impl ReorderStages {
    /// Reorders; the stages, in their new order.
    pub async fn send(self) -> Result<Vec<Stage>> {
        let order = self
            .order
            .iter()
            .map(|&stage| required_id("stage_ids", stage))
            .collect::<Result<Vec<_>>>()?;
        let current: BTreeSet<i64> = self
            .stages
            .list()
            .send()
            .await?
            .iter()
            .map(|s| s.id)
            .collect();
        check_order(&self.order, &current)?;
        let stages = &self.stages;
        let request = stages
            .client
            .api()
            .reorder_funnel_stages()
            .account_id(stages.account_id)
            .id(stages.funnel_id)
            .body(StageOrder::new(order))
            .send();
        let answer: Vec<Stage> = stages
            .client
            .send("reorder_funnel_stages", Call::default(), request)
            .await?
            .value;
        // A stage added or deleted between the read and the reorder: the
        // answer says so.
        let answered: Vec<i64> = answer.iter().map(|s| s.id).collect();
        if answered != self.order {
            return Err(Error::Conflict {
                operation: "reorder_funnel_stages",
                message: format!(
                    "the funnel's stages changed while they were reordered: asked for {:?}, the server answered {answered:?}; read the stages again and reorder them",
                    self.order
                ),
            });
        }
        Ok(answer)
    }
}

/// Refuses an order that is not exactly the stages `current`, each once,
/// naming the ids missing, repeated or not the funnel's.
fn check_order(order: &[i64], current: &BTreeSet<i64>) -> Result<()> {
    let mut seen = BTreeSet::new();
    let repeated: BTreeSet<i64> = order
        .iter()
        .copied()
        .filter(|id| !seen.insert(*id))
        .collect();
    let missing: Vec<i64> = current.difference(&seen).copied().collect();
    let extra: Vec<i64> = seen.difference(current).copied().collect();
    if missing.is_empty() && extra.is_empty() && repeated.is_empty() {
        return Ok(());
    }
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing {missing:?}"));
    }
    if !extra.is_empty() {
        problems.push(format!("not stages of the funnel {extra:?}"));
    }
    if !repeated.is_empty() {
        problems.push(format!(
            "named twice {:?}",
            repeated.into_iter().collect::<Vec<_>>()
        ));
    }
    Err(Error::InvalidParameter {
        name: "stage_ids",
        value: format!("{order:?}"),
        expected: format!(
            "every stage id of the funnel, each once ({:?}): {}",
            current.iter().collect::<Vec<_>>(),
            problems.join("; ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_must_hold_exactly_the_funnels_stages() {
        let current: BTreeSet<i64> = [7, 8, 9].into();
        assert!(check_order(&[9, 7, 8], &current).is_ok());
        let error = check_order(&[9, 7, 7, 10], &current)
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing [8]"), "{error}");
        assert!(error.contains("not stages of the funnel [10]"), "{error}");
        assert!(error.contains("named twice [7]"), "{error}");
    }
}
