//! Per-connector limits: how much work, time, memory and output one call may use.
//!
//! Every limit is on by default. A call that hits one ends in
//! [`CallError::Limit`](crate::CallError::Limit) naming the limit, never in a
//! crash or a hang of the host.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// The limits one connector's calls run under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Fuel (roughly, wasm instructions) one call may burn; `None` for no limit.
    pub fuel: Option<u64>,
    /// Wall-clock time one call may take.
    #[serde(with = "millis")]
    pub timeout: Duration,
    /// Bytes of linear memory one instance may grow to, all memories together.
    pub max_memory_bytes: usize,
    /// Bytes of output (a response or poll body, in total) one call may return.
    pub max_output_bytes: usize,
    /// Elements any one table may grow to.
    pub max_table_elements: usize,
    /// Core instances (and memories, tables) one instantiation may create.
    pub max_instances: usize,
    /// Bytes one outbound HTTP response body may have.
    pub max_http_response_bytes: usize,
    /// Calls into this connector that may run at once; a call past that
    /// fails at once with the concurrency limit.
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // About a few seconds of interpreter-heavy work (a Python
            // connector's describe uses tens of millions).
            fuel: Some(10_000_000_000),
            timeout: Duration::from_secs(10),
            max_memory_bytes: 256 << 20,
            max_output_bytes: 16 << 20,
            max_table_elements: 100_000,
            max_instances: 100,
            max_http_response_bytes: 16 << 20,
            max_concurrency: 16,
        }
    }
}

/// Which limit a call hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// The call burned all its fuel.
    Fuel,
    /// The call ran past its wall-clock deadline.
    Time,
    /// The guest tried to grow its memory past the limit.
    Memory,
    /// The guest returned more output than allowed.
    Output,
    /// The guest tried to grow a table, or create instances, past the limit.
    Table,
    /// Too many calls were running at once for the whole deadline.
    Concurrency,
    /// The guest held more host resources (handles in the host's resource
    /// table, log output, random bytes) than one call may.
    HostResources,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Fuel => "fuel",
            LimitKind::Time => "time",
            LimitKind::Memory => "memory",
            LimitKind::Output => "output size",
            LimitKind::Table => "table/instance",
            LimitKind::Concurrency => "concurrency",
            LimitKind::HostResources => "host resource",
        })
    }
}

/// A limit the host enforced inside one of its own imports (a wait cut at
/// the deadline, a full resource table). Returned from the import as the
/// trap that ends the call, and found by type when the call is classified,
/// so it is reported as the limit it is and not as unreadable output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} limit: {detail}")]
pub struct HostLimit {
    /// Which limit.
    pub kind: LimitKind,
    /// What the guest did, for the error message.
    pub detail: String,
}

/// A `wasmtime::ResourceLimiter` that enforces [`Limits`] and remembers
/// whether it refused anything, so that the trap that usually follows a
/// refused `memory.grow` (a guest aborting on allocation failure) is reported
/// as the memory limit and not as a generic crash.
#[derive(Debug)]
pub struct Limiter {
    max_memory: usize,
    max_table_elements: usize,
    max_instances: usize,
    /// Set when a memory growth was refused.
    pub memory_refused: bool,
    /// Set when a table growth or instance creation was refused.
    pub table_refused: bool,
    /// Bytes of linear memory granted while this limiter was armed (the
    /// instance's memories at their peak, for a fresh instance): what
    /// `crate::observe` reports per call.
    pub memory_bytes: usize,
}

impl Limiter {
    /// A limiter enforcing `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            max_memory: limits.max_memory_bytes,
            max_table_elements: limits.max_table_elements,
            max_instances: limits.max_instances,
            memory_refused: false,
            table_refused: false,
            memory_bytes: 0,
        }
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_memory;
        self.memory_refused |= !ok;
        if ok {
            self.memory_bytes += desired.saturating_sub(current);
        }
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_table_elements;
        self.table_refused |= !ok;
        Ok(ok)
    }

    fn instances(&self) -> usize {
        self.max_instances
    }

    fn tables(&self) -> usize {
        self.max_instances
    }

    fn memories(&self) -> usize {
        self.max_instances
    }
}

/// Bounds how many calls run at once in one connector. A call that finds
/// every slot taken fails at once with the concurrency limit rather than
/// queueing: a caller (a poller, a workflow runtime) retries with its own
/// back-off, and a slow connector cannot pile up waiting threads in the host.
#[derive(Debug)]
pub struct ConcurrencyGate {
    max: usize,
    running: std::sync::atomic::AtomicUsize,
}

/// A slot in a [`ConcurrencyGate`], given back on drop.
pub struct Slot<'a>(&'a ConcurrencyGate);

impl ConcurrencyGate {
    /// A gate letting `max` calls through at once (at least one).
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            running: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Calls running now.
    pub fn running(&self) -> usize {
        self.running.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A slot, or `None` if `max` calls are running.
    pub fn try_enter(&self) -> Option<Slot<'_>> {
        use std::sync::atomic::Ordering;
        self.running
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self))
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0
            .running
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Parses a duration such as `250ms`, `10s`, `2m` or a bare number of milliseconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = split_number(text);
    let value: u64 = number
        .parse()
        .with_context(|| format!("{text:?} is not a duration (examples: 500ms, 10s, 2m)"))?;
    let duration = match unit {
        "" | "ms" => Duration::from_millis(value),
        "s" => Duration::from_secs(value),
        "m" => Duration::from_secs(value.saturating_mul(60)),
        _ => bail!("{text:?} has an unknown unit {unit:?} (use ms, s or m)"),
    };
    if duration.is_zero() {
        bail!("a duration of zero would stop every call at once");
    }
    Ok(duration)
}

/// Parses a size such as `64MiB`, `512KiB`, `1GiB` or a bare number of bytes.
pub fn parse_size(text: &str) -> Result<usize> {
    let text = text.trim();
    let (number, unit) = split_number(text);
    let value: usize = number
        .parse()
        .with_context(|| format!("{text:?} is not a size (examples: 4096, 512KiB, 64MiB)"))?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => bail!("{text:?} has an unknown unit {unit:?} (use KiB, MiB or GiB)"),
    };
    value
        .checked_mul(1 << shift)
        .with_context(|| format!("{text:?} is too large"))
}

fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (&text[..end], text[end..].trim())
}

mod millis {
    use serde::Serializer;
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("3s").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("40").unwrap(), Duration::from_millis(40));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("512KiB").unwrap(), 512 << 10);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
