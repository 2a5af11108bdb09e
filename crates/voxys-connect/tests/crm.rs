//! The Leads and Companies operations through the SDK's public API, against
//! the mock server over HTTP (and HTTPS), with what happened checked in the
//! mock's own state and journal, not through the SDK.

mod common;

use common::on_mock::{applied, lose_answers, mock_client, mock_server};
use std::time::Duration;

use futures::TryStreamExt;
use voxys_connect::types::{CompanySortField, LeadStatus};
use voxys_connect::{Client, Deleted, Error};
use voxys_connect_mock::{Fault, FaultRule, MockServer};

#[tokio::test]
async fn a_lead_is_created_with_every_member_sent() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let company = server.companies(account)[0].id;
    let agent = server.account(account).unwrap().agents[0].id;
    let lead = client
        .leads(account)
        .create()
        .name("Acme renewal")
        .value("15000.05".parse().unwrap())
        .currency("USD")
        .agent(agent)
        .company(company)
        .attribute("source", "fair")
        .send()
        .await
        .unwrap();
    let held = server.lead(account, lead.id).expect("the mock holds it");
    assert_eq!(held.custom_name.as_deref(), Some("Acme renewal"));
    assert_eq!(
        held.lead_value.map(|v| v.to_string()).as_deref(),
        Some("15000.05")
    );
    assert_eq!(lead.company.as_ref().map(|c| c.id), Some(company));
    assert_eq!(lead.assigned_agent.as_ref().map(|a| a.id), Some(agent));
    assert_eq!(lead.custom_attributes["source"], "fair");
    let made = applied(&server, "create_lead");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].created_id, Some(lead.id));
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_after_applying_returns_the_lead_it_made_once() {
    for fault in [
        Fault::DropConnection,
        Fault::ServerError { status: 502 },
        Fault::ServerError { status: 504 },
        Fault::CutBody,
    ] {
        let server = mock_server().await;
        lose_answers(&server, "POST", fault.clone(), 1);
        let client = mock_client(&server);
        let account = server.account_id();
        let lead = client
            .leads(account)
            .create()
            .name(format!("lost answer {fault:?}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        let made = applied(&server, "create_lead");
        assert_eq!(made.len(), 1, "{fault:?}: made once");
        assert_eq!(made[0].created_id, Some(lead.id), "{fault:?}: the one made");
    }
}

#[tokio::test]
async fn a_create_refused_before_applying_is_never_made_twice_nor_reported_made() {
    // A dropped connection before the application saw it, and the
    // application's own 500 (with a request id: it is done, made nothing).
    for fault in [Fault::DropConnection, Fault::ServerError { status: 500 }] {
        let server = mock_server().await;
        server.add_fault(FaultRule::new(fault.clone()).on_method("POST").times(1));
        let client = mock_client(&server);
        let account = server.account_id();
        let result = client
            .leads(account)
            .create()
            .name("again")
            .settle_after(Duration::from_millis(10))
            .send()
            .await;
        let made = applied(&server, "create_lead");
        match (&fault, result) {
            // The application's 500 is not a passing failure: not retried,
            // and reported as it is; nothing was made.
            (Fault::ServerError { .. }, Err(Error::Server { status: 500, .. })) => {
                assert!(made.is_empty(), "{made:?}");
            }
            // A connection dropped before applying looks, to the client,
            // like one dropped after: it looks, finds nothing, and says so
            // rather than guess.
            (Fault::DropConnection, Err(Error::OutcomeUnknown { action, look, .. })) => {
                assert!(made.is_empty(), "{made:?}");
                assert_eq!(action, "creating lead \"again\"");
                assert!(look.contains("newest leads"), "{look}");
            }
            (fault, other) => panic!("{fault:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_create_answered_500_after_saving_returns_the_lead_it_made() {
    let server = mock_server().await;
    lose_answers(&server, "POST", Fault::ServerError { status: 500 }, 1);
    let client = mock_client(&server);
    let account = server.account_id();
    let lead = client
        .leads(account)
        .create()
        .name("saved, then 500")
        .send()
        .await
        .unwrap();
    let made = applied(&server, "create_lead");
    assert_eq!(made.len(), 1, "not sent again");
    assert_eq!(made[0].created_id, Some(lead.id));
}

#[tokio::test]
async fn a_lead_create_that_sends_nothing_to_tell_its_lead_by_is_not_guessed() {
    let server = mock_server().await;
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    let client = mock_client(&server);
    let account = server.account_id();
    let error = client.leads(account).create().send().await.unwrap_err();
    let Error::OutcomeUnknown { why, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(why.contains("sent no member"), "{why}");
    assert_eq!(
        applied(&server, "create_lead").len(),
        1,
        "made once, not again"
    );
}

#[tokio::test]
async fn a_merge_of_a_missing_company_is_not_found_even_after_a_429() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let target = server.companies(account)[0].id;
    server.add_fault(
        FaultRule::new(Fault::RateLimited { retry_after: None })
            .on_method("POST")
            .times(1),
    );
    let error = client
        .companies(account)
        .merge(999_999, target)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert!(applied(&server, "merge_companies").is_empty());
}

#[tokio::test]
async fn a_create_that_cannot_be_settled_says_the_outcome_is_unknown_and_what_to_look_for() {
    let server = mock_server().await;
    // The answer is lost after the lead was made, and every read that would
    // find it fails.
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    server.add_fault(FaultRule::new(Fault::ServerError { status: 401 }).on_method("GET"));
    let client = mock_client(&server);
    let account = server.account_id();
    let error = client
        .leads(account)
        .create()
        .name("unknowable")
        .settle_after(Duration::from_millis(10))
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown {
        operation,
        why,
        look,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*operation, "create_lead");
    assert!(why.contains("looking for it failed"), "{why}");
    assert!(look.contains("voxys leads list"), "{look}");
    // It was made once, and not sent again.
    assert_eq!(applied(&server, "create_lead").len(), 1);
}

#[tokio::test]
async fn identical_creates_one_after_the_other_make_two_leads_even_when_the_second_answer_is_lost()
{
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let first = client
        .leads(account)
        .create()
        .name("twin")
        .send()
        .await
        .unwrap();
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    let second = client
        .leads(account)
        .create()
        .name("twin")
        .send()
        .await
        .unwrap();
    assert_ne!(
        first.id, second.id,
        "the first lead is not the second's answer"
    );
    let made: Vec<_> = applied(&server, "create_lead")
        .iter()
        .filter_map(|w| w.created_id)
        .collect();
    assert_eq!(made, [first.id, second.id]);
}

#[tokio::test]
async fn notes_and_companies_are_created_once_when_the_answer_is_lost() {
    let server = mock_server().await;
    lose_answers(&server, "POST", Fault::ServerError { status: 504 }, 2);
    let client = mock_client(&server);
    let account = server.account_id();
    let lead = server.leads(account)[0].id;
    let note = client
        .leads(account)
        .notes(lead)
        .create("called, no answer")
        .send()
        .await
        .unwrap();
    let company = client
        .companies(account)
        .create("Initrode")
        .domain("initrode.example")
        .send()
        .await
        .unwrap();
    let notes = server.notes(account, lead);
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.content == "called, no answer")
            .count(),
        1
    );
    assert!(notes.iter().any(|n| n.id == note.id));
    assert_eq!(applied(&server, "create_lead_note").len(), 1);
    let made = applied(&server, "create_company");
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].created_id, Some(company.id));
    assert_eq!(
        server
            .companies(account)
            .iter()
            .filter(|c| c.name == "Initrode")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_delete_retried_after_a_lost_answer_reports_it_done_and_a_missing_one_is_not_found() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let leads = server.leads(account);
    assert_eq!(
        client
            .leads(account)
            .delete(leads[0].id)
            .send()
            .await
            .unwrap(),
        Deleted::Now
    );
    lose_answers(&server, "DELETE", Fault::DropConnection, 1);
    assert_eq!(
        client
            .leads(account)
            .delete(leads[1].id)
            .send()
            .await
            .unwrap(),
        Deleted::ByEarlierAttempt
    );
    assert!(server.lead(account, leads[1].id).is_none());
    assert_eq!(applied(&server, "delete_lead").len(), 2);
    // Nothing to delete: a 404 on the first attempt is an error.
    let error = client
        .leads(account)
        .delete(leads[0].id)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::NotFound {
                operation: "delete_lead",
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_merge_whose_answer_is_lost_is_settled_by_reading_both_companies() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let companies = client.companies(account);
    let source = companies.create("Source Inc").send().await.unwrap();
    let target = companies.create("Target Inc").send().await.unwrap();
    let lead = client
        .leads(account)
        .create()
        .name("moves")
        .company(source.id)
        .send()
        .await
        .unwrap();
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    let survivor = companies.merge(source.id, target.id).send().await.unwrap();
    assert_eq!(survivor.id, target.id);
    assert!(
        server.company(account, source.id).is_none(),
        "the source is gone"
    );
    let merges = applied(&server, "merge_companies");
    assert_eq!(merges.len(), 1, "merged once");
    assert_eq!(merges[0].company_ids, [source.id, target.id]);
    let moved = server.lead(account, lead.id).unwrap();
    assert_eq!(moved.company.map(|c| c.id), Some(target.id));
    // Merging again: the source is gone.
    let again = companies
        .merge(source.id, target.id)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(again, Error::NotFound { .. }), "{again:?}");
    // A company into itself is refused before sending.
    let itself = companies
        .merge(target.id, target.id)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(itself, Error::InvalidParameter { .. }),
        "{itself:?}"
    );
}

#[tokio::test]
async fn an_update_sends_each_member_left_out_cleared_or_set() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let before = server
        .leads(account)
        .into_iter()
        .find(|l| l.company.is_some() && l.assigned_agent.is_some() && l.lead_value.is_some())
        .expect("a lead with a company, an agent and a value");
    let lead = client
        .leads(account)
        .update(before.id)
        .name("renamed")
        .clear_company()
        .send()
        .await
        .unwrap();
    assert_eq!(lead.custom_name.as_deref(), Some("renamed"));
    let held = server.lead(account, before.id).unwrap();
    assert_eq!(held.custom_name.as_deref(), Some("renamed"));
    assert!(held.company.is_none(), "cleared");
    assert_eq!(
        held.assigned_agent.map(|a| a.id),
        before.assigned_agent.map(|a| a.id),
        "kept"
    );
    assert_eq!(held.lead_value, before.lead_value, "kept");

    let company = server.companies(account)[0].clone();
    let updated = client
        .companies(account)
        .update(company.id)
        .clear_domain()
        .description("new words")
        .send()
        .await
        .unwrap();
    assert_eq!(updated.domain, None);
    let held = server.company(account, company.id).unwrap();
    assert_eq!(held.domain, None);
    assert_eq!(held.description.as_deref(), Some("new words"));
    assert_eq!(held.name, company.name, "kept");
}

#[tokio::test]
async fn a_validation_error_names_each_field_and_its_messages() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let error = client
        .leads(account)
        .create()
        .company(999_999)
        .send()
        .await
        .unwrap_err();
    let Error::Validation {
        operation, fields, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*operation, "create_lead");
    assert!(fields.contains_key("company_id"), "{fields:?}");
    let text = error.to_string();
    assert!(text.contains("company_id"), "{text}");
    assert!(text.contains("correct `company_id`"), "{text}");
    assert!(applied(&server, "create_lead").is_empty());
    // Caught before sending: an empty name, a non-positive id.
    let error = client
        .companies(account)
        .create("")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidParameter { name: "name", .. }),
        "{error:?}"
    );
    let error = client
        .leads(account)
        .create()
        .agent(0)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::InvalidParameter { name: "agent", .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn companies_are_listed_page_after_page_searched_and_matched() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let companies = client.companies(account);
    for i in 0..30 {
        companies
            .create(format!("Filler {i:02}"))
            .send()
            .await
            .unwrap();
    }
    let all: Vec<_> = companies
        .list()
        .sort(CompanySortField::Name)
        .concurrency(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mut held: Vec<i64> = server.companies(account).iter().map(|c| c.id).collect();
    let mut listed: Vec<i64> = all.iter().map(|c| c.id).collect();
    assert!(listed.len() > 25, "more than one page: {}", listed.len());
    let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "by name");
    held.sort();
    listed.sort();
    assert_eq!(listed, held, "every company, once");

    let found = companies.search("FILLER 0").send().await.unwrap();
    assert_eq!(found.len(), 10, "{found:?}");
    let one = companies
        .create("Quuxly Labs")
        .domain("quuxly.example")
        .send()
        .await
        .unwrap();
    let twin = companies.create("quuxly  LABS").send().await.unwrap();
    let same_domain = companies
        .create("Other name")
        .domain("QUUXLY.example")
        .send()
        .await
        .unwrap();
    let mut twins: Vec<i64> = companies
        .duplicates(one.id)
        .send()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    twins.sort();
    assert_eq!(twins, [twin.id, same_domain.id]);
}

#[tokio::test]
async fn contacts_notes_timeline_and_stats_read_what_the_mock_holds() {
    let server = mock_server().await;
    let client = mock_client(&server);
    let account = server.account_id();
    let company = client
        .companies(account)
        .create("Pied Piper")
        .send()
        .await
        .unwrap();
    let contact = server.contacts(account)[0].id;
    let contacts = client.companies(account).contacts(company.id);
    let added = contacts.add(contact).send().await.unwrap();
    assert_eq!(added.id, contact);
    let listed = contacts.list().send().await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [contact]);
    assert_eq!(server.company_contacts(account, company.id).len(), 1);
    assert_eq!(contacts.remove(contact).send().await.unwrap(), Deleted::Now);
    assert!(server.company_contacts(account, company.id).is_empty());
    let error = contacts.remove(contact).send().await.unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");

    let timeline = client
        .companies(account)
        .timeline(company.id)
        .send()
        .await
        .unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(kinds.len(), server.timeline(account, company.id).len());
    assert!(kinds.contains(&"contact_added"), "{kinds:?}");

    let lead = server.leads(account)[3].id;
    let notes = client.leads(account).notes(lead);
    notes.create("first").send().await.unwrap();
    notes.create("second").send().await.unwrap();
    let listed = notes.list().send().await.unwrap();
    assert_eq!(listed[0].content, "second", "newest first");
    assert_eq!(
        listed[0].author.as_ref().map(|a| a.id),
        Some(server.user().id),
        "written by the token's user"
    );

    let stats = client.leads(account).stats().send().await.unwrap();
    let held = server.leads(account);
    assert_eq!(stats.total, held.len() as i64);
    assert_eq!(
        stats.won,
        held.iter()
            .filter(|l| l.status == LeadStatus::Won.to_string())
            .count() as i64
    );
}

#[tokio::test]
async fn the_crm_operations_work_over_https_with_the_default_features() {
    let server = MockServer::builder().leads(5).tls().start().await.unwrap();
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .add_root_certificates_pem(server.ca_pem().expect("an HTTPS mock"))
        .build()
        .unwrap();
    assert!(server.url().starts_with("https://"));
    let account = server.account_id();
    let company = client
        .companies(account)
        .create("Secure Co")
        .send()
        .await
        .unwrap();
    let lead = client
        .leads(account)
        .create()
        .name("over TLS")
        .company(company.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        client.leads(account).delete(lead.id).send().await.unwrap(),
        Deleted::Now
    );
    assert_eq!(
        client
            .companies(account)
            .delete(company.id)
            .send()
            .await
            .unwrap(),
        Deleted::Now
    );
    assert!(server.company(account, company.id).is_none());
}

#[tokio::test]
async fn a_client_told_to_stop_retrying_ends_its_calls_after_the_attempt_under_way() {
    let server = mock_server().await;
    let account = server.account_id();
    let lead = server.leads(account)[0].id;
    // Every read meets a proxy's 503: it would be retried for minutes.
    server.add_fault(FaultRule::new(Fault::ServerError { status: 503 }).on_method("GET"));
    let client = Client::builder()
        .token(server.token())
        .base_url(server.url())
        .retry_policy(
            voxys_connect::RetryPolicy::default()
                .max_attempts(50)
                .initial_backoff(Duration::from_secs(20))
                .max_backoff(Duration::from_secs(20))
                .max_elapsed(Duration::from_secs(600)),
        )
        .build()
        .unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move { client.leads(account).get(lead).send().await }
    });
    // Once the server has answered the first attempt...
    while server.request_count() < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.stop_retrying();
    let at_stop = server.request_count();
    // ...the call ends without waiting out its backoff, and nothing more is
    // sent than the attempt that may have been under way.
    let result = tokio::time::timeout(Duration::from_secs(15), call)
        .await
        .expect("the call ends without its retries")
        .unwrap();
    let error = result.unwrap_err();
    assert!(
        matches!(error, Error::Server { status: 503, .. }),
        "{error:?}"
    );
    assert!(
        server.request_count() <= at_stop + 1,
        "nothing retried after the stop"
    );
    // A new call goes once.
    let before = server.request_count();
    client.leads(account).get(lead).send().await.unwrap_err();
    assert_eq!(server.request_count(), before + 1);
    // A create whose answer is lost is not looked for any more: unknown.
    server.clear_faults();
    lose_answers(&server, "POST", Fault::DropConnection, 1);
    let error = client
        .leads(account)
        .create()
        .name("after the stop")
        .send()
        .await
        .unwrap_err();
    let Error::OutcomeUnknown { why, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(why.contains("stop retrying"), "{why}");
}
