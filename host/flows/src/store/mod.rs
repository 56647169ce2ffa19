//! The run store: runs, their journals and the workflow triggers' state in the host's SQLite
//! state file (`[host] state`), beside the trigger host's own tables.
//!
//! Tables (all prefixed `flow_`, schema version in `flow_meta`):
//! - `flow_runs`: one row per run (id, workflow, status, the trigger outputs it started
//!   from, created/started/ended, error, the cancel flag, the run it was resubmitted from);
//! - `flow_journal`: the engine's journal entries per run, in order (`seq`);
//! - `flow_trigger_state`: per workflow trigger, the connector's committed state and when a
//!   schedule is next due;
//! - `flow_delivered`: the trigger item ids that already started a run;
//! - `flow_workflow_flags`: the workflows disabled (or enabled again) through the server.
//!
//! A poll's new runs, its delivered ids and its new state are written in ONE transaction
//! ([`RunStore::commit_events`]), so a crash can neither lose nor duplicate a run. Every
//! value is redacted of connection secrets before it is written. WAL with
//! `synchronous=NORMAL`: a committed transaction survives the process being killed; after a
//! power cut the last transactions may be lost, but whole, never half.

mod journal;
mod runs;
mod triggers;
mod workflows;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use connector_runtime::capabilities::Redactor;

pub use runs::{RunFilter, RunPage, RunRow, RunState, new_run_id};
pub use triggers::{NewEvent, TriggerState};

/// The schema this host writes.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS flow_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flow_runs (
    id               TEXT PRIMARY KEY,
    workflow         TEXT NOT NULL,
    status           TEXT NOT NULL,
    trigger_name     TEXT NOT NULL,
    trigger_outputs  TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    ended_at         INTEGER,
    error            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    resubmitted_from TEXT
);
CREATE INDEX IF NOT EXISTS flow_runs_by_status ON flow_runs (status, created_at);
CREATE INDEX IF NOT EXISTS flow_runs_by_workflow ON flow_runs (workflow, created_at);
CREATE TABLE IF NOT EXISTS flow_journal (
    run_id TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    entry  TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS flow_trigger_state (
    workflow   TEXT NOT NULL,
    trigger    TEXT NOT NULL,
    state      TEXT,
    next_due   INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (workflow, trigger)
);
CREATE TABLE IF NOT EXISTS flow_workflow_flags (
    workflow   TEXT PRIMARY KEY,
    enabled    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flow_delivered (
    workflow TEXT NOT NULL,
    trigger  TEXT NOT NULL,
    item_id  TEXT NOT NULL,
    run_id   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (workflow, trigger, item_id)
);
";

/// Why the run store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or set up.
    #[error("cannot open the run store {}: {message}", path.display())]
    Open {
        /// The state file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A statement failed.
    #[error("run store: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A stored value is not what this host wrote.
    #[error("run store: {0}")]
    Corrupt(String),
    /// A paging cursor this store did not make.
    #[error("bad cursor: {0}")]
    BadCursor(String),
    /// No run of that id.
    #[error("there is no run {0}")]
    NoSuchRun(String),
}

/// The run store over one SQLite connection.
pub struct RunStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    redactor: Redactor,
}

impl std::fmt::Debug for RunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStore")
            .field("path", &self.path)
            .finish()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl RunStore {
    /// Opens (creating it if needed) the store at `path`; `redactor` holds the connection
    /// secrets to keep out of everything written.
    pub fn open(path: &Path, redactor: Redactor) -> Result<RunStore, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(10))
            .and_then(|()| conn.pragma_update(None, "journal_mode", "WAL"))
            .and_then(|()| conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|()| conn.execute_batch(SCHEMA))
            .map_err(|e| open_error(e.to_string()))?;
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM flow_meta WHERE key = 'schema'",
                [],
                |r| r.get(0),
            )
            .ok();
        match version.map(|v| v.parse::<i64>()) {
            None => {
                conn.execute(
                    "INSERT INTO flow_meta (key, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(|e| open_error(e.to_string()))?;
            }
            Some(Ok(v)) if v <= SCHEMA_VERSION => {}
            Some(v) => {
                return Err(open_error(format!(
                    "its run tables were written by a newer connector-host (schema {v:?}; this \
                     one knows {SCHEMA_VERSION})"
                )));
            }
        }
        Ok(RunStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            redactor,
        })
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `text` with the connection secrets this store keeps out replaced.
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    fn text(&self, value: &impl serde::Serialize) -> Result<String, StoreError> {
        crate::redact::redacted_text(&self.redactor, value)
            .map_err(|e| StoreError::Corrupt(format!("cannot write a value as JSON: {e}")))
    }
}
