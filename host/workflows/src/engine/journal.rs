//! The run journal: every state change of a run is appended here before it counts, and a run
//! is resumed by reading its entries back. The engine owns the meaning of the entries; a store
//! (SQLite by default, PostgreSQL later) only keeps them in order, durably.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::record::ActionRecord;
use crate::definition::RunStatus;

/// One durable step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
// Entries are built once per step and stored as JSON; boxing the record would only change
// the API the stores match on.
#[allow(clippy::large_enum_variant)]
pub enum JournalEntry {
    /// The run exists: which workflow, and the trigger outputs it started from.
    RunStarted {
        /// The workflow's name (its folder).
        workflow: String,
        /// The trigger's outputs (`{"headers": .., "body": ..}`), after `splitOn`.
        trigger_outputs: Value,
        /// RFC 3339 time.
        at: String,
    },
    /// An attempt of a step began (a step is an action at its place: `Each[3]/Write`).
    StepStarted {
        /// The step key.
        step: String,
        /// The attempt number, from 1.
        attempt: u32,
        /// RFC 3339 time.
        at: String,
        /// A choice the step made that a resumed run must make the same way, so it is
        /// journaled rather than computed again: a `Foreach`'s `{"items": [..]}`, an `If`'s
        /// `{"branch": "actions" | "else"}`, a `Switch`'s `{"case": name, "value": v}`, an
        /// `Until` iteration's `{"done": bool}` (step `Until[i]/@until`), a `Wait`'s
        /// `{"until": rfc3339}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<Value>,
    },
    /// A step ended; on resume its record is taken as it is and the step is not run again.
    StepFinished {
        /// The step key.
        step: String,
        /// How it ended.
        record: ActionRecord,
        /// RFC 3339 time.
        at: String,
    },
    /// The run ended.
    RunFinished {
        /// Its final status.
        status: RunStatus,
        /// Set when a `Terminate` action ended it: its name and the status it asked for.
        terminated: Option<(String, String)>,
        /// RFC 3339 time.
        at: String,
    },
}

/// The journal could not be read or written; the run stops where it is, to be resumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("run journal: {0}")]
pub struct JournalError(pub String);

/// Where runs are journaled.
pub trait RunJournal: Send + Sync {
    /// Appends `entry` to the run `run_id`; the step counts only once this returned `Ok`.
    fn append(&self, run_id: &str, entry: &JournalEntry) -> Result<(), JournalError>;
    /// Every entry of `run_id`, in the order appended (empty for a run never started).
    fn entries(&self, run_id: &str) -> Result<Vec<JournalEntry>, JournalError>;
    /// Whether someone asked to cancel `run_id` (`runs cancel`); checked before each step.
    fn cancelled(&self, _run_id: &str) -> bool {
        false
    }
}

/// A journal in memory, for tests and for runs that need not survive the process.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    runs: Mutex<HashMap<String, Vec<JournalEntry>>>,
    cancelled: Mutex<Vec<String>>,
}

impl MemoryJournal {
    /// Asks for `run_id` to be cancelled.
    pub fn cancel(&self, run_id: &str) {
        self.cancelled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(run_id.to_owned());
    }
}

impl RunJournal for MemoryJournal {
    fn append(&self, run_id: &str, entry: &JournalEntry) -> Result<(), JournalError> {
        self.runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(run_id.to_owned())
            .or_default()
            .push(entry.clone());
        Ok(())
    }
    fn entries(&self, run_id: &str) -> Result<Vec<JournalEntry>, JournalError> {
        Ok(self
            .runs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(run_id)
            .cloned()
            .unwrap_or_default())
    }
    fn cancelled(&self, run_id: &str) -> bool {
        self.cancelled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|r| r == run_id)
    }
}
