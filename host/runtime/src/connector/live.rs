//! Live instances kept between calls: the opt-in [`Reuse`] mode.
//!
//! By default every call gets a fresh store and instance, and nothing a
//! call leaves in the guest's memory is seen by the next. A connector whose
//! calls are small and frequent can instead keep a few instances alive:
//! a call into a live instance skips instantiation (about 50 times cheaper
//! for a 1 KB call, `BENCHMARKS.md` figure 3). The trade-off is the
//! guarantee above: the guest's globals, heap and caches survive from one
//! call to the next, so a connector's bugs and memory growth carry over.
//! What the host still guarantees:
//!
//! - an instance only ever serves **one connection** (all its values, secrets
//!   included, must be equal): one connection's secrets are never in the
//!   guest's memory during another connection's call;
//! - an instance is **discarded** after a trap or any limit it hit, when its
//!   captured output passes half its buffer, and after
//!   [`Reuse::max_calls`] calls;
//! - fuel, the deadline, the outbound policy, the log context and the
//!   limiter's flags are **re-armed** for every call;
//! - at most [`Reuse::max_idle`] instances wait per connector, each holding
//!   a slot of the pooling allocator while it waits.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{MutexGuard, TryLockError};
use std::time::Instant;

use wasmtime::Store;

use crate::bindings;
use crate::connection::Connection;
use crate::state::HostState;

/// How a connector keeps live instances between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reuse {
    /// Idle instances kept per connector (across its connections); more
    /// are dropped when their call ends.
    pub max_idle: usize,
    /// Calls one instance serves before it is dropped, which bounds what a
    /// slow leak in the guest can grow to.
    pub max_calls: u32,
}

impl Default for Reuse {
    fn default() -> Self {
        Reuse {
            max_idle: 4,
            max_calls: 10_000,
        }
    }
}

/// Which connection an instance belongs to: its values, compared whole.
/// (Held in the host's memory, which holds the connection anyway; never
/// printed: `Connection`'s debug output lists names only.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectionKey(Connection);

impl ConnectionKey {
    pub(crate) fn of(connection: Option<&Connection>) -> Self {
        ConnectionKey(connection.cloned().unwrap_or_default())
    }

    fn is(&self, connection: Option<&Connection>) -> bool {
        match connection {
            Some(c) => self.0 == *c,
            None => self.0 == Connection::default(),
        }
    }
}

/// An instance between calls.
pub(crate) struct Live {
    pub key: ConnectionKey,
    pub store: Store<HostState>,
    pub guest: bindings::Guest,
    /// Calls it has served.
    pub calls: u32,
    /// When it was last put back.
    pub idle_since: Instant,
}

/// The idle instances of one connector: `max_idle` slots, each behind a
/// lock of its own, so that calls on different threads do not take one
/// shared lock (and bounce its cache line between cores) twice per call.
/// A thread starts its search at a slot of its own and skips slots another
/// thread holds at that moment.
pub(crate) struct LivePool {
    slots: Box<[Mutex<Option<Live>>]>,
}

impl LivePool {
    /// A pool of `max_idle` slots (none: nothing is ever kept).
    pub fn new(max_idle: usize) -> Self {
        LivePool {
            slots: (0..max_idle).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// The slot a thread looks at first.
    fn first_slot(&self) -> usize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static HOME: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        HOME.with(|h| *h) % self.slots.len().max(1)
    }

    /// The slots in this thread's order.
    fn slots_in_order(&self) -> impl Iterator<Item = &Mutex<Option<Live>>> {
        let n = self.slots.len();
        let first = self.first_slot();
        (0..n).map(move |k| &self.slots[(first + k) % n])
    }

    /// An idle instance of `connection`.
    pub fn take(&self, connection: Option<&Connection>) -> Option<Live> {
        for slot in self.slots_in_order() {
            let Some(mut slot) = try_lock(slot) else {
                continue;
            };
            if slot.as_ref().is_some_and(|l| l.key.is(connection)) {
                return slot.take();
            }
        }
        None
    }

    /// Keeps `live` for a later call in a free slot; when every slot is
    /// taken, the instance that has waited longest makes room (another
    /// connection's, as this connection's own would have been taken).
    pub fn put(&self, mut live: Live) {
        if self.slots.is_empty() {
            return;
        }
        // A clock read rather than a shared counter: nothing here is
        // written by two threads.
        live.idle_since = Instant::now();
        let mut oldest: Option<(Instant, MutexGuard<'_, Option<Live>>)> = None;
        for slot in self.slots_in_order() {
            let Some(mut guard) = try_lock(slot) else {
                continue;
            };
            match guard.as_ref() {
                None => {
                    *guard = Some(live);
                    return;
                }
                Some(waiting) => {
                    if oldest.as_ref().is_none_or(|(t, _)| waiting.idle_since < *t) {
                        oldest = Some((waiting.idle_since, guard));
                    }
                }
            }
        }
        // Dropping the evicted store is quick (the pool takes its slot back).
        if let Some((_, mut guard)) = oldest {
            *guard = Some(live);
        }
    }

    /// How many instances wait.
    pub fn idle(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.lock().unwrap_or_else(|e| e.into_inner()).is_some())
            .count()
    }
}

/// The slot's lock unless another thread holds it now. (A poisoned slot
/// is still usable: it holds a whole `Option<Live>` either way.)
fn try_lock(slot: &Mutex<Option<Live>>) -> Option<MutexGuard<'_, Option<Live>>> {
    match slot.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tell_connections_apart_and_never_print_values() {
        let mut a = Connection::new();
        a.set("token", "s3cret");
        let mut b = Connection::new();
        b.set("token", "s3cre");
        let key = ConnectionKey::of(Some(&a));
        assert!(key.is(Some(&a.clone())));
        assert!(!key.is(Some(&b)) && !key.is(None));
        assert!(ConnectionKey::of(None).is(Some(&Connection::new())));
        assert!(!format!("{key:?}").contains("s3cret"));
    }
}
