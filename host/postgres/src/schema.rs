//! The database schema, as numbered migrations recorded in
//! `connector_schema_migrations` and applied at start.
//!
//! Hosts that start at once must not both migrate: the check and the
//! migrations run in one transaction that first takes a transaction-scoped
//! advisory lock ([`MIGRATION_LOCK`]), so the second host waits, then finds
//! the schema current and does nothing. A migration is applied with its row
//! in the same transaction: it is there entirely or not at all.

use deadpool_postgres::Client;

/// The advisory lock key of migrations (any constant the hosts agree on).
pub const MIGRATION_LOCK: i64 = 0x636f_6e6e_6563_7401;

/// The migrations in order; the version of each is its index plus one.
/// Released ones are never edited, only followed by new ones.
pub const MIGRATIONS: &[&str] = &[
    // 1: trigger state, delivered ids, status, start mark, subscriptions, leases.
    // Times the host gives are unix milliseconds (as in SQLite); lease
    // times are the database's own, so that hosts need not agree on a clock.
    "
    CREATE TABLE trigger_state (
        trigger_name TEXT PRIMARY KEY,
        state        TEXT NOT NULL,
        committed_at BIGINT NOT NULL
    );
    CREATE TABLE delivered (
        trigger_name TEXT NOT NULL,
        event_id     TEXT NOT NULL,
        delivered_at BIGINT NOT NULL,
        PRIMARY KEY (trigger_name, event_id)
    );
    CREATE INDEX delivered_by_time ON delivered (delivered_at);
    CREATE INDEX delivered_by_id ON delivered (event_id);
    CREATE TABLE host_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE trigger_status (
        trigger_name         TEXT PRIMARY KEY,
        last_poll_at         BIGINT,
        last_success_at      BIGINT,
        last_error           TEXT,
        last_error_at        BIGINT,
        consecutive_failures BIGINT NOT NULL DEFAULT 0,
        polls                BIGINT NOT NULL DEFAULT 0,
        failures             BIGINT NOT NULL DEFAULT 0,
        events_delivered     BIGINT NOT NULL DEFAULT 0,
        items_delivered      BIGINT NOT NULL DEFAULT 0,
        last_delivery_at     BIGINT
    );
    CREATE TABLE subscriptions (
        id             BIGSERIAL PRIMARY KEY,
        trigger_name   TEXT NOT NULL,
        connector      TEXT NOT NULL,
        connection     TEXT NOT NULL,
        operation      TEXT NOT NULL,
        input          TEXT NOT NULL,
        callback_url   TEXT NOT NULL,
        data           TEXT NOT NULL,
        subscribed_at  BIGINT NOT NULL,
        last_error     TEXT,
        last_error_at  BIGINT
    );
    CREATE TABLE trigger_lease (
        trigger_name TEXT PRIMARY KEY,
        owner        TEXT NOT NULL,
        expires_at   TIMESTAMPTZ NOT NULL,
        taken_at     TIMESTAMPTZ NOT NULL
    );
    ",
    // 2: the live hosts (heartbeat rows), so that each takes its fair share.
    "
    CREATE TABLE connector_hosts (
        host_id    TEXT PRIMARY KEY,
        expires_at TIMESTAMPTZ NOT NULL,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    ",
];

/// The newest schema version this host knows.
pub fn current() -> i64 {
    MIGRATIONS.len() as i64
}

/// What [`migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrated {
    /// The version found (0: an empty database).
    pub from: i64,
    /// The version now.
    pub to: i64,
}

/// Brings the schema to [`current`], under the advisory lock; refuses a
/// database written by a newer host.
pub async fn migrate(client: &mut Client) -> Result<Migrated, String> {
    let tx = client.transaction().await.map_err(|e| e.to_string())?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(|e| format!("cannot take the migration lock: {}", super::message(&e)))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS connector_schema_migrations (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(|e| super::message(&e))?;
    let from: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM connector_schema_migrations",
            &[],
        )
        .await
        .map_err(|e| super::message(&e))?
        .get(0);
    if from > current() {
        return Err(format!(
            "it was written by a newer connector-host (schema {from}; this one knows {})",
            current()
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = i as i64 + 1;
        tx.batch_execute(sql)
            .await
            .map_err(|e| format!("migration {version}: {}", super::message(&e)))?;
        tx.execute(
            "INSERT INTO connector_schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(|e| format!("migration {version}: {}", super::message(&e)))?;
        tracing::info!("state database: applied schema migration {version}");
    }
    tx.commit().await.map_err(|e| super::message(&e))?;
    Ok(Migrated {
        from,
        to: current(),
    })
}

/// The schema version of an existing database, without changing anything
/// (`status`); 0 if it has none.
pub async fn version(client: &Client) -> Result<i64, String> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('connector_schema_migrations') IS NOT NULL",
            &[],
        )
        .await
        .map_err(|e| super::message(&e))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM connector_schema_migrations",
            &[],
        )
        .await
        .map_err(|e| super::message(&e))?
        .get(0))
}
