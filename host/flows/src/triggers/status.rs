//! What a workflow's trigger has been doing, for the server's trigger list: its state, when
//! it last polled (or ticked), what the last poll started, and the last error.
//!
//! The trigger threads write it after every poll; readers take a copy. It lives in memory:
//! after a restart it starts empty, while the committed state stays in the run store.

use std::sync::Mutex;

use serde::Serialize;

use crate::store::now_millis;

/// Where a trigger is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerPhase {
    /// Not started (yet), or stopped at shutdown.
    #[default]
    Stopped,
    /// Its thread polls or waits for the next tick.
    Running,
    /// A `Request` trigger whose endpoint answers.
    Listening,
    /// A `Request` trigger added while no listener runs (the project had none at start):
    /// only "run now" starts it until the host restarts.
    NoListener,
    /// The workflow is disabled: nothing starts it.
    Disabled,
}

/// A copy of a trigger's status.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerInfo {
    /// Where it is.
    pub state: TriggerPhase,
    /// When it last polled or ticked (ms since the epoch), successfully or not.
    pub last_poll: Option<i64>,
    /// The runs its last successful poll started.
    pub last_runs: usize,
    /// The last poll's error, until a poll succeeds (redacted of connection secrets).
    pub last_error: Option<String>,
    /// Polls failed in a row.
    pub failures: u32,
}

/// A trigger's status, shared between its thread and readers.
#[derive(Debug, Default)]
pub struct StatusCell(Mutex<TriggerInfo>);

impl StatusCell {
    fn with<R>(&self, f: impl FnOnce(&mut TriggerInfo) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// A copy of the status.
    pub fn get(&self) -> TriggerInfo {
        self.with(|i| i.clone())
    }

    /// Sets where it is.
    pub fn set_state(&self, state: TriggerPhase) {
        self.with(|i| i.state = state);
    }

    /// Records a successful poll that started `runs` runs.
    pub fn polled(&self, runs: usize) {
        self.with(|i| {
            i.last_poll = Some(now_millis());
            i.last_runs = runs;
            i.last_error = None;
            i.failures = 0;
        });
    }

    /// Records a failed poll.
    pub fn failed(&self, error: String) {
        self.with(|i| {
            i.last_poll = Some(now_millis());
            i.last_error = Some(error);
            i.failures = i.failures.saturating_add(1);
        });
    }
}
