//! `voxys tasks ...`: an account's follow-up tasks.

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use futures::StreamExt;
use voxys_connect::types::{
    NaiveDate, Snooze, TaskPriority, TaskStatus, TaskUpdate, TaskableType, Timestamp,
};

use crate::confirm::ConfirmArgs;
use crate::connect::{ConnectionArgs, connect};
use crate::crm::{
    Deletion, PatchArgs, delete_confirmed, nothing_to_change, print_request, uncertain,
};
use crate::lead::change;
use crate::list::{PagesArgs, write_pages};
use crate::output::OutputArgs;
use crate::values::{parse_about, parse_date, parse_instant, parse_snooze};
use crate::{EXIT_CODES, Failure, describe, exit};

/// Examples for the tasks' commands.
const TASKS_HELP: &str = "\
Examples:
  voxys tasks list --status pending --due-before 2026-07-01T00:00:00Z
  voxys tasks list --about lead:42 --all -o tasks.csv
  voxys tasks create \"Call back about the quote\" --about lead:42 --priority high --due 2026-06-15T10:00:00Z
  voxys tasks calendar 2026-06-01 2026-06-30
  voxys tasks update 20 --clear-due --agent 5
  voxys tasks complete 20
  voxys tasks snooze 20 1d          # 12h, 1d, 2w, or until 2026-06-20T09:00:00Z
  voxys tasks delete 20 --dry-run

--about KIND:ID names the record a task is about, KIND one of lead, card,
conversation, contact (for list, KIND alone: every task about one of that
kind). Instants are RFC 3339 (2026-06-15T10:00:00Z), days YYYY-MM-DD.
Creating and snoozing by a duration are never sent twice: when the answer is
lost the SDK looks for what they did, and when it still cannot tell the
command exits with 8 and says how to check. delete asks on the terminal, and
refuses without one unless --yes is given.";

/// The task statuses the API documents.
fn statuses() -> PossibleValuesParser {
    PossibleValuesParser::new(TaskStatus::KNOWN.iter().map(TaskStatus::as_str))
}

/// The task priorities the API documents.
fn priorities() -> PossibleValuesParser {
    PossibleValuesParser::new(TaskPriority::KNOWN.iter().map(TaskPriority::as_str))
}

/// The tasks commands.
#[derive(Subcommand)]
pub enum TasksCommand {
    /// List the account's tasks, soonest due first: one page, or every page
    /// with --all.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    List(ListArgs),
    /// Create a task; prints it.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Create(CreateArgs),
    /// The tasks due from one day to another (both included), soonest first.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Calendar(CalendarArgs),
    /// Print one task.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Get(TaskArgs),
    /// Change a task's members (--clear-… to clear one); prints it.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Update(UpdateArgs),
    /// Delete a task.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Delete(DeleteArgs),
    /// Complete a task (doing it again changes nothing); prints it.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Complete(TaskArgs),
    /// Snooze a task by 12h, 1d, 2w..., or until an instant; prints it.
    #[command(after_help = format!("{TASKS_HELP}\n\n{EXIT_CODES}"))]
    Snooze(SnoozeArgs),
}

/// `voxys tasks list`.
#[derive(Args)]
pub struct ListArgs {
    /// Only tasks about this record (KIND:ID), or about records of this kind
    /// (KIND): lead, card, conversation, contact.
    #[arg(long, value_name = "KIND[:ID]", value_parser = parse_about)]
    pub about: Option<(TaskableType, Option<i64>)>,
    /// Only tasks with this status.
    #[arg(long, value_parser = statuses())]
    pub status: Option<String>,
    /// Only tasks due before this instant (RFC 3339).
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
    pub due_before: Option<Timestamp>,
    /// Only tasks due after this instant (RFC 3339).
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
    pub due_after: Option<Timestamp>,
    /// The page to show, from 1 (with --all: the page to start from).
    #[arg(long)]
    pub page: Option<u64>,
    /// Tasks per page, 1 to 100 [default: 25; with --all, 100].
    #[arg(long)]
    pub per_page: Option<u64>,
    #[command(flatten)]
    pub pages: PagesArgs,
}

/// `voxys tasks create`.
#[derive(Args)]
pub struct CreateArgs {
    /// What to do.
    #[arg(allow_hyphen_values = true)]
    pub title: String,
    /// More about it.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub description: Option<String>,
    /// When it is due (RFC 3339, such as 2026-06-15T10:00:00Z).
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant)]
    pub due: Option<Timestamp>,
    /// How urgent it is [default: medium].
    #[arg(long, value_parser = priorities())]
    pub priority: Option<String>,
    /// The agent (a user id) it is for.
    #[arg(long, value_name = "ID")]
    pub agent: Option<i64>,
    /// The record it is about: lead:ID, card:ID, conversation:ID, contact:ID.
    #[arg(long, value_name = "KIND:ID", value_parser = parse_about)]
    pub about: Option<(TaskableType, Option<i64>)>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys tasks calendar`.
#[derive(Args)]
pub struct CalendarArgs {
    /// The first day, YYYY-MM-DD.
    #[arg(value_parser = parse_date)]
    pub start: NaiveDate,
    /// The last day, YYYY-MM-DD (included).
    #[arg(value_parser = parse_date)]
    pub end: NaiveDate,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The commands that name one task and print it.
#[derive(Args)]
pub struct TaskArgs {
    /// The task's id.
    pub id: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys tasks update`.
#[derive(Args)]
pub struct UpdateArgs {
    /// The task's id.
    pub id: i64,
    /// A new title (a task always has one).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub title: Option<String>,
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
    /// A new due time (RFC 3339).
    #[arg(long, value_name = "INSTANT", value_parser = parse_instant, conflicts_with = "clear_due")]
    pub due: Option<Timestamp>,
    /// No due time.
    #[arg(long)]
    pub clear_due: bool,
    /// A new priority.
    #[arg(long, value_parser = priorities())]
    pub priority: Option<String>,
    /// Assign it to this agent (a user id).
    #[arg(long, value_name = "ID", conflicts_with = "clear_agent")]
    pub agent: Option<i64>,
    /// Assign it to no one.
    #[arg(long)]
    pub clear_agent: bool,
    #[command(flatten)]
    pub common: PatchArgs,
}

/// `voxys tasks delete`.
#[derive(Args)]
pub struct DeleteArgs {
    /// The task's id.
    pub id: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys tasks snooze`.
#[derive(Args)]
pub struct SnoozeArgs {
    /// The task's id.
    pub id: i64,
    /// How long: 12h, 1d, 2w (1 to 9999 hours, days or weeks), or until an
    /// ISO 8601 date-time (2026-06-20T09:00:00Z).
    #[arg(value_name = "DURATION", value_parser = parse_snooze)]
    pub duration: Snooze,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys tasks ...`.
pub async fn tasks(command: TasksCommand) -> Result<(), Failure> {
    match command {
        TasksCommand::List(args) => list(args).await,
        TasksCommand::Create(args) => create(args).await,
        TasksCommand::Calendar(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let tasks = client
                .tasks(account)
                .calendar(args.start, args.end)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&tasks)
        }
        TasksCommand::Get(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let task = client
                .tasks(account)
                .get(args.id)
                .send()
                .await
                .map_err(|e| crate::describe_missing(&e, account, &format!("task {}", args.id)))?;
            args.output.write_all(&[task])
        }
        TasksCommand::Update(args) => update(args).await,
        TasksCommand::Delete(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let id = args.id;
            delete_confirmed(
                &args.confirm,
                &client,
                account,
                Deletion {
                    path: format!("follow_up_tasks/{id}"),
                    what: format!("task {id}"),
                    action: format!("delete task {id}"),
                    question: format!("Delete task {id} of account {account}?"),
                    verb: "deleted",
                },
                client.tasks(account).delete(id),
            )
            .await
        }
        TasksCommand::Complete(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let task = client
                .tasks(account)
                .complete(args.id)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[task])
        }
        TasksCommand::Snooze(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let id = args.id;
            match client.tasks(account).snooze(id, args.duration).send().await {
                Ok(task) => args.output.write_all(&[task]),
                Err(error) => Err(uncertain(
                    error,
                    account,
                    &format!(
                        "task {id} may or may not have been snoozed by {}",
                        args.duration
                    ),
                    &format!(
                        "voxys tasks get {id} (a due time already pushed means it was snoozed: snoozing again would push it twice)"
                    ),
                )),
            }
        }
    }
}

async fn list(args: ListArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.pages.connection).await?;
    let mut request = client
        .tasks(account)
        .list()
        .concurrency(args.pages.concurrency);
    match &args.about {
        Some((kind, Some(id))) => request = request.about(kind.clone(), *id),
        Some((kind, None)) => request = request.about_kind(kind.clone()),
        None => {}
    }
    if let Some(status) = &args.status {
        request = request.status(TaskStatus::from(status.as_str()));
    }
    if let Some(at) = args.due_before {
        request = request.due_before(at);
    }
    if let Some(at) = args.due_after {
        request = request.due_after(at);
    }
    if let Some(page) = args.page {
        request = request.page(page);
    }
    request = match (args.per_page, args.pages.all) {
        (Some(per_page), _) => request.per_page(per_page),
        // Every page in the fewest requests.
        (None, true) => request.per_page(voxys_connect::leads::max_per_page()),
        (None, false) => request,
    };
    let pages = if args.pages.all {
        request.pages()
    } else {
        futures::stream::once(request.send()).boxed()
    };
    write_pages(&client, account, pages, &args.pages, "tasks").await
}

async fn create(args: CreateArgs) -> Result<(), Failure> {
    if args.title.trim().is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "a task needs a title: give it as the first argument.",
        ));
    }
    let about = match &args.about {
        Some((kind, Some(id))) => Some((kind.clone(), *id)),
        Some((kind, None)) => {
            return Err(Failure::new(
                exit::USAGE,
                format!(
                    "--about needs the record's id too: write it KIND:ID, such as {}:42.",
                    crate::values::ABOUT_KINDS
                        .iter()
                        .find(|(_, wire)| *wire == kind.as_str())
                        .map_or("lead", |(short, _)| short)
                ),
            ));
        }
        None => None,
    };
    let (client, account, _demo) = connect(&args.connection).await?;
    let mut request = client.tasks(account).create(args.title.clone());
    if let Some(description) = &args.description {
        request = request.description(description);
    }
    if let Some(due) = args.due {
        request = request.due(due);
    }
    if let Some(priority) = &args.priority {
        request = request.priority(TaskPriority::from(priority.as_str()));
    }
    if let Some(agent) = args.agent {
        request = request.agent(agent);
    }
    let check = match &about {
        Some((kind, id)) => {
            let short = crate::values::ABOUT_KINDS
                .iter()
                .find(|(_, wire)| *wire == kind.as_str())
                .map_or(kind.as_str(), |(short, _)| short);
            format!("voxys tasks list --about {short}:{id} --status pending")
        }
        None => "voxys tasks list --status pending --all".to_owned(),
    };
    if let Some((kind, id)) = about {
        request = request.about(kind, id);
    }
    match request.send().await {
        Ok(task) => args.output.write_all(&[task]),
        Err(error) => Err(uncertain(
            error,
            account,
            &format!("task {:?} may or may not have been created", args.title),
            &format!("{check} (a task of that title made just now means it was created)"),
        )),
    }
}

async fn update(args: UpdateArgs) -> Result<(), Failure> {
    let mut changes = TaskUpdate::default();
    changes.title = args.title.clone();
    changes.description = change(args.description.clone(), args.clear_description);
    changes.due_at = change(args.due, args.clear_due);
    changes.priority = args.priority.as_deref().map(TaskPriority::from);
    changes.assigned_to_id = change(args.agent, args.clear_agent);
    if changes.is_empty() {
        return Err(nothing_to_change(
            "--title, --description, --due, --priority, --agent, or a --clear-… flag",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let path = format!("follow_up_tasks/{}", args.id);
        return print_request(&client, account, "PATCH", &path, &changes);
    }
    let task = client
        .tasks(account)
        .update(args.id)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[task])
}
