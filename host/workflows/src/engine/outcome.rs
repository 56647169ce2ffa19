//! How one action ended, before it becomes a record.

use serde_json::Value;

use super::record::{ActionError, Attempt};
use crate::definition::RunStatus;

/// An action's status, evaluated inputs, outputs or error, and its attempts.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: RunStatus,
    pub inputs: Option<Value>,
    pub outputs: Option<Value>,
    pub error: Option<ActionError>,
    pub attempts: Vec<Attempt>,
}

impl Outcome {
    pub fn ok(inputs: Option<Value>, outputs: Option<Value>) -> Self {
        Outcome {
            status: RunStatus::Succeeded,
            inputs,
            outputs,
            error: None,
            attempts: Vec::new(),
        }
    }

    pub fn with_status(status: RunStatus, inputs: Option<Value>) -> Self {
        Outcome {
            status,
            ..Outcome::ok(inputs, None)
        }
    }

    pub fn skipped() -> Self {
        Outcome::with_status(RunStatus::Skipped, None)
    }

    pub fn failed(code: &str, message: impl Into<String>) -> Self {
        Outcome {
            status: RunStatus::Failed,
            error: Some(ActionError {
                code: code.into(),
                message: message.into(),
            }),
            ..Outcome::ok(None, None)
        }
    }

    /// The run is stopping (journal failure, cancellation): the step does not count.
    pub fn stopped() -> Self {
        Outcome::failed("Stopped", "the run stopped before this step ended")
    }

    pub fn with_inputs(mut self, inputs: Option<Value>) -> Self {
        self.inputs = inputs;
        self
    }
}

pub(crate) fn status_list(statuses: &[RunStatus]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
