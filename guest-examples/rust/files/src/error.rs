//! Constructors for the contract's `connector-error`, and the mapping from
//! I/O errors to it.
//!
//! The error kind tells the runtime whether a retry can help, so each
//! failure picks the kind that says so: a bad path is `invalid-input`
//! (retrying fails again), a missing file `not-found`, an existing one
//! `conflict`, and only what the connector cannot explain is `internal`.

use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::connector::provider::types::{ConnectorError, ErrorKind};
use crate::paths::RelPath;

/// Builds an error of `kind` with a machine-readable `code`.
pub fn error(kind: ErrorKind, code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

/// The input (or state) is wrong; the same input fails again.
pub fn invalid_input(code: &str, message: impl Into<String>) -> ConnectorError {
    error(ErrorKind::InvalidInput, code, message)
}

/// The thing the input names does not exist.
pub fn not_found(code: &str, message: impl Into<String>) -> ConnectorError {
    error(ErrorKind::NotFound, code, message)
}

/// The operation id names nothing this connector offers as `what`.
pub fn unknown_operation(id: &str, what: &str) -> ConnectorError {
    invalid_input(
        "unknown-operation",
        format!("the files connector has no {what} named `{id}`"),
    )
}

/// Parses an operation's JSON input.
///
/// The host has already validated the input against the operation's schema,
/// but a connector must not trust that blindly: a malformed input becomes an
/// `invalid-input` error, never a panic.
pub fn parse_input<T: DeserializeOwned>(input: &str) -> Result<T, ConnectorError> {
    serde_json::from_str(input).map_err(|e| {
        invalid_input(
            "bad-input",
            format!("the input does not fit the schema: {e}"),
        )
    })
}

/// Serializes an output body or a trigger state. Plain data structs cannot
/// fail to serialize, but an error is still better than a panic.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, ConnectorError> {
    serde_json::to_string(value).map_err(|e| {
        error(
            ErrorKind::Internal,
            "serialize",
            format!("cannot serialize: {e}"),
        )
    })
}

/// Maps an I/O error on `path` to the error kind that tells the runtime what
/// to do next. `doing` completes the message, e.g. "read".
pub fn io_error(err: io::Error, doing: &str, path: &RelPath) -> ConnectorError {
    use io::ErrorKind as Io;
    let message = format!("cannot {doing} `{path}`: {err}");
    match err.kind() {
        Io::NotFound => not_found("file-not-found", format!("`{path}` does not exist")),
        Io::AlreadyExists => error(ErrorKind::Conflict, "file-exists", message),
        // A read-only grant shows up as one of these two.
        Io::PermissionDenied | Io::ReadOnlyFilesystem => {
            error(ErrorKind::Forbidden, "permission-denied", message)
        }
        Io::IsADirectory => invalid_input("is-a-directory", message),
        Io::NotADirectory => invalid_input("not-a-directory", message),
        _ => error(ErrorKind::Internal, "io-error", message),
    }
}
