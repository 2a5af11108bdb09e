//! `voxys-record`: records list requests against a live instance as
//! contract-test recordings (`cargo xtask record` runs it).
//!
//! It lives here, beside the contract tests, and not in xtask: it is built on
//! the generated client, and xtask must build even when the generated code
//! does not compile, to generate it again.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use voxys_connect_contract::record::{RecordOptions, record};

/// Record list requests against a live instance as contract-test recordings.
/// The token is read from VOXYS_API_TOKEN and written nowhere; names, emails,
/// notes and domains are replaced by fake values made with a keyed hash.
#[derive(Parser)]
#[command(name = "cargo xtask record")]
struct Cli {
    /// The instance's base URL, such as `https://connect.voxys.ai`.
    #[arg(long)]
    base_url: String,
    /// The account whose leads to list.
    #[arg(long)]
    account: i64,
    /// The folder to write recorded_*.json into.
    #[arg(long, default_value_os_t = voxys_connect_contract::recordings_dir())]
    out: PathBuf,
    /// Keep personal data as received.
    #[arg(long)]
    keep_personal_data: bool,
    /// The key (64 hex digits) of the keyed hash that makes the fake values,
    /// to get the same fakes from the same data again; read from
    /// VOXYS_RECORD_KEY when not given, random when neither is.
    #[arg(long, value_name = "HEX")]
    anonymize_key: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let token = std::env::var("VOXYS_API_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or("VOXYS_API_TOKEN is not set: set it to an API access token of the instance")?;
    let anonymize_key = cli
        .anonymize_key
        .or_else(|| std::env::var("VOXYS_RECORD_KEY").ok())
        .map(|hex| parse_key(&hex))
        .transpose()?;
    let options = RecordOptions {
        base_url: cli.base_url,
        account_id: cli.account,
        token: token.trim().to_owned(),
        out: cli.out,
        keep_personal_data: cli.keep_personal_data,
        anonymize_key,
    };
    let written = record(&options).await?;
    for path in &written {
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "{} recordings; review any `deviation` they state, then run `cargo test -p voxys-connect-contract`",
        written.len()
    );
    Ok(())
}

/// A 32-byte key from 64 hex digits.
fn parse_key(hex: &str) -> Result<[u8; 32], String> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the anonymizing key must be 64 hex digits (32 bytes)".to_owned());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(key)
}
