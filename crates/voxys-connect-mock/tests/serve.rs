//! The mock server over HTTP: filters, sorts, paging at the edges, auth, 422s,
//! faults, and every answer valid against the OpenAPI document.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use voxys_connect_mock::{Fault, FaultRule, MockServer, Throttle};
use voxys_connect_spec::Spec;

struct Answer {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn ids(&self) -> Vec<i64> {
        self.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect()
    }

    fn meta(&self) -> (u64, u64, u64) {
        let meta = &self.json()["meta"];
        let n = |k: &str| meta[k].as_u64().unwrap();
        (n("current_page"), n("total_pages"), n("total_count"))
    }
}

async fn get_with(server: &MockServer, path_and_query: &str, token: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().get(format!("{}{path_and_query}", server.url()));
    if let Some(token) = token {
        request = request.header("api_access_token", token);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (status, content_type, retry_after) = (
        response.status().as_u16(),
        header("content-type"),
        header("retry-after"),
    );
    Answer {
        status,
        content_type: content_type.unwrap_or_default(),
        retry_after,
        text: response.text().await.unwrap(),
    }
}

async fn list(server: &MockServer, query: &str) -> Answer {
    let path = format!("/api/v1/accounts/{}/leads?{query}", server.account_id());
    get_with(server, &path, Some(server.token())).await
}

/// Every lead of the first account, as the server answers them, page by page.
async fn all_pages(server: &MockServer, query: &str) -> Vec<Value> {
    let mut leads = Vec::new();
    for page in 1.. {
        let answer = list(server, &format!("{query}&per_page=100&page={page}")).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let data = answer.json()["data"].as_array().unwrap().clone();
        if data.is_empty() {
            break;
        }
        leads.extend(data);
    }
    leads
}

#[tokio::test]
async fn filters_select_exactly_the_matching_leads() {
    let server = MockServer::builder().leads(400).start().await.unwrap();
    let account = server.account(server.account_id()).unwrap();
    let ids_where = |f: &dyn Fn(&voxys_connect_mock::MockLead) -> bool| -> BTreeSet<i64> {
        account
            .leads
            .iter()
            .filter(|m| f(m))
            .map(|m| m.id)
            .collect()
    };
    let served = |leads: Vec<Value>| -> BTreeSet<i64> {
        leads.iter().map(|l| l["id"].as_i64().unwrap()).collect()
    };

    for status in ["open", "won", "lost", "snoozed"] {
        let expected = ids_where(&|m| m.status.as_str() == status);
        assert!(!expected.is_empty());
        assert_eq!(
            served(all_pages(&server, &format!("status={status}")).await),
            expected,
            "{status}"
        );
    }
    let agent = account.agents[0].id;
    let expected = ids_where(&|m| m.assigned_agent.as_ref().is_some_and(|a| a.id == agent));
    assert_eq!(
        served(all_pages(&server, &format!("assigned_agent_id={agent}")).await),
        expected
    );
    let inbox = account.inboxes[1];
    let expected = ids_where(&|m| m.source_inbox_id == Some(inbox));
    assert_eq!(
        served(all_pages(&server, &format!("source_inbox_id={inbox}")).await),
        expected
    );
    let expected = ids_where(&|m| {
        m.status.as_str() == "won" && m.assigned_agent.as_ref().is_some_and(|a| a.id == agent)
    });
    let combined = all_pages(&server, &format!("status=won&assigned_agent_id={agent}")).await;
    assert_eq!(served(combined), expected, "filters combine");
    let nobody = list(&server, "assigned_agent_id=999999").await;
    assert_eq!((nobody.ids().len(), nobody.meta()), (0, (1, 0, 0)));
}

/// The sort key of a served lead, `None` for null.
fn key(lead: &Value, field: &str) -> Option<Value> {
    let v = &lead[field];
    (!v.is_null()).then(|| v.clone())
}

fn compare(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (None, None) => Equal,
        // PostgreSQL: nulls last ascending.
        (Some(_), None) => Less,
        (None, Some(_)) => Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().unwrap().total_cmp(&y.as_f64().unwrap())
        }
        // RFC 3339 UTC timestamps sort as text.
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        other => panic!("cannot compare {other:?}"),
    }
}

#[tokio::test]
async fn every_sort_order_is_total_and_stable() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    for field in [
        "created_at",
        "updated_at",
        "lead_value",
        "position",
        "custom_name",
    ] {
        for order in ["asc", "desc"] {
            let leads = all_pages(&server, &format!("sort_by={field}&sort_order={order}")).await;
            assert_eq!(leads.len(), 300);
            for pair in leads.windows(2) {
                let (a, b) = (key(&pair[0], field), key(&pair[1], field));
                let by_key = if order == "asc" {
                    compare(&a, &b)
                } else {
                    compare(&b, &a)
                };
                let ids = (
                    pair[0]["id"].as_i64().unwrap(),
                    pair[1]["id"].as_i64().unwrap(),
                );
                assert!(
                    by_key.is_lt() || (by_key.is_eq() && ids.0 < ids.1),
                    "{field} {order}: {a:?} (#{}) before {b:?} (#{})",
                    ids.0,
                    ids.1
                );
            }
        }
    }
    // The default is created_at, descending.
    let default = list(&server, "per_page=100").await.ids();
    let explicit = list(&server, "per_page=100&sort_by=created_at&sort_order=desc")
        .await
        .ids();
    assert_eq!(default, explicit);
}

#[tokio::test]
async fn paging_arithmetic_at_the_edges() {
    let empty = MockServer::builder().leads(0).start().await.unwrap();
    let answer = list(&empty, "").await;
    assert_eq!(
        (answer.ids().len(), answer.meta()),
        (0, (1, 0, 0)),
        "no leads"
    );

    let full = MockServer::builder().leads(25).start().await.unwrap();
    let answer = list(&full, "").await;
    assert_eq!(
        (answer.ids().len(), answer.meta()),
        (25, (1, 1, 25)),
        "exactly one full page by default"
    );
    let past = list(&full, "page=2").await;
    assert_eq!(
        (past.ids().len(), past.meta()),
        (0, (2, 1, 25)),
        "page past the end"
    );

    let server = MockServer::builder().leads(230).start().await.unwrap();
    let last = list(&server, "per_page=100&page=3").await;
    assert_eq!(
        (last.ids().len(), last.meta()),
        (30, (3, 3, 230)),
        "last page short"
    );
    let hundred = list(&server, "per_page=100").await;
    assert_eq!(
        (hundred.ids().len(), hundred.meta()),
        (100, (1, 3, 230)),
        "per_page 100"
    );
    let one = list(&server, "per_page=1&page=230").await;
    assert_eq!((one.ids().len(), one.meta()), (1, (230, 230, 230)));
    // Pages tile the list: no lead twice, none missing.
    let mut tiled = Vec::new();
    for page in 1..=10 {
        tiled.extend(
            list(&server, &format!("per_page=23&page={page}"))
                .await
                .ids(),
        );
    }
    assert_eq!(
        tiled,
        list(&server, "per_page=100")
            .await
            .ids()
            .into_iter()
            .chain(list(&server, "per_page=100&page=2").await.ids())
            .chain(list(&server, "per_page=100&page=3").await.ids())
            .collect::<Vec<_>>()
    );
    assert_eq!(tiled.iter().collect::<BTreeSet<_>>().len(), 230);
}

#[tokio::test]
async fn authentication_answers_as_the_api_does() {
    let server = MockServer::builder().token("right").start().await.unwrap();
    let path = "/api/v1/accounts/1/leads";
    let missing = get_with(&server, path, None).await;
    assert_eq!(
        (missing.status, missing.json()),
        (
            401,
            serde_json::json!({"errors": ["You need to sign in or sign up before continuing."]})
        )
    );
    let wrong = get_with(&server, path, Some("wrong")).await;
    assert_eq!(
        (wrong.status, wrong.json()),
        (401, serde_json::json!({"error": "Invalid Access Token"}))
    );
    let foreign = get_with(&server, "/api/v1/accounts/3/leads", Some("right")).await;
    assert_eq!(
        (foreign.status, foreign.json()),
        (
            401,
            serde_json::json!({"error": "You are not authorized to access this account"})
        )
    );
    assert_eq!(get_with(&server, path, Some("right")).await.status, 200);
    for unknown in [
        "/api/v1/accounts/1/deals",
        "/api/v1/accounts/one/leads",
        "/",
    ] {
        let answer = get_with(&server, unknown, Some("right")).await;
        assert_eq!(
            (answer.status, answer.json()),
            (
                404,
                serde_json::json!({"error": "Resource could not be found"})
            ),
            "{unknown}"
        );
    }
}

#[tokio::test]
async fn invalid_parameters_get_the_apis_validation_body() {
    let server = MockServer::start().await;
    for (query, attribute) in [
        ("status=archived", "status"),
        ("sort_by=colour", "sort_by"),
        ("sort_order=sideways", "sort_order"),
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("assigned_agent_id=abc", "assigned_agent_id"),
        ("source_inbox_id=x1", "source_inbox_id"),
    ] {
        let answer = list(&server, query).await;
        assert_eq!(answer.status, 422, "{query}");
        let body = answer.json();
        assert_eq!(
            body["attributes"],
            serde_json::json!([attribute]),
            "{query}"
        );
        assert!(
            body["message"].as_str().unwrap().starts_with(attribute),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn an_empty_value_is_invalid_for_every_query_parameter_of_the_document() {
    let server = MockServer::start().await;
    let spec = Spec::bundled();
    let names: Vec<String> = spec
        .parameters("list_leads")
        .iter()
        .filter(|(_, p)| p["in"] == "query")
        .map(|(_, p)| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 7);
    for name in names {
        let answer = list(&server, &format!("{name}=")).await;
        assert_eq!(answer.status, 422, "{name}=: {}", answer.text);
        assert_eq!(answer.json()["attributes"], serde_json::json!([name]));
    }
}

#[tokio::test]
async fn answers_carry_a_request_id_as_rails_sends_them_and_proxy_pages_do_not() {
    let server = MockServer::start().await;
    let path = format!("/api/v1/accounts/{}/leads", server.account_id());
    let id_of = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let get = |token: &'static str| {
        reqwest::Client::new()
            .get(format!("{}{path}", server.url()))
            .header("api_access_token", token)
            .send()
    };
    let ok = reqwest::Client::new()
        .get(format!("{}{path}", server.url()))
        .header("api_access_token", server.token())
        .send()
        .await
        .unwrap();
    let first = id_of(&ok).expect("a 200 has a request id");
    assert_eq!(first.len(), 36, "a UUID: {first}");
    let refused = get("wrong").await.unwrap();
    assert_eq!(refused.status(), 401);
    let second = id_of(&refused).expect("a 401 has one");
    assert_ne!(first, second, "each request its own");
    server.add_fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1));
    assert!(id_of(&get("wrong").await.unwrap()).is_some(), "Rails' 429");
    server.add_fault(FaultRule::new(Fault::ServerError { status: 502 }).times(1));
    let proxy = get("wrong").await.unwrap();
    assert_eq!(proxy.status(), 502);
    assert_eq!(id_of(&proxy), None, "a proxy's page has none");
}

#[tokio::test]
async fn fault_rules_fail_the_next_matching_requests() {
    let server = MockServer::builder()
        .fault(FaultRule::new(Fault::RateLimited { retry_after: None }).times(1))
        .fault(
            FaultRule::new(Fault::RateLimited {
                retry_after: Some(3),
            })
            .times(1),
        )
        .start()
        .await
        .unwrap();
    let plain = list(&server, "").await;
    assert_eq!(
        (
            plain.status,
            plain.text.as_str(),
            plain.retry_after.as_deref()
        ),
        (429, "Retry later", None)
    );
    assert!(plain.content_type.starts_with("text/plain"));
    let with_header = list(&server, "").await;
    assert_eq!(
        (with_header.status, with_header.retry_after.as_deref()),
        (429, Some("3"))
    );
    assert_eq!(list(&server, "").await.status, 200, "rules are spent");

    for status in [500, 502, 503, 504] {
        server.add_fault(FaultRule::new(Fault::ServerError { status }).times(1));
        let answer = list(&server, "").await;
        assert_eq!(answer.status, status);
        assert_eq!(answer.content_type, "text/html");
        assert!(
            answer.text.contains(&format!("<title>{status} ")),
            "{}",
            answer.text
        );
    }

    server.add_fault(FaultRule::new(Fault::CutBody).on_page(2).times(1));
    assert_eq!(
        list(&server, "page=1").await.status,
        200,
        "only page 2 matches"
    );
    let url = format!("{}/api/v1/accounts/1/leads?page=2", server.url());
    // Without gzip, so that the length the body promises is the one sent.
    let response = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(&url)
        .header("api_access_token", server.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let promised = response.content_length().unwrap();
    assert!(
        response.bytes().await.is_err(),
        "the body of {promised} bytes is cut short"
    );

    server.add_fault(FaultRule::new(Fault::DropConnection).times(1));
    let dropped = reqwest::Client::new()
        .get(&url)
        .header("api_access_token", server.token())
        .send()
        .await;
    assert!(dropped.is_err(), "the connection closes unanswered");

    server.add_fault(FaultRule::new(Fault::Delay(Duration::from_millis(300))).times(1));
    let slow = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let timed_out = slow
        .get(&url)
        .header("api_access_token", server.token())
        .send()
        .await;
    assert!(timed_out.unwrap_err().is_timeout(), "the answer is delayed");
    assert_eq!(
        list(&server, "page=2").await.status,
        200,
        "every rule is spent"
    );
    assert!(server.request_count() >= 12);
}

#[tokio::test]
async fn every_answer_is_valid_against_the_openapi_document() {
    let spec = Spec::bundled();
    let server = MockServer::builder().leads(150).start().await.unwrap();
    let account = server.account_id();
    let cases: Vec<(String, Option<&str>)> = [
        "",
        "per_page=100",
        "per_page=100&page=2",
        "page=99",
        "status=won&sort_by=lead_value&sort_order=asc",
        "status=snoozed&sort_by=custom_name",
        "sort_by=position&sort_order=desc&per_page=7&page=3",
        "sort_by=updated_at&assigned_agent_id=3",
        "source_inbox_id=2&per_page=1",
        "per_page=500",
        "status=archived",
        "assigned_agent_id=abc",
    ]
    .iter()
    .map(|q| {
        (
            format!("/api/v1/accounts/{account}/leads?{q}"),
            Some(server.token()),
        )
    })
    .chain([
        (format!("/api/v1/accounts/{account}/leads"), None),
        (format!("/api/v1/accounts/{account}/leads"), Some("bad")),
        ("/api/v1/accounts/77/leads".to_owned(), Some(server.token())),
    ])
    .collect();
    let mut statuses = BTreeSet::new();
    for (path, token) in &cases {
        let answer = get_with(&server, path, *token).await;
        statuses.insert(answer.status);
        let schema = spec
            .response_schema("list_leads", answer.status, &answer.content_type)
            .unwrap_or_else(|| {
                panic!(
                    "{path}: the document has no {} {} answer",
                    answer.status, answer.content_type
                )
            });
        let validator = spec.validator(&schema).unwrap();
        let body = if answer.content_type.starts_with("application/json") {
            answer.json()
        } else {
            Value::String(answer.text.clone())
        };
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path} ({}): {errors:?}", answer.status);
    }
    assert_eq!(statuses, BTreeSet::from([200, 401, 422]));

    // Faulty answers are documented too.
    for rule in ["429", "429+retry=1", "502", "503", "504", "500"] {
        server.add_fault(rule.parse::<FaultRule>().unwrap().times(1));
        let answer = list(&server, "").await;
        let schema = spec.response_schema("list_leads", answer.status, &answer.content_type);
        assert!(
            schema.is_some(),
            "{rule}: {} {} is not in the document",
            answer.status,
            answer.content_type
        );
        assert!(
            spec.validator(&schema.unwrap())
                .unwrap()
                .is_valid(&Value::String(answer.text))
        );
    }
}

#[tokio::test]
async fn nulls_are_sent_not_left_out() {
    let server = MockServer::builder().leads(200).start().await.unwrap();
    let answer = list(&server, "per_page=100").await;
    let body = answer.json();
    let leads = body["data"].as_array().unwrap();
    // Every lead has every documented member, null or not.
    let spec = Spec::bundled();
    let documented: Vec<&String> = spec
        .get("#/components/schemas/Lead/properties")
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for lead in leads {
        for member in &documented {
            assert!(
                lead.get(member.as_str()).is_some(),
                "lead {} lacks {member}",
                lead["id"]
            );
        }
    }
    assert!(leads.iter().any(|l| l["assigned_agent"].is_null()));
    assert!(
        leads
            .iter()
            .any(|l| l["lead_value"].is_null() && l["lead_currency"].is_null())
    );
}

#[tokio::test]
async fn the_same_seed_serves_the_same_answers() {
    let a = MockServer::builder()
        .seed(5)
        .leads(50)
        .token("t")
        .start()
        .await
        .unwrap();
    let b = MockServer::builder()
        .seed(5)
        .leads(50)
        .token("t")
        .start()
        .await
        .unwrap();
    let c = MockServer::builder()
        .seed(6)
        .leads(50)
        .token("t")
        .start()
        .await
        .unwrap();
    let query = "per_page=50&sort_by=lead_value";
    assert_eq!(list(&a, query).await.text, list(&b, query).await.text);
    assert_ne!(list(&a, query).await.text, list(&c, query).await.text);
}

#[tokio::test]
async fn answers_are_gzipped_for_clients_that_ask_and_only_for_them() {
    let server = MockServer::builder().leads(300).start().await.unwrap();
    let url = format!(
        "{}/api/v1/accounts/{}/leads?per_page=100",
        server.url(),
        server.account_id()
    );
    // No automatic decoding: the bytes as they come over the wire.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let fetch = |gzip: bool| {
        let mut request = raw.get(&url).header("api_access_token", server.token());
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        async move {
            let response = request.send().await.unwrap();
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_owned());
            (encoding, response.bytes().await.unwrap())
        }
    };
    let (encoding, plain) = fetch(false).await;
    assert_eq!(encoding, None);
    let (encoding, compressed) = fetch(true).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert!(
        compressed.len() * 3 < plain.len(),
        "{} vs {}",
        compressed.len(),
        plain.len()
    );
    // It decodes to the same answer.
    let decoding = reqwest::Client::new();
    let decoded = decoding
        .get(&url)
        .header("api_access_token", server.token())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(decoded, plain);

    let without = MockServer::builder().gzip(false).start().await.unwrap();
    let response = raw
        .get(format!("{}/api/v1/accounts/1/leads", without.url()))
        .header("api_access_token", without.token())
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn the_rate_limiter_answers_as_rack_attack_does() {
    let server = MockServer::builder()
        .throttle(Throttle::new(5, Duration::from_secs(60)))
        .start()
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(list(&server, "").await.status, 200);
    }
    let url = format!(
        "{}/api/v1/accounts/{}/leads",
        server.url(),
        server.account_id()
    );
    let refused = reqwest::Client::new()
        .get(&url)
        .header("api_access_token", server.token())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let headers = refused.headers().clone();
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert!(headers.get("retry-after").is_none(), "none by default");
    assert!(
        headers.get("x-request-id").is_some(),
        "it runs inside Rails"
    );
    assert_eq!(refused.text().await.unwrap(), "Retry later");
    assert_eq!(server.throttled_count(), 1);
    // Refusals count in the fixed window too: still refused.
    assert_eq!(list(&server, "").await.status, 429);
    assert_eq!(server.throttled_count(), 2);

    // With Retry-After: the seconds left in the period.
    server.set_throttle(Some(
        Throttle::new(1, Duration::from_secs(60)).retry_after(true),
    ));
    assert_eq!(list(&server, "").await.status, 200);
    let answer = list(&server, "").await;
    assert_eq!(answer.status, 429);
    let seconds: u64 = answer.retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");

    // Lifted: everything goes through; the count of refusals stays.
    server.set_throttle(None);
    for _ in 0..20 {
        assert_eq!(list(&server, "").await.status, 200);
    }
    assert_eq!(server.throttled_count(), 3);
}
