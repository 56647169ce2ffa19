//! A run's journal read back for resuming: which steps finished (their records are taken as
//! they are), which were started and how often, the decisions made, and whether the run ended.

use std::collections::HashMap;

use serde_json::Value;

use super::journal::JournalEntry;
use super::record::{ActionError, ActionRecord, Attempt};
use crate::definition::RunStatus;

/// What the journal says about a run so far.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    /// The trigger outputs of `RunStarted`, when it was journaled.
    pub trigger_outputs: Option<Value>,
    /// Finished steps by key.
    pub finished: HashMap<String, ActionRecord>,
    /// Finished records in the order journaled (to rebuild variables in that order).
    pub finished_order: Vec<String>,
    /// Attempts started per step key: (number, start time).
    pub started: HashMap<String, Vec<(u32, String)>>,
    /// Decisions per step key.
    pub decisions: HashMap<String, Value>,
    /// `RunFinished`: status and terminated.
    pub run_finished: Option<(RunStatus, Option<(String, String)>)>,
}

impl Replay {
    /// Reads the entries (in journal order).
    pub fn read(entries: Vec<JournalEntry>) -> Replay {
        let mut r = Replay::default();
        for e in entries {
            match e {
                JournalEntry::RunStarted {
                    trigger_outputs, ..
                } => r.trigger_outputs = Some(trigger_outputs),
                JournalEntry::StepStarted {
                    step,
                    attempt,
                    at,
                    decision,
                } => {
                    if let Some(d) = decision {
                        r.decisions.entry(step.clone()).or_insert(d);
                    }
                    r.started.entry(step).or_default().push((attempt, at));
                }
                JournalEntry::StepFinished { step, record, .. } => {
                    if r.finished.insert(step.clone(), record).is_none() {
                        r.finished_order.push(step);
                    }
                }
                JournalEntry::RunFinished {
                    status, terminated, ..
                } => r.run_finished = Some((status, terminated)),
            }
        }
        r
    }

    /// The attempts of `step` that began but never finished (the host stopped during them),
    /// as records show them, and the number the next attempt gets.
    pub fn interrupted(&self, step: &str) -> (Vec<Attempt>, u32) {
        let Some(list) = self.started.get(step) else {
            return (Vec::new(), 1);
        };
        let next = list.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
        let attempts = list
            .iter()
            .map(|(n, at)| Attempt {
                number: *n,
                start: at.clone(),
                duration_ms: 0,
                error: Some(ActionError {
                    code: "Interrupted".into(),
                    message: "no outcome of this attempt was journaled (the host stopped during it); the step ran again".into(),
                }),
            })
            .collect();
        (attempts, next)
    }
}
