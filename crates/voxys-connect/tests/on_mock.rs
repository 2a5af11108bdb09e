//! The SDK end to end against the project's mock server: every lead arrives
//! whole and in order, through filters and concurrency, compared member by
//! member with the JSON the mock holds. (Faults: faults.rs.)

mod common;

use common::{assert_same_leads, held};
use serde_json::Value;
use voxys_connect::types::{LeadStatus, SortOrder};
use voxys_connect::{Client, RetryPolicy};
use voxys_connect_mock::MockServer;

fn client_for(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_lead_arrives_whole_and_in_order_with_and_without_concurrency() {
    let server = MockServer::builder().leads(1_234).start().await.unwrap();
    let client = client_for(&server, RetryPolicy::disabled());
    let expected = held(&server);
    for concurrency in [1, 4] {
        let leads = client
            .leads(server.account_id())
            .list()
            .per_page(100)
            .concurrency(concurrency)
            .collect_all()
            .await
            .unwrap();
        assert_same_leads(&leads, &expected);
    }
}

#[tokio::test]
async fn filters_through_the_sdk_select_what_the_server_holds() {
    let server = MockServer::builder().leads(600).start().await.unwrap();
    let client = client_for(&server, RetryPolicy::disabled());
    let account = server.account(server.account_id()).unwrap();
    let agent = account.agents[2].id;
    let inbox = account.inboxes[0];
    let leads = client
        .leads(server.account_id())
        .list()
        .status(LeadStatus::Lost)
        .assigned_agent(agent)
        .order(SortOrder::Asc)
        .collect_all()
        .await
        .unwrap();
    let mut expected: Vec<Value> = held(&server)
        .into_iter()
        .filter(|l| l["status"] == "lost" && l["assigned_agent"]["id"] == agent)
        .collect();
    // Oldest first: the reverse of the default order, ties still by id.
    expected.sort_by(|a, b| {
        a["created_at"]
            .as_str()
            .cmp(&b["created_at"].as_str())
            .then(a["id"].as_i64().cmp(&b["id"].as_i64()))
    });
    assert!(!expected.is_empty());
    assert_same_leads(&leads, &expected);

    let from_inbox = client
        .leads(server.account_id())
        .list()
        .source_inbox(inbox)
        .per_page(100)
        .collect_all()
        .await
        .unwrap();
    let expected = account
        .leads
        .iter()
        .filter(|m| m.source_inbox_id == Some(inbox))
        .count();
    assert_eq!(from_inbox.len(), expected);
}
