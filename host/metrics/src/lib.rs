//! connector-metrics: what `connector-host` measures of its connectors,
//! triggers and workflows, exposed for Prometheus at `/metrics`, and its
//! traces, sent to an OpenTelemetry collector over OTLP when one is
//! configured.
//!
//! - [`families`]: the metric families, in one registry ([`global`]).
//! - [`calls`]: the runtime's observer ([`calls::install`]), which counts
//!   every connector call and load.
//! - [`triggers`], [`workflows`]: the functions the trigger host and the
//!   workflow engine call.
//! - [`exposition`]: the text format, the `/metrics` route and listener.
//! - [`telemetry`]: the `tracing` subscriber and the OTLP exporter.
//! - [`config`]: `[metrics]` and `[telemetry]` of the configuration.
//!
//! Dependencies run one way: cli -> {server, triggers} -> metrics ->
//! runtime; the runtime only offers [`connector_runtime::observe`].

use std::sync::LazyLock;

pub mod calls;
pub mod config;
pub mod exposition;
pub mod families;
pub mod telemetry;
pub mod triggers;
pub mod workflows;

pub use families::Metrics;

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics (created on first use).
pub fn global() -> &'static Metrics {
    &METRICS
}
