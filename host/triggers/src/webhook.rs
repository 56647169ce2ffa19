//! The `webhook` binding of push triggers: the host listens for HTTP
//! requests, routes each by its path to the push trigger bound there, lets
//! the connector turn it into items (`handle-event`), and delivers them on
//! the same path as polled items. The caller learns the outcome from the
//! status: 202 once every item is in the sink, 4xx when the connector
//! refused the request, 5xx (retry later) when something failed.

//!
//! The listener is hyper's HTTP/1.1 (keep-alive) behind an [`axum::Router`]
//! ([`router`], which another server can mount); [`WebhookServer`] is the
//! listener of its own that `run` starts. Limits: a short time for the
//! request head ([`ServerLimits::head_timeout`]), then `request_timeout` for
//! the body, `max_body`, [`MAX_CONNECTIONS`] connections and
//! [`MAX_CONCURRENT_REQUESTS`] requests being handled at once.

mod respond;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::clock::Clock;
use super::delivery::Delivery;
use super::http::{MAX_HEAD_BYTES, MAX_HEADERS, ServerLimits};
use super::store::StateStore;
use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::description::ItemMode;
use serde_json::Value;

pub use connector_runtime::connector::push::{WEBHOOK_BINDING, webhook_path};
pub use respond::MAX_CONCURRENT_REQUESTS;

/// Most connections open at once (idle keep-alive ones, ones still sending
/// their head or body, ones being handled); one more is answered 503 and
/// closed at once. A head must arrive within [`ServerLimits::head_timeout`],
/// so connections that trickle theirs in free their place quickly.
pub const MAX_CONNECTIONS: usize = 1024;

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

/// The routes of `routes` as a router: each request read within `limits`
/// (body size and time; the head limits are the connection's, see
/// [`http1_builder`]), handled by its trigger's connector and delivered, at
/// most [`MAX_CONCURRENT_REQUESTS`] at once. After `shutdown` turns true,
/// requests get 503 with `Retry-After`.
pub fn router(
    routes: WebhookRoutes,
    delivery: Arc<Delivery>,
    store: Arc<dyn StateStore>,
    clock: Arc<dyn Clock>,
    limits: ServerLimits,
    shutdown: watch::Receiver<bool>,
) -> axum::Router {
    respond::router(Arc::new(respond::Shared {
        routes: routes.routes,
        delivery,
        store,
        clock,
        limits,
        shutdown,
        handling: Semaphore::new(MAX_CONCURRENT_REQUESTS),
    }))
}

/// The HTTP/1.1 connection settings of the listener: keep-alive, the head
/// within `limits.head_timeout` (also how long an idle connection stays),
/// and hard caps of twice [`MAX_HEAD_BYTES`] and [`MAX_HEADERS`] for a head
/// and for trailers (the router answers 431 with the real limit below that;
/// past the caps hyper answers a bare 431 and closes).
pub fn http1_builder(limits: &ServerLimits) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(limits.head_timeout)
        .max_headers(2 * MAX_HEADERS)
        .max_header_size(2 * MAX_HEAD_BYTES);
    builder
}

/// The webhook listener.
pub struct WebhookServer {
    listener: TcpListener,
    router: axum::Router,
    limits: ServerLimits,
    shutdown: watch::Receiver<bool>,
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
        let router = router(routes, delivery, store, clock, limits, shutdown.clone())
            .fallback(respond::not_found);
        Ok(Self {
            listener,
            router,
            limits,
            shutdown,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until shutdown, then stops accepting, closes idle connections,
    /// lets the requests in progress finish for up to `grace` and drops the
    /// rest (their callers see the connection close, and send again).
    pub async fn serve(self, grace: Duration) {
        let Self {
            listener,
            router,
            limits,
            mut shutdown,
        } = self;
        let builder = http1_builder(&limits);
        let places = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let graceful = GracefulShutdown::new();
        let mut tasks = JoinSet::new();
        loop {
            while tasks.try_join_next().is_some() {}
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
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
            let Ok(place) = places.clone().try_acquire_owned() else {
                // Answered without reading: the point is not to wait for it.
                tasks.spawn(async move {
                    let _ = stream.write_all(&busy()).await;
                    let _ = stream.shutdown().await;
                });
                continue;
            };
            // Small answers on kept-alive connections: do not wait for Nagle.
            let _ = stream.set_nodelay(true);
            let service = TowerToHyperService::new(router.clone());
            let connection =
                graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
            tasks.spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(%peer, "webhook connection: {e}");
                }
                drop(place);
            });
        }
        drop(listener);
        let finish = async {
            graceful.shutdown().await;
            while tasks.join_next().await.is_some() {}
        };
        if tokio::time::timeout(grace, finish).await.is_err() {
            tracing::warn!(
                "webhook: {} connection(s) still busy after {grace:?}; dropped",
                tasks.len()
            );
            tasks.abort_all();
        }
    }
}

/// The answer when every connection place is taken.
fn busy() -> Vec<u8> {
    let body = r#"{"error":{"kind":"busy","message":"too many connections at once; send again"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}\n",
        body.len() + 1
    )
    .into_bytes()
}
