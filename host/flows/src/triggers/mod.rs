//! The triggers of a project's workflows: what starts runs.
//!
//! - [`poll`]: `ServiceProvider` triggers whose operation is a polling trigger: poll the
//!   connector with its committed state, turn items into events (the connector's item mode,
//!   then `splitOn`), keep those whose `conditions` hold, and commit the runs, the delivered
//!   ids and the new state in one transaction;
//! - [`schedule`]: `Recurrence` triggers, one run per due tick, committed with the next due
//!   time;
//! - [`request`]: `Request` triggers, an HTTP endpoint whose run's `Response` answers.
//!
//! Push triggers of workflows (`ServiceProvider` triggers whose operation is a push trigger)
//! are not run yet: such a project is refused at start, with the reason.

pub mod poll;
pub mod request;
pub mod schedule;
pub mod status;

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use connector_runtime::connection::Connection;
use connector_runtime::description::OperationKind;
use connector_workflows::definition::{TriggerType, WorkflowFile};
use connector_workflows::trigger::Recurrence;

use crate::invoker::ConnectorInvoker;
use crate::project::LoadedProject;

/// A stop signal that sleeping trigger threads wake up for.
#[derive(Default)]
pub struct Stopper {
    stopped: Mutex<bool>,
    changed: Condvar,
}

impl Stopper {
    /// Asks every sleeper to stop.
    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.changed.notify_all();
    }

    /// Whether [`Stopper::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps for `d` unless stopped first; returns false when stopped.
    pub fn sleep(&self, d: Duration) -> bool {
        let guard = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, d, |stopped| !*stopped)
            .unwrap_or_else(|p| p.into_inner());
        !*guard
    }
}

/// The triggers of a project, sorted by kind.
pub struct Triggers {
    /// The polling triggers.
    pub polling: Vec<Arc<poll::PollingTrigger>>,
    /// The schedules.
    pub schedules: Vec<Arc<schedule::Schedule>>,
    /// The workflows with a `Request` trigger.
    pub requests: Vec<Arc<WorkflowFile>>,
}

/// One workflow's trigger, built.
pub enum Built {
    /// A polling `ServiceProvider` trigger.
    Polling(Arc<poll::PollingTrigger>),
    /// A `Recurrence` schedule.
    Schedule(Arc<schedule::Schedule>),
    /// A `Request` endpoint.
    Request,
}

impl Built {
    /// The trigger's kind as the API names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Built::Polling(_) => "polling",
            Built::Schedule(_) => "schedule",
            Built::Request => "request",
        }
    }
}

/// Builds `w`'s trigger over `invoker`'s connectors and connections. A problem (a push
/// trigger, a bad recurrence, no trigger) comes back as `(json pointer, message)`.
pub fn build_one(
    w: &Arc<WorkflowFile>,
    invoker: &ConnectorInvoker,
) -> Result<Built, (String, String)> {
    let triggers = &w.workflow.definition.triggers;
    let Some(trigger) = triggers.first() else {
        return Err((
            "/definition/triggers".into(),
            "the workflow has no trigger, so nothing starts it".into(),
        ));
    };
    if triggers.len() > 1 {
        return Err((
            "/definition/triggers".into(),
            format!(
                "a workflow has exactly one trigger, this one has {}",
                triggers.len()
            ),
        ));
    }
    let at = |m: String| (trigger.pointer.clone(), m);
    let recurrence = match &trigger.recurrence {
        None => None,
        Some(r) => Some(Recurrence::parse(r).map_err(at)?),
    };
    match trigger.trigger_type {
        TriggerType::Request => Ok(Built::Request),
        TriggerType::Recurrence => match recurrence {
            Some(r) => Ok(Built::Schedule(Arc::new(schedule::Schedule::new(
                w.clone(),
                r,
            )))),
            None => Err(at("a Recurrence trigger needs `recurrence`".into())),
        },
        TriggerType::ServiceProvider => {
            let Some(call) = &trigger.service_provider else {
                return Err(at(
                    "a ServiceProvider trigger needs its serviceProviderConfiguration".into(),
                ));
            };
            let Some(connector) = invoker.connectors.get(&call.service_provider_id) else {
                return Err(at(format!(
                    "the host has no connector for `{}`",
                    call.service_provider_id
                )));
            };
            let kind = connector
                .description()
                .operation(&call.operation_id)
                .map(|o| o.kind);
            match kind {
                Some(OperationKind::PollingTrigger) => {
                    let connection = invoker
                        .connections
                        .get(&call.connection_name)
                        .cloned()
                        .unwrap_or_else(Connection::new);
                    poll::PollingTrigger::new(w.clone(), connector.clone(), connection, recurrence)
                        .map(|pt| Built::Polling(Arc::new(pt)))
                        .map_err(at)
                }
                Some(OperationKind::PushTrigger) => Err(at(format!(
                    "`{}` is a push trigger; push triggers of workflows are not run \
                     yet (use a polling trigger, or `connector-host run <file>.toml`)",
                    call.operation_id
                ))),
                _ => Err(at(format!(
                    "`{}` is not a trigger of `{}`",
                    call.operation_id, call.service_provider_id
                ))),
            }
        }
    }
}

impl Triggers {
    /// Builds every workflow's trigger; the problems (a push trigger, a bad recurrence, a
    /// workflow with no trigger) are returned all at once.
    pub fn build(p: &LoadedProject) -> Result<Triggers, Vec<String>> {
        let mut problems = Vec::new();
        let mut t = Triggers {
            polling: Vec::new(),
            schedules: Vec::new(),
            requests: Vec::new(),
        };
        for w in &p.project.workflows {
            let w = Arc::new(w.clone());
            match build_one(&w, &p.invoker) {
                Ok(Built::Polling(pt)) => t.polling.push(pt),
                Ok(Built::Schedule(s)) => t.schedules.push(s),
                Ok(Built::Request) => t.requests.push(w),
                Err((pointer, m)) => problems.push(w.problem(&pointer, m).to_string()),
            }
        }
        if problems.is_empty() {
            Ok(t)
        } else {
            Err(problems)
        }
    }
}
