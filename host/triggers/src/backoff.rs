//! Exponential backoff with jitter, capped: how long a failing trigger (or
//! a sink that refuses events) waits before it tries again.

use std::time::Duration;

/// The bounds of a backoff: the first delay, doubled per failure up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// The delay after the first failure (before jitter).
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for BackoffPolicy {
    /// 1 s doubling up to 5 min.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

/// The delays of one sequence of failures. Jitter spreads retries of many
/// triggers (or hosts) that failed together, so they do not retry in step.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: BackoffPolicy,
    failures: u32,
    rng: u64,
}

impl Backoff {
    /// A backoff with no failures yet; `seed` makes its jitter reproducible.
    pub fn new(policy: BackoffPolicy, seed: u64) -> Self {
        Self {
            policy,
            failures: 0,
            // splitmix64 must not start from 0 for xorshift below; any odd value will do.
            rng: seed | 1,
        }
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Forgets the failures after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Counts one more failure and returns how long to wait: the capped
    /// exponential delay with "equal jitter" (between half of it and all of
    /// it), but never less than `at_least` (a service's retry-after).
    pub fn next_delay(&mut self, at_least: Option<Duration>) -> Duration {
        let exp = self.failures.min(32);
        self.failures = self.failures.saturating_add(1);
        let base = self
            .policy
            .initial
            .saturating_mul(1u32 << exp.min(31))
            .min(self.policy.max);
        let half = base / 2;
        let jitter = half.mul_f64(self.random_unit());
        let delay = half + jitter;
        match at_least {
            Some(floor) => delay.max(floor),
            None => delay,
        }
    }

    /// A number in [0, 1] from a small xorshift generator: jitter needs no
    /// cryptographic quality, only spread.
    fn random_unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seed for jitter: different per trigger and per process start.
pub fn seed_for(name: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded randomly per process, so hosts restarted together
    // do not retry in step either.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write(name.as_bytes());
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_jitter_and_are_capped() {
        let policy = BackoffPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        let mut b = Backoff::new(policy, 42);
        let bases = [100, 200, 400, 800, 1000, 1000, 1000];
        for base in bases {
            let d = b.next_delay(None).as_millis() as u64;
            assert!(
                d >= base / 2 && d <= base,
                "delay {d} ms outside [{}, {base}]",
                base / 2
            );
        }
        assert_eq!(b.failures(), bases.len() as u32);
        b.reset();
        assert!(b.next_delay(None) <= Duration::from_millis(100));
    }

    #[test]
    fn retry_after_is_a_floor() {
        let mut b = Backoff::new(BackoffPolicy::default(), 7);
        assert!(b.next_delay(Some(Duration::from_secs(30))) >= Duration::from_secs(30));
    }

    #[test]
    fn many_failures_do_not_overflow() {
        let mut b = Backoff::new(BackoffPolicy::default(), 1);
        for _ in 0..200 {
            assert!(b.next_delay(None) <= Duration::from_secs(300));
        }
    }

    #[test]
    fn jitter_spreads() {
        let mut b = Backoff::new(BackoffPolicy::default(), 3);
        let delays: std::collections::HashSet<Duration> = (0..20)
            .map(|_| {
                b.reset();
                b.next_delay(None)
            })
            .collect();
        assert!(delays.len() > 10, "jitter gave {delays:?}");
    }
}
