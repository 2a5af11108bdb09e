//! What every test of `voxys` uses: running it against a mock server, and
//! reading its output.

#![allow(dead_code)]

use std::process::{Child, Output};
use std::time::Duration;

use serde_json::Value;
use voxys_connect_mock::{MockLead, MockServer};

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

/// A server with `leads` leads that answers each request after `latency`,
/// so that a command is still running when it is stopped.
pub async fn slow_server(leads: u64, latency: Duration) -> MockServer {
    MockServer::builder()
        .leads(leads)
        .latency(latency)
        .start()
        .await
        .unwrap()
}

/// `voxys` as a process to start (and stop mid-way), configured for
/// `server` through the environment.
pub fn voxys_command(server: &MockServer) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("voxys"));
    command.env_remove("VOXYS_CA_CERT");
    for (k, v) in server_env(server) {
        command.env(k, v);
    }
    command
}

/// Sends Ctrl-C (SIGINT) to `child` and waits for it to end.
pub async fn interrupt(child: Child) -> Output {
    stop_with(child, "INT").await
}

/// Sends the signal `name` (`INT`, `TERM`, `HUP`) to the process `pid`.
pub fn send_signal(pid: u32, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {pid}");
}

/// Sends the signal `name` to `child` and waits for it to end.
pub async fn stop_with(child: Child, name: &str) -> Output {
    send_signal(child.id(), name);
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

/// Waits (at most two minutes) until `condition` holds.
pub async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A lead of the first account as the server holds it now.
pub fn lead(server: &MockServer, id: i64) -> Option<MockLead> {
    server
        .account(server.account_id())
        .unwrap()
        .lead(id)
        .cloned()
}

/// The line a dry run prints for a request without a body: `METHOD URL`,
/// the URL `path` of `server`'s account.
pub fn dry_run_line(server: &MockServer, method: &str, path: &str) -> String {
    format!(
        "{method} {}/api/v1/accounts/{}/{path}",
        server.url(),
        server.account_id()
    )
}

/// The JSON body of a dry run's line, which must be `METHOD URL BODY` with
/// the URL `path` of `server`'s account.
pub fn dry_run_body(server: &MockServer, line: &str, method: &str, path: &str) -> Value {
    let body = line
        .strip_prefix(&format!("{} ", dry_run_line(server, method, path)))
        .unwrap_or_else(|| panic!("{line}"));
    serde_json::from_str(body).unwrap()
}
