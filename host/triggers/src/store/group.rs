//! Group commit: the writes of many triggers in one SQLite transaction, so
//! that a thousand pollers share an `fsync` instead of queueing for one
//! each.
//!
//! A commit with `synchronous=FULL` costs one `fsync` of the WAL (0.4-0.5 ms
//! on the machines this was measured on), whatever it writes; one writer
//! doing one transaction per poll tops out near 2,000 polls a second. Here a
//! caller queues its write and either waits for a transaction already
//! running to finish, or, if none is, becomes the *leader*: it takes every
//! queued write, applies each inside its own savepoint (so that one failing
//! write does not undo the others), commits once and hands every caller its
//! own result. Writes that arrive while the leader commits wait for the
//! next transaction, which is how the group grows with the load. Nobody's
//! write is reported done before the transaction holding it is durable.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior, params};

use super::{Activity, StoreError};

/// One write, as a caller asked for it.
#[derive(Debug)]
pub(super) enum Write {
    /// Record the delivered events (id, items), then record a successful
    /// poll and, if given, replace the committed state.
    Commit {
        trigger: String,
        delivered: Vec<(String, u64)>,
        state: Option<String>,
        poll: bool,
        at: i64,
    },
    /// Record a failed poll or event.
    Failure {
        trigger: String,
        activity: Activity,
        error: String,
        at: i64,
    },
}

/// Runs writes in shared transactions on one connection.
pub(super) struct GroupCommit {
    conn: Mutex<Connection>,
    queue: Mutex<Queue>,
    turn: Condvar,
}

#[derive(Default)]
struct Queue {
    next: u64,
    pending: Vec<(u64, Write)>,
    done: HashMap<u64, Result<usize, StoreError>>,
    leading: bool,
}

impl GroupCommit {
    pub(super) fn new(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
            queue: Mutex::new(Queue::default()),
            turn: Condvar::new(),
        }
    }

    /// The writer connection, for writes outside the group (pruning).
    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a transaction open
        // (rusqlite rolls back on drop), so the connection is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `write` and returns, once it is durable, how many delivered
    /// events were new to the store (0 for a failure record).
    pub(super) fn write(&self, write: Write) -> Result<usize, StoreError> {
        let mut queue = self.queue();
        let ticket = queue.next;
        queue.next += 1;
        queue.pending.push((ticket, write));
        loop {
            if let Some(result) = queue.done.remove(&ticket) {
                return result;
            }
            if !queue.leading {
                break;
            }
            queue = self.turn.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
        // Nobody is committing: lead one transaction with all that waits,
        // our own write among it (it cannot have been taken: only a leader
        // takes writes, and each leader reports its writes before leaving).
        queue.leading = true;
        let batch = std::mem::take(&mut queue.pending);
        drop(queue);
        let tickets: Vec<u64> = batch.iter().map(|(t, _)| *t).collect();
        // A panic while applying is a bug; it must not leave `leading` set
        // (every later writer would wait forever) nor a waiter without its
        // answer. Nothing of the transaction was committed (it rolls back
        // when dropped), so every write of the batch fails.
        let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.apply(batch)))
            .unwrap_or_else(|_| {
                tickets
                    .into_iter()
                    .map(|t| (t, Err(StoreError::Commit("the writer panicked".into()))))
                    .collect()
            });
        let mut queue = self.queue();
        queue.done.extend(results);
        queue.leading = false;
        self.turn.notify_all();
        queue
            .done
            .remove(&ticket)
            .expect("a leader's own write is in its batch")
    }

    /// One transaction for `batch`; a result for each write.
    fn apply(&self, batch: Vec<(u64, Write)>) -> Vec<(u64, Result<usize, StoreError>)> {
        let mut conn = self.conn();
        let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => return failed_all(batch, &e),
        };
        let mut results = Vec::with_capacity(batch.len());
        let mut tickets = Vec::with_capacity(batch.len());
        for (ticket, write) in batch {
            let result = tx.savepoint().and_then(|sp| {
                let n = apply_one(&sp, &write)?;
                sp.commit()?;
                Ok(n)
            });
            tickets.push(ticket);
            results.push(result.map_err(StoreError::from));
        }
        match tx.commit() {
            Ok(()) => tickets.into_iter().zip(results).collect(),
            Err(e) => {
                let message = e.to_string();
                tickets
                    .into_iter()
                    .map(|t| (t, Err(StoreError::Commit(message.clone()))))
                    .collect()
            }
        }
    }
}

fn failed_all(
    batch: Vec<(u64, Write)>,
    e: &rusqlite::Error,
) -> Vec<(u64, Result<usize, StoreError>)> {
    let message = e.to_string();
    batch
        .into_iter()
        .map(|(t, _)| (t, Err(StoreError::Commit(message.clone()))))
        .collect()
}

/// Makes sure the status row of `trigger` exists.
fn ensure_status(tx: &Connection, trigger: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO trigger_status (trigger_name) VALUES (?1)")?
        .execute(params![trigger])?;
    Ok(())
}

fn apply_one(tx: &Connection, write: &Write) -> rusqlite::Result<usize> {
    match write {
        Write::Commit {
            trigger,
            delivered,
            state,
            poll,
            at,
        } => {
            ensure_status(tx, trigger)?;
            let (mut new, mut items) = (0usize, 0u64);
            if !delivered.is_empty() {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO delivered (trigger_name, event_id, delivered_at)
                     VALUES (?1, ?2, ?3)",
                )?;
                for (id, n) in delivered {
                    if insert.execute(params![trigger, id, at])? > 0 {
                        new += 1;
                        items += n;
                    }
                }
            }
            if new > 0 {
                tx.prepare_cached(
                    "UPDATE trigger_status SET events_delivered = events_delivered + ?2,
                         items_delivered = items_delivered + ?3, last_delivery_at = ?4
                     WHERE trigger_name = ?1",
                )?
                .execute(params![trigger, new as i64, items as i64, at])?;
            }
            if let Some(state) = state {
                tx.prepare_cached(
                    "INSERT INTO trigger_state (trigger_name, state, committed_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (trigger_name) DO UPDATE SET state = excluded.state,
                         committed_at = excluded.committed_at",
                )?
                .execute(params![trigger, state, at])?;
            }
            if *poll {
                tx.prepare_cached(
                    "UPDATE trigger_status SET last_poll_at = ?2, last_success_at = ?2,
                         consecutive_failures = 0, polls = polls + 1
                     WHERE trigger_name = ?1",
                )?
                .execute(params![trigger, at])?;
            }
            Ok(new)
        }
        Write::Failure {
            trigger,
            activity,
            error,
            at,
        } => {
            ensure_status(tx, trigger)?;
            tx.prepare_cached(
                "UPDATE trigger_status SET last_error = ?2, last_error_at = ?3,
                     failures = failures + 1, consecutive_failures = consecutive_failures + 1
                 WHERE trigger_name = ?1",
            )?
            .execute(params![trigger, error, at])?;
            if *activity == Activity::Poll {
                tx.prepare_cached(
                    "UPDATE trigger_status SET last_poll_at = ?2, polls = polls + 1
                     WHERE trigger_name = ?1",
                )?
                .execute(params![trigger, at])?;
            }
            Ok(0)
        }
    }
}
