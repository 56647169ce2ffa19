//! Errors of the API: an HTTP status and a JSON body
//! `{"error": {"code": "...", "message": "...", "pointer": "/..."}}` (and
//! `"problems": [...]` when a document has several).
//!
//! A failed *connector call* in "try it" is not an `ApiError`: the call
//! ran, and its typed error is the result (see [`crate::tryit`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request the API refused or could not serve.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable word for scripts: `bad-request`, `not-found`, ...
    pub code: &'static str,
    pub message: String,
    /// The JSON pointer of the offending part of the request body, if any.
    pub pointer: Option<String>,
    /// Every problem, when there are several (a workflow's validation), as
    /// `{pointer, line, column, message}`.
    pub problems: Option<serde_json::Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            pointer: None,
            problems: None,
        }
    }

    /// 400: the request body is wrong at `pointer`.
    pub fn bad_request(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: Some(pointer.into()),
            ..Self::new(StatusCode::BAD_REQUEST, "bad-request", message)
        }
    }

    /// 401: no token, or the wrong one.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: a request the security checks refuse (Host, Origin).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422: a document that parses but has problems, each at its pointer.
    pub fn invalid(message: impl Into<String>, problems: serde_json::Value) -> Self {
        Self {
            problems: Some(problems),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
    }

    /// 503: not loaded yet, or a part that is not available.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(p) = self.pointer {
            error["pointer"] = json!(p);
        }
        if let Some(p) = self.problems {
            error["problems"] = p;
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

/// A JSON body axum could not read, as an [`ApiError`] (its own rejection
/// is plain text).
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        let mut e = ApiError::bad_request("/", r.body_text());
        e.status = r.status();
        e
    }
}
