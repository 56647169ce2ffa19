//! `retryPolicy`: which connector failures are tried again, how often, and how long to wait.
//!
//! As Logic Apps documents it: the default is an exponential policy of 4 retries whose
//! intervals scale by 7.5 seconds, kept between 5 and 45 seconds; `fixed` waits `interval`
//! between `count` retries; `exponential` waits a random time from a range that doubles each
//! retry (retry n: from `interval * 2^(n-2)` to `interval * 2^(n-1)`, the first from
//! `minimumInterval`), kept between `minimumInterval` and `maximumInterval`; `none` does not
//! retry. A failure is retried only when its kind says the same call may succeed later.

use std::time::Duration;

use serde_json::Value;

use crate::definition::parse_duration;

/// The error kinds that are retried: the contract's `transient` and `throttled`, a guest that
/// crashed (`trap`) or hit a limit such as its time limit (`limit`, `timeout`). Every other
/// kind (`invalid-input`, `unauthorized`, `forbidden`, `not-found`, `conflict`, `internal`,
/// ...) fails the action at once.
pub const RETRYABLE_KINDS: &[&str] = &["transient", "throttled", "trap", "limit", "timeout"];

/// Whether a failure of `kind` may be retried.
pub fn is_retryable(kind: &str) -> bool {
    RETRYABLE_KINDS.iter().any(|k| k.eq_ignore_ascii_case(kind))
}

/// A parsed `retryPolicy`.
#[derive(Debug, Clone, PartialEq)]
pub enum RetryPolicy {
    /// No retries.
    None,
    /// `count` retries, `interval` apart.
    Fixed {
        /// Retries after the first attempt.
        count: u32,
        /// The wait between attempts.
        interval: Duration,
    },
    /// `count` retries at exponentially growing random intervals.
    Exponential {
        /// Retries after the first attempt.
        count: u32,
        /// The scale of the intervals.
        interval: Duration,
        /// No wait is shorter.
        minimum: Duration,
        /// No wait is longer.
        maximum: Duration,
    },
}

/// Logic Apps' limit on `count`.
const MAX_COUNT: u64 = 90;

impl Default for RetryPolicy {
    /// The Logic Apps default: exponential, 4 retries, 7.5 s scale, 5 to 45 s.
    fn default() -> Self {
        RetryPolicy::Exponential {
            count: 4,
            interval: Duration::from_millis(7_500),
            minimum: Duration::from_secs(5),
            maximum: Duration::from_secs(45),
        }
    }
}

impl RetryPolicy {
    /// Parses an action's `retryPolicy` (`None` = absent: the default). The error names the
    /// property at fault.
    pub fn parse(v: Option<&Value>) -> Result<RetryPolicy, String> {
        let Some(v) = v else {
            return Ok(RetryPolicy::default());
        };
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or("`retryPolicy.type` is missing (none, fixed or exponential)")?;
        let count = || -> Result<u32, String> {
            match v.get("count") {
                None => Ok(4),
                Some(c) => c
                    .as_u64()
                    .filter(|n| *n <= MAX_COUNT)
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        format!(
                            "`retryPolicy.count` must be an integer from 0 to {MAX_COUNT}, got {c}"
                        )
                    }),
            }
        };
        let duration = |key: &str, default: Option<Duration>| -> Result<Duration, String> {
            match v.get(key) {
                None => default.ok_or_else(|| format!("`retryPolicy.{key}` is missing")),
                Some(Value::String(s)) => {
                    parse_duration(s).map_err(|e| format!("`retryPolicy.{key}`: {e}"))
                }
                Some(other) => Err(format!(
                    "`retryPolicy.{key}` must be an ISO 8601 duration string, got {other}"
                )),
            }
        };
        match kind.to_ascii_lowercase().as_str() {
            "none" => Ok(RetryPolicy::None),
            "fixed" => Ok(RetryPolicy::Fixed {
                count: count()?,
                interval: duration("interval", None)?,
            }),
            "exponential" => {
                let minimum = duration("minimumInterval", Some(Duration::from_secs(5)))?;
                let maximum = duration("maximumInterval", Some(Duration::from_secs(86_400)))?;
                if minimum > maximum {
                    return Err(
                        "`retryPolicy.minimumInterval` is longer than `maximumInterval`".into(),
                    );
                }
                Ok(RetryPolicy::Exponential {
                    count: count()?,
                    interval: duration("interval", None)?,
                    minimum,
                    maximum,
                })
            }
            other => Err(format!(
                "`retryPolicy.type` `{other}` is not one of none, fixed, exponential"
            )),
        }
    }

    /// How many retries follow the first attempt.
    pub fn retries(&self) -> u32 {
        match self {
            RetryPolicy::None => 0,
            RetryPolicy::Fixed { count, .. } | RetryPolicy::Exponential { count, .. } => *count,
        }
    }

    /// The wait before retry number `n` (1 for the first retry); `jitter` in [0, 1] picks the
    /// point in the exponential range (the engine passes a random number).
    pub fn delay(&self, n: u32, jitter: f64) -> Duration {
        match self {
            RetryPolicy::None => Duration::ZERO,
            RetryPolicy::Fixed { interval, .. } => *interval,
            RetryPolicy::Exponential {
                interval,
                minimum,
                maximum,
                ..
            } => {
                let scaled = |exp: i32| interval.mul_f64(2f64.powi(exp)).min(*maximum);
                let n = n.clamp(1, 60) as i32;
                let low = if n == 1 { *minimum } else { scaled(n - 2) };
                let high = scaled(n - 1).max(low);
                let d = low + (high - low).mul_f64(jitter.clamp(0.0, 1.0));
                d.clamp(*minimum, *maximum)
            }
        }
    }
}

/// A random number in [0, 1) from the system's random source (through a v4 UUID, already a
/// dependency), for the jitter of exponential retries.
pub(crate) fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}
