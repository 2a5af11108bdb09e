//! Bad input from the network: whatever the body, the SDK never panics and
//! always answers with a typed error (or, for a body that happens to be valid,
//! a page). Property tests, through the public API, against a local server.

use std::sync::{Arc, Mutex, OnceLock};

use proptest::prelude::*;
use serde_json::{Value, json};
use voxys_connect::pagination::Page;
use voxys_connect::types::Lead;
use voxys_connect::{Client, Error, RetryPolicy};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// One server for every case: it answers with whatever body the case sets.
struct Harness {
    runtime: tokio::runtime::Runtime,
    body: Arc<Mutex<Vec<u8>>>,
    client: Client,
    _server: MockServer,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let body: Arc<Mutex<Vec<u8>>> = Arc::default();
        let served = body.clone();
        let server = runtime.block_on(async move {
            let server = MockServer::start().await;
            Mock::given(any_request())
                .respond_with(move |_: &Request| {
                    ResponseTemplate::new(200)
                        .set_body_raw(served.lock().unwrap().clone(), "application/json")
                })
                .mount(&server)
                .await;
            server
        });
        let client = Client::builder()
            .token("bad-input-token")
            .base_url(server.uri())
            .retry_policy(RetryPolicy::disabled())
            .max_response_bytes(4 * 1024 * 1024)
            .build()
            .unwrap();
        Harness {
            runtime,
            body,
            client,
            _server: server,
        }
    })
}

/// What the SDK makes of a 200 answer with this body.
fn list_with_body(body: Vec<u8>) -> Result<Page<Lead>, Error> {
    // One case at a time uses the server, whichever test it belongs to.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let h = harness();
    *h.body.lock().unwrap() = body;
    h.runtime.block_on(h.client.leads(1).list().send())
}

/// A valid page of three leads.
fn valid_page() -> Value {
    let lead = |id: i64| {
        json!({
            "id": id, "custom_name": "Acme Corp - Renewal", "status": "open", "lead_value": 15000.5,
            "lead_currency": "USD", "position": 1, "notes": "Met at \"SaaStr\", follow up",
            "assigned_agent": {"id": 1, "name": "Jane Smith", "email": "jane@example.com", "avatar_url": ""},
            "company": {"id": 10, "name": "Acme Corp", "domain": "acme.com"},
            "conversation_id": 100, "custom_attributes": {"industry": "Technology", "tags": ["a", "b"]},
            "created_at": "2023-11-07T05:31:56Z", "updated_at": "2023-11-07T05:31:56Z"
        })
    };
    json!({"data": [lead(1), lead(2), lead(3)], "meta": {"current_page": 1, "total_pages": 1, "total_count": 3}})
}

fn assert_typed(result: &Result<Page<Lead>, Error>) {
    if let Err(error) = result {
        assert!(
            matches!(error, Error::Decode { .. }),
            "a decode error, got {error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.contains("list_leads") && shown.contains("could not decode"),
            "{shown}"
        );
        assert!(!shown.contains("bad-input-token"));
    }
}

/// Members of the valid page, with values of the right type but outside
/// what the member accepts.
const MEMBERS: [&str; 21] = [
    "/data/1/id",
    "/data/1/custom_name",
    "/data/1/status",
    "/data/1/lead_value",
    "/data/1/lead_currency",
    "/data/1/position",
    "/data/1/notes",
    "/data/1/assigned_agent",
    "/data/1/assigned_agent/id",
    "/data/1/assigned_agent/name",
    "/data/1/assigned_agent/email",
    "/data/1/company",
    "/data/1/company/id",
    "/data/1/company/name",
    "/data/1/conversation_id",
    "/data/1/custom_attributes",
    "/data/1/created_at",
    "/data/1/updated_at",
    "/meta/current_page",
    "/meta/total_pages",
    "/data",
];

fn wrong_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(true)),
        Just(json!([1, 2])),
        Just(json!({"x": 1})),
        Just(json!(-7)),
        Just(json!(1.5e300)),
        "[a-z ]{0,12}".prop_map(Value::String),
        Just(Value::Null),
    ]
}

/// Whether `value` is acceptable for `member` (the SDK must then decode it).
fn acceptable(member: &str, value: &Value) -> bool {
    let leaf = member.rsplit('/').next().unwrap();
    match (leaf, value) {
        (_, Value::Null) => matches!(
            leaf,
            "custom_name"
                | "lead_value"
                | "lead_currency"
                | "position"
                | "notes"
                | "assigned_agent"
                | "email"
                | "company"
                | "conversation_id"
        ),
        (
            "custom_name" | "lead_currency" | "notes" | "name" | "email" | "status",
            Value::String(_),
        ) => true,
        ("custom_attributes", Value::Object(_)) => true,
        // A status the SDK does not know is kept, not refused.
        ("lead_value", Value::Number(n)) => n.as_f64().is_some_and(|f| f.abs() < 1e28),
        ("lead_value", Value::String(s)) => s.trim().parse::<rust_decimal::Decimal>().is_ok(),
        ("id" | "position" | "conversation_id", Value::Number(n)) => n.is_i64(),
        ("current_page" | "total_pages", Value::Number(n)) => n.is_u64(),
        ("current_page" | "total_pages", Value::String(s)) => s.trim().parse::<u64>().is_ok(),
        _ => false,
    }
}

/// `data[1].assigned_agent.id` for `/data/1/assigned_agent/id`.
fn serde_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        if segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(segment);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_give_a_typed_error(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let result = list_with_body(body);
        assert_typed(&result);
    }

    #[test]
    fn a_truncated_page_is_a_decode_error(cut in 0usize..1000) {
        let full = serde_json::to_vec(&valid_page()).unwrap();
        let cut = cut.min(full.len() - 1);
        let result = list_with_body(full[..cut].to_vec());
        prop_assert!(matches!(result, Err(Error::Decode { .. })), "{result:?}");
        assert_typed(&result);
    }

    #[test]
    fn a_mutated_page_decodes_or_gives_a_typed_error(
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut body = serde_json::to_vec(&valid_page()).unwrap();
        for (at, byte) in flips {
            let i = at.index(body.len());
            body[i] = byte;
        }
        assert_typed(&list_with_body(body));
    }

    #[test]
    fn a_wrong_type_in_any_member_is_refused_by_path(
        member in proptest::sample::select(MEMBERS.to_vec()),
        value in wrong_value(),
    ) {
        let mut page = valid_page();
        *page.pointer_mut(member).unwrap() = value.clone();
        let result = list_with_body(serde_json::to_vec(&page).unwrap());
        if acceptable(member, &value) {
            prop_assert!(result.is_ok(), "{member} = {value} must decode: {result:?}");
        } else {
            match &result {
                Err(Error::Decode { path, .. }) => prop_assert!(
                    path.starts_with(&serde_path(member)) || member == "/data",
                    "{member} = {value}: the error names {path}"
                ),
                other => prop_assert!(false, "{member} = {value}: expected a decode error, got {other:?}"),
            }
        }
    }

    #[test]
    fn very_long_strings_decode_whole(len in 1usize..200_000) {
        let mut page = valid_page();
        let long = "é".repeat(len);
        page["data"][0]["notes"] = json!(long);
        let page = list_with_body(serde_json::to_vec(&page).unwrap()).unwrap();
        prop_assert_eq!(page.items()[0].notes.as_deref(), Some(long.as_str()));
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let body = format!(
        r#"{{"data":[{{"id":1,"status":"open","created_at":"2023-11-07T05:31:56Z","updated_at":"2023-11-07T05:31:56Z","custom_attributes":{{"deep":{nested}}}}}],"meta":{{"current_page":1,"total_pages":1,"total_count":1}}}}"#
    );
    let result = list_with_body(body.into_bytes());
    match &result {
        Err(Error::Decode { message, .. }) => {
            assert!(message.contains("recursion limit"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // Nesting a real attribute might have is fine.
    let shallow = format!("{}1{}", "[".repeat(50), "]".repeat(50));
    let mut page = valid_page();
    page["data"][0]["custom_attributes"]["deep"] = serde_json::from_str(&shallow).unwrap();
    assert!(list_with_body(serde_json::to_vec(&page).unwrap()).is_ok());
}

#[test]
fn a_body_far_larger_than_any_page_is_refused() {
    // 4 MiB is this harness's limit (16 MiB by default).
    let mut page = valid_page();
    page["data"][0]["notes"] = json!("x".repeat(5 * 1024 * 1024));
    let result = list_with_body(serde_json::to_vec(&page).unwrap());
    match &result {
        Err(error @ Error::BodyTooLarge { limit, .. }) => {
            assert_eq!(*limit, 4 * 1024 * 1024);
            assert!(error.to_string().contains("max_response_bytes"), "{error}");
            assert!(!error.is_retryable());
        }
        other => panic!("{other:?}"),
    }
}
