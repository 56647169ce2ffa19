//! The one path every event takes to the sink, for polled and pushed
//! events alike: skip it if its id was delivered before, deliver it, record
//! its id. An event is recorded only after the sink accepted it, so a crash
//! in between delivers it again (at least once) and never loses it.
//!
//! The events of one poll or one push travel together: one look-up of the
//! ids delivered before, one hand-over to the sink (a JSON Lines file
//! writes them with one `fsync`), one store transaction that records them
//! and, for a poll, commits its state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::clock::Clock;
use super::event::Event;
use super::sink::{EventSink, SinkError};
use super::store::{StateStore, StoreError};

/// Why a batch of events was not (fully) delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The sink did not accept an event.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The store could not check or record an event.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one batch's delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Events the sink accepted now.
    pub events: usize,
    /// Items in those events.
    pub items: usize,
    /// Events skipped because their id had been delivered before.
    pub duplicates: usize,
}

/// Delivers events to the sink, once per id as far as the store knows.
pub struct Delivery {
    store: Arc<dyn StateStore>,
    sink: Arc<dyn EventSink>,
    clock: Arc<dyn Clock>,
    /// One lock per trigger: two webhook requests carrying the same item
    /// must not both find it undelivered and both deliver it.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Delivery {
    /// Delivery into `sink`, recording in `store`.
    pub fn new(
        store: Arc<dyn StateStore>,
        sink: Arc<dyn EventSink>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            sink,
            clock,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The sink.
    pub fn sink(&self) -> &Arc<dyn EventSink> {
        &self.sink
    }

    /// Delivers `events` of a push trigger in order, skipping those
    /// delivered before, and records them. Stops at the first failure: the
    /// events before it stay delivered (and recorded), the rest are left
    /// for a retry.
    pub async fn deliver(
        &self,
        trigger: &str,
        events: &[Event],
    ) -> Result<Delivered, DeliveryError> {
        self.deliver_then(trigger, events, None).await
    }

    /// Delivers the `events` of one poll like [`deliver`](Self::deliver),
    /// then records them and commits the poll's `state` in one durable
    /// step ([`StateStore::commit_poll`]). The state moves on only if every
    /// event was accepted; after a failure the accepted ones are recorded
    /// and the state is left as it was.
    pub async fn deliver_and_commit(
        &self,
        trigger: &str,
        events: &[Event],
        state: Option<Value>,
    ) -> Result<Delivered, DeliveryError> {
        self.deliver_then(trigger, events, Some(state)).await
    }

    async fn deliver_then(
        &self,
        trigger: &str,
        events: &[Event],
        commit: Option<Option<Value>>,
    ) -> Result<Delivered, DeliveryError> {
        let lock = self.lock_for(trigger);
        let _guard = lock.lock().await;
        let mut done = Delivered::default();
        let fresh: Vec<&Event> = if events.is_empty() {
            Vec::new()
        } else {
            let (store, t) = (self.store.clone(), trigger.to_string());
            let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
            let seen = blocking(move || {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                store.delivered_among(&t, &ids)
            })
            .await?;
            done.duplicates = seen.iter().filter(|&&s| s).count();
            events
                .iter()
                .zip(seen)
                .filter(|(_, seen)| !seen)
                .map(|(e, _)| e)
                .collect()
        };
        let (accepted, failed) = if fresh.is_empty() {
            (0, None)
        } else {
            match self.sink.deliver_all(&fresh).await {
                Ok(()) => (fresh.len(), None),
                Err(e) => (e.accepted.min(fresh.len()), Some(e.error)),
            }
        };
        let recorded: Vec<(String, u64)> = fresh[..accepted]
            .iter()
            .map(|e| (e.id.clone(), e.item_count() as u64))
            .collect();
        done.events = accepted;
        done.items = recorded.iter().map(|(_, n)| *n as usize).sum();
        let (store, t, at) = (self.store.clone(), trigger.to_string(), self.clock.now());
        match (commit, failed) {
            // Every event is in the sink: now, and only now, move the state on.
            (Some(state), None) => {
                blocking(move || store.commit_poll(&t, &recorded, state.as_ref(), at)).await?;
            }
            (_, failed) => {
                if !recorded.is_empty() {
                    blocking(move || store.record_delivered_all(&t, &recorded, at)).await?;
                }
                if let Some(e) = failed {
                    return Err(e.into());
                }
            }
        }
        Ok(done)
    }

    /// Records the events the sink already holds but the store may not
    /// know (a crash between the two), so that they are not delivered
    /// again. Returns how many were new to the store.
    pub async fn recover(&self) -> Result<usize, DeliveryError> {
        let (store, sink, at) = (self.store.clone(), self.sink.clone(), self.clock.now());
        blocking(move || {
            let mut recovered = 0;
            for held in sink.recently_held()? {
                if store.record_delivered(&held.trigger, &held.event_id, held.items, at)? {
                    tracing::info!(event = %held.event_id, "the sink held an event not yet recorded as delivered; recorded it");
                    recovered += 1;
                }
            }
            Ok(recovered)
        })
        .await
    }

    fn lock_for(&self, trigger: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(trigger.to_string())
            .or_default()
            .clone()
    }
}

/// Runs a short blocking call (a store query, an fsync) off the async
/// worker threads. A panic in it is a bug; it is passed on.
pub async fn blocking<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("a blocking task was cancelled: {e}"),
    }
}
