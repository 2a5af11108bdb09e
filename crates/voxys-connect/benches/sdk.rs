//! The SDK's speed against the best baseline in the same run.
//!
//! `cargo bench -p voxys-connect --bench sdk`; the ratios are printed at the
//! end and recorded in BENCHMARKS.md.
//!
//! 1. decode: a 100-lead page body into the SDK's types, against a minimal
//!    hand-written serde struct of the same fields;
//! 2. request: one list call through the SDK against the mock server on
//!    127.0.0.1, against the same request with bare reqwest + serde_json,
//!    and against the SDK with its adaptive rate limiter turned off (what the
//!    limiter costs a client that never meets a 429);
//! 3. export: 10,000 leads in 100 pages from the mock with 20 ms latency per
//!    answer, sequential against `.concurrency(8)`.

use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use serde::Deserialize;
use serde_json::{Map, Value};
use voxys_connect::Client;
use voxys_connect::api::types::LeadList;
use voxys_connect_mock::MockServer;

/// The ceiling: the same members, in the plainest types serde offers.
#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainList {
    data: Vec<PlainLead>,
    meta: PlainMeta,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainMeta {
    current_page: u64,
    total_pages: u64,
    total_count: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainLead {
    id: i64,
    custom_name: Option<String>,
    status: String,
    lead_value: Option<f64>,
    lead_currency: Option<String>,
    position: Option<i64>,
    notes: Option<String>,
    assigned_agent: Option<PlainAgent>,
    company: Option<PlainCompany>,
    conversation_id: Option<i64>,
    custom_attributes: Map<String, Value>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainAgent {
    id: i64,
    name: String,
    email: Option<String>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PlainCompany {
    id: i64,
    name: String,
    domain: Option<String>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn client_for(server: &MockServer) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .build()
        .unwrap()
}

/// A 100-lead page as the mock server answers it; the server is gone when
/// this returns, so that the decode benchmarks run alone.
fn page_body() -> Vec<u8> {
    let rt = runtime();
    rt.block_on(async {
        let server = MockServer::builder().leads(1_000).start().await.unwrap();
        let url = format!("{}/api/v1/accounts/1/leads?per_page=100", server.url());
        let response = reqwest::Client::new()
            .get(&url)
            .header("api_access_token", server.token())
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap().to_vec()
    })
}

fn decode(c: &mut Criterion) {
    let body = page_body();
    assert_eq!(
        serde_json::from_slice::<LeadList>(&body)
            .unwrap()
            .data
            .len(),
        100
    );
    let mut group = c.benchmark_group("decode");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("baseline: plain serde struct", |b| {
        b.iter(|| serde_json::from_slice::<PlainList>(std::hint::black_box(&body)).unwrap())
    });
    group.bench_function("sdk: LeadList", |b| {
        b.iter(|| serde_json::from_slice::<LeadList>(std::hint::black_box(&body)).unwrap())
    });
    group.finish();
}

fn request(c: &mut Criterion) {
    let rt = runtime();
    let server = rt
        .block_on(MockServer::builder().leads(1_000).start())
        .unwrap();
    let client = client_for(&server);
    let unlimited = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .adaptive_rate_limit(false)
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/accounts/1/leads?page=1&per_page=100",
        server.url()
    );
    // Warm both connection pools and the server's caches.
    rt.block_on(client.leads(1).list().per_page(100).send())
        .unwrap();
    rt.block_on(unlimited.leads(1).list().per_page(100).send())
        .unwrap();
    let mut group = c.benchmark_group("request");
    group.bench_function("baseline: reqwest + serde_json", |b| {
        b.to_async(&rt).iter(|| async {
            let response = http
                .get(&url)
                .header("api_access_token", server.token())
                .send()
                .await
                .unwrap();
            let bytes = response.bytes().await.unwrap();
            serde_json::from_slice::<PlainList>(&bytes).unwrap()
        })
    });
    group.bench_function("sdk: list().send()", |b| {
        b.to_async(&rt)
            .iter(|| async { client.leads(1).list().per_page(100).send().await.unwrap() })
    });
    group.bench_function("sdk: without the rate limiter", |b| {
        b.to_async(&rt).iter(|| async {
            unlimited
                .leads(1)
                .list()
                .per_page(100)
                .send()
                .await
                .unwrap()
        })
    });
    group.finish();
}

fn export(c: &mut Criterion) {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .leads(10_000)
                .accounts(1)
                .latency(Duration::from_millis(20))
                .start(),
        )
        .unwrap();
    let client = client_for(&server);
    let all = |concurrency: usize| {
        client
            .leads(1)
            .list()
            .per_page(100)
            .concurrency(concurrency)
            .collect_all()
    };
    // The same leads, in the same order, none missing or repeated.
    let sequential = rt.block_on(all(1)).unwrap();
    let concurrent = rt.block_on(all(8)).unwrap();
    assert_eq!(sequential.len(), 10_000);
    assert!(
        sequential == concurrent,
        "concurrency changes nothing but the time"
    );
    let ids: std::collections::BTreeSet<i64> = concurrent.iter().map(|l| l.id).collect();
    assert_eq!(ids.len(), 10_000);
    let mut group = c.benchmark_group("export");
    group.sample_size(10);
    group.bench_function("baseline: sequential", |b| {
        b.to_async(&rt).iter(|| async { all(1).await.unwrap() })
    });
    group.bench_function("sdk: concurrency(8)", |b| {
        b.to_async(&rt).iter(|| async { all(8).await.unwrap() })
    });
    group.finish();
}

criterion_group!(benches, decode, request, export);

/// The mean time of a benchmark, from criterion's results.
fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    // Criterion's own file-name rule.
    let dir: String = name
        .chars()
        .map(|c| if "?\"/\\*<>:|^".contains(c) { '_' } else { c })
        .collect();
    let path = root
        .join("criterion")
        .join(group)
        .join(dir)
        .join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    println!("\nratios (baseline time / sdk time; above 1 means the sdk is faster):");
    for (label, group, baseline, sdk, goal) in [
        (
            "decode",
            "decode",
            "baseline: plain serde struct",
            "sdk: LeadList",
            "at least 0.9",
        ),
        (
            "request",
            "request",
            "baseline: reqwest + serde_json",
            "sdk: list().send()",
            "at least 1/1.1 = 0.91",
        ),
        (
            "limiter",
            "request",
            "sdk: without the rate limiter",
            "sdk: list().send()",
            "about 1: no cost without 429s",
        ),
        (
            "export",
            "export",
            "baseline: sequential",
            "sdk: concurrency(8)",
            "at least 5",
        ),
    ] {
        match (mean_ns(group, baseline), mean_ns(group, sdk)) {
            (Some(b), Some(s)) => println!(
                "  {label:<8} {:>6.2}x   (baseline {:.1} µs, sdk {:.1} µs; goal {goal})",
                b / s,
                b / 1e3,
                s / 1e3
            ),
            _ => println!("  {label:<8} (not run)"),
        }
    }
}
