//! Runs as rows: creating, listing, finishing, cancelling, resubmitting, and retention.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::{RunStore, StoreError, now_millis};

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RunState {
    /// Recorded, not started yet.
    Queued,
    /// Started (its journal has entries); resumed at start if the host stopped.
    Running,
    /// Ended: every action's outcome let the run succeed.
    Succeeded,
    /// Ended in failure.
    Failed,
    /// Ended by `runs cancel`.
    Cancelled,
    /// Ended past a time limit.
    TimedOut,
}

impl RunState {
    /// Every state, for messages.
    pub const ALL: [RunState; 6] = [
        RunState::Queued,
        RunState::Running,
        RunState::Succeeded,
        RunState::Failed,
        RunState::Cancelled,
        RunState::TimedOut,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "Queued",
            RunState::Running => "Running",
            RunState::Succeeded => "Succeeded",
            RunState::Failed => "Failed",
            RunState::Cancelled => "Cancelled",
            RunState::TimedOut => "TimedOut",
        }
    }

    /// Reads a state name, ignoring case.
    pub fn parse(s: &str) -> Option<RunState> {
        RunState::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether the run has ended.
    pub fn is_finished(self) -> bool {
        !matches!(self, RunState::Queued | RunState::Running)
    }
}

/// One run, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    /// The run id.
    pub id: String,
    /// The workflow (its folder name).
    pub workflow: String,
    /// Where it is.
    pub status: RunState,
    /// The trigger that started it.
    pub trigger: String,
    /// The trigger's outputs (`{"headers", "body"}`), redacted.
    pub trigger_outputs: Value,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// When the engine started it.
    pub started_at: Option<i64>,
    /// When it ended.
    pub ended_at: Option<i64>,
    /// Why it failed, in one line, when it failed outside any action.
    pub error: Option<String>,
    /// Whether `runs cancel` asked for it to stop.
    pub cancel_requested: bool,
    /// The run this one resubmits.
    pub resubmitted_from: Option<String>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this workflow's.
    pub workflow: Option<String>,
    /// Only runs in this state.
    pub status: Option<RunState>,
    /// At most this many, newest first (0: no limit).
    pub limit: usize,
}

/// One page of runs, newest first, and the cursor of the next page.
#[derive(Debug, Clone)]
pub struct RunPage {
    /// The runs.
    pub runs: Vec<RunRow>,
    /// Pass as `cursor` to get the runs after these; `None` on the last page.
    pub next: Option<String>,
}

/// Reads a cursor (`<created_at>-<id>` of the last run of the previous page).
fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once('-')?;
    let at = at.parse().ok()?;
    (!id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| (at, id.to_owned()))
}

const COLUMNS: &str = "id, workflow, status, trigger_name, trigger_outputs, created_at, \
                       started_at, ended_at, error, cancel_requested, resubmitted_from";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(RunRow, String, String)> {
    let status: String = r.get(2)?;
    let outputs: String = r.get(4)?;
    Ok((
        RunRow {
            id: r.get(0)?,
            workflow: r.get(1)?,
            status: RunState::Queued,
            trigger: r.get(3)?,
            trigger_outputs: Value::Null,
            created_at: r.get(5)?,
            started_at: r.get(6)?,
            ended_at: r.get(7)?,
            error: r.get(8)?,
            cancel_requested: r.get::<_, i64>(9)? != 0,
            resubmitted_from: r.get(10)?,
        },
        status,
        outputs,
    ))
}

fn finish_row((mut run, status, outputs): (RunRow, String, String)) -> Result<RunRow, StoreError> {
    run.status = RunState::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("run {}: unknown status {status:?}", run.id)))?;
    run.trigger_outputs = serde_json::from_str(&outputs)
        .map_err(|e| StoreError::Corrupt(format!("run {}: trigger outputs: {e}", run.id)))?;
    Ok(run)
}

/// A new run id: time-ordered (milliseconds) and unique (random).
pub fn new_run_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{:013}{}", now_millis(), &random[..12])
}

impl RunStore {
    /// Inserts a queued run inside an open transaction.
    pub(super) fn insert_run(
        &self,
        tx: &rusqlite::Connection,
        id: &str,
        workflow: &str,
        trigger: &str,
        trigger_outputs: &Value,
        resubmitted_from: Option<&str>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "INSERT INTO flow_runs (id, workflow, status, trigger_name, trigger_outputs, \
             created_at, resubmitted_from) VALUES (?1, ?2, 'Queued', ?3, ?4, ?5, ?6)",
            params![
                id,
                workflow,
                trigger,
                self.text(trigger_outputs)?,
                now_millis(),
                resubmitted_from
            ],
        )?;
        Ok(())
    }

    /// Records a new queued run of `workflow` started by `trigger` (a `Request`, a resubmit,
    /// a manual start).
    pub fn create_run(
        &self,
        workflow: &str,
        trigger: &str,
        trigger_outputs: &Value,
    ) -> Result<String, StoreError> {
        let id = new_run_id();
        self.create_run_with_id(&id, workflow, trigger, trigger_outputs)?;
        Ok(id)
    }

    /// [`RunStore::create_run`] with an id the caller made ([`new_run_id`]), so that it can
    /// wait on the run before it exists.
    pub fn create_run_with_id(
        &self,
        id: &str,
        workflow: &str,
        trigger: &str,
        trigger_outputs: &Value,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        self.insert_run(&conn, id, workflow, trigger, trigger_outputs, None)
    }

    /// The run `id`.
    pub fn run(&self, id: &str) -> Result<RunRow, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM flow_runs WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?;
        finish_row(found.ok_or_else(|| StoreError::NoSuchRun(id.to_owned()))?)
    }

    /// Runs matching `filter`, newest first.
    pub fn list(&self, filter: &RunFilter) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let limit = if filter.limit == 0 {
            -1
        } else {
            filter.limit as i64
        };
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM flow_runs WHERE (?1 IS NULL OR workflow = ?1) \
             AND (?2 IS NULL OR status = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![filter.workflow, filter.status.map(RunState::as_str), limit],
            row,
        )?;
        rows.map(|r| finish_row(r?)).collect()
    }

    /// A page of at most `filter.limit` (1..=1000) runs matching `filter`, newest first,
    /// after `cursor` (from the previous page's [`RunPage::next`]). A cursor this store did
    /// not make is an error that says so.
    pub fn page(&self, filter: &RunFilter, cursor: Option<&str>) -> Result<RunPage, StoreError> {
        let limit = filter.limit.clamp(1, 1000);
        let after = match cursor {
            None => None,
            Some(c) => Some(parse_cursor(c).ok_or_else(|| {
                StoreError::BadCursor(format!("{c:?} is not a cursor this server gave"))
            })?),
        };
        let (at, id) = after.unzip();
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM flow_runs WHERE (?1 IS NULL OR workflow = ?1) \
             AND (?2 IS NULL OR status = ?2) \
             AND (?3 IS NULL OR created_at < ?3 OR (created_at = ?3 AND id < ?4)) \
             ORDER BY created_at DESC, id DESC LIMIT ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                filter.workflow,
                filter.status.map(RunState::as_str),
                at,
                id,
                limit as i64 + 1
            ],
            row,
        )?;
        let mut runs = rows
            .map(|r| finish_row(r?))
            .collect::<Result<Vec<_>, _>>()?;
        let next = if runs.len() > limit {
            runs.truncate(limit);
            runs.last().map(|r| format!("{}-{}", r.created_at, r.id))
        } else {
            None
        };
        Ok(RunPage { runs, next })
    }

    /// Unfinished runs (queued or running) not in `skip`, oldest first, at most `limit`.
    pub fn unfinished(&self, limit: usize, skip: &[String]) -> Result<Vec<RunRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM flow_runs WHERE status IN ('Queued', 'Running') \
             ORDER BY created_at, id"
        ))?;
        let mut out = Vec::new();
        for r in stmt.query_map([], row)? {
            let r = finish_row(r?)?;
            if !skip.contains(&r.id) {
                out.push(r);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Ends a run outside the engine (its workflow is gone, a cancelled queued run, ...).
    pub fn finish(
        &self,
        id: &str,
        status: RunState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let error = error.map(|e| self.redactor.redact(e));
        self.conn().execute(
            "UPDATE flow_runs SET status = ?2, ended_at = ?3, error = COALESCE(?4, error) \
             WHERE id = ?1",
            params![id, status.as_str(), now_millis(), error],
        )?;
        Ok(())
    }

    /// Asks for the run to stop: a queued run ends `Cancelled` at once; a running one at its
    /// next step (the engine reads the flag). Returns the run's state after the request.
    pub fn request_cancel(&self, id: &str) -> Result<RunState, StoreError> {
        let run = self.run(id)?;
        if run.status.is_finished() {
            return Ok(run.status);
        }
        let conn = self.conn();
        conn.execute(
            "UPDATE flow_runs SET cancel_requested = 1 WHERE id = ?1",
            [id],
        )?;
        let changed = conn.execute(
            "UPDATE flow_runs SET status = 'Cancelled', ended_at = ?2 \
             WHERE id = ?1 AND status = 'Queued'",
            params![id, now_millis()],
        )?;
        Ok(if changed > 0 {
            RunState::Cancelled
        } else {
            RunState::Running
        })
    }

    /// Queues a new run of the same workflow with the same trigger outputs.
    pub fn resubmit(&self, id: &str) -> Result<String, StoreError> {
        let run = self.run(id)?;
        let conn = self.conn();
        let id = new_run_id();
        self.insert_run(
            &conn,
            &id,
            &run.workflow,
            &run.trigger,
            &run.trigger_outputs,
            Some(&run.id),
        )?;
        Ok(id)
    }

    /// Deletes finished runs that ended before `before_millis`, with their journals.
    pub fn prune(&self, before_millis: i64) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM flow_journal WHERE run_id IN (SELECT id FROM flow_runs WHERE \
             status NOT IN ('Queued', 'Running') AND ended_at < ?1)",
            [before_millis],
        )?;
        let n = tx.execute(
            "DELETE FROM flow_runs WHERE status NOT IN ('Queued', 'Running') AND ended_at < ?1",
            [before_millis],
        )?;
        tx.execute(
            "DELETE FROM flow_delivered WHERE at < ?1 AND run_id NOT IN (SELECT id FROM flow_runs)",
            [before_millis],
        )?;
        tx.commit()?;
        Ok(n)
    }
}
