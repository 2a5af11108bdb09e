//! A local Voxys Connect Leads API server, for tests, examples and demos.
//!
//! Like stripe-mock for Stripe's SDKs, [`MockServer`] serves the same API as
//! the real service, on 127.0.0.1, over generated data, so that the SDK's
//! tests and examples, and your own tests, run without a Voxys account. It is a
//! real HTTP server (axum and hyper on tokio) that answers as the service does:
//! the same routes, parameters, defaults, validation, error bodies and
//! authentication, all read from the OpenAPI document the SDK is generated
//! from. Fault rules make it fail the way networks and servers fail. It
//! compresses answers for clients that ask (as nginx in front of the service
//! does), and serves HTTPS on request
//! ([`MockServerBuilder::tls`](crate::MockServerBuilder::tls)) with a
//! certificate authority of its own, whose PEM
//! [`MockServer::ca_pem`](crate::MockServer::ca_pem) gives to clients.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use voxys_connect_mock::{Fault, FaultRule, MockServer};
//!
//! let server = MockServer::builder()
//!     .leads(500)
//!     .seed(7)
//!     .fault(FaultRule::new(Fault::ServerError { status: 503 }).times(1))
//!     .start()
//!     .await
//!     .unwrap();
//! println!("{} accepts token {} for accounts {:?}", server.url(), server.token(), server.account_ids());
//! # }
//! ```
//!
//! The binary `voxys-mock` (`cargo run -p voxys-connect-mock -- --help`) serves
//! the same in the foreground.
//!
//! # How it serves the document
//! At start, the server reads from the bundled OpenAPI document each
//! operation's method and path, whether it needs the token (`security`), its
//! path and query parameters and request body (with their defaults,
//! `minimum`, `maximum` and enums; `format: int64` counts as the range
//! -2^63..2^63-1), and its success status (its lowest `2XX`). The routes do
//! what the document says for every operation (the token, the account, the
//! parameters and body checked, 422 in the API's validation shape, defaults
//! filled in, the success status); a handler per operation, found by
//! operation id in one table, does the operation's own work. The server
//! does not start (an `InvalidData` error, not a panic) when the document
//! has an operation the table lacks, or the table one the document lacks;
//! [`check_document`] runs the same check for contract tests, and
//! [`operations`] lists what the table serves.
//!
//! # Adding an operation
//! 1. Write it in the document (`crates/voxys-connect-spec/voxys-connect.yaml`):
//!    `operationId`, method and path, parameters and body with their
//!    schemas, responses with the success status.
//! 2. Write its handler in `src/operations.rs`, a
//!    `fn(&Shared, &Call) -> Outcome`: it reads the checked request
//!    (`Call`'s `id()`, `text()`, `int()`, `required_*()` and `body`), reads
//!    the data (`shared.store()`) or changes it (`shared.write(..)`, with the
//!    change itself in `src/store.rs` so that it is journaled), and answers
//!    `Ok(Reply(json))` or a `Refusal` (404, 422).
//! 3. Add one line to `HANDLERS` in the same file: `("operation_id", handler)`.
//!
//! Routing, authentication, validation, the success status (and
//! [`MockServerBuilder::created_status`] for a `201`), faults, the rate
//! limiter, request ids and gzip then apply as to every operation, and
//! `tests/operations.rs` checks that the new operation is routed and asks for
//! the token. (An operation that succeeds without a body, a `204` delete,
//! needs a `Reply` without one first: none has been added yet.)
//!
//! # Where the mock guesses
//! The facts about the API (`../shared/api/voxys-crm-facts.md`) and the
//! document leave some behaviour open; the mock chooses:
//! - Checks run in the order Rails runs them: the token, the account, the
//!   path, the query, the body. An account the data does not have is
//!   answered as one the user is not a member of (401).
//! - A path segment that is not an integer where an id goes answers 404, as
//!   Rails' `find` does; an integer its schema refuses (past `int64`, below
//!   a `minimum`) answers 422, like any invalid value. (Rails itself would
//!   likely answer 404 for an id past `int64`. `get_lead` and `lead_stats`
//!   list no 422 answer in the document.)
//! - Invalid values answer 422 in Chatwoot's shape, `{"message": ...,
//!   "attributes": [...]}`; a missing required member answers `{"error":
//!   "param is missing or the value is empty: NAME"}`. The reference's
//!   `{"errors": {"name": [...]}}` is never sent. Undeclared query
//!   parameters are ignored; of a repeated one, the last wins.
//! - An integer in a body must be a JSON integer that fits an `i64` (`5.0`
//!   answers 422).
//! - A path the document lacks, or a method it lacks for a path, answers
//!   404 `{"error": "Resource could not be found"}`, as Rails answers a
//!   request no route matches.
//! - A lead of another account is not found (404) by `get_lead`.
//! - `lead_stats` sums values across currencies as they are (no
//!   conversion), leads without a value adding nothing. Amounts, there as in
//!   leads, are JSON numbers (whole ones as integers), as the document's
//!   `Amount` (`type: number`) says, not the strings Rails sends
//!   (`"15000.0"`); clients must accept both.
//! - A bulk action counts the leads that exist; deleting a lead deletes its
//!   cards; assigning to someone who is no agent of the account answers 422.
//! - Converting puts the card in the funnel's first stage when no stage is
//!   given, answers 422 for a stage of another funnel and 404 for an
//!   unknown funnel or lead.
//! - Sorting puts `null` last ascending and first descending, as
//!   PostgreSQL does, ties by ascending id; `updated_at` moves one second per write, on the mock's
//!   own clock.
//! - The rate limiter keys by token, not by IP (see [`Throttle`]).
//!
//! # Cargo features
//! `cli` (default): the `voxys-mock` binary and the [`cli`] module with its
//! clap arguments (shared with `voxys mock`). A test suite that only starts
//! servers from code can leave it out, and with it clap.

#![forbid(unsafe_code)]

mod bodies;
#[cfg(feature = "cli")]
pub mod cli;
mod data;
mod document;
mod faults;
mod listing;
mod operations;
mod params;
mod respond;
mod routes;
mod server;
mod state;
mod store;
mod throttle;
mod tls;

pub use data::{Account, Agent, Card, Company, Dataset, DatasetSpec, Funnel, MockLead, Stage};
pub use faults::{Fault, FaultRule, InvalidFaultRule};
pub use operations::operations;
pub use routes::{DocumentMismatch, check_document};
pub use server::{MockServer, MockServerBuilder};
pub use store::AppliedWrite;
pub use throttle::{InvalidThrottle, Throttle, Window};
