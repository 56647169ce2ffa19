//! The hook through which the host watches its connector calls: an
//! [`Observer`] the embedding program installs once ([`set_observer`]) and
//! the runtime tells about every call it makes (connector, operation,
//! outcome, duration, fuel consumed, linear memory) and every connector it
//! loads.
//!
//! The runtime knows nothing of metrics or exporters: a metrics crate
//! (`connector-metrics`) implements [`Observer`], so dependencies run one
//! way (cli -> metrics -> runtime). With no observer installed a call costs
//! one uncontended read lock more, and a `tracing` span that no subscriber
//! may want.
//!
//! Every call also runs inside a `connector.call` span (fields: connector,
//! operation, attempt, outcome, fuel, memory), so a guest's `log` records,
//! which the default log sink emits as `tracing` events while the call runs,
//! are events of their call's span.

use std::cell::Cell;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmtime::Store;

use crate::capabilities::http::OutboundPolicy;
use crate::error::{CallError, ErrorKind, TrapKind};
use crate::limits::LimitKind;
use crate::options::LoadReport;
use crate::state::HostState;

/// What one call used of its sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Fuel the call burned; `None` when the engine does not meter fuel.
    pub fuel_consumed: Option<u64>,
    /// Bytes of linear memory the instance's memories grew to during the
    /// call (for a fresh instance: all of its linear memory, the peak, since
    /// wasm memories never shrink; for a reused instance: the growth only).
    pub peak_memory_bytes: u64,
}

/// How a call ended, as bounded labels (no messages, no ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded.
    Ok,
    /// The connector answered with a typed error of this kind.
    Connector(ErrorKind),
    /// The call was stopped by this limit.
    Limit(LimitKind),
    /// The guest crashed (`panic`, `stack-overflow`, `other`).
    Trap(&'static str),
    /// The host refused the call or its output (a [`CallError::category`]:
    /// `invalid-input`, `bad-output`, `host`, ...).
    Refused(&'static str),
}

impl Outcome {
    /// The outcome of a finished call.
    pub fn of<T>(result: &Result<T, CallError>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(CallError::Connector { error, .. }) => Outcome::Connector(error.kind),
            Err(CallError::Limit { limit, .. }) => Outcome::Limit(*limit),
            Err(CallError::Trap { kind, .. }) => Outcome::Trap(match kind {
                TrapKind::Panic(_) => "panic",
                TrapKind::StackOverflow => "stack-overflow",
                TrapKind::Other(_) => "other",
            }),
            Err(e) => Outcome::Refused(e.category()),
        }
    }

    /// The outcome's class: `ok`, `connector-error`, `limit`, `trap` or `refused`.
    pub fn class(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Connector(_) => "connector-error",
            Outcome::Limit(_) => "limit",
            Outcome::Trap(_) => "trap",
            Outcome::Refused(_) => "refused",
        }
    }

    /// The detail within the class: the error kind (`throttled`), the limit
    /// (`fuel`), the trap, the refusal's category; empty for `ok`.
    pub fn detail(&self) -> &'static str {
        match self {
            Outcome::Ok => "",
            Outcome::Connector(kind) => error_kind_name(*kind),
            Outcome::Limit(limit) => limit_name(*limit),
            Outcome::Trap(t) | Outcome::Refused(t) => t,
        }
    }
}

fn error_kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "invalid-input",
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not-found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Throttled => "throttled",
        ErrorKind::Transient => "transient",
        ErrorKind::Internal => "internal",
    }
}

fn limit_name(limit: LimitKind) -> &'static str {
    match limit {
        LimitKind::Fuel => "fuel",
        LimitKind::Time => "time",
        LimitKind::Memory => "memory",
        LimitKind::Output => "output",
        LimitKind::Table => "table",
        LimitKind::Concurrency => "concurrency",
        LimitKind::HostResources => "host-resources",
    }
}

/// One finished call, as an [`Observer`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct CallRecord<'a> {
    /// The connector's name.
    pub connector: &'a str,
    /// The operation (action or trigger id).
    pub operation: &'a str,
    /// `invoke` or `poll`.
    pub function: &'static str,
    /// The attempt number from the call context (1 for a first try).
    pub attempt: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// Wall-clock time of the whole call, checks included.
    pub duration: Duration,
    /// What it used; `None` when no instance ran (refused before the guest).
    pub usage: Option<Usage>,
}

/// Receives what the runtime does. Methods must be quick: they run on the
/// call's thread.
pub trait Observer: Send + Sync {
    /// A call is starting (an instance is about to be made or reused).
    fn call_started(&self, _connector: &str, _operation: &str) {}
    /// A call finished.
    fn call_finished(&self, call: &CallRecord<'_>);
    /// A connector was loaded (`report` says whether from the cache, and how long it took).
    fn connector_loaded(&self, _connector: &str, _report: &LoadReport) {}
    /// Outbound HTTP requests of one call: how many the grants refused.
    fn outbound_refused(&self, _connector: &str, _refused: usize) {}
}

static OBSERVER: RwLock<Option<Arc<dyn Observer>>> = RwLock::new(None);

thread_local! {
    /// The usage of the sandboxed run last finished on this thread.
    static RUN_USAGE: Cell<Option<Usage>> = const { Cell::new(None) };
    /// The usage of the last observed call finished on this thread.
    static LAST_CALL: Cell<Option<Usage>> = const { Cell::new(None) };
}

/// Installs `observer` for every connector of the process (replacing any).
pub fn set_observer(observer: Arc<dyn Observer>) {
    *OBSERVER.write().unwrap_or_else(|p| p.into_inner()) = Some(observer);
}

/// Removes the observer: calls are no longer reported.
pub fn clear_observer() {
    *OBSERVER.write().unwrap_or_else(|p| p.into_inner()) = None;
}

fn observer() -> Option<Arc<dyn Observer>> {
    OBSERVER.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// What the last `invoke` or `poll` finished on this thread used, if an
/// instance ran, and forgets it. Calls are synchronous, so a caller takes
/// it right after its call, on the same thread (the server's "try it"
/// does; it takes it before the call too, to drop a stale one).
pub fn take_last_call_usage() -> Option<Usage> {
    LAST_CALL.with(Cell::take)
}

/// Runs one `invoke` or `poll` (`f`) inside its span, and reports it.
pub(crate) fn observed<T>(
    connector: &str,
    operation: &str,
    function: &'static str,
    attempt: u32,
    f: impl FnOnce() -> Result<T, CallError>,
) -> Result<T, CallError> {
    let span = tracing::info_span!(
        "connector.call",
        connector,
        operation,
        function,
        // Signed: OpenTelemetry attributes are i64, and unsigned values
        // would be exported as text.
        attempt = i64::from(attempt),
        outcome = tracing::field::Empty,
        fuel = tracing::field::Empty,
        memory = tracing::field::Empty,
    );
    let _entered = span.enter();
    let observer = observer();
    if let Some(o) = &observer {
        o.call_started(connector, operation);
    }
    RUN_USAGE.with(|u| u.set(None));
    let started = Instant::now();
    let result = f();
    let duration = started.elapsed();
    let usage = RUN_USAGE.with(Cell::take);
    LAST_CALL.with(|u| u.set(usage));
    let outcome = Outcome::of(&result);
    span.record("outcome", outcome.class());
    if let Some(usage) = usage {
        if let Some(fuel) = usage.fuel_consumed {
            span.record("fuel", i64::try_from(fuel).unwrap_or(i64::MAX));
        }
        let memory = i64::try_from(usage.peak_memory_bytes).unwrap_or(i64::MAX);
        span.record("memory", memory);
    }
    if let Some(o) = &observer {
        o.call_finished(&CallRecord {
            connector,
            operation,
            function,
            attempt,
            outcome,
            duration,
            usage,
        });
    }
    result
}

/// Notes what a sandboxed run used, from its store, once the guest returned
/// (or trapped). `fuel_given` is what the store was given, when metered.
pub(crate) fn record_run(
    connector: &str,
    store: &Store<HostState>,
    fuel_given: Option<u64>,
    outbound: &OutboundPolicy,
) {
    let fuel_consumed =
        fuel_given.map(|given| given.saturating_sub(store.get_fuel().unwrap_or(given)));
    let usage = Usage {
        fuel_consumed,
        peak_memory_bytes: store.data().limiter.memory_bytes as u64,
    };
    RUN_USAGE.with(|u| u.set(Some(usage)));
    let refused = outbound.denials().len();
    if refused > 0
        && let Some(o) = observer()
    {
        o.outbound_refused(connector, refused);
    }
}

/// Notes a loaded connector.
pub(crate) fn record_load(connector: &str, report: &LoadReport) {
    if let Some(o) = observer() {
        o.connector_loaded(connector, report);
    }
}
