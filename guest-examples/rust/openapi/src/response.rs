//! An API's answer: error statuses to the contract's error kinds, bodies to
//! JSON.

use connector_http::Response;
use connector_sdk::{Error, ErrorKind, Reply, Result, Value};

/// A success answer as the action's reply: the body as JSON when it is
/// JSON, as a JSON string when it is other text, `null` when empty.
pub fn reply(response: &Response) -> Result<Reply<Value>> {
    Ok(Reply::with_status(response.status, body(response)))
}

/// The body as JSON (see [`reply`]).
pub fn body(response: &Response) -> Value {
    if response.body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&response.body).unwrap_or_else(|_| Value::String(response.text()))
}

/// Maps an error status to the error kind a runtime acts on; the message
/// is the API's own when it gives one (`error`, `message`, or
/// `error.message`).
pub fn status_error(response: &Response) -> Error {
    let parsed = serde_json::from_slice::<Value>(&response.body).ok();
    let message = parsed
        .as_ref()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error").and_then(|e| e.get("message")))
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .map(|m| format!("the API answered {}: {m}", response.status))
        .unwrap_or_else(|| format!("the API answered {}", response.status));
    let (kind, code) = match response.status {
        400 | 422 => (ErrorKind::InvalidInput, "rejected"),
        401 => (ErrorKind::Unauthorized, "unauthorized"),
        403 => (ErrorKind::Forbidden, "forbidden"),
        404 => (ErrorKind::NotFound, "not-found"),
        409 => (ErrorKind::Conflict, "conflict"),
        429 => (ErrorKind::Throttled, "throttled"),
        500..=599 => (ErrorKind::Transient, "server-error"),
        _ => (ErrorKind::Internal, "unexpected-status"),
    };
    let mut err = Error::new(kind, code, message);
    if kind == ErrorKind::Throttled {
        err.retry_after_ms = retry_after_ms(response);
    }
    err
}

/// `Retry-After` in milliseconds, when it is a number of seconds.
pub fn retry_after_ms(response: &Response) -> Option<u64> {
    response
        .header("retry-after")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|seconds| seconds.saturating_mul(1000))
}
