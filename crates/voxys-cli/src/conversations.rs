//! `voxys conversations crm ...`: a conversation's CRM panel, its lead, its
//! card (deal) and its tasks.

use clap::{Args, Subcommand};

use crate::confirm::ConfirmArgs;
use crate::connect::{ConnectionArgs, connect};
use crate::crm::{Deletion, delete_confirmed, uncertain};
use crate::output::OutputArgs;
use crate::{EXIT_CODES, Failure, describe};

/// Examples for the CRM panel's commands.
const CRM_HELP: &str = "\
Examples:
  voxys conversations crm get 100
  voxys conversations crm get 100 --format json
  voxys conversations crm link-lead 100 42
  voxys conversations crm link-card 100 7
  voxys conversations crm convert 100 --funnel 1 --stage 12
  voxys conversations crm unlink-card 100 --yes

link-lead and link-card replace what was linked before, and print the panel.
convert makes a card (a deal) in the funnel, for --lead or the conversation's
lead (else a new one), links it, and prints the card; it is never sent twice:
when its answer is lost the SDK reads the panel, and when it still cannot tell
the command exits with 8 and says how to check. unlink-card takes the card off
the conversation (the card stays); it asks on the terminal, and refuses
without one unless --yes is given.";

/// The conversations commands.
#[derive(Subcommand)]
pub enum ConversationsCommand {
    /// A conversation's CRM panel: get, link a lead or a card, unlink,
    /// convert into a deal.
    Crm {
        #[command(subcommand)]
        command: CrmCommand,
    },
}

/// The CRM panel's commands.
#[derive(Subcommand)]
pub enum CrmCommand {
    /// Print a conversation's panel: its lead, its card, its tasks.
    #[command(after_help = format!("{CRM_HELP}\n\n{EXIT_CODES}"))]
    Get(ConversationArgs),
    /// Link a card (deal) to a conversation; prints the panel.
    #[command(after_help = format!("{CRM_HELP}\n\n{EXIT_CODES}"))]
    LinkCard(LinkCardArgs),
    /// Take a conversation's card off it (the card stays).
    #[command(after_help = format!("{CRM_HELP}\n\n{EXIT_CODES}"))]
    UnlinkCard(UnlinkArgs),
    /// Link a lead to a conversation; prints the panel.
    #[command(after_help = format!("{CRM_HELP}\n\n{EXIT_CODES}"))]
    LinkLead(LinkLeadArgs),
    /// Turn a conversation into a deal: a card in a funnel, linked to it;
    /// prints the card.
    #[command(after_help = format!("{CRM_HELP}\n\n{EXIT_CODES}"))]
    Convert(ConvertArgs),
}

/// `voxys conversations crm get`.
#[derive(Args)]
pub struct ConversationArgs {
    /// The conversation's id.
    pub conversation: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys conversations crm link-card`.
#[derive(Args)]
pub struct LinkCardArgs {
    /// The conversation's id.
    pub conversation: i64,
    /// The card's id.
    pub card: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys conversations crm link-lead`.
#[derive(Args)]
pub struct LinkLeadArgs {
    /// The conversation's id.
    pub conversation: i64,
    /// The lead's id.
    pub lead: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys conversations crm unlink-card`.
#[derive(Args)]
pub struct UnlinkArgs {
    /// The conversation's id.
    pub conversation: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys conversations crm convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The conversation's id.
    pub conversation: i64,
    /// The funnel to make the card in.
    #[arg(long, value_name = "ID")]
    pub funnel: i64,
    /// The lead the card is for [default: the conversation's lead, else a
    /// new one].
    #[arg(long, value_name = "ID")]
    pub lead: Option<i64>,
    /// The stage to put it in [default: the funnel's first].
    #[arg(long, value_name = "ID")]
    pub stage: Option<i64>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys conversations ...`.
pub async fn conversations(command: ConversationsCommand) -> Result<(), Failure> {
    let ConversationsCommand::Crm { command } = command;
    match command {
        CrmCommand::Get(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let panel = client
                .conversations(account)
                .crm(args.conversation)
                .get()
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[panel])
        }
        CrmCommand::LinkCard(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let panel = client
                .conversations(account)
                .crm(args.conversation)
                .link_card(args.card)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[panel])
        }
        CrmCommand::LinkLead(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let panel = client
                .conversations(account)
                .crm(args.conversation)
                .link_lead(args.lead)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[panel])
        }
        CrmCommand::UnlinkCard(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let id = args.conversation;
            delete_confirmed(
                &args.confirm,
                &client,
                account,
                Deletion {
                    path: format!("conversations/{id}/crm/unlink_pipeline"),
                    what: format!("the card of conversation {id}"),
                    action: format!("unlink the card of conversation {id}"),
                    question: format!(
                        "Unlink the card of conversation {id} of account {account} (the card stays)?"
                    ),
                    verb: "unlinked",
                },
                client.conversations(account).crm(id).unlink_card(),
            )
            .await
        }
        CrmCommand::Convert(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let (id, funnel) = (args.conversation, args.funnel);
            let mut request = client.conversations(account).crm(id).convert(funnel);
            if let Some(lead) = args.lead {
                request = request.lead(lead);
            }
            if let Some(stage) = args.stage {
                request = request.stage(stage);
            }
            match request.send().await {
                Ok(card) => args.output.write_all(&[card]),
                Err(error) => Err(uncertain(
                    error,
                    account,
                    &format!(
                        "conversation {id} may or may not have been converted into a deal in funnel {funnel}"
                    ),
                    &format!(
                        "voxys conversations crm get {id} (a card of funnel {funnel} linked just now means it was converted)"
                    ),
                )),
            }
        }
    }
}
