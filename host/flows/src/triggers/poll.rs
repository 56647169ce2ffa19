//! A workflow's polling trigger: the connector's trigger operation polled as
//! `connector-triggers` does (the committed state in, the new state out), its items turned
//! into one event each (or one event of all, for a `single` trigger), `splitOn` and
//! `conditions` applied, and the runs committed together with the state.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use connector_runtime::connection::Connection;
use connector_runtime::connector::{CallContext, Connector};
use connector_runtime::description::ItemMode;
use connector_workflows::definition::{Trigger, WorkflowFile};
use connector_workflows::expr::StaticScope;
use connector_workflows::trigger::{Recurrence, conditions_hold, split_events};

use super::Stopper;
use super::status::StatusCell;
use crate::executor::Executor;
use crate::store::{NewEvent, RunStore, TriggerState};

/// The shortest time between two polls, whatever the recurrence asks.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// How long a failing trigger waits at most before it polls again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// What one poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSummary {
    /// Items the connector returned.
    pub items: usize,
    /// Runs started (events whose id had not started one before and whose conditions held).
    pub runs: Vec<String>,
    /// Whether the connector asked to be polled again at once (more items wait).
    pub more: bool,
}

/// One workflow's polling trigger, ready to poll.
pub struct PollingTrigger {
    workflow: Arc<WorkflowFile>,
    connector: Arc<Connector>,
    connection: Connection,
    input: Value,
    interval: Option<Recurrence>,
    default_interval: Duration,
    mode: ItemMode,
}

impl PollingTrigger {
    /// Checks the trigger's `inputs.parameters` (they must not need a run to evaluate) and
    /// builds it.
    pub fn new(
        workflow: Arc<WorkflowFile>,
        connector: Arc<Connector>,
        connection: Connection,
        recurrence: Option<Recurrence>,
    ) -> Result<PollingTrigger, String> {
        let t = &workflow.workflow.definition.triggers[0];
        let inputs = t
            .inputs
            .eval(&StaticScope::new())
            .map_err(|e| format!("the trigger's inputs{}: {}", e.pointer, e.error))?;
        let input = inputs
            .get("parameters")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let op = t
            .service_provider
            .as_ref()
            .and_then(|c| connector.description().operation(&c.operation_id));
        let settings = op.and_then(|o| o.trigger.as_ref());
        Ok(PollingTrigger {
            default_interval: Duration::from_secs(
                settings.map_or(60, |s| u64::from(s.default_recurrence_seconds.max(1))),
            ),
            mode: settings.map_or(ItemMode::Split, |s| s.item_mode),
            workflow,
            connector,
            connection,
            input,
            interval: recurrence,
        })
    }

    fn trigger(&self) -> &Trigger {
        &self.workflow.workflow.definition.triggers[0]
    }

    /// The workflow's name.
    pub fn workflow(&self) -> &str {
        &self.workflow.name
    }

    /// Polls once and commits what it found.
    pub fn poll_once(&self, store: &RunStore) -> Result<PollSummary, String> {
        let t = self.trigger();
        let wf = &self.workflow.name;
        let op = &t
            .service_provider
            .as_ref()
            .ok_or("not a ServiceProvider trigger")?
            .operation_id;
        let committed = store
            .trigger_state(wf, &t.name)
            .map_err(|e| e.to_string())?;
        let outcome = self
            .connector
            .poll_with(
                op,
                &self.connection,
                &self.input,
                committed.state.as_ref(),
                &CallContext::for_trigger(format!("{wf}/{}", t.name)),
            )
            .map_err(|e| e.to_string())?;
        let mut groups: Vec<(String, Value)> = Vec::new();
        match self.mode {
            ItemMode::Split => {
                for item in &outcome.items {
                    let body = item.body.to_value().map_err(|e| e.to_string())?;
                    groups.push((item.id.clone(), body));
                }
            }
            ItemMode::Single if !outcome.items.is_empty() => {
                let ids: Vec<&str> = outcome.items.iter().map(|i| i.id.as_str()).collect();
                let bodies = outcome
                    .items
                    .iter()
                    .map(|i| i.body.to_value())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                groups.push((ids.join("\u{1f}"), Value::Array(bodies)));
            }
            ItemMode::Single => {}
        }
        let mut events = Vec::new();
        for (id, body) in groups {
            let outputs = json!({"headers": {}, "body": body});
            let split = split_events(t, outputs)?;
            let many = t.split_on.is_some();
            for (i, event) in split.into_iter().enumerate() {
                if !conditions_hold(t, &event)? {
                    continue;
                }
                let id = if many {
                    format!("{id}#{i}")
                } else {
                    id.clone()
                };
                events.push(NewEvent { id, outputs: event });
            }
        }
        let runs = store
            .commit_events(
                wf,
                &t.name,
                &events,
                &TriggerState {
                    state: outcome.state.clone(),
                    next_due: None,
                },
            )
            .map_err(|e| e.to_string())?;
        Ok(PollSummary {
            items: outcome.items.len(),
            runs,
            more: outcome.poll_again_after == Some(Duration::ZERO),
        })
    }

    /// How long to wait after a successful poll.
    fn wait(&self) -> Duration {
        let next = match &self.interval {
            Some(r) => {
                let now = chrono::Utc::now();
                (r.next_after(now) - now).to_std().unwrap_or(MIN_INTERVAL)
            }
            None => self.default_interval,
        };
        next.max(MIN_INTERVAL)
    }

    /// Polls on schedule until `stop`; failures back off (doubling up to five minutes) and
    /// keep the committed state. Each poll's outcome goes to `status`.
    pub fn run(&self, store: &RunStore, executor: &Executor, stop: &Stopper, status: &StatusCell) {
        let mut failures = 0u32;
        while !stop.is_stopped() {
            let wait = match self.poll_once(store) {
                Ok(s) => {
                    failures = 0;
                    status.polled(s.runs.len());
                    if !s.runs.is_empty() {
                        tracing::info!(
                            "{}: {} item(s), {} run(s) started",
                            self.workflow.name,
                            s.items,
                            s.runs.len()
                        );
                        executor.wake();
                    }
                    if s.more { Duration::ZERO } else { self.wait() }
                }
                Err(e) => {
                    status.failed(store.redact(&e));
                    failures = failures.saturating_add(1);
                    let backoff = Duration::from_secs(1u64 << failures.min(9)).min(MAX_BACKOFF);
                    tracing::warn!(
                        "{}: the trigger's poll failed (state kept; again in {}s): {e}",
                        self.workflow.name,
                        backoff.as_secs()
                    );
                    backoff
                }
            };
            if !stop.sleep(wait) {
                return;
            }
        }
    }
}
