//! `voxys pipelines cards ...`: a funnel's cards (deals).

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use voxys_connect::types::{Amount, CardUpdate, LeadStatus};

use crate::confirm::ConfirmArgs;
use crate::connect::{ConnectionArgs, connect};
use crate::crm::{
    Deletion, PatchArgs, delete_confirmed, nothing_to_change, print_request, uncertain,
};
use crate::lead::change;
use crate::list::STATUSES;
use crate::output::OutputArgs;
use crate::values::parse_amount;
use crate::{EXIT_CODES, Failure, describe, exit};

/// Examples for the cards' commands.
const CARDS_HELP: &str = "\
Examples:
  voxys pipelines cards list 1
  voxys pipelines cards list 1 --status open --stage 12 -o deals.csv
  voxys pipelines cards 1                       # the same as `cards list 1`
  voxys pipelines cards create 1 --lead 42 --stage 12
  voxys pipelines cards create 1 --name \"Acme renewal\" --value 15000 --currency USD
  voxys pipelines cards update 1 7 --value 18000 --clear-agent
  voxys pipelines cards move 1 7 14 --position 1
  voxys pipelines cards history 1 7
  voxys pipelines cards delete 1 7 --dry-run

A card is for a lead: an existing one (--lead), or one made from --name,
--value, --currency and --agent. Creating a card is never sent twice: when its
answer is lost the SDK looks among the funnel's cards for it, and when it still
cannot tell the command exits with 8 and says how to check. delete asks on the
terminal, and refuses without one unless --yes is given; its lead stays.";

/// `voxys pipelines cards`: a subcommand, or a funnel's id alone to list
/// its cards (as before the subcommands came).
#[derive(Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    arg_required_else_help = true,
    after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}")
)]
pub struct CardsGroup {
    #[command(subcommand)]
    pub command: Option<CardsCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// The cards commands.
#[derive(Subcommand)]
pub enum CardsCommand {
    /// List a funnel's cards, each with its lead.
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    List(ListArgs),
    /// Make a card in a funnel, for a lead or a new one; prints it.
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    Create(CreateArgs),
    /// Change a card and its lead (--clear-… to clear a member); prints it.
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    Update(Box<UpdateArgs>),
    /// Delete a card (its lead stays).
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    Delete(DeleteArgs),
    /// Move a card to another stage of its funnel; prints it.
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    Move(MoveArgs),
    /// What happened to a card, newest first.
    #[command(after_help = format!("{CARDS_HELP}\n\n{EXIT_CODES}"))]
    History(CardArgs),
}

/// `voxys pipelines cards list`.
#[derive(Args)]
pub struct ListArgs {
    /// The funnel (pipeline) id.
    #[arg(required = true)]
    pub funnel: Option<i64>,
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

/// `voxys pipelines cards create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The lead the card is for [default: a new lead, made from --name,
    /// --value, --currency, --agent].
    #[arg(long, value_name = "ID")]
    pub lead: Option<i64>,
    /// The stage to put it in [default: the funnel's first].
    #[arg(long, value_name = "ID")]
    pub stage: Option<i64>,
    /// The new lead's name.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// The new lead's value, an exact decimal (such as 15000.50).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount)]
    pub value: Option<Amount>,
    /// The new lead's currency, an ISO 4217 code (such as USD).
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// The agent (a user id) to assign the new lead to.
    #[arg(long, value_name = "ID")]
    pub agent: Option<i64>,
    /// Its place in the stage, from 1 [default: last].
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines cards update`.
#[derive(Args)]
pub struct UpdateArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The card's id.
    pub card: i64,
    /// Move it to this stage (recorded in its history).
    #[arg(long, value_name = "ID")]
    pub stage: Option<i64>,
    /// Its place in the stage.
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    /// Its lead's new name.
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        conflicts_with = "clear_name"
    )]
    pub name: Option<String>,
    /// Clear its lead's name.
    #[arg(long)]
    pub clear_name: bool,
    /// Its lead's new value, an exact decimal.
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, conflicts_with = "clear_value")]
    pub value: Option<Amount>,
    /// Clear its lead's value.
    #[arg(long)]
    pub clear_value: bool,
    /// Its lead's new currency.
    #[arg(long, value_name = "CODE", conflicts_with = "clear_currency")]
    pub currency: Option<String>,
    /// Clear its lead's currency.
    #[arg(long)]
    pub clear_currency: bool,
    /// Assign its lead to this agent (a user id).
    #[arg(long, value_name = "ID", conflicts_with = "clear_agent")]
    pub agent: Option<i64>,
    /// Unassign its lead.
    #[arg(long)]
    pub clear_agent: bool,
    #[command(flatten)]
    pub common: PatchArgs,
}

/// `voxys pipelines cards delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The card's id.
    pub card: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines cards move`.
#[derive(Args)]
pub struct MoveArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The card's id.
    pub card: i64,
    /// The stage to move it to (of the same funnel).
    pub stage: i64,
    /// Its place in the stage, from 1 [default: last].
    #[arg(long, value_name = "N")]
    pub position: Option<i64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The commands that name one card and print what they read.
#[derive(Args)]
pub struct CardArgs {
    /// The funnel's id.
    pub funnel: i64,
    /// The card's id.
    pub card: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys pipelines cards ...`.
pub async fn cards(group: CardsGroup) -> Result<(), Failure> {
    let Some(command) = group.command else {
        return list(group.list).await;
    };
    match command {
        CardsCommand::List(args) => list(args).await,
        CardsCommand::Create(args) => create(args).await,
        CardsCommand::Update(args) => update(*args).await,
        CardsCommand::Delete(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let (funnel, card) = (args.funnel, args.card);
            delete_confirmed(
                &args.confirm,
                &client,
                account,
                Deletion {
                    path: format!("funnels/{funnel}/cards/{card}"),
                    what: format!("card {card} of funnel {funnel}"),
                    action: format!("delete card {card} of funnel {funnel}"),
                    question: format!(
                        "Delete card {card} of funnel {funnel} of account {account} (its lead stays)?"
                    ),
                    verb: "deleted",
                },
                client.pipelines(account).cards(funnel).delete(card),
            )
            .await
        }
        CardsCommand::Move(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let mut request = client
                .pipelines(account)
                .cards(args.funnel)
                .move_to(args.card, args.stage);
            if let Some(position) = args.position {
                request = request.position(position);
            }
            let card = request.send().await.map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[card])
        }
        CardsCommand::History(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let events = client
                .pipelines(account)
                .cards(args.funnel)
                .history(args.card)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&events)
        }
    }
}

/// `voxys pipelines cards list`: every card of the funnel, in the API's
/// order.
async fn list(args: ListArgs) -> Result<(), Failure> {
    let Some(funnel) = args.funnel else {
        return Err(Failure::new(
            exit::USAGE,
            "give the funnel's id: voxys pipelines cards list FUNNEL.",
        ));
    };
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.pipelines(account).cards(funnel).list();
    if let Some(status) = &args.status {
        request = request.lead_status(LeadStatus::from(status.as_str()));
    }
    if let Some(stage) = args.stage {
        request = request.stage(stage);
    }
    let cards = request.send().await.map_err(|e| describe(&e, account, 0))?;
    args.output.write_all(&cards)
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let funnel = args.funnel;
    let mut request = client.pipelines(account).cards(funnel).create();
    if let Some(lead) = args.lead {
        request = request.lead(lead);
    }
    if let Some(stage) = args.stage {
        request = request.stage(stage);
    }
    if let Some(name) = &args.name {
        request = request.name(name);
    }
    if let Some(value) = args.value {
        request = request.value(value);
    }
    if let Some(currency) = &args.currency {
        request = request.currency(currency);
    }
    if let Some(agent) = args.agent {
        request = request.agent(agent);
    }
    if let Some(position) = args.position {
        request = request.position(position);
    }
    match request.send().await {
        Ok(card) => args.output.write_all(&[card]),
        Err(error) => Err(uncertain(
            error,
            account,
            &match args.lead {
                Some(lead) => format!(
                    "a card of lead {lead} may or may not have been made in funnel {funnel}"
                ),
                None => format!("a card may or may not have been made in funnel {funnel}"),
            },
            &format!(
                "voxys pipelines cards list {funnel} (a card made just now with these members means it was made)"
            ),
        )),
    }
}

async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let mut changes = CardUpdate::default();
    changes.funnel_stage_id = change(args.stage, false);
    changes.position = change(args.position, false);
    changes.custom_name = change(args.name.clone(), args.clear_name);
    changes.lead_value = change(args.value, args.clear_value);
    changes.lead_currency = change(args.currency.clone(), args.clear_currency);
    changes.assigned_agent_id = change(args.agent, args.clear_agent);
    if changes.is_empty() {
        return Err(nothing_to_change(
            "--stage, --position, --name, --value, --currency, --agent, or a --clear-… flag",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let path = format!("funnels/{}/cards/{}", args.funnel, args.card);
        return print_request(&client, account, "PATCH", &path, &changes);
    }
    let card = client
        .pipelines(account)
        .cards(args.funnel)
        .update(args.card)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[card])
}
