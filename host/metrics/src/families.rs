//! The metric families of the host, registered once in one registry.
//!
//! Labels are bounded by construction: connector, operation, trigger,
//! workflow and action names come from the operator's configuration or the
//! connector's own description, outcomes from closed enums; no item id, run
//! id, URL path or secret ever becomes a label.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// A histogram family with a plain constructor.
pub type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// connector, operation, function (`invoke` or `poll`), outcome class and detail.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub connector: String,
    pub operation: String,
    pub function: &'static str,
    pub outcome: &'static str,
    pub kind: &'static str,
}

/// connector, operation, function.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub connector: String,
    pub operation: String,
    pub function: &'static str,
}

/// One connector.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConnectorLabels {
    pub connector: String,
}

/// A connector load: where its compiled code came from (`cache` or `compiled`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LoadLabels {
    pub connector: String,
    pub result: &'static str,
}

/// Outbound HTTP: the origin is `scheme://host:port` of a grant, never a
/// URL path or query; refused requests (no grant matched, or an address
/// the grant does not name) share the origin `ungranted`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutboundLabels {
    pub connector: String,
    pub origin: String,
    pub outcome: &'static str,
}

/// One trigger of the configuration and its connector.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TriggerLabels {
    pub trigger: String,
    pub connector: String,
}

/// A poll's outcome: `ok` or `failed`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PollLabels {
    pub trigger: String,
    pub connector: String,
    pub outcome: &'static str,
}

/// One workflow.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkflowLabels {
    pub workflow: String,
}

/// A finished run: its status (`succeeded`, `failed`, `cancelled`, ...).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    pub workflow: String,
    pub status: String,
}

/// One action of a workflow, with its status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabels {
    pub workflow: String,
    pub action: String,
    pub status: String,
}

/// One action of a workflow.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionNameLabels {
    pub workflow: String,
    pub action: String,
}

fn latency() -> Histogram {
    // 100 µs .. about 52 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 20))
}

fn fuel() -> Histogram {
    // 1,000 .. about 1.3e11 units of fuel.
    Histogram::new(exponential_buckets(1_000.0, 4.0, 14))
}

fn memory() -> Histogram {
    // 64 KiB (one wasm page) .. 4 GiB.
    Histogram::new(exponential_buckets(65_536.0, 2.0, 17))
}

fn load_time() -> Histogram {
    // 1 ms .. about 130 s (a first compile is slow).
    Histogram::new(exponential_buckets(0.001, 2.0, 18))
}

/// Every family of the host.
pub struct Metrics {
    pub registry: Registry,
    pub calls: Family<CallLabels, Counter>,
    pub call_duration: Histograms<OperationLabels>,
    pub call_fuel: Histograms<OperationLabels>,
    pub call_memory: Histograms<OperationLabels>,
    pub instances_live: Family<ConnectorLabels, Gauge>,
    pub loads: Family<LoadLabels, Counter>,
    pub load_duration: Histograms<LoadLabels>,
    pub outbound: Family<OutboundLabels, Counter>,
    pub polls: Family<PollLabels, Counter>,
    pub items: Family<TriggerLabels, Counter>,
    pub delivered: Family<TriggerLabels, Counter>,
    pub duplicates: Family<TriggerLabels, Counter>,
    pub retries: Family<TriggerLabels, Counter>,
    pub sink_errors: Family<TriggerLabels, Counter>,
    pub trigger_lag: Histograms<TriggerLabels>,
    pub runs: Family<RunLabels, Counter>,
    pub runs_in_progress: Family<WorkflowLabels, Gauge>,
    pub action_duration: Histograms<ActionLabels>,
    pub action_retries: Family<ActionNameLabels, Counter>,
    pub journal_write: Histogram,
}

impl Metrics {
    /// The families, registered under the prefix `connector_host`.
    pub fn new() -> Self {
        let m = Metrics {
            registry: Registry::with_prefix("connector_host"),
            calls: Family::default(),
            call_duration: Family::new_with_constructor(latency),
            call_fuel: Family::new_with_constructor(fuel),
            call_memory: Family::new_with_constructor(memory),
            instances_live: Family::default(),
            loads: Family::default(),
            load_duration: Family::new_with_constructor(load_time),
            outbound: Family::default(),
            polls: Family::default(),
            items: Family::default(),
            delivered: Family::default(),
            duplicates: Family::default(),
            retries: Family::default(),
            sink_errors: Family::default(),
            trigger_lag: Family::new_with_constructor(latency),
            runs: Family::default(),
            runs_in_progress: Family::default(),
            action_duration: Family::new_with_constructor(latency),
            action_retries: Family::default(),
            journal_write: latency(),
        };
        m.register()
    }

    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register("calls", "Connector calls (invoke, poll) by outcome: ok, connector-error (kind), limit (which), trap, refused", self.calls.clone());
        r.register_with_unit(
            "call_duration",
            "Wall-clock time of a connector call",
            Unit::Seconds,
            self.call_duration.clone(),
        );
        r.register(
            "call_fuel",
            "Fuel one call consumed (wasm instructions, roughly)",
            self.call_fuel.clone(),
        );
        r.register_with_unit(
            "call_memory",
            "Linear memory of the call's instance at its peak",
            Unit::Bytes,
            self.call_memory.clone(),
        );
        r.register(
            "instances_live",
            "Connector instances alive now (calls in progress)",
            self.instances_live.clone(),
        );
        r.register(
            "component_loads",
            "Connector loads by where the compiled code came from: cache (hit) or compiled (miss)",
            self.loads.clone(),
        );
        r.register_with_unit(
            "component_load_duration",
            "Time to load a connector (compile or read the cache, describe)",
            Unit::Seconds,
            self.load_duration.clone(),
        );
        r.register(
            "outbound_requests",
            "Outbound HTTP requests by grant origin and outcome (refused: no grant matched)",
            self.outbound.clone(),
        );
        r.register(
            "trigger_polls",
            "Polls of a polling trigger by outcome (ok, failed: connector, delivery or store)",
            self.polls.clone(),
        );
        r.register("trigger_items", "Items triggers found", self.items.clone());
        r.register(
            "trigger_events_delivered",
            "Events the sink accepted",
            self.delivered.clone(),
        );
        r.register(
            "trigger_events_duplicate",
            "Events skipped because their id had been delivered before",
            self.duplicates.clone(),
        );
        r.register(
            "trigger_retries",
            "Polls (and their deliveries) retried after a failed one",
            self.retries.clone(),
        );
        r.register(
            "trigger_sink_errors",
            "Batches the sink refused",
            self.sink_errors.clone(),
        );
        r.register_with_unit(
            "trigger_lag",
            "From the start of the poll that found an item to its event being in the sink",
            Unit::Seconds,
            self.trigger_lag.clone(),
        );
        r.register(
            "workflow_runs",
            "Finished workflow runs by status",
            self.runs.clone(),
        );
        r.register(
            "workflow_runs_in_progress",
            "Workflow runs in progress",
            self.runs_in_progress.clone(),
        );
        r.register_with_unit(
            "workflow_action_duration",
            "Time of one workflow action, retries included, by status",
            Unit::Seconds,
            self.action_duration.clone(),
        );
        r.register(
            "workflow_action_retries",
            "Retries of workflow actions",
            self.action_retries.clone(),
        );
        r.register_with_unit(
            "workflow_journal_write",
            "Time to write one journal record of a run",
            Unit::Seconds,
            self.journal_write.clone(),
        );
        self
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
