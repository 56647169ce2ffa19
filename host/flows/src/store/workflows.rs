//! Which workflows are disabled: a flag per workflow, kept beside its runs so that a
//! workflow disabled through the server stays disabled across restarts (and under `run`).

use std::collections::HashSet;

use rusqlite::params;

use super::{RunStore, StoreError, now_millis};

impl RunStore {
    /// The workflows whose flag says disabled.
    pub fn disabled_workflows(&self) -> Result<HashSet<String>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT workflow FROM flow_workflow_flags WHERE enabled = 0")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records `workflow` as enabled or disabled.
    pub fn set_enabled(&self, workflow: &str, enabled: bool) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO flow_workflow_flags (workflow, enabled, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (workflow) DO UPDATE SET enabled = excluded.enabled, \
             updated_at = excluded.updated_at",
            params![workflow, i64::from(enabled), now_millis()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_runtime::capabilities::Redactor;

    #[test]
    fn a_disabled_flag_is_kept_and_cleared() {
        let dir = std::env::temp_dir().join(format!("flows-flags-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = RunStore::open(&dir.join("state.db"), Redactor::new(vec![])).unwrap();
        assert!(s.disabled_workflows().unwrap().is_empty());
        s.set_enabled("a", false).unwrap();
        s.set_enabled("b", true).unwrap();
        assert_eq!(
            s.disabled_workflows().unwrap(),
            HashSet::from(["a".to_string()])
        );
        s.set_enabled("a", true).unwrap();
        assert!(s.disabled_workflows().unwrap().is_empty());
    }
}
