//! `client.leads(id).list()`: every option reaches the wire, bad input never
//! leaves the machine, and pages decode losslessly.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::json;
use voxys_connect::Error;
use voxys_connect::types::{Decimal, LeadSortField, LeadStatus, SortOrder};
use wiremock::ResponseTemplate;

#[tokio::test]
async fn every_builder_option_reaches_the_wire() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(list_body([5], 3, 9, 201))).await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .status(LeadStatus::Snoozed)
        .assigned_agent(7)
        .source_inbox(3)
        .sort_by(LeadSortField::CustomName)
        .order(SortOrder::Asc)
        .page(3)
        .per_page(25)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (page.current_page(), page.total_pages(), page.total_count()),
        (3, 9, 201)
    );
    assert_eq!(page.next_page(), Some(4));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.path(), LIST_PATH);
    let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
    let expected: BTreeMap<String, String> = [
        ("status", "snoozed"),
        ("assigned_agent_id", "7"),
        ("source_inbox_id", "3"),
        ("sort_by", "custom_name"),
        ("sort_order", "asc"),
        ("page", "3"),
        ("per_page", "25"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(query, expected);
    assert_eq!(request.headers["api_access_token"], TOKEN);
    assert_eq!(request.headers["accept"], "application/json");
    assert_eq!(
        request.headers["user-agent"],
        concat!("voxys-connect/", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_plain_request_asks_for_page_one_and_nothing_else() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(list_body([1, 2], 1, 1, 2)))
            .await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page.next_page(), None);
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.url.query(), Some("page=1"));
}

#[tokio::test]
async fn invalid_parameters_are_rejected_before_any_request() {
    // The API's parameters are named as on the wire and checked against the
    // document's ranges (the generated OPERATIONS table); the SDK's own
    // (concurrency) by the SDK.
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(list_body([], 1, 0, 0))).await;
    let client = client_for(&server);
    let cases = [
        (
            client.leads(ACCOUNT).list().per_page(0),
            "per_page",
            "from 1 to 100",
        ),
        (
            client.leads(ACCOUNT).list().per_page(101),
            "per_page",
            "from 1 to 100",
        ),
        (client.leads(ACCOUNT).list().page(0), "page", "from 1"),
        (client.leads(0).list(), "account_id", "from 1"),
        (
            client.leads(ACCOUNT).list().assigned_agent(0),
            "assigned_agent_id",
            "from 1",
        ),
        (
            client.leads(ACCOUNT).list().source_inbox(0),
            "source_inbox_id",
            "from 1",
        ),
        (
            client.leads(ACCOUNT).list().concurrency(0),
            "concurrency",
            "from 1 to 32",
        ),
    ];
    for (request, parameter, allowed) in cases {
        for error in [
            request.clone().send().await.unwrap_err(),
            request.clone().collect_all().await.unwrap_err(),
        ] {
            match &error {
                Error::InvalidParameter { name, .. } => assert_eq!(*name, parameter),
                other => panic!("expected InvalidParameter for {parameter}, got {other:?}"),
            }
            let message = error.to_string();
            assert!(
                message.contains(parameter) && message.contains(allowed),
                "{message}"
            );
            assert!(!error.is_retryable());
        }
    }
    assert_eq!(request_count(&server).await, 0, "nothing was sent");
}

#[tokio::test]
async fn the_edges_of_per_page_are_accepted() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(list_body([1], 1, 1, 1))).await;
    let client = client_for(&server);
    client
        .leads(ACCOUNT)
        .list()
        .per_page(1)
        .send()
        .await
        .unwrap();
    client
        .leads(ACCOUNT)
        .list()
        .per_page(100)
        .send()
        .await
        .unwrap();
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn unknown_statuses_string_decimals_and_new_fields_decode_without_loss() {
    let mut first = lead(1);
    first["status"] = json!("archived");
    first["lead_value"] = json!("15000.0");
    first["priority"] = json!("high");
    let mut second = lead(2);
    second["lead_value"] = json!(0.1);
    second["status"] = json!("won");
    let body = json!({
        "data": [first, second],
        "meta": {"current_page": "1", "total_pages": "1", "total_count": 2}
    });
    let server = server_answering(ResponseTemplate::new(200).set_body_json(body)).await;
    let page = client_for(&server)
        .leads(ACCOUNT)
        .list()
        .send()
        .await
        .unwrap();
    assert_eq!(page.current_page(), 1);
    let leads = page.into_items();
    assert_eq!(leads[0].status.as_str(), "archived");
    assert!(!leads[0].status.is_known());
    assert_eq!(
        leads[0].lead_value.unwrap().as_decimal(),
        Decimal::new(15000, 0)
    );
    assert_eq!(leads[0].extra["priority"], "high");
    assert_eq!(leads[1].status, LeadStatus::Won);
    // 0.1 arrives exactly, not as 0.1000000000000000055511151231257827.
    assert_eq!(
        leads[1].lead_value.unwrap().as_decimal(),
        Decimal::new(1, 1)
    );
}
