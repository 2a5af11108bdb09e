//! `voxys`: look at, export and change the leads, companies, pipelines and
//! tasks of a Voxys Connect account.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use voxys_connect::Error;
use voxys_connect::error::Setting;
#[cfg(feature = "demo")]
use voxys_connect_mock::cli::ServeArgs;

mod companies;
mod confirm;
mod connect;
mod conversations;
mod create;
mod crm;
mod ids;
mod import;
mod lead;
mod list;
mod notes;
mod output;
mod pipelines;
mod signals;
mod tables;
mod tasks;
mod values;
mod writes;

/// Exit codes, as `--help` lists them.
mod exit {
    /// Stop without a message: the reader of the output went away.
    pub const QUIET: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const AUTH: u8 = 3;
    pub const NOT_FOUND: u8 = 4;
    pub const RATE_LIMITED: u8 = 5;
    pub const SERVER_OR_NETWORK: u8 = 6;
    /// A bulk action or an import done only in part.
    pub const PARTIAL: u8 = 7;
    /// A write that makes something (a conversion, a create, a merge) that
    /// may or may not have happened.
    pub const UNCERTAIN: u8 = 8;
    pub const INTERRUPTED: u8 = 130;
}

pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    success; also a bulk action given no ids (an empty file or pipe):
       nothing to do; also a delete, merge, removal or unlink declined at
       its question (any answer but yes): nothing changed
  1    another failure (such as the output file cannot be written, or the
       data changed while a reorder was under way)
  2    usage: a wrong flag or value, or one the API rejected (422); a
       delete, merge, removal or unlink refused: no terminal to ask on and
       no --yes; a conversion refused: the lead has a card in that funnel
       already, and no --again; a scheme the server does not speak
       (http:// to an https server, or the reverse)
  3    authentication: no token, or the API refused it (401)
  4    not found (404): check --account and --base-url
  5    rate limited (429), still after retries
  6    server or network failure (5xx, timeout, connection, bad answer)
  7    done in part: a bulk action whose batches failed (--failed-ids FILE
       keeps the ids not done, for --ids-from), or an import whose lines
       failed (the failures file says which and why; rerun to finish)
  8    a conversion, a create, a note, a merge, a snooze, or an import's
       line may or may not have happened (the answer was lost and the SDK
       could not tell): the message says how to check
  130  interrupted (Ctrl-C, SIGTERM or SIGHUP); what was written is
       complete records, a bulk action says which ids were done, an
       import's journal which lines

Configuration: VOXYS_API_TOKEN (or --token-file), VOXYS_BASE_URL (or
--base-url; default https://connect.voxys.ai), VOXYS_ACCOUNT_ID (or --account),
VOXYS_CA_CERT (or --ca-cert) for a private certificate authority. HTTPS_PROXY,
HTTP_PROXY and NO_PROXY are honoured. The token is never taken as a
command-line value, where `ps` would show it.";

/// Examples for `voxys leads list`.
const LIST_HELP: &str = "\
Examples:
  voxys leads list --demo
  voxys leads list --status open --sort lead_value --order desc
  voxys leads list --all -o leads.csv
  voxys leads list --all --status lost --format ndjson | voxys leads bulk delete --yes";

/// Examples for `voxys leads get` and `voxys leads stats`.
const GET_HELP: &str = "\
Examples:
  voxys leads get 42
  voxys leads get 42 --format json
  voxys leads stats
  voxys leads stats --format csv -o totals.csv

Totals count snoozed leads in `total` only, so `total` can be more than
open + won + lost.";

/// Examples for `voxys leads set-status`.
const SET_STATUS_HELP: &str = "\
Examples:
  voxys leads set-status 42 won --notes \"invoice paid\"
  voxys leads set-status 42 open --clear-notes
  voxys leads set-status 42 lost --format json

Without --notes or --clear-notes the lead's notes stay as they are. Setting a
status the lead already has changes nothing else, so running it twice is safe.";

/// Examples for `voxys leads update`.
const UPDATE_HELP: &str = "\
Examples:
  voxys leads update 42 --name \"Acme renewal, 2027\" --value 18000
  voxys leads update 42 --clear-agent --clear-company
  voxys leads update 42 --attributes '{\"tier\": \"gold\"}' --dry-run

Each member has a flag to set it and a --clear-… flag to clear it (sent as
null); members not named stay as they are. --attributes replaces every
custom attribute; --clear-attributes removes them all. The status has its
own command: voxys leads set-status. --dry-run prints the request (PATCH,
URL, body) and sends nothing.";

/// Examples for `voxys leads delete`.
const DELETE_HELP: &str = "\
Examples:
  voxys leads delete 42
  voxys leads delete 42 --yes
  voxys leads delete 42 --dry-run

It asks on the terminal (the answer is read from the terminal itself), and
refuses without one unless --yes is given. --dry-run prints the request and
sends nothing. A lead already gone exits with 4; one deleted by an attempt
whose answer was lost is reported as deleted.";

/// Examples for `voxys leads convert`.
const CONVERT_HELP: &str = "\
Examples:
  voxys leads convert 42 --funnel 3
  voxys leads convert 42 --funnel 3 --stage 7 --format json

Converting makes a card (a deal) in the funnel. It is never sent twice: when
the answer is lost the SDK looks at the funnel's cards to settle what happened,
and when it still cannot tell it exits with 8 and says how to check
(`voxys pipelines cards list FUNNEL`).";

/// Look at, export and change the leads, companies, pipelines and tasks of
/// a Voxys Connect account.
#[derive(Parser)]
#[command(name = "voxys", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with leads.
    Leads {
        #[command(subcommand)]
        command: LeadsCommand,
    },
    /// Work with companies and their contacts.
    Companies {
        #[command(subcommand)]
        command: companies::CompaniesCommand,
    },
    /// Work with pipelines (funnels): their stages, cards (deals), totals,
    /// analytics, and the board.
    Pipelines {
        #[command(subcommand)]
        command: pipelines::PipelinesCommand,
    },
    /// Work with follow-up tasks.
    Tasks {
        #[command(subcommand)]
        command: tasks::TasksCommand,
    },
    /// Work with a conversation's CRM panel: its lead, its card, its tasks.
    Conversations {
        #[command(subcommand)]
        command: conversations::ConversationsCommand,
    },
    /// Serve a local mock of the Voxys Connect CRM API, in the foreground.
    #[cfg(feature = "demo")]
    Mock(ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum LeadsCommand {
    /// List an account's leads: one page, or every page with --all.
    #[command(after_help = format!("{LIST_HELP}\n\n{EXIT_CODES}"))]
    List(list::ListArgs),
    /// Print one lead.
    #[command(after_help = format!("{GET_HELP}\n\n{EXIT_CODES}"))]
    Get(lead::GetArgs),
    /// Create a lead (prints it), or a lead for each line of a file with
    /// --from, exactly once.
    #[command(after_help = format!("{}\n\n{EXIT_CODES}", create::CREATE_HELP))]
    Create(Box<create::CreateArgs>),
    /// Change a lead's members (--clear-… to clear one); prints the lead.
    #[command(after_help = format!("{UPDATE_HELP}\n\n{EXIT_CODES}"))]
    Update(Box<lead::UpdateArgs>),
    /// Delete a lead, with its notes. Asks first on a terminal; elsewhere
    /// refuses without --yes.
    #[command(after_help = format!("{DELETE_HELP}\n\n{EXIT_CODES}"))]
    Delete(lead::DeleteArgs),
    /// Print the account's lead totals: by status, and their value.
    #[command(after_help = format!("{GET_HELP}\n\n{EXIT_CODES}"))]
    Stats(lead::StatsArgs),
    /// Set a lead's status (and optionally its notes); prints the lead.
    #[command(after_help = format!("{SET_STATUS_HELP}\n\n{EXIT_CODES}"))]
    SetStatus(writes::SetStatusArgs),
    /// Act on many leads at once: assign, set a status, delete.
    Bulk {
        #[command(subcommand)]
        command: writes::BulkCommand,
    },
    /// Convert a lead into a deal: a card in a funnel; prints the card.
    #[command(after_help = format!("{CONVERT_HELP}\n\n{EXIT_CODES}"))]
    Convert(writes::ConvertArgs),
    /// A lead's notes: list them, add one.
    Notes {
        #[command(subcommand)]
        command: notes::NotesCommand,
    },
}

/// A failure, with the exit code it gives.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Leads { command } => match command {
            LeadsCommand::List(args) => list::list(args).await,
            LeadsCommand::Get(args) => lead::get(args).await,
            LeadsCommand::Create(args) => create::create(*args).await,
            LeadsCommand::Update(args) => lead::update(*args).await,
            LeadsCommand::Delete(args) => lead::delete(args).await,
            LeadsCommand::Notes { command } => notes::notes(command).await,
            LeadsCommand::Stats(args) => lead::stats(args).await,
            LeadsCommand::SetStatus(args) => writes::set_status(args).await,
            LeadsCommand::Bulk { command } => writes::bulk(command).await,
            LeadsCommand::Convert(args) => writes::convert(args).await,
        },
        Command::Companies { command } => companies::companies(command).await,
        Command::Pipelines { command } => pipelines::pipelines(command).await,
        Command::Tasks { command } => tasks::tasks(command).await,
        Command::Conversations { command } => conversations::conversations(command).await,
        #[cfg(feature = "demo")]
        Command::Mock(args) => return args.serve_until_interrupted("voxys").await,
        Command::Completions { shell } => {
            // Made in memory, then written: clap_complete panics when its
            // writer fails, as stdout does when the reader went away
            // (`| head -1`); write_failure stops quietly then.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "voxys", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)
                .and_then(|()| std::io::Write::flush(&mut std::io::stdout().lock()))
                .map_err(write_failure)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.code == exit::QUIET => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("voxys: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

pub(crate) fn write_failure(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        // The reader went away (`| head`): stop quietly, as Unix tools do.
        return Failure::new(exit::QUIET, "");
    }
    Failure::new(exit::OTHER, format!("cannot write the output: {error}."))
}

/// An SDK error in one or two sentences, with what to do, and its exit code.
pub(crate) fn describe(error: &Error, account: i64, written: u64) -> Failure {
    describe_after(error, account, written, "leads")
}

/// [`describe`], for a request about one thing (`what`: `lead 42`, `funnel
/// 9`): a 404 says which was not found, and in which account.
pub(crate) fn describe_missing(error: &Error, account: i64, what: &str) -> Failure {
    match error {
        Error::NotFound { message, .. } => Failure::new(
            exit::NOT_FOUND,
            format!(
                "{what} not found in account {account} (404: {message}). Check the id, --account and --base-url."
            ),
        ),
        _ => describe(error, account, 0),
    }
}

/// [`describe`], for an error after `written` records of `noun` (`leads`,
/// `companies`) were written.
pub(crate) fn describe_after(error: &Error, account: i64, written: u64, noun: &str) -> Failure {
    let so_far = if written > 0 {
        format!(" ({written} {noun} were written before it.)")
    } else {
        String::new()
    };
    let (code, message) = match error {
        Error::Unauthorized {
            status, message, ..
        } => (
            exit::AUTH,
            format!(
                "the API refused the token ({status}: {}). Check VOXYS_API_TOKEN or --token-file, and that its user belongs to account {account}.",
                message.trim_end_matches('.')
            ),
        ),
        Error::NotFound { message, .. } => (
            exit::NOT_FOUND,
            format!(
                "not found (404: {}). Check --account and --base-url.",
                message.trim_end_matches('.')
            ),
        ),
        Error::Validation {
            message, fields, ..
        } => (
            exit::USAGE,
            if fields.is_empty() {
                format!(
                    "the API rejected the request (422: {}). Correct it and try again.",
                    message.trim_end_matches('.')
                )
            } else {
                format!(
                    "the API rejected the request (422: {}). Correct {} and try again.",
                    field_errors(fields),
                    fields
                        .keys()
                        .map(|f| flag_for(f))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        ),
        Error::InvalidParameter {
            name,
            value,
            expected,
            ..
        } => (
            exit::USAGE,
            format!(
                "{} {value} is not allowed: give {expected}.",
                flag_for(name)
            ),
        ),
        Error::RateLimited { attempts, .. } => (
            exit::RATE_LIMITED,
            format!(
                "the API kept answering 429 (rate limited), {}. Wait a minute and try again; with --all, lower --concurrency or set --max-rate.",
                attempts_text(*attempts)
            ),
        ),
        Error::Server {
            status, snippet, ..
        } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "the server failed ({}). Try again later.",
                status_and(*status, snippet)
            ),
        ),
        Error::Tls { reason, .. } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "TLS failed: {reason}. If the instance uses a private certificate authority, pass its certificate with --ca-cert FILE (or set VOXYS_CA_CERT); else check --base-url."
            ),
        ),
        Error::WrongScheme {
            server_speaks,
            loopback,
            ..
        } => (
            exit::USAGE,
            match (*server_speaks, *loopback) {
                ("https", _) => "the server at this address speaks https (TLS), not plain http: use a --base-url that starts with https://, or check the port.".to_owned(),
                (_, true) => "the server at this address speaks plain http, not https: use a --base-url that starts with http://, or check the port.".to_owned(),
                _ => "something at this address answered the TLS handshake in plain http: check the port in --base-url (https is usually 443) and any proxy in between (HTTPS_PROXY). Plain http would send the token unencrypted.".to_owned(),
            },
        ),
        Error::Dns { host, .. } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "cannot resolve the host {host}. Check --base-url (or VOXYS_BASE_URL) and this machine's DNS."
            ),
        ),
        Error::Timeout { attempts, .. } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "no answer in time ({}): the server or the network is slow. Try again later, or raise --timeout (seconds an attempt may take).",
                attempts_text(*attempts)
            ),
        ),
        Error::Transport {
            attempts, source, ..
        } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "cannot reach the server ({}; {}). Check --base-url and the network, then try again.",
                root_cause(source),
                attempts_text(*attempts)
            ),
        ),
        Error::BodyTooLarge { limit, .. } => (
            exit::SERVER_OR_NETWORK,
            format!(
                "the answer is larger than {limit} bytes, far more than a page: another service may be answering. Check --base-url."
            ),
        ),
        // The data changed while the request was under way (a reorder whose
        // stages changed meanwhile): nothing for the network or the flags.
        Error::Conflict { message, .. } => (
            exit::OTHER,
            format!(
                "{}. Look at it again, then try again.",
                message.trim_end_matches('.')
            ),
        ),
        Error::Config(e) if e.setting == Setting::Token => (exit::AUTH, format!("{e}.")),
        Error::Config(e) => (exit::USAGE, format!("{e}.")),
        other => (
            exit::SERVER_OR_NETWORK,
            format!("{}.", without_operation(other)),
        ),
    };
    // The server's id for the request, for support; the SDK's own message
    // (the `other` arm) says it already.
    let request_id = match (error.request_id(), message.contains("request id")) {
        (Some(id), false) => format!(" Request id for support: {id}."),
        _ => String::new(),
    };
    Failure::new(code, format!("{message}{so_far}{request_id}"))
}

/// A 422's field errors in one line, by the flags that set them: `--company:
/// must exist; --name: can't be blank`.
pub(crate) fn field_errors(fields: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    fields
        .iter()
        .map(|(field, messages)| format!("{}: {}", flag_for(field), messages.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The flag or argument of this CLI that sets an API member or an SDK
/// parameter (`assigned_agent_id` is `--agent`), as the user typed it; a
/// member no flag sets is named as the API names it, in backquotes.
pub(crate) fn flag_for(name: &str) -> String {
    let flag = match name {
        "assigned_agent" | "assigned_agent_id" | "agent" | "agent_id" => "--agent",
        "lead_value" | "value" => "--value",
        "lead_currency" | "currency" => "--currency",
        "custom_name" => "--name",
        "company" | "company_id" => "--company",
        "conversation" | "conversation_id" => "--conversation",
        "custom_attributes" => "--attributes (or --attribute)",
        "funnel" | "funnel_id" => "--funnel",
        "stage" | "stage_id" | "funnel_stage_id" => "--stage",
        "lead" | "lead_id" => "--lead",
        "inbox" | "inbox_id" => "--inbox",
        "due_at" | "due_date" => "--due",
        "taskable" | "taskable_type" | "taskable_id" => "--about",
        "is_public" => "--public",
        "is_active" => "--active",
        "per_page" => "--per-page",
        "page" => "--page",
        "concurrency" => "--concurrency",
        "batch_size" => "--batch-size",
        "sort" | "sort_by" => "--sort",
        "order" | "sort_order" => "--order",
        "max_requests_per_second" => "--max-rate",
        "position" | "description" | "domain" | "color" | "chatwoot_status" | "priority"
        | "status" | "since" | "until" | "group_by" | "notes" => {
            return format!("--{}", name.replace('_', "-"));
        }
        _ => return format!("`{name}`"),
    };
    flag.to_owned()
}

/// `1 attempt`, `5 attempts`.
fn attempts_text(attempts: u32) -> String {
    match attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    }
}

/// `503 Service Temporarily Unavailable`, or `500: snippet`: the status and
/// what the body says, without saying the status twice or ending on a dot.
fn status_and(status: u16, snippet: &str) -> String {
    let snippet = snippet.trim().trim_end_matches('.').trim();
    if snippet.is_empty() {
        status.to_string()
    } else if snippet.starts_with(&status.to_string()) {
        snippet.to_owned()
    } else {
        format!("{status}: {snippet}")
    }
}

/// What finally failed under a transport error: `Connection refused (os
/// error 111)`, not the chain of wrappers above it.
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut last = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    last
}

/// An SDK error's message without the operation name it starts with
/// (`list_leads: ...`): the CLI's users name commands, not operations.
fn without_operation(error: &Error) -> String {
    let text = error.to_string();
    let text = match error.operation() {
        Some(operation) => text
            .strip_prefix(operation)
            .and_then(|rest| rest.strip_prefix(": "))
            .map(str::to_owned)
            .unwrap_or(text),
        None => text,
    };
    text.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::SORT_FIELDS;
    use std::str::FromStr;
    use voxys_connect::types::LeadSortField;

    #[test]
    fn a_status_is_said_once_and_the_sentence_ends_once() {
        // nginx's page, as the SDK's snippet gives it.
        assert_eq!(
            status_and(503, "503 Service Temporarily Unavailable. nginx."),
            "503 Service Temporarily Unavailable. nginx"
        );
        assert_eq!(status_and(500, "boom"), "500: boom");
        assert_eq!(status_and(502, "  "), "502");
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sort_fields_are_the_documented_ones() {
        let spec = voxys_connect_spec::Spec::bundled();
        let documented: Vec<&str> = spec
            .get("#/components/schemas/LeadSortField/enum")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(SORT_FIELDS.to_vec(), documented);
        for field in SORT_FIELDS {
            assert!(LeadSortField::from_str(field).is_ok());
        }
    }
}
