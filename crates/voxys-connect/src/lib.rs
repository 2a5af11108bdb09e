#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod client;
mod config;
mod error;
mod leads;
mod pagination;
mod retry;
mod tls;

pub use client::Client;
pub use config::{
    ClientBuilder, DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_USER_AGENT,
    ENV_ACCOUNT_ID, ENV_API_TOKEN, ENV_BASE_URL, ENV_CA_CERT, account_id_from_env,
};
pub use error::{Error, Result};
pub use leads::{Leads, ListLeads, MAX_CONCURRENCY, MAX_PER_PAGE};
pub use pagination::Page;
pub use retry::RetryPolicy;

pub use voxys_connect_api::types::{Agent, Company, Lead, LeadSortField, SortOrder};
pub use voxys_connect_api::{
    Amount, ApiToken, InvalidToken, LeadStatus, PaginationMeta, UnknownStatus,
};

/// The exact decimal type behind [`Amount`], re-exported so that callers need
/// no dependency of their own to compute with amounts.
pub use rust_decimal::Decimal;

/// The generated low-level client this crate wraps.
pub use voxys_connect_api as api;
