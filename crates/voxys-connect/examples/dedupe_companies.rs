//! Deduplicate companies: for each company, find its look-alikes (the same
//! domain, or the same name ignoring case and spaces) and merge them into it.
//!
//! ```sh
//! cargo run -p voxys-connect --example dedupe_companies             # on the mock
//! cargo run -p voxys-connect --example dedupe_companies -- --apply  # with VOXYS_API_TOKEN: really merge
//! ```
//! Without `VOXYS_API_TOKEN` it runs on the project's mock server, with a few
//! look-alike companies made first. With a token it only prints what it would
//! merge, unless given `--apply`: a merge deletes the merged company.
//!
//! The oldest company of each group survives. A merge whose answer was lost
//! is settled by reading both companies, so a merge is never reported done
//! when it was not, nor sent twice.

use std::collections::BTreeSet;

use futures::TryStreamExt;
use voxys_connect::types::CompanySortField;
use voxys_connect::{Client, Error};
use voxys_connect_mock::MockServer;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Errors are printed with `Display`: their message says what to do.
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut _mock = None;
    let apply_flag = std::env::args().any(|a| a == "--apply");
    let (client, account, apply) =
        if std::env::var_os(voxys_connect::config::ENV_API_TOKEN).is_some() {
            let client = Client::from_env()?;
            (
                client,
                voxys_connect::config::account_id_from_env()?,
                apply_flag,
            )
        } else {
            let mock = MockServer::builder().leads(0).start().await?;
            let client = Client::builder()
                .token(mock.token())
                .base_url(mock.url())
                .build()?;
            let account = mock.account_id();
            for (name, domain) in [
                ("Acme Corp", Some("acme.example")),
                ("ACME corp", None),
                ("Acme Corporation", Some("acme.example")),
                ("Globex", Some("globex.example")),
            ] {
                let mut create = client.companies(account).create(name);
                if let Some(domain) = domain {
                    create = create.domain(domain);
                }
                create.send().await?;
            }
            _mock = Some(mock);
            (client, account, true)
        };
    let companies = client.companies(account);

    // Oldest first: the survivor of each group is the company made first.
    let mut all: Vec<_> = companies
        .list()
        .sort(CompanySortField::CreatedAt)
        .stream()
        .try_collect()
        .await?;
    all.sort_by_key(|c| (c.created_at, c.id));
    let mut merged = BTreeSet::new();
    for company in &all {
        if merged.contains(&company.id) {
            continue;
        }
        let twins = match companies.duplicates(company.id).send().await {
            Ok(twins) => twins,
            // Merged into another one meanwhile.
            Err(Error::NotFound { .. }) => continue,
            Err(other) => return Err(other.into()),
        };
        for twin in twins {
            if merged.contains(&twin.id) {
                continue;
            }
            if !apply {
                println!(
                    "would merge {} {:?} into {} {:?}",
                    twin.id, twin.name, company.id, company.name
                );
                continue;
            }
            match companies.merge(twin.id, company.id).send().await {
                Ok(survivor) => {
                    merged.insert(twin.id);
                    println!(
                        "merged {} {:?} into {} {:?}",
                        twin.id, twin.name, survivor.id, survivor.name
                    );
                }
                Err(error) => eprintln!("not merged: {error}"),
            }
        }
    }
    println!("{} companies merged away", merged.len());
    Ok(())
}
