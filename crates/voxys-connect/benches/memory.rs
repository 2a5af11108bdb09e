//! Peak memory while streaming every lead of an account: it must not grow
//! with the number of leads.
//!
//! `cargo bench -p voxys-connect --bench memory`
//!
//! The mock server runs in a child process (this same program), so that the
//! figures are the client's alone. The client counts its heap with a counting
//! allocator, and reads its resident-set high-water mark (`VmHWM`) from /proc,
//! reset before each run.

// A global allocator is unsafe to implement; this one only counts.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::TryStreamExt;
use voxys_connect::Client;

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are
// added around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                let now = IN_USE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERVE: &str = "VOXYS_MEMORY_BENCH_SERVE";

/// The child: serves `leads` leads until its stdin closes.
fn serve(leads: u64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = voxys_connect_mock::MockServer::builder()
            .leads(leads)
            .accounts(1)
            .start()
            .await
            .unwrap();
        println!("{} {}", server.url(), server.token());
        // Returns when the parent closes our stdin (or dies).
        tokio::task::spawn_blocking(|| std::io::stdin().lines().count())
            .await
            .unwrap();
    });
}

/// The resident-set high-water mark, in KiB.
fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn measure(leads: u64, concurrency: usize) -> (u64, usize, Option<u64>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(SERVE, leads.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, token) = line.trim().split_once(' ').unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .token(token)
        .base_url(url)
        .build()
        .unwrap();
    // Warm the client's connection pool, so that it is not counted.
    runtime
        .block_on(client.leads(1).list().per_page(1).send())
        .unwrap();
    let _ = std::fs::write("/proc/self/clear_refs", "5"); // resets VmHWM
    let baseline = IN_USE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let streamed = runtime.block_on(async {
        let mut stream = client
            .leads(1)
            .list()
            .per_page(100)
            .concurrency(concurrency)
            .stream();
        let mut count = 0u64;
        while let Some(lead) = stream.try_next().await.unwrap() {
            std::hint::black_box(&lead);
            count += 1;
        }
        count
    });
    let peak = PEAK.load(Ordering::Relaxed) - baseline;
    let hwm = vm_hwm_kib();
    drop(child.stdin.take());
    let _ = child.wait();
    assert_eq!(streamed, leads, "every lead was streamed");
    (streamed, peak, hwm)
}

fn main() {
    if let Ok(leads) = std::env::var(SERVE) {
        serve(leads.parse().unwrap());
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not run this.
    println!("peak memory of the client while streaming every lead (per_page 100):");
    println!(
        "{:>9} {:>11} {:>16} {:>14}",
        "leads", "concurrency", "peak heap (KiB)", "VmHWM (KiB)"
    );
    for concurrency in [1, 8] {
        for leads in [10_000, 100_000] {
            let (streamed, peak, hwm) = measure(leads, concurrency);
            let hwm = hwm.map_or("n/a".to_owned(), |k| k.to_string());
            println!(
                "{streamed:>9} {concurrency:>11} {:>16} {hwm:>14}",
                peak / 1024
            );
        }
    }
}
