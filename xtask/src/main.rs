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
    /// recordings: runs `voxys-record` of the contract-test crate (`cargo
    /// xtask record --help` shows its options). It is not built into xtask:
    /// it uses the generated client, and xtask must build when that does not.
    #[command(disable_help_flag = true)]
    Record {
        /// What `voxys-record` takes.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
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
        Command::Record { args } => {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = std::process::Command::new(cargo)
                .args([
                    "run",
                    "--quiet",
                    "--package",
                    "voxys-connect-contract",
                    "--bin",
                    "voxys-record",
                    "--",
                ])
                .args(args)
                .status()
                .context("running voxys-record")?;
            Ok(if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
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
