//! The task tracker's REST API, as this connector uses it, and how its
//! failures map onto the contract's error kinds.

use connector_http::{Error as HttpError, Request, Response};
use connector_sdk::{Connection, Error, ErrorKind, Result};
use serde::Serialize;
use serde_json::Value;

/// Where the API is and how to authenticate, from the connection's values.
pub struct Api {
    base: String,
    token: String,
}

impl Api {
    /// Reads `host`, `use_tls` and `token` from a connection.
    pub fn from_connection(connection: &Connection) -> Result<Self> {
        let host = connection
            .get("host")
            .ok_or_else(|| Error::invalid_input("missing-host", "the connection has no host"))?;
        let scheme = if connection.get("use_tls") == Some("false") {
            "http"
        } else {
            "https"
        };
        Ok(Self {
            base: format!("{scheme}://{host}"),
            token: connection.get("token").unwrap_or_default().to_string(),
        })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Value> {
        self.send(Request::get(format!("{}{path}", self.base)))
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &impl Serialize) -> Result<Value> {
        self.send(Request::post(format!("{}{path}", self.base)).json(body))
    }

    /// `POST path` with a JSON body and an `Idempotency-Key` (when `key`
    /// is not empty): the API answers a repeat of the key with what it
    /// answered the first time instead of doing the work again, so a
    /// retried workflow step does not create a second task.
    pub fn post_once(&self, path: &str, body: &impl Serialize, key: &str) -> Result<Value> {
        let request = Request::post(format!("{}{path}", self.base)).json(body);
        if key.is_empty() {
            return self.send(request);
        }
        self.send(request.header("idempotency-key", key))
    }

    /// `DELETE path`; `Ok(false)` when the API says it is already gone.
    pub fn delete(&self, path: &str) -> Result<bool> {
        match self.send(Request::delete(format!("{}{path}", self.base))) {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &impl Serialize) -> Result<Value> {
        self.send(Request::patch(format!("{}{path}", self.base)).json(body))
    }

    fn send(&self, request: Request) -> Result<Value> {
        let response = request
            .bearer(&self.token)
            .header("accept", "application/json")
            .send()
            .map_err(transport_error)?;
        if response.status >= 400 {
            return Err(status_error(&response));
        }
        // A 204 (e.g. an unsubscription) has no body to read.
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        response
            .json()
            .map_err(|e| Error::internal("bad-response", e.to_string()))
    }
}

fn transport_error(e: HttpError) -> Error {
    match e {
        HttpError::Denied(m) => Error::forbidden(
            "outbound-denied",
            format!("the host did not grant access to the API ({m}); grant it with --allow-http"),
        ),
        other if other.is_transient() => Error::transient("unreachable", other.to_string()),
        other => Error::internal("http-error", other.to_string()),
    }
}

/// Maps an error status to the error kind a runtime acts on.
fn status_error(response: &Response) -> Error {
    let message = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| format!("the API answered {}", response.status));
    let (kind, code) = match response.status {
        400 | 422 => (ErrorKind::InvalidInput, "rejected"),
        401 => (ErrorKind::Unauthorized, "unauthorized"),
        403 => (ErrorKind::Forbidden, "forbidden"),
        404 => (ErrorKind::NotFound, "task-not-found"),
        409 => (ErrorKind::Conflict, "conflict"),
        429 => (ErrorKind::Throttled, "throttled"),
        500..=599 => (ErrorKind::Transient, "server-error"),
        _ => (ErrorKind::Internal, "unexpected-status"),
    };
    let mut err = Error::new(kind, code, message);
    if kind == ErrorKind::Throttled {
        err.retry_after_ms = response
            .header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|seconds| seconds * 1000);
    }
    err
}
