//! Webhook subscriptions of push triggers (contract 0.2.0), stored durably.
//!
//! A push trigger whose settings say `needs-subscription` is subscribed at
//! its event source when it starts; what the connector answered is stored
//! here with everything needed to end it later (connector, connection,
//! operation, input, callback URL), since by then the trigger may be gone
//! from the configuration. A record is deleted only after `unsubscribe`
//! succeeded, so a stored subscription is never lost: a failed unsubscribe
//! keeps it (with the error) for the next start.

use std::time::SystemTime;

use rusqlite::params;
use serde_json::Value;

use super::{SqliteStore, StoreError};
use crate::clock::{from_unix_millis, unix_millis};

/// What identifies a subscription: the trigger as configured when it was
/// subscribed. A trigger whose configuration still matches reuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    /// The trigger's name in the configuration.
    pub trigger: String,
    /// The connector's name in the configuration.
    pub connector: String,
    /// The connection's name in the configuration.
    pub connection: String,
    /// The push trigger's operation id.
    pub operation: String,
    /// The trigger's input, given to `subscribe` (and to `unsubscribe`).
    pub input: Value,
    /// Where the event source was told to send events.
    pub callback_url: String,
    /// What `subscribe` answered (opaque).
    pub data: String,
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubscription {
    /// Its row id, to delete it once unsubscribed.
    pub id: i64,
    pub record: SubscriptionRecord,
    pub subscribed_at: SystemTime,
    /// Why the last `unsubscribe` of it failed, if one did.
    pub last_error: Option<String>,
    pub last_error_at: Option<SystemTime>,
}

impl SubscriptionRecord {
    /// Whether `self` was made for the same trigger configuration as
    /// `other` (the data aside), so it can be reused instead of subscribing
    /// again.
    pub fn same_trigger(&self, other: &SubscriptionRecord) -> bool {
        self.trigger == other.trigger
            && self.connector == other.connector
            && self.connection == other.connection
            && self.operation == other.operation
            && self.input == other.input
            && self.callback_url == other.callback_url
    }
}

impl SqliteStore {
    /// Stores a new subscription (durable when it returns); returns its id.
    pub fn insert_subscription(
        &self,
        record: &SubscriptionRecord,
        at: SystemTime,
    ) -> Result<i64, StoreError> {
        let conn = self.writer.conn();
        conn.execute(
            "INSERT INTO subscriptions (trigger_name, connector, connection, operation, input,
                 callback_url, data, subscribed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                record.trigger,
                record.connector,
                record.connection,
                record.operation,
                serde_json::to_string(&record.input).expect("a Value serializes"),
                record.callback_url,
                record.data,
                unix_millis(at),
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Deletes a subscription once it is ended at the source.
    pub fn delete_subscription(&self, id: i64) -> Result<(), StoreError> {
        self.writer
            .conn()
            .execute("DELETE FROM subscriptions WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Records why ending a subscription failed; the record stays.
    pub fn record_unsubscribe_failure(
        &self,
        id: i64,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.writer.conn().execute(
            "UPDATE subscriptions SET last_error = ?2, last_error_at = ?3 WHERE id = ?1",
            params![id, error, unix_millis(at)],
        )?;
        Ok(())
    }

    /// Every stored subscription, oldest first. A database written before
    /// subscriptions existed (schema 1, opened for reading only) has none.
    pub fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError> {
        let conn = self.read();
        let exists: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'subscriptions'",
            [],
            |r| r.get(0),
        )?;
        if exists == 0 {
            return Ok(Vec::new());
        }
        let mut query = conn.prepare(
            "SELECT id, trigger_name, connector, connection, operation, input, callback_url,
                    data, subscribed_at, last_error, last_error_at
             FROM subscriptions ORDER BY id",
        )?;
        let rows = query.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, i64>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<i64>>(10)?,
            ))
        })?;
        let mut all = Vec::new();
        for row in rows {
            let (
                id,
                trigger,
                connector,
                connection,
                operation,
                input,
                callback_url,
                data,
                at,
                error,
                error_at,
            ) = row?;
            let input = serde_json::from_str(&input).map_err(|e| StoreError::Corrupt {
                trigger: trigger.clone(),
                message: format!("the input of its subscription: {e}"),
            })?;
            all.push(StoredSubscription {
                id,
                record: SubscriptionRecord {
                    trigger,
                    connector,
                    connection,
                    operation,
                    input,
                    callback_url,
                    data,
                },
                subscribed_at: from_unix_millis(at),
                last_error: error,
                last_error_at: error_at.map(from_unix_millis),
            });
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(trigger: &str) -> SubscriptionRecord {
        SubscriptionRecord {
            trigger: trigger.into(),
            connector: "tasks".into(),
            connection: "api".into(),
            operation: "task-changed".into(),
            input: json!({"project": "p1"}),
            callback_url: "http://127.0.0.1:9/hooks/t".into(),
            data: "sub-1".into(),
        }
    }

    #[test]
    fn subscriptions_survive_reopening_and_failed_unsubscribes() {
        let dir = std::env::temp_dir().join(format!(
            "ch-subs-{}-{}",
            std::process::id(),
            unix_millis(SystemTime::now())
        ));
        let path = dir.join("state.db");
        let at = from_unix_millis(1_700_000_000_000);
        let id = {
            let store = SqliteStore::open(&path).unwrap();
            let id = store.insert_subscription(&record("a"), at).unwrap();
            store.insert_subscription(&record("b"), at).unwrap();
            store
                .record_unsubscribe_failure(id, "source down", at)
                .unwrap();
            id
        };
        let store = SqliteStore::open(&path).unwrap();
        let all = store.subscriptions().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].record, record("a"));
        assert_eq!(all[0].last_error.as_deref(), Some("source down"));
        assert_eq!(all[0].subscribed_at, at);
        assert!(all[0].record.same_trigger(&record("a")));
        let mut moved = record("a");
        moved.callback_url = "http://127.0.0.1:10/hooks/t".into();
        assert!(!all[0].record.same_trigger(&moved));
        store.delete_subscription(id).unwrap();
        assert_eq!(store.subscriptions().unwrap().len(), 1);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_schema_1_database_is_migrated() {
        let dir = std::env::temp_dir().join(format!(
            "ch-subs-mig-{}-{}",
            std::process::id(),
            unix_millis(SystemTime::now())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE trigger_state (trigger_name TEXT PRIMARY KEY, state TEXT NOT NULL, committed_at INTEGER NOT NULL);
                 INSERT INTO trigger_state VALUES ('t', '{\"n\":1}', 1);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            crate::store::StateStore::load_state(&store, "t").unwrap(),
            Some(json!({"n": 1}))
        );
        store
            .insert_subscription(&record("t"), SystemTime::now())
            .unwrap();
        assert_eq!(store.subscriptions().unwrap().len(), 1);
        let version: i64 = store
            .read()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
