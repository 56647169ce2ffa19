//! What a run leaves behind: per action, its status and why.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::definition::RunStatus;

/// Why an action failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionError {
    /// A short code: `ExpressionError`, `InvalidVariable`, a connector error kind, ...
    pub code: String,
    /// What happened, naming the input path and expression position where one is at fault.
    pub message: String,
}

/// One action's outcome (one per iteration inside a loop).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// When it started (RFC 3339; its first attempt's start), when it ran.
    #[serde(default)]
    pub start: Option<String>,
    /// How long it took from its first attempt's start, in milliseconds.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Each attempt, in order (a step interrupted by a crash shows that attempt too).
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

/// One attempt of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// The attempt number, from 1 (what the connector saw in its call context).
    pub number: u32,
    /// When it started (RFC 3339).
    pub start: String,
    /// How long it took, in milliseconds (0 for an attempt the host did not see end).
    pub duration_ms: u64,
    /// Why it failed, when it did.
    pub error: Option<ActionError>,
}

/// A finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// The run's status: `Cancelled` when `runs cancel` stopped it or `Terminate` asked for
    /// it.
    pub status: RunStatus,
    /// Set when a `Terminate` action ended the run: its name and the status it asked for.
    pub terminated: Option<(String, String)>,
    /// Every action outcome, in a fixed order that does not depend on thread timing: by place
    /// (loop iterations in index order), inner actions before their container, siblings in
    /// runAfter order.
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
