//! `voxys pipelines stages ...`: a funnel's stages, the board's columns.

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use voxys_connect::types::{ChatwootStatus, StageUpdate};

use crate::confirm::ConfirmArgs;
use crate::connect::{ConnectionArgs, connect};
use crate::crm::{
    Deletion, PatchArgs, delete_confirmed, nothing_to_change, print_request, uncertain,
};
use crate::lead::change;
use crate::output::OutputArgs;
use crate::{EXIT_CODES, Failure, describe, exit};

/// Examples for the stages' commands.
const STAGES_HELP: &str = "\
Examples:
  voxys pipelines stages list 1
  voxys pipelines stages create 1 \"Demo booked\" --position 3 --color '#2196F3' --chatwoot-status open
  voxys pipelines stages update 1 13 --name Proposal --clear-color
  voxys pipelines stages reorder 1 15 14 13 12 11   # every stage of the funnel, each once
  voxys pipelines stages delete 1 13 --dry-run

A stage that holds cards cannot be deleted (422): move its cards first
(voxys pipelines cards move). reorder takes exactly the funnel's stage ids,
and refuses any other list before sending anything. delete asks on the
terminal, and refuses without one unless --yes is given; --dry-run prints the
request and sends nothing.";

/// The statuses a stage gives its cards' conversations.
fn chatwoot_statuses() -> PossibleValuesParser {
    PossibleValuesParser::new(ChatwootStatus::KNOWN.iter().map(ChatwootStatus::as_str))
}

/// The stages commands.
#[derive(Subcommand)]
pub enum StagesCommand {
    /// List a funnel's stages, by position.
    #[command(after_help = format!("{STAGES_HELP}\n\n{EXIT_CODES}"))]
    List(ListArgs),
    /// Add a stage to a funnel; prints it.
    #[command(after_help = format!("{STAGES_HELP}\n\n{EXIT_CODES}"))]
    Create(CreateArgs),
    /// Change a stage's members (--clear-… to clear one); prints it.
    #[command(after_help = format!("{STAGES_HELP}\n\n{EXIT_CODES}"))]
    Update(UpdateArgs),
    /// Delete an empty stage.
    #[command(after_help = format!("{STAGES_HELP}\n\n{EXIT_CODES}"))]
    Delete(DeleteArgs),
    /// Put a funnel's stages in this order; prints them.
    #[command(after_help = format!("{STAGES_HELP}\n\n{EXIT_CODES}"))]
    Reorder(ReorderArgs),
}

/// `voxys pipelines stages list`.
#[derive(Args)]
pub struct ListArgs {
    /// The funnel's id.
    pub funnel: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines stages create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The stage's name.
    #[arg(allow_hyphen_values = true)]
    pub name: String,
    /// Its color, as #RRGGBB.
    #[arg(long, value_name = "COLOR")]
    pub color: Option<String>,
    /// Its place, from 1 [default: last]; the stages after it move along.
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    /// The status it gives its cards' conversations.
    #[arg(long, value_name = "STATUS", value_parser = chatwoot_statuses())]
    pub chatwoot_status: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines stages update`.
#[derive(Args)]
pub struct UpdateArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The stage's id.
    pub stage: i64,
    /// A new name (a stage always has one).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// A new color, as #RRGGBB.
    #[arg(long, value_name = "COLOR", conflicts_with = "clear_color")]
    pub color: Option<String>,
    /// Clear the color.
    #[arg(long)]
    pub clear_color: bool,
    /// A new place (the others move to make room).
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    /// A new status for its cards' conversations.
    #[arg(long, value_name = "STATUS", value_parser = chatwoot_statuses(), conflicts_with = "clear_chatwoot_status")]
    pub chatwoot_status: Option<String>,
    /// Clear the status.
    #[arg(long)]
    pub clear_chatwoot_status: bool,
    #[command(flatten)]
    pub common: PatchArgs,
}

/// `voxys pipelines stages delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The stage's id.
    pub stage: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines stages reorder`.
#[derive(Args)]
pub struct ReorderArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// Every stage id of the funnel, each once, in the new order.
    #[arg(value_name = "STAGES", required = true, num_args = 1..)]
    pub stages: Vec<i64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines stages ...`.
pub async fn stages(command: StagesCommand) -> Result<(), Failure> {
    match command {
        StagesCommand::List(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let stages = client
                .pipelines(account)
                .stages(args.funnel)
                .list()
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&stages)
        }
        StagesCommand::Create(args) => create(args).await,
        StagesCommand::Update(args) => update(args).await,
        StagesCommand::Delete(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let (funnel, stage) = (args.funnel, args.stage);
            delete_confirmed(
                &args.confirm,
                &client,
                account,
                Deletion {
                    path: format!("funnels/{funnel}/stages/{stage}"),
                    what: format!("stage {stage} of funnel {funnel}"),
                    action: format!("delete stage {stage} of funnel {funnel}"),
                    question: format!(
                        "Delete stage {stage} of funnel {funnel} of account {account}?"
                    ),
                    verb: "deleted",
                },
                client.pipelines(account).stages(funnel).delete(stage),
            )
            .await
        }
        StagesCommand::Reorder(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let stages = client
                .pipelines(account)
                .stages(args.funnel)
                .reorder(args.stages.clone())
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&stages)
        }
    }
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    if args.name.trim().is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "a stage needs a name: give it after the funnel's id.",
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client
        .pipelines(account)
        .stages(args.funnel)
        .create(args.name.clone());
    if let Some(color) = &args.color {
        request = request.color(color);
    }
    if let Some(position) = args.position {
        request = request.position(position);
    }
    if let Some(status) = &args.chatwoot_status {
        request = request.chatwoot_status(ChatwootStatus::from(status.as_str()));
    }
    match request.send().await {
        Ok(stage) => args.output.write_all(&[stage]),
        Err(error) => Err(uncertain(
            error,
            account,
            &format!(
                "stage {:?} may or may not have been added to funnel {}",
                args.name, args.funnel
            ),
            &format!(
                "voxys pipelines stages list {} (a stage of that name made just now means it was added)",
                args.funnel
            ),
        )),
    }
}

async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let mut changes = StageUpdate::default();
    changes.name = args.name.clone();
    changes.color = change(args.color.clone(), args.clear_color);
    changes.position = args.position;
    changes.chatwoot_status = change(
        args.chatwoot_status.as_deref().map(ChatwootStatus::from),
        args.clear_chatwoot_status,
    );
    if changes.is_empty() {
        return Err(nothing_to_change(
            "--name, --color, --position, --chatwoot-status, or a --clear-… flag",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let path = format!("funnels/{}/stages/{}", args.funnel, args.stage);
        return print_request(&client, account, "PATCH", &path, &changes);
    }
    let stage = client
        .pipelines(account)
        .stages(args.funnel)
        .update(args.stage)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[stage])
}
