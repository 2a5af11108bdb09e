//! What every test of `voxys` uses: running it against a mock server, and
//! reading its output.

#![allow(dead_code)]

use std::process::Output;
use std::time::Duration;

use serde_json::Value;
use voxys_connect_mock::MockServer;

/// The environment that points `voxys` at `server`.
pub fn server_env(server: &MockServer) -> [(&'static str, String); 3] {
    [
        ("VOXYS_BASE_URL", server.url().to_owned()),
        ("VOXYS_API_TOKEN", server.token().to_owned()),
        ("VOXYS_ACCOUNT_ID", server.account_id().to_string()),
    ]
}

/// Runs `voxys` with `args`, configured for `server` through the environment.
pub async fn voxys(server: &MockServer, args: &[&str]) -> Output {
    voxys_stdin(server, args, None).await
}

/// Runs `voxys` with `args` against `server`, with `stdin` as its standard
/// input (none: standard input is closed, as it is for a program run with
/// nothing piped in and no terminal).
pub async fn voxys_stdin(server: &MockServer, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let env = server_env(server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(args, &env, stdin).await
}

/// Runs `voxys` with `args` and exactly the `VOXYS_*` variables in `env`.
pub async fn voxys_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    run(args, env, None).await
}

/// Runs `voxys` with `args`, exactly the `VOXYS_*` variables in `env`, and
/// `stdin` as its standard input.
pub async fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut command = assert_cmd::Command::cargo_bin("voxys").unwrap();
    command
        .args(args)
        .env_remove("VOXYS_BASE_URL")
        .env_remove("VOXYS_API_TOKEN")
        .env_remove("VOXYS_ACCOUNT_ID")
        .env_remove("VOXYS_CA_CERT")
        .timeout(Duration::from_secs(60));
    for (k, v) in env {
        command.env(k, v);
    }
    if let Some(input) = stdin {
        command.write_stdin(input.to_vec());
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        stderr(output)
    );
}

/// The first account's leads as the server holds them, in the API's default
/// order (newest first, ties by id): the JSON the server sends, read by
/// serde_json alone, so that comparing with the CLI's output shares no code
/// with the SDK's types.
pub fn held(server: &MockServer) -> Vec<Value> {
    server
        .account(server.account_id())
        .unwrap()
        .leads_in_default_order()
}

/// The lines of NDJSON output, each as JSON.
pub fn ndjson(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
