//! The `webhook` binding of push triggers: the host listens for HTTP
//! requests, routes each by its path to the push trigger bound there, lets
//! the connector turn it into items (`handle-event`), and delivers them on
//! the same path as polled items. The caller learns the outcome from the
//! status: 202 once every item is in the sink, 4xx when the connector
//! refused the request, 5xx (retry later) when something failed.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::clock::Clock;
use super::delivery::{Delivery, blocking};
use super::event::{EventSource, Origin, events_from_items};
use super::http::{self, Request, ServerLimits};
use super::store::{Activity, StateStore};
use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::{Connector, RawEvent};
use connector_runtime::description::ItemMode;
use connector_runtime::error::{CallError, ErrorKind};

pub use connector_runtime::connector::push::{WEBHOOK_BINDING, webhook_path};

/// Most requests handled at once; more are answered 503 at once.
const MAX_CONCURRENT_REQUESTS: usize = 256;

/// A push trigger of a loaded connector, with its connection and input.
pub struct PushTrigger {
    /// The trigger's name in the configuration.
    pub name: String,
    /// The connector's name in the configuration.
    pub connector_name: String,
    pub connector: Arc<Connector>,
    pub operation: String,
    pub connection: Connection,
    pub input: Value,
    pub item_mode: ItemMode,
    /// Hides the connection's secrets in error messages.
    pub redactor: Redactor,
}

/// Push triggers by the webhook path they are bound to.
#[derive(Default)]
pub struct WebhookRoutes {
    routes: BTreeMap<String, Arc<PushTrigger>>,
}

impl WebhookRoutes {
    /// No routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the trigger for its binding (a blocking call into the
    /// connector) and routes its path to it. The error says what is wrong
    /// with the binding, for the trigger's entry in the configuration.
    pub fn bind(&mut self, trigger: PushTrigger) -> Result<String, String> {
        let binding = trigger
            .connector
            .push_binding(&trigger.operation, &trigger.connection, &trigger.input)
            .map_err(|e| {
                format!(
                    "push-binding failed: {}",
                    trigger.redactor.redact(&e.to_string())
                )
            })?;
        let path = webhook_path(&binding)?;
        if let Some(other) = self.routes.get(&path) {
            return Err(format!(
                "the webhook path {path} is already bound to trigger {:?}",
                other.name
            ));
        }
        self.routes.insert(path.clone(), Arc::new(trigger));
        Ok(path)
    }

    /// Whether no trigger is bound.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// `(path, trigger name)` of every route.
    pub fn paths(&self) -> Vec<(String, String)> {
        self.routes
            .iter()
            .map(|(path, t)| (path.clone(), t.name.clone()))
            .collect()
    }
}

/// What the handlers share.
struct Shared {
    routes: WebhookRoutes,
    delivery: Arc<Delivery>,
    store: Arc<dyn StateStore>,
    clock: Arc<dyn Clock>,
    limits: ServerLimits,
    shutdown: watch::Receiver<bool>,
}

/// The webhook listener.
pub struct WebhookServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl WebhookServer {
    /// Listens on `addr` (port 0 picks a free port; see [`Self::local_addr`]).
    pub async fn bind(
        addr: SocketAddr,
        routes: WebhookRoutes,
        delivery: Arc<Delivery>,
        store: Arc<dyn StateStore>,
        clock: Arc<dyn Clock>,
        limits: ServerLimits,
        shutdown: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                routes,
                delivery,
                store,
                clock,
                limits,
                shutdown,
            }),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until shutdown, then stops accepting, lets the requests in
    /// progress finish for up to `grace` and drops the rest (their callers
    /// see the connection close, and send again).
    pub async fn serve(self, grace: Duration) {
        let mut shutdown = self.shared.shutdown.clone();
        let permits = Arc::new(Semaphore::new(MAX_CONCURRENT_REQUESTS));
        let mut tasks = JoinSet::new();
        loop {
            while tasks.try_join_next().is_some() {}
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = shutdown.wait_for(|stop| *stop) => break,
            };
            let (mut stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("webhook listener: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                tasks.spawn(async move {
                    let _ = http::write_json_response(
                        &mut stream,
                        503,
                        &[("Retry-After", "1".into())],
                        &error_body("busy", "too many requests at once"),
                    )
                    .await;
                });
                continue;
            };
            let shared = self.shared.clone();
            tasks.spawn(async move {
                handle_connection(stream, peer, &shared).await;
                drop(permit);
            });
        }
        drop(self.listener);
        let finish = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, finish).await.is_err() {
            tracing::warn!(
                "webhook: {} request(s) still in progress after {grace:?}; dropped",
                tasks.len()
            );
            tasks.abort_all();
        }
    }
}

async fn handle_connection(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let request = match http::read_request(&mut stream, &shared.limits).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%peer, "webhook: {e}");
            if let Some(status) = e.status() {
                let _ = http::write_json_response(
                    &mut stream,
                    status,
                    &[],
                    &error_body("bad-request", &e.to_string()),
                )
                .await;
            }
            return;
        }
    };
    let (status, headers, body) = respond(shared, request).await;
    if let Err(e) = http::write_json_response(&mut stream, status, &headers, &body).await {
        tracing::debug!(%peer, "webhook: cannot answer: {e}");
    }
}

type Answer = (u16, Vec<(&'static str, String)>, Value);

fn error_body(kind: &str, message: &str) -> Value {
    json!({ "error": { "kind": kind, "message": message } })
}

/// Handles one request: route, handle-event, deliver.
async fn respond(shared: &Shared, request: Request) -> Answer {
    let Some(trigger) = shared.routes.routes.get(request.path()).cloned() else {
        return (
            404,
            Vec::new(),
            error_body(
                "not-found",
                &format!("no push trigger is bound to {}", request.path()),
            ),
        );
    };
    if *shared.shutdown.borrow() {
        return (
            503,
            vec![("Retry-After", "5".into())],
            error_body(
                "shutting-down",
                "the host is shutting down; send again later",
            ),
        );
    }
    let received_at = shared.clock.now();
    let event = RawEvent {
        method: request.method,
        path: request.target,
        headers: request.headers,
        body: request.body,
    };
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
            if status >= 500 {
                tracing::warn!(trigger = %trigger.name, "webhook event failed: {message}");
            } else {
                tracing::info!(trigger = %trigger.name, status, "webhook event refused: {message}");
            }
            let mut body = error_body(e.category(), &message);
            if let CallError::Connector { error, .. } = &e {
                // The connector's own words: what kind of refusal, and its code.
                body["error"]["kind"] = error.kind.to_string().into();
                body["error"]["code"] = error.code.clone().into();
            }
            return (status, headers, body);
        }
        Err(e) => {
            let message = format!("the event handler crashed: {e}");
            record_failure(shared, &trigger.name, &message).await;
            return (500, Vec::new(), error_body("host", &message));
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
        Ok(done) => (
            202,
            Vec::new(),
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
            (
                503,
                vec![("Retry-After", "5".into())],
                error_body("delivery", &format!("not stored, send again: {message}")),
            )
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
/// says whose fault it is; a crash or a limit is the connector's (500).
fn status_of(e: &CallError) -> (u16, Vec<(&'static str, String)>) {
    let CallError::Connector { error, .. } = e else {
        return (500, Vec::new());
    };
    let status = match error.kind {
        ErrorKind::InvalidInput => 400,
        ErrorKind::Unauthorized => 401,
        ErrorKind::Forbidden => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        ErrorKind::Throttled => 429,
        ErrorKind::Transient => 503,
        ErrorKind::Internal => 500,
    };
    let mut headers = Vec::new();
    if let Some(ms) = error.retry_after_ms {
        headers.push(("Retry-After", ms.div_ceil(1000).max(1).to_string()));
    }
    (status, headers)
}
