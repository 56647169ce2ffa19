//! What the trigger host needs of a state store beyond [`StateStore`]: how to
//! name it, whether it lost its state, webhook subscriptions, and, for a
//! store that several hosts share, leases on triggers.
//!
//! [`SqliteStore`] is the embedded implementation (one host per file, held
//! by [`super::StateLock`], so it has no leases); the PostgreSQL store of
//! the `connector-postgres` crate is the shared one.

use std::time::{Duration, SystemTime};

use super::{SqliteStore, StateStore, StoreError, StoredSubscription, SubscriptionRecord};

/// Who owns one trigger of a shared store, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseInfo {
    /// The trigger's name.
    pub trigger: String,
    /// The host id of the owner (see [`Leases::host_id`]).
    pub owner: String,
    /// When the lease ends unless its owner renews it.
    pub expires_at: SystemTime,
}

/// What one [`Leases::acquire`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acquired {
    /// The triggers this host holds now, by name.
    pub held: Vec<String>,
    /// How many triggers this host should hold for the work to be shared
    /// fairly among the live hosts (the triggers divided by the live hosts,
    /// rounded up); a host holding more gives the rest up when idle.
    pub share: usize,
}

/// Leases on triggers, for a store that several hosts share: each trigger
/// is polled by the one host that holds its lease.
///
/// A lease is taken when it is free or expired and renewed by its owner's
/// heartbeat; a host that stops renewing (it died) loses its leases when
/// they expire. Expiry is judged by the database's clock, so the hosts'
/// clocks need not agree.
pub trait Leases: Send + Sync {
    /// This host's id, written as the owner of its leases.
    fn host_id(&self) -> &str;

    /// Marks this host live for `ttl`, renews the leases of `triggers` it
    /// holds and takes free or expired ones up to its fair share, each for
    /// `ttl` from now; says what it holds afterwards.
    fn acquire(&self, triggers: &[String], ttl: Duration) -> Result<Acquired, StoreError>;

    /// Gives up the leases of `triggers` this host holds (more than its
    /// share), for another host to take at its next heartbeat.
    fn release(&self, triggers: &[String]) -> Result<(), StoreError>;

    /// Gives up every lease this host holds (at shutdown), so that another
    /// host takes the triggers over at once instead of after the TTL.
    fn release_all(&self) -> Result<(), StoreError>;

    /// Every lease, expired or not, by trigger name.
    fn list(&self) -> Result<Vec<LeaseInfo>, StoreError>;
}

/// A state store the trigger host runs on: [`StateStore`] and what the host
/// itself needs.
pub trait TriggerStore: StateStore {
    /// The store, for people: a file's path, or a URL without its password.
    fn describe(&self) -> String;

    /// Whether the store holds nothing at all (no state, delivered id,
    /// status or start mark). Blank beside a sink that holds events means
    /// the state was lost.
    fn is_blank(&self) -> Result<bool, StoreError>;

    /// Whether `event_id` (of any trigger) is recorded as delivered; for
    /// the rare look-up at start, not per event.
    fn is_delivered_anywhere(&self, event_id: &str) -> Result<bool, StoreError>;

    /// Records that a host runs on this store (once; later calls keep the
    /// first time), before anything is delivered.
    fn mark_started(&self, at: SystemTime) -> Result<(), StoreError>;

    /// Stores a new webhook subscription (durable when it returns); returns its id.
    fn insert_subscription(
        &self,
        record: &SubscriptionRecord,
        at: SystemTime,
    ) -> Result<i64, StoreError>;

    /// Deletes a subscription once it is ended at the source.
    fn delete_subscription(&self, id: i64) -> Result<(), StoreError>;

    /// Records why ending a subscription failed; the record stays.
    fn record_unsubscribe_failure(
        &self,
        id: i64,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError>;

    /// Every stored subscription, oldest first.
    fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError>;

    /// The store's leases, if several hosts may share it; `None` for a
    /// store only one host opens at a time (then every trigger is its own).
    fn leases(&self) -> Option<&dyn Leases> {
        None
    }
}

impl TriggerStore for SqliteStore {
    fn describe(&self) -> String {
        self.path().display().to_string()
    }

    fn is_blank(&self) -> Result<bool, StoreError> {
        SqliteStore::is_blank(self)
    }

    fn is_delivered_anywhere(&self, event_id: &str) -> Result<bool, StoreError> {
        SqliteStore::is_delivered_anywhere(self, event_id)
    }

    fn mark_started(&self, at: SystemTime) -> Result<(), StoreError> {
        SqliteStore::mark_started(self, at)
    }

    fn insert_subscription(
        &self,
        record: &SubscriptionRecord,
        at: SystemTime,
    ) -> Result<i64, StoreError> {
        SqliteStore::insert_subscription(self, record, at)
    }

    fn delete_subscription(&self, id: i64) -> Result<(), StoreError> {
        SqliteStore::delete_subscription(self, id)
    }

    fn record_unsubscribe_failure(
        &self,
        id: i64,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        SqliteStore::record_unsubscribe_failure(self, id, error, at)
    }

    fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError> {
        SqliteStore::subscriptions(self)
    }
}
