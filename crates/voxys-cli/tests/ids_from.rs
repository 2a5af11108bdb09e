//! `voxys leads bulk ... --ids-from FILE` (and `-`, standard input) reads
//! the tool's own outputs: `--format json` (a JSON array, pretty-printed or
//! not), `--format csv` (with or without `--csv-bom`), besides plain ids and
//! NDJSON; bad records are named by their line and nothing is sent. Run
//! through the binary against the mock server; what was done is read from
//! the server's journal of applied writes.

use std::process::Output;

use serde_json::Value;
use voxys_connect_mock::MockServer;

mod common;

use common::{assert_ok, stderr, stdout, voxys, voxys_stdin};

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

/// The lead ids of the bulk actions the server applied, in order.
fn applied_ids(server: &MockServer) -> Vec<i64> {
    server
        .applied_writes()
        .into_iter()
        .inspect(|w| assert_eq!(w.operation, "bulk_lead_action"))
        .flat_map(|w| w.lead_ids)
        .collect()
}

/// The ids in CSV text with a header row, read by the csv crate alone.
fn csv_ids(text: &[u8]) -> Vec<i64> {
    let mut reader = csv::Reader::from_reader(text);
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "id")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[column].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn the_json_a_listing_writes_is_read_as_ids() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("l.json");
    let listed = voxys(
        &server,
        &[
            "leads",
            "list",
            "--per-page",
            "3",
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&listed);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.lines().count() > 3, "one record a line, in an array");
    let records: Vec<Value> = serde_json::from_str(&text).unwrap();
    let ids: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 3);

    // A dry run first (the case of the issue), then for real.
    let dry = voxys(
        &server,
        &[
            "leads",
            "bulk",
            "status",
            "won",
            "--ids-from",
            file.to_str().unwrap(),
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    let line = stdout(&dry);
    let body = common::dry_run_body(&server, line.trim_end(), "POST", "leads/bulk");
    assert_eq!(body["lead_ids"], serde_json::json!(ids));
    assert!(server.applied_writes().is_empty());

    let done = voxys(
        &server,
        &[
            "leads",
            "bulk",
            "status",
            "won",
            "--ids-from",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&done);
    assert_eq!(applied_ids(&server), ids);
    for id in ids {
        assert_eq!(common::lead(&server, id).unwrap().status, "won");
    }
}

#[tokio::test]
async fn json_pretty_printed_and_records_one_after_another_are_read() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    // As `jq .` prints an array: over many lines, an id as text too.
    let pretty = "[\n  {\n    \"id\": 2,\n    \"status\": \"open\"\n  },\n  {\n    \"id\": \"3\"\n  },\n  4\n]\n";
    let done = voxys_stdin(
        &server,
        &["leads", "bulk", "status", "lost", "--ids-from", "-"],
        Some(pretty.as_bytes()),
    )
    .await;
    assert_ok(&done);
    assert_eq!(applied_ids(&server), [2, 3, 4]);

    // As `jq '.[]'` prints it: records one after the other, over lines.
    let stream = "{\n  \"id\": 5\n}\n{\n  \"id\": 6\n}\n";
    let done = voxys_stdin(
        &server,
        &["leads", "bulk", "status", "lost", "--ids-from", "-"],
        Some(stream.as_bytes()),
    )
    .await;
    assert_ok(&done);
    assert_eq!(applied_ids(&server), [2, 3, 4, 5, 6]);

    // An empty listing's `[]`: nothing to do.
    let empty = voxys_stdin(
        &server,
        &["leads", "bulk", "status", "lost", "--ids-from", "-"],
        Some(b"[]\n"),
    )
    .await;
    assert_eq!(code(&empty), Some(0), "{}", stderr(&empty));
    assert!(
        stderr(&empty).contains("nothing to do"),
        "{}",
        stderr(&empty)
    );
    assert_eq!(server.applied_writes().len(), 2);
}

#[tokio::test]
async fn the_csv_a_listing_writes_is_read_as_ids_with_or_without_a_bom() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    for (bom, status) in [(false, "won"), (true, "lost")] {
        let mut list = vec!["leads", "list", "--per-page", "4", "--format", "csv"];
        if bom {
            list.push("--csv-bom");
        }
        let listed = voxys(&server, &list).await;
        assert_ok(&listed);
        assert_eq!(listed.stdout.starts_with(b"\xEF\xBB\xBF"), bom);
        let ids = csv_ids(
            listed
                .stdout
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(&listed.stdout),
        );
        assert_eq!(ids.len(), 4);

        let before = server.applied_writes().len();
        let done = voxys_stdin(
            &server,
            &["leads", "bulk", "status", status, "--ids-from", "-"],
            Some(&listed.stdout),
        )
        .await;
        assert_ok(&done);
        let writes = server.applied_writes();
        let applied: Vec<i64> = writes[before..]
            .iter()
            .flat_map(|w| w.lead_ids.clone())
            .collect();
        assert_eq!(applied, ids, "bom: {bom}");
        for id in ids {
            assert_eq!(common::lead(&server, id).unwrap().status, status);
        }
    }

    // Card listings' CSV has the same `id` column header shape; any CSV whose
    // header names `id` works, wherever the column is.
    let other = "name,id\nA,7\n\"two\nlines\",8\n";
    let done = voxys_stdin(
        &server,
        &["leads", "bulk", "status", "won", "--ids-from", "-"],
        Some(other.as_bytes()),
    )
    .await;
    assert_ok(&done);
    let last = server.applied_writes().pop().unwrap();
    assert_eq!(last.lead_ids, [7, 8]);
}

#[tokio::test]
async fn bad_records_are_named_by_their_line_and_nothing_is_sent() {
    let server = MockServer::builder().leads(10).start().await.unwrap();
    let bulk = ["leads", "bulk", "status", "won", "--ids-from", "-"];

    // A pretty-printed array: each record by the line it starts on.
    let json =
        "[\n  {\"id\": 1},\n  {\"id\": \"x\"},\n\n  {\n    \"name\": \"no id\"\n  },\n  0\n]\n";
    let refused = voxys_stdin(&server, &bulk, Some(json.as_bytes())).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    for expected in [
        "3 invalid line(s), so nothing was sent",
        "line 3: `id` \"x\" is not a lead id",
        "line 5: a record without an `id`",
        "line 8: 0 is not a lead id",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }

    // Not a whole array (cut short): where it went wrong.
    let cut = voxys_stdin(&server, &bulk, Some(b"[\n  {\"id\": 1},\n")).await;
    assert_eq!(code(&cut), Some(2), "{}", stderr(&cut));
    assert!(
        stderr(&cut).contains("not a JSON array of records") && stderr(&cut).contains("line 3"),
        "{}",
        stderr(&cut)
    );

    // CSV: the record's line, a quoted cell over two lines counted; a BOM
    // before the header changes nothing.
    let csv = "\u{feff}id,custom_name\n1,a\n\"oops\",b\n2,\"two\nlines\"\n-3,c\n";
    let refused = voxys_stdin(&server, &bulk, Some(csv.as_bytes())).await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let message = stderr(&refused);
    for expected in [
        "2 invalid line(s), so nothing was sent",
        "line 3: \"oops\" in the `id` column is not a lead id",
        "line 6: \"-3\" in the `id` column is not a lead id",
    ] {
        assert!(message.contains(expected), "{expected}: {message}");
    }

    // Plain ids and NDJSON as before; a BOM is skipped there too.
    let lines = "\u{feff}1\n{\"id\": 2}\n";
    let done = voxys_stdin(&server, &bulk, Some(lines.as_bytes())).await;
    assert_ok(&done);
    assert_eq!(applied_ids(&server), [1, 2]);
    assert_eq!(server.applied_writes().len(), 1, "only the valid input");
}

#[tokio::test]
async fn cards_act_on_their_leads_and_other_records_are_refused() {
    // Enough leads for the mock to put some on cards.
    let server = MockServer::builder().leads(60).start().await.unwrap();
    let account = server.account_id();
    let (funnel, cards) = server
        .funnels(account)
        .into_iter()
        .map(|f| (f.id, server.cards(account, f.id)))
        .find(|(_, cards)| !cards.is_empty())
        .expect("a funnel with cards");
    let card_leads: Vec<i64> = cards.iter().map(|c| c.lead_id).collect();
    let funnel = funnel.to_string();
    for format in ["json", "csv", "ndjson"] {
        let listed = voxys(
            &server,
            &["pipelines", "cards", "list", &funnel, "--format", format],
        )
        .await;
        assert_ok(&listed);
        let dry = voxys_stdin(
            &server,
            &[
                "leads",
                "bulk",
                "status",
                "won",
                "--dry-run",
                "--batch-size",
                "1000",
            ],
            Some(&listed.stdout),
        )
        .await;
        assert_ok(&dry);
        let line = stdout(&dry);
        let body = common::dry_run_body(&server, line.trim_end(), "POST", "leads/bulk");
        // Each lead once, in the order of the cards.
        let mut expected = Vec::new();
        for id in &card_leads {
            if !expected.contains(id) {
                expected.push(*id);
            }
        }
        assert_eq!(body["lead_ids"], serde_json::json!(expected), "{format}");
    }

    // Tasks' ids are not leads': refused, nothing sent.
    for format in ["json", "csv", "ndjson"] {
        let listed = voxys(&server, &["tasks", "list", "--format", format]).await;
        assert_ok(&listed);
        let refused = voxys_stdin(
            &server,
            &["leads", "bulk", "status", "won"],
            Some(&listed.stdout),
        )
        .await;
        assert_eq!(code(&refused), Some(2), "{format}: {}", stderr(&refused));
        assert!(
            stderr(&refused).contains("a task (it has `taskable_type`), not a lead"),
            "{format}: {}",
            stderr(&refused)
        );
    }
    assert!(server.applied_writes().is_empty());
}
