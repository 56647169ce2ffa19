//! The errors callers branch on: loading a component, and calling it.

use std::path::PathBuf;

use serde::Serialize;

use crate::description::Problem;
use crate::limits::LimitKind;

/// Why a component could not be loaded as a connector.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The bytes are not WebAssembly at all.
    #[error("{path} is not a WebAssembly component: {what}")]
    NotWasm { path: PathBuf, what: String },
    /// A core module, not a component.
    #[error(
        "{path} is a core WebAssembly module, not a component; build connectors for \
         wasm32-wasip2 (or wrap the module with `wasm-tools component new`)"
    )]
    CoreModule { path: PathBuf },
    /// A component wasmtime could not compile (truncated, malformed, or
    /// using features the host does not enable).
    #[error("{path} is not a valid component: {message}")]
    Invalid { path: PathBuf, message: String },
    /// A valid component that does not fit the contract: wrong world,
    /// unsupported version, imports the host does not provide.
    #[error("{path} does not fit the connector contract:\n  {}", list(.problems))]
    Contract {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// The component fits the contract but its description is broken.
    #[error("{path} describes itself wrongly:\n  {}", list(.problems))]
    Description {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// Calling describe-service or list-operations failed.
    #[error("{path}: describing the connector failed: {source}")]
    Describe {
        path: PathBuf,
        #[source]
        source: Box<CallError>,
    },
    /// A grant could not be applied (a directory that does not exist).
    #[error("{0:#}")]
    Grant(anyhow::Error),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n  ")
}

/// The kind of failure a connector reported, as the contract defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    InvalidInput,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    Throttled,
    Transient,
    Internal,
}

impl ErrorKind {
    /// Whether a runtime may retry the same call.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_value(self).ok();
        f.write_str(text.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown"))
    }
}

/// A failure the connector itself reported through the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorError {
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl std::fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.kind, self.code, self.message)?;
        if let Some(ms) = self.retry_after_ms {
            write!(f, " (retry after {ms} ms)")?;
        }
        Ok(())
    }
}

/// How a guest crashed, other than by hitting a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum TrapKind {
    /// The guest panicked (or aborted); the message is from its stderr when it wrote one.
    Panic(String),
    /// The guest recursed past the stack limit.
    StackOverflow,
    /// Any other trap (out-of-bounds access, division by zero, ...).
    Other(String),
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrapKind::Panic(message) if message.is_empty() => f.write_str("guest panic"),
            TrapKind::Panic(message) => write!(f, "guest panic: {message}"),
            TrapKind::StackOverflow => f.write_str("stack overflow"),
            TrapKind::Other(message) => write!(f, "trap: {message}"),
        }
    }
}

/// Why a call into a connector failed. Each variant is a different thing for
/// a runtime to do: fix the input, retry, or stop using the connector.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The host refused the input before calling the guest.
    #[error("invalid input at {pointer}: {message}")]
    InvalidInput { pointer: String, message: String },
    /// The connection's values do not fit the connector's parameters.
    #[error("{0}")]
    InvalidConnection(String),
    /// No such operation, or one of another kind (e.g. invoking a trigger).
    #[error("{connector}: {message}")]
    UnknownOperation { connector: String, message: String },
    /// The connector reported an error through the contract.
    #[error("{connector} returned an error: {error}")]
    Connector {
        connector: String,
        error: ConnectorError,
    },
    /// The call hit one of its limits and was stopped.
    #[error("{connector} hit its {limit} limit: {detail}")]
    Limit {
        connector: String,
        limit: LimitKind,
        detail: String,
    },
    /// The guest crashed.
    #[error("{connector} crashed: {kind}")]
    Trap { connector: String, kind: TrapKind },
    /// The guest answered, but its answer breaks the contract (not JSON,
    /// not valid against the output schema).
    #[error("{connector} returned bad output: {problem}")]
    BadOutput { connector: String, problem: String },
    /// The host itself failed (instantiation, a host resource).
    #[error("{connector}: host error: {message}")]
    Host { connector: String, message: String },
    /// The function is not in the contract version the component targets
    /// (e.g. `dynamic-values` on a 0.1.0 component). No call was made.
    #[error(
        "{connector} targets contract {version}, which has no {function}; \
         rebuild it against connector:provider@{latest} to use it",
        latest = crate::bindings::LATEST_VERSION
    )]
    Unsupported {
        connector: String,
        version: crate::bindings::ContractVersion,
        function: &'static str,
    },
}

impl CallError {
    /// A short stable name of the variant, for JSON output and metrics.
    pub fn category(&self) -> &'static str {
        match self {
            CallError::InvalidInput { .. } => "invalid-input",
            CallError::InvalidConnection(_) => "invalid-connection",
            CallError::UnknownOperation { .. } => "unknown-operation",
            CallError::Connector { .. } => "connector-error",
            CallError::Limit { .. } => "limit",
            CallError::Trap { .. } => "trap",
            CallError::BadOutput { .. } => "bad-output",
            CallError::Host { .. } => "host",
            CallError::Unsupported { .. } => "unsupported",
        }
    }
}
