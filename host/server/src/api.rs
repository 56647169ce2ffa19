//! The router: the API under `/api/`, the page and its assets, and the
//! guard in front of all of it.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::{App, TriggerStatus};
use crate::catalog;
use crate::connections::ConnectionInput;
use crate::error::ApiError;
use crate::guard::{self, Guard};
use crate::{assets, runs, tryit, workflows};

/// Largest request body the API reads (a "try it" input, a connection).
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Longest a request may take, head to answer; a connector call has its
/// own, shorter, timeout.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The whole application.
pub fn router(app: Arc<App>, guard: Arc<Guard>) -> Router {
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/ready", get(ready))
        .route("/api/openapi.json", get(openapi))
        .route("/api/connectors", get(connectors))
        .route("/api/connectors/{name}", get(connector))
        .route("/api/connectors/{name}/operations/{op}", get(operation))
        .route(
            "/api/connectors/{name}/operations/{op}/invoke",
            post(tryit::invoke),
        )
        .route(
            "/api/connectors/{name}/operations/{op}/poll",
            post(tryit::poll),
        )
        .route(
            "/api/connectors/{name}/operations/{op}/dynamic-values",
            post(tryit::dynamic_values),
        )
        .route(
            "/api/connections",
            get(list_connections).post(create_connection),
        )
        .route(
            "/api/connections/{name}",
            get(get_connection)
                .put(update_connection)
                .delete(delete_connection),
        )
        .route("/api/connections/{name}/test", post(tryit::test_connection))
        .route("/api/workflows", get(workflows::list))
        .route(
            "/api/workflows/{name}",
            get(workflows::get).put(workflows::put),
        )
        .route("/api/workflows/{name}/enable", post(workflows::enable))
        .route("/api/workflows/{name}/disable", post(workflows::disable))
        .route("/api/workflows/{name}/run", post(workflows::run_now))
        .route("/api/runs", get(runs::list))
        .route("/api/runs/{id}", get(runs::get))
        .route("/api/runs/{id}/resubmit", post(runs::resubmit))
        .route("/api/runs/{id}/cancel", post(runs::cancel))
        .route("/api/triggers", get(workflows::triggers))
        .route("/api/project", get(workflows::project))
        .with_state(app);
    api.merge(assets::router())
        // Prometheus scrapes without the API token: the metrics hold no
        // secret and no id (see connector-metrics); the Host check applies.
        .merge(connector_metrics::exposition::router())
        .fallback(no_route)
        .method_not_allowed_fallback(no_method)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(guard, guard::guard))
}

async fn no_route() -> ApiError {
    let mut e = ApiError::not_found("no such route; the API is described at /api/openapi.json");
    e.code = "no-route";
    e
}

async fn no_method() -> ApiError {
    let mut e = ApiError::not_found("this route does not take that method; see /api/openapi.json");
    e.status = StatusCode::METHOD_NOT_ALLOWED;
    e.code = "method-not-allowed";
    e
}

async fn health(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptimeMs": app.started.elapsed().as_millis() as u64,
    }))
}

/// Ready when every connector is loaded and the triggers (if any) run.
async fn ready(State(app): State<Arc<App>>) -> Response {
    let mut problems = Vec::new();
    let connectors = match app.catalog_if_loaded() {
        None => {
            problems.push("the connectors are still loading".to_string());
            json!({"loaded": false})
        }
        Some(c) => {
            let failed = c.failed();
            for f in &failed {
                problems.push(format!("the connector {f:?} could not be loaded"));
            }
            json!({"loaded": true, "count": c.entries().count(), "failed": failed})
        }
    };
    let triggers = match app.triggers() {
        TriggerStatus::None => json!({"state": "none"}),
        TriggerStatus::Starting => {
            problems.push("the triggers are starting".into());
            json!({"state": "starting"})
        }
        TriggerStatus::Running(n) => json!({"state": "running", "count": n}),
        TriggerStatus::Failed(why) => {
            problems.push(format!("the triggers are not running: {why}"));
            json!({"state": "failed", "error": why})
        }
    };
    let ready = problems.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({"ready": ready, "problems": problems, "connectors": connectors, "triggers": triggers});
    (status, Json(body)).into_response()
}

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        crate::openapi::DOCUMENT,
    )
        .into_response()
}

async fn connectors(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    let catalog = app.catalog()?;
    let list: Vec<Value> = catalog.entries().map(catalog::summary).collect();
    Ok(Json(json!({ "connectors": list })))
}

async fn connector(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = app.catalog()?;
    let entry = catalog
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("no connector is named {name:?}")))?;
    match &entry.loaded {
        Ok(c) => Ok(Json(catalog::detail(entry, c))),
        Err(_) => Ok(Json(catalog::summary(entry))),
    }
}

async fn operation(
    State(app): State<Arc<App>>,
    Path((name, op)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let c = app.connector(&name)?;
    let o = c.description().operation(&op).ok_or_else(|| {
        ApiError::not_found(format!("the connector {name:?} has no operation {op:?}"))
    })?;
    Ok(Json(catalog::operation_json(o)))
}

async fn list_connections(State(app): State<Arc<App>>) -> Json<Value> {
    let catalog = app.catalog_if_loaded();
    let describe = |name: &str| {
        catalog
            .as_ref()
            .and_then(|c| c.get(name))
            .and_then(|e| e.loaded.as_ref().ok())
            .map(|c| c.description())
    };
    Json(json!({ "connections": app.connections.list(describe) }))
}

async fn get_connection(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = app.catalog_if_loaded();
    let describe = |n: &str| {
        catalog
            .as_ref()
            .and_then(|c| c.get(n))
            .and_then(|e| e.loaded.as_ref().ok())
            .map(|c| c.description())
    };
    Ok(Json(app.connections.get(&name, describe)?))
}

async fn create_connection(
    State(app): State<Arc<App>>,
    payload: Result<Json<ConnectionInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = payload?.0;
    let view = app.connections.create(input, |c| app.description(c))?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

async fn update_connection(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    payload: Result<Json<ConnectionInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let input = payload?.0;
    Ok(Json(
        app.connections
            .update(&name, input, |c| app.description(c))?,
    ))
}

async fn delete_connection(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.connections.delete(&name)?;
    Ok(StatusCode::NO_CONTENT)
}
