//! `voxys-mock`: serves the Voxys Connect CRM API locally, in the foreground.

use clap::Parser;
use voxys_connect_mock::cli::ServeArgs;

/// Serve a local Voxys Connect CRM API over generated data.
#[derive(Parser)]
#[command(name = "voxys-mock", version)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    Cli::parse()
        .serve
        .serve_until_interrupted("cargo run -p voxys-cli --")
        .await
}
