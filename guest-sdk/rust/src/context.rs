//! What a handler knows about the call: the connection's values, the
//! operation it runs, and (for actions and polls) the call context the host
//! passes: which run, step and attempt makes the call, its idempotency key
//! and the time it has left.

use std::time::{Duration, Instant};

use crate::bindings::connector::provider::types as wit;

/// A connection's values, as `(parameter name, value)` pairs. The host has
/// checked them against the declared parameters and filled in defaults.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    values: Vec<(String, String)>,
}

// Values may be secrets: debug output shows the names only.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.values.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Connection {
    /// A connection with these values.
    pub fn new(values: Vec<(String, String)>) -> Self {
        Self { values }
    }

    /// The value of the parameter `name`, if the connection gives one.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value, as the host passed them.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.values
    }
}

/// The call a handler runs in.
///
/// `invoke` and `poll` carry the contract's `call-context`; the other calls
/// (check-connection, dynamic values, push binding, events, subscriptions)
/// carry none, and there the run id, step and idempotency key are empty,
/// the attempt is 1 and [`Context::remaining`] is `None`.
#[derive(Debug, Clone)]
pub struct Context {
    operation: String,
    connection: Connection,
    call: Option<wit::CallContext>,
    /// When the call began, so that [`Context::remaining`] counts down.
    started: Instant,
}

impl Context {
    pub(crate) fn new(operation: &str, connection: Connection) -> Self {
        Self {
            operation: operation.to_string(),
            connection,
            call: None,
            started: Instant::now(),
        }
    }

    pub(crate) fn with_call(mut self, call: wit::CallContext) -> Self {
        self.call = Some(call);
        self
    }

    /// The id of the operation being run.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The connection's values.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The workflow run this call belongs to; empty outside a run (the
    /// command line, a trigger poll, the conformance kit).
    pub fn run_id(&self) -> &str {
        self.call.as_ref().map_or("", |c| c.run_id.as_str())
    }

    /// The workflow step or trigger making the call; empty when none.
    pub fn step(&self) -> &str {
        self.call.as_ref().map_or("", |c| c.step.as_str())
    }

    /// The attempt number, 1 for the first try of a step.
    pub fn attempt(&self) -> u32 {
        // The host counts from 1; a 0 would be a host bug, read as a first try.
        self.call.as_ref().map_or(1, |c| c.attempt.max(1))
    }

    /// Stable across retries of the same step of the same run and different
    /// for every other: pass it to an API that deduplicates (an
    /// `Idempotency-Key` header), so that a retry does not do the work
    /// twice. Empty when the host gave none.
    pub fn idempotency_key(&self) -> &str {
        self.call
            .as_ref()
            .map_or("", |c| c.idempotency_key.as_str())
    }

    /// The time left before the host stops the call: what the host said
    /// when the call began, less the time spent since; `None` for calls
    /// without a call context. Use it to end a long job with an error a
    /// retry can resume from, rather than be stopped mid-way.
    pub fn remaining(&self) -> Option<Duration> {
        self.call
            .as_ref()
            .map(|c| Duration::from_millis(c.remaining_ms).saturating_sub(self.started.elapsed()))
    }
}
