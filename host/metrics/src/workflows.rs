//! What a workflow engine records: runs by status, runs in progress, action
//! durations and retries, journal write latency; and the spans of a run and
//! of its actions. The engine (`host/workflows`, `host/flows`) calls these;
//! run ids go into span attributes, never into metric labels.
//!
//! ```
//! use std::time::Duration;
//! let span = connector_metrics::workflows::run_span("orders", "run-7", None);
//! let _in_run = span.enter();
//! connector_metrics::workflows::run_started("orders");
//! connector_metrics::workflows::record_action("orders", "fetch", "succeeded", Duration::from_millis(12), 1);
//! connector_metrics::workflows::record_journal_write(Duration::from_micros(300));
//! connector_metrics::workflows::run_finished("orders", "succeeded");
//! ```

use std::time::Duration;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::families::{ActionLabels, ActionNameLabels, RunLabels, WorkflowLabels};
use crate::global;

/// A run of `workflow` started: counted in progress until [`run_finished`].
pub fn run_started(workflow: &str) {
    global()
        .runs_in_progress
        .get_or_create(&WorkflowLabels {
            workflow: workflow.to_string(),
        })
        .inc();
}

/// A run of `workflow` ended with `status` (`succeeded`, `failed`,
/// `cancelled`, ...: a closed set of the engine's, not a message).
pub fn run_finished(workflow: &str, status: &str) {
    let m = global();
    m.runs_in_progress
        .get_or_create(&WorkflowLabels {
            workflow: workflow.to_string(),
        })
        .dec();
    record_run(workflow, status);
}

/// Counts a finished run of `workflow` with `status`, without touching the
/// in-progress gauge (for a run resumed from its journal, say).
pub fn record_run(workflow: &str, status: &str) {
    global()
        .runs
        .get_or_create(&RunLabels {
            workflow: workflow.to_string(),
            status: status.to_string(),
        })
        .inc();
}

/// An action of `workflow` ended with `status` after `duration`, retries
/// included, in `attempts` attempts (1: no retry).
pub fn record_action(
    workflow: &str,
    action: &str,
    status: &str,
    duration: Duration,
    attempts: u32,
) {
    let m = global();
    m.action_duration
        .get_or_create(&ActionLabels {
            workflow: workflow.to_string(),
            action: action.to_string(),
            status: status.to_string(),
        })
        .observe(duration.as_secs_f64());
    if attempts > 1 {
        m.action_retries
            .get_or_create(&ActionNameLabels {
                workflow: workflow.to_string(),
                action: action.to_string(),
            })
            .inc_by(u64::from(attempts - 1));
    }
}

/// One journal record of a run took `duration` to write (durably).
pub fn record_journal_write(duration: Duration) {
    global().journal_write.observe(duration.as_secs_f64());
}

/// The span of one run (`workflow.run`), a child of the W3C `traceparent`
/// of the request that started it when there is one (a `Request` trigger's
/// header), so the run joins the caller's trace. Enter it (or
/// `.in_scope`) while the run executes; connector calls made inside become
/// its children.
pub fn run_span(workflow: &str, run_id: &str, traceparent: Option<&str>) -> Span {
    let span = tracing::info_span!(
        "workflow.run",
        workflow,
        run_id,
        status = tracing::field::Empty
    );
    if let Some(header) = traceparent {
        let carrier =
            std::collections::HashMap::from([("traceparent".to_string(), header.to_string())]);
        let parent = TraceContextPropagator::new().extract(&carrier);
        // A header that does not parse gives an empty context: the run
        // starts its own trace rather than failing.
        let _ = span.set_parent(parent);
    }
    span
}

/// The span of one action of a run (`workflow.action`), a child of the
/// current span (the run's, when entered).
pub fn action_span(workflow: &str, action: &str, attempt: u32) -> Span {
    tracing::info_span!(
        "workflow.action",
        workflow,
        action,
        attempt,
        status = tracing::field::Empty
    )
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
    use tracing_subscriber::prelude::*;

    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn a_run_joins_the_trace_of_its_traceparent_and_records_its_families() {
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::with_default(subscriber, || {
            let header = format!("00-{TRACE}-00f067aa0ba902b7-01");
            let span = run_span("orders", "run-1", Some(&header));
            let trace = span.context().span().span_context().trace_id();
            assert_eq!(trace.to_string(), TRACE);
            let action = span.in_scope(|| action_span("orders", "fetch", 1));
            let inner = action.context().span().span_context().trace_id();
            assert_eq!(inner.to_string(), TRACE, "the action is in the run's trace");
            // A header that does not parse: the run starts its own trace.
            let own = run_span("orders", "run-2", Some("not a traceparent"));
            let own = own.context().span().span_context().trace_id();
            assert_ne!(own.to_string(), TRACE);
        });

        run_started("wf-test");
        run_started("wf-test");
        run_finished("wf-test", "succeeded");
        record_action("wf-test", "a", "failed", Duration::from_millis(5), 3);
        let text = crate::exposition::render();
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in {text}"))
                .rsplit_once(' ')
                .unwrap()
                .1
                .to_string()
        };
        assert_eq!(
            line("connector_host_workflow_runs_in_progress{workflow=\"wf-test\"}"),
            "1"
        );
        assert_eq!(
            line("connector_host_workflow_runs_total{workflow=\"wf-test\",status=\"succeeded\"}"),
            "1"
        );
        assert_eq!(
            line("connector_host_workflow_action_retries_total{workflow=\"wf-test\",action=\"a\"}"),
            "2"
        );
    }
}
