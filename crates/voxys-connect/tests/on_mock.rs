//! The SDK end to end against the project's mock server: every lead arrives
//! whole and in order, through filters and concurrency. (Faults: faults.rs.)

use voxys_connect::{Client, Lead, LeadStatus, RetryPolicy, SortOrder};
use voxys_connect_mock::MockServer;

fn client_for(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// The account's leads as the server holds them, newest first (the API's
/// default order; ties by ascending id).
fn held(server: &MockServer) -> Vec<Lead> {
    server
        .dataset()
        .account(server.account_id())
        .unwrap()
        .leads_in_default_order()
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
        // Equal as typed values: every field survived the trip.
        assert!(
            leads == expected,
            "concurrency {concurrency}: the leads differ from those the server holds"
        );
    }
}

#[tokio::test]
async fn filters_through_the_sdk_select_what_the_server_holds() {
    let server = MockServer::builder().leads(600).start().await.unwrap();
    let client = client_for(&server, RetryPolicy::disabled());
    let account = server.dataset().account(server.account_id()).unwrap();
    let agent = account.agents[2].id as u64;
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
    let mut expected: Vec<&Lead> = account
        .leads
        .iter()
        .map(|m| &m.lead)
        .filter(|l| {
            l.status == LeadStatus::Lost
                && l.assigned_agent
                    .as_ref()
                    .is_some_and(|a| a.id as u64 == agent)
        })
        .collect();
    expected.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    assert!(!expected.is_empty());
    assert_eq!(leads.iter().collect::<Vec<_>>(), expected);

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
