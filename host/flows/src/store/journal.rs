//! The store as the engine's [`RunJournal`]: entries appended in order, redacted before they
//! are written; the run's row follows its `RunStarted` and `RunFinished` entries in the same
//! transaction, so the list of runs never disagrees with the journals.

use rusqlite::params;

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{JournalEntry, JournalError, RunJournal};

use super::{RunState, RunStore, StoreError, now_millis};

fn journal_error(e: StoreError) -> JournalError {
    JournalError(e.to_string())
}

impl RunStore {
    fn append_entry(&self, run_id: &str, entry: &JournalEntry) -> Result<(), StoreError> {
        let text = self.text(entry)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO flow_journal (run_id, seq, entry) VALUES (?1, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM flow_journal WHERE run_id = ?1), ?2)",
            params![run_id, text],
        )?;
        match entry {
            JournalEntry::RunStarted { .. } => {
                tx.execute(
                    "UPDATE flow_runs SET status = 'Running', started_at = ?2 WHERE id = ?1 \
                     AND status = 'Queued'",
                    params![run_id, now_millis()],
                )?;
            }
            JournalEntry::RunFinished { status, .. } => {
                let cancelled: i64 = tx.query_row(
                    "SELECT cancel_requested FROM flow_runs WHERE id = ?1",
                    [run_id],
                    |r| r.get(0),
                )?;
                let state = match status {
                    _ if cancelled != 0 && *status != RunStatus::Succeeded => RunState::Cancelled,
                    RunStatus::Succeeded => RunState::Succeeded,
                    RunStatus::TimedOut => RunState::TimedOut,
                    RunStatus::Cancelled => RunState::Cancelled,
                    RunStatus::Failed | RunStatus::Skipped => RunState::Failed,
                };
                tx.execute(
                    "UPDATE flow_runs SET status = ?2, ended_at = ?3 WHERE id = ?1",
                    params![run_id, state.as_str(), now_millis()],
                )?;
            }
            _ => {}
        }
        tx.commit()?;
        Ok(())
    }

    /// Every journal entry of `run_id`, in order.
    pub fn journal(&self, run_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        self.journal_as(run_id)
    }

    /// Every journal entry of `run_id` as stored JSON, in order: for showing a run without
    /// depending on every entry kind being known to this build.
    pub fn journal_values(&self, run_id: &str) -> Result<Vec<serde_json::Value>, StoreError> {
        self.journal_as(run_id)
    }

    /// The entries of `run_id` in order, each read as `T`.
    fn journal_as<T: serde::de::DeserializeOwned>(
        &self,
        run_id: &str,
    ) -> Result<Vec<T>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT seq, entry FROM flow_journal WHERE run_id = ?1 ORDER BY seq")?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (seq, text) = r?;
            out.push(serde_json::from_str(&text).map_err(|e| {
                StoreError::Corrupt(format!("run {run_id}, journal entry {seq}: {e}"))
            })?);
        }
        Ok(out)
    }

    /// Whether `runs cancel` asked for the run to stop.
    pub fn cancel_requested(&self, run_id: &str) -> Result<bool, StoreError> {
        let flag: Option<i64> = self
            .conn()
            .query_row(
                "SELECT cancel_requested FROM flow_runs WHERE id = ?1",
                [run_id],
                |r| r.get(0),
            )
            .ok();
        Ok(flag.unwrap_or(0) != 0)
    }
}

impl RunJournal for RunStore {
    fn append(&self, run_id: &str, entry: &JournalEntry) -> Result<(), JournalError> {
        let started = std::time::Instant::now();
        let written = self.append_entry(run_id, entry).map_err(journal_error);
        connector_metrics::workflows::record_journal_write(started.elapsed());
        written
    }

    fn entries(&self, run_id: &str) -> Result<Vec<JournalEntry>, JournalError> {
        self.journal(run_id).map_err(journal_error)
    }

    fn cancelled(&self, run_id: &str) -> bool {
        self.cancel_requested(run_id).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_runtime::capabilities::Redactor;
    use serde_json::json;

    #[test]
    fn the_run_row_follows_its_journal_and_cancel_is_seen() {
        let dir = std::env::temp_dir().join(format!("flows-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = RunStore::open(
            &dir.join("state.db"),
            Redactor::new(vec!["pa55word".into()]),
        )
        .unwrap();
        let id = s.create_run("w", "manual", &json!({"body": 1})).unwrap();
        let started = JournalEntry::RunStarted {
            workflow: "w".into(),
            trigger_outputs: json!({"body": "pa55word"}),
            at: chrono::Utc::now().to_rfc3339(),
        };
        s.append(&id, &started).unwrap();
        assert_eq!(s.run(&id).unwrap().status, RunState::Running);
        assert!(!s.cancelled(&id));
        assert_eq!(s.request_cancel(&id).unwrap(), RunState::Running);
        assert!(s.cancelled(&id));
        let entries = s.entries(&id).unwrap();
        let JournalEntry::RunStarted {
            trigger_outputs, ..
        } = &entries[0]
        else {
            panic!("{entries:?}")
        };
        assert_eq!(trigger_outputs["body"], "[redacted]");
        s.append(
            &id,
            &JournalEntry::RunFinished {
                status: RunStatus::Failed,
                terminated: None,
                at: chrono::Utc::now().to_rfc3339(),
            },
        )
        .unwrap();
        assert_eq!(s.run(&id).unwrap().status, RunState::Cancelled);
    }
}
