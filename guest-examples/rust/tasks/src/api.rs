//! The task tracker's REST API, as this connector uses it, and how its
//! failures map onto the contract's error kinds.

use connector_http::{Error as HttpError, Request, Response};
use serde_json::Value;

use crate::connector::provider::types::{ConnectorError, ErrorKind};

/// Where the API is and how to authenticate, from the connection's values.
pub struct Api {
    base: String,
    token: String,
}

impl Api {
    /// Reads `host`, `use_tls` and `token` from a connection.
    pub fn from_connection(connection: &[(String, String)]) -> Result<Self, ConnectorError> {
        let get = |name: &str| {
            connection
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let host = get("host").ok_or_else(|| {
            error(
                ErrorKind::InvalidInput,
                "missing-host",
                "the connection has no host",
            )
        })?;
        let scheme = if get("use_tls") == Some("false") {
            "http"
        } else {
            "https"
        };
        Ok(Self {
            base: format!("{scheme}://{host}"),
            token: get("token").unwrap_or_default().to_string(),
        })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Result<Value, ConnectorError> {
        self.send(Request::get(format!("{}{path}", self.base)))
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.send(Request::post(format!("{}{path}", self.base)).json(body))
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        self.send(Request::patch(format!("{}{path}", self.base)).json(body))
    }

    fn send(&self, request: Request) -> Result<Value, ConnectorError> {
        let response = request
            .bearer(&self.token)
            .header("accept", "application/json")
            .send()
            .map_err(transport_error)?;
        if response.status >= 400 {
            return Err(status_error(&response));
        }
        response
            .json()
            .map_err(|e| error(ErrorKind::Internal, "bad-response", e.to_string()))
    }
}

/// A connector error.
pub fn error(kind: ErrorKind, code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

fn transport_error(e: HttpError) -> ConnectorError {
    match e {
        HttpError::Denied(m) => error(
            ErrorKind::Forbidden,
            "outbound-denied",
            format!("the host did not grant access to the API ({m}); grant it with --allow-http"),
        ),
        other if other.is_transient() => {
            error(ErrorKind::Transient, "unreachable", other.to_string())
        }
        other => error(ErrorKind::Internal, "http-error", other.to_string()),
    }
}

/// Maps an error status to the error kind a runtime acts on.
fn status_error(response: &Response) -> ConnectorError {
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
    let mut err = error(kind, code, message);
    if kind == ErrorKind::Throttled {
        err.retry_after_ms = response
            .header("retry-after")
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|seconds| seconds * 1000);
    }
    err
}
