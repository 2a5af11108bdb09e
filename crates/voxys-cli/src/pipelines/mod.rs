//! `voxys pipelines ...`: an account's pipelines (the API calls them
//! funnels), their stages and their cards (deals), their totals and
//! analytics, and the board.

mod analytics;
mod board;
mod cards;
mod stages;

use clap::{Args, Subcommand};
use voxys_connect::types::FunnelUpdate;

use crate::confirm::ConfirmArgs;
use crate::connect::{ConnectionArgs, connect};
use crate::crm::{
    Deletion, PatchArgs, delete_confirmed, nothing_to_change, print_request, uncertain,
};
use crate::lead::change;
use crate::output::OutputArgs;
use crate::{EXIT_CODES, Failure, describe, exit};

/// Examples for the funnels' commands.
const PIPELINES_HELP: &str = "\
Examples:
  voxys pipelines list
  voxys pipelines show 1                      # the board: stages as columns
  voxys pipelines create Renewals --color '#4CAF50' --description \"Yearly renewals\"
  voxys pipelines update 3 --name \"Renewals 2027\" --clear-color --public false
  voxys pipelines stats 1
  voxys pipelines analytics 1 --since 2026-01-01 --until 2026-03-31
  voxys pipelines delete 3 --dry-run

delete asks on the terminal, and refuses without one unless --yes is given;
--dry-run prints the request and sends nothing. Creating a funnel is never
sent twice: when its answer is lost the SDK looks among the funnels for it,
and when it still cannot tell the command exits with 8 and says how to check.";

/// The pipelines commands.
#[derive(Subcommand)]
pub enum PipelinesCommand {
    /// List the account's funnels, by position.
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    List(ListArgs),
    /// Print one funnel.
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    Get(FunnelArgs),
    /// Create a funnel (with no stages: add them with `stages create`);
    /// prints it.
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    Create(CreateArgs),
    /// Change a funnel's members (--clear-… to clear one); prints it.
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    Update(UpdateArgs),
    /// Delete a funnel, with its stages and cards (their leads stay).
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    Delete(DeleteArgs),
    /// Print a funnel's totals: cards, won, lost, their value, the share won.
    #[command(after_help = format!("{PIPELINES_HELP}\n\n{EXIT_CODES}"))]
    Stats(FunnelArgs),
    /// What the cards made in a period came to: totals, by agent, by stage.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", analytics::ANALYTICS_HELP))]
    Analytics(analytics::AnalyticsArgs),
    /// Draw a funnel's board: its stages as columns, each with its cards.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", board::SHOW_HELP))]
    Show(board::ShowArgs),
    /// A funnel's stages (the board's columns): list, create, update,
    /// delete, reorder.
    Stages {
        #[command(subcommand)]
        command: stages::StagesCommand,
    },
    /// A funnel's cards (deals): list, create, update, delete, move,
    /// history. `voxys pipelines cards FUNNEL` is `cards list FUNNEL`.
    Cards(Box<cards::CardsGroup>),
}

/// `voxys pipelines list`.
#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The commands that name one funnel and print what they read.
#[derive(Args)]
pub struct FunnelArgs {
    /// The funnel's id.
    pub funnel: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The funnel's name.
    #[arg(allow_hyphen_values = true)]
    pub name: String,
    /// What it is for.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub description: Option<String>,
    /// Its color on the board, as #RRGGBB.
    #[arg(long, value_name = "COLOR")]
    pub color: Option<String>,
    /// Its place among the account's funnels, from 1 [default: last].
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    /// Whether every agent sees it [default: true].
    #[arg(long, value_name = "BOOL")]
    pub public: Option<bool>,
    /// Whether it is in use [default: true].
    #[arg(long, value_name = "BOOL")]
    pub active: Option<bool>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines update`: a flag per member, `--clear-…` to clear a
/// nullable one (sent as `null`); members not named stay as they are.
#[derive(Args)]
pub struct UpdateArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// A new name (a funnel always has one: it cannot be cleared).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// A new description.
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        conflicts_with = "clear_description"
    )]
    pub description: Option<String>,
    /// Clear the description.
    #[arg(long)]
    pub clear_description: bool,
    /// A new color, as #RRGGBB.
    #[arg(long, value_name = "COLOR", conflicts_with = "clear_color")]
    pub color: Option<String>,
    /// Clear the color.
    #[arg(long)]
    pub clear_color: bool,
    /// A new place among the account's funnels.
    #[arg(long, value_name = "N", conflicts_with = "clear_position")]
    pub position: Option<i64>,
    /// Clear the position.
    #[arg(long)]
    pub clear_position: bool,
    /// Whether every agent sees it.
    #[arg(long, value_name = "BOOL")]
    pub public: Option<bool>,
    /// Whether it is in use.
    #[arg(long, value_name = "BOOL")]
    pub active: Option<bool>,
    #[command(flatten)]
    pub common: PatchArgs,
}

/// `voxys pipelines delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The funnel's id.
    pub funnel: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines ...`.
pub async fn pipelines(command: PipelinesCommand) -> Result<(), Failure> {
    match command {
        PipelinesCommand::List(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let funnels = client
                .pipelines(account)
                .list()
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&funnels)
        }
        PipelinesCommand::Get(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let funnel = client
                .pipelines(account)
                .get(args.funnel)
                .send()
                .await
                .map_err(|e| {
                    crate::describe_missing(&e, account, &format!("funnel {}", args.funnel))
                })?;
            args.output.write_all(&[funnel])
        }
        PipelinesCommand::Create(args) => create(args).await,
        PipelinesCommand::Update(args) => update(args).await,
        PipelinesCommand::Delete(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let funnel = args.funnel;
            delete_confirmed(
                &args.confirm,
                &client,
                account,
                Deletion {
                    path: format!("funnels/{funnel}"),
                    what: format!("funnel {funnel}"),
                    action: format!("delete funnel {funnel}"),
                    question: format!(
                        "Delete funnel {funnel} of account {account}, with its stages and cards (their leads stay)?"
                    ),
                    verb: "deleted",
                },
                client.pipelines(account).delete(funnel),
            )
            .await
        }
        PipelinesCommand::Stats(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let stats = client
                .pipelines(account)
                .stats(args.funnel)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[stats])
        }
        PipelinesCommand::Analytics(args) => analytics::analytics(args).await,
        PipelinesCommand::Show(args) => board::show(args).await,
        PipelinesCommand::Stages { command } => stages::stages(command).await,
        PipelinesCommand::Cards(group) => cards::cards(*group).await,
    }
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    if args.name.trim().is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "a funnel needs a name: give it as the first argument.",
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.pipelines(account).create(args.name.clone());
    if let Some(description) = &args.description {
        request = request.description(description);
    }
    if let Some(color) = &args.color {
        request = request.color(color);
    }
    if let Some(position) = args.position {
        request = request.position(position);
    }
    if let Some(public) = args.public {
        request = request.public(public);
    }
    if let Some(active) = args.active {
        request = request.active(active);
    }
    match request.send().await {
        Ok(funnel) => args.output.write_all(&[funnel]),
        Err(error) => Err(uncertain(
            error,
            account,
            &format!("funnel {:?} may or may not have been created", args.name),
            "voxys pipelines list (a funnel of that name made just now means it was created)",
        )),
    }
}

async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let mut changes = FunnelUpdate::default();
    changes.name = args.name.clone();
    changes.description = change(args.description.clone(), args.clear_description);
    changes.color = change(args.color.clone(), args.clear_color);
    changes.position = change(args.position, args.clear_position);
    changes.is_public = args.public;
    changes.is_active = args.active;
    if changes.is_empty() {
        return Err(nothing_to_change(
            "--name, --description, --color, --position, --public, --active, or a --clear-… flag",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let path = format!("funnels/{}", args.funnel);
        return print_request(&client, account, "PATCH", &path, &changes);
    }
    let funnel = client
        .pipelines(account)
        .update(args.funnel)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[funnel])
}
