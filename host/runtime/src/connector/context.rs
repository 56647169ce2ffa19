//! What the host tells a connector about the call it makes: the run, the
//! step, the attempt, an idempotency key, and the time the call has left.
//!
//! Contract 0.2.0 passes it to `invoke` and `poll`; 0.1.0 components do
//! not receive it (the adapter drops it).

use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::bindings::types as wit;

/// Who makes a call: the workflow run, its step and the attempt.
///
/// The idempotency key is what lets a retried step not do its work twice:
/// [`CallContext::for_step`] derives it from the run and the step, so every
/// attempt of one step carries the same key and every other step (or run)
/// a different one. The remaining time is not part of it: the host fills
/// it in from the call's deadline when it makes the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The workflow run; empty outside a run.
    pub run_id: String,
    /// The step (workflow action or trigger) making the call; empty when none.
    pub step: String,
    /// The attempt number, 1 for the first try.
    pub attempt: u32,
    /// Stable across retries of one step of one run.
    pub idempotency_key: String,
}

impl Default for CallContext {
    /// A call outside any run: empty run and step, attempt 1, and a fresh
    /// idempotency key (a random UUID), so that two such calls never share one.
    fn default() -> Self {
        CallContext {
            run_id: String::new(),
            step: String::new(),
            attempt: 1,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
        }
    }
}

impl CallContext {
    /// The context of attempt `attempt` (1 for the first) of step `step` of
    /// run `run_id`. The idempotency key is the SHA-256 of the run id and
    /// the step (length-prefixed, so `("ab", "c")` and `("a", "bc")` differ),
    /// the same for every attempt.
    pub fn for_step(run_id: impl Into<String>, step: impl Into<String>, attempt: u32) -> Self {
        let run_id = run_id.into();
        let step = step.into();
        let mut hash = Sha256::new();
        for part in [&run_id, &step] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        let idempotency_key = hex::encode(&hash.finalize()[..16]);
        CallContext {
            run_id,
            step,
            attempt: attempt.max(1),
            idempotency_key,
        }
    }

    /// The context of a trigger's poll: the trigger's name as the step, no
    /// run, and a fresh idempotency key per poll.
    pub fn for_trigger(trigger: impl Into<String>) -> Self {
        CallContext {
            step: trigger.into(),
            ..CallContext::default()
        }
    }

    /// The WIT record, with the time left before `deadline`.
    pub(crate) fn to_wit(&self, deadline: Instant) -> wit::CallContext {
        wit::CallContext {
            run_id: self.run_id.clone(),
            step: self.step.clone(),
            attempt: self.attempt,
            idempotency_key: self.idempotency_key.clone(),
            remaining_ms: deadline
                .saturating_duration_since(Instant::now())
                .as_millis()
                .min(u64::MAX as u128) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_per_step_and_distinct_otherwise() {
        let a1 = CallContext::for_step("run-1", "send", 1);
        let a2 = CallContext::for_step("run-1", "send", 2);
        assert_eq!(a1.idempotency_key, a2.idempotency_key);
        assert_eq!(a2.attempt, 2);
        assert_ne!(
            a1.idempotency_key,
            CallContext::for_step("run-1", "other", 1).idempotency_key
        );
        assert_ne!(
            a1.idempotency_key,
            CallContext::for_step("run-2", "send", 1).idempotency_key
        );
        assert_ne!(
            CallContext::for_step("ab", "c", 1).idempotency_key,
            CallContext::for_step("a", "bc", 1).idempotency_key
        );
        assert_eq!(CallContext::for_step("r", "s", 0).attempt, 1);
    }

    #[test]
    fn defaults_are_fresh() {
        let (a, b) = (CallContext::default(), CallContext::default());
        assert_eq!((a.attempt, a.run_id.as_str(), a.step.as_str()), (1, "", ""));
        assert_ne!(a.idempotency_key, b.idempotency_key);
    }

    #[test]
    fn remaining_time_comes_from_the_deadline() {
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        let wit = CallContext::default().to_wit(deadline);
        assert!(wit.remaining_ms > 4_000 && wit.remaining_ms <= 5_000);
        let past = CallContext::default().to_wit(Instant::now());
        assert_eq!(past.remaining_ms, 0);
    }
}
