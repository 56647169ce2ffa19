//! connector-postgres: the trigger host's state in PostgreSQL, shared by
//! several hosts (`[host] state = "postgres://user@127.0.0.1:5432/db"`).
//!
//! [`PostgresStore`] implements the trigger crate's
//! [`StateStore`](connector_triggers::store::StateStore) with the guarantees
//! of its SQLite store: a poll's delivered ids, counts and new state are one
//! transaction ([`StateStore::commit_poll`](connector_triggers::store::StateStore::commit_poll)),
//! an event id is recorded once per trigger, and the schema is migrated at
//! start under an advisory lock (see [`schema`]). It adds
//! [`Leases`](connector_triggers::store::Leases) (see [`leases`]): each
//! trigger is polled by the one host holding its lease, and a commit by a
//! host that lost the lease is refused inside the same transaction.
//!
//! The trait's methods are blocking; the store runs its own small tokio
//! runtime for the client and its pool, so that it can be called from the
//! host's blocking pool, from plain threads, or from `status`.
//!
//! The password is never in a message: the URL is shown redacted
//! ([`url::redact`]), and it comes from `PGPASSWORD` or `.pgpass` when the
//! URL has none.

pub mod leases;
pub mod schema;
mod store;
pub mod url;

use std::future::Future;
use std::sync::mpsc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use connector_triggers::backends::StoreUse;
use connector_triggers::store::StoreError;

/// How many connections one host keeps open at most.
const POOL_SIZE: usize = 8;

/// The trigger state of one host in a PostgreSQL database.
pub struct PostgresStore {
    /// The URL without its password.
    shown: String,
    pool: Pool,
    host_id: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .field("host_id", &self.host_id)
            .finish()
    }
}

/// The text of a client error: the server's message when it sent one (with
/// its detail), else the client's. Neither holds the password.
pub(crate) fn message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_string(),
        },
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// A host id unique enough for leases: the machine's name, the process id
/// and the start time's nanoseconds (a restarted process is a new host).
fn new_host_id() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "host".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{name}-{}-{nanos:08x}", std::process::id())
}

impl PostgresStore {
    /// Connects to `url` and, for [`StoreUse::Host`], migrates the schema;
    /// for [`StoreUse::Read`], refuses a database that has none (nothing is
    /// created). Blocking.
    pub fn open(url: &str, usage: StoreUse) -> Result<Self, StoreError> {
        let shown = url::redact(url);
        let fail = |message: String| StoreError::Backend {
            store: shown.clone(),
            message,
        };
        let config = url::client_config(url).map_err(&fail)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("connector-postgres")
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start its runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(30)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .build()
            .map_err(|e| fail(format!("cannot make its connection pool: {e}")))?;
        let store = Self {
            shown,
            pool,
            host_id: new_host_id(),
            runtime: Some(runtime),
        };
        let pool = store.pool.clone();
        store.run(async move {
            let mut client = pool.get().await.map_err(|e| pool_message(&e))?;
            match usage {
                StoreUse::Host => schema::migrate(&mut client).await.map(drop),
                StoreUse::Read => match schema::version(&client).await? {
                    0 => Err("it holds no connector-host state yet (no host has run on it)".into()),
                    v if v > schema::current() => Err(format!(
                        "it was written by a newer connector-host (schema {v}; this one knows {})",
                        schema::current()
                    )),
                    _ => Ok(()),
                },
            }
        })?;
        Ok(store)
    }

    /// This host's id, the owner written in its leases.
    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    /// The URL without its password.
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// Runs `work` on the store's runtime and waits for it; its `Err`
    /// text becomes a [`StoreError::Backend`] naming the redacted URL.
    pub(crate) fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, String>> + Send + 'static,
    {
        self.run_raw(async move { work.await.map_err(Failure::Text) })
    }

    /// [`PostgresStore::run`] for work that may also fail with a
    /// [`StoreError`] of its own (a lost lease).
    pub(crate) fn run_raw<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, Failure>> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the store");
        // Spawned rather than `block_on`, so that a caller on an async thread
        // (a test, say) blocks only itself instead of panicking.
        runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        match rx.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Failure::Text(message))) => Err(StoreError::Backend {
                store: self.shown.clone(),
                message,
            }),
            Ok(Err(Failure::Store(e))) => Err(e),
            Err(_) => Err(StoreError::Backend {
                store: self.shown.clone(),
                message: "the store's runtime stopped".into(),
            }),
        }
    }
}

/// Why work on the store failed.
pub(crate) enum Failure {
    Text(String),
    Store(StoreError),
}

impl From<String> for Failure {
    fn from(text: String) -> Self {
        Failure::Text(text)
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        Failure::Text(message(&e))
    }
}

/// A pool error's text (a connection refused, a bad password...).
pub(crate) fn pool_message(e: &deadpool_postgres::PoolError) -> String {
    match e {
        deadpool_postgres::PoolError::Backend(e) => format!("cannot connect: {}", message(e)),
        other => format!("cannot connect: {other}"),
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which an async caller may not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
