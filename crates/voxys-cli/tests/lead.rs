//! `voxys leads get` and `voxys leads stats` against the mock server: what
//! they print is what the server holds, counted here from its own data.

use rust_decimal::Decimal;
use serde_json::Value;
use voxys_connect_mock::MockServer;

mod common;
use common::{assert_ok, ndjson, stderr, stdout, voxys};

#[tokio::test]
async fn get_prints_the_lead_the_server_holds_and_a_missing_one_exits_4() {
    let server = MockServer::builder().leads(30).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let held = &account.leads[7];
    let id = held.id.to_string();

    let output = voxys(&server, &["leads", "get", &id, "--format", "ndjson"]).await;
    assert_ok(&output);
    assert_eq!(ndjson(&output), [held.to_json()]);

    let table = voxys(&server, &["leads", "get", &id, "--format", "table"]).await;
    assert_ok(&table);
    assert!(stdout(&table).contains(&id), "{}", stdout(&table));

    let missing = voxys(&server, &["leads", "get", "999999"]).await;
    assert_eq!(missing.status.code(), Some(4), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("not found"),
        "{}",
        stderr(&missing)
    );

    let zero = voxys(&server, &["leads", "get", "0"]).await;
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));
    assert!(stderr(&zero).contains("`id`"), "{}", stderr(&zero));
}

#[tokio::test]
async fn stats_are_the_totals_of_the_leads_the_server_holds() {
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let leads = server.account(server.account_id()).unwrap().leads;
    let count = |status: &str| leads.iter().filter(|l| l.status == status).count() as i64;
    let value = |status: Option<&str>| -> Decimal {
        leads
            .iter()
            .filter(|l| status.is_none_or(|s| l.status == s))
            .filter_map(|l| l.lead_value)
            .sum()
    };

    let output = voxys(&server, &["leads", "stats", "--format", "json"]).await;
    assert_ok(&output);
    let printed: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let [stats] = printed.as_slice() else {
        panic!("one record: {printed:?}")
    };
    assert_eq!(stats["total"], leads.len() as i64);
    assert_eq!(
        (&stats["open"], &stats["won"], &stats["lost"]),
        (
            &Value::from(count("open")),
            &Value::from(count("won")),
            &Value::from(count("lost"))
        )
    );
    // Amounts with their exact digits.
    let exact = |v: &Value| v.to_string().trim_matches('"').parse::<Decimal>().unwrap();
    assert_eq!(exact(&stats["total_value"]), value(None));
    assert_eq!(exact(&stats["won_value"]), value(Some("won")));

    let csv = voxys(&server, &["leads", "stats", "--format", "csv"]).await;
    assert_ok(&csv);
    let text = stdout(&csv);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("total,open,won,lost,total_value,won_value,extra")
    );
    assert!(
        lines
            .next()
            .is_some_and(|row| row.starts_with(&format!("{},", leads.len()))),
        "{text}"
    );
}
