//! The `voxys-mock` binary: flags reach the server it starts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_with_its_flags() {
    let child = Command::new(env!("CARGO_BIN_EXE_voxys-mock"))
        .args([
            "--port",
            "0",
            "--token",
            "flag-token",
            "--leads",
            "7",
            "--accounts",
            "1",
            "--fault",
            "503:1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let mut url = None;
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.trim().strip_prefix("url:") {
            url = Some(rest.trim().to_owned());
        }
        if line.starts_with("Ctrl-C") {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no url in:\n{printed}"));
    assert!(printed.contains("token:    flag-token"), "{printed}");
    assert!(
        printed.contains("accounts: 1 (7 leads each, seed 42)"),
        "{printed}"
    );

    let client = reqwest::Client::new();
    let get = || {
        client
            .get(format!("{url}/api/v1/accounts/1/leads"))
            .header("api_access_token", "flag-token")
            .send()
    };
    assert_eq!(
        get().await.unwrap().status(),
        503,
        "the --fault rule applies first"
    );
    let body: serde_json::Value = get().await.unwrap().json().await.unwrap();
    assert_eq!(body["meta"]["total_count"], 7);
}
