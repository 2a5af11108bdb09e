#![doc = include_str!("../README.md")]
//!
//! ## Making values, in your tests
//!
//! The types that mirror the API's objects ([`Lead`], [`Agent`], [`Company`],
//! [`PaginationMeta`]...) and every [`Error`] variant are `#[non_exhaustive]`:
//! the API gaining a member is then not a breaking change of this crate. So
//! code outside it cannot write them as struct literals:
//!
//! ```compile_fail
//! use voxys_connect::{Lead, LeadStatus, Timestamp};
//!
//! let at: Timestamp = "2024-05-01T10:00:00Z".parse().unwrap();
//! let lead = Lead {
//!     id: 42,
//!     status: LeadStatus::Open,
//!     created_at: at,
//!     updated_at: at,
//!     assigned_agent: None,
//!     company: None,
//!     conversation_id: None,
//!     custom_attributes: Default::default(),
//!     custom_name: None,
//!     lead_currency: None,
//!     lead_value: None,
//!     notes: None,
//!     position: None,
//!     extra: Default::default(),
//! };
//! ```
//!
//! Make one with `new` (the members the API always sends) and set the public
//! fields you need, or with the generated builder:
//!
//! ```
//! use voxys_connect::{Agent, Amount, Lead, LeadStatus, Timestamp};
//!
//! let at: Timestamp = "2024-05-01T10:00:00Z".parse().unwrap();
//! let mut lead = Lead::new(42, LeadStatus::Open, at, at);
//! lead.custom_name = Some("Acme renewal".to_owned());
//! lead.lead_value = Some(Amount::from(15_000));
//! lead.assigned_agent = Some(Agent::new(7, "Jane Smith"));
//!
//! let built: Lead = Lead::builder()
//!     .id(42)
//!     .status(LeadStatus::Open)
//!     .created_at(at)
//!     .updated_at(at)
//!     .custom_name(Some("Acme renewal".to_owned()))
//!     .lead_value(Some(Amount::from(15_000)))
//!     .assigned_agent(Some(Agent::new(7, "Jane Smith")))
//!     .extra(serde_json::Map::new())
//!     .try_into()
//!     .unwrap();
//! assert_eq!(built, lead);
//! ```
//!
//! Match [`LeadStatus`], [`LeadSortField`], [`SortOrder`] and [`Error`] with a
//! wildcard arm, and error variants with `{ .. }`.
//!
//! ## Public dependencies
//!
//! These crates' types are part of this crate's API, so a release of this
//! crate that moves to a new major version of one of them is a major release
//! too:
//! - `reqwest`: [`ClientBuilder::configure_http`] takes its `ClientBuilder`
//!   (the integration point for HTTP settings this crate does not offer), and
//!   [`Error::Transport`], [`Error::Dns`] and [`Error::Tls`] keep its `Error`
//!   as their source. Re-exported as [`reqwest`].
//! - `rust_decimal` ([`Decimal`], behind [`Amount`]), `chrono` (a
//!   [`Timestamp`] is a `chrono::DateTime<Utc>`), `serde_json` (free-form
//!   members: `custom_attributes`, `extra`), `futures` (the streams are
//!   `futures::Stream`s).
//! - `voxys-connect-api`, the generated client, re-exported as [`api`], and
//!   through it progenitor's client types: [`Client::api`] is the way to an
//!   operation this crate does not wrap yet.
//!
//! Everything else this crate uses (tokio's timer, url, httpdate, rustls for
//! telling TLS failures apart, serde_path_to_error) is private and may change
//! in any release.
#![forbid(unsafe_code)]

mod bulk;
mod client;
mod config;
mod convert;
mod error;
mod leads;
mod pagination;
mod pipelines;
mod rate_limit;
mod retry;
mod status;
mod tls;

pub use bulk::{
    BatchDone, BatchOutcome, Bulk, BulkActionKind, BulkOutcome, BulkRun, BulkStop,
    DEFAULT_BATCH_SIZE, DEFAULT_BULK_CONCURRENCY, MAX_BATCH_SIZE,
};
pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_USER_AGENT,
    ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL, ENV_CA_CERT, account_id_from_env,
};
pub use convert::{Convert, DEFAULT_SETTLE_AFTER};
pub use error::{ConfigError, Error, Problem, Result, Setting};
pub use leads::{Leads, ListLeads, MAX_CONCURRENCY, MAX_PER_PAGE};
pub use pagination::Page;
pub use pipelines::{ListCards, Pipelines};
pub use rate_limit::RateLimitStatus;
pub use retry::RetryPolicy;
pub use status::SetStatus;

pub use voxys_connect_api::types::{Agent, Card, Company, Lead, LeadSortField, SortOrder};
pub use voxys_connect_api::{
    Amount, ApiToken, InvalidToken, LeadStatus, PaginationMeta, Timestamp, UnknownStatus,
};

/// The HTTP client this crate is built on, re-exported for
/// [`ClientBuilder::configure_http`] (its `Proxy`, `redirect`... types) and
/// the sources of transport errors.
pub use reqwest;

/// The exact decimal type behind [`Amount`], re-exported so that callers need
/// no dependency of their own to compute with amounts.
pub use rust_decimal::Decimal;

/// The generated low-level client this crate wraps.
pub use voxys_connect_api as api;
