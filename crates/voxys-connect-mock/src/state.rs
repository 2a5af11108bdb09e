//! [`Shared`]: what every request of a server shares. The serving loop, the
//! routes and the handlers depend on it; it depends on none of them.

use std::sync::atomic::AtomicU64;
use std::sync::{RwLock, RwLockReadGuard};
use std::time::Duration;

use axum::http::{HeaderName, StatusCode};

use crate::faults::Faults;
use crate::store::Store;
use crate::throttle::Limiter;

/// What every request handler shares.
pub(crate) struct Shared {
    /// The token the server accepts.
    pub(crate) token: String,
    /// The header that carries it, from the document's security scheme.
    pub(crate) token_header: HeaderName,
    /// The status of answers the document gives as `201` (creates and
    /// conversions): `201`, or what the builder chose instead.
    pub(crate) created_status: StatusCode,
    pub(crate) seed: u64,
    pub(crate) latency: Duration,
    pub(crate) faults: Faults,
    pub(crate) limiter: Limiter,
    pub(crate) store: RwLock<Store>,
    pub(crate) requests: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    pub(crate) most_in_flight: AtomicU64,
}

impl Shared {
    /// The data, to read.
    pub(crate) fn store(&self) -> RwLockReadGuard<'_, Store> {
        // A panic elsewhere cannot leave the data half-changed: writes
        // replace what they change whole.
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a change on the data, under its write lock.
    pub(crate) fn write<T>(&self, change: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self
            .store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut store)
    }
}
