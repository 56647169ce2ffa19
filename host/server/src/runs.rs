//! The runs of the project the server runs: a page of them (filtered by workflow and
//! status), one with every action (from its journal, redacted before it was stored, as
//! `runs show` shows it), resubmit and cancel.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use connector_flows::history;
use connector_flows::store::{RunFilter, RunRow, RunState};

use crate::app::App;
use crate::error::ApiError;
use crate::workflows::with_live;

/// The most runs one page holds.
pub const MAX_PAGE: usize = 200;

/// A run as the API shows it.
pub fn run_json(r: &RunRow) -> Value {
    json!({
        "id": r.id,
        "workflow": r.workflow,
        "status": r.status.as_str(),
        "trigger": r.trigger,
        "createdAt": r.created_at,
        "startedAt": r.started_at,
        "endedAt": r.ended_at,
        "durationMs": r.started_at.zip(r.ended_at).map(|(s, e)| e - s),
        "error": r.error,
        "cancelRequested": r.cancel_requested,
        "resubmittedFrom": r.resubmitted_from,
    })
}

/// The query of `GET /api/runs`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    workflow: Option<String>,
    status: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// `GET /api/runs?workflow=&status=&limit=&cursor=`: newest first.
pub async fn list(
    State(app): State<Arc<App>>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query
        .map_err(|e| ApiError::bad_request("", e.body_text()))?
        .0;
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(RunState::parse(s).ok_or_else(|| {
            let all: Vec<&str> = RunState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad_request(
                "/status",
                format!("unknown status {s:?}; one of {}", all.join(", ")),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::bad_request(
            "/limit",
            format!("limit is 1 to {MAX_PAGE}"),
        ));
    }
    let filter = RunFilter {
        workflow: q.workflow.filter(|w| !w.is_empty()),
        status,
        limit,
    };
    let cursor = q.cursor.filter(|c| !c.is_empty());
    let page = with_live(&app, move |l| {
        Ok(l.store().page(&filter, cursor.as_deref())?)
    })
    .await?;
    Ok(Json(json!({
        "runs": page.runs.iter().map(run_json).collect::<Vec<_>>(),
        "next": page.next,
    })))
}

/// `GET /api/runs/{id}`: the run, its trigger outputs and every action.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (row, entries) = with_live(&app, move |l| {
        let row = l.store().run(&id)?;
        let entries = l.store().journal_values(&id)?;
        Ok((row, entries))
    })
    .await?;
    let mut run = run_json(&row);
    run["triggerOutputs"] = row.trigger_outputs.clone();
    let actions: Vec<Value> = history::actions(&entries)
        .into_iter()
        .map(|s| {
            json!({
                "name": s.step,
                "status": s.status,
                "startedAt": s.started_at,
                "durationMs": s.duration_ms,
                "attempts": s.attempts,
                "errors": s.errors,
                "inputs": s.inputs,
                "outputs": s.outputs,
                "skippedBecause": s.skipped_because,
            })
        })
        .collect();
    Ok(Json(json!({"run": run, "actions": actions})))
}

/// `POST /api/runs/{id}/resubmit`: a new run with the same trigger outputs.
pub async fn resubmit(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let new = with_live(&app, move |l| {
        let new = l.store().resubmit(&id)?;
        l.wake();
        Ok(new)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"runId": new}))).into_response())
}

/// `POST /api/runs/{id}/cancel`: a queued run ends at once, a running one before its next
/// step.
pub async fn cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let i = id.clone();
    let state = with_live(&app, move |l| Ok(l.store().request_cancel(&i)?)).await?;
    Ok(Json(json!({"runId": id, "status": state.as_str()})))
}
