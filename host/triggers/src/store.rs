//! Durable trigger state: each trigger's committed state, the ids of the
//! events already delivered, and what the last polls did.
//!
//! [`StateStore`] is small on purpose, so that a server database can back it
//! later; [`SqliteStore`] is the embedded default. Its commits are durable
//! when they return (WAL journal, `synchronous=FULL`), and a trigger's state
//! is only ever replaced inside one transaction, so a crash leaves either
//! the old state or the new one. Writes of many triggers share transactions
//! ([`group`]): a thousand pollers share `fsync`s instead of queueing for one
//! each. Reads go through a second connection, so that they do not wait
//! behind a commit's `fsync`.

mod group;
mod subscriptions;
mod trigger_store;

pub use subscriptions::{StoredSubscription, SubscriptionRecord};
pub use trigger_store::{Acquired, LeaseInfo, Leases, TriggerStore};

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::Value;

use self::group::{GroupCommit, Write};
use super::clock::{from_unix_millis, unix_millis};

/// Why the state store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or set up.
    #[error("cannot open the state database {path}: {message}")]
    Open { path: PathBuf, message: String },
    /// Another host holds the state.
    #[error(
        "another connector-host is running with the state {path} (it holds {lock}); \
         two hosts on one state would deliver events twice"
    )]
    Locked { path: PathBuf, lock: PathBuf },
    /// A query failed.
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored state is not JSON (the file was edited or damaged).
    #[error("state database: the committed state of trigger {trigger:?} is not JSON: {message}")]
    Corrupt { trigger: String, message: String },
    /// A transaction holding this write (and others) could not be
    /// committed; none of its writes took effect.
    #[error("state database: cannot commit: {0}")]
    Commit(String),
    /// A store of another crate (PostgreSQL) failed; `store` names it
    /// without any password.
    #[error("state database {store}: {message}")]
    Backend { store: String, message: String },
    /// This host no longer holds the lease of `trigger` (another host took
    /// it over): nothing of the write took effect.
    #[error(
        "state database {store}: trigger {trigger:?} is now owned by host {owner:?}; this host \
         lost its lease, so it committed nothing"
    )]
    LeaseLost {
        store: String,
        trigger: String,
        owner: String,
    },
}

/// Which kind of activity a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// A poll of a polling trigger (it counts as a poll).
    Poll,
    /// An event of a push trigger.
    Event,
    /// Subscribing a push trigger at its event source (or unsubscribing it).
    Subscription,
}

/// What the store knows about one trigger.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriggerStatus {
    pub trigger: String,
    /// The committed state, if any.
    pub state: Option<Value>,
    pub committed_at: Option<SystemTime>,
    /// When the last poll ended, successful or not.
    pub last_poll_at: Option<SystemTime>,
    pub last_success_at: Option<SystemTime>,
    /// The last failure's message (kept after later successes, with its time).
    pub last_error: Option<String>,
    pub last_error_at: Option<SystemTime>,
    /// Failures since the last successful poll.
    pub consecutive_failures: u64,
    pub polls: u64,
    pub failures: u64,
    /// Events accepted by the sink (each counted once).
    pub events_delivered: u64,
    /// Items in those events.
    pub items_delivered: u64,
    pub last_delivery_at: Option<SystemTime>,
}

/// Where triggers keep their state between polls and across restarts.
///
/// Every method is a short blocking call; async code runs them on the
/// blocking thread pool.
pub trait StateStore: Send + Sync + 'static {
    /// The trigger's committed state; `None` before its first commit.
    fn load_state(&self, trigger: &str) -> Result<Option<Value>, StoreError>;

    /// Records a successful poll and, if `state` is given, replaces the
    /// committed state, in one transaction. Callers commit only after every
    /// event of the poll has been delivered.
    fn commit(
        &self,
        trigger: &str,
        state: Option<&Value>,
        at: SystemTime,
    ) -> Result<(), StoreError>;

    /// Whether the event `event_id` was already delivered.
    fn is_delivered(&self, trigger: &str, event_id: &str) -> Result<bool, StoreError>;

    /// Whether each of `event_ids` was already delivered, in order.
    fn delivered_among(&self, trigger: &str, event_ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        event_ids
            .iter()
            .map(|id| self.is_delivered(trigger, id))
            .collect()
    }

    /// Records that the sink accepted the events `delivered` (id, items),
    /// then a successful poll and, if `state` is given, its new state.
    /// Callers call it only after the sink accepted every event of the
    /// poll. Returns how many of the events were new to the store.
    ///
    /// The default records the events, then commits: a crash in between
    /// leaves the ids recorded and the old state, so the next poll finds
    /// the same items and skips them. [`SqliteStore`] does it all in one
    /// transaction.
    fn commit_poll(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        state: Option<&Value>,
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        let new = self.record_delivered_all(trigger, delivered, at)?;
        self.commit(trigger, state, at)?;
        Ok(new)
    }

    /// Records that the sink accepted the events `delivered` (id, items);
    /// returns how many were new to the store (the others count nothing).
    fn record_delivered_all(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        let mut new = 0;
        for (id, items) in delivered {
            new += usize::from(self.record_delivered(trigger, id, *items, at)?);
        }
        Ok(new)
    }

    /// Records that the sink accepted `event_id` (carrying `items` items).
    /// Returns false, and counts nothing, if it was already recorded.
    fn record_delivered(
        &self,
        trigger: &str,
        event_id: &str,
        items: u64,
        at: SystemTime,
    ) -> Result<bool, StoreError>;

    /// Records a failed poll or event; the committed state is untouched.
    fn record_failure(
        &self,
        trigger: &str,
        activity: Activity,
        error: &str,
        at: SystemTime,
    ) -> Result<(), StoreError>;

    /// The status of every trigger the store knows, by name.
    fn statuses(&self) -> Result<Vec<TriggerStatus>, StoreError>;

    /// Forgets delivered ids recorded before `before`; returns how many.
    fn prune_delivered(&self, before: SystemTime) -> Result<u64, StoreError>;
}

/// The schema version this host writes (`PRAGMA user_version`).
/// 1: trigger state, delivered ids, status. 2: webhook subscriptions
/// (`subscriptions`); a version 1 database gains the table when opened.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS trigger_state (
    trigger_name TEXT PRIMARY KEY,
    state        TEXT NOT NULL,
    committed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS delivered (
    trigger_name TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (trigger_name, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS delivered_by_time ON delivered (delivered_at);
-- `started`: when a host first ran on this database, written before its
-- first delivery, so that a store that lost its state (blank beside a sink
-- that holds events) is told apart from one whose first poll crashed.
CREATE TABLE IF NOT EXISTS host_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trigger_status (
    trigger_name         TEXT PRIMARY KEY,
    last_poll_at         INTEGER,
    last_success_at      INTEGER,
    last_error           TEXT,
    last_error_at        INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    polls                INTEGER NOT NULL DEFAULT 0,
    failures             INTEGER NOT NULL DEFAULT 0,
    events_delivered     INTEGER NOT NULL DEFAULT 0,
    items_delivered      INTEGER NOT NULL DEFAULT 0,
    last_delivery_at     INTEGER
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger_name   TEXT NOT NULL,
    connector      TEXT NOT NULL,
    connection     TEXT NOT NULL,
    operation      TEXT NOT NULL,
    input          TEXT NOT NULL,
    callback_url   TEXT NOT NULL,
    data           TEXT NOT NULL,
    subscribed_at  INTEGER NOT NULL,
    last_error     TEXT,
    last_error_at  INTEGER
);
";

/// The embedded store: one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    // Reads: short, serialized on their own connection (WAL lets them run
    // while the writer commits, and they see only committed transactions).
    read: Mutex<Connection>,
    // Writes: one connection, its transactions shared by concurrent callers.
    writer: GroupCommit,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// SQLite says "unable to open database file" for every reason; the usual
/// one is a folder the host cannot write, where the `-wal` and `-shm` files go.
fn explain_open(path: &Path, e: rusqlite::Error) -> String {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let probe = dir.join(format!(".connector-host-probe-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            e.to_string()
        }
        Err(why) => format!(
            "{e}: the folder {} cannot be written ({why}), and SQLite keeps its -wal and -shm \
             files beside the database; make the folder writable or set [host] state elsewhere",
            dir.display()
        ),
    }
}

fn cannot_open(path: &Path, e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        format!(
            "cannot create or open {}: permission denied",
            path.display()
        )
    } else {
        format!("cannot create or open {}: {e}", path.display())
    }
}

impl SqliteStore {
    /// Opens (creating it if needed) the database at `path`, in WAL mode
    /// with `synchronous=FULL`, and creates the tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir(dir)
                .map_err(|e| open_error(format!("cannot create {}: {e}", dir.display())))?;
        }
        // Created owner-only before SQLite opens it: SQLite gives the `-wal`
        // and `-shm` files the database file's permissions.
        crate::files::create_private_file(path).map_err(|e| open_error(cannot_open(path, e)))?;
        let conn = Connection::open(path).map_err(|e| open_error(explain_open(path, e)))?;
        Self::setup(&conn).map_err(|e| open_error(explain_open(path, e)))?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| open_error(format!("cannot check it: {e}")))?;
        if check != "ok" {
            return Err(open_error(format!(
                "it is damaged (SQLite's quick_check: {check}); restore it from a backup, or move \
                 it away and start with --reset-state (triggers then start from nothing)"
            )));
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| open_error(e.to_string()))?;
        if version > SCHEMA_VERSION {
            return Err(open_error(format!(
                "it was written by a newer connector-host (schema {version}; this one knows {SCHEMA_VERSION})"
            )));
        }
        conn.execute_batch(SCHEMA)
            .and_then(|()| conn.pragma_update(None, "user_version", SCHEMA_VERSION))
            .map_err(|e| open_error(e.to_string()))?;
        let read = Connection::open(path)
            .and_then(|r| r.busy_timeout(Duration::from_secs(5)).map(|()| r))
            .map_err(|e| open_error(e.to_string()))?;
        Ok(Self {
            path: path.to_path_buf(),
            read: Mutex::new(read),
            writer: GroupCommit::new(conn),
        })
    }

    /// Whether the database holds nothing at all: no trigger state, no
    /// delivered id, no status. A blank store beside a sink that already holds
    /// events means the state was lost (a new, emptied or deleted file).
    pub fn is_blank(&self) -> Result<bool, StoreError> {
        let read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        let rows: i64 = read
            .query_row(
                "SELECT (SELECT COUNT(*) FROM trigger_state) + (SELECT COUNT(*) FROM delivered) \
                 + (SELECT COUNT(*) FROM trigger_status) + (SELECT COUNT(*) FROM host_meta)",
                [],
                |r| r.get(0),
            )
            .map_err(|e| StoreError::Open {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        Ok(rows == 0)
    }

    /// Whether `event_id` (of any trigger) is recorded as delivered. One scan
    /// of the delivered ids: for the rare look-up at start, not per event.
    pub fn is_delivered_anywhere(&self, event_id: &str) -> Result<bool, StoreError> {
        let read = self.read.lock().unwrap_or_else(|p| p.into_inner());
        let found: i64 = read.query_row(
            "SELECT EXISTS (SELECT 1 FROM delivered WHERE event_id = ?1)",
            params![event_id],
            |r| r.get(0),
        )?;
        Ok(found == 1)
    }

    /// Records that a host runs on this database (once; later calls keep the
    /// first time), before anything is delivered.
    pub fn mark_started(&self, at: SystemTime) -> Result<(), StoreError> {
        self.writer.conn().execute(
            "INSERT OR IGNORE INTO host_meta (key, value) VALUES ('started', ?1)",
            params![unix_millis(at).to_string()],
        )?;
        Ok(())
    }

    /// Opens an existing database for reading status; `Ok(None)` if there
    /// is none yet. Creates nothing.
    pub fn open_existing(path: &Path) -> Result<Option<Self>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        let open_error = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        // Read-write without create: a reader of a WAL database may need to
        // create the shared-memory file, which a read-only open cannot.
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(5))?;
            Ok(conn)
        };
        let conn = open().map_err(|e| open_error(e.to_string()))?;
        let has_tables: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'trigger_status'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| open_error(e.to_string()))?;
        if !has_tables {
            return Ok(None);
        }
        let writer = open().map_err(|e| open_error(e.to_string()))?;
        Ok(Some(Self {
            path: path.to_path_buf(),
            read: Mutex::new(conn),
            writer: GroupCommit::new(writer),
        }))
    }

    fn setup(conn: &Connection) -> rusqlite::Result<()> {
        conn.busy_timeout(Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "the database refused WAL mode (journal_mode is {mode})"
            )));
        }
        // FULL: a commit is on disk (the WAL fsynced) when it returns.
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `delivered` and, with `poll`, a successful poll and its
    /// `state`, in the writers' shared transaction.
    fn write_delivered(
        &self,
        trigger: &str,
        delivered: &[(String, u64)],
        state: Option<&Value>,
        poll: bool,
        at: SystemTime,
    ) -> Result<usize, StoreError> {
        self.writer.write(Write::Commit {
            trigger: trigger.to_string(),
            delivered: delivered.to_vec(),
            state: state.map(|s| serde_json::to_string(s).expect("a Value serializes")),
            poll,
            at: unix_millis(at),
        })
    }

    fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        // Reads hold no transaction open across a panic, so the connection
        // is still usable after one.
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StateStore for SqliteStore {
    fn load_state(&self, trigger: &str) -> Result<Option<Value>, StoreError> {
        let text: Option<String> = self
            .read()
            .prepare_cached("SELECT state FROM trigger_state WHERE trigger_name = ?1")?
            .query_row(params![trigger], |r| r.get(0))
            .optional()?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                trigger: trigger.to_string(),
                message: e.to_string(),
            })
        })
        .transpose()
    }

    fn commit(
        &self,
        trigger: &str,
        state: Option<&Value>,
        at: SystemTime,
    ) -> Result<(), StoreError> {
        self.commit_poll(trigger, &[], state, at).map(drop)
    }

    fn is_delivered(&self, trigger: &str, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.delivered_among(trigger, &[event_id])?[0])
    }

    fn delivered_among(&self, trigger: &str, event_ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        let conn = self.read();
        let mut query = conn
            .prepare_cached("SELECT 1 FROM delivered WHERE trigger_name = ?1 AND event_id = ?2")?;
        event_ids
            .iter()
            .map(|id| {
                Ok(query
                    .query_row(params![trigger, id], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
            .collect()
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
        self.writer
            .write(Write::Failure {
                trigger: trigger.to_string(),
                activity,
                error: error.to_string(),
                at: unix_millis(at),
            })
            .map(drop)
    }

    fn statuses(&self) -> Result<Vec<TriggerStatus>, StoreError> {
        let conn = self.read();
        let mut query = conn.prepare(
            "SELECT n.trigger_name, st.state, st.committed_at, s.last_poll_at, s.last_success_at,
                    s.last_error, s.last_error_at, s.consecutive_failures, s.polls, s.failures,
                    s.events_delivered, s.items_delivered, s.last_delivery_at
             FROM (SELECT trigger_name FROM trigger_status
                   UNION SELECT trigger_name FROM trigger_state) AS n
             LEFT JOIN trigger_status AS s ON s.trigger_name = n.trigger_name
             LEFT JOIN trigger_state AS st ON st.trigger_name = n.trigger_name
             ORDER BY n.trigger_name",
        )?;
        let time = |v: Option<i64>| v.map(from_unix_millis);
        let rows = query.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                TriggerStatus {
                    committed_at: time(r.get(2)?),
                    last_poll_at: time(r.get(3)?),
                    last_success_at: time(r.get(4)?),
                    last_error: r.get(5)?,
                    last_error_at: time(r.get(6)?),
                    consecutive_failures: r.get::<_, Option<i64>>(7)?.unwrap_or(0) as u64,
                    polls: r.get::<_, Option<i64>>(8)?.unwrap_or(0) as u64,
                    failures: r.get::<_, Option<i64>>(9)?.unwrap_or(0) as u64,
                    events_delivered: r.get::<_, Option<i64>>(10)?.unwrap_or(0) as u64,
                    items_delivered: r.get::<_, Option<i64>>(11)?.unwrap_or(0) as u64,
                    last_delivery_at: time(r.get(12)?),
                    ..TriggerStatus::default()
                },
            ))
        })?;
        let mut statuses = Vec::new();
        for row in rows {
            let (trigger, state, mut status) = row?;
            status.state = state
                .map(|t| {
                    serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                        trigger: trigger.clone(),
                        message: e.to_string(),
                    })
                })
                .transpose()?;
            status.trigger = trigger;
            statuses.push(status);
        }
        Ok(statuses)
    }

    fn prune_delivered(&self, before: SystemTime) -> Result<u64, StoreError> {
        let n = self.writer.conn().execute(
            "DELETE FROM delivered WHERE delivered_at < ?1",
            params![unix_millis(before)],
        )?;
        Ok(n as u64)
    }
}

/// An exclusive lock on a state database, held while a host runs so that a
/// second host on the same state refuses to start. The operating system
/// releases it when the process ends, however it ends.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock `<state>.lock` next to the database.
    pub fn acquire(state: &Path) -> Result<Self, StoreError> {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = crate::files::create_private_dir(dir);
        }
        let file = crate::files::private_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Open {
                path: state.to_path_buf(),
                message: format!("cannot open the lock file {}: {e}", path.display()),
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: state.to_path_buf(),
                lock: path,
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Open {
                path: state.to_path_buf(),
                message: format!("cannot lock {}: {e}", path.display()),
            }),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn temp_db(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "connector-host-store-{label}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("state.db")
    }

    #[test]
    fn state_is_replaced_by_commits_and_survives_reopening() {
        let path = temp_db("commit");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        {
            let store = SqliteStore::open(&path).unwrap();
            assert_eq!(store.load_state("a").unwrap(), None);
            store.commit("a", Some(&json!({"next": 5})), t).unwrap();
            // `None` keeps the state but still counts the poll.
            store.commit("a", None, t).unwrap();
            store.commit("b", Some(&json!([1])), t).unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.load_state("a").unwrap(), Some(json!({"next": 5})));
        let statuses = store.statuses().unwrap();
        assert_eq!(statuses.len(), 2);
        assert_eq!(statuses[0].trigger, "a");
        assert_eq!(statuses[0].polls, 2);
        assert_eq!(statuses[0].last_success_at, Some(t));
        assert_eq!(statuses[1].state, Some(json!([1])));
    }

    #[test]
    fn delivered_ids_are_recorded_once_and_counted_once() {
        let store = SqliteStore::open(&temp_db("delivered")).unwrap();
        let t = SystemTime::now();
        assert!(!store.is_delivered("a", "a/1").unwrap());
        assert!(store.record_delivered("a", "a/1", 1, t).unwrap());
        assert!(!store.record_delivered("a", "a/1", 1, t).unwrap());
        assert!(store.record_delivered("a", "a/batch", 3, t).unwrap());
        assert!(store.is_delivered("a", "a/1").unwrap());
        assert!(!store.is_delivered("b", "a/1").unwrap());
        let status = &store.statuses().unwrap()[0];
        assert_eq!((status.events_delivered, status.items_delivered), (2, 4));
        assert_eq!(
            store.prune_delivered(t + Duration::from_secs(1)).unwrap(),
            2
        );
        assert!(!store.is_delivered("a", "a/1").unwrap());
    }

    #[test]
    fn failures_keep_the_state_and_are_counted() {
        let store = SqliteStore::open(&temp_db("failure")).unwrap();
        let t = SystemTime::now();
        store.commit("a", Some(&json!({"next": 1})), t).unwrap();
        store
            .record_failure("a", Activity::Poll, "boom", t)
            .unwrap();
        store
            .record_failure("a", Activity::Poll, "boom again", t)
            .unwrap();
        store
            .record_failure("a", Activity::Event, "bad event", t)
            .unwrap();
        assert_eq!(store.load_state("a").unwrap(), Some(json!({"next": 1})));
        let s = &store.statuses().unwrap()[0];
        assert_eq!(s.last_error.as_deref(), Some("bad event"));
        assert_eq!((s.polls, s.failures, s.consecutive_failures), (3, 3, 3));
        store.commit("a", None, t).unwrap();
        assert_eq!(store.statuses().unwrap()[0].consecutive_failures, 0);
    }

    #[test]
    fn a_poll_records_its_events_and_its_state_together() {
        let store = SqliteStore::open(&temp_db("commit-poll")).unwrap();
        let t = SystemTime::now();
        let events = |ids: &[&str]| -> Vec<(String, u64)> {
            ids.iter().map(|id| (id.to_string(), 2)).collect()
        };
        let new = store
            .commit_poll("a", &events(&["a/1", "a/2"]), Some(&json!({"n": 2})), t)
            .unwrap();
        assert_eq!(new, 2);
        // A redelivered id counts nothing; the new one does.
        let new = store
            .commit_poll("a", &events(&["a/2", "a/3"]), Some(&json!({"n": 3})), t)
            .unwrap();
        assert_eq!(new, 1);
        assert_eq!(
            store.delivered_among("a", &["a/1", "a/9", "a/3"]).unwrap(),
            [true, false, true]
        );
        assert_eq!(store.load_state("a").unwrap(), Some(json!({"n": 3})));
        let s = &store.statuses().unwrap()[0];
        assert_eq!((s.polls, s.events_delivered, s.items_delivered), (2, 3, 6));
        // Events recorded without a poll (a push, or a sink that failed
        // part-way) move neither the state nor the poll count.
        assert_eq!(
            store
                .record_delivered_all("a", &events(&["a/3", "a/4"]), t)
                .unwrap(),
            1
        );
        let s = &store.statuses().unwrap()[0];
        assert_eq!((s.polls, s.events_delivered), (2, 4));
        assert_eq!(store.load_state("a").unwrap(), Some(json!({"n": 3})));
    }

    #[test]
    fn concurrent_writers_share_transactions_and_lose_nothing() {
        let path = temp_db("group");
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        let t = SystemTime::now();
        let (threads, polls) = (8usize, 40usize);
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let trigger = format!("t{w}");
                    for p in 0..polls {
                        let ids = vec![
                            (format!("{trigger}/{p}"), 1),
                            (format!("{trigger}/{p}b"), 1),
                        ];
                        assert_eq!(
                            store
                                .commit_poll(&trigger, &ids, Some(&json!({"p": p})), t)
                                .unwrap(),
                            2
                        );
                        if p % 10 == 0 {
                            store
                                .record_failure(&trigger, Activity::Event, "bad event", t)
                                .unwrap();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        drop(store);
        // Reopened: every write of every thread is there, once.
        let store = SqliteStore::open(&path).unwrap();
        let statuses = store.statuses().unwrap();
        assert_eq!(statuses.len(), threads);
        for s in &statuses {
            assert_eq!(s.polls, polls as u64, "{}", s.trigger);
            assert_eq!(s.events_delivered, 2 * polls as u64, "{}", s.trigger);
            assert_eq!(s.failures, (polls / 10) as u64, "{}", s.trigger);
            assert_eq!(s.state, Some(json!({"p": polls - 1})), "{}", s.trigger);
        }
    }

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let path = temp_db("lock");
        let first = StateLock::acquire(&path).unwrap();
        let err = StateLock::acquire(&path).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        drop(first);
        StateLock::acquire(&path).unwrap();
    }

    #[test]
    fn open_existing_creates_nothing() {
        let path = temp_db("existing");
        assert!(SqliteStore::open_existing(&path).unwrap().is_none());
        assert!(!path.exists());
        SqliteStore::open(&path).unwrap();
        assert!(SqliteStore::open_existing(&path).unwrap().is_some());
    }
}
