//! The workflows of the project the server runs, and their triggers: list, get, put (checked
//! and loaded at once), enable, disable, run now, and each trigger's status.
//!
//! Everything here reads or changes [`connector_flows::Live`]; its calls touch SQLite and
//! the disk, so they run on the blocking pool.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use connector_flows::{Live, LiveError};

use crate::app::App;
use crate::error::ApiError;
use crate::runs::run_json;

/// A [`LiveError`] as the API answers it.
pub fn live_error(e: LiveError) -> ApiError {
    match e {
        LiveError::NotFound(_) => ApiError::not_found(e.to_string()),
        LiveError::BadName(_) => ApiError::bad_request("", e.to_string()),
        LiveError::Invalid(problems) => ApiError::invalid(
            format!(
                "the workflow has {} problem(s); nothing was saved",
                problems.len()
            ),
            json!(problems),
        ),
        LiveError::Conflict(m) => ApiError::conflict(m),
        LiveError::Store(connector_flows::store::StoreError::NoSuchRun(id)) => {
            ApiError::not_found(format!("there is no run {id}"))
        }
        LiveError::Store(connector_flows::store::StoreError::BadCursor(m)) => {
            ApiError::bad_request("/cursor", m)
        }
        other => {
            tracing::error!("workflows: {other}");
            ApiError::internal(other.to_string())
        }
    }
}

/// Runs `f` with the project on the blocking pool.
pub async fn with_live<T: Send + 'static>(
    app: &App,
    f: impl FnOnce(&Live) -> Result<T, LiveError> + Send + 'static,
) -> Result<T, ApiError> {
    let live = app.flows()?;
    tokio::task::spawn_blocking(move || f(&live))
        .await
        .map_err(|e| ApiError::internal(format!("the request's task failed: {e}")))?
        .map_err(live_error)
}

/// `GET /api/workflows`.
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let list = with_live(&app, |l| l.workflows()).await?;
    let workflows: Vec<Value> = list
        .into_iter()
        .map(|w| {
            json!({
                "name": w.name,
                "trigger": w.trigger,
                "triggerKind": w.trigger_kind,
                "enabled": w.enabled,
                "lastRun": w.last_run.as_ref().map(run_json),
            })
        })
        .collect();
    Ok(Json(json!({ "workflows": workflows })))
}

/// `GET /api/workflows/{name}`: the `workflow.json` as on disk.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let n = name.clone();
    let (definition, summary) = with_live(&app, move |l| {
        let d = l.definition(&n)?;
        let s = l.workflows()?.into_iter().find(|w| w.name == n);
        Ok((d, s))
    })
    .await?;
    Ok(Json(json!({
        "name": name,
        "enabled": summary.as_ref().map(|s| s.enabled),
        "triggerKind": summary.as_ref().map(|s| s.trigger_kind),
        "workflow": definition,
    })))
}

/// `PUT /api/workflows/{name}`: the body is the `workflow.json` document.
pub async fn put(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    payload: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let doc = payload?.0;
    let n = name.clone();
    let created = with_live(&app, move |l| l.save(&n, &doc)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({"name": name, "created": created}))).into_response())
}

/// `POST /api/workflows/{name}/enable`.
pub async fn enable(state: State<Arc<App>>, name: Path<String>) -> Result<Json<Value>, ApiError> {
    set_enabled(state, name, true).await
}

/// `POST /api/workflows/{name}/disable`.
pub async fn disable(state: State<Arc<App>>, name: Path<String>) -> Result<Json<Value>, ApiError> {
    set_enabled(state, name, false).await
}

async fn set_enabled(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    enabled: bool,
) -> Result<Json<Value>, ApiError> {
    let n = name.clone();
    with_live(&app, move |l| l.set_enabled(&n, enabled)).await?;
    Ok(Json(json!({"name": name, "enabled": enabled})))
}

/// `POST /api/workflows/{name}/run`: `{"body": ...}` becomes the trigger's body (an empty
/// request: `null`).
pub async fn run_now(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    payload: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let body = match payload {
        Ok(Json(Value::Object(mut o))) => o.remove("body").unwrap_or(Value::Null),
        Ok(Json(_)) => {
            return Err(ApiError::bad_request(
                "",
                "the request is {\"body\": <the trigger body>}",
            ));
        }
        Err(JsonRejection::MissingJsonContentType(_)) => Value::Null,
        Err(e) => return Err(e.into()),
    };
    let id = with_live(&app, move |l| l.run_now(&name, body)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"runId": id}))).into_response())
}

/// `GET /api/project`: the project's connections (names and connectors, no values), for
/// the designer's connection pickers.
pub async fn project(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let connections = with_live(&app, |l| Ok(l.connections())).await?;
    Ok(Json(json!({ "connections": connections })))
}

/// `GET /api/triggers`.
pub async fn triggers(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let list = with_live(&app, |l| l.triggers()).await?;
    Ok(Json(json!({ "triggers": list })))
}
