//! What a run leaves behind: per action, its status and why.

use serde::Serialize;
use serde_json::Value;

use crate::definition::RunStatus;

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionError {
    /// A short code: `ExpressionError`, `InvalidVariable`, a connector error kind, ...
    pub code: String,
    /// What happened, naming the input path and expression position where one is at fault.
    pub message: String,
}

/// One action's outcome (one per iteration inside a loop).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRecord {
    /// The action's name.
    pub name: String,
    /// Where it ran: enclosing loops and their iteration, e.g. `["For_each[2]"]`.
    pub path: Vec<String>,
    /// Its final status.
    pub status: RunStatus,
    /// Its evaluated inputs, when it ran.
    pub inputs: Option<Value>,
    /// Its outputs, when it succeeded.
    pub outputs: Option<Value>,
    /// Why it failed.
    pub error: Option<ActionError>,
    /// Why it was skipped, e.g. "skipped because `A` was `Failed` and runAfter asks for [Succeeded]".
    pub skipped_because: Option<String>,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// The run's status (`Terminate` may set `Cancelled`, which is reported as `Failed` with
    /// `terminated` set).
    pub status: RunStatus,
    /// Set when a `Terminate` action ended the run: its name and the status it asked for.
    pub terminated: Option<(String, String)>,
    /// Every action outcome, in the order they ended.
    pub actions: Vec<ActionRecord>,
    /// The variables at the end of the run.
    pub variables: serde_json::Map<String, Value>,
}

impl RunRecord {
    /// The last record of the action `name` (the last iteration, inside a loop).
    pub fn action(&self, name: &str) -> Option<&ActionRecord> {
        self.actions.iter().rev().find(|a| a.name == name)
    }
}
