//! HTTPS, as users meet it: the SDK reaches an instance behind TLS with the
//! default configuration and a trusted certificate authority, refuses
//! certificates it must not trust (at once, without retrying), goes through
//! the proxies the environment names, and decodes gzip within its body limit.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use voxys_connect::{Client, Error, RetryPolicy};
use voxys_connect_mock::{Fault, FaultRule, MockServer};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

/// A client for `server` that trusts its certificate authority, and is
/// otherwise configured as a user would by default.
fn trusting(server: &MockServer) -> voxys_connect::ClientBuilder {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .add_root_certificates_pem(server.ca_pem().expect("an HTTPS mock"))
}

#[tokio::test]
async fn one_page_over_https_with_the_default_configuration() {
    let server = MockServer::builder().tls().start().await.unwrap();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let client = trusting(&server).build().unwrap();
    let page = client
        .leads(server.account_id())
        .list()
        .send()
        .await
        .unwrap();
    assert_same_leads(page.items(), &held(&server)[..25]);
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn every_lead_streams_over_https_with_concurrency() {
    let server = MockServer::builder()
        .leads(1_000)
        .tls()
        .start()
        .await
        .unwrap();
    let client = trusting(&server).build().unwrap();
    let leads = client
        .leads(server.account_id())
        .list()
        .per_page(100)
        .concurrency(4)
        .collect_all()
        .await
        .unwrap();
    assert_same_leads(&leads, &held(&server));
    assert!(
        server.connection_count() <= 4,
        "connections are kept and reused: {}",
        server.connection_count()
    );
}

#[tokio::test]
async fn faults_over_https_are_retried_through() {
    for fault in [
        Fault::RateLimited { retry_after: None },
        Fault::ServerError { status: 503 },
        Fault::CutBody,
    ] {
        let server = MockServer::builder()
            .leads(500)
            .tls()
            .fault(FaultRule::new(fault.clone()).on_page(2).times(2))
            .start()
            .await
            .unwrap();
        let client = trusting(&server)
            .retry_policy(quick_retries(3))
            .build()
            .unwrap();
        let leads = client
            .leads(server.account_id())
            .list()
            .per_page(100)
            .concurrency(2)
            .collect_all()
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        assert_same_leads(&leads, &held(&server));
        assert_eq!(server.request_count(), 7, "{fault:?}: 5 pages, 2 retries");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_at_once_and_says_what_to_do() {
    let server = MockServer::builder().tls().start().await.unwrap();
    // Trusts the platform's certificate store only: the mock's CA is not in it.
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client
        .leads(server.account_id())
        .list()
        .send()
        .await
        .unwrap_err();
    let Error::Tls { reason, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(reason.contains("does not trust"), "{reason}");
    let shown = error.to_string();
    assert!(shown.contains("VOXYS_CA_CERT"), "says what to do: {shown}");
    assert!(!error.is_retryable());
    assert_eq!(server.connection_count(), 1, "not retried");
    assert_eq!(
        server.request_count(),
        0,
        "no request, so no token, was sent"
    );
    // The default policy would retry for up to two minutes.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_scheme_the_server_does_not_speak_is_said_at_once_for_each_way() {
    // https:// to a plain-http port: the handshake meets "HTTP/1.1 400".
    let plain = MockServer::start().await;
    let client = Client::builder()
        .token(plain.token())
        .base_url(plain.url().replacen("http://", "https://", 1))
        .build()
        .unwrap();
    let error = client.leads(1).list().send().await.unwrap_err();
    let Error::WrongScheme { server_speaks, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*server_speaks, "http");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("starts with http://"), "{error}");

    // http:// to a TLS port: the answer to the request is a TLS alert, not
    // HTTP. Not retried as a network error would be (five attempts), and
    // not a write of unknown outcome: the server read no request.
    let tls = MockServer::builder().tls().start().await.unwrap();
    let client = Client::builder()
        .token(tls.token())
        .base_url(tls.url().replacen("https://", "http://", 1))
        .build()
        .unwrap();
    let error = client
        .leads(1)
        .set_status(1, voxys_connect::types::LeadStatus::Won)
        .send()
        .await
        .unwrap_err();
    let Error::WrongScheme { server_speaks, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*server_speaks, "https");
    assert!(
        error.to_string().contains("starts with https://"),
        "{error}"
    );
    // One connection: no second attempt.
    assert_eq!(tls.connection_count(), 1);
    assert_eq!(tls.request_count(), 0);
    assert_eq!(error.operation(), Some("update_lead_status"));
}

#[tokio::test]
async fn a_create_answered_in_something_not_http_is_reported_unknown_not_refused() {
    // A TLS server read no request; a broken server could have answered
    // so after making the lead. The SDK cannot tell, and says so, with the
    // scheme as the cause; it never sends the create twice.
    let tls = MockServer::builder().tls().start().await.unwrap();
    let client = Client::builder()
        .token(tls.token())
        .base_url(tls.url().replacen("https://", "http://", 1))
        .build()
        .unwrap();
    let error = client
        .leads(1)
        .create()
        .name("Acme renewal")
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { cause, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(matches!(**cause, Error::WrongScheme { .. }), "{cause:?}");
    assert_eq!(tls.connection_count(), 1, "sent once");
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let server = MockServer::builder()
        .tls_for(["crm.other.example"])
        .start()
        .await
        .unwrap();
    let client = trusting(&server).build().unwrap();
    let error = client
        .leads(server.account_id())
        .list()
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::Tls { reason, .. } => {
            assert!(reason.contains("not valid for the host name"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.connection_count(), 1, "not retried");
    assert_eq!(server.request_count(), 0);
}

#[tokio::test]
async fn certificate_authorities_that_cannot_be_used_are_configuration_errors() {
    let not_pem = Client::builder()
        .token(TOKEN)
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(
        matches!(&not_pem, Error::Config(e) if e.setting == voxys_connect::error::Setting::RootCertificates
            && e.message.contains("holds no certificate")),
        "{not_pem}"
    );
    let missing = Client::builder()
        .token(TOKEN)
        .add_root_certificates_from_file("/nonexistent/ca.pem")
        .build()
        .unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("cannot read the CA certificate file /nonexistent/ca.pem"),
        "{missing}"
    );
    // With adjusted HTTP settings, the CA still applies.
    let server = MockServer::builder().tls().start().await.unwrap();
    let ca = file_with(server.ca_pem().unwrap());
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .add_root_certificates_from_file(ca.path())
        .configure_http(|http| http.pool_max_idle_per_host(1))
        .build()
        .unwrap();
    client
        .leads(server.account_id())
        .list()
        .send()
        .await
        .unwrap();
}

/// A temporary file holding `text`.
fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[tokio::test]
async fn https_proxy_is_used_and_no_proxy_bypasses_it() {
    if in_child() {
        let client = Client::from_env().unwrap();
        let account = voxys_connect::config::account_id_from_env().unwrap();
        let page = client.leads(account).list().send().await.unwrap();
        println!("CHILD-OK {}", page.len());
        return;
    }
    let server = MockServer::builder().tls().start().await.unwrap();
    let ca = file_with(server.ca_pem().unwrap());
    let proxy = Proxy::start().await;
    let account = server.account_id().to_string();
    let run = |extra: Option<(&str, &str)>| {
        let mut env: Vec<(String, String)> = [
            ("VOXYS_API_TOKEN", server.token()),
            ("VOXYS_BASE_URL", server.url()),
            ("VOXYS_ACCOUNT_ID", &account),
            ("VOXYS_CA_CERT", &ca.path().display().to_string()),
            ("HTTPS_PROXY", &proxy.url),
        ]
        .iter()
        .chain(extra.as_ref())
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        env.sort();
        async move {
            let output = run_child_async("https_proxy_is_used_and_no_proxy_bypasses_it", env).await;
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                stdout.contains("CHILD-OK 25"),
                "{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    };
    let target = server.url().trim_start_matches("https://").to_owned();

    run(None).await;
    assert_eq!(
        proxy.seen(),
        [format!("CONNECT {target} HTTP/1.1")],
        "tunnelled through HTTPS_PROXY"
    );
    run(Some(("NO_PROXY", "127.0.0.1"))).await;
    assert_eq!(proxy.seen().len(), 1, "NO_PROXY bypasses the proxy");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn http_proxy_is_used_for_plain_http() {
    if in_child() {
        let client = Client::from_env().unwrap();
        let page = client.leads(ACCOUNT).list().send().await.unwrap();
        let ids: Vec<i64> = page.items().iter().map(|l| l.id).collect();
        println!("CHILD-OK {ids:?}");
        return;
    }
    let proxy = Proxy::start().await;
    // Nothing listens here: only the proxy can answer.
    let env = [
        ("VOXYS_API_TOKEN", TOKEN),
        ("VOXYS_BASE_URL", "http://127.0.0.1:9"),
        ("HTTP_PROXY", &proxy.url),
    ];
    let output = run_child_async(
        "http_proxy_is_used_for_plain_http",
        env.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("CHILD-OK [1]"), "{stdout}");
    assert_eq!(
        proxy.seen(),
        ["GET http://127.0.0.1:9/api/v1/accounts/17/leads?page=1 HTTP/1.1"]
    );
}

/// `body`, gzip-compressed.
fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn gzip_answers_decode_and_the_body_limit_counts_decoded_bytes() {
    let body = list_body(1..=100, 1, 1, 100).to_string();
    let compressed = gzip(body.as_bytes());
    assert!(compressed.len() * 4 < body.len());
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(compressed.clone(), "application/json"),
        )
        .mount(&server)
        .await;

    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 100);
    let request = &server.received_requests().await.unwrap()[0];
    let accepted = request.headers["accept-encoding"].to_str().unwrap();
    assert!(accepted.contains("gzip"), "{accepted}");

    // Room for the compressed body, not for what it decodes to.
    let limited = Client::builder()
        .token(TOKEN)
        .base_url(server.uri())
        .max_response_bytes(compressed.len() * 2)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = limited.leads(ACCOUNT).list().send().await.unwrap_err();
    assert!(matches!(error, Error::BodyTooLarge { .. }), "{error:?}");
}

/// Builds `tests/as-a-dependency` (a program depending on voxys-connect with
/// its default features, outside this workspace, so that no other crate's
/// features are unified into it) with the workspace's Cargo.lock, and returns
/// the path of its binary.
fn build_program_with_default_features() -> std::path::PathBuf {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = crate_dir.parent().unwrap().parent().unwrap();
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir(copy.path().join("src")).unwrap();
    let manifest = std::fs::read_to_string(crate_dir.join("tests/as-a-dependency/Cargo.toml"))
        .unwrap()
        .replace(
            r#"path = "../..""#,
            &format!("path = {:?}", crate_dir.display().to_string()),
        );
    std::fs::write(copy.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(
        crate_dir.join("tests/as-a-dependency/src/main.rs"),
        copy.path().join("src/main.rs"),
    )
    .unwrap();
    // The same versions as the workspace: nothing to download.
    std::fs::copy(workspace.join("Cargo.lock"), copy.path().join("Cargo.lock")).unwrap();
    // A target folder of its own (the workspace's is locked while tests run),
    // kept beside it so that later runs reuse the build.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().unwrap();
            exe.ancestors().nth(3).unwrap().to_path_buf()
        })
        .join("as-a-dependency");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--offline", "--manifest-path"])
        .arg(copy.path().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the program depending on voxys-connect builds"
    );
    target.join("debug/as-a-dependency")
}

#[tokio::test]
async fn a_program_built_with_the_default_features_reaches_https() {
    let program = tokio::task::spawn_blocking(build_program_with_default_features)
        .await
        .unwrap();
    let server = MockServer::builder()
        .leads(230)
        .tls()
        .start()
        .await
        .unwrap();
    let ca = file_with(server.ca_pem().unwrap());
    let run = |trust: Option<(&'static str, std::path::PathBuf)>| {
        let mut command = std::process::Command::new(&program);
        for name in CHILD_ENV_CLEARED {
            command.env_remove(name);
        }
        command
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env("VOXYS_API_TOKEN", server.token())
            .env("VOXYS_BASE_URL", server.url())
            .env("VOXYS_ACCOUNT_ID", server.account_id().to_string());
        if let Some((name, path)) = trust {
            command.env(name, path);
        }
        async move {
            let output = tokio::task::spawn_blocking(move || command.output().unwrap())
                .await
                .unwrap();
            (
                output.status.success(),
                String::from_utf8_lossy(&output.stdout).into_owned()
                    + &String::from_utf8_lossy(&output.stderr),
            )
        }
    };
    let path = ca.path().to_path_buf();
    // The CA named by the SDK's own variable.
    let (ok, said) = run(Some(("VOXYS_CA_CERT", path.clone()))).await;
    assert!(ok && said.contains("leads: 230"), "{said}");
    // The CA in the platform's store: SSL_CERT_FILE names the store's file.
    let (ok, said) = run(Some(("SSL_CERT_FILE", path))).await;
    assert!(ok && said.contains("leads: 230"), "{said}");
    // Neither: the certificate is not trusted, and the error says so.
    let (ok, said) = run(None).await;
    assert!(
        !ok && said.contains("TLS failed") && said.contains("does not trust"),
        "{said}"
    );
}
