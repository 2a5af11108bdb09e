//! [`MockServer`]: the HTTP server, its routes, authentication and faults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower::ServiceExt;
use voxys_connect_spec::Spec;

use crate::data::{Account, Agent, Card, Dataset, DatasetSpec, Funnel, MockLead, Stage};
use crate::faults::{Fault, FaultRule, Faults, proxy_page};
use crate::records::{CardEvent, Contact, Conversation, MockCompany, Note, Task, TimelineEvent};
use crate::respond::{server_error, text_response};
use crate::routes;
use crate::state::Shared;
use crate::store::{AppliedWrite, Store};
use crate::throttle::{Limiter, Throttle, Verdict};
use crate::tls::{self, Tls};

/// Configures a [`MockServer`].
#[derive(Clone, Debug)]
#[must_use]
pub struct MockServerBuilder {
    data: DatasetSpec,
    token: Option<String>,
    latency: Duration,
    faults: Vec<FaultRule>,
    addr: SocketAddr,
    tls_names: Option<Vec<String>>,
    gzip: bool,
    throttle: Option<Throttle>,
    created_status: Option<u16>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            data: DatasetSpec::default(),
            token: None,
            latency: Duration::ZERO,
            faults: Vec::new(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls_names: None,
            gzip: true,
            throttle: None,
            created_status: None,
        }
    }
}

impl MockServerBuilder {
    /// The seed of the generated data (default 42): the same seed serves the
    /// same leads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.data.seed = seed;
        self
    }

    /// How many leads each account holds (default 120).
    pub fn leads(mut self, per_account: u64) -> Self {
        self.data.leads_per_account = per_account;
        self
    }

    /// How many accounts the token can see, with ids 1, 2, ... (default 2).
    /// Any other account id answers 401, as for a user who is not a member.
    pub fn accounts(mut self, accounts: u64) -> Self {
        self.data.accounts = accounts;
        self
    }

    /// The token the server accepts (default: a random one, see
    /// [`MockServer::token`]).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// A delay before every answer (default none).
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// A fault rule; rules apply in the order added, the first that matches
    /// wins. More can be added while the server runs
    /// ([`MockServer::add_fault`]).
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serves HTTPS instead of plain HTTP, with a certificate for `127.0.0.1`
    /// and `localhost` signed by a certificate authority made for this server
    /// alone. Clients trust it with [`MockServer::ca_pem`].
    pub fn tls(self) -> Self {
        self.tls_for(tls::DEFAULT_NAMES)
    }

    /// Serves HTTPS with a certificate for these names (host names or IP
    /// addresses) only: to see how a client treats a certificate for another
    /// host.
    pub fn tls_for<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tls_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Whether answers are gzip-compressed for clients that ask for it with
    /// `Accept-Encoding: gzip`, as nginx in front of the service does (default
    /// on).
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Rate-limits requests as the service does (see [`Throttle`]): past the
    /// limit, `429 Retry later`. None by default.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// The status to answer creates and conversions with, where the
    /// document says `201` (`create_lead`, `create_lead_note`,
    /// `create_company`, `convert_lead`, `create_funnel`,
    /// `create_funnel_stage`, `create_funnel_card`, `create_task`,
    /// `convert_conversation`): `200`, as some deployments
    /// answer, to test that a client takes any 2xx that carries the
    /// documented body. Any 2xx status that carries a body (not 204 or 205)
    /// is accepted; [`start`](MockServerBuilder::start) refuses others
    /// (`InvalidInput`). By default, the document's `201`.
    pub fn created_status(mut self, status: u16) -> Self {
        self.created_status = Some(status);
        self
    }

    /// Generates the data, binds the address and starts serving in the
    /// background of the current tokio runtime.
    ///
    /// # Errors
    /// `InvalidData` when the mock cannot serve the bundled OpenAPI document
    /// (an operation without a handler, a handler without an operation: see
    /// [`check_document`](crate::check_document)), `InvalidInput` for a
    /// [`created_status`](MockServerBuilder::created_status) that is no 2xx
    /// with a body, and the error of binding the address.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let spec = Spec::bundled();
        let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let created_status = match self.created_status {
            None => StatusCode::CREATED,
            Some(code) => StatusCode::from_u16(code)
                .ok()
                .filter(|s| s.is_success() && !matches!(s.as_u16(), 204 | 205))
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("created_status {code} is not a 2xx status with a body"),
                    )
                })?,
        };
        let token_header = spec
            .api_key_header()
            .and_then(|name| HeaderName::try_from(name).ok())
            .ok_or_else(|| invalid("the OpenAPI document names no API key header".to_owned()))?;
        let dataset = Dataset::generate(self.data);
        let token = self.token.unwrap_or_else(|| {
            let random: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(24)
                .collect();
            format!("vx_mock_{random}")
        });
        let shared = Arc::new(Shared {
            token,
            token_header,
            created_status,
            seed: self.data.seed,
            latency: self.latency,
            faults: Faults::new(self.faults, self.data.seed),
            limiter: Limiter::new(self.throttle),
            store: RwLock::new(Store::new(dataset)),
            requests: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            most_in_flight: AtomicU64::new(0),
        });
        let mut router =
            routes::router(&spec, shared.clone()).map_err(|e| invalid(e.to_string()))?;
        if self.gzip {
            router = router.layer(tower_http::compression::CompressionLayer::new().gzip(true));
        }
        let tls = match &self.tls_names {
            Some(names) => Some(tls::make(names).map_err(invalid)?),
            None => None,
        };

        let listener = TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let task = tokio::spawn(serve(listener, router, shared.clone(), tls));
        Ok(MockServer {
            url: format!("{scheme}://{addr}"),
            addr,
            ca_pem,
            shared,
            task,
        })
    }
}

/// A local Voxys Connect CRM API server, for tests, examples and demos.
///
/// It serves every operation of the OpenAPI document (see
/// [`operations`](crate::operations)) as the document describes it, over
/// generated data, and stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use voxys_connect_mock::MockServer;
///
/// let server = MockServer::start().await;
/// let body = reqwest::Client::new()
///     .get(format!("{}/api/v1/accounts/{}/leads?per_page=5", server.url(), server.account_id()))
///     .header("api_access_token", server.token())
///     .send()
///     .await
///     .unwrap()
///     .text()
///     .await
///     .unwrap();
/// assert!(body.starts_with(r#"{"data":["#));
/// # }
/// ```
pub struct MockServer {
    url: String,
    addr: SocketAddr,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MockServer {
    /// A server with the default data (2 accounts of 120 leads, seed 42) on a
    /// free port of 127.0.0.1.
    ///
    /// # Panics
    /// If no port of 127.0.0.1 can be bound; use
    /// [`MockServer::builder`] to handle that error.
    pub async fn start() -> MockServer {
        MockServer::builder()
            .start()
            .await
            .expect("the mock server binds a free port of 127.0.0.1")
    }

    /// A builder to choose the data, token, latency, faults and address.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }

    /// The base URL, such as `http://127.0.0.1:41234` (`https://` with
    /// [`MockServerBuilder::tls`]).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// With [`MockServerBuilder::tls`], the PEM certificate of the authority
    /// that signed the server's certificate: trust it to reach the server
    /// over HTTPS. `None` for a plain HTTP server.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the server accepts in the `api_access_token` header.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The first account's id.
    pub fn account_id(&self) -> i64 {
        self.account_ids().first().copied().unwrap_or(1)
    }

    /// The ids of every account the token can see.
    pub fn account_ids(&self) -> Vec<i64> {
        self.shared.store().dataset.account_ids()
    }

    /// A copy of the data the server serves now, to compare answers with.
    pub fn dataset(&self) -> Dataset {
        self.shared.store().dataset.clone()
    }

    /// A copy of one account's data as the server holds it now.
    pub fn account(&self, id: i64) -> Option<Account> {
        self.shared.store().dataset.account(id).cloned()
    }

    /// Every write the server applied so far, in order: the operation, the
    /// ids each named, made or changed, the id of what a create made, the
    /// name of the record written, and how many records it changed (see
    /// [`AppliedWrite`] for each operation's). Tests read it to check what
    /// reached the data (each id changed once, one lead made per create
    /// request, a merge applied once, nothing sent by a dry run) without
    /// going through the client under test.
    pub fn applied_writes(&self) -> Vec<AppliedWrite> {
        self.shared.store().journal.clone()
    }

    /// The token's user, as notes and timeline events show their author
    /// and actor: an agent of every account.
    pub fn user(&self) -> Agent {
        self.shared.store().dataset.user.clone()
    }

    /// The leads of an account as the server holds them now, in id order;
    /// none for an account it does not have.
    pub fn leads(&self, account_id: i64) -> Vec<MockLead> {
        self.read_account(account_id, |a| a.leads.clone())
            .unwrap_or_default()
    }

    /// A lead of an account as the server holds it now.
    pub fn lead(&self, account_id: i64, lead_id: i64) -> Option<MockLead> {
        self.read_account(account_id, |a| a.lead(lead_id).cloned())
            .flatten()
    }

    /// The companies of an account now, in id order.
    pub fn companies(&self, account_id: i64) -> Vec<MockCompany> {
        self.read_account(account_id, |a| a.companies.clone())
            .unwrap_or_default()
    }

    /// A company of an account now; `None` once deleted (or merged into
    /// another).
    pub fn company(&self, account_id: i64, company_id: i64) -> Option<MockCompany> {
        self.read_account(account_id, |a| a.company(company_id).cloned())
            .flatten()
    }

    /// A company as the API sends it now (`contacts_count` counted), to
    /// compare with what a client decoded.
    pub fn company_json(&self, account_id: i64, company_id: i64) -> Option<Value> {
        self.read_account(account_id, |a| {
            a.company(company_id).map(|c| a.company_json(c))
        })
        .flatten()
    }

    /// The notes of a lead, newest first, as `list_lead_notes` lists them.
    pub fn notes(&self, account_id: i64, lead_id: i64) -> Vec<Note> {
        self.read_account(account_id, |a| {
            a.notes_of(lead_id).into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// Every contact of an account, in id order, each with the company it
    /// is in ([`Contact::company_id`]).
    pub fn contacts(&self, account_id: i64) -> Vec<Contact> {
        self.read_account(account_id, |a| a.contacts.clone())
            .unwrap_or_default()
    }

    /// The contacts in a company, in id order, as
    /// `list_company_contacts` lists them.
    pub fn company_contacts(&self, account_id: i64, company_id: i64) -> Vec<Contact> {
        self.read_account(account_id, |a| {
            a.contacts_of(company_id).into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// A company's timeline, newest first, as `company_timeline` lists it.
    pub fn timeline(&self, account_id: i64, company_id: i64) -> Vec<TimelineEvent> {
        self.read_account(account_id, |a| {
            a.timeline_of(company_id).into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// The funnels of an account now, as `list_funnels` lists them (by
    /// position), each with its stages in order.
    pub fn funnels(&self, account_id: i64) -> Vec<Funnel> {
        self.read_account(account_id, |a| {
            a.funnels_in_order().into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// A funnel of an account now, with its stages; `None` once deleted.
    pub fn funnel(&self, account_id: i64, funnel_id: i64) -> Option<Funnel> {
        self.read_account(account_id, |a| a.funnel(funnel_id).cloned())
            .flatten()
    }

    /// A funnel's stages now, by position, as `list_funnel_stages` lists
    /// them; none for a funnel the account does not have.
    pub fn stages(&self, account_id: i64, funnel_id: i64) -> Vec<Stage> {
        self.funnel(account_id, funnel_id)
            .map(|f| f.stages)
            .unwrap_or_default()
    }

    /// A funnel's cards now, as `list_funnel_cards` lists them (by stage,
    /// then position, then id).
    pub fn cards(&self, account_id: i64, funnel_id: i64) -> Vec<Card> {
        self.read_account(account_id, |a| {
            a.funnel_cards(funnel_id).into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// A card of an account now, in whichever funnel; `None` once deleted.
    pub fn card(&self, account_id: i64, card_id: i64) -> Option<Card> {
        self.read_account(account_id, |a| a.card(card_id).cloned())
            .flatten()
    }

    /// A card's history now, newest first, as `funnel_card_history` lists
    /// it.
    pub fn card_history(&self, account_id: i64, card_id: i64) -> Vec<CardEvent> {
        self.read_account(account_id, |a| {
            a.history_of(card_id).into_iter().cloned().collect()
        })
        .unwrap_or_default()
    }

    /// A funnel's totals as `funnel_stats` answers them now, computed from
    /// its cards and their leads ([`Account::funnel_stats`]).
    pub fn funnel_stats(&self, account_id: i64, funnel_id: i64) -> Option<Value> {
        self.read_account(account_id, |a| a.funnel_stats(funnel_id))
            .flatten()
    }

    /// The follow-up tasks of an account now, in id order.
    pub fn tasks(&self, account_id: i64) -> Vec<Task> {
        self.read_account(account_id, |a| a.tasks.clone())
            .unwrap_or_default()
    }

    /// A follow-up task of an account now; `None` once deleted.
    pub fn task(&self, account_id: i64, task_id: i64) -> Option<Task> {
        self.read_account(account_id, |a| a.task(task_id).cloned())
            .flatten()
    }

    /// A conversation of an account now, with the lead and the card linked
    /// to it (a lead or card since deleted is linked no more); `None` for
    /// a conversation the account does not have.
    pub fn conversation(&self, account_id: i64, conversation_id: i64) -> Option<Conversation> {
        self.read_account(account_id, |a| a.conversation(conversation_id))
            .flatten()
    }

    /// The ids of an account's conversations, ascending (any of them has a
    /// CRM panel).
    pub fn conversation_ids(&self, account_id: i64) -> Vec<i64> {
        self.read_account(account_id, |a| {
            a.conversations.iter().map(|c| c.id).collect()
        })
        .unwrap_or_default()
    }

    /// Reads one account under the data's lock.
    fn read_account<T>(&self, account_id: i64, read: impl FnOnce(&Account) -> T) -> Option<T> {
        self.shared.store().dataset.account(account_id).map(read)
    }

    /// Adds a fault rule, after those already there.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.add(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Sets the rate limit from now on (`None` lifts it), counting afresh:
    /// fixed windows start now.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        self.shared.limiter.set(throttle);
    }

    /// How many requests the rate limiter refused (answered 429) so far;
    /// 429s of fault rules are not counted.
    pub fn throttled_count(&self) -> u64 {
        self.shared.limiter.refused()
    }

    /// How many requests the server has received.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }

    /// The most requests the server was answering at the same time, from
    /// the moment each arrived until its answer was ready.
    pub fn most_requests_in_flight(&self) -> u64 {
        self.shared.most_in_flight.load(Ordering::Relaxed)
    }

    /// How many connections the server has accepted (TLS handshakes that
    /// failed included).
    pub fn connection_count(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("url", &self.url)
            .field("accounts", &self.account_ids())
            .finish_non_exhaustive()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Ends the accept loop and, with it, every open connection.
        self.task.abort();
    }
}

/// An error that makes hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for DropConnection {}

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until the server is dropped.
async fn serve(listener: TcpListener, router: Router, shared: Arc<Shared>, tls: Option<Tls>) {
    let acceptor = tls.map(|t| t.acceptor);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait and go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        shared.connections.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                answer(request, router.clone(), shared.clone())
            });
            let http = hyper::server::conn::http1::Builder::new();
            match acceptor {
                None => {
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                }
                // A client that does not trust the certificate ends the
                // handshake; nothing more to do then.
                Some(acceptor) => {
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Answers one request: latency, then faults, then the routes.
async fn answer(
    request: Request<hyper::body::Incoming>,
    router: Router,
    shared: Arc<Shared>,
) -> Result<Response<Body>, DropConnection> {
    let number = shared.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let _in_flight = InFlight::enter(&shared);
    // Rails gives every request an id and sends it back as X-Request-Id;
    // a proxy's own error page has none.
    let request_id = request_id(shared.seed, number);
    // The rate limiter counts the request as it arrives; its refusal takes
    // the same time to come back as any answer.
    let key = request
        .headers()
        .get("api_access_token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let verdict = shared.limiter.check(&key);
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    if let Verdict::Refuse(retry_after) = verdict {
        // Rack::Attack runs inside Rails: its answer has a request id.
        let mut response = throttled(retry_after);
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(X_REQUEST_ID, value);
        }
        return Ok(response);
    }
    let page = requested_page(request.uri().query());
    let fault = shared.faults.pick(request.method().as_str(), page);
    let mut response = match fault {
        None => routed(router, request).await,
        // The request is applied, then the answer fails.
        Some((fault, true)) => {
            let answer = routed(router, request).await;
            match fault {
                Fault::DropConnection => return Err(DropConnection),
                Fault::Delay(delay) => {
                    tokio::time::sleep(delay).await;
                    answer
                }
                Fault::CutBody => cut_short(answer).await,
                Fault::ServerError { status } => match error_page(status) {
                    (page, Origin::Proxy) => return Ok(page),
                    (page, Origin::Application) => page,
                },
                Fault::RateLimited { .. } => answer,
            }
        }
        Some((Fault::DropConnection, false)) => return Err(DropConnection),
        Some((Fault::RateLimited { retry_after }, false)) => {
            throttled(retry_after.map(Duration::from_secs))
        }
        Some((Fault::ServerError { status }, false)) => match error_page(status) {
            (page, Origin::Proxy) => return Ok(page),
            (page, Origin::Application) => page,
        },
        // The server is slow: it handles the request late, even after the
        // client gave up.
        Some((Fault::Delay(delay), false)) => routed_after(delay, router, request).await,
        // A body is cut once it is answered: after applying.
        Some((Fault::CutBody, false)) => cut_short(routed(router, request).await).await,
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(X_REQUEST_ID, value);
    }
    Ok(response)
}

/// The rate limiter's answer: `429 Retry later` as `text/plain`, and
/// `Retry-After` in whole seconds (rounded up) when given a wait.
fn throttled(retry_after: Option<Duration>) -> Response<Body> {
    let mut response = text_response(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain; charset=utf-8",
        "Retry later".into(),
    );
    if let Some(wait) = retry_after {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Who answers a 5xx fault.
enum Origin {
    /// A proxy (502, 503, 504): its page goes as is, with no request id.
    Proxy,
    /// The application's own 500, which gets the request id like any of its
    /// answers.
    Application,
}

/// The page of a 5xx fault, and who answers it.
fn error_page(status: u16) -> (Response<Body>, Origin) {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let page = text_response(status, "text/html", proxy_page(status.as_u16()));
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        (page, Origin::Application)
    } else {
        (page, Origin::Proxy)
    }
}

/// Counts a request as in flight while it lives.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> InFlight<'a> {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The header Rails sends each request's id in.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The answer of the routes. The request is handled on a task of its own,
/// as an application server does: a client that gives up (a timeout, a
/// dropped connection) does not stop a write half way, and a late write is
/// still made.
async fn routed(router: Router, request: Request<hyper::body::Incoming>) -> Response<Body> {
    routed_after(Duration::ZERO, router, request).await
}

/// [`routed`], after a delay spent on the request's own task.
async fn routed_after(
    delay: Duration,
    router: Router,
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let handled = tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    });
    handled.await.unwrap_or_else(|_| server_error())
}

/// A request id in the form Rails gives them (a UUID), the same for the same
/// seed and request number.
fn request_id(seed: u64, number: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (a, b) = (rng.u64(..), rng.u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The `page` query parameter, 1 when absent or unreadable.
fn requested_page(query: Option<&str>) -> u64 {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "page")
        .filter_map(|(_, v)| v.parse().ok())
        .last()
        .unwrap_or(1)
}

/// The same answer, but the connection closes half way through the body while
/// `Content-Length` promises all of it.
async fn cut_short(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    let full = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    // An answer without a body (a 204) has nothing to cut: it goes whole.
    if full.is_empty() {
        return Response::from_parts(parts, Body::empty());
    }
    let half = full.slice(..full.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    // The half is sent, and given time to reach the client, before the
    // connection is cut.
    let chunks = futures::stream::unfold(Some(half), |half| async move {
        match half {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "body cut short by a fault rule",
                    )),
                    None,
                ))
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}
