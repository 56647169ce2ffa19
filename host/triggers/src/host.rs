//! The trigger host: builds pollers, push routes, the store and the sink
//! from a [`Config`], runs them, and shuts them down.
//!
//! [`Prepared::prepare`] does everything that can fail for a reason the
//! operator must fix (loading connectors, resolving connections, checking
//! each trigger against its operation, push bindings, opening the state
//! and the sink) before anything runs; [`Prepared::start`] then starts one
//! task per polling trigger and, if push triggers are bound, the webhook
//! listener. [`Running::shutdown`] stops them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::clock::{Clock, SystemClock, human_duration};
use super::delivery::{Delivery, DeliveryError, blocking};
use super::http::ServerLimits;
use super::leases::LeaseKeeper;
use super::poller::{ConnectorPoll, PollReport, PollSource, Poller, PollerSettings};
use super::sink::{EventSink, JsonLinesSink, SinkError, StdoutSink, TornLine, WebhookSink};
use super::store::{SqliteStore, StateLock, StateStore, StoreError, TriggerStore};
use super::subscription::{self, Configured, Reconciled, WantedSubscription};
use super::webhook::{PushTrigger, WebhookRoutes, WebhookServer};
use crate::backends::{Backends, BoundPush, PushContext, StoreUse};
use crate::config::{Config, ConfigError, ConfigProblem, SinkConfig};
use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::description::{OperationKind, ParameterKind, pointer_or_root};
use connector_runtime::error::LoadError;
use connector_runtime::runtime::Runtime;

/// How often delivered ids older than the retention are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Why the host could not start.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The configuration does not fit the connectors (or is invalid).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Connectors that could not be loaded, each with why.
    #[error("{}", load_text(.0))]
    Load(Vec<(String, LoadError)>),
    /// The state store is blank but the sink already holds events: the state
    /// was lost, and starting would deliver again what the sink holds.
    #[error(
        "the state database {state} holds no trigger state, but {sink} already holds events: the \
         state was lost (a new, emptied or deleted file?). Starting now would poll every trigger \
         from the beginning and deliver again events the sink holds. Restore the state file, or \
         start with --reset-state to do this on purpose"
    )]
    StateLost {
        /// The store (a path, or a URL without its password).
        state: String,
        sink: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// The webhook listener could not listen.
    #[error("cannot listen for webhooks on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

fn load_text(errors: &[(String, LoadError)]) -> String {
    errors
        .iter()
        .map(|(name, e)| format!("connector {name:?}: {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// Poll each polling trigger once and stop (push triggers are not served).
    pub once: bool,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// How many connector calls of polling triggers run at once; the other
    /// due polls wait their turn. Calls are mostly CPU work, but a
    /// connector that waits on an outbound request holds its thread, hence
    /// a few per core. Keep it at most the pool's instances and each
    /// connector's `max_concurrency`, or the extra calls fail with the
    /// concurrency limit and back off.
    pub max_concurrent_polls: usize,
    /// Start even though the state store is blank while the sink already
    /// holds events (`--reset-state`): triggers start from nothing, and
    /// events may be delivered again.
    pub reset_state: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            once: false,
            reset_state: false,
            clock: Arc::new(SystemClock),
            max_concurrent_polls: default_concurrent_polls(),
        }
    }
}

/// Four connector calls per core.
pub fn default_concurrent_polls() -> usize {
    4 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// One polling trigger, ready to run.
struct PollingTrigger {
    settings: PollerSettings,
    source: Arc<dyn PollSource>,
}

/// Everything checked and opened; nothing running yet.
pub struct Prepared {
    config: Config,
    polling: Vec<PollingTrigger>,
    routes: WebhookRoutes,
    /// Push triggers whose binding a backend serves (`nats`).
    pushed: Vec<BoundPush>,
    store: Arc<dyn TriggerStore>,
    sink: Arc<dyn EventSink>,
    /// The SQLite file's lock (a shared store has leases instead).
    lock: Option<StateLock>,
    /// Push triggers that say `needs-subscription`.
    wanted: Vec<WantedSubscription>,
    /// The configuration's connectors and connections, to end the stored
    /// subscriptions of triggers removed since the last run.
    configured: Configured,
    /// Set when the store is blank but the sink holds events (see
    /// [`HostError::StateLost`]); `start` refuses unless told to reset.
    state_lost: bool,
}

impl Prepared {
    /// Loads the connectors, resolves the connections, checks every
    /// trigger against its operation (reporting every problem at once),
    /// binds the push triggers, takes the state's lock and opens the store
    /// and the sink. Blocking: it may compile components.
    pub fn prepare(config: &Config, runtime: &Runtime) -> Result<Self, HostError> {
        Self::prepare_with(config, runtime, &Backends::default())
    }

    /// [`Prepared::prepare`] with backends from other crates (see [`crate::backends`]).
    pub fn prepare_with(
        config: &Config,
        runtime: &Runtime,
        backends: &Backends,
    ) -> Result<Self, HostError> {
        let mut loaded: HashMap<&str, Arc<Connector>> = HashMap::new();
        let mut load_errors = Vec::new();
        for c in &config.connectors {
            match runtime.load(&c.component, c.options.clone()) {
                Ok(connector) => {
                    loaded.insert(&c.name, Arc::new(connector));
                }
                Err(e) => load_errors.push((c.name.clone(), e)),
            }
        }
        if !load_errors.is_empty() {
            return Err(HostError::Load(load_errors));
        }

        let mut problems = Vec::new();
        let mut connections: HashMap<&str, (Connection, Redactor)> = HashMap::new();
        for c in &config.connections {
            let at = format!("[[connection]] {}", c.name);
            let Some(connector) = loaded.get(c.connector.as_str()) else {
                continue; // reported by Config::parse
            };
            let resolved = match c.resolve() {
                Ok(r) => r,
                Err(why) => {
                    for w in why {
                        problems.push(ConfigProblem::new(c.location, &at, w));
                    }
                    continue;
                }
            };
            let description = connector.description();
            if let Err(e) = resolved.connection.resolve(description) {
                problems.push(ConfigProblem::new(c.location, &at, format!("{e:#}")));
                continue;
            }
            let declared_secrets: Vec<String> = description
                .service
                .connection_parameters
                .iter()
                .filter(|p| p.kind == ParameterKind::Secret)
                .filter_map(|p| {
                    if c.values.contains_key(&p.name) {
                        tracing::warn!(
                            "{at}: {:?} is a secret but is given in `values`; move it to `secrets`",
                            p.name
                        );
                    }
                    resolved.connection.get(&p.name).map(str::to_string)
                })
                .collect();
            let redactor =
                Redactor::new(resolved.secret_values.into_iter().chain(declared_secrets));
            connections.insert(&c.name, (resolved.connection, redactor));
        }

        let mut configured = Configured {
            connectors: loaded
                .iter()
                .map(|(name, c)| (name.to_string(), c.clone()))
                .collect(),
            connections: HashMap::new(),
        };
        for c in &config.connections {
            if let Some((connection, redactor)) = connections.get(c.name.as_str()) {
                configured.connections.insert(
                    c.name.clone(),
                    (c.connector.clone(), connection.clone(), redactor.clone()),
                );
            }
        }
        let mut wanted = Vec::new();
        let mut polling = Vec::new();
        let mut routes = WebhookRoutes::new();
        let mut pushed = Vec::new();
        for t in &config.triggers {
            let at = format!("[[trigger]] {}", t.name);
            let mut problem =
                |message: String| problems.push(ConfigProblem::new(t.location, &at, message));
            let Some(connection_config) = config.connection(&t.connection) else {
                continue;
            };
            let (Some(connector), Some((connection, redactor))) = (
                loaded.get(connection_config.connector.as_str()),
                connections.get(t.connection.as_str()),
            ) else {
                continue;
            };
            let description = connector.description();
            let Some(op) = description.operation(&t.operation) else {
                let triggers: Vec<&str> = description
                    .operations
                    .iter()
                    .filter(|o| o.kind != OperationKind::Action)
                    .map(|o| o.id.as_str())
                    .collect();
                problem(format!(
                    "connector {:?} has no operation {:?} (its triggers: {})",
                    connection_config.connector,
                    t.operation,
                    if triggers.is_empty() {
                        "none".into()
                    } else {
                        triggers.join(", ")
                    }
                ));
                continue;
            };
            let Some(trigger_settings) = &op.trigger else {
                problem(format!(
                    "operation {:?} of connector {:?} is an action, not a trigger",
                    t.operation, connection_config.connector
                ));
                continue;
            };
            if let Ok(schema) = jsonschema::validator_for(&op.input_schema) {
                let errors: Vec<String> = schema
                    .iter_errors(&t.input)
                    .map(|e| {
                        format!(
                            "at {}: {e}",
                            pointer_or_root(&e.instance_path().to_string())
                        )
                    })
                    .collect();
                if !errors.is_empty() {
                    problem(format!(
                        "input does not fit the input schema of {:?}: {}",
                        t.operation,
                        errors.join("; ")
                    ));
                    continue;
                }
            }
            match op.kind {
                OperationKind::PollingTrigger => {
                    let recurrence = t.recurrence.unwrap_or(Duration::from_secs(u64::from(
                        trigger_settings.default_recurrence_seconds,
                    )));
                    polling.push(PollingTrigger {
                        settings: PollerSettings {
                            trigger: t.name.clone(),
                            connector: connection_config.connector.clone(),
                            operation: t.operation.clone(),
                            item_mode: trigger_settings.item_mode,
                            recurrence,
                            backoff: config.host.backoff,
                            redactor: redactor.clone(),
                        },
                        source: Arc::new(ConnectorPoll {
                            connector: connector.clone(),
                            operation: t.operation.clone(),
                            connection: connection.clone(),
                            input: t.input.clone(),
                        }),
                    });
                }
                OperationKind::PushTrigger => {
                    if t.recurrence.is_some() {
                        problem("recurrence does not apply to a push trigger (events come when they come)".into());
                        continue;
                    }
                    let push = PushTrigger {
                        name: t.name.clone(),
                        connector_name: connection_config.connector.clone(),
                        connector: connector.clone(),
                        operation: t.operation.clone(),
                        connection: connection.clone(),
                        input: t.input.clone(),
                        item_mode: trigger_settings.item_mode,
                        redactor: redactor.clone(),
                    };
                    // A binding type other than `webhook` goes to its backend (`nats`).
                    let push = match backends.bind_push(push) {
                        Err(why) => {
                            problem(why);
                            continue;
                        }
                        Ok(Ok(bound)) => {
                            pushed.push(bound);
                            continue;
                        }
                        Ok(Err(webhook)) => webhook,
                    };
                    let bound = routes.bind(push);
                    match bound {
                        Err(why) => problem(why),
                        Ok(path) if trigger_settings.needs_subscription => {
                            wanted.push(WantedSubscription {
                                trigger: t.name.clone(),
                                connector_name: connection_config.connector.clone(),
                                connection_name: t.connection.clone(),
                                connector: connector.clone(),
                                operation: t.operation.clone(),
                                connection: connection.clone(),
                                input: t.input.clone(),
                                path,
                                redactor: redactor.clone(),
                            });
                        }
                        Ok(_) => {}
                    }
                }
                OperationKind::Action => unreachable!("actions have no trigger settings"),
            }
        }
        if config.triggers.is_empty() {
            problems.push(ConfigProblem::new(
                None,
                "[[trigger]]",
                "no triggers are configured: there is nothing to run",
            ));
        }
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                file: config.file.clone(),
                problems,
            }
            .into());
        }

        let (lock, store): (_, Arc<dyn TriggerStore>) = match &config.host.state_url {
            Some(_) => (None, backends.open_store(&config.host, StoreUse::Host)?),
            None => (
                Some(StateLock::acquire(&config.host.state)?),
                Arc::new(SqliteStore::open(&config.host.state)?),
            ),
        };
        let sink: Arc<dyn EventSink> = match &config.sink {
            SinkConfig::JsonLines { path } => Arc::new(JsonLinesSink::open(path)?),
            SinkConfig::Stdout => Arc::new(StdoutSink),
            SinkConfig::Webhook(settings) => Arc::new(WebhookSink::new(settings.clone())),
            #[allow(unreachable_patterns)]
            other => backends.open_sink(other)?,
        };
        let state_lost = store.is_blank()? && sink.holds_events()?;
        if let Some(torn) = sink.torn_line() {
            report_torn_line(&torn, store.as_ref(), &sink.describe())?;
        }
        Ok(Self {
            config: config.clone(),
            polling,
            routes,
            pushed,
            store,
            sink,
            lock,
            wanted,
            configured,
            state_lost,
        })
    }

    /// What will run, for people, one line each.
    pub fn summary(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for p in &self.polling {
            lines.push(format!(
                "polling trigger {} ({}.{}) every {}",
                p.settings.trigger,
                p.settings.connector,
                p.settings.operation,
                human_duration(p.settings.recurrence)
            ));
        }
        for (path, trigger) in self.routes.paths() {
            let subscribed = if self.wanted.iter().any(|w| w.trigger == trigger) {
                " (subscribed at its event source)"
            } else {
                ""
            };
            lines.push(format!(
                "push trigger {trigger} on webhook path {path}{subscribed}"
            ));
        }
        for p in &self.pushed {
            lines.push(format!(
                "push trigger {} on {}",
                p.trigger.name, p.listens_on
            ));
        }
        lines.push(format!("events go to {}", self.sink.describe()));
        lines.push(format!("state is kept in {}", self.store.describe()));
        if let Some(leases) = self.store.leases() {
            lines.push(format!(
                "this host is {}: it polls the triggers whose lease it holds ({} each, renewed)",
                leases.host_id(),
                human_duration(self.config.host.lease_ttl)
            ));
        }
        lines
    }

    /// The state store.
    pub fn store(&self) -> Arc<dyn TriggerStore> {
        self.store.clone()
    }

    /// Starts the pollers and, unless `once`, the webhook listener.
    pub async fn start(self, options: RunOptions) -> Result<Running, HostError> {
        if self.state_lost && !options.reset_state {
            return Err(HostError::StateLost {
                state: self.store.describe(),
                sink: self.sink.describe(),
            });
        }
        if self.state_lost {
            tracing::warn!(
                "--reset-state: the state database is blank and the sink holds events; \
                 triggers start from nothing"
            );
        }
        let clock = options.clock;
        {
            let (store, now) = (self.store.clone(), clock.now());
            blocking(move || store.mark_started(now)).await?;
        }
        let store: Arc<dyn StateStore> = self.store.clone();
        let delivery = Arc::new(Delivery::new(
            store.clone(),
            self.sink.clone(),
            clock.clone(),
        ));
        let recovered = delivery.recover().await?;
        let retention = self.config.host.dedupe_retention;
        let prune = {
            let (store, now) = (store.clone(), clock.now());
            move || {
                store.prune_delivered(now.checked_sub(retention).unwrap_or(std::time::UNIX_EPOCH))
            }
        };
        let pruned = blocking(prune).await?;
        if pruned > 0 {
            tracing::info!(
                "forgot {pruned} delivered id(s) older than {}",
                human_duration(retention)
            );
        }

        let (shutdown, watch) = watch::channel(false);
        let mut running = Running {
            shutdown,
            pollers: Vec::new(),
            once: Vec::new(),
            webhook: None,
            maintenance: None,
            grace: self.config.host.shutdown_grace,
            subscribers: Vec::new(),
            reconciled: Reconciled::default(),
            recovered,
            store: self.store.clone(),
            leases: None,
            _lock: self.lock,
        };
        // With a shared store, a poller polls only while this host holds
        // its trigger's lease; the keeper takes and renews them.
        let keeper = match self.store.leases() {
            Some(_) if !options.once => {
                let names: Vec<String> = self
                    .polling
                    .iter()
                    .map(|p| p.settings.trigger.clone())
                    .collect();
                let keeper =
                    LeaseKeeper::start(self.store.clone(), names, self.config.host.lease_ttl)
                        .await?;
                running.leases = Some(keeper.clone());
                Some(keeper)
            }
            _ => None,
        };
        let gate = Arc::new(Semaphore::new(options.max_concurrent_polls.max(1)));
        for p in self.polling {
            let name = p.settings.trigger.clone();
            let mut poller = Poller::new(
                p.settings,
                p.source,
                store.clone(),
                delivery.clone(),
                clock.clone(),
            )
            .with_gate(gate.clone());
            if let Some(keeper) = &keeper {
                poller = poller.with_lease(keeper.clone());
            }
            if options.once {
                running
                    .once
                    .push((name, tokio::spawn(async move { poller.poll_once().await })));
            } else {
                running
                    .pollers
                    .push((name, tokio::spawn(poller.run(watch.clone()))));
            }
        }
        if options.once {
            if !self.routes.is_empty() || !self.pushed.is_empty() {
                tracing::warn!("push triggers are not served with --once");
            }
            return Ok(running);
        }
        // Push triggers of a backend's binding (`nats`): a task each, watched
        // and stopped like a poller.
        for p in self.pushed {
            let name = p.trigger.name.clone();
            let serve = p.binding.serve(PushContext {
                trigger: p.trigger,
                info: p.info,
                delivery: delivery.clone(),
                store: store.clone(),
                clock: clock.clone(),
                shutdown: watch.clone(),
            });
            running.pollers.push((name, tokio::spawn(serve)));
        }
        let mut base_url = self.config.webhook.public_url.clone();
        if !self.routes.is_empty() {
            let w = &self.config.webhook;
            // The head gets a short time of its own (at most 5 s), the body all of it.
            let limits = ServerLimits::new(w.max_body, w.request_timeout);
            let server = WebhookServer::bind(
                w.listen,
                self.routes,
                delivery.clone(),
                store.clone(),
                clock.clone(),
                limits,
                watch.clone(),
            )
            .await
            .map_err(|source| HostError::Listen {
                addr: w.listen,
                source,
            })?;
            let addr = server.local_addr().map_err(|source| HostError::Listen {
                addr: w.listen,
                source,
            })?;
            if !addr.ip().is_loopback() {
                tracing::warn!("the webhook listener is reachable from other machines on {addr}");
            }
            running.webhook = Some((addr, tokio::spawn(server.serve(running.grace))));
            if base_url.is_none() {
                if addr.ip().is_unspecified() && !self.wanted.is_empty() {
                    tracing::warn!(
                        "the webhook listener listens on {addr}; event sources are told http://{addr}/...: \
                         set [webhook] public_url to the address they can reach"
                    );
                }
                base_url = Some(format!("http://{addr}"));
            }
        }
        // After the listener serves, so that a source that calls the
        // callback URL while subscribing (to verify it) is answered.
        let (reconciled, to_subscribe) = subscription::reconcile(
            self.store.clone(),
            self.wanted,
            self.configured,
            base_url.clone(),
            clock.clone(),
        )
        .await?;
        running.reconciled = reconciled;
        if let Some(base_url) = base_url {
            running.subscribers = subscription::spawn_subscribers(
                to_subscribe,
                base_url,
                self.store.clone(),
                self.config.host.backoff,
                clock.clone(),
                watch.clone(),
            );
        }
        let mut stop = watch.clone();
        running.maintenance = Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(PRUNE_EVERY) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                let store = store.clone();
                let before = clock
                    .now()
                    .checked_sub(retention)
                    .unwrap_or(std::time::UNIX_EPOCH);
                if let Err(e) = blocking(move || store.prune_delivered(before)).await {
                    tracing::warn!("cannot prune delivered ids: {e}");
                }
            }
        }));
        Ok(running)
    }
}

/// How a shutdown went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Tasks (trigger names, or `webhook`) still busy after the grace
    /// period, abandoned without committing anything.
    pub abandoned: Vec<String>,
}

/// The running host.
pub struct Running {
    shutdown: watch::Sender<bool>,
    pollers: Vec<(String, JoinHandle<()>)>,
    once: Vec<(String, JoinHandle<PollReport>)>,
    webhook: Option<(SocketAddr, JoinHandle<()>)>,
    maintenance: Option<JoinHandle<()>>,
    grace: Duration,
    /// Tasks subscribing push triggers; each ends once its trigger is
    /// subscribed (so they are not watched by [`Running::task_died`]).
    subscribers: Vec<(String, JoinHandle<()>)>,
    reconciled: Reconciled,
    recovered: usize,
    store: Arc<dyn TriggerStore>,
    /// With a shared store: the leases this host holds.
    leases: Option<Arc<LeaseKeeper>>,
    // Held until the host is gone, so no second host runs on this state.
    _lock: Option<StateLock>,
}

impl Running {
    /// Where the webhook listener listens, if it runs.
    pub fn webhook_addr(&self) -> Option<SocketAddr> {
        self.webhook.as_ref().map(|(addr, _)| *addr)
    }

    /// The state store.
    pub fn store(&self) -> Arc<dyn TriggerStore> {
        self.store.clone()
    }

    /// With a shared store: the triggers whose lease this host holds now.
    pub fn held_leases(&self) -> Option<Vec<String>> {
        self.leases.as_ref().map(|k| k.held())
    }

    /// What happened to the stored webhook subscriptions at start.
    pub fn reconciled(&self) -> &Reconciled {
        &self.reconciled
    }

    /// Triggers still being subscribed at their event source.
    pub fn subscribing(&self) -> Vec<String> {
        self.subscribers
            .iter()
            .filter(|(_, h)| !h.is_finished())
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// How many events the sink held at start that the store had not yet
    /// recorded as delivered: the previous run stopped between the two.
    /// They were recorded, so they are not delivered again.
    pub fn recovered(&self) -> usize {
        self.recovered
    }

    /// With `once`: waits for every trigger's one poll and returns what
    /// each did (an `Err` if its task died), in configuration order.
    pub async fn once_reports(&mut self) -> Vec<(String, Result<PollReport, String>)> {
        let mut reports = Vec::new();
        for (name, handle) in std::mem::take(&mut self.once) {
            let report = handle.await.map_err(|e| e.to_string());
            reports.push((name, report));
        }
        reports
    }

    /// Waits until a poller or the webhook listener stops by itself, which
    /// only a bug (a panic) makes happen before shutdown, and names it and
    /// why. A host with a dead task would silently stop delivering for that
    /// trigger; the caller should stop and let a supervisor restart it.
    pub async fn task_died(&mut self) -> (String, String) {
        loop {
            let finished = self
                .pollers
                .iter()
                .position(|(_, h)| h.is_finished())
                .map(|i| self.pollers.remove(i))
                .or_else(|| {
                    self.webhook
                        .take_if(|(_, h)| h.is_finished())
                        .map(|(_, h)| ("webhook".to_string(), h))
                });
            if let Some((name, handle)) = finished {
                let why = match handle.await {
                    Ok(()) => "it ended".to_string(),
                    Err(e) if e.is_panic() => {
                        let panic = e.into_panic();
                        panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .map_or("it panicked".into(), |m| format!("it panicked: {m}"))
                    }
                    Err(e) => e.to_string(),
                };
                return (name, why);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Stops new polls and the listener, waits up to the grace period for
    /// what is in progress, and abandons the rest: an abandoned poll has
    /// not committed, so the next start polls from the same state.
    pub async fn shutdown(mut self) -> ShutdownReport {
        let _ = self.shutdown.send(true);
        if let Some(m) = self.maintenance.take() {
            m.abort();
        }
        // A subscribe in progress is abandoned: it stores nothing until the
        // source answered, and the next start subscribes again.
        for (_, h) in std::mem::take(&mut self.subscribers) {
            h.abort();
        }
        let deadline = tokio::time::Instant::now() + self.grace;
        let mut tasks: Vec<(String, JoinHandle<()>)> = std::mem::take(&mut self.pollers);
        if let Some((_, handle)) = self.webhook.take() {
            tasks.push(("webhook".into(), handle));
        }
        let mut report = ShutdownReport::default();
        for (name, mut handle) in tasks {
            // The webhook server keeps to the same grace itself; a little
            // slack lets it report what it dropped.
            let until = if name == "webhook" {
                deadline + Duration::from_millis(200)
            } else {
                deadline
            };
            if tokio::time::timeout_at(until, &mut handle).await.is_err() {
                handle.abort();
                report.abandoned.push(name);
            }
        }
        for (name, mut handle) in std::mem::take(&mut self.once) {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                handle.abort();
                report.abandoned.push(name);
            }
        }
        // After the pollers stopped: nothing of this host commits any more,
        // so another host may take the triggers over at once.
        if let Some(keeper) = self.leases.take() {
            keeper.release().await;
        }
        report
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Dropped without `shutdown` (a panicking test, say): stop everything.
        let _ = self.shutdown.send(true);
        for (_, h) in &self.pollers {
            h.abort();
        }
        for (_, h) in &self.once {
            h.abort();
        }
        if let Some((_, h)) = &self.webhook {
            h.abort();
        }
        if let Some(h) = &self.maintenance {
            h.abort();
        }
        if let Some(keeper) = &self.leases {
            keeper.stop();
        }
        for (_, h) in &self.subscribers {
            h.abort();
        }
    }
}

/// Says what became of the event whose interrupted write the sink cut off: if
/// the state database had recorded it, it is not delivered again and is lost
/// from the sink; otherwise its trigger's state was not committed either, so
/// the next poll (or the sender's retry of a webhook) brings it again.
fn report_torn_line(
    torn: &TornLine,
    store: &dyn TriggerStore,
    sink: &str,
) -> Result<(), StoreError> {
    let bytes = torn.bytes;
    match &torn.event_id {
        Some(id) if store.is_delivered_anywhere(id)? => tracing::warn!(
            "{sink}: cut off {bytes} bytes of event {id}, whose write was interrupted; the state \
             database records it as delivered, so it is not delivered again: it is missing from \
             the sink"
        ),
        Some(id) => tracing::warn!(
            "{sink}: cut off {bytes} bytes of event {id}, whose write was interrupted; it was \
             never recorded as delivered, so it is delivered again"
        ),
        None => tracing::warn!(
            "{sink}: cut off {bytes} bytes of an event whose write was interrupted (too short to \
             name it); it is delivered again unless the state database had recorded it"
        ),
    }
    Ok(())
}
