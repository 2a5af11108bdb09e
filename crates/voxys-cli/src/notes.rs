//! `voxys leads notes list|add`: a lead's notes.

use std::io::Read;

use clap::{Args, Subcommand};
use voxys_connect::Error;

use crate::connect::{ConnectionArgs, connect};
use crate::output::OutputArgs;
use crate::{Failure, describe, exit};

/// Examples for `voxys leads notes`.
pub const NOTES_HELP: &str = "\
Examples:
  voxys leads notes list 42
  voxys leads notes list 42 --format csv -o notes.csv
  voxys leads notes add 42 \"Called, left a voicemail\"
  git log -1 --format=%B | voxys leads notes add 42 -

A note is written by the token's user. Adding one is never sent twice: when
the answer is lost the SDK looks among the lead's notes for the text, and
when it still cannot tell, the command exits with 8 and says how to check.";

/// The notes commands.
#[derive(Subcommand)]
pub enum NotesCommand {
    /// List a lead's notes, newest first.
    #[command(after_help = NOTES_HELP)]
    List(ListNotesArgs),
    /// Add a note to a lead; prints the note.
    #[command(after_help = NOTES_HELP)]
    Add(AddNoteArgs),
}

/// `voxys leads notes list`.
#[derive(Args)]
pub struct ListNotesArgs {
    /// The lead's id.
    pub lead: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads notes add`.
#[derive(Args)]
pub struct AddNoteArgs {
    /// The lead's id.
    pub lead: i64,
    /// The note's text; - reads it from standard input.
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys leads notes ...`.
pub async fn notes(command: NotesCommand) -> Result<(), Failure> {
    match command {
        NotesCommand::List(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let notes = client
                .leads(account)
                .notes(args.lead)
                .list()
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&notes)
        }
        NotesCommand::Add(args) => add(args).await,
    }
}

async fn add(args: AddNoteArgs) -> Result<(), Failure> {
    let text = if args.text == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            Failure::new(
                exit::USAGE,
                format!("cannot read the note from standard input: {e}."),
            )
        })?;
        text.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        args.text.clone()
    };
    if text.trim().is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "the note is empty: give its text (or - to read it from standard input).",
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    let lead = args.lead;
    match client.leads(account).notes(lead).create(text).send().await {
        Ok(note) => args.output.write_all(&[note]),
        Err(Error::OutcomeUnknown { why, cause, .. }) => Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "the note may or may not have been added to lead {lead}: the answer was lost ({}), and {why}. Before adding it again, check: voxys leads notes list {lead}",
                describe(&cause, account, 0).message.trim_end_matches('.'),
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}
