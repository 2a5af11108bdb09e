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

/// Starts `voxys-mock` with `args`; returns it, its base URL and what it
/// printed up to its "Ctrl-C" line.
fn start(args: &[&str]) -> (Running, String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_voxys-mock"))
        .args(args)
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
    (running, url, printed)
}

#[tokio::test]
async fn the_binary_serves_with_its_flags() {
    let (_running, url, printed) = start(&[
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
        "--throttle",
        "3/1m",
    ]);
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
    assert!(printed.contains("throttle: 3/1m"), "{printed}");
    assert_eq!(
        get().await.unwrap().status(),
        200,
        "the third of the minute"
    );
    let refused = get().await.unwrap();
    assert_eq!(
        refused.status(),
        429,
        "--throttle 3/1m: the fourth is refused"
    );
    assert_eq!(refused.text().await.unwrap(), "Retry later");
}

#[tokio::test]
async fn with_tls_it_serves_https_and_prints_and_writes_its_ca() {
    let (_running, url, printed) = start(&["--port", "0", "--token", "t", "--tls"]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let begin = printed
        .find("-----BEGIN CERTIFICATE-----")
        .unwrap_or_else(|| panic!("the CA is printed:\n{printed}"));
    let end = printed.find("-----END CERTIFICATE-----").unwrap() + 25;
    let printed_ca = &printed[begin..end];

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    let (_other, other_url, said) = start(&[
        "--port",
        "0",
        "--token",
        "t",
        "--tls",
        "--write-ca",
        file.to_str().unwrap(),
    ]);
    assert!(
        said.contains(&format!("--cacert {}", file.display())),
        "{said}"
    );
    let written = std::fs::read_to_string(&file).unwrap();

    for (url, ca) in [(&url, printed_ca), (&other_url, written.as_str())] {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .build()
            .unwrap();
        let answer = client
            .get(format!("{url}/api/v1/accounts/1/leads?per_page=3"))
            .header("api_access_token", "t")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["data"].as_array().unwrap().len(), 3);
    }
    // Each server has a CA of its own.
    assert_ne!(printed_ca, written.trim_end());
}

#[tokio::test]
async fn created_status_makes_conversions_answer_200() {
    let (_running, url, _) = start(&[
        "--port",
        "0",
        "--token",
        "t",
        "--accounts",
        "1",
        "--created-status",
        "200",
    ]);
    let answer = reqwest::Client::new()
        .post(format!("{url}/api/v1/accounts/1/leads/1/convert"))
        .header("api_access_token", "t")
        .json(&serde_json::json!({"funnel_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let card: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(card["lead"]["id"], 1);
}
