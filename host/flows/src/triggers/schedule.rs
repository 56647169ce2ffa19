//! A `Recurrence` trigger: one run per due tick. The tick's time is the event id, and the run
//! is committed with the next due time in one transaction, so a restart neither skips a due
//! tick nor fires one twice. Ticks missed while the host was down fire once, not once each.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use connector_workflows::definition::WorkflowFile;
use connector_workflows::trigger::Recurrence;

use super::Stopper;
use super::status::StatusCell;
use crate::executor::Executor;
use crate::store::{NewEvent, RunStore, TriggerState};

/// A workflow's schedule.
pub struct Schedule {
    workflow: Arc<WorkflowFile>,
    recurrence: Recurrence,
}

impl Schedule {
    /// The schedule of `workflow`.
    pub fn new(workflow: Arc<WorkflowFile>, recurrence: Recurrence) -> Schedule {
        Schedule {
            workflow,
            recurrence,
        }
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &str {
        &self.workflow.name
    }

    fn trigger_name(&self) -> &str {
        &self.workflow.workflow.definition.triggers[0].name
    }

    /// Fires if a tick is due at `now`; returns the run it started, if any, and when the next
    /// tick is due.
    pub fn tick(
        &self,
        store: &RunStore,
        now: DateTime<Utc>,
    ) -> Result<(Option<String>, DateTime<Utc>), String> {
        let name = self.trigger_name();
        let wf = &self.workflow.name;
        let committed = store.trigger_state(wf, name).map_err(|e| e.to_string())?;
        let due = committed
            .next_due
            .and_then(DateTime::<Utc>::from_timestamp_millis);
        let Some(due) = due else {
            // First start: the first tick is the next one from now.
            let next = self.recurrence.next_after(now);
            store
                .commit_events(wf, name, &[], &next_due(next))
                .map_err(|e| e.to_string())?;
            return Ok((None, next));
        };
        if due > now {
            return Ok((None, due));
        }
        let next = self.recurrence.next_after(now);
        let event = NewEvent {
            id: format!("tick:{}", due.timestamp_millis()),
            outputs: json!({"headers": {}, "body": {"scheduledTime": due.to_rfc3339()}}),
        };
        let runs = store
            .commit_events(wf, name, &[event], &next_due(next))
            .map_err(|e| e.to_string())?;
        Ok((runs.into_iter().next(), next))
    }

    /// Fires on schedule until `stop`; each tick's outcome goes to `status`.
    pub fn run(&self, store: &RunStore, executor: &Executor, stop: &Stopper, status: &StatusCell) {
        while !stop.is_stopped() {
            let now = Utc::now();
            let wait = match self.tick(store, now) {
                Ok((run, next)) => {
                    status.polled(usize::from(run.is_some()));
                    if run.is_some() {
                        executor.wake();
                    }
                    (next - now).to_std().unwrap_or(Duration::ZERO)
                }
                Err(e) => {
                    status.failed(store.redact(&e));
                    tracing::warn!("{}: the schedule failed: {e}", self.workflow.name);
                    Duration::from_secs(5)
                }
            };
            if !stop.sleep(wait.max(Duration::from_millis(10))) {
                return;
            }
        }
    }
}

fn next_due(next: DateTime<Utc>) -> TriggerState {
    TriggerState {
        state: None,
        next_due: Some(next.timestamp_millis()),
    }
}
