//! The API's operations: authentication, parameters and bodies checked as the
//! document declares them, then the listing or the change, answered as the
//! API answers.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, Response, StatusCode};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};
use voxys_connect_spec::Spec;

use crate::bodies::RequestBody;
use crate::listing::{ListRequest, SortField};
use crate::params::QueryParams;
use crate::server::{Shared, error_response, json_response};
use crate::store::{BulkAction, Notes, Refusal, Store};

/// The API's messages, as Chatwoot words them.
const MISSING_TOKEN: &str = "You need to sign in or sign up before continuing.";
const INVALID_TOKEN: &str = "Invalid Access Token";
const NOT_A_MEMBER: &str = "You are not authorized to access this account";
pub(crate) const NOT_FOUND: &str = "Resource could not be found";

/// What the routes read from the document: the token header, and each
/// operation's query parameters and request body.
pub(crate) struct Api {
    token_header: HeaderName,
    list_params: QueryParams,
    card_params: QueryParams,
    status_body: RequestBody,
    bulk_body: RequestBody,
    convert_body: RequestBody,
}

impl Api {
    pub(crate) fn of(spec: &Spec) -> Result<Api, String> {
        Ok(Api {
            token_header: spec
                .api_key_header()
                .and_then(|name| HeaderName::try_from(name).ok())
                .ok_or("the OpenAPI document names no API key header")?,
            list_params: QueryParams::of(spec, "list_leads")?,
            card_params: QueryParams::of(spec, "list_funnel_cards")?,
            status_body: RequestBody::of(spec, "update_lead_status")?,
            bulk_body: RequestBody::of(spec, "bulk_lead_action")?,
            convert_body: RequestBody::of(spec, "convert_lead")?,
        })
    }
}

/// The routes of every operation, at the document's paths (its templates
/// are axum's too: `{account_id}`).
pub(crate) fn router(spec: &Spec, shared: Arc<Shared>) -> Result<Router, String> {
    let path = |operation: &str| {
        spec.operation(operation)
            .map(|op| op.path)
            .ok_or_else(|| format!("the OpenAPI document has no {operation} operation"))
    };
    Ok(Router::new()
        .route(&path("list_leads")?, get(list_leads))
        .route(&path("update_lead_status")?, patch(update_lead_status))
        .route(&path("bulk_lead_action")?, post(bulk_lead_action))
        .route(&path("convert_lead")?, post(convert_lead))
        .route(&path("list_funnel_cards")?, get(list_funnel_cards))
        .fallback(not_found)
        .with_state(shared))
}

async fn not_found() -> Response<Body> {
    error_response(StatusCode::NOT_FOUND, json!({"error": NOT_FOUND}))
}

fn unprocessable(body: Value) -> Response<Body> {
    error_response(StatusCode::UNPROCESSABLE_ENTITY, body)
}

/// The answer for a refused write.
fn refused(refusal: Refusal) -> Response<Body> {
    match refusal {
        Refusal::NotFound => error_response(StatusCode::NOT_FOUND, json!({"error": NOT_FOUND})),
        Refusal::Invalid { message, attribute } => {
            unprocessable(json!({"message": message, "attributes": [attribute]}))
        }
    }
}

/// Authentication, then membership, as the API checks them: a missing token,
/// a wrong one, an account the user is not a member of (401, as the API
/// answers), a path segment that is no account id (404). The account's id.
#[allow(clippy::result_large_err)]
fn member(shared: &Shared, headers: &HeaderMap, account_id: &str) -> Result<i64, Response<Body>> {
    match headers.get(&shared.api.token_header) {
        None => {
            return Err(error_response(
                StatusCode::UNAUTHORIZED,
                json!({"errors": [MISSING_TOKEN]}),
            ));
        }
        Some(given) if given.as_bytes() != shared.token.as_bytes() => {
            return Err(error_response(
                StatusCode::UNAUTHORIZED,
                json!({"error": INVALID_TOKEN}),
            ));
        }
        Some(_) => {}
    }
    let Ok(id) = account_id.parse::<i64>() else {
        return Err(error_response(
            StatusCode::NOT_FOUND,
            json!({"error": NOT_FOUND}),
        ));
    };
    if shared.store().account(id).is_none() {
        return Err(error_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": NOT_A_MEMBER}),
        ));
    }
    Ok(id)
}

/// An id from the path; a segment that is not one answers 404.
#[allow(clippy::result_large_err)]
fn path_id(segment: &str) -> Result<i64, Response<Body>> {
    segment
        .parse()
        .map_err(|_| error_response(StatusCode::NOT_FOUND, json!({"error": NOT_FOUND})))
}

/// The query parameters, checked; a 422 otherwise.
#[allow(clippy::result_large_err)]
fn query(
    params: &QueryParams,
    raw: Option<&str>,
) -> Result<BTreeMap<String, Value>, Response<Body>> {
    params.read(raw).map_err(|rejected| {
        unprocessable(json!({"message": rejected.message, "attributes": [rejected.attribute]}))
    })
}

/// Runs a change on the store, under its write lock.
fn write<T>(shared: &Shared, change: impl FnOnce(&mut Store) -> T) -> T {
    let mut store = shared
        .store
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    change(&mut store)
}

/// `GET /api/v1/accounts/{account_id}/leads`.
async fn list_leads(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response<Body> {
    let account_id = match member(&shared, &headers, &account_id) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let params = match query(&shared.api.list_params, raw.as_deref()) {
        Ok(params) => params,
        Err(answer) => return answer,
    };
    let request = match list_request(&params) {
        Ok(request) => request,
        Err((attribute, message)) => {
            return unprocessable(json!({"message": message, "attributes": [attribute]}));
        }
    };
    let store = shared.store();
    match store.account(account_id) {
        Some((account, index)) => json_response(StatusCode::OK, index.list(account, &request)),
        None => error_response(StatusCode::UNAUTHORIZED, json!({"error": NOT_A_MEMBER})),
    }
}

/// The checked parameters as a listing request.
fn list_request(params: &BTreeMap<String, Value>) -> Result<ListRequest, (&'static str, String)> {
    let number = |name: &str| params.get(name).and_then(Value::as_u64);
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    let sort_name = text("sort_by").unwrap_or("created_at");
    let sort_by = SortField::from_wire(sort_name).ok_or_else(|| {
        (
            "sort_by",
            format!("sorting by {sort_name} is not supported by the mock server yet"),
        )
    })?;
    Ok(ListRequest {
        status: text("status").map(str::to_owned),
        assigned_agent_id: params.get("assigned_agent_id").and_then(Value::as_i64),
        source_inbox_id: params.get("source_inbox_id").and_then(Value::as_i64),
        sort_by,
        descending: text("sort_order") != Some("asc"),
        page: number("page").unwrap_or(1).max(1),
        per_page: number("per_page").unwrap_or(25).max(1),
    })
}

/// `PATCH /api/v1/accounts/{account_id}/leads/{id}/status`.
async fn update_lead_status(
    State(shared): State<Arc<Shared>>,
    Path((account_id, lead_id)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response<Body> {
    let (account_id, lead_id) = match (member(&shared, &headers, &account_id), path_id(&lead_id)) {
        (Ok(account), Ok(lead)) => (account, lead),
        (Err(answer), _) | (_, Err(answer)) => return answer,
    };
    let body = match shared.api.status_body.read(&raw) {
        Ok(body) => body,
        Err(error) => return unprocessable(error),
    };
    let status = body["status"].as_str().unwrap_or_default();
    let notes = match body.get("notes") {
        None => Notes::Keep,
        Some(Value::String(text)) => Notes::Set(text.clone()),
        Some(_) => Notes::Clear,
    };
    match write(&shared, |store| {
        store.update_status(account_id, lead_id, status, notes)
    }) {
        Ok(lead) => json_response(StatusCode::OK, lead.to_string()),
        Err(refusal) => refused(refusal),
    }
}

/// `POST /api/v1/accounts/{account_id}/leads/bulk`.
async fn bulk_lead_action(
    State(shared): State<Arc<Shared>>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response<Body> {
    let account_id = match member(&shared, &headers, &account_id) {
        Ok(id) => id,
        Err(answer) => return answer,
    };
    let body = match shared.api.bulk_body.read(&raw) {
        Ok(body) => body,
        Err(error) => return unprocessable(error),
    };
    let lead_ids: Vec<i64> = body["lead_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let action = match body["action_type"].as_str() {
        Some("assign") => BulkAction::Assign(
            body["params"]["assigned_agent_id"]
                .as_i64()
                .unwrap_or_default(),
        ),
        Some("status_change") => BulkAction::SetStatus(
            body["params"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        _ => BulkAction::Delete,
    };
    match write(&shared, |store| store.bulk(account_id, &lead_ids, action)) {
        Ok(affected) => json_response(
            StatusCode::OK,
            json!({"success": true, "affected_count": affected}).to_string(),
        ),
        Err(refusal) => refused(refusal),
    }
}

/// `POST /api/v1/accounts/{account_id}/leads/{lead_id}/convert`.
async fn convert_lead(
    State(shared): State<Arc<Shared>>,
    Path((account_id, lead_id)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Bytes,
) -> Response<Body> {
    let (account_id, lead_id) = match (member(&shared, &headers, &account_id), path_id(&lead_id)) {
        (Ok(account), Ok(lead)) => (account, lead),
        (Err(answer), _) | (_, Err(answer)) => return answer,
    };
    let body = match shared.api.convert_body.read(&raw) {
        Ok(body) => body,
        Err(error) => return unprocessable(error),
    };
    let funnel_id = body["funnel_id"].as_i64().unwrap_or_default();
    let stage = body.get("funnel_stage_id").and_then(Value::as_i64);
    match write(&shared, |store| {
        store.convert(account_id, lead_id, funnel_id, stage)
    }) {
        Ok(card) => json_response(StatusCode::OK, card.to_string()),
        Err(refusal) => refused(refusal),
    }
}

/// `GET /api/v1/accounts/{account_id}/funnels/{id}/cards`.
async fn list_funnel_cards(
    State(shared): State<Arc<Shared>>,
    Path((account_id, funnel_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response<Body> {
    let (account_id, funnel_id) =
        match (member(&shared, &headers, &account_id), path_id(&funnel_id)) {
            (Ok(account), Ok(funnel)) => (account, funnel),
            (Err(answer), _) | (_, Err(answer)) => return answer,
        };
    let params = match query(&shared.api.card_params, raw.as_deref()) {
        Ok(params) => params,
        Err(answer) => return answer,
    };
    let store = shared.store();
    let Some((account, _)) = store.account(account_id) else {
        return error_response(StatusCode::UNAUTHORIZED, json!({"error": NOT_A_MEMBER}));
    };
    let Some(funnel) = account.funnel(funnel_id) else {
        return error_response(StatusCode::NOT_FOUND, json!({"error": NOT_FOUND}));
    };
    let status = params.get("lead_status").and_then(Value::as_str);
    let stage = params.get("stage_id").and_then(Value::as_i64);
    // By stage, then by position in it, then by id.
    let stage_order = |id: Option<i64>| {
        funnel
            .stages
            .iter()
            .position(|s| Some(s.id) == id)
            .unwrap_or(usize::MAX)
    };
    let mut cards: Vec<_> = account
        .cards
        .iter()
        .filter(|c| c.funnel_id == funnel_id)
        .filter(|c| stage.is_none_or(|s| c.funnel_stage_id == Some(s)))
        .filter(|c| status.is_none_or(|s| account.lead(c.lead_id).is_some_and(|l| l.status == s)))
        .collect();
    cards.sort_by_key(|c| (stage_order(c.funnel_stage_id), c.position, c.id));
    let cards: Vec<Value> = cards.iter().filter_map(|c| account.card_json(c)).collect();
    json_response(StatusCode::OK, Value::Array(cards).to_string())
}
