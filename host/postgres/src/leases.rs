//! Leases on triggers in PostgreSQL: one row per trigger (owner, expiry by
//! the database's clock), taken when free or expired, renewed by the
//! owner's heartbeat, deleted at a clean shutdown.
//!
//! Each heartbeat marks the host live (`connector_hosts`), renews its own
//! leases, and takes free or expired ones up to its fair share (the
//! triggers divided by the live hosts, rounded up) with one `INSERT .. ON
//! CONFLICT DO UPDATE .. WHERE expired` statement: the row lock makes two
//! hosts that race for an expired lease take turns, and the second finds it
//! held. Names are taken in sorted order so that hosts lock rows in the same
//! order. A commit checks
//! the row in its own transaction (`FOR SHARE`, see the store), so a host
//! that lost a lease cannot overwrite the state its successor moved on.

use std::time::Duration;

use connector_triggers::clock::from_unix_millis;
use connector_triggers::store::{Acquired, LeaseInfo, Leases, StoreError};

use super::{PostgresStore, pool_message};

impl Leases for PostgresStore {
    fn host_id(&self) -> &str {
        &self.host_id
    }

    fn acquire(&self, triggers: &[String], ttl: Duration) -> Result<Acquired, StoreError> {
        let mut names = triggers.to_vec();
        names.sort();
        names.dedup();
        let (pool, host, seconds) = (self.pool.clone(), self.host_id.clone(), ttl.as_secs_f64());
        self.run(async move {
            let fail = |e: tokio_postgres::Error| {
                format!("cannot take the trigger leases: {}", super::message(&e))
            };
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .execute(
                    "INSERT INTO connector_hosts (host_id, expires_at)
                     VALUES ($1, now() + make_interval(secs => $2))
                     ON CONFLICT (host_id) DO UPDATE SET expires_at = excluded.expires_at",
                    &[&host, &seconds],
                )
                .await
                .map_err(fail)?;
            // Hosts gone for an hour are forgotten (their leases long passed on).
            client
                .execute(
                    "DELETE FROM connector_hosts WHERE expires_at < now() - interval '1 hour'",
                    &[],
                )
                .await
                .map_err(fail)?;
            let live: i64 = client
                .query_one(
                    "SELECT count(*) FROM connector_hosts WHERE expires_at > now()",
                    &[],
                )
                .await
                .map_err(fail)?
                .get(0);
            let share = names.len().div_ceil(live.max(1) as usize);
            let renewed = client
                .query(
                    "UPDATE trigger_lease SET expires_at = now() + make_interval(secs => $3)
                     WHERE owner = $2 AND trigger_name = ANY($1) RETURNING trigger_name",
                    &[&names, &host, &seconds],
                )
                .await
                .map_err(fail)?;
            let mut held: Vec<String> = renewed.iter().map(|r| r.get(0)).collect();
            let room = share.saturating_sub(held.len()) as i64;
            if room > 0 {
                // Free or expired ones, in name order (so hosts lock rows in
                // the same order); the WHERE of the upsert settles a race.
                let taken = client
                    .query(
                        "INSERT INTO trigger_lease (trigger_name, owner, expires_at, taken_at)
                         SELECT t, $2, now() + make_interval(secs => $3), now()
                         FROM (SELECT t FROM unnest($1::text[]) AS t
                               WHERE NOT EXISTS (SELECT 1 FROM trigger_lease l
                                                 WHERE l.trigger_name = t
                                                   AND l.expires_at >= now())
                               ORDER BY t LIMIT $4) AS free
                         ON CONFLICT (trigger_name) DO UPDATE SET
                             owner = excluded.owner,
                             expires_at = excluded.expires_at,
                             taken_at = excluded.taken_at
                         WHERE trigger_lease.expires_at < now()
                         RETURNING trigger_name",
                        &[&names, &host, &seconds, &room],
                    )
                    .await
                    .map_err(fail)?;
                held.extend(taken.iter().map(|r| r.get::<_, String>(0)));
            }
            held.sort();
            Ok(Acquired { held, share })
        })
    }

    fn release(&self, triggers: &[String]) -> Result<(), StoreError> {
        let (pool, host, names) = (self.pool.clone(), self.host_id.clone(), triggers.to_vec());
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .execute(
                    "DELETE FROM trigger_lease WHERE owner = $1 AND trigger_name = ANY($2)",
                    &[&host, &names],
                )
                .await
                .map(drop)
                .map_err(|e| format!("cannot release trigger leases: {}", super::message(&e)))
        })
    }

    fn release_all(&self) -> Result<(), StoreError> {
        let (pool, host) = (self.pool.clone(), self.host_id.clone());
        self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            let fail = |e: tokio_postgres::Error| {
                format!("cannot release the trigger leases: {}", super::message(&e))
            };
            client
                .execute("DELETE FROM trigger_lease WHERE owner = $1", &[&host])
                .await
                .map_err(fail)?;
            client
                .execute("DELETE FROM connector_hosts WHERE host_id = $1", &[&host])
                .await
                .map(drop)
                .map_err(fail)
        })
    }

    fn list(&self) -> Result<Vec<LeaseInfo>, StoreError> {
        let pool = self.pool.clone();
        let rows = self.run(async move {
            let client = pool.get().await.map_err(|e| pool_message(&e))?;
            client
                .query(
                    "SELECT trigger_name, owner,
                         (extract(epoch FROM expires_at) * 1000)::bigint
                     FROM trigger_lease ORDER BY trigger_name",
                    &[],
                )
                .await
                .map_err(|e| super::message(&e))
        })?;
        Ok(rows
            .iter()
            .map(|r| LeaseInfo {
                trigger: r.get(0),
                owner: r.get(1),
                expires_at: from_unix_millis(r.get(2)),
            })
            .collect())
    }
}
