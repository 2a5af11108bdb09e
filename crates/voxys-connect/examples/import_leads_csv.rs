//! Import leads from a CSV file, each exactly once.
//!
//! ```sh
//! cargo run -p voxys-connect --example import_leads_csv            # a sample file, on the mock
//! cargo run -p voxys-connect --example import_leads_csv -- leads.csv
//! ```
//! The file has a header row; the columns it knows are `custom_name`,
//! `lead_value`, `lead_currency` and `company_id` (others are kept as custom
//! attributes). Without `VOXYS_API_TOKEN` it runs on the project's mock
//! server, started in-process; with it (and `VOXYS_ACCOUNT_ID`), on the real
//! service.
//!
//! Each create is sent once: when an answer is lost, the SDK looks for the
//! lead it made before doing anything else, and a lead it cannot account for
//! is reported, not created twice. (The `voxys leads create --from FILE`
//! command adds a journal, so that a rerun after a crash creates only what
//! is missing.)

use voxys_connect::{Client, Error};
use voxys_connect_mock::MockServer;

const SAMPLE: &str = "\
custom_name,lead_value,lead_currency,source
Acme renewal,15000.50,USD,trade show
Globex pilot,4200,EUR,website
Initech upsell,,,referral
";

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
    let (client, account) = if std::env::var_os(voxys_connect::config::ENV_API_TOKEN).is_some() {
        (
            Client::from_env()?,
            voxys_connect::config::account_id_from_env()?,
        )
    } else {
        let mock = MockServer::builder().leads(0).start().await?;
        let client = Client::builder()
            .token(mock.token())
            .base_url(mock.url())
            .build()?;
        let account = mock.account_id();
        _mock = Some(mock);
        (client, account)
    };
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path)?,
        None => SAMPLE.to_owned(),
    };

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers()?.clone();
    let (mut made, mut failed) = (0, 0);
    for (number, row) in reader.records().enumerate() {
        let row = row?;
        let line = number + 2; // the header is line 1
        let mut create = client.leads(account).create();
        for (column, value) in headers.iter().zip(row.iter()) {
            if value.is_empty() {
                continue;
            }
            create = match column {
                "custom_name" => create.name(value),
                "lead_value" => create.value(value.parse()?),
                "lead_currency" => create.currency(value),
                "company_id" => create.company(value.parse()?),
                other => create.attribute(other, value),
            };
        }
        match create.send().await {
            Ok(lead) => {
                made += 1;
                println!("line {line}: lead {}", lead.id);
            }
            Err(error @ Error::OutcomeUnknown { .. }) => {
                // Do not send it again blindly: the error says where to look.
                failed += 1;
                eprintln!("line {line}: {error}");
            }
            Err(error) => {
                failed += 1;
                eprintln!("line {line}: not created: {error}");
            }
        }
    }
    println!("{made} leads created, {failed} lines failed");
    Ok(())
}
