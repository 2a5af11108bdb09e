//! Lists every lead of `VOXYS_ACCOUNT_ID` with a client configured from the
//! environment, and prints how many there were.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let listed = async {
        let client = voxys_connect::Client::from_env()?;
        let account = voxys_connect::config::account_id_from_env()?;
        client
            .leads(account)
            .list()
            .per_page(100)
            .concurrency(2)
            .collect_all()
            .await
    };
    match listed.await {
        Ok(leads) => {
            println!("leads: {}", leads.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
