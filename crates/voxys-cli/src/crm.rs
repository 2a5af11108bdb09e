//! What the pipelines, tasks and conversations commands share: the flags of
//! an update, a delete asked first, and a write whose outcome is unknown.

use clap::Args;
use serde::Serialize;
use voxys_connect::{Client, Delete, Error};

use crate::confirm::{ConfirmArgs, confirm, print_dry_run};
use crate::connect::ConnectionArgs;
use crate::lead::report_deleted;
use crate::output::OutputArgs;
use crate::{Failure, describe, exit};

/// The flags every update of a funnel, stage, card or task ends with: the
/// dry run, the output and the connection.
#[derive(Args)]
pub struct PatchArgs {
    /// Print the request that would be sent (PATCH, URL, body) and send
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The URL of `path` in `account`, as a dry run prints it.
pub fn account_url(client: &Client, account: i64, path: &str) -> String {
    format!("{}/api/v1/accounts/{account}/{path}", client.base_url())
}

/// Prints the request `method` to `path` with `body` that a dry run would
/// send.
pub fn print_request(
    client: &Client,
    account: i64,
    method: &str,
    path: &str,
    body: &impl Serialize,
) -> Result<(), Failure> {
    let body = serde_json::to_string(body)
        .map_err(|e| Failure::new(exit::OTHER, format!("cannot encode the body: {e}.")))?;
    print_dry_run(method, &account_url(client, account, path), Some(&body))
}

/// A refusal of an update that names nothing to change.
pub fn nothing_to_change(flags: &str) -> Failure {
    Failure::new(
        exit::USAGE,
        format!("nothing to change: give at least one of {flags}."),
    )
}

/// What a delete (or an unlink) is, for [`delete_confirmed`].
pub struct Deletion<'a> {
    /// The URL path of the request, in the account (`funnels/3`).
    pub path: String,
    /// What is deleted, for the messages (`funnel 3`).
    pub what: String,
    /// The action, for the refusal (`delete funnel 3`).
    pub action: String,
    /// The question asked on the terminal, before "This cannot be undone."
    pub question: String,
    /// What the action did, for the report (`deleted`, `unlinked`).
    pub verb: &'a str,
}

/// A delete as every command does it: `--dry-run` prints the request and
/// sends nothing; else it asks on the terminal unless `--yes` (and refuses
/// without one), sends, and says what happened on standard error.
pub async fn delete_confirmed(
    flags: &ConfirmArgs,
    client: &Client,
    account: i64,
    deletion: Deletion<'_>,
    request: Delete,
) -> Result<(), Failure> {
    if flags.dry_run {
        return print_dry_run(
            "DELETE",
            &account_url(client, account, &deletion.path),
            None,
        );
    }
    confirm(
        flags.yes,
        &format!("{} of account {account}", deletion.action),
        &format!("{} This cannot be undone.", deletion.question),
    )?;
    report_deleted(request.send().await, &deletion.what, deletion.verb, account)
}

/// The failure of a write that makes something (a create, a conversion, a
/// snooze): when its outcome is unknown, exit 8 saying what `done` may or
/// may not have happened and what to `check` before trying again; else as
/// every error.
pub fn uncertain(error: Error, account: i64, done: &str, check: &str) -> Failure {
    match error {
        Error::OutcomeUnknown { why, cause, .. } => Failure::new(
            exit::UNCERTAIN,
            format!(
                "{done}: the answer was lost ({}), and {why}. Before trying again, check: {check}",
                describe(&cause, account, 0).message.trim_end_matches('.'),
            ),
        ),
        other => describe(&other, account, 0),
    }
}
