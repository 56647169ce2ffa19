//! The routes of the webhook listener as an [`axum::Router`]: one route per
//! bound path, each request read within its limits, turned into items by
//! the connector (`handle-event`) and delivered; the status says what
//! became of it (202 stored, 4xx refused, 5xx send again).
//!
//! The router is what [`super::WebhookServer`] serves, and what another
//! server (`connector-host serve`) can mount. The head-level limits (the time
//! to send a head, the hard caps on its size) belong to the HTTP connection,
//! not the router: a server that mounts these routes sets them on its own
//! hyper connections (see [`super::http1_builder`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

use super::PushTrigger;
use crate::clock::Clock;
use crate::delivery::{Delivery, blocking};
use crate::event::{EventSource, Origin, events_from_items};
use crate::http::{MAX_HEAD_BYTES, MAX_HEADERS, ServerLimits};
use crate::store::{Activity, StateStore};
use connector_runtime::connector::RawEvent;
use connector_runtime::error::{CallError, ErrorKind};
use connector_runtime::limits::LimitKind;

/// Most requests handled at once (their body read, the connector called,
/// the sink writing); more get 503 at once. Requests still being received
/// take no slot, so slow senders cannot starve the ones ready to go.
pub const MAX_CONCURRENT_REQUESTS: usize = 256;

/// What the handlers share.
pub(super) struct Shared {
    pub(super) routes: BTreeMap<String, Arc<PushTrigger>>,
    pub(super) delivery: Arc<Delivery>,
    pub(super) store: Arc<dyn StateStore>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) limits: ServerLimits,
    pub(super) shutdown: watch::Receiver<bool>,
    /// Slots for requests being handled.
    pub(super) handling: Semaphore,
}

/// The router of `shared`'s paths (any method: the connector decides).
pub(super) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new();
    for path in shared.routes.keys() {
        router = router.route(&escape(path), any(handle));
    }
    router.with_state(shared)
}

/// A webhook path as a literal axum route: braces are route syntax.
fn escape(path: &str) -> String {
    path.replace('{', "{{").replace('}', "}}")
}

/// The answer to a request that no route takes (for a listener of its own).
pub(super) async fn not_found(request: Request) -> Response {
    answer(
        StatusCode::NOT_FOUND,
        &[],
        error_body(
            "not-found",
            &format!("no push trigger is bound to {}", request.uri().path()),
        ),
    )
}

type Headers<'a> = &'a [(&'static str, String)];

/// A JSON answer (one line), with `headers`.
fn answer(status: StatusCode, headers: Headers<'_>, body: Value) -> Response {
    let mut text = body.to_string();
    text.push('\n');
    let mut response = (status, text).into_response();
    let map = response.headers_mut();
    map.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            map.insert(*name, v);
        }
    }
    response
}

fn error_body(kind: &str, message: &str) -> Value {
    json!({ "error": { "kind": kind, "message": message } })
}

fn refuse(status: StatusCode, kind: &str, message: &str) -> Response {
    answer(status, &[], error_body(kind, message))
}

fn retry_later(kind: &str, message: &str, seconds: u32) -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &[("retry-after", seconds.to_string())],
        error_body(kind, message),
    )
}

/// Checks the head against the listener's stated limits (the connection's
/// parser refuses only at twice these, with a bare 431), and the transfer
/// codings against the one this listener decodes.
/// A refusal, boxed: a `Response` is large for an `Err`.
type Refused = Box<Response>;

fn check_head(method: &str, target: &str, headers: &HeaderMap) -> Result<(), Refused> {
    if headers.len() > MAX_HEADERS {
        return Err(Box::new(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "bad-request",
            &format!(
                "the request has {} header fields; at most {MAX_HEADERS} are taken",
                headers.len()
            ),
        )));
    }
    let size = method.len()
        + target.len()
        + 12
        + headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if size > MAX_HEAD_BYTES {
        return Err(Box::new(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "bad-request",
            &format!("the request head is {size} bytes; at most {MAX_HEAD_BYTES} are taken"),
        )));
    }
    let codings: Vec<String> = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(other) = codings.iter().find(|c| *c != "chunked") {
        return Err(Box::new(refuse(
            StatusCode::NOT_IMPLEMENTED,
            "bad-request",
            &format!("transfer-encoding {other:?} is not supported (only chunked)"),
        )));
    }
    if codings.len() > 1 {
        return Err(Box::new(refuse(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "chunked is applied more than once",
        )));
    }
    Ok(())
}

/// Reads the body within `max_body` and `body_timeout`, trailers included.
async fn read_body(body: Body, limits: &ServerLimits) -> Result<Vec<u8>, Refused> {
    let read = Limited::new(body, limits.max_body).collect();
    let collected = match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => {
            return Err(Box::new(refuse(
                StatusCode::REQUEST_TIMEOUT,
                "bad-request",
                &format!(
                    "the request body did not arrive within {:?}",
                    limits.body_timeout
                ),
            )));
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(Box::new(too_large(limits.max_body)));
        }
        Ok(Err(e)) => {
            return Err(Box::new(refuse(
                StatusCode::BAD_REQUEST,
                "bad-request",
                &format!("the request body could not be read: {e}"),
            )));
        }
        Ok(Ok(collected)) => collected,
    };
    if let Some(trailers) = collected.trailers() {
        // The parser caps trailers at twice the head limits; these are ours.
        check_head("", "", trailers).map_err(|_| {
            Box::new(refuse(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "bad-request",
                &format!(
                    "the request's trailers are larger than a head may be \
                     ({MAX_HEADERS} fields, {MAX_HEAD_BYTES} bytes)"
                ),
            ))
        })?;
    }
    Ok(collected.to_bytes().to_vec())
}

fn too_large(max: usize) -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        "bad-request",
        &format!("the request body is larger than {max} bytes"),
    )
}

/// Handles one request: limits, route, handle-event, deliver.
async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    if let Err(refused) = check_head(parts.method.as_str(), &target, &parts.headers) {
        return *refused;
    }
    let Some(trigger) = shared.routes.get(parts.uri.path()).cloned() else {
        return not_found(Request::from_parts(parts, Body::empty())).await;
    };
    if *shared.shutdown.borrow() {
        return retry_later(
            "shutting-down",
            "the host is shutting down; send again later",
            5,
        );
    }
    let announced = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|len| len > shared.limits.max_body as u64) {
        return too_large(shared.limits.max_body);
    }
    let body = match read_body(body, &shared.limits).await {
        Ok(b) => b,
        Err(refused) => return *refused,
    };
    let Ok(_slot) = shared.handling.try_acquire() else {
        return retry_later(
            "busy",
            &format!("{MAX_CONCURRENT_REQUESTS} requests are already being handled"),
            1,
        );
    };
    let event = RawEvent {
        method: parts.method.as_str().to_string(),
        path: target,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).trim().to_string();
                (n.as_str().to_string(), value)
            })
            .collect(),
        body,
    };
    deliver(&shared, trigger, event).await
}

/// Lets the connector turn `event` into items and delivers them.
async fn deliver(shared: &Shared, trigger: Arc<PushTrigger>, event: RawEvent) -> Response {
    let received_at = shared.clock.now();
    let t = trigger.clone();
    let handled = tokio::task::spawn_blocking(move || {
        t.connector
            .handle_event(&t.operation, &t.connection, &t.input, &event)
    })
    .await;
    let items = match handled {
        Ok(Ok(items)) => items,
        Ok(Err(e)) => {
            let (status, headers) = status_of(&e);
            let message = trigger.redactor.redact(&e.to_string());
            record_failure(shared, &trigger.name, &message).await;
            if status.is_server_error() {
                tracing::warn!(trigger = %trigger.name, "webhook event failed: {message}");
            } else {
                tracing::info!(trigger = %trigger.name, %status, "webhook event refused: {message}");
            }
            let mut body = error_body(e.category(), &message);
            if let CallError::Connector { error, .. } = &e {
                // The connector's own words: what kind of refusal, and its code.
                body["error"]["kind"] = error.kind.to_string().into();
                body["error"]["code"] = error.code.clone().into();
            }
            return answer(status, &headers, body);
        }
        Err(e) => {
            let message = format!("the event handler crashed: {e}");
            record_failure(shared, &trigger.name, &message).await;
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "host", &message);
        }
    };
    let origin = Origin {
        trigger: &trigger.name,
        connector: &trigger.connector_name,
        operation: &trigger.operation,
        source: EventSource::Push,
        at: received_at,
    };
    let events = events_from_items(&origin, trigger.item_mode, items);
    match shared.delivery.deliver(&trigger.name, &events).await {
        Ok(done) => answer(
            StatusCode::ACCEPTED,
            &[],
            json!({
                "accepted": done.events,
                "items": done.items,
                "duplicates": done.duplicates,
                "events": events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            }),
        ),
        Err(e) => {
            let message = trigger.redactor.redact(&e.to_string());
            tracing::warn!(trigger = %trigger.name, "webhook event not delivered: {message}");
            record_failure(shared, &trigger.name, &message).await;
            retry_later("delivery", &format!("not stored, send again: {message}"), 5)
        }
    }
}

async fn record_failure(shared: &Shared, trigger: &str, message: &str) {
    let (store, trigger, message, at) = (
        shared.store.clone(),
        trigger.to_string(),
        message.to_string(),
        shared.clock.now(),
    );
    if let Err(e) =
        blocking(move || store.record_failure(&trigger, Activity::Event, &message, at)).await
    {
        tracing::error!("cannot record a webhook failure: {e}");
    }
}

/// The HTTP status for a failed `handle-event`: the connector's error kind
/// says whose fault it is; the host's own concurrency limit is overload
/// (503, send again); a crash or another limit is the connector's (500).
fn status_of(e: &CallError) -> (StatusCode, Vec<(&'static str, String)>) {
    let error = match e {
        CallError::Connector { error, .. } => error,
        CallError::Limit {
            limit: LimitKind::Concurrency,
            ..
        } => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                vec![("retry-after", "1".into())],
            );
        }
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
    };
    let status = match error.kind {
        ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Transient => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut headers = Vec::new();
    if let Some(ms) = error.retry_after_ms {
        headers.push(("retry-after", ms.div_ceil(1000).max(1).to_string()));
    }
    (status, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_in_a_path_are_literal() {
        assert_eq!(escape("/hooks/{x}"), "/hooks/{{x}}");
        assert_eq!(escape("/hooks/a"), "/hooks/a");
    }

    #[test]
    fn the_concurrency_limit_is_overload_not_a_crash() {
        let (status, headers) = status_of(&CallError::Limit {
            connector: "c".into(),
            limit: LimitKind::Concurrency,
            detail: "16 calls are already running".into(),
        });
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers, [("retry-after", "1".to_string())]);
        let (status, _) = status_of(&CallError::Limit {
            connector: "c".into(),
            limit: LimitKind::Fuel,
            detail: "out of fuel".into(),
        });
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
