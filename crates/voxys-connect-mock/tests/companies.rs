//! The Companies section over HTTP: creating, listing, reading, updating
//! (three states), deleting (leads left without a company), merging (leads
//! and contacts moved, the source gone, the target's timeline), duplicates
//! and search, contacts in and out, faults after applying, and every
//! answer against the document.

mod common;

use std::collections::BTreeSet;

use common::{
    assert_documented, assert_field_error, has_milliseconds, instant, not_found, now, path, send,
};
use serde_json::{Value, json};
use voxys_connect_mock::{Fault, FaultRule, MockServer, Throttle};

fn companies(server: &MockServer) -> String {
    path(server.account_id(), "companies")
}

/// Makes a company through the API; its id.
async fn create(server: &MockServer, body: Value) -> i64 {
    let answer = send(server, "POST", &companies(server), Some(&body)).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.body["id"].as_i64().unwrap()
}

/// A company of the first account that has leads and contacts.
fn busy_company(server: &MockServer) -> i64 {
    let account = server.account(server.account_id()).unwrap();
    account
        .companies
        .iter()
        .find(|c| !account.leads_of(c.id).is_empty() && !account.contacts_of(c.id).is_empty())
        .expect("a company with leads and contacts")
        .id
}

#[tokio::test]
async fn a_created_company_is_read_listed_and_refused_when_its_name_is_blank() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let largest = server
        .account_ids()
        .iter()
        .flat_map(|a| server.companies(*a))
        .map(|c| c.id)
        .max()
        .unwrap();
    let before = now();
    let created = send(
        &server,
        "POST",
        &companies(&server),
        Some(&json!({"name": "Acme Rockets", "domain": "acme-rockets.com", "custom_attributes": {"tier": 1}})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_documented("create_company", &created);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(id, largest + 1);
    assert_eq!(created.body["description"], Value::Null);
    assert_eq!(created.body["contacts_count"], 0);
    assert!(has_milliseconds(&created.body["created_at"]));
    assert!(instant(&created.body["created_at"]) >= before);
    assert_eq!(server.company_json(account, id).unwrap(), created.body);

    let got = send(
        &server,
        "GET",
        &format!("{}/{id}", companies(&server)),
        None,
    )
    .await;
    assert_eq!(got.body, created.body);
    assert_documented("get_company", &got);
    // Newest first by default: the new one leads the first page.
    let page = send(&server, "GET", &companies(&server), None).await;
    assert_documented("list_companies", &page);
    assert_eq!(page.body["data"][0], created.body);
    assert_eq!(
        page.body["meta"],
        json!({"current_page": 1, "total_pages": 1, "total_count": 21})
    );
    let timeline = send(
        &server,
        "GET",
        &format!("{}/{id}/timeline", companies(&server)),
        None,
    )
    .await;
    assert_documented("company_timeline", &timeline);
    assert_eq!(timeline.body[0]["event_type"], "company_created");
    assert_eq!(timeline.body[0]["actor"], server.user().to_json());

    for blank in ["", "  "] {
        let refused = send(
            &server,
            "POST",
            &companies(&server),
            Some(&json!({"name": blank})),
        )
        .await;
        assert_field_error(&refused, "name", "can't be blank");
        assert_documented("create_company", &refused);
    }
    let journal: Vec<_> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.company_ids, w.created_id, w.name))
        .collect();
    assert_eq!(
        journal,
        [(
            "create_company",
            vec![id],
            Some(id),
            Some("Acme Rockets".to_owned())
        )]
    );
    let missing = send(
        &server,
        "GET",
        &format!("{}/999999", companies(&server)),
        None,
    )
    .await;
    assert_eq!((missing.status, missing.body), (404, not_found()));
}

#[tokio::test]
async fn companies_page_by_25_in_each_order() {
    let server = MockServer::start().await;
    for i in 0..10 {
        create(&server, json!({"name": format!("zeta {i:02}")})).await;
    }
    let total = server.companies(server.account_id()).len();
    assert_eq!(total, 30);
    for sort in ["name", "created_at", "updated_at"] {
        let mut seen = Vec::new();
        for page in 1..=3 {
            let answer = send(
                &server,
                "GET",
                &format!("{}?sort={sort}&page={page}", companies(&server)),
                None,
            )
            .await;
            assert_eq!(answer.status, 200, "{}", answer.text);
            assert_eq!(
                answer.body["meta"],
                json!({"current_page": page, "total_pages": 2, "total_count": 30})
            );
            seen.extend(answer.body["data"].as_array().unwrap().iter().cloned());
            assert_eq!(
                answer.body["data"].as_array().unwrap().len(),
                [25, 5, 0][page as usize - 1]
            );
        }
        let ids: BTreeSet<i64> = seen.iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 30, "{sort}: every company once");
        for pair in seen.windows(2) {
            let ordered = match sort {
                "name" => {
                    pair[0]["name"].as_str().unwrap().to_lowercase()
                        <= pair[1]["name"].as_str().unwrap().to_lowercase()
                }
                field => instant(&pair[0][field]) >= instant(&pair[1][field]),
            };
            assert!(ordered, "{sort}: {} then {}", pair[0], pair[1]);
        }
    }
    let bad = send(
        &server,
        "GET",
        &format!("{}?sort=domain", companies(&server)),
        None,
    )
    .await;
    assert_eq!(
        (bad.status, &bad.body["attributes"]),
        (422, &json!(["sort"]))
    );
}

#[tokio::test]
async fn an_update_keeps_what_is_left_out_clears_what_is_null_and_leads_show_it() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let id = busy_company(&server);
    let before = server.company(account, id).unwrap();
    let at = format!("{}/{id}", companies(&server));
    let changed = send(
        &server,
        "PATCH",
        &at,
        Some(&json!({"name": "Renamed Inc", "domain": null})),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_documented("update_company", &changed);
    let after = server.company(account, id).unwrap();
    assert_eq!(after.name, "Renamed Inc", "set");
    assert_eq!(after.domain, None, "null clears");
    assert_eq!(after.description, before.description, "left out: kept");
    assert_eq!(
        after.custom_attributes, before.custom_attributes,
        "left out: kept"
    );
    assert!(after.updated_at > before.updated_at && after.created_at == before.created_at);
    assert_eq!(server.company_json(account, id).unwrap(), changed.body);
    // Its leads show the company as it now is.
    for lead in server
        .leads(account)
        .iter()
        .filter(|l| l.company.as_ref().is_some_and(|c| c.id == id))
    {
        let company = lead.company.as_ref().unwrap();
        assert_eq!(
            (company.name.as_str(), company.domain.as_deref()),
            ("Renamed Inc", None)
        );
    }
    let cleared = send(&server, "PATCH", &at, Some(&json!({"description": null}))).await;
    assert_eq!(
        (
            cleared.body["description"].clone(),
            cleared.body["name"].clone()
        ),
        (Value::Null, json!("Renamed Inc"))
    );
    let blank = send(&server, "PATCH", &at, Some(&json!({"name": " "}))).await;
    assert_field_error(&blank, "name", "can't be blank");
    assert_eq!(server.company(account, id).unwrap().name, "Renamed Inc");
    let events = server.timeline(account, id);
    assert_eq!(events[0].event_type, "company_updated");
    assert_eq!(events[1].event_type, "company_updated");
    let journal: Vec<_> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.company_ids, w.name))
        .collect();
    assert_eq!(
        journal,
        [
            ("update_company", vec![id], Some("Renamed Inc".to_owned())),
            ("update_company", vec![id], Some("Renamed Inc".to_owned())),
        ]
    );
    let missing = send(
        &server,
        "PATCH",
        &format!("{}/999999", companies(&server)),
        Some(&json!({})),
    )
    .await;
    assert_eq!((missing.status, missing.body), (404, not_found()));
}

#[tokio::test]
async fn deleting_a_company_leaves_its_leads_and_contacts_in_no_company() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let id = busy_company(&server);
    let snapshot = server.account(account).unwrap();
    let leads: Vec<i64> = snapshot.leads_of(id).iter().map(|l| l.id).collect();
    let contacts: Vec<i64> = snapshot.contacts_of(id).iter().map(|c| c.id).collect();
    let at = format!("{}/{id}", companies(&server));

    let deleted = send(&server, "DELETE", &at, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        (deleted.text.as_str(), deleted.content_type.as_str()),
        ("", "")
    );
    assert_documented("delete_company", &deleted);
    assert!(server.company(account, id).is_none());
    for lead in &leads {
        let held = server.lead(account, *lead).expect("the lead stays");
        assert_eq!(held.company, None);
        let served = send(
            &server,
            "GET",
            &format!("{}/{lead}", path(account, "leads")),
            None,
        )
        .await;
        assert_eq!(served.body["company"], Value::Null, "company: null");
    }
    for contact in server
        .contacts(account)
        .iter()
        .filter(|c| contacts.contains(&c.id))
    {
        assert_eq!(contact.company_id, None, "the contact stays, in no company");
    }
    for what in ["", "/timeline", "/contacts", "/duplicates"] {
        let gone = send(&server, "GET", &format!("{at}{what}"), None).await;
        assert_eq!((gone.status, gone.body), (404, not_found()), "{what}");
    }
    let again = send(&server, "DELETE", &at, None).await;
    assert_eq!((again.status, again.body), (404, not_found()));

    let writes = server.applied_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!(
        (
            writes[0].operation,
            writes[0].company_ids.clone(),
            writes[0].lead_ids.clone(),
            writes[0].contact_ids.clone()
        ),
        ("delete_company", vec![id], leads, contacts)
    );
}

#[tokio::test]
async fn merging_moves_leads_and_contacts_deletes_the_source_and_says_so_on_the_target() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let source = busy_company(&server);
    let snapshot = server.account(account).unwrap();
    let target = snapshot
        .companies
        .iter()
        .find(|c| c.id != source)
        .unwrap()
        .id;
    let moved_leads: Vec<i64> = snapshot.leads_of(source).iter().map(|l| l.id).collect();
    let moved_contacts: Vec<i64> = snapshot.contacts_of(source).iter().map(|c| c.id).collect();
    let target_contacts = snapshot.contacts_of(target).len();
    let target_leads = snapshot.leads_of(target).len();
    let merge = format!("{}/{source}/merge", companies(&server));
    let body = json!({"target_company_id": target});

    let merged = send(&server, "POST", &merge, Some(&body)).await;
    assert_eq!(merged.status, 200, "{}", merged.text);
    assert_documented("merge_companies", &merged);
    assert_eq!(merged.body["id"], target, "the answer is the target");
    assert_eq!(
        merged.body["contacts_count"],
        (target_contacts + moved_contacts.len()) as u64
    );
    assert_eq!(server.company_json(account, target).unwrap(), merged.body);
    assert!(
        server.company(account, source).is_none(),
        "the source is deleted"
    );
    let now = server.account(account).unwrap();
    assert_eq!(now.leads_of(target).len(), target_leads + moved_leads.len());
    for lead in &moved_leads {
        assert_eq!(
            now.lead(*lead).unwrap().company.as_ref().unwrap().id,
            target
        );
    }
    let contacts: BTreeSet<i64> = server
        .company_contacts(account, target)
        .iter()
        .map(|c| c.id)
        .collect();
    assert!(moved_contacts.iter().all(|c| contacts.contains(c)));
    let listed = send(
        &server,
        "GET",
        &format!("{}/{target}/contacts", companies(&server)),
        None,
    )
    .await;
    assert_documented("list_company_contacts", &listed);
    assert_eq!(listed.body.as_array().unwrap().len(), contacts.len());

    // The target's timeline: the merge first, then what moved, then the
    // source's history.
    let timeline = send(
        &server,
        "GET",
        &format!("{}/{target}/timeline", companies(&server)),
        None,
    )
    .await;
    assert_documented("company_timeline", &timeline);
    let events = timeline.body.as_array().unwrap();
    assert_eq!(events[0]["event_type"], "companies_merged");
    assert_eq!(events[0]["actor"], server.user().to_json());
    assert!(
        events[0]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("#{source}"))
    );
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "lead_added").count(),
        moved_leads.len()
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "contact_added").count(),
        moved_contacts.len()
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "company_created").count(),
        2,
        "both histories"
    );
    for pair in events.windows(2) {
        assert!(
            instant(&pair[0]["occurred_at"]) >= instant(&pair[1]["occurred_at"]),
            "newest first"
        );
    }

    // Again: the source is gone.
    let again = send(&server, "POST", &merge, Some(&body)).await;
    assert_eq!((again.status, again.body), (404, not_found()));
    // Into itself, or into a company that does not exist.
    let itself = send(
        &server,
        "POST",
        &format!("{}/{target}/merge", companies(&server)),
        Some(&json!({"target_company_id": target})),
    )
    .await;
    assert_field_error(
        &itself,
        "target_company_id",
        "can't be the company being merged",
    );
    let nowhere = send(
        &server,
        "POST",
        &format!("{}/{target}/merge", companies(&server)),
        Some(&json!({"target_company_id": 999_999})),
    )
    .await;
    assert_eq!((nowhere.status, nowhere.body), (404, not_found()));

    let merges: Vec<_> = server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == "merge_companies")
        .collect();
    assert_eq!(merges.len(), 1, "applied once");
    assert_eq!(merges[0].company_ids, [source, target]);
    assert_eq!(merges[0].lead_ids, moved_leads);
    assert_eq!(merges[0].contact_ids, moved_contacts);
    assert_eq!(server.applied_writes().len(), 1);
}

#[tokio::test]
async fn duplicates_match_the_domain_or_the_name_without_case_or_spaces() {
    let server = MockServer::start().await;
    let original = create(
        &server,
        json!({"name": "Blue Harbor Trading", "domain": "BlueHarbor.com"}),
    )
    .await;
    let same_domain = create(
        &server,
        json!({"name": "BHT Ltd", "domain": "blueharbor.COM"}),
    )
    .await;
    let same_name = create(
        &server,
        json!({"name": "blue  harbor trading", "domain": "other.example"}),
    )
    .await;
    let spaced = create(&server, json!({"name": "BlueHarborTrading"})).await;
    let unrelated = create(
        &server,
        json!({"name": "Blue Harbor", "domain": "harbor.example"}),
    )
    .await;
    let no_domain = create(&server, json!({"name": "Quiet Co"})).await;
    let also_no_domain = create(&server, json!({"name": "Loud Co"})).await;

    let ids = |answer: &common::Answer| -> Vec<i64> {
        answer
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let duplicates = |id: i64| format!("{}/{id}/duplicates", companies(&server));
    let found = send(&server, "GET", &duplicates(original), None).await;
    assert_documented("company_duplicates", &found);
    assert_eq!(ids(&found), [same_domain, same_name, spaced]);
    assert_eq!(
        ids(&send(&server, "GET", &duplicates(same_domain), None).await),
        [original]
    );
    assert_eq!(
        ids(&send(&server, "GET", &duplicates(spaced), None).await),
        [original, same_name]
    );
    assert!(ids(&send(&server, "GET", &duplicates(unrelated), None).await).is_empty());
    assert!(
        !ids(&send(&server, "GET", &duplicates(no_domain), None).await).contains(&also_no_domain),
        "no domain is no match"
    );
    let missing = send(&server, "GET", &duplicates(999_999), None).await;
    assert_eq!((missing.status, missing.body), (404, not_found()));

    // Search: a part of the name or of the domain, ignoring case.
    let search = |q: &str| format!("{}/search?q={q}", companies(&server));
    let by_name = send(&server, "GET", &search("HARBOR"), None).await;
    assert_documented("search_companies", &by_name);
    assert_eq!(
        ids(&by_name),
        [original, same_domain, same_name, spaced, unrelated],
        "by name or domain"
    );
    assert_eq!(
        ids(&send(&server, "GET", &search("harbor.ex"), None).await),
        [unrelated]
    );
    assert_eq!(
        ids(&send(&server, "GET", &search("blueharbor.c"), None).await),
        [original, same_domain]
    );
    assert!(ids(&send(&server, "GET", &search("nothing-like-it"), None).await).is_empty());
    let held: Vec<i64> = server
        .companies(server.account_id())
        .iter()
        .filter(|c| {
            c.name.to_lowercase().contains("co")
                || c.domain
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains("co"))
        })
        .map(|c| c.id)
        .collect();
    assert_eq!(ids(&send(&server, "GET", &search("CO"), None).await), held);
    let no_q = send(
        &server,
        "GET",
        &format!("{}/search", companies(&server)),
        None,
    )
    .await;
    assert_eq!(
        (no_q.status, no_q.body),
        (
            422,
            json!({"error": "param is missing or the value is empty: q"})
        )
    );
    let empty_q = send(&server, "GET", &search(""), None).await;
    assert_eq!(empty_q.status, 422);
    assert_documented("search_companies", &empty_q);
}

#[tokio::test]
async fn contacts_move_into_a_company_and_out_of_it() {
    let server = MockServer::start().await;
    let account = server.account_id();
    let snapshot = server.account(account).unwrap();
    let contact = snapshot
        .contacts
        .iter()
        .find(|c| c.company_id.is_some())
        .unwrap()
        .clone();
    let previous = contact.company_id.unwrap();
    let company = snapshot
        .companies
        .iter()
        .find(|c| c.id != previous)
        .unwrap()
        .id;
    let add = format!("{}/{company}/contacts", companies(&server));
    let added = send(
        &server,
        "POST",
        &add,
        Some(&json!({"contact_id": contact.id})),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_documented("add_company_contact", &added);
    assert_eq!(added.body, contact.to_json());
    let held = server
        .contacts(account)
        .into_iter()
        .find(|c| c.id == contact.id)
        .unwrap();
    assert_eq!(held.company_id, Some(company), "in one company at most");
    assert!(
        !server
            .company_contacts(account, previous)
            .iter()
            .any(|c| c.id == contact.id)
    );
    assert_eq!(
        server.timeline(account, company)[0].event_type,
        "contact_added"
    );
    assert_eq!(
        server.timeline(account, previous)[0].event_type,
        "contact_removed"
    );
    // Again: it stays, nothing more happens.
    let again = send(
        &server,
        "POST",
        &add,
        Some(&json!({"contact_id": contact.id})),
    )
    .await;
    assert_eq!(again.status, 200);
    let unknown = send(&server, "POST", &add, Some(&json!({"contact_id": 999_999}))).await;
    assert_eq!((unknown.status, unknown.body), (404, not_found()));

    let remove = format!("{add}/{}", contact.id);
    let removed = send(&server, "DELETE", &remove, None).await;
    assert_eq!(removed.status, 204);
    assert_eq!(
        (removed.text.as_str(), removed.content_type.as_str()),
        ("", "")
    );
    assert_documented("remove_company_contact", &removed);
    let held = server
        .contacts(account)
        .into_iter()
        .find(|c| c.id == contact.id)
        .unwrap();
    assert_eq!(held.company_id, None, "the contact stays");
    let again = send(&server, "DELETE", &remove, None).await;
    assert_eq!(
        (again.status, again.body),
        (404, not_found()),
        "not in the company"
    );

    let journal: Vec<_> = server
        .applied_writes()
        .into_iter()
        .map(|w| (w.operation, w.company_ids, w.contact_ids, w.affected))
        .collect();
    assert_eq!(
        journal,
        [
            (
                "add_company_contact",
                vec![company, previous],
                vec![contact.id],
                1
            ),
            ("add_company_contact", vec![company], vec![contact.id], 0),
            ("remove_company_contact", vec![company], vec![contact.id], 1),
        ]
    );
}

#[tokio::test]
async fn faults_after_applying_strike_creates_and_merges_too() {
    let server = MockServer::start().await;
    let account = server.account_id();
    // A create whose answer is lost: the lead is made, once.
    server.add_fault(
        FaultRule::new(Fault::DropConnection)
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let started = now();
    let lost = reqwest::Client::new()
        .post(format!("{}{}", server.url(), path(account, "leads")))
        .header("api_access_token", server.token())
        .json(&json!({"custom_name": "Lost answer"}))
        .send()
        .await;
    assert!(lost.is_err(), "no answer");
    let made: Vec<_> = server
        .leads(account)
        .into_iter()
        .filter(|l| l.custom_name.as_deref() == Some("Lost answer"))
        .collect();
    assert_eq!(made.len(), 1);
    assert!(
        made[0].created_at >= started,
        "found by looking for a lead made after the request began"
    );
    let creates: Vec<_> = server
        .applied_writes()
        .into_iter()
        .filter(|w| w.operation == "create_lead")
        .collect();
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0].created_id, Some(made[0].id));

    // A merge answered 502 after applying; the repeat answers 404.
    let source = busy_company(&server);
    let target = server
        .companies(account)
        .iter()
        .find(|c| c.id != source)
        .unwrap()
        .id;
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 502 })
            .on_method("POST")
            .after_applying()
            .times(1),
    );
    let merge = format!("{}/{source}/merge", companies(&server));
    let failed = send(
        &server,
        "POST",
        &merge,
        Some(&json!({"target_company_id": target})),
    )
    .await;
    assert_eq!(failed.status, 502);
    assert!(server.company(account, source).is_none(), "applied");
    let again = send(
        &server,
        "POST",
        &merge,
        Some(&json!({"target_company_id": target})),
    )
    .await;
    assert_eq!(again.status, 404);

    // A fault before applying: nothing made.
    server.add_fault(
        FaultRule::new(Fault::ServerError { status: 503 })
            .on_method("POST")
            .times(1),
    );
    let refused = send(
        &server,
        "POST",
        &companies(&server),
        Some(&json!({"name": "Never"})),
    )
    .await;
    assert_eq!(refused.status, 503);
    assert!(!server.companies(account).iter().any(|c| c.name == "Never"));
    // A delete whose body would be cut has none: it answers whole.
    server.add_fault(FaultRule::new(Fault::CutBody).on_method("DELETE").times(1));
    let deleted = send(
        &server,
        "DELETE",
        &format!("{}/{target}", companies(&server)),
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);

    let operations: Vec<&str> = server
        .applied_writes()
        .iter()
        .map(|w| w.operation)
        .collect();
    assert_eq!(
        operations,
        ["create_lead", "merge_companies", "delete_company"]
    );

    // The rate limiter counts these operations like any other.
    server.set_throttle(Some(Throttle::new(2, std::time::Duration::from_secs(60))));
    assert_eq!(
        send(&server, "GET", &companies(&server), None).await.status,
        200
    );
    let note = format!("{}/{}/notes", path(account, "leads"), made[0].id);
    assert_eq!(
        send(&server, "POST", &note, Some(&json!({"content": "x"})))
            .await
            .status,
        201
    );
    let refused = send(
        &server,
        "POST",
        &companies(&server),
        Some(&json!({"name": "Late"})),
    )
    .await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (429, "Retry later")
    );
    assert!(
        !server.companies(account).iter().any(|c| c.name == "Late"),
        "not applied"
    );
}
