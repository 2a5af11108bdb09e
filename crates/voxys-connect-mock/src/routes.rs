//! The router, made from the document: every operation at its method and
//! path, with what the document says every operation does (the token, the
//! account, the path, query and body checked against their schemas, the
//! status of success) done here once, and the operation's own work done by
//! its handler from [`HANDLERS`].

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawPathParams, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, Method, Response, StatusCode};
use axum::routing::{MethodFilter, on};
use serde_json::json;
use voxys_connect_spec::Spec;

use crate::bodies::RequestBody;
use crate::document::{self, DocumentOperation};
use crate::operations::{Call, HANDLERS, Handler};
use crate::params::{Params, PathRefusal, Rejected};
use crate::respond::{
    INVALID_TOKEN, MISSING_TOKEN, Refusal, empty_response, error_response, json_response,
    not_found, unprocessable,
};
use crate::state::Shared;

/// The path parameter that names the account: every path of the API lives
/// under `/api/v1/accounts/{account_id}`.
const ACCOUNT: &str = "account_id";

/// The document and the mock's table of handlers disagree: the server does
/// not start with such a document, and [`check_document`] says so.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocumentMismatch {
    /// Operation ids of the document that the mock has no handler for.
    pub without_handler: Vec<String>,
    /// Operation ids the mock has a handler for that the document lacks.
    pub not_in_document: Vec<String>,
    /// What else stops the mock from serving the document (an operation
    /// without an id, a parameter without a schema...).
    pub unreadable: Vec<String>,
}

impl fmt::Display for DocumentMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if !self.without_handler.is_empty() {
            parts.push(format!(
                "the mock server has no handler for {} of the document",
                self.without_handler.join(", ")
            ));
        }
        if !self.not_in_document.is_empty() {
            parts.push(format!(
                "the document has no operation {} that the mock server handles",
                self.not_in_document.join(", ")
            ));
        }
        parts.extend(self.unreadable.iter().cloned());
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for DocumentMismatch {}

/// Checks that the mock can serve `spec`: each of its operations has a
/// handler in the mock's table ([`operations`](crate::operations)), each
/// handler's operation is in it, and what the routes read from it reads (an
/// id for each operation, a schema for each parameter and body, a success
/// status). [`MockServerBuilder::start`](crate::MockServerBuilder::start)
/// runs the same check on the bundled document and returns its error
/// (`InvalidData`) instead of starting; contract tests call it to say which
/// operation lacks a mock route.
///
/// ```
/// use voxys_connect_spec::Spec;
///
/// assert_eq!(voxys_connect_mock::check_document(&Spec::bundled()), Ok(()));
/// ```
pub fn check_document(spec: &Spec) -> Result<(), DocumentMismatch> {
    routes(spec).map(drop)
}

/// One operation, as the router serves it.
struct Route {
    method: Method,
    path: String,
    /// The names of the path's parameters, in the order it names them.
    path_names: Vec<String>,
    secured: bool,
    path_params: Params,
    query: Params,
    body: Option<RequestBody>,
    success: StatusCode,
    handler: Handler,
}

/// Every operation of the document, read, and matched with its handler.
fn routes(spec: &Spec) -> Result<Vec<Route>, DocumentMismatch> {
    let mut mismatch = DocumentMismatch {
        without_handler: Vec::new(),
        not_in_document: Vec::new(),
        unreadable: Vec::new(),
    };
    let operations = match document::operations(spec) {
        Ok(operations) => operations,
        Err(e) => {
            mismatch.unreadable.push(e);
            Vec::new()
        }
    };
    let bounded = match document::with_integer_ranges(spec) {
        Ok(bounded) => bounded,
        Err(e) => {
            mismatch.unreadable.push(e);
            return Err(mismatch);
        }
    };
    let mut routes = Vec::new();
    for operation in &operations {
        match HANDLERS.iter().find(|(id, _)| *id == operation.id) {
            None => mismatch.without_handler.push(operation.id.clone()),
            Some((_, handler)) => match route(&bounded, operation, *handler) {
                Ok(route) => routes.push(route),
                Err(e) => mismatch.unreadable.push(format!("{}: {e}", operation.id)),
            },
        }
    }
    for (id, _) in HANDLERS {
        if !operations.iter().any(|op| op.id == *id) {
            mismatch.not_in_document.push((*id).to_owned());
        }
    }
    if mismatch.without_handler.is_empty()
        && mismatch.not_in_document.is_empty()
        && mismatch.unreadable.is_empty()
    {
        Ok(routes)
    } else {
        Err(mismatch)
    }
}

/// What the router needs of one operation, from the document (integer
/// ranges written in).
fn route(spec: &Spec, operation: &DocumentOperation, handler: Handler) -> Result<Route, String> {
    let method = Method::from_bytes(operation.method.to_uppercase().as_bytes())
        .map_err(|e| e.to_string())?;
    let path_names = operation
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(str::to_owned)
        .collect();
    let body = match spec.request_schema(&operation.id) {
        Some(_) => Some(RequestBody::of(spec, &operation.id)?),
        None => None,
    };
    let success = document::success_status(spec, operation)?;
    Ok(Route {
        method,
        path: operation.path.clone(),
        path_names,
        secured: document::secured(spec, operation),
        path_params: Params::of(spec, &operation.id, "path")?,
        query: Params::of(spec, &operation.id, "query")?,
        body,
        success: StatusCode::from_u16(success).map_err(|e| e.to_string())?,
        handler,
    })
}

/// The routes of every operation, at the document's paths (its templates
/// are axum's too: `{account_id}`). A path the document does not have, or a
/// method it does not have for that path, is not found, as Rails answers
/// a request no route matches.
pub(crate) fn router(spec: &Spec, shared: Arc<Shared>) -> Result<Router, DocumentMismatch> {
    let mut router: Router<Arc<Shared>> = Router::new();
    for route in routes(spec)? {
        let filter =
            MethodFilter::try_from(route.method.clone()).map_err(|e| DocumentMismatch {
                without_handler: Vec::new(),
                not_in_document: Vec::new(),
                unreadable: vec![format!("{} {}: {e}", route.method, route.path)],
            })?;
        let path = route.path.clone();
        let route = Arc::new(route);
        router = router.route(
            &path,
            on(
                filter,
                move |State(shared): State<Arc<Shared>>,
                      params: RawPathParams,
                      RawQuery(query): RawQuery,
                      headers: HeaderMap,
                      body: Bytes| async move {
                    answer(&route, &shared, &params, query.as_deref(), &headers, body)
                },
            ),
        );
    }
    Ok(router
        .fallback(not_found_handler)
        .method_not_allowed_fallback(not_found_handler)
        .with_state(shared))
}

async fn not_found_handler() -> Response<Body> {
    not_found()
}

/// Answers one request of one operation, in the order the API checks: the
/// token (401), the account (404 when its segment is no integer, 422 when
/// its schema refuses it, 401 when the user is not a member of it), the
/// other path parameters (404, 422), the query (422), the body (422); then
/// the handler, whose reply goes with the document's success status (or
/// the builder's for a `201`).
fn answer(
    route: &Route,
    shared: &Shared,
    params: &RawPathParams,
    query: Option<&str>,
    headers: &HeaderMap,
    raw: Bytes,
) -> Response<Body> {
    if route.secured
        && let Some(refused) = authenticate(&shared.token_header, &shared.token, headers)
    {
        return refused;
    }
    // The path in its order: the account first, and a member's 401 before
    // anything about the rest.
    let mut account_id = None;
    let mut path = Vec::new();
    for name in &route.path_names {
        let text = params
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v);
        let value = match route.path_params.read_segment(name, text) {
            Ok(value) => value,
            Err(refusal) => return path_refused(refusal),
        };
        if name == ACCOUNT {
            match value.as_i64() {
                Some(id) if shared.store().account(id).is_some() => account_id = Some(id),
                _ => return Refusal::NotAMember.response(),
            }
        } else {
            path.push((name.clone(), value));
        }
    }
    let query = match route.query.read(query) {
        Ok(query) => query,
        Err(rejected) => return invalid(rejected),
    };
    let body = match &route.body {
        None => serde_json::Value::Null,
        Some(reader) => match reader.read(&raw) {
            Ok(body) => body,
            Err(error) => return unprocessable(error),
        },
    };
    let call = Call {
        account_id,
        path,
        query,
        body,
        raw,
    };
    match (route.handler)(shared, &call) {
        Ok(reply) => {
            let status = if route.success == StatusCode::CREATED {
                shared.created_status
            } else {
                route.success
            };
            match reply.0 {
                Some(json) => json_response(status, json),
                None => empty_response(status),
            }
        }
        Err(refusal) => refusal.response(),
    }
}

/// The token check: `None` when the right token came, else the 401 as
/// Chatwoot answers it.
fn authenticate(header: &HeaderName, token: &str, headers: &HeaderMap) -> Option<Response<Body>> {
    match headers.get(header) {
        None => Some(error_response(
            StatusCode::UNAUTHORIZED,
            json!({"errors": [MISSING_TOKEN]}),
        )),
        Some(given) if given.as_bytes() != token.as_bytes() => Some(error_response(
            StatusCode::UNAUTHORIZED,
            json!({"error": INVALID_TOKEN}),
        )),
        Some(_) => None,
    }
}

fn path_refused(refusal: PathRefusal) -> Response<Body> {
    match refusal {
        PathRefusal::NotFound => not_found(),
        PathRefusal::Invalid(rejected) => invalid(rejected),
    }
}

/// The 422 of a parameter its schema refuses.
fn invalid(rejected: Rejected) -> Response<Body> {
    Refusal::invalid(rejected.attribute, rejected.message).response()
}
