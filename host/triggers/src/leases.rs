//! The lease keeper of a host on a shared store: takes the leases of free or
//! expired triggers and renews its own, on a heartbeat, and tells the
//! pollers which triggers they may poll.
//!
//! A poller polls only while its trigger's lease is held with a third of
//! the TTL to spare (measured on this host's monotonic clock from the start
//! of the renewal that granted it, so a slow answer only shortens it). A
//! host that dies stops renewing; its leases expire in the database after
//! the TTL and the next heartbeat of another host takes them. Each time a
//! trigger is taken anew its *epoch* changes, and the poller reads the
//! trigger's state back from the store rather than trusting what it cached:
//! another host may have moved it on meanwhile.
//!
//! A host holding more than its fair share (hosts that started later, or
//! came back) *drains* the surplus: no new poll starts on those triggers,
//! and each is released once no poll of it is in progress, so that a lease
//! never changes hands in the middle of a poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::delivery::blocking;
use super::store::{StoreError, TriggerStore};

/// One trigger this host holds.
#[derive(Debug, Clone, Copy)]
struct Held {
    epoch: u64,
    until: Instant,
    /// More than this host's share: no new polls; released when idle.
    draining: bool,
    /// A poll of it is in progress (see [`LeaseKeeper::begin`]).
    busy: bool,
}

#[derive(Default)]
struct Table {
    held: HashMap<String, Held>,
    next_epoch: u64,
}

/// Takes and renews this host's leases; see the module documentation.
pub struct LeaseKeeper {
    store: Arc<dyn TriggerStore>,
    triggers: Vec<String>,
    ttl: Duration,
    table: Mutex<Table>,
    /// Bumped whenever the held set changes, to wake pollers that wait for a lease.
    changed: watch::Sender<u64>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl LeaseKeeper {
    /// Takes the first leases (so that pollers start with them) and starts
    /// the heartbeat, every third of `ttl`. Fails if the store has no
    /// leases or the first attempt fails.
    pub async fn start(
        store: Arc<dyn TriggerStore>,
        triggers: Vec<String>,
        ttl: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let keeper = Arc::new(Self {
            store,
            triggers,
            ttl,
            table: Mutex::new(Table::default()),
            changed: watch::channel(0).0,
            task: Mutex::new(None),
        });
        keeper.beat().await?;
        let weak = Arc::downgrade(&keeper);
        let every = (ttl / 3).max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(keeper) = weak.upgrade() else { return };
                if let Err(e) = keeper.beat().await {
                    // The leases held run out by themselves if this goes on.
                    tracing::warn!("cannot renew the trigger leases: {e}");
                }
            }
        });
        *keeper.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(keeper)
    }

    /// One heartbeat: renew and take, then update the table.
    async fn beat(&self) -> Result<(), StoreError> {
        let started = Instant::now();
        let (store, triggers, ttl) = (self.store.clone(), self.triggers.clone(), self.ttl);
        let acquired = blocking(move || match store.leases() {
            Some(leases) => leases.acquire(&triggers, ttl),
            None => Err(StoreError::Backend {
                store: store.describe(),
                message: "this store has no leases".into(),
            }),
        })
        .await?;
        let until = started + self.ttl;
        let (changed, release) = self.update(acquired, started, until);
        if changed {
            self.changed.send_modify(|n| *n += 1);
        }
        if !release.is_empty() {
            let store = self.store.clone();
            blocking(move || match store.leases() {
                Some(leases) => leases.release(&release),
                None => Ok(()),
            })
            .await?;
        }
        Ok(())
    }

    /// Takes what a heartbeat found into the table; returns whether the held
    /// set changed and the triggers to release now.
    fn update(
        &self,
        acquired: crate::store::Acquired,
        started: Instant,
        until: Instant,
    ) -> (bool, Vec<String>) {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let before: Vec<String> = table.held.keys().cloned().collect();
        let mut fresh = HashMap::new();
        for name in acquired.held {
            let held = match table.held.get(&name) {
                Some(h) if h.until > started => Held { until, ..*h },
                _ => {
                    table.next_epoch += 1;
                    tracing::info!(trigger = %name, "took the trigger's lease");
                    Held {
                        epoch: table.next_epoch,
                        until,
                        draining: false,
                        busy: false,
                    }
                }
            };
            fresh.insert(name, held);
        }
        for name in before.iter().filter(|n| !fresh.contains_key(*n)) {
            tracing::warn!(trigger = %name, "lost the trigger's lease to another host");
        }
        // More than the share: drain the surplus (the last names first).
        let kept = fresh.values().filter(|h| !h.draining).count();
        let mut names: Vec<String> = fresh.keys().cloned().collect();
        names.sort();
        for name in names.iter().rev().take(kept.saturating_sub(acquired.share)) {
            if let Some(h) = fresh.get_mut(name) {
                h.draining = true;
            }
        }
        let release: Vec<String> = names
            .into_iter()
            .filter(|n| fresh.get(n).is_some_and(|h| h.draining && !h.busy))
            .collect();
        for name in &release {
            fresh.remove(name);
            tracing::info!(trigger = %name, "gave the trigger's lease up to a less busy host");
        }
        let changed = before.len() != fresh.len() || before.iter().any(|n| !fresh.contains_key(n));
        table.held = fresh;
        (changed, release)
    }

    /// Starts a poll of `trigger` if this host may: it holds the lease with
    /// a third of the TTL to spare and is not draining it. The guard marks
    /// the poll in progress until dropped; it gives the lease's epoch.
    pub fn begin(self: &Arc<Self>, trigger: &str) -> Option<PollGuard> {
        let mut table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let spare = Instant::now() + self.ttl / 3;
        let held = table.held.get_mut(trigger)?;
        if held.draining || held.until <= spare {
            return None;
        }
        held.busy = true;
        Some(PollGuard {
            keeper: self.clone(),
            trigger: trigger.to_string(),
            epoch: held.epoch,
        })
    }

    /// A receiver that changes whenever the set of held leases does.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The triggers held now, by name.
    pub fn held(&self) -> Vec<String> {
        let table = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let mut names: Vec<String> = table
            .held
            .iter()
            .filter(|(_, h)| h.until > now)
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    /// Stops the heartbeat (the leases then run out after the TTL).
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    /// Stops the heartbeat and gives the leases up, for another host to
    /// take at once. Call it only once the pollers have stopped.
    pub async fn release(&self) {
        self.stop();
        self.table
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .held
            .clear();
        let store = self.store.clone();
        let released = blocking(move || match store.leases() {
            Some(leases) => leases.release_all(),
            None => Ok(()),
        })
        .await;
        if let Err(e) = released {
            tracing::warn!("cannot release the trigger leases (they expire by themselves): {e}");
        }
    }
}

/// A poll in progress under a lease (see [`LeaseKeeper::begin`]).
pub struct PollGuard {
    keeper: Arc<LeaseKeeper>,
    trigger: String,
    epoch: u64,
}

impl PollGuard {
    /// The epoch of the lease the poll runs under.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        let mut table = self.keeper.table.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = table.held.get_mut(&self.trigger) {
            held.busy = false;
        }
    }
}
