//! `Request` triggers: `POST /workflows/<name>/triggers/<trigger>/invoke` starts a run with
//! the request's headers and body as the trigger outputs. When the workflow has a `Response`
//! action the request waits (up to `[workflows] request_timeout`) for it and gets its status,
//! headers and body; otherwise, or on timeout, it gets `202 {"runId": ..}` at once. Bodies
//! larger than `[workflows] max_body` get 413. The listener is loopback-only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use connector_workflows::definition::{ActionType, WorkflowFile};
use connector_workflows::trigger::{conditions_hold, split_events};

use crate::executor::Executor;
use crate::store::{RunStore, new_run_id};

/// Finds the enabled workflow with a `Request` trigger of a name, as it is now (a workflow
/// saved through the server replaces the one the listener started with).
pub type Lookup = Arc<dyn Fn(&str) -> Option<Arc<WorkflowFile>> + Send + Sync>;

struct Shared {
    store: Arc<RunStore>,
    executor: Arc<Executor>,
    workflows: Lookup,
    timeout: Duration,
}

/// Whether `w` has a `Response` action (so that its request waits for it).
fn responds(w: &WorkflowFile) -> bool {
    w.all_actions()
        .iter()
        .any(|a| a.action_type == ActionType::Response)
}

/// The router of the `Request` triggers of the workflows `lookup` finds.
pub fn router(
    store: Arc<RunStore>,
    executor: Arc<Executor>,
    lookup: Lookup,
    max_body: usize,
    timeout: Duration,
) -> Router {
    let shared = Arc::new(Shared {
        store,
        executor,
        workflows: lookup,
        timeout,
    });
    Router::new()
        .route(
            "/workflows/{workflow}/triggers/{trigger}/invoke",
            post(invoke),
        )
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}

/// Binds `addr` (loopback only) and serves `router` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!("refusing to listen on {addr}: Request triggers listen on loopback only"),
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("the Request trigger listener stopped: {e}");
        }
    });
    Ok((bound, task))
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn accepted(runs: &[String]) -> Response {
    let body = match runs {
        [one] => json!({"runId": one}),
        many => json!({"runIds": many}),
    };
    (StatusCode::ACCEPTED, axum::Json(body)).into_response()
}

async fn invoke(
    State(s): State<Arc<Shared>>,
    Path((workflow, trigger)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(w) = (s.workflows)(&workflow) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no workflow `{workflow}` with a Request trigger"),
        );
    };
    let t = &w.workflow.definition.triggers[0];
    if t.name != trigger {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "the workflow `{workflow}` has no trigger `{trigger}` (it has `{}`)",
                t.name
            ),
        );
    }
    let body = if body.is_empty() {
        Value::Null
    } else if let Ok(v) = serde_json::from_slice::<Value>(&body) {
        v
    } else {
        match std::str::from_utf8(&body) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "the body is neither JSON nor UTF-8 text".into(),
                );
            }
        }
    };
    let mut h = Map::new();
    for (name, value) in &headers {
        if let Ok(v) = value.to_str() {
            h.insert(name.as_str().to_owned(), Value::String(v.to_owned()));
        }
    }
    let outputs = json!({"headers": h, "body": body});
    let events = match split_events(t, outputs) {
        Ok(e) => e,
        Err(m) => return error(StatusCode::BAD_REQUEST, m),
    };
    let mut kept = Vec::new();
    for e in events {
        match conditions_hold(t, &e) {
            Ok(true) => kept.push(e),
            Ok(false) => {}
            Err(m) => return error(StatusCode::BAD_REQUEST, m),
        }
    }
    let ids: Vec<String> = kept.iter().map(|_| new_run_id()).collect();
    let wait = responds(&w) && ids.len() == 1;
    let (tx, rx) = tokio::sync::oneshot::channel::<Value>();
    if wait {
        s.executor.on_response(
            &ids[0],
            Box::new(move |v| {
                let _ = tx.send(v);
            }),
        );
    }
    let store = s.store.clone();
    let (wf, tn, ids2) = (w.name.clone(), t.name.clone(), ids.clone());
    let created = tokio::task::spawn_blocking(move || {
        ids2.iter()
            .zip(&kept)
            .try_for_each(|(id, outputs)| store.create_run_with_id(id, &wf, &tn, outputs))
    })
    .await;
    if !matches!(created, Ok(Ok(()))) {
        if wait {
            s.executor.forget_response(&ids[0]);
        }
        tracing::error!("cannot record a run of {workflow}: {created:?}");
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the run could not be recorded; try again".into(),
        );
    }
    s.executor.wake();
    if !wait {
        return accepted(&ids);
    }
    match tokio::time::timeout(s.timeout, rx).await {
        Ok(Ok(answer)) => respond(&answer),
        Ok(Err(_)) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({"runId": ids[0], "error": "the run ended without reaching its Response action"})),
        )
            .into_response(),
        Err(_) => {
            s.executor.forget_response(&ids[0]);
            accepted(&ids)
        }
    }
}

/// The HTTP answer of a `Response` action's `{statusCode, headers, body}`.
fn respond(answer: &Value) -> Response {
    let status = answer
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .and_then(|n| StatusCode::from_u16(n).ok())
        .unwrap_or(StatusCode::OK);
    let body = answer.get("body").cloned().unwrap_or(Value::Null);
    let mut response = match body {
        Value::String(text) => (status, text).into_response(),
        Value::Null => status.into_response(),
        other => (status, axum::Json(other)).into_response(),
    };
    if let Some(Value::Object(headers)) = answer.get("headers") {
        for (k, v) in headers {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(k.as_str()),
                HeaderValue::try_from(text),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}
