//! `voxys leads get` and `voxys leads stats`: one lead, and the account's
//! lead totals.

use clap::Args;

use crate::connect::{ConnectionArgs, connect};
use crate::output::OutputArgs;
use crate::{Failure, describe};

/// `voxys leads get`.
#[derive(Args)]
pub struct GetArgs {
    /// The lead's id.
    pub id: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads get`: prints the lead.
pub async fn get(args: GetArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let lead = client
        .leads(account)
        .get(args.id)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.output.write_all(&[lead])
}

/// `voxys leads stats`.
#[derive(Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads stats`: prints the account's lead totals.
pub async fn stats(args: StatsArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let stats = client
        .leads(account)
        .stats()
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.output.write_all(&[stats])
}
