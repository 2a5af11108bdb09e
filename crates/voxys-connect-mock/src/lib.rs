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
//! # Cargo features
//! `cli` (default): the `voxys-mock` binary and the [`cli`] module with its
//! clap arguments (shared with `voxys mock`). A test suite that only starts
//! servers from code can leave it out, and with it clap.

#![forbid(unsafe_code)]

mod bodies;
#[cfg(feature = "cli")]
pub mod cli;
mod data;
mod faults;
mod listing;
mod params;
mod routes;
mod server;
mod store;
mod throttle;
mod tls;

pub use data::{Account, Agent, Card, Company, Dataset, DatasetSpec, Funnel, MockLead, Stage};
pub use faults::{Fault, FaultRule, InvalidFaultRule};
pub use server::{MockServer, MockServerBuilder};
pub use store::AppliedWrite;
pub use throttle::{InvalidThrottle, Throttle, Window};
