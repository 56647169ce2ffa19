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
    /// Per trigger, the events the sink accepted whose recording then failed
    /// (the state store cannot be written: a full disk): id -> items. They
    /// count as delivered, so a retry does not hand them to the sink again,
    /// and they are recorded with the trigger's next successful write. After
    /// a restart the sink's tail tells the same ([`Delivery::recover`]).
    unrecorded: Mutex<HashMap<String, HashMap<String, u64>>>,
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
            unrecorded: Mutex::new(HashMap::new()),
        }
    }

    /// How many accepted events are waiting to be recorded because the store
    /// could not be written (0 when all is well).
    pub fn unrecorded(&self) -> usize {
        self.unrecorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(HashMap::len)
            .sum()
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
            let unrecorded = self.unrecorded.lock().unwrap_or_else(|p| p.into_inner());
            let held = unrecorded.get(trigger);
            let fresh: Vec<&Event> = events
                .iter()
                .zip(seen)
                .filter(|(e, seen)| !seen && !held.is_some_and(|h| h.contains_key(&e.id)))
                .map(|(e, _)| e)
                .collect();
            done.duplicates = events.len() - fresh.len();
            fresh
        };
        let connector = events.first().map_or("", |e| e.connector.as_str());
        let (accepted, failed) = if fresh.is_empty() {
            (0, None)
        } else {
            let events = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
            let span = tracing::info_span!("trigger.deliver", trigger, events);
            match tracing::Instrument::instrument(self.sink.deliver_all(&fresh), span).await {
                Ok(()) => (fresh.len(), None),
                Err(e) => {
                    connector_metrics::triggers::record_sink_error(trigger, connector);
                    (e.accepted.min(fresh.len()), Some(e.error))
                }
            }
        };
        connector_metrics::triggers::record_delivered(
            trigger,
            connector,
            accepted,
            done.duplicates,
        );
        let mut recorded: Vec<(String, u64)> = fresh[..accepted]
            .iter()
            .map(|e| (e.id.clone(), e.item_count() as u64))
            .collect();
        done.events = accepted;
        done.items = recorded.iter().map(|(_, n)| *n as usize).sum();
        // Events accepted earlier whose recording failed are recorded with these.
        let earlier: Vec<(String, u64)> = self
            .unrecorded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(trigger)
            .map(|h| h.iter().map(|(id, n)| (id.clone(), *n)).collect())
            .unwrap_or_default();
        recorded.extend(earlier);
        let (store, t, at) = (self.store.clone(), trigger.to_string(), self.clock.now());
        let to_record = recorded.clone();
        let written = match (commit, &failed) {
            // Every event is in the sink: now, and only now, move the state on.
            (Some(state), None) => {
                blocking(move || store.commit_poll(&t, &to_record, state.as_ref(), at))
                    .await
                    .map(|_| ())
            }
            (_, _) if recorded.is_empty() => Ok(()),
            (_, _) => blocking(move || store.record_delivered_all(&t, &to_record, at))
                .await
                .map(|_| ()),
        };
        let mut unrecorded = self.unrecorded.lock().unwrap_or_else(|p| p.into_inner());
        match written {
            Ok(()) => {
                unrecorded.remove(trigger);
            }
            Err(e) => {
                let held = unrecorded.entry(trigger.to_string()).or_default();
                held.extend(recorded);
                tracing::error!(
                    trigger,
                    "the state store cannot be written ({e}); {} event(s) the sink accepted are \
                     kept in memory as delivered, so they are not delivered again, and recorded \
                     at the next successful write",
                    held.len()
                );
                return Err(e.into());
            }
        }
        drop(unrecorded);
        if let Some(e) = failed {
            return Err(e.into());
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
