//! What every handler shares: the catalog (set once the connectors are
//! loaded), the connections, the call semaphore, the triggers' status and,
//! when the server serves a workflow project, the project as it runs.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use tokio::sync::Semaphore;

use connector_flows::Live;
use connector_runtime::connector::Connector;
use connector_runtime::description::{Description, OperationKind};

use crate::catalog::Catalog;
use crate::connections::Connections;
use crate::error::ApiError;

/// How the triggers of the configuration are doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerStatus {
    /// The configuration has no triggers.
    None,
    /// Waiting for the connectors, or starting.
    Starting,
    /// Running: this many.
    Running(usize),
    /// They could not start, or a task died: why.
    Failed(String),
}

/// The server's shared state.
pub struct App {
    catalog: RwLock<Option<Arc<Catalog>>>,
    /// Every connection the server can call with.
    pub connections: Connections,
    /// Connector calls of "try it" that may run at once.
    pub calls: Arc<Semaphore>,
    triggers: RwLock<TriggerStatus>,
    /// When the server started.
    pub started: Instant,
    /// The workflow project, when the server serves one and it has started.
    flows: RwLock<Option<Arc<Live>>>,
    /// Whether the server serves a project (so its workflows are coming).
    project: std::sync::atomic::AtomicBool,
}

impl App {
    /// A server state with no catalog yet.
    pub fn new(connections: Connections, triggers: TriggerStatus) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            catalog: RwLock::new(None),
            connections,
            calls: Arc::new(Semaphore::new(2 * cores)),
            triggers: RwLock::new(triggers),
            started: Instant::now(),
            flows: RwLock::new(None),
            project: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Sets the catalog once the connectors are loaded.
    pub fn set_catalog(&self, catalog: Catalog) {
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(catalog));
    }

    /// The catalog, or 503 while the connectors load.
    pub fn catalog(&self) -> Result<Arc<Catalog>, ApiError> {
        self.catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| {
                ApiError::unavailable("the connectors are still loading; try again shortly")
            })
    }

    /// The catalog if loaded.
    pub fn catalog_if_loaded(&self) -> Option<Arc<Catalog>> {
        self.catalog
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Says that the server serves a workflow project (its workflows are
    /// answered with 503 until [`App::set_flows`]).
    pub fn expect_flows(&self) {
        self.project
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the running workflow project.
    pub fn set_flows(&self, live: Arc<Live>) {
        self.expect_flows();
        *self.flows.write().unwrap_or_else(|p| p.into_inner()) = Some(live);
    }

    /// The running workflow project: 404 when the server serves a
    /// `host.toml` without workflows, 503 while the project starts.
    pub fn flows(&self) -> Result<Arc<Live>, ApiError> {
        if let Some(l) = self.flows.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(l);
        }
        if self.project.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ApiError::unavailable(
                "the workflow project is starting; try again shortly",
            ));
        }
        let mut e = ApiError::not_found(
            "this server serves a host.toml, not a workflow project; start it with \
             `connector-host serve <project dir>` to have workflows and runs",
        );
        e.code = "no-project";
        Err(e)
    }

    /// Sets the triggers' status.
    pub fn set_triggers(&self, status: TriggerStatus) {
        *self.triggers.write().unwrap_or_else(|p| p.into_inner()) = status;
    }

    /// The triggers' status.
    pub fn triggers(&self) -> TriggerStatus {
        self.triggers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The loaded connector `name`.
    pub fn connector(&self, name: &str) -> Result<Arc<Connector>, ApiError> {
        let catalog = self.catalog()?;
        let entry = catalog
            .get(name)
            .ok_or_else(|| ApiError::not_found(format!("no connector is named {name:?}")))?;
        entry.loaded.clone().map_err(|why| {
            ApiError::unavailable(format!("the connector {name:?} could not be loaded: {why}"))
        })
    }

    /// The description of the loaded connector `name`, if any.
    pub fn description(&self, name: &str) -> Option<Description> {
        self.connector(name).ok().map(|c| c.description().clone())
    }

    /// Checks that `op` is an operation of `connector` of `kind`
    /// (`action` or `polling-trigger`), as a 404 or 400.
    pub fn operation_of_kind(
        &self,
        connector: &Connector,
        op: &str,
        kind: &str,
    ) -> Result<(), ApiError> {
        let Some(o) = connector.description().operation(op) else {
            return Err(ApiError::not_found(format!(
                "the connector {:?} has no operation {op:?}",
                connector.name()
            )));
        };
        let want = match kind {
            "action" => OperationKind::Action,
            _ => OperationKind::PollingTrigger,
        };
        if o.kind != want {
            let hint = match o.kind {
                OperationKind::Action => "invoke it",
                OperationKind::PollingTrigger => "poll it",
                OperationKind::PushTrigger => "it is run by events, not from here",
            };
            return Err(ApiError::bad_request(
                "/",
                format!("{op:?} is {}; {hint}", o.kind.with_article()),
            ));
        }
        Ok(())
    }
}
