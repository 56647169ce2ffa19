//! The runtime's [`Observer`]: turns each connector call and load into
//! samples of the call families.

use std::sync::Arc;

use connector_runtime::cache::Origin;
use connector_runtime::observe::{self, CallRecord, Observer};
use connector_runtime::options::LoadReport;

use crate::families::{CallLabels, ConnectorLabels, LoadLabels, OperationLabels, OutboundLabels};
use crate::global;

/// Records calls into the process's [`crate::Metrics`].
#[derive(Debug, Default)]
pub struct CallObserver;

impl Observer for CallObserver {
    fn call_started(&self, connector: &str, _operation: &str) {
        global()
            .instances_live
            .get_or_create(&ConnectorLabels {
                connector: connector.to_string(),
            })
            .inc();
    }

    fn call_finished(&self, call: &CallRecord<'_>) {
        let m = global();
        m.instances_live
            .get_or_create(&ConnectorLabels {
                connector: call.connector.to_string(),
            })
            .dec();
        m.calls
            .get_or_create(&CallLabels {
                connector: call.connector.to_string(),
                operation: call.operation.to_string(),
                function: call.function,
                outcome: call.outcome.class(),
                kind: call.outcome.detail(),
            })
            .inc();
        let op = OperationLabels {
            connector: call.connector.to_string(),
            operation: call.operation.to_string(),
            function: call.function,
        };
        m.call_duration
            .get_or_create(&op)
            .observe(call.duration.as_secs_f64());
        if let Some(usage) = call.usage {
            if let Some(fuel) = usage.fuel_consumed {
                m.call_fuel.get_or_create(&op).observe(fuel as f64);
            }
            m.call_memory
                .get_or_create(&op)
                .observe(usage.peak_memory_bytes as f64);
        }
    }

    fn connector_loaded(&self, connector: &str, report: &LoadReport) {
        let m = global();
        let labels = LoadLabels {
            connector: connector.to_string(),
            result: match report.origin {
                Origin::Cache => "cache",
                Origin::Compiled => "compiled",
            },
        };
        m.loads.get_or_create(&labels).inc();
        m.load_duration
            .get_or_create(&labels)
            .observe(report.elapsed.as_secs_f64());
    }

    fn outbound_refused(&self, connector: &str, refused: usize) {
        global()
            .outbound
            .get_or_create(&OutboundLabels {
                connector: connector.to_string(),
                origin: "ungranted".to_string(),
                outcome: "refused",
            })
            .inc_by(refused as u64);
    }
}

/// Installs the [`CallObserver`] in the runtime: from now on every call of
/// every connector of the process is counted.
pub fn install() {
    observe::set_observer(Arc::new(CallObserver));
}

/// Removes it (the benchmark's "metrics off").
pub fn uninstall() {
    observe::clear_observer();
}
