//! Turning a failed call into a typed error: which limit was hit, or how
//! the guest crashed. Traps are told apart by their type, never by message.

use wasmtime::component::ResourceTableError;
use wasmtime::{Store, Trap};

use crate::error::{CallError, TrapKind};
use crate::limits::{HostLimit, LimitKind, Limits};
use crate::state::HostState;

/// Where in a call an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Making the instance (a start function may trap, a resource may run out).
    Instantiate,
    /// Calling the export and reading its result.
    Call,
}

/// Classifies the error of a call made in `store`.
pub fn classify(
    error: &wasmtime::Error,
    phase: Phase,
    store: &Store<HostState>,
    connector: &str,
    limits: &Limits,
) -> CallError {
    let limit = |limit: LimitKind, detail: String| CallError::Limit {
        connector: connector.to_string(),
        limit,
        detail,
    };
    let state = store.data();
    // The pooling allocator had no free slot: as many calls are running as
    // the host was sized for. The caller retries, as for a connector's own
    // concurrency limit.
    if error
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return limit(
            LimitKind::Concurrency,
            format!("the host's instance pool is full: {error}"),
        );
    }
    // A limit the host enforced inside one of its imports.
    if let Some(host) = error.downcast_ref::<HostLimit>() {
        return limit(host.kind, host.detail.clone());
    }
    // The host's resource table (sockets, requests, header fields, streams
    // the guest holds) is full.
    if let Some(ResourceTableError::Full) = error.downcast_ref::<ResourceTableError>() {
        return limit(
            LimitKind::HostResources,
            format!(
                "holds more than {} host resources (handles, requests, header fields) at once",
                crate::state::MAX_HOST_RESOURCES
            ),
        );
    }
    // A header set past the size the host keeps (a guest's host memory).
    if let Some(
        wasmtime_wasi_http::FieldMapError::TotalSizeTooBig
        | wasmtime_wasi_http::FieldMapError::TooManyFields,
    ) = error.downcast_ref::<wasmtime_wasi_http::FieldMapError>()
    {
        return limit(
            LimitKind::HostResources,
            format!(
                "put more than {} bytes in one set of HTTP header fields",
                crate::state::MAX_HTTP_FIELDS_BYTES
            ),
        );
    }
    // The guest called `exit` inside a call: a crash of the guest, not output.
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return CallError::Trap {
            connector: connector.to_string(),
            kind: TrapKind::Other(format!(
                "the guest exited with status {} inside a call",
                exit.0
            )),
        };
    }
    let trap = error.downcast_ref::<Trap>().copied();
    match trap {
        Some(Trap::OutOfFuel) => {
            return limit(
                LimitKind::Fuel,
                format!("used all {} units of fuel", limits.fuel.unwrap_or(u64::MAX)),
            );
        }
        Some(Trap::Interrupt) => {
            return limit(
                LimitKind::Time,
                format!("still running after {} ms", limits.timeout.as_millis()),
            );
        }
        _ => {}
    }
    // A refused memory.grow is not itself a trap: the guest sees an
    // allocation failure and usually aborts. Report the cause, not the abort.
    if state.limiter.memory_refused {
        return limit(
            LimitKind::Memory,
            format!(
                "tried to grow its memory past {} bytes",
                limits.max_memory_bytes
            ),
        );
    }
    if state.limiter.table_refused {
        return limit(
            LimitKind::Table,
            format!(
                "tried to grow a table past {} elements or create more than {} instances",
                limits.max_table_elements, limits.max_instances
            ),
        );
    }
    let kind = match trap {
        Some(Trap::StackOverflow) => TrapKind::StackOverflow,
        Some(Trap::UnreachableCodeReached) => {
            let mut message = panic_message(&state.stderr_text());
            // A guest that unwraps a refused request panics; say why it was refused.
            if let Some(denial) = state.outbound_denials().first() {
                message.push_str(&format!(
                    " (the host had refused an outbound request to {}: {})",
                    denial.target, denial.reason
                ));
            }
            TrapKind::Panic(message)
        }
        Some(other) => TrapKind::Other(other.to_string()),
        // Not a trap, raised while guest code was on the stack: a host
        // import refused the call (arguments it cannot read, a pointer out
        // of bounds, a request past a WASI limit such as random bytes). The
        // guest crashed in a host call; its answer was never reached.
        None if phase == Phase::Call && raised_inside_guest(error) => TrapKind::Other(format!(
            "a host call failed: {}",
            state.redactor.redact(&root_cause(error))
        )),
        // Not a trap, during the call: the canonical ABI could not read the
        // guest's answer (a string that is not UTF-8, a pointer out of
        // bounds).
        None if phase == Phase::Call => {
            return CallError::BadOutput {
                connector: connector.to_string(),
                problem: format!(
                    "its answer cannot be read: {}",
                    state.redactor.redact(&format!("{error:#}"))
                ),
            };
        }
        None => {
            return CallError::Host {
                connector: connector.to_string(),
                message: state.redactor.redact(&format!("{error:#}")),
            };
        }
    };
    CallError::Trap {
        connector: connector.to_string(),
        kind,
    }
}

/// Whether `error` passed through guest frames: wasmtime attaches the wasm
/// backtrace to an error a host function returns into running guest code,
/// and there is none once the guest has returned (reading its answer).
fn raised_inside_guest(error: &wasmtime::Error) -> bool {
    error
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .is_some_and(|bt| !bt.frames().is_empty())
}

/// The innermost message of `error`, without the backtrace context.
fn root_cause(error: &wasmtime::Error) -> String {
    let text = error.root_cause().to_string();
    crate::state::truncate(&text, 500).to_string()
}

/// The panic message a guest printed to stderr before aborting, if any.
///
/// Rust prints `thread '...' panicked at file:line:col:` and the message on
/// the next lines; other languages print a traceback whose last lines say
/// what went wrong. Either way the text is cut to a few hundred bytes.
pub fn panic_message(stderr: &str) -> String {
    const MAX: usize = 500;
    let text = if let Some(pos) = stderr.find("panicked at ") {
        let after = &stderr[pos..];
        let body = after.split_once('\n').map_or("", |(_, rest)| rest);
        body.lines()
            .take_while(|l| !l.starts_with("note: run with"))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(3)..].join("\n")
    };
    crate::state::truncate(text.trim(), MAX).to_string()
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn rust_panic_messages_are_extracted() {
        let stderr = "thread '<unnamed>' panicked at src/lib.rs:38:9:\nhostile guest panicked on purpose\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(panic_message(stderr), "hostile guest panicked on purpose");
    }

    #[test]
    fn other_output_keeps_its_last_lines() {
        let stderr =
            "Traceback (most recent call last):\n  File \"app.py\", line 3\n\nValueError: boom\n";
        assert_eq!(
            panic_message(stderr),
            "Traceback (most recent call last):\n  File \"app.py\", line 3\nValueError: boom"
        );
        assert_eq!(panic_message(""), "");
    }
}
