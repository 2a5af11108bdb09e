//! Helpers for tests against the project's mock server: a client with quick
//! retries, the mock's journal by operation, and faults that lose answers.

use std::time::Duration;

use voxys_connect::{Client, RetryPolicy};
use voxys_connect_mock::{AppliedWrite, Fault, FaultRule, MockServer};

/// A mock server with 30 leads an account.
pub async fn mock_server() -> MockServer {
    MockServer::builder().leads(30).start().await.unwrap()
}

/// A client for `server`, retrying quickly.
pub fn mock_client(server: &MockServer) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

/// The journal's entries of one operation.
pub fn applied(server: &MockServer, operation: &str) -> Vec<AppliedWrite> {
    server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == operation)
        .collect()
}

/// The next `times` requests of `method` are applied, then their answers
/// lost to `fault`.
pub fn lose_answers(server: &MockServer, method: &str, fault: Fault, times: u64) {
    server.add_fault(
        FaultRule::new(fault)
            .on_method(method)
            .after_applying()
            .times(times),
    );
}
