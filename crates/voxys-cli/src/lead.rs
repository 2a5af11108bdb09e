//! `voxys leads get`, `update`, `delete` and `stats`: one lead, and the
//! account's lead totals.

use clap::Args;
use serde::Serialize;
use serde_json::{Map, Value};
use voxys_connect::types::{Amount, Change, LeadUpdate};
use voxys_connect::{Deleted, Error};

use crate::confirm::{ConfirmArgs, confirm, print_dry_run};
use crate::connect::{ConnectionArgs, connect};
use crate::output::OutputArgs;
use crate::values::{parse_amount, parse_attributes};
use crate::{Failure, describe, exit};

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
        .map_err(|e| crate::describe_missing(&e, account, &format!("lead {}", args.id)))?;
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

/// `voxys leads update`: a flag per member to set it, and a `--clear-…`
/// flag to clear it (sent as `null`); members not named stay as they are.
#[derive(Args)]
pub struct UpdateArgs {
    /// The lead's id.
    pub id: i64,
    /// A new name.
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        conflicts_with = "clear_name"
    )]
    pub name: Option<String>,
    /// Clear the name.
    #[arg(long)]
    pub clear_name: bool,
    /// A new value, an exact decimal (such as 15000.50).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, conflicts_with = "clear_value")]
    pub value: Option<Amount>,
    /// Clear the value.
    #[arg(long)]
    pub clear_value: bool,
    /// A new currency, an ISO 4217 code (such as USD).
    #[arg(long, value_name = "CODE", conflicts_with = "clear_currency")]
    pub currency: Option<String>,
    /// Clear the currency.
    #[arg(long)]
    pub clear_currency: bool,
    /// Assign the lead to this agent (a user id).
    #[arg(long, value_name = "ID", conflicts_with = "clear_agent")]
    pub agent: Option<i64>,
    /// Unassign the lead.
    #[arg(long)]
    pub clear_agent: bool,
    /// A new position on the board.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "clear_position"
    )]
    pub position: Option<i64>,
    /// Clear the position.
    #[arg(long)]
    pub clear_position: bool,
    /// Link the lead to this conversation.
    #[arg(long, value_name = "ID", conflicts_with = "clear_conversation")]
    pub conversation: Option<i64>,
    /// Unlink the lead from its conversation.
    #[arg(long)]
    pub clear_conversation: bool,
    /// Move the lead to this company.
    #[arg(long, value_name = "ID", conflicts_with = "clear_company")]
    pub company: Option<i64>,
    /// Take the lead out of its company.
    #[arg(long)]
    pub clear_company: bool,
    #[command(flatten)]
    pub common: UpdateCommonArgs,
}

/// The flags every update command ends with: the custom attributes, the dry
/// run, the output and the connection.
#[derive(Args)]
pub struct UpdateCommonArgs {
    /// Replace every custom attribute with this JSON object (attributes not
    /// in it are dropped).
    #[arg(long, value_name = "JSON", value_parser = parse_attributes, conflicts_with = "clear_attributes")]
    pub attributes: Option<Map<String, Value>>,
    /// Remove every custom attribute (sends `{}`).
    #[arg(long)]
    pub clear_attributes: bool,
    /// Print the request that would be sent (PATCH, URL, body) and send
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl UpdateCommonArgs {
    /// The custom attributes the flags set: all of them replaced, all
    /// removed (`{}`), or none named (`None`).
    pub fn custom_attributes(&self) -> Option<Map<String, Value>> {
        match (&self.attributes, self.clear_attributes) {
            (Some(attributes), _) => Some(attributes.clone()),
            (None, true) => Some(Map::new()),
            (None, false) => None,
        }
    }

    /// Prints the PATCH of `changes` to `url` that would be sent.
    pub fn print_patch(&self, url: &str, changes: &impl Serialize) -> Result<(), Failure> {
        let body = serde_json::to_string(changes)
            .map_err(|e| Failure::new(exit::OTHER, format!("cannot encode the body: {e}.")))?;
        print_dry_run("PATCH", url, Some(&body))
    }
}

/// A member's change from its `--X VALUE` and `--clear-X` flags.
pub fn change<T>(set: Option<T>, clear: bool) -> Change<T> {
    match (set, clear) {
        (Some(value), _) => Change::Set(value),
        (None, true) => Change::Clear,
        (None, false) => Change::Keep,
    }
}

impl UpdateArgs {
    /// The body the flags describe.
    fn changes(&self) -> LeadUpdate {
        let mut update = LeadUpdate::default();
        update.custom_name = change(self.name.clone(), self.clear_name);
        update.lead_value = change(self.value, self.clear_value);
        update.lead_currency = change(self.currency.clone(), self.clear_currency);
        update.assigned_agent_id = change(self.agent, self.clear_agent);
        update.position = change(self.position, self.clear_position);
        update.conversation_id = change(self.conversation, self.clear_conversation);
        update.company_id = change(self.company, self.clear_company);
        update.custom_attributes = self.common.custom_attributes();
        update
    }
}

/// `voxys leads update`: prints the lead as it is after the change.
pub async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let changes = args.changes();
    if changes.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "nothing to change: give at least one of --name, --value, --currency, --agent, --position, --conversation, --company, --attributes, or a --clear-… flag.",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let url = format!(
            "{}/api/v1/accounts/{account}/leads/{}",
            client.base_url(),
            args.id
        );
        return args.common.print_patch(&url, &changes);
    }
    let lead = client
        .leads(account)
        .update(args.id)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[lead])
}

/// `voxys leads delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The lead's id.
    pub id: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads delete`: deletes the lead, with its notes; says so on
/// standard error.
pub async fn delete(args: DeleteArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let id = args.id;
    if args.confirm.dry_run {
        let url = format!("{}/api/v1/accounts/{account}/leads/{id}", client.base_url());
        return print_dry_run("DELETE", &url, None);
    }
    confirm(
        args.confirm.yes,
        &format!("delete lead {id} of account {account}"),
        &format!("Delete lead {id} of account {account}, with its notes? This cannot be undone."),
    )?;
    let deleted = client.leads(account).delete(id).send().await;
    report_deleted(deleted, &format!("lead {id}"), "deleted", account)
}

/// Says what a delete (or a removal: `verb`) did on standard error; a 404
/// on the first attempt means there was nothing to delete.
pub fn report_deleted(
    deleted: Result<Deleted, Error>,
    what: &str,
    verb: &str,
    account: i64,
) -> Result<(), Failure> {
    match deleted {
        Ok(Deleted::ByEarlierAttempt) => {
            eprintln!(
                "{what}: {verb} (an attempt whose answer was lost did it; the retry found it gone)."
            );
            Ok(())
        }
        Ok(_) => {
            eprintln!("{what}: {verb}.");
            Ok(())
        }
        Err(Error::NotFound { message, .. }) => Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "{what} not found in account {account} (404: {message}), so nothing was {verb}. Check the ids, --account and --base-url."
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}
