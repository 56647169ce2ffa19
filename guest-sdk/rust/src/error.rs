//! Typed errors: what a handler returns when it cannot do its work.

use std::fmt;

use crate::bindings::connector::provider::types as wit;

/// What kind of failure an error is; it tells a runtime whether a retry can
/// help. The contract's `error-kind`.
pub use wit::ErrorKind;

/// The result of a handler.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A failure a connector reports: the contract's `connector-error`.
///
/// Pick the kind that tells the runtime what to do next: `invalid-input`
/// when retrying the same input fails again, `not-found` when the thing the
/// input names does not exist, `throttled` or `transient` when a retry may
/// succeed, and `internal` only for what the connector cannot explain.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// A short machine-readable code, e.g. `file-not-found`.
    pub code: String,
    /// A message for people. It must not contain secrets.
    pub message: String,
    /// For `throttled`: how long to wait before retrying, in milliseconds.
    pub retry_after_ms: Option<u64>,
}

impl Error {
    /// An error of `kind` with a machine-readable `code`.
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.into(),
            message: message.into(),
            retry_after_ms: None,
        }
    }

    /// The input (or a trigger's state) is wrong; the same input fails again.
    pub fn invalid_input(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, code, message)
    }

    /// The connection's credentials were refused.
    pub fn unauthorized(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, code, message)
    }

    /// The credentials are valid but not allowed to do this.
    pub fn forbidden(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, code, message)
    }

    /// The thing the input names does not exist.
    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, code, message)
    }

    /// The request conflicts with the current state (e.g. it already exists).
    pub fn conflict(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, code, message)
    }

    /// The service asks to slow down; retry after `retry_after_ms`.
    pub fn throttled(
        code: impl Into<String>,
        message: impl Into<String>,
        retry_after_ms: u64,
    ) -> Self {
        Self {
            retry_after_ms: Some(retry_after_ms),
            ..Self::new(ErrorKind::Throttled, code, message)
        }
    }

    /// A passing failure; retrying may succeed.
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, code, message)
    }

    /// A bug or an unexpected state in the connector or the service.
    pub fn internal(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, code, message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({}): {}", self.kind, self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for wit::ConnectorError {
    fn from(e: Error) -> Self {
        wit::ConnectorError {
            kind: e.kind,
            code: e.code,
            message: e.message,
            retry_after_ms: e.retry_after_ms,
        }
    }
}
