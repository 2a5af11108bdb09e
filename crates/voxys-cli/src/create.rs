//! `voxys leads create`: one lead from flags, or one for each line of a
//! file with `--from` (see [`crate::import`]).

use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value};
use voxys_connect::Error;
use voxys_connect::types::Amount;

use crate::connect::{ConnectionArgs, connect};
use crate::import::{ImportArgs, import};
use crate::output::OutputArgs;
use crate::values::{parse_amount, parse_attribute, parse_attributes, with_pairs};
use crate::{Failure, describe, exit};

/// Examples and the rules of `voxys leads create`.
pub const CREATE_HELP: &str = "\
Examples:
  voxys leads create --name \"Acme renewal\" --value 15000.50 --currency USD --company 10
  voxys leads create --name Pilot --agent 5 --attribute tier=gold --attribute seats=25
  voxys leads create --from leads.csv
  voxys leads list --all --format ndjson --account 1 \\
    | voxys leads create --from - --account 2 --omit agent,company

One lead: the flags name its members; it prints the lead. A create is never
sent twice: when the answer is lost the SDK looks for the lead among the
newest, and when it still cannot tell it exits with 8 and says how to check.

From a file (--from FILE, - for standard input): a lead for each line.
  Input: NDJSON, one object a line, or CSV with a header row (by the file's
  extension, else its content; --input-format to force). Lines may be leads
  as `voxys leads list --format ndjson` or `--format csv` writes them
  (assigned_agent.id and company.id give the agent and the company; id and
  the timestamps are left out), or the create members: custom_name,
  lead_value, lead_currency, assigned_agent_id, company_id,
  conversation_id, position, custom_attributes. A status other than open,
  and notes, are set after the create. --omit agent,company,... leaves
  members out of every line (agents and companies of another account would
  be refused).
  Exactly once: a journal (FILE.journal next to the input, or --journal
  PATH; for standard input voxys-leads-create.journal in the current
  directory) records each line before it is sent and once it made its
  lead, flushed to disk at each step. Run the same command again after a
  failure, a crash or Ctrl-C: lines done are skipped (their leads printed
  as `earlier`); a line sent without an answer is looked for among the
  leads made since (one match is taken as its lead, `recovered`; none, and
  it is created; more than one, and it is reported as unknown and not
  created). Identical lines are created one after the other. To import the
  same lines again as new leads, pass a new --journal.
  Output: for each line done, its line number, the input's id (source_id),
  the lead's id and the outcome (created, recovered, earlier), in --format
  (NDJSON when piped: `voxys leads bulk` takes it as ids). Lines not done
  go to the failures file (FILE.failures.ndjson, or --failures PATH), one
  JSON object each: line, outcome (invalid, failed, unknown, incomplete),
  why, the 422's fields, and the line itself.
  Ctrl-C stops after the lines in flight; the journal stays consistent.
  Exit: 0 every line done; 7 some lines not done (see the failures file);
  8 some lines may or may not have made a lead; 130 interrupted.";

/// `voxys leads create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The lead's name.
    #[arg(
        long,
        value_name = "TEXT",
        allow_hyphen_values = true,
        conflicts_with = "from"
    )]
    pub name: Option<String>,
    /// Its value, an exact decimal (such as 15000.50).
    #[arg(long, value_name = "AMOUNT", value_parser = parse_amount, conflicts_with = "from")]
    pub value: Option<Amount>,
    /// The value's currency, an ISO 4217 code (such as USD).
    #[arg(long, value_name = "CODE", conflicts_with = "from")]
    pub currency: Option<String>,
    /// The agent (a user id) to assign it to.
    #[arg(long, value_name = "ID", conflicts_with = "from")]
    pub agent: Option<i64>,
    /// Its position on the board.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "from"
    )]
    pub position: Option<i64>,
    /// The conversation it comes from.
    #[arg(long, value_name = "ID", conflicts_with = "from")]
    pub conversation: Option<i64>,
    /// The company it belongs to.
    #[arg(long, value_name = "ID", conflicts_with = "from")]
    pub company: Option<i64>,
    /// A custom attribute, KEY=VALUE (VALUE is JSON when it reads as JSON,
    /// such as 25 or true, else text); repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_attribute, conflicts_with = "from")]
    pub attribute: Vec<(String, Value)>,
    /// Custom attributes as one JSON object (--attribute adds to it).
    #[arg(long, value_name = "JSON", value_parser = parse_attributes, conflicts_with = "from")]
    pub attributes: Option<Map<String, Value>>,
    /// Create a lead for each line of this file (- for standard input),
    /// exactly once: see below.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    pub import: ImportArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads create`.
pub async fn create(args: CreateArgs) -> Result<(), Failure> {
    if let Some(from) = &args.from {
        return import(from, &args.import, &args.output, &args.connection).await;
    }
    let attributes = with_pairs(args.attributes.clone().unwrap_or_default(), &args.attribute);
    let nothing = args.name.is_none()
        && args.value.is_none()
        && args.currency.is_none()
        && args.agent.is_none()
        && args.position.is_none()
        && args.conversation.is_none()
        && args.company.is_none()
        && attributes.is_empty();
    if nothing {
        return Err(Failure::new(
            exit::USAGE,
            "nothing to create: give the lead's members (--name, --value, --currency, --agent, --company...), or --from FILE for a lead for each line of a file.",
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.leads(account).create();
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
    if let Some(conversation) = args.conversation {
        request = request.conversation(conversation);
    }
    if let Some(company) = args.company {
        request = request.company(company);
    }
    if !attributes.is_empty() {
        request = request.custom_attributes(attributes);
    }
    match request.send().await {
        Ok(lead) => args.output.write_all(&[lead]),
        Err(Error::OutcomeUnknown { why, cause, .. }) => Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "the lead may or may not have been created: the answer was lost ({}), and {why}. Before creating it again, check the newest leads: voxys leads list --sort created_at --order desc",
                describe(&cause, account, 0).message.trim_end_matches('.'),
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}
