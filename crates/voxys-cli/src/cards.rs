//! `voxys pipelines cards`.

use clap::Args;
use clap::builder::PossibleValuesParser;
use voxys_connect::types::LeadStatus;

use crate::connect::{ConnectionArgs, connect};
use crate::list::STATUSES;
use crate::output::OutputArgs;
use crate::{Failure, describe};

/// `voxys pipelines cards`.
#[derive(Args)]
pub struct CardsArgs {
    /// The funnel (pipeline) id.
    pub funnel: i64,
    /// Only cards whose lead has this status.
    #[arg(long, value_parser = PossibleValuesParser::new(STATUSES.iter().map(LeadStatus::as_str)))]
    pub status: Option<String>,
    /// Only cards in this stage of the funnel.
    #[arg(long, value_name = "ID")]
    pub stage: Option<i64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines cards`: every card of the funnel, in the API's order.
pub async fn cards(args: CardsArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.pipelines(account).cards(args.funnel).list();
    if let Some(status) = &args.status {
        request = request.lead_status(LeadStatus::from(status.as_str()));
    }
    if let Some(stage) = args.stage {
        request = request.stage(stage);
    }
    let cards = request.send().await.map_err(|e| describe(&e, account, 0))?;
    args.output.write_all(&cards)
}
