//! What the trigger host records: polls, items, deliveries, retries, sink
//! errors and lag. Called by `connector-triggers` (the poller and the
//! delivery path); each function is a few atomic adds.

use std::time::Duration;

use crate::families::{PollLabels, TriggerLabels};
use crate::global;

fn labels(trigger: &str, connector: &str) -> TriggerLabels {
    TriggerLabels {
        trigger: trigger.to_string(),
        connector: connector.to_string(),
    }
}

/// One poll of `trigger` finished: `ok` if its events are in the sink and
/// its state committed; `found` is the number of items the connector returned.
pub fn record_poll(trigger: &str, connector: &str, ok: bool, found: usize) {
    let m = global();
    m.polls
        .get_or_create(&PollLabels {
            trigger: trigger.to_string(),
            connector: connector.to_string(),
            outcome: if ok { "ok" } else { "failed" },
        })
        .inc();
    if found > 0 {
        m.items
            .get_or_create(&labels(trigger, connector))
            .inc_by(found as u64);
    }
}

/// A poll started after a failed one: a retry of the poll and of the
/// delivery of what it finds.
pub fn record_retry(trigger: &str, connector: &str) {
    global()
        .retries
        .get_or_create(&labels(trigger, connector))
        .inc();
}

/// A batch of `trigger` reached the sink: `delivered` events accepted now,
/// `duplicates` skipped as delivered before.
pub fn record_delivered(trigger: &str, connector: &str, delivered: usize, duplicates: usize) {
    let m = global();
    let l = labels(trigger, connector);
    if delivered > 0 {
        m.delivered.get_or_create(&l).inc_by(delivered as u64);
    }
    if duplicates > 0 {
        m.duplicates.get_or_create(&l).inc_by(duplicates as u64);
    }
}

/// The sink refused a batch of `trigger`.
pub fn record_sink_error(trigger: &str, connector: &str) {
    global()
        .sink_errors
        .get_or_create(&labels(trigger, connector))
        .inc();
}

/// The time from the start of the poll that found items to their events
/// being in the sink.
pub fn record_lag(trigger: &str, connector: &str, lag: Duration) {
    global()
        .trigger_lag
        .get_or_create(&labels(trigger, connector))
        .observe(lag.as_secs_f64());
}
