//! [`StateStore`] and [`TriggerStore`] on PostgreSQL: the same rows and
//! counts as the SQLite store, each write one transaction.

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::Value;

use connector_triggers::clock::{from_unix_millis, unix_millis};
use connector_triggers::store::{
    Activity, Leases, StateStore, StoreError, StoredSubscription, SubscriptionRecord,
    TriggerStatus, TriggerStore,
};

use super::{Failure, PostgresStore, pool_message};

fn corrupt(trigger: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        trigger: trigger.to_string(),
        message: e.to_string(),
    }
}

impl PostgresStore {
    /// Records `delivered` and, with `poll`, a successful poll and its
    /// `state`, in one transaction that (for a poll) first checks that no
    /// other host holds the trigger's lease, and keeps it from changing
    /// hands until the commit.
    fn write_delivered(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        state: Option<&Value>,
        poll: bool,
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        let (pool, host, shown) = (self.pool.clone(), self.host_id.clone(), self.shown.clone());
        let trigger = trigger.to_string();
        let items: HashMap<String, u64> = delivered.iter().cloned().collect();
        let ids: Vec<String> = items.keys().cloned().collect();
        let state = state.map(|s| serde_json::to_string(s).expect("a Value serializes"));
        let at = unix_millis(at);
        self.run_raw(async move {
            let mut client = pool.get().await.map_err(|e| pool_message(&e))?;
            let tx = client.transaction().await?;
            // Only a commit is fenced: recording ids a sink accepted is
            // right whoever holds the trigger now (the start-up recovery of
            // a sink does it), and keeps the holder from delivering them again.
            let fence = tx
                .prepare_cached("SELECT owner FROM trigger_lease WHERE trigger_name = $1 FOR SHARE")
                .await?;
            let fenced = poll || state.is_some();
            if let Some(row) = if fenced {
                tx.query_opt(&fence, &[&trigger]).await?
            } else {
                None
            } {
                let owner: String = row.get(0);
                if owner != host {
                    return Err(Failure::Store(StoreError::LeaseLost {
                        store: shown,
                        trigger,
                        owner,
                    }));
                }
            }
            let ensure = tx
                .prepare_cached(
                    "INSERT INTO trigger_status (trigger_name) VALUES ($1) ON CONFLICT DO NOTHING",
                )
                .await?;
            tx.execute(&ensure, &[&trigger]).await?;
            let (mut new, mut new_items) = (0usize, 0u64);
            if !ids.is_empty() {
                let insert = tx
                    .prepare_cached(
                        "INSERT INTO delivered (trigger_name, event_id, delivered_at)
                         SELECT $1, id, $3 FROM unnest($2::text[]) AS id
                         ON CONFLICT DO NOTHING RETURNING event_id",
                    )
                    .await?;
                for row in tx.query(&insert, &[&trigger, &ids, &at]).await? {
                    let id: String = row.get(0);
                    new += 1;
                    new_items += items.get(&id).copied().unwrap_or(0);
                }
            }
            if new > 0 {
                let counts = tx
                    .prepare_cached(
                        "UPDATE trigger_status SET events_delivered = events_delivered + $2,
                             items_delivered = items_delivered + $3, last_delivery_at = $4
                         WHERE trigger_name = $1",
                    )
                    .await?;
                tx.execute(
                    &counts,
                    &[&trigger, &(new as i64), &(new_items as i64), &at],
                )
                .await?;
            }
            if let Some(state) = &state {
                let put = tx
                    .prepare_cached(
                        "INSERT INTO trigger_state (trigger_name, state, committed_at)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (trigger_name) DO UPDATE SET state = excluded.state,
                             committed_at = excluded.committed_at",
                    )
                    .await?;
                tx.execute(&put, &[&trigger, state, &at]).await?;
            }
            if poll {
                let polled = tx
                    .prepare_cached(
                        "UPDATE trigger_status SET last_poll_at = $2, last_success_at = $2,
                             consecutive_failures = 0, polls = polls + 1
                         WHERE trigger_name = $1",
                    )
                    .await?;
                tx.execute(&polled, &[&trigger, &at]).await?;
            }
            tx.commit().await?;
            Ok(new)
        })
    }
}

impl StateStore for PostgresStore {
    fn load_state(&self, trigger: &str) -> Result<Option<Value>, StoreError> {
        let (pool, name) = (self.pool.clone(), trigger.to_string());
        let text: Option<String> = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            let query = client
                .prepare_cached("SELECT state FROM trigger_state WHERE trigger_name = $1")
                .await
                .map_err(|e| super::message(&e))?;
            let row = client
                .query_opt(&query, &[&name])
                .await
                .map_err(|e| super::message(&e))?;
            Ok(row.map(|r| r.get(0)))
        })?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(trigger, e)))
            .transpose()
    }

    fn commit(
        &self,
        trigger: &str,
        state: Option<&Value>,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.write_delivered(trigger, &[], state, true, at)
            .map(drop)
    }

    fn is_delivered(&self, trigger: &str, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.delivered_among(trigger, &[event_id])?[0])
    }

    fn delivered_among(&self, trigger: &str, event_ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        let (pool, name) = (self.pool.clone(), trigger.to_string());
        let ids: Vec<String> = event_ids.iter().map(|s| s.to_string()).collect();
        let wanted = ids.clone();
        let found: std::collections::HashSet<String> = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            let query = client
                .prepare_cached(
                    "SELECT event_id FROM delivered WHERE trigger_name = $1 AND event_id = ANY($2)",
                )
                .await
                .map_err(|e| super::message(&e))?;
            let rows = client
                .query(&query, &[&name, &wanted])
                .await
                .map_err(|e| super::message(&e))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })?;
        Ok(ids.iter().map(|id| found.contains(id)).collect())
    }

    fn commit_poll(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        state: Option<&Value>,
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        self.write_delivered(trigger, delivered, state, true, at)
    }

    fn record_delivered(
        &self,
        trigger: &str,
        event_id: &str,
        items: u64,
        at: SystemTime,
    ) -> Result<bool, StoreError> {
        self.record_delivered_all(trigger, &[(event_id.to_string(), items)], at)
            .map(|new| new > 0)
    }

    fn record_delivered_all(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        if delivered.is_empty() {
            return Ok(0);
        }
        self.write_delivered(trigger, delivered, None, false, at)
    }

    fn record_failure(
        &self,
        trigger: &str,
        activity: Activity,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        let (pool, name, error) = (self.pool.clone(), trigger.to_string(), error.to_string());
        let at = unix_millis(at);
        self.run_raw(async move {
            let mut client = pool.get().await.map_err(|e| pool_message(&e))?;
            let tx = client.transaction().await?;
            tx.execute(
                "INSERT INTO trigger_status (trigger_name) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&name],
            )
            .await?;
            tx.execute(
                "UPDATE trigger_status SET last_error = $2, last_error_at = $3,
                     failures = failures + 1, consecutive_failures = consecutive_failures + 1
                 WHERE trigger_name = $1",
                &[&name, &error, &at],
            )
            .await?;
            if activity == Activity::Poll {
                tx.execute(
                    "UPDATE trigger_status SET last_poll_at = $2, polls = polls + 1
                     WHERE trigger_name = $1",
                    &[&name, &at],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn statuses(&self) -> Result<Vec<TriggerStatus>, StoreError> {
        let pool = self.pool.clone();
        let rows = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query(
                    "SELECT n.trigger_name, st.state, st.committed_at, s.last_poll_at,
                        s.last_success_at, s.last_error, s.last_error_at, s.consecutive_failures,
                        s.polls, s.failures, s.events_delivered, s.items_delivered,
                        s.last_delivery_at
                     FROM (SELECT trigger_name FROM trigger_status
                           UNION SELECT trigger_name FROM trigger_state) AS n
                     LEFT JOIN trigger_status AS s ON s.trigger_name = n.trigger_name
                     LEFT JOIN trigger_state AS st ON st.trigger_name = n.trigger_name
                     ORDER BY n.trigger_name",
                    &[],
                )
                .await
                .map_err(|e| super::message(&e))
        })?;
        let time = |v: Option<i64>| v.map(from_unix_millis);
        let count = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
        let mut statuses = Vec::with_capacity(rows.len());
        for r in rows {
            let trigger: String = r.get(0);
            let state: Option<String> = r.get(1);
            statuses.push(TriggerStatus {
                state: state
                    .map(|t| serde_json::from_str(&t).map_err(|e| corrupt(&trigger, e)))
                    .transpose()?,
                committed_at: time(r.get(2)),
                last_poll_at: time(r.get(3)),
                last_success_at: time(r.get(4)),
                last_error: r.get(5),
                last_error_at: time(r.get(6)),
                consecutive_failures: count(r.get(7)),
                polls: count(r.get(8)),
                failures: count(r.get(9)),
                events_delivered: count(r.get(10)),
                items_delivered: count(r.get(11)),
                last_delivery_at: time(r.get(12)),
                trigger,
            });
        }
        Ok(statuses)
    }

    fn prune_delivered(&self, before: SystemTime) -> Result<u64, StoreError> {
        let (pool, before) = (self.pool.clone(), unix_millis(before));
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .execute("DELETE FROM delivered WHERE delivered_at < $1", &[&before])
                .await
                .map_err(|e| super::message(&e))
        })
    }
}

impl PostgresStore {
    /// One statement that returns nothing, on a pooled connection.
    fn execute(&self, sql: &'static str, params: Vec<Param>) -> Result<u64, StoreError> {
        let pool = self.pool.clone();
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(Param::as_sql).collect();
            client
                .execute(sql, &refs)
                .await
                .map_err(|e| super::message(&e))
        })
    }
}

/// A statement parameter that can travel to the store's runtime.
enum Param {
    Int(i64),
    Text(String),
}

impl Param {
    fn as_sql(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        match self {
            Param::Int(v) => v,
            Param::Text(v) => v,
        }
    }
}

impl TriggerStore for PostgresStore {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn is_blank(&self) -> Result<bool, StoreError> {
        let pool = self.pool.clone();
        let rows: i64 = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query_one(
                    "SELECT (SELECT COUNT(*) FROM trigger_state) + (SELECT COUNT(*) FROM delivered)
                      + (SELECT COUNT(*) FROM trigger_status) + (SELECT COUNT(*) FROM host_meta)",
                    &[],
                )
                .await
                .map(|r| r.get(0))
                .map_err(|e| super::message(&e))
        })?;
        Ok(rows == 0)
    }

    fn is_delivered_anywhere(&self, event_id: &str) -> Result<bool, StoreError> {
        let (pool, id) = (self.pool.clone(), event_id.to_string());
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM delivered WHERE event_id = $1)",
                    &[&id],
                )
                .await
                .map(|r| r.get(0))
                .map_err(|e| super::message(&e))
        })
    }

    fn mark_started(&self, at: SystemTime) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO host_meta (key, value) VALUES ('started', $1) ON CONFLICT DO NOTHING",
            vec![Param::Text(unix_millis(at).to_string())],
        )
        .map(drop)
    }

    fn insert_subscription(
        &self,
        record: &SubscriptionRecord,
        at: SystemTime,
    ) -> Result<i64, StoreError> {
        let pool = self.pool.clone();
        let r = record.clone();
        let at = unix_millis(at);
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query_one(
                    "INSERT INTO subscriptions (trigger_name, connector, connection, operation,
                         input, callback_url, data, subscribed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        &r.trigger,
                        &r.connector,
                        &r.connection,
                        &r.operation,
                        &r.input.to_string(),
                        &r.callback_url,
                        &r.data,
                        &at,
                    ],
                )
                .await
                .map(|row| row.get(0))
                .map_err(|e| super::message(&e))
        })
    }

    fn delete_subscription(&self, id: i64) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM subscriptions WHERE id = $1",
            vec![Param::Int(id)],
        )
        .map(drop)
    }

    fn record_unsubscribe_failure(
        &self,
        id: i64,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE subscriptions SET last_error = $2, last_error_at = $3 WHERE id = $1",
            vec![
                Param::Int(id),
                Param::Text(error.to_string()),
                Param::Int(unix_millis(at)),
            ],
        )
        .map(drop)
    }

    fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError> {
        let pool = self.pool.clone();
        let rows = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query(
                    "SELECT id, trigger_name, connector, connection, operation, input,
                         callback_url, data, subscribed_at, last_error, last_error_at
                     FROM subscriptions ORDER BY id",
                    &[],
                )
                .await
                .map_err(|e| super::message(&e))
        })?;
        rows.into_iter()
            .map(|r| {
                let trigger: String = r.get(1);
                let input: String = r.get(5);
                Ok(StoredSubscription {
                    id: r.get(0),
                    record: SubscriptionRecord {
                        input: serde_json::from_str(&input).map_err(|e| corrupt(&trigger, e))?,
                        trigger,
                        connector: r.get(2),
                        connection: r.get(3),
                        operation: r.get(4),
                        callback_url: r.get(6),
                        data: r.get(7),
                    },
                    subscribed_at: from_unix_millis(r.get(8)),
                    last_error: r.get(9),
                    last_error_at: r.get::<_, Option<i64>>(10).map(from_unix_millis),
                })
            })
            .collect()
    }

    fn leases(&self) -> Option<&dyn Leases> {
        Some(self)
    }
}
