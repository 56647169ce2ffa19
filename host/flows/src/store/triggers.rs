//! Workflow trigger state: what a poll commits, with the runs its events start, in one
//! transaction.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{RunStore, StoreError, now_millis};

/// One trigger event that should start a run.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// A stable id (the connector item's id, or the schedule's tick), so that an event
    /// committed once never starts a second run.
    pub id: String,
    /// The trigger outputs the run starts from.
    pub outputs: Value,
}

/// A trigger's committed state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerState {
    /// The connector's state (polling triggers).
    pub state: Option<Value>,
    /// When the schedule is next due (milliseconds since the epoch).
    pub next_due: Option<i64>,
}

impl RunStore {
    /// The committed state of `workflow`'s trigger `trigger`.
    pub fn trigger_state(&self, workflow: &str, trigger: &str) -> Result<TriggerState, StoreError> {
        let row: Option<(Option<String>, Option<i64>)> = self
            .conn()
            .query_row(
                "SELECT state, next_due FROM flow_trigger_state WHERE workflow = ?1 AND trigger = ?2",
                params![workflow, trigger],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((state, next_due)) = row else {
            return Ok(TriggerState::default());
        };
        let state = state
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("state of {workflow}/{trigger}: {e}")))?;
        Ok(TriggerState { state, next_due })
    }

    /// Commits what one poll (or one schedule tick) found, in one transaction: a queued run
    /// for each event whose id has not started one before, those ids as delivered, and the
    /// trigger's new state. Returns the ids of the runs it created.
    pub fn commit_events(
        &self,
        workflow: &str,
        trigger: &str,
        events: &[NewEvent],
        new_state: &TriggerState,
    ) -> Result<Vec<String>, StoreError> {
        let state_text = new_state.state.as_ref().map(|s| self.text(s)).transpose()?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut created = Vec::new();
        for e in events {
            let seen: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM flow_delivered WHERE workflow = ?1 AND trigger = ?2 AND item_id = ?3",
                    params![workflow, trigger, e.id],
                    |r| r.get(0),
                )
                .optional()?;
            if seen.is_some() {
                continue;
            }
            let run = super::runs::new_run_id();
            self.insert_run(&tx, &run, workflow, trigger, &e.outputs, None)?;
            tx.execute(
                "INSERT INTO flow_delivered (workflow, trigger, item_id, run_id, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workflow, trigger, e.id, run, now_millis()],
            )?;
            created.push(run);
        }
        tx.execute(
            "INSERT INTO flow_trigger_state (workflow, trigger, state, next_due, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workflow, trigger) DO UPDATE SET \
             state = COALESCE(excluded.state, state), next_due = excluded.next_due, \
             updated_at = excluded.updated_at",
            params![
                workflow,
                trigger,
                state_text,
                new_state.next_due,
                now_millis()
            ],
        )?;
        tx.commit()?;
        Ok(created)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_runtime::capabilities::Redactor;
    use serde_json::json;

    fn store(label: &str) -> RunStore {
        let dir = std::env::temp_dir().join(format!("flows-store-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        RunStore::open(
            &dir.join("state.db"),
            Redactor::new(vec!["s3cr3t-value".into()]),
        )
        .unwrap()
    }

    #[test]
    fn an_event_starts_one_run_however_often_it_is_committed() {
        let s = store("once");
        let ev = |id: &str| NewEvent {
            id: id.into(),
            outputs: json!({"headers": {}, "body": {"id": id, "token": "x s3cr3t-value"}}),
        };
        let state = |n: i64| TriggerState {
            state: Some(json!({"cursor": n})),
            next_due: None,
        };
        let first = s
            .commit_events("w", "t", &[ev("a"), ev("b")], &state(1))
            .unwrap();
        assert_eq!(first.len(), 2);
        // The same poll again (a crash before the connector saw the new state): no new run.
        let again = s
            .commit_events("w", "t", &[ev("b"), ev("c")], &state(2))
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            s.trigger_state("w", "t").unwrap().state,
            Some(json!({"cursor": 2}))
        );
        // A poll that keeps the state (None) leaves it as it was.
        s.commit_events("w", "t", &[], &TriggerState::default())
            .unwrap();
        assert_eq!(
            s.trigger_state("w", "t").unwrap().state,
            Some(json!({"cursor": 2}))
        );
        let runs = s.unfinished(10, &[]).unwrap();
        assert_eq!(runs.len(), 3);
        // Secrets are redacted before they are written.
        assert_eq!(runs[0].trigger_outputs["body"]["token"], "x [redacted]");
    }
}
