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
}

/// The idle instances of one connector.
#[derive(Default)]
pub(crate) struct LivePool {
    idle: Mutex<Vec<Live>>,
}

impl LivePool {
    /// An idle instance of `connection`, the most recently used.
    pub fn take(&self, connection: Option<&Connection>) -> Option<Live> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let at = idle.iter().rposition(|l| l.key.is(connection))?;
        Some(idle.remove(at))
    }

    /// Keeps `live` for a later call if there is room; otherwise, when an
    /// instance of another connection waits, that one (the least recently
    /// used) makes room.
    pub fn put(&self, live: Live, max_idle: usize) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() >= max_idle {
            if idle.is_empty() {
                return;
            }
            // Dropped outside the lock would be nicer, but dropping a store
            // is quick (the pool takes the slot back).
            idle.remove(0);
        }
        idle.push(live);
    }

    /// How many instances wait.
    pub fn idle(&self) -> usize {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).len()
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
