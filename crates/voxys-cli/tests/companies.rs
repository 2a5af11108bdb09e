//! `voxys companies ...` against the mock server: what each command prints
//! is what the server holds, and what each write did is read from the
//! mock's own state and journal of applied writes.

use std::collections::BTreeMap;

use serde_json::Value;
use voxys_connect_mock::{MockCompany, MockServer};

mod common;

use common::{assert_ok, dry_run_body, dry_run_line, ndjson, stderr, stdout, voxys};

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

/// The first account's company `id` as the server holds it now.
fn company(server: &MockServer, id: i64) -> Option<MockCompany> {
    server
        .account(server.account_id())
        .unwrap()
        .company(id)
        .cloned()
}

/// Records by their `id`.
fn by_id(records: Vec<Value>) -> BTreeMap<i64, Value> {
    records
        .into_iter()
        .map(|r| (r["id"].as_i64().unwrap(), r))
        .collect()
}

#[tokio::test]
async fn list_get_search_timeline_and_duplicates_print_what_the_server_holds() {
    let server = MockServer::builder().leads(40).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let expected: BTreeMap<i64, Value> = account
        .companies
        .iter()
        .map(|c| (c.id, account.company_json(c)))
        .collect();
    assert!(expected.len() > 1);

    let all = voxys(&server, &["companies", "list", "--all", "--sort", "name"]).await;
    assert_ok(&all);
    let listed = ndjson(&all);
    assert_eq!(listed.len(), expected.len(), "each company once");
    assert_eq!(by_id(listed), expected);

    let csv = voxys(&server, &["companies", "list", "--format", "csv"]).await;
    assert_ok(&csv);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "name",
            "domain",
            "description",
            "contacts_count",
            "custom_attributes",
            "created_at",
            "updated_at",
            "extra"
        ]
    );
    assert_eq!(reader.records().count(), expected.len().min(25));

    let first = &account.companies[0];
    let got = voxys(&server, &["companies", "get", &first.id.to_string()]).await;
    assert_ok(&got);
    assert_eq!(ndjson(&got), [expected[&first.id].clone()]);

    let word = first.name.split_whitespace().next().unwrap().to_lowercase();
    let found = voxys(&server, &["companies", "search", &word]).await;
    assert_ok(&found);
    let found = by_id(ndjson(&found));
    assert!(found.contains_key(&first.id), "{found:?}");
    for (id, record) in &found {
        assert_eq!(record, &expected[id]);
    }

    let timeline = voxys(&server, &["companies", "timeline", &first.id.to_string()]).await;
    assert_ok(&timeline);
    let events: Vec<Value> = account
        .timeline_of(first.id)
        .iter()
        .map(|e| e.to_json())
        .collect();
    assert!(!events.is_empty());
    assert_eq!(ndjson(&timeline), events);

    // A company made with the same domain is a duplicate of the first.
    let domain = account
        .companies
        .iter()
        .find_map(|c| c.domain.clone())
        .unwrap();
    let original = account
        .companies
        .iter()
        .find(|c| c.domain.as_deref() == Some(domain.as_str()))
        .unwrap()
        .id;
    let twin = voxys(
        &server,
        &["companies", "create", "Twin Co", "--domain", &domain],
    )
    .await;
    assert_ok(&twin);
    let twin_id = ndjson(&twin)[0]["id"].as_i64().unwrap();
    let duplicates = voxys(&server, &["companies", "duplicates", &original.to_string()]).await;
    assert_ok(&duplicates);
    let ids: Vec<i64> = ndjson(&duplicates)
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&twin_id), "{ids:?}");
    assert!(!ids.contains(&original));

    let missing = voxys(&server, &["companies", "get", "999999"]).await;
    assert_eq!(code(&missing), Some(4), "{}", stderr(&missing));
}

#[tokio::test]
async fn create_and_update_write_what_the_flags_say_and_clear_flags_send_null() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let created = voxys(
        &server,
        &[
            "companies",
            "create",
            "Acme Widgets",
            "--domain",
            "acme-widgets.example",
            "--description",
            "Widgets",
            "--attribute",
            "tier=gold",
        ],
    )
    .await;
    assert_ok(&created);
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].operation, "create_company");
    let id = writes[0].created_id.unwrap();
    let held = company(&server, id).unwrap();
    assert_eq!(held.name, "Acme Widgets");
    assert_eq!(held.domain.as_deref(), Some("acme-widgets.example"));
    assert_eq!(held.description.as_deref(), Some("Widgets"));
    assert_eq!(held.custom_attributes["tier"], "gold");
    let account = server.account(server.account_id()).unwrap();
    assert_eq!(ndjson(&created), [account.company_json(&held)]);

    let id_arg = id.to_string();
    let dry = voxys(
        &server,
        &[
            "companies",
            "update",
            &id_arg,
            "--name",
            "Acme Inc",
            "--clear-domain",
            "--clear-description",
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        dry_run_body(
            &server,
            stdout(&dry).trim(),
            "PATCH",
            &format!("companies/{id}")
        ),
        serde_json::json!({"name": "Acme Inc", "domain": null, "description": null})
    );
    assert_eq!(company(&server, id).unwrap(), held, "nothing changed");

    let updated = voxys(
        &server,
        &[
            "companies",
            "update",
            &id_arg,
            "--name",
            "Acme Inc",
            "--clear-domain",
            "--clear-description",
        ],
    )
    .await;
    assert_ok(&updated);
    let held = company(&server, id).unwrap();
    assert_eq!(
        (held.name.as_str(), &held.domain, &held.description),
        ("Acme Inc", &None, &None)
    );
    assert_eq!(held.custom_attributes["tier"], "gold", "left as it was");

    let nothing = voxys(&server, &["companies", "update", &id_arg]).await;
    assert_eq!(code(&nothing), Some(2), "{}", stderr(&nothing));
    let writes: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(writes, ["create_company", "update_company"]);
}

#[tokio::test]
async fn delete_and_merge_ask_first_and_a_dry_run_applies_nothing() {
    let server = MockServer::builder().leads(120).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    // Two companies with leads: the source is merged into the target.
    let with_leads: Vec<i64> = account
        .companies
        .iter()
        .map(|c| c.id)
        .filter(|id| !account.leads_of(*id).is_empty())
        .collect();
    let (source, target, doomed) = (with_leads[0], with_leads[1], with_leads[2]);
    let source_leads: Vec<i64> = account.leads_of(source).iter().map(|l| l.id).collect();
    let (source_arg, target_arg, doomed_arg) =
        (source.to_string(), target.to_string(), doomed.to_string());

    // No terminal, no --yes: refused; --dry-run: the request, not sent.
    let refused = voxys(
        &server,
        &["companies", "merge", &source_arg, "--into", &target_arg],
    )
    .await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "refusing to merge company {source} into company {target}"
        )),
        "{}",
        stderr(&refused)
    );
    let dry = voxys(
        &server,
        &[
            "companies",
            "merge",
            &source_arg,
            "--into",
            &target_arg,
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        format!(
            "{} {{\"target_company_id\":{target}}}",
            dry_run_line(&server, "POST", &format!("companies/{source}/merge"))
        )
    );
    let refused_delete = voxys(&server, &["companies", "delete", &doomed_arg]).await;
    assert_eq!(
        code(&refused_delete),
        Some(2),
        "{}",
        stderr(&refused_delete)
    );
    let dry_delete = voxys(&server, &["companies", "delete", &doomed_arg, "--dry-run"]).await;
    assert_ok(&dry_delete);
    assert!(
        stdout(&dry_delete).starts_with("DELETE "),
        "{}",
        stdout(&dry_delete)
    );
    assert_eq!(server.request_count(), 0, "nothing sent");
    assert_eq!(server.account(server.account_id()).unwrap(), account);

    // With --yes: merged once, the source gone, its leads in the target.
    let merge = [
        "companies",
        "merge",
        &source_arg,
        "--into",
        &target_arg,
        "--yes",
    ];
    let merged = voxys(&server, &merge).await;
    assert_ok(&merged);
    let now = server.account(server.account_id()).unwrap();
    assert!(now.company(source).is_none());
    for id in &source_leads {
        assert_eq!(now.lead(*id).unwrap().company.as_ref().unwrap().id, target);
    }
    assert_eq!(
        ndjson(&merged),
        [now.company_json(now.company(target).unwrap())]
    );
    let deleted = voxys(&server, &["companies", "delete", &doomed_arg, "--yes"]).await;
    assert_ok(&deleted);
    let writes = server.applied_writes();
    assert_eq!(writes.len(), 2);
    assert_eq!(
        (writes[0].operation, writes[0].company_ids.as_slice()),
        ("merge_companies", [source, target].as_slice())
    );
    assert_eq!(writes[1].operation, "delete_company");
    assert!(company(&server, doomed).is_none());

    // Merging a company into itself is refused before anything is sent;
    // merging one that is gone is a 404.
    let itself = voxys(
        &server,
        &["companies", "merge", &target_arg, "--into", &target_arg],
    )
    .await;
    assert_eq!(code(&itself), Some(2), "{}", stderr(&itself));
    let gone = voxys(&server, &merge).await;
    assert_eq!(code(&gone), Some(4), "{}", stderr(&gone));
    assert_eq!(server.applied_writes().len(), 2);
}

#[tokio::test]
async fn contacts_list_add_and_remove_with_confirmation() {
    let server = MockServer::builder().leads(20).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let company = account
        .companies
        .iter()
        .find(|c| !account.contacts_of(c.id).is_empty())
        .expect("a company with contacts")
        .id;
    let loose = account
        .contacts
        .iter()
        .find(|c| c.company_id != Some(company))
        .expect("a contact elsewhere")
        .id;
    let company_arg = company.to_string();
    let loose_arg = loose.to_string();
    let expected: Vec<Value> = account
        .contacts_of(company)
        .iter()
        .map(|c| c.to_json())
        .collect();

    let listed = voxys(&server, &["companies", "contacts", "list", &company_arg]).await;
    assert_ok(&listed);
    assert_eq!(ndjson(&listed), expected);

    let added = voxys(
        &server,
        &["companies", "contacts", "add", &company_arg, &loose_arg],
    )
    .await;
    assert_ok(&added);
    let now = server.account(server.account_id()).unwrap();
    assert_eq!(now.contact(loose).unwrap().company_id, Some(company));
    assert_eq!(ndjson(&added), [now.contact(loose).unwrap().to_json()]);

    let refused = voxys(
        &server,
        &["companies", "contacts", "remove", &company_arg, &loose_arg],
    )
    .await;
    assert_eq!(code(&refused), Some(2), "{}", stderr(&refused));
    let dry = voxys(
        &server,
        &[
            "companies",
            "contacts",
            "remove",
            &company_arg,
            &loose_arg,
            "--dry-run",
        ],
    )
    .await;
    assert_ok(&dry);
    assert_eq!(
        stdout(&dry).trim(),
        dry_run_line(
            &server,
            "DELETE",
            &format!("companies/{company}/contacts/{loose}")
        )
    );
    assert_eq!(
        server
            .account(server.account_id())
            .unwrap()
            .contact(loose)
            .unwrap()
            .company_id,
        Some(company),
        "still there"
    );
    let removed = voxys(
        &server,
        &[
            "companies",
            "contacts",
            "remove",
            &company_arg,
            &loose_arg,
            "--yes",
        ],
    )
    .await;
    assert_ok(&removed);
    assert!(stderr(&removed).contains("removed"), "{}", stderr(&removed));
    let now = server.account(server.account_id()).unwrap();
    assert_eq!(now.contact(loose).unwrap().company_id, None);
    let operations: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        operations,
        ["add_company_contact", "remove_company_contact"]
    );
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn every_new_command_works_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("demo.journal");
    let failures = dir.path().join("demo.failures.ndjson");
    let journal_arg = journal.to_str().unwrap();
    let failures_arg = failures.to_str().unwrap();
    let cases: [(&[&str], Option<&[u8]>); 18] = [
        (
            &["leads", "create", "--name", "Demo lead", "--value", "10"],
            None,
        ),
        (
            &["leads", "update", "3", "--clear-company", "--name", "x"],
            None,
        ),
        (&["leads", "delete", "3", "--yes"], None),
        (&["leads", "delete", "4", "--dry-run"], None),
        (&["leads", "notes", "list", "5"], None),
        (&["leads", "notes", "add", "5", "Called"], None),
        (&["companies", "list", "--all"], None),
        (&["companies", "get", "1"], None),
        (
            &["companies", "create", "Demo Co", "--domain", "demo.example"],
            None,
        ),
        (&["companies", "update", "1", "--clear-description"], None),
        (&["companies", "search", "acme"], None),
        (&["companies", "timeline", "1"], None),
        (&["companies", "duplicates", "1"], None),
        (&["companies", "merge", "2", "--into", "1", "--yes"], None),
        (&["companies", "delete", "3", "--yes"], None),
        (&["companies", "contacts", "list", "1"], None),
        (
            &["companies", "contacts", "remove", "1", "1", "--dry-run"],
            None,
        ),
        (
            &[
                "leads",
                "create",
                "--from",
                "-",
                "--journal",
                journal_arg,
                "--failures",
                failures_arg,
            ],
            Some(b"{\"custom_name\": \"From a pipe\", \"status\": \"won\"}\n"),
        ),
    ];
    for (args, stdin) in cases {
        let mut command: Vec<&str> = args.to_vec();
        command.push("--demo");
        let output = common::run(&command, &[], stdin).await;
        assert!(
            output.status.success(),
            "{args:?}: exit {:?}: {}",
            output.status.code(),
            stderr(&output)
        );
    }
    assert!(journal.exists());
}
