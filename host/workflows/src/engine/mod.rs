//! The run engine: runs a parsed workflow for one trigger event, scheduling actions by
//! `runAfter` and recording each action's status, inputs, outputs, error, attempts and, for a
//! skipped action, why.
//!
//! - **Durable**: every step is journaled as it happens ([`RunJournal`]: `StepStarted` before
//!   each attempt, `StepFinished` with the record, `RunFinished`), and so is every choice a
//!   resumed run must make the same way (a `Foreach`'s items, an `If`'s branch, ...). Running
//!   a run id whose journal has entries resumes it.
//! - **Retries** by `retryPolicy` ([`RetryPolicy`]) for the error kinds that may succeed later
//!   ([`RETRYABLE_KINDS`]); action `timeout` ends a step `TimedOut` and is passed to the
//!   invoker as [`CallContext::deadline`].
//! - **Parallel**: sibling actions whose runAfter is satisfied run at once, `Foreach`
//!   iterations run `runtimeConfiguration.concurrency.repetitions` (default 20) at a time;
//!   variables are shared between them, as in Logic Apps.
//! - Action types: `Compose`, the variable actions, `If`, `Switch`, `Foreach`, `Until`,
//!   `Scope`, `Terminate`, `Query`, `Select`, `ParseJson` (with its schema check), `Wait`,
//!   `Response` (through [`Engine::on_response`]), `ServiceProvider` and `Http` (both through
//!   the [`Invoker`]; `Http` as operation `request` of [`HTTP_SERVICE_PROVIDER`]).
//! - `runtimeConfiguration.secureData.properties` parts of a record are redacted before they
//!   are journaled.

// `Outcome` is the error path of every action (an action's failure is its result, not an
// exceptional case); it is built once per step, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod actions;
mod call;
mod condition;
mod containers;
mod journal;
mod order;
mod outcome;
mod record;
mod replay;
mod retry;
mod rules;
mod run;
mod runner;
mod schema;
mod secure;
mod select;
mod state;

pub use call::HTTP_SERVICE_PROVIDER;
pub use journal::{JournalEntry, JournalError, MemoryJournal, RunJournal};
pub use record::{ActionError, ActionRecord, Attempt, RunRecord};
pub use retry::{RETRYABLE_KINDS, RetryPolicy, is_retryable};
pub use run::{Engine, ResponseSink};
pub use secure::REDACTED;

use serde_json::Value;

use crate::definition::ServiceProviderCall;

/// The 0.2.0 call context passed with each connector call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The run's id.
    pub run_id: String,
    /// The step key: the action at its place, e.g. `Each[3]/Write`.
    pub step: String,
    /// The attempt number, from 1.
    pub attempt: u32,
    /// Stable across the attempts of one step: `run_id/step`.
    pub idempotency_key: String,
    /// When the action's `timeout` ends (over all its attempts): the invoker should stop the
    /// connector call there (the engine ends the step `TimedOut` once it is past).
    pub deadline: Option<std::time::Instant>,
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
    /// How long the connector asked to wait before another attempt (`throttled`).
    pub retry_after: Option<std::time::Duration>,
}

/// Calls connector operations for `ServiceProvider` actions (`parameters` are the action's
/// evaluated `inputs.parameters`) and `Http` actions (service provider
/// [`HTTP_SERVICE_PROVIDER`], operation `request`, connection name `""`, parameters
/// `{method, uri, headers, queries, body}`). The host implements it over the loaded
/// components. It is called from several threads at once (parallel branches, `Foreach`).
pub trait Invoker: Send + Sync {
    /// Invokes `call.operation_id` on the connection `call.connection_name`; returns the body.
    fn invoke(
        &self,
        call: &ServiceProviderCall,
        parameters: &Value,
        context: &CallContext,
    ) -> Result<Value, InvokeFailure>;
}
