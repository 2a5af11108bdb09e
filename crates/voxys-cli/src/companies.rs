//! `voxys companies ...`: an account's companies, and their contacts.

use std::str::FromStr;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use futures::StreamExt;
use serde_json::{Map, Value};
use voxys_connect::Error;
use voxys_connect::types::{CompanySortField, CompanyUpdate};

use crate::confirm::{ConfirmArgs, confirm, print_dry_run};
use crate::connect::{ConnectionArgs, connect};
use crate::lead::{UpdateCommonArgs, change, report_deleted};
use crate::list::{PagesArgs, write_pages};
use crate::output::OutputArgs;
use crate::values::{parse_attribute, parse_attributes, with_pairs};
use crate::{Failure, describe, exit};

/// The fields companies sort by (the API's `sort` values).
pub const SORT_FIELDS: [&str; 3] = ["name", "created_at", "updated_at"];

/// Examples for the companies commands.
const COMPANIES_HELP: &str = "\
Examples:
  voxys companies list --all --sort name -o companies.csv
  voxys companies search acme
  voxys companies create \"Acme Corp\" --domain acme.com --attribute tier=gold
  voxys companies update 10 --description \"Widgets\" --clear-domain
  voxys companies duplicates 10
  voxys companies merge 12 --into 10          # 12 is deleted; its leads and contacts move to 10
  voxys companies timeline 10
  voxys companies contacts add 10 200
  voxys companies delete 12 --dry-run

delete and merge ask on the terminal, and refuse without one unless --yes is
given; --dry-run prints the request and sends nothing. Creating a company and
merging are never sent twice: when an answer is lost the SDK looks for what
the request would have done, and when it still cannot tell the command exits
with 8 and says how to check.";

/// Examples for `voxys companies contacts`.
const CONTACTS_HELP: &str = "\
Examples:
  voxys companies contacts list 10
  voxys companies contacts add 10 200       # moves contact 200 into company 10
  voxys companies contacts remove 10 200 --yes

Removing a contact takes it out of the company; the contact stays. It asks on
the terminal, and refuses without one unless --yes is given.";

/// The companies commands.
#[derive(Subcommand)]
pub enum CompaniesCommand {
    /// List the account's companies: one page (25), or every page with --all.
    #[command(after_help = COMPANIES_HELP)]
    List(ListCompaniesArgs),
    /// Print one company.
    #[command(after_help = COMPANIES_HELP)]
    Get(CompanyArgs),
    /// Create a company; prints it.
    #[command(after_help = COMPANIES_HELP)]
    Create(CreateCompanyArgs),
    /// Change a company's members; prints it.
    #[command(after_help = COMPANIES_HELP)]
    Update(UpdateCompanyArgs),
    /// Delete a company (its leads stay, in no company).
    #[command(after_help = COMPANIES_HELP)]
    Delete(DeleteCompanyArgs),
    /// Find companies whose name or domain contains the text (any case).
    #[command(after_help = COMPANIES_HELP)]
    Search(SearchArgs),
    /// What happened to a company, newest first.
    #[command(after_help = COMPANIES_HELP)]
    Timeline(CompanyArgs),
    /// Other companies that may be this one (same domain, a name alike).
    #[command(after_help = COMPANIES_HELP)]
    Duplicates(CompanyArgs),
    /// Merge a company into another: its leads and contacts move to the
    /// target, and it is deleted; prints the target.
    #[command(after_help = COMPANIES_HELP)]
    Merge(MergeArgs),
    /// A company's contacts: list, add, remove.
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
}

/// `voxys companies list`.
#[derive(Args)]
pub struct ListCompaniesArgs {
    /// Sort by this field [default: created_at].
    #[arg(long, value_parser = PossibleValuesParser::new(SORT_FIELDS))]
    pub sort: Option<String>,
    /// The page to show, from 1 (with --all: the page to start from).
    #[arg(long)]
    pub page: Option<u64>,
    #[command(flatten)]
    pub pages: PagesArgs,
}

/// The commands that name one company and print what they read.
#[derive(Args)]
pub struct CompanyArgs {
    /// The company's id.
    pub id: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies create`.
#[derive(Args)]
pub struct CreateCompanyArgs {
    /// The company's name.
    #[arg(allow_hyphen_values = true)]
    pub name: String,
    /// Its web domain (such as acme.com).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// What it does.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub description: Option<String>,
    /// A custom attribute, KEY=VALUE (VALUE is JSON when it reads as JSON,
    /// such as 25 or true, else text); repeat for more.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_attribute)]
    pub attribute: Vec<(String, Value)>,
    /// Custom attributes as one JSON object (--attribute adds to it).
    #[arg(long, value_name = "JSON", value_parser = parse_attributes)]
    pub attributes: Option<Map<String, Value>>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies update`: a flag per member, `--clear-…` to clear a
/// nullable one (sent as `null`); members not named stay as they are.
#[derive(Args)]
pub struct UpdateCompanyArgs {
    /// The company's id.
    pub id: i64,
    /// A new name (a company always has one: it cannot be cleared).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// A new web domain.
    #[arg(long, value_name = "DOMAIN", conflicts_with = "clear_domain")]
    pub domain: Option<String>,
    /// Clear the domain.
    #[arg(long)]
    pub clear_domain: bool,
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
    #[command(flatten)]
    pub common: UpdateCommonArgs,
}

/// `voxys companies delete`.
#[derive(Args)]
pub struct DeleteCompanyArgs {
    /// The company's id.
    pub id: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies search`.
#[derive(Args)]
pub struct SearchArgs {
    /// The text to look for in names and domains.
    #[arg(allow_hyphen_values = true)]
    pub query: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies merge`.
#[derive(Args)]
pub struct MergeArgs {
    /// The company merged away (deleted).
    pub source: i64,
    /// The company that stays, and gets the source's leads and contacts.
    #[arg(long, value_name = "ID")]
    pub into: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// The contacts commands.
#[derive(Subcommand)]
pub enum ContactsCommand {
    /// List a company's contacts.
    #[command(after_help = CONTACTS_HELP)]
    List(CompanyArgs),
    /// Put a contact in a company (out of the one it was in); prints the
    /// contact.
    #[command(after_help = CONTACTS_HELP)]
    Add(ContactArgs),
    /// Take a contact out of a company (the contact stays).
    #[command(after_help = CONTACTS_HELP)]
    Remove(RemoveContactArgs),
}

/// `voxys companies contacts add`.
#[derive(Args)]
pub struct ContactArgs {
    /// The company's id.
    pub company: i64,
    /// The contact's id.
    pub contact: i64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies contacts remove`.
#[derive(Args)]
pub struct RemoveContactArgs {
    /// The company's id.
    pub company: i64,
    /// The contact's id.
    pub contact: i64,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `voxys companies ...`.
pub async fn companies(command: CompaniesCommand) -> Result<(), Failure> {
    match command {
        CompaniesCommand::List(args) => list(args).await,
        CompaniesCommand::Get(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let company = client
                .companies(account)
                .get(args.id)
                .send()
                .await
                .map_err(|e| {
                    crate::describe_missing(&e, account, &format!("company {}", args.id))
                })?;
            args.output.write_all(&[company])
        }
        CompaniesCommand::Create(args) => create(args).await,
        CompaniesCommand::Update(args) => update(args).await,
        CompaniesCommand::Delete(args) => delete(args).await,
        CompaniesCommand::Search(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let found = client
                .companies(account)
                .search(args.query.clone())
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&found)
        }
        CompaniesCommand::Timeline(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let events = client
                .companies(account)
                .timeline(args.id)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&events)
        }
        CompaniesCommand::Duplicates(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let twins = client
                .companies(account)
                .duplicates(args.id)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&twins)
        }
        CompaniesCommand::Merge(args) => merge(args).await,
        CompaniesCommand::Contacts { command } => contacts(command).await,
    }
}

async fn list(args: ListCompaniesArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.pages.connection).await?;
    let mut request = client
        .companies(account)
        .list()
        .concurrency(args.pages.concurrency);
    if let Some(field) = args
        .sort
        .as_deref()
        .and_then(|s| CompanySortField::from_str(s).ok())
    {
        request = request.sort(field);
    }
    if let Some(page) = args.page {
        request = request.page(page);
    }
    let pages = if args.pages.all {
        request.pages()
    } else {
        futures::stream::once(request.send()).boxed()
    };
    write_pages(&client, account, pages, &args.pages, "companies").await
}

async fn create(args: CreateCompanyArgs) -> Result<(), Failure> {
    if args.name.trim().is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "a company needs a name: give it as the first argument.",
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    let attributes = with_pairs(args.attributes.clone().unwrap_or_default(), &args.attribute);
    let mut request = client.companies(account).create(args.name.clone());
    if let Some(domain) = &args.domain {
        request = request.domain(domain);
    }
    if let Some(description) = &args.description {
        request = request.description(description);
    }
    for (key, value) in attributes {
        request = request.attribute(key, value);
    }
    match request.send().await {
        Ok(company) => args.output.write_all(&[company]),
        Err(Error::OutcomeUnknown { why, cause, .. }) => Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "company {name:?} may or may not have been created: the answer was lost ({}), and {why}. Before creating it again, check: voxys companies search {name:?}",
                describe(&cause, account, 0).message.trim_end_matches('.'),
                name = args.name,
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}

async fn update(args: UpdateCompanyArgs) -> Result<(), Failure> {
    let mut changes = CompanyUpdate::default();
    changes.name = args.name.clone();
    changes.domain = change(args.domain.clone(), args.clear_domain);
    changes.description = change(args.description.clone(), args.clear_description);
    changes.custom_attributes = args.common.custom_attributes();
    if changes == CompanyUpdate::default() {
        return Err(Failure::new(
            exit::USAGE,
            "nothing to change: give at least one of --name, --domain, --description, --attributes, or a --clear-… flag.",
        ));
    }
    let (client, account, _demo) = connect(&args.common.connection).await?;
    if args.common.dry_run {
        let url = format!(
            "{}/api/v1/accounts/{account}/companies/{}",
            client.base_url(),
            args.id
        );
        return args.common.print_patch(&url, &changes);
    }
    let company = client
        .companies(account)
        .update(args.id)
        .changes(changes)
        .send()
        .await
        .map_err(|e| describe(&e, account, 0))?;
    args.common.output.write_all(&[company])
}

async fn delete(args: DeleteCompanyArgs) -> Result<(), Failure> {
    let (client, account, _demo) = connect(&args.connection).await?;
    let id = args.id;
    if args.confirm.dry_run {
        let url = format!(
            "{}/api/v1/accounts/{account}/companies/{id}",
            client.base_url()
        );
        return print_dry_run("DELETE", &url, None);
    }
    confirm(
        args.confirm.yes,
        &format!("delete company {id} of account {account}"),
        &format!(
            "Delete company {id} of account {account}? Its leads stay, in no company. This cannot be undone."
        ),
    )?;
    let deleted = client.companies(account).delete(id).send().await;
    report_deleted(deleted, &format!("company {id}"), "deleted", account)
}

async fn merge(args: MergeArgs) -> Result<(), Failure> {
    let (source, target) = (args.source, args.into);
    if source == target {
        return Err(Failure::new(
            exit::USAGE,
            format!("cannot merge company {source} into itself: give another company with --into."),
        ));
    }
    let (client, account, _demo) = connect(&args.connection).await?;
    if args.confirm.dry_run {
        let url = format!(
            "{}/api/v1/accounts/{account}/companies/{source}/merge",
            client.base_url()
        );
        let body = serde_json::json!({ "target_company_id": target }).to_string();
        return print_dry_run("POST", &url, Some(&body));
    }
    confirm(
        args.confirm.yes,
        &format!("merge company {source} into company {target} of account {account}"),
        &format!(
            "Merge company {source} into company {target} of account {account}? Its leads and contacts move to {target}, and company {source} is deleted. This cannot be undone."
        ),
    )?;
    match client.companies(account).merge(source, target).send().await {
        Ok(company) => args.output.write_all(&[company]),
        Err(Error::OutcomeUnknown { why, cause, .. }) => Err(Failure::new(
            exit::UNCERTAIN,
            format!(
                "company {source} may or may not have been merged into company {target}: the answer was lost ({}), and {why}. Before merging again, check: voxys companies get {source} (not found means it was merged).",
                describe(&cause, account, 0).message.trim_end_matches('.'),
            ),
        )),
        Err(Error::NotFound { message, .. }) => Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "company {source} or company {target} was not found in account {account} (404: {message}); nothing was merged. Check both ids (voxys companies get ID) and --account."
            ),
        )),
        Err(error) => Err(describe(&error, account, 0)),
    }
}

async fn contacts(command: ContactsCommand) -> Result<(), Failure> {
    match command {
        ContactsCommand::List(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let contacts = client
                .companies(account)
                .contacts(args.id)
                .list()
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&contacts)
        }
        ContactsCommand::Add(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let contact = client
                .companies(account)
                .contacts(args.company)
                .add(args.contact)
                .send()
                .await
                .map_err(|e| describe(&e, account, 0))?;
            args.output.write_all(&[contact])
        }
        ContactsCommand::Remove(args) => {
            let (client, account, _demo) = connect(&args.connection).await?;
            let (company, contact) = (args.company, args.contact);
            if args.confirm.dry_run {
                let url = format!(
                    "{}/api/v1/accounts/{account}/companies/{company}/contacts/{contact}",
                    client.base_url()
                );
                return print_dry_run("DELETE", &url, None);
            }
            confirm(
                args.confirm.yes,
                &format!("remove contact {contact} from company {company} of account {account}"),
                &format!(
                    "Remove contact {contact} from company {company} of account {account}? The contact stays, in no company."
                ),
            )?;
            let removed = client
                .companies(account)
                .contacts(company)
                .remove(contact)
                .send()
                .await;
            report_deleted(
                removed,
                &format!("contact {contact} of company {company}"),
                "removed",
                account,
            )
        }
    }
}
