//! The run engine (skeleton): runs a parsed workflow for one trigger event, scheduling actions
//! by `runAfter` and recording each action's status, inputs, outputs, error and, for a skipped
//! action, why.
//!
//! This first version runs in memory and one action at a time (parallel branches and
//! `Foreach` iterations run in order; `runtimeConfiguration.concurrency` is read but not yet
//! used), supports `Compose`, the variable actions, `If`, `Switch`, `Foreach`, `Scope`,
//! `Terminate`, `Query`, `Select`, `ParseJson` (without its schema check yet) and
//! `ServiceProvider` (through an [`Invoker`]); other action types end
//! `Failed` with a message that says they are not run yet. Retries, timeouts, the durable
//! journal and the remaining action types come next.

mod condition;
mod record;
mod rules;
mod run;
mod state;

pub use record::{ActionError, ActionRecord, RunRecord};
pub use run::Engine;

use serde_json::Value;

use crate::definition::ServiceProviderCall;

/// The 0.2.0 call context passed with each connector call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The run's id.
    pub run_id: String,
    /// The action's name (with the loop iteration, e.g. `Each/3/Write`).
    pub step: String,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// Stable across the attempts of one step: `run_id/step`.
    pub idempotency_key: String,
}

/// A connector call that failed, with the contract's error kind (`invalid-input`,
/// `transient`, `throttled`, ...) so that the retry policy can decide.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct InvokeFailure {
    /// The error kind, as the contract names it.
    pub kind: String,
    /// The connector's message (already redacted by the runtime).
    pub message: String,
}

/// Calls connector operations for `ServiceProvider` actions. The host implements it over the
/// loaded components; `parameters` are the action's evaluated `inputs.parameters`.
pub trait Invoker {
    /// Invokes `call.operation_id` on the connection `call.connection_name`; returns the body.
    fn invoke(
        &self,
        call: &ServiceProviderCall,
        parameters: &Value,
        context: &CallContext,
    ) -> Result<Value, InvokeFailure>;
}
