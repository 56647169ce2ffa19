//! The mapping from I/O errors to the contract's errors.
//!
//! The error kind tells the runtime whether a retry can help, so each
//! failure picks the kind that says so: a bad path is `invalid-input`
//! (retrying fails again), a missing file `not-found`, an existing one
//! `conflict`, and only what the connector cannot explain is `internal`.

use std::io;

use connector_sdk::{Error, ErrorKind};

use crate::paths::RelPath;

/// Builds an error of `kind` with a machine-readable `code`.
pub fn error(kind: ErrorKind, code: &str, message: impl Into<String>) -> Error {
    Error::new(kind, code, message)
}

/// The input (or state) is wrong; the same input fails again.
pub fn invalid_input(code: &str, message: impl Into<String>) -> Error {
    Error::invalid_input(code, message)
}

/// The thing the input names does not exist.
pub fn not_found(code: &str, message: impl Into<String>) -> Error {
    Error::not_found(code, message)
}

/// Maps an I/O error on `path` to the error kind that tells the runtime what
/// to do next. `doing` completes the message, e.g. "read".
pub fn io_error(err: io::Error, doing: &str, path: &RelPath) -> Error {
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
