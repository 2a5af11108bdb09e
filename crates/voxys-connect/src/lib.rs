#![doc = include_str!("../README.md")]
//!
//! ## Making values, in your tests
//!
//! The types that mirror the API's objects ([`Lead`](types::Lead),
//! [`Agent`](types::Agent), [`Company`](types::Company),
//! [`PaginationMeta`](types::PaginationMeta)...) and every [`Error`] variant are `#[non_exhaustive]`:
//! the API gaining a member is then not a breaking change of this crate. So
//! code outside it cannot write them as struct literals:
//!
//! ```compile_fail
//! use voxys_connect::types::{Lead, LeadStatus, Timestamp};
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
//! use voxys_connect::types::{Agent, Amount, Lead, LeadStatus, Timestamp};
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
//! Match [`LeadStatus`](types::LeadStatus),
//! [`LeadSortField`](types::LeadSortField), [`SortOrder`](types::SortOrder)
//! and [`Error`] with a wildcard arm, and error variants with `{ .. }`.
//!
//! ## Public dependencies
//!
//! These crates' types are part of this crate's API, so a release of this
//! crate that moves to a new major version of one of them is a major release
//! too:
//! - `reqwest`: [`ClientBuilder::configure_http`] takes its `ClientBuilder`
//!   (the integration point for HTTP settings this crate does not offer), and
//!   [`Error::Transport`], [`Error::Dns`], [`Error::Tls`] and
//!   [`Error::WrongScheme`] keep its `Error`
//!   as their source. Re-exported as [`reqwest`].
//! - `rust_decimal` ([`Decimal`](types::Decimal), behind
//!   [`Amount`](types::Amount)), `chrono` (a [`Timestamp`](types::Timestamp)
//!   is a `chrono::DateTime<Utc>`), `serde_json` (free-form
//!   members: `custom_attributes`, `extra`), `futures` (the streams are
//!   `futures::Stream`s).
//! - `voxys-connect-api`, the generated client, re-exported as [`api`], and
//!   through it progenitor's client types: [`Client::api`] reaches every
//!   operation of the document, through the same pipeline.
//!
//! Everything else this crate uses (tokio's timer, url, httpdate, rustls for
//! telling TLS failures apart, serde_path_to_error) is private and may change
//! in any release.
#![forbid(unsafe_code)]

mod client;
pub mod companies;
pub mod config;
pub mod conversations;
mod create;
mod delete;
pub mod error;
pub mod leads;
pub mod pagination;
mod pipeline;
pub mod pipelines;
pub mod rate_limit;
pub mod request;
mod retry;
pub mod tasks;
mod tls;

pub use client::Client;
pub use config::ClientBuilder;
pub use create::CLOCK_ALLOWANCE;
pub use delete::{Delete, Deleted};
pub use error::{Error, Result};
pub use retry::RetryPolicy;

/// The types of the API's objects and values: what requests take and
/// answers hold.
///
/// The objects ([`Lead`](types::Lead), [`Card`](types::Card)...) are
/// generated from the OpenAPI document and keep members the SDK does not
/// know yet in their `extra` map; the values ([`LeadStatus`](types::LeadStatus),
/// [`Amount`](types::Amount), [`Timestamp`](types::Timestamp)) are
/// hand-written to be tolerant where the API is.
pub mod types {
    pub use voxys_connect_api::types::{
        Agent, AgentAnalytics, AnalyticsGrouping, AnalyticsPeriod, Card, CardEvent, Company,
        CompanySortField, CompanySummary, Contact, CrmPanel, Funnel, FunnelAnalytics, FunnelStats,
        Lead, LeadSortField, LeadStats, Note, SortOrder, Stage, StageAnalytics, Task,
        TimelineEvent,
    };
    pub use voxys_connect_api::{
        Amount, CardUpdate, Change, ChatwootStatus, CompanyUpdate, FunnelUpdate, LeadStatus,
        LeadUpdate, PaginationMeta, Snooze, StageUpdate, TaskPriority, TaskStatus, TaskUpdate,
        TaskableType, Timestamp, UnknownStatus, UnknownValue,
    };

    /// A calendar day (the analytics' `since` and `until`, the calendar's
    /// dates): chrono's, re-exported.
    pub use chrono::NaiveDate;

    /// The exact decimal type behind [`Amount`], re-exported so that callers
    /// need no dependency of their own to compute with amounts.
    pub use rust_decimal::Decimal;
}

/// The HTTP client this crate is built on, re-exported for
/// [`ClientBuilder::configure_http`] (its `Proxy`, `redirect`... types) and
/// the sources of transport errors.
pub use reqwest;

/// The generated low-level client this crate wraps: every operation of the
/// document, and the facts it states about each
/// ([`api::OPERATIONS`]).
pub use voxys_connect_api as api;
