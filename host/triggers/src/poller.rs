//! The poller of one polling trigger: a tokio task that polls, delivers
//! and commits, on the trigger's schedule.
//!
//! One poll: load the committed state, call the connector's `poll` (on the
//! blocking pool: calls into wasm are synchronous), turn the items into
//! events, deliver them (skipping ids delivered before), and only then
//! commit the new state. A failure anywhere (a trap, a limit, a connector
//! error, a sink that refuses) leaves the state where it was; the trigger
//! backs off and polls again from that state, and the ids already
//! delivered keep the redelivery from reaching the sink twice.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Semaphore, watch};

use super::backoff::{Backoff, BackoffPolicy, seed_for};
use super::clock::{Clock, human_duration};
use super::delivery::{Delivered, Delivery, DeliveryError, blocking};
use super::event::{EventSource, Origin, events_from_items};
use super::leases::{LeaseKeeper, PollGuard};
use super::store::{Activity, StateStore, StoreError};
use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::{Connector, PollOutcome};
use connector_runtime::description::ItemMode;
use connector_runtime::error::{CallError, ErrorKind};

/// A poll that found nothing yet asks to be polled again at once waits at
/// least this long, so that a connector that keeps asking cannot spin the host.
pub const EMPTY_POLL_AGAIN_FLOOR: Duration = Duration::from_secs(1);

/// The longest "poll again after" hint the host honours.
pub const MAX_POLL_AGAIN: Duration = Duration::from_secs(24 * 3600);

/// Something that can be polled: a trigger of a loaded connector, or a
/// stand-in in tests.
pub trait PollSource: Send + Sync + 'static {
    /// Polls once with the last committed state. Blocking.
    fn poll(&self, state: Option<&Value>) -> Result<PollOutcome, CallError>;
}

/// A polling trigger of a loaded connector, with its connection and input.
pub struct ConnectorPoll {
    pub connector: Arc<Connector>,
    pub operation: String,
    pub connection: Connection,
    pub input: Value,
}

impl PollSource for ConnectorPoll {
    fn poll(&self, state: Option<&Value>) -> Result<PollOutcome, CallError> {
        self.connector
            .poll(&self.operation, &self.connection, &self.input, state)
    }
}

/// What the poller of one trigger needs to know.
#[derive(Debug, Clone)]
pub struct PollerSettings {
    /// The trigger's name in the configuration.
    pub trigger: String,
    /// The connector's name in the configuration.
    pub connector: String,
    /// The trigger operation's id.
    pub operation: String,
    pub item_mode: ItemMode,
    /// How often to poll when the connector gives no hint.
    pub recurrence: Duration,
    /// How to back off after failures.
    pub backoff: BackoffPolicy,
    /// Hides the connection's secrets in error messages.
    pub redactor: Redactor,
}

/// What one poll did.
#[derive(Debug, Clone, PartialEq)]
pub enum PollReport {
    /// Every event was delivered (or had been before) and the state committed.
    Done {
        delivered: Delivered,
        /// When to poll next.
        next: Duration,
    },
    /// Nothing was committed.
    Failed {
        /// The failure, secrets redacted.
        error: String,
        /// When to poll next (the backoff).
        next: Duration,
    },
}

impl PollReport {
    /// When to poll next.
    pub fn next(&self) -> Duration {
        match self {
            PollReport::Done { next, .. } | PollReport::Failed { next, .. } => *next,
        }
    }
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
enum PollFailure {
    #[error("{0}")]
    Call(#[from] CallError),
    #[error("delivery failed: {0}")]
    Delivery(#[from] DeliveryError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the poll crashed the host thread that ran it: {0}")]
    Crashed(String),
}

impl PollFailure {
    /// How long the service asked to be left alone, if it did.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            PollFailure::Call(CallError::Connector { error, .. })
                if error.kind == ErrorKind::Throttled =>
            {
                error.retry_after_ms.map(Duration::from_millis)
            }
            _ => None,
        }
    }
}

/// The poller of one trigger.
pub struct Poller {
    settings: PollerSettings,
    source: Arc<dyn PollSource>,
    store: Arc<dyn StateStore>,
    delivery: Arc<Delivery>,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
    /// Shared by the pollers of one host: a poll holds a permit while its
    /// connector call runs, so that many due triggers queue for a few
    /// threads instead of each taking a blocking thread, a store and a
    /// pool slot at once.
    gate: Option<Arc<Semaphore>>,
    /// The state this poller last committed (`Some(None)`: none yet), so
    /// that a poll need not read it back. The poller is its trigger's only
    /// writer (one host per state file), so it is what the store holds;
    /// after a failure it is unknown again and read from the store.
    committed: Option<Option<Value>>,
    /// With a shared store: the host's leases (it polls only while it holds
    /// its trigger's), a receiver woken when they change, and the epoch of
    /// the lease its cached state belongs to.
    lease: Option<(Arc<LeaseKeeper>, watch::Receiver<u64>)>,
    lease_epoch: Option<u64>,
}

impl Poller {
    /// A poller that has not polled yet.
    pub fn new(
        settings: PollerSettings,
        source: Arc<dyn PollSource>,
        store: Arc<dyn StateStore>,
        delivery: Arc<Delivery>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let backoff = Backoff::new(settings.backoff, seed_for(&settings.trigger));
        Self {
            settings,
            source,
            store,
            delivery,
            clock,
            backoff,
            gate: None,
            committed: None,
            lease: None,
            lease_epoch: None,
        }
    }

    /// Polls only while `keeper` holds this trigger's lease (a store that
    /// several hosts share).
    pub fn with_lease(mut self, keeper: Arc<LeaseKeeper>) -> Self {
        let changes = keeper.subscribe();
        self.lease = Some((keeper, changes));
        self
    }

    /// Whether this host may poll now: `Some` with the guard that marks the
    /// poll in progress (`Some(None)` without leases). A lease taken anew
    /// means another host may have moved the state on, so the cached one
    /// is dropped.
    fn lease_held(&mut self) -> Option<Option<PollGuard>> {
        let Some((keeper, _)) = &self.lease else {
            return Some(None);
        };
        let guard = keeper.begin(&self.settings.trigger);
        let epoch = guard.as_ref().map(PollGuard::epoch);
        if epoch.is_none() || epoch != self.lease_epoch {
            self.committed = None;
        }
        self.lease_epoch = epoch;
        guard.map(Some)
    }

    /// Runs the connector calls of this poller only while holding a permit
    /// of `gate`.
    pub fn with_gate(mut self, gate: Arc<Semaphore>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The trigger's name.
    pub fn trigger(&self) -> &str {
        &self.settings.trigger
    }

    /// Polls until `shutdown` turns true (or its sender is dropped). A poll
    /// in progress is finished first; the wait between polls is not.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            let Some(guard) = self.lease_held() else {
                let (_, changes) = self.lease.as_mut().expect("leases are in use");
                // Woken when the leases change; the timeout catches a lease
                // that ran short of time to spare without changing hands.
                tokio::select! {
                    _ = tokio::time::timeout(Duration::from_secs(1), changes.changed()) => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                continue;
            };
            let next = self.poll_once().await.next();
            drop(guard);
            tokio::select! {
                () = self.clock.sleep(next) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Polls once: state, poll, deliver, commit. Failures are recorded in
    /// the store and logged, and set the backoff.
    pub async fn poll_once(&mut self) -> PollReport {
        let (trigger, connector) = (&self.settings.trigger, &self.settings.connector);
        if self.backoff.failures() > 0 {
            connector_metrics::triggers::record_retry(trigger, connector);
        }
        let span = tracing::info_span!("trigger.poll", trigger = %trigger, connector = %connector);
        match tracing::Instrument::instrument(self.attempt(), span).await {
            Ok(done) => {
                self.backoff.reset();
                done
            }
            Err(failure) => {
                connector_metrics::triggers::record_poll(
                    &self.settings.trigger,
                    &self.settings.connector,
                    false,
                    0,
                );
                let error = self.settings.redactor.redact(&failure.to_string());
                let next = self.backoff.next_delay(failure.retry_after());
                let trigger = self.settings.trigger.clone();
                tracing::warn!(
                    trigger = %trigger,
                    failures = self.backoff.failures(),
                    "poll failed, state kept; next try in {}: {error}",
                    human_duration(next)
                );
                let (store, message, at) = (self.store.clone(), error.clone(), self.clock.now());
                if let Err(e) =
                    blocking(move || store.record_failure(&trigger, Activity::Poll, &message, at))
                        .await
                {
                    tracing::error!(trigger = %self.settings.trigger, "cannot record the failure: {e}");
                }
                PollReport::Failed { error, next }
            }
        }
    }

    async fn attempt(&mut self) -> Result<PollReport, PollFailure> {
        let s = &self.settings;
        let polled_at = self.clock.now();
        let state = match self.committed.take() {
            Some(state) => state,
            None => {
                let (store, trigger) = (self.store.clone(), s.trigger.clone());
                blocking(move || store.load_state(&trigger)).await?
            }
        };

        let source = self.source.clone();
        let permit = match &self.gate {
            Some(gate) => Some(
                gate.clone()
                    .acquire_owned()
                    .await
                    .expect("the gate is never closed"),
            ),
            None => None,
        };
        // The connector call's span is a child of the poll's.
        let span = tracing::Span::current();
        let (outcome, state) = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _in_poll = span.enter();
            (source.poll(state.as_ref()), state)
        })
        .await
        .map_err(|e| PollFailure::Crashed(e.to_string()))?;
        let outcome = outcome?;

        let origin = Origin {
            trigger: &s.trigger,
            connector: &s.connector,
            operation: &s.operation,
            source: EventSource::Poll,
            at: polled_at,
        };
        let found = outcome.items.len();
        let events = events_from_items(&origin, s.item_mode, outcome.items);
        // The state moves on only once every event is in the sink.
        let committed = match &outcome.state {
            Some(new) => Some(new.clone()),
            None => state,
        };
        let delivered = self
            .delivery
            .deliver_and_commit(&s.trigger, &events, outcome.state)
            .await?;
        self.committed = Some(committed);
        connector_metrics::triggers::record_poll(&s.trigger, &s.connector, true, found);
        if delivered.events > 0 {
            let lag = self
                .clock
                .now()
                .duration_since(polled_at)
                .unwrap_or_default();
            connector_metrics::triggers::record_lag(&s.trigger, &s.connector, lag);
        }

        let next = match outcome.poll_again_after {
            // Nothing new (no items, or only items already delivered): a
            // connector that keeps asking "at once" would be polled in a
            // tight loop for ever.
            Some(d) if d.is_zero() && delivered.events == 0 => EMPTY_POLL_AGAIN_FLOOR,
            Some(d) => d.min(MAX_POLL_AGAIN),
            None => s.recurrence,
        };
        if delivered.events > 0 || delivered.duplicates > 0 {
            tracing::info!(
                trigger = %s.trigger,
                events = delivered.events,
                items = delivered.items,
                duplicates = delivered.duplicates,
                "delivered; next poll in {}",
                human_duration(next)
            );
        }
        Ok(PollReport::Done { delivered, next })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::SystemTime;

    use serde_json::json;

    use super::*;
    use crate::clock::BoxFuture;
    use crate::event::Event;
    use crate::sink::{EventSink, SinkError};
    use crate::store::SqliteStore;
    use connector_runtime::connector::Item;
    use connector_runtime::error::{ConnectorError, TrapKind};

    /// A clock that stands still and never waits: schedules are read from
    /// the reports, not lived through.
    struct FrozenClock;

    impl Clock for FrozenClock {
        fn now(&self) -> SystemTime {
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
        }
        fn sleep(&self, _: Duration) -> BoxFuture<'static, ()> {
            Box::pin(async {})
        }
    }

    /// A source that plays back scripted results and records the states it saw.
    #[derive(Default)]
    struct Script {
        results: Mutex<VecDeque<Result<PollOutcome, CallError>>>,
        seen: Mutex<Vec<Option<Value>>>,
    }

    impl PollSource for Script {
        fn poll(&self, state: Option<&Value>) -> Result<PollOutcome, CallError> {
            self.seen.lock().unwrap().push(state.cloned());
            self.results
                .lock()
                .unwrap()
                .pop_front()
                .expect("the script has a result for every poll")
        }
    }

    /// A sink that keeps events; `plan` says, delivery by delivery, whether
    /// to refuse (accepting everything once it runs out).
    #[derive(Default)]
    struct Collect {
        events: Mutex<Vec<Event>>,
        plan: Mutex<VecDeque<bool>>,
    }

    impl EventSink for Collect {
        fn describe(&self) -> String {
            "test sink".into()
        }
        fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>> {
            Box::pin(async move {
                if self.plan.lock().unwrap().pop_front() == Some(true) {
                    return Err(SinkError {
                        sink: "test sink".into(),
                        message: "down".into(),
                    });
                }
                self.events.lock().unwrap().push(event.clone());
                Ok(())
            })
        }
    }

    impl Collect {
        fn ids(&self) -> Vec<String> {
            self.events
                .lock()
                .unwrap()
                .iter()
                .map(|e| e.id.clone())
                .collect()
        }
    }

    fn outcome(ids: &[&str], state: Value, again: Option<u64>) -> Result<PollOutcome, CallError> {
        Ok(PollOutcome {
            items: ids
                .iter()
                .map(|id| Item {
                    id: id.to_string(),
                    body: json!({ "id": id }).into(),
                })
                .collect(),
            state: Some(state),
            poll_again_after: again.map(Duration::from_millis),
        })
    }

    fn trap() -> Result<PollOutcome, CallError> {
        Err(CallError::Trap {
            connector: "c".into(),
            kind: TrapKind::Panic("boom with secret-token inside".into()),
        })
    }

    struct Fixture {
        poller: Poller,
        script: Arc<Script>,
        sink: Arc<Collect>,
        store: Arc<SqliteStore>,
    }

    fn fixture(
        label: &str,
        mode: ItemMode,
        results: Vec<Result<PollOutcome, CallError>>,
    ) -> Fixture {
        let dir: PathBuf = std::env::temp_dir().join(format!(
            "connector-host-poller-{label}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(SqliteStore::open(&dir.join("state.db")).unwrap());
        let sink = Arc::new(Collect::default());
        let script = Arc::new(Script {
            results: Mutex::new(results.into()),
            ..Script::default()
        });
        let clock: Arc<dyn Clock> = Arc::new(FrozenClock);
        let delivery = Arc::new(Delivery::new(store.clone(), sink.clone(), clock.clone()));
        let settings = PollerSettings {
            trigger: "t".into(),
            connector: "c".into(),
            operation: "op".into(),
            item_mode: mode,
            recurrence: Duration::from_secs(30),
            backoff: BackoffPolicy {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(8),
            },
            redactor: Redactor::new(vec!["secret-token".to_string()]),
        };
        let poller = Poller::new(settings, script.clone(), store.clone(), delivery, clock);
        Fixture {
            poller,
            script,
            sink,
            store,
        }
    }

    #[tokio::test]
    async fn items_are_delivered_then_the_state_is_committed_and_hints_are_followed() {
        let mut f = fixture(
            "happy",
            ItemMode::Split,
            vec![
                outcome(&["a", "b"], json!({"next": 2}), Some(0)),
                outcome(&["c"], json!({"next": 3}), None),
                outcome(&["d"], json!({"next": 4}), Some(2500)),
            ],
        );
        let first = f.poller.poll_once().await;
        assert_eq!(
            first,
            PollReport::Done {
                delivered: Delivered {
                    events: 2,
                    items: 2,
                    duplicates: 0
                },
                next: Duration::ZERO,
            }
        );
        assert_eq!(f.store.load_state("t").unwrap(), Some(json!({"next": 2})));
        assert_eq!(f.poller.poll_once().await.next(), Duration::from_secs(30));
        assert_eq!(
            f.poller.poll_once().await.next(),
            Duration::from_millis(2500)
        );
        assert_eq!(f.sink.ids(), ["t/a", "t/b", "t/c", "t/d"]);
        // Each poll saw the state the one before committed.
        assert_eq!(
            *f.script.seen.lock().unwrap(),
            [None, Some(json!({"next": 2})), Some(json!({"next": 3}))]
        );
    }

    #[tokio::test]
    async fn after_a_failure_the_state_is_read_back_from_the_store() {
        let keep = Ok(PollOutcome {
            items: Vec::new(),
            state: None,
            poll_again_after: None,
        });
        let mut f = fixture(
            "reload",
            ItemMode::Split,
            vec![
                outcome(&["a"], json!({"next": 1}), None),
                keep,
                trap(),
                outcome(&["b"], json!({"next": 2}), None),
            ],
        );
        for _ in 0..3 {
            f.poller.poll_once().await;
        }
        // What the poller knew is forgotten after the trap: a state put in
        // the store meanwhile (as a restarted host would find it) is read.
        f.store
            .commit("t", Some(&json!({"next": 7})), SystemTime::now())
            .unwrap();
        f.poller.poll_once().await;
        assert_eq!(
            *f.script.seen.lock().unwrap(),
            [
                None,
                Some(json!({"next": 1})),
                // A poll that returned no state kept the one before.
                Some(json!({"next": 1})),
                Some(json!({"next": 7})),
            ]
        );
        assert_eq!(f.store.load_state("t").unwrap(), Some(json!({"next": 2})));
    }

    #[tokio::test]
    async fn a_sink_failure_keeps_the_state_and_the_retry_skips_what_was_delivered() {
        let three = || outcome(&["a", "b", "c"], json!({"next": 3}), None);
        let mut f = fixture(
            "sink-down",
            ItemMode::Split,
            vec![three(), three(), three()],
        );
        // First poll: "a" is accepted, "b" refused. Second: "b" refused again.
        *f.sink.plan.lock().unwrap() = [false, true, true].into();
        let r1 = f.poller.poll_once().await;
        assert!(
            matches!(&r1, PollReport::Failed { error, .. } if error.contains("down")),
            "{r1:?}"
        );
        assert_eq!(
            f.store.load_state("t").unwrap(),
            None,
            "state moved past undelivered items"
        );
        let r2 = f.poller.poll_once().await;
        assert!(matches!(r2, PollReport::Failed { .. }), "{r2:?}");
        assert_eq!(f.store.load_state("t").unwrap(), None);
        let r3 = f.poller.poll_once().await;
        assert_eq!(
            r3,
            PollReport::Done {
                delivered: Delivered {
                    events: 2,
                    items: 2,
                    duplicates: 1
                },
                next: Duration::from_secs(30),
            }
        );
        // "a" reached the sink once, although three polls returned it.
        assert_eq!(f.sink.ids(), ["t/a", "t/b", "t/c"]);
        assert_eq!(f.store.load_state("t").unwrap(), Some(json!({"next": 3})));
    }

    #[tokio::test]
    async fn redelivered_items_are_skipped_by_id() {
        let mut f = fixture(
            "dedupe",
            ItemMode::Split,
            vec![
                outcome(&["a", "b"], json!({"next": 2}), None),
                outcome(&["b", "c"], json!({"next": 3}), None),
            ],
        );
        f.poller.poll_once().await;
        let r = f.poller.poll_once().await;
        assert_eq!(
            r,
            PollReport::Done {
                delivered: Delivered {
                    events: 1,
                    items: 1,
                    duplicates: 1
                },
                next: Duration::from_secs(30),
            }
        );
        assert_eq!(f.sink.ids(), ["t/a", "t/b", "t/c"]);
    }

    #[tokio::test]
    async fn traps_keep_the_state_back_off_and_hide_secrets() {
        let mut f = fixture(
            "trap",
            ItemMode::Split,
            vec![
                outcome(&["a"], json!({"next": 1}), None),
                trap(),
                trap(),
                trap(),
                trap(),
                trap(),
                outcome(&["b"], json!({"next": 2}), None),
            ],
        );
        f.poller.poll_once().await;
        let mut delays = Vec::new();
        for _ in 0..5 {
            let r = f.poller.poll_once().await;
            let PollReport::Failed { error, next } = r else {
                panic!("a trap did not fail the poll: {r:?}");
            };
            assert!(
                error.contains("[redacted]") && !error.contains("secret-token"),
                "{error}"
            );
            assert_eq!(f.store.load_state("t").unwrap(), Some(json!({"next": 1})));
            delays.push(next);
        }
        // 1 s doubling, capped at 8 s, with jitter of up to half.
        for (d, base) in delays.iter().zip([1, 2, 4, 8, 8]) {
            let base = Duration::from_secs(base);
            assert!(*d >= base / 2 && *d <= base, "{delays:?}");
        }
        assert_eq!(f.poller.poll_once().await.next(), Duration::from_secs(30));
        let status = &f.store.statuses().unwrap()[0];
        assert_eq!(
            (status.polls, status.failures, status.consecutive_failures),
            (7, 5, 0)
        );
        // Every poll after the first saw the state the first committed.
        assert!(
            f.script.seen.lock().unwrap()[1..]
                .iter()
                .all(|s| *s == Some(json!({"next": 1})))
        );
    }

    #[tokio::test]
    async fn throttling_is_honoured() {
        let mut f = fixture(
            "throttle",
            ItemMode::Split,
            vec![Err(CallError::Connector {
                connector: "c".into(),
                error: ConnectorError {
                    kind: ErrorKind::Throttled,
                    code: "slow-down".into(),
                    message: "too many requests".into(),
                    retry_after_ms: Some(45_000),
                },
            })],
        );
        assert!(f.poller.poll_once().await.next() >= Duration::from_secs(45));
    }

    #[tokio::test]
    async fn polls_that_bring_only_delivered_items_do_not_spin() {
        let mut f = fixture(
            "dups",
            ItemMode::Split,
            vec![
                outcome(&["a"], json!({"next": 1}), Some(0)),
                outcome(&["a"], json!({"next": 1}), Some(0)),
            ],
        );
        // New items: polled again at once, as asked.
        assert_eq!(f.poller.poll_once().await.next(), Duration::ZERO);
        // The same item again, nothing new: not at once.
        assert_eq!(f.poller.poll_once().await.next(), EMPTY_POLL_AGAIN_FLOOR);
    }

    #[tokio::test]
    async fn single_mode_delivers_one_event_per_poll_and_empty_polls_do_not_spin() {
        let mut f = fixture(
            "single",
            ItemMode::Single,
            vec![
                outcome(&["a", "b", "c"], json!({"next": 3}), None),
                Ok(PollOutcome {
                    items: Vec::new(),
                    state: None,
                    poll_again_after: Some(Duration::ZERO),
                }),
            ],
        );
        f.poller.poll_once().await;
        let events = f.sink.events.lock().unwrap().clone();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].item_ids, ["a", "b", "c"]);
        assert_eq!(f.poller.poll_once().await.next(), EMPTY_POLL_AGAIN_FLOOR);
        // A poll with no new state keeps the committed one.
        assert_eq!(f.store.load_state("t").unwrap(), Some(json!({"next": 3})));
    }
}
