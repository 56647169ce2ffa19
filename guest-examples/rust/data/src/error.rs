//! Constructors for the contract's `connector-error`.
//!
//! Every failure of this connector is the input's fault (the computations
//! are pure), so almost everything is `invalid-input`: retrying the same
//! input would fail again, and the code tells the workflow author why.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::connector::provider::types::{ConnectorError, ErrorKind, Response};

/// The input is wrong; the same input fails again.
pub fn invalid_input(code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
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

/// A 200 response with `body` serialized as JSON.
pub fn respond<T: Serialize>(body: &T) -> Result<Response, ConnectorError> {
    let body = serde_json::to_string(body).map_err(|e| ConnectorError {
        kind: ErrorKind::Internal,
        code: "serialize".into(),
        message: format!("cannot serialize the output: {e}"),
        retry_after_ms: None,
    })?;
    Ok(Response { status: 200, body })
}
