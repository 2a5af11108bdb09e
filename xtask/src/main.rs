//! `cargo xtask`: the project's automation commands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use voxys_connect_spec::Spec;
use xtask::Freshness;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "voxys-connect project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the OpenAPI document and generate the client from it.
    Generate {
        /// Do not write: fail with a diff when the committed file is stale.
        #[arg(long)]
        check: bool,
        /// The OpenAPI document to read.
        #[arg(long, default_value_os_t = xtask::spec_path())]
        spec: PathBuf,
        /// The Rust file to write (or compare with, under --check).
        #[arg(long, default_value_os_t = xtask::generated_path())]
        output: PathBuf,
    },
    /// Record list requests against a live instance as contract-test
    /// recordings. The token is read from VOXYS_API_TOKEN and written nowhere;
    /// names, emails, notes and domains are replaced by stable fake values.
    Record {
        /// The instance's base URL, such as https://connect.voxys.ai.
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
        /// The key (64 hex digits) of the keyed hash that makes the fake
        /// values, to get the same fakes from the same data again; read from
        /// VOXYS_RECORD_KEY when not given, random when neither is.
        #[arg(long, value_name = "HEX")]
        anonymize_key: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Record {
            base_url,
            account,
            out,
            keep_personal_data,
            anonymize_key,
        } => {
            let anonymize_key = anonymize_key
                .or_else(|| std::env::var("VOXYS_RECORD_KEY").ok())
                .map(|hex| parse_key(&hex))
                .transpose()?;
            let token = std::env::var("VOXYS_API_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty())
                .context(
                    "VOXYS_API_TOKEN is not set: set it to an API access token of the instance",
                )?;
            let options = voxys_connect_contract::record::RecordOptions {
                base_url,
                account_id: account,
                token: token.trim().to_owned(),
                out,
                keep_personal_data,
                anonymize_key,
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let written = runtime
                .block_on(voxys_connect_contract::record::record(&options))
                .map_err(anyhow::Error::msg)?;
            for path in &written {
                eprintln!("wrote {}", path.display());
            }
            eprintln!(
                "{} recordings; review any `deviation` they state, then run `cargo test -p voxys-connect-contract`",
                written.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            check,
            spec,
            output,
        } => {
            let document = Spec::load(&spec)?;
            let fresh = xtask::generate(&document)
                .with_context(|| format!("generating from {}", spec.display()))?;
            if check {
                let committed = std::fs::read_to_string(&output).unwrap_or_default();
                match xtask::compare(&committed, &fresh, &output.display().to_string()) {
                    Freshness::UpToDate => {
                        eprintln!("{} is up to date", output.display());
                        Ok(ExitCode::SUCCESS)
                    }
                    Freshness::Stale(diff) => {
                        println!("{diff}");
                        eprintln!(
                            "error: {} is stale: run `cargo xtask generate` and commit the result",
                            output.display()
                        );
                        Ok(ExitCode::FAILURE)
                    }
                }
            } else {
                std::fs::write(&output, &fresh)
                    .with_context(|| format!("writing {}", output.display()))?;
                eprintln!("wrote {}", output.display());
                Ok(ExitCode::SUCCESS)
            }
        }
    }
}

/// A 32-byte key from 64 hex digits.
fn parse_key(hex: &str) -> anyhow::Result<[u8; 32]> {
    let hex = hex.trim();
    anyhow::ensure!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "the anonymizing key must be 64 hex digits (32 bytes)"
    );
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)?;
    }
    Ok(key)
}
