//! Backends that live in crates of their own (PostgreSQL, NATS), handed to the trigger host
//! by the command line, so that this crate does not depend on them.
//!
//! The host's configuration names a backend (`[sink] kind = "nats"`, `[host] state =
//! "postgres://..."`); the command line, which links the backend crates, opens it and passes
//! it in [`Backends`]. With [`Backends::default`] only the embedded ones are available
//! (SQLite, JSON Lines, standard output, webhook), and a configuration that names another
//! gets an error saying so.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;

use crate::clock::{BoxFuture, Clock};
use crate::config::{HostSettings, SinkConfig};
use crate::delivery::Delivery;
use crate::sink::{EventSink, SinkError};
use crate::store::StateStore;
use crate::store::{StoreError, TriggerStore};
use crate::webhook::{PushTrigger, WEBHOOK_BINDING};

/// Opens the sink of a `[sink]` kind that this crate does not implement.
pub type SinkOpener =
    Arc<dyn Fn(&SinkConfig) -> Result<Arc<dyn EventSink>, SinkError> + Send + Sync>;

/// The non-embedded backends the command line can open.
#[derive(Clone, Default)]
pub struct Backends {
    /// Opens sinks of kinds other than `jsonl`, `stdout` and `webhook`.
    pub sink: Option<SinkOpener>,
    /// Opens `[host] state` URLs (`postgres://...`); the file state is SQLite's.
    pub store: Option<StoreOpener>,
    /// Event sources of push bindings other than `webhook`, by binding type (`nats`).
    pub push: BTreeMap<String, Arc<dyn PushBinding>>,
}

/// An event source that feeds push triggers whose `push-binding` names its type: it
/// receives events, has the connector turn each into items (`handle-event`), delivers
/// them through the host's [`Delivery`], and only then acknowledges the event to its source.
pub trait PushBinding: Send + Sync + 'static {
    /// Checks a trigger's binding information (a JSON object) when the host prepares, so that
    /// a bad binding is reported with the configuration's other problems. `Ok` is what the
    /// trigger listens on, for people (`NATS subject orders.* (queue workers)`).
    fn check(&self, trigger: &str, info: &Value) -> Result<String, String>;

    /// Serves one trigger until [`PushContext::shutdown`] turns true. The host runs it as a
    /// task and treats its end before shutdown as a failure, as a poller's; so it retries
    /// its source's outages itself.
    fn serve(&self, push: PushContext) -> BoxFuture<'static, ()>;
}

/// What a [`PushBinding`] gets to serve one trigger.
pub struct PushContext {
    /// The trigger, its connector, connection and input.
    pub trigger: Arc<PushTrigger>,
    /// The binding information the connector gave (checked by [`PushBinding::check`]).
    pub info: Value,
    /// The one path to the sink, with the ids delivered before.
    pub delivery: Arc<Delivery>,
    /// For recording failures, as the webhook listener does.
    pub store: Arc<dyn StateStore>,
    pub clock: Arc<dyn Clock>,
    /// Turns true at shutdown.
    pub shutdown: watch::Receiver<bool>,
}

/// A push trigger bound to a [`PushBinding`], waiting for the host to start.
pub(crate) struct BoundPush {
    pub(crate) binding: Arc<dyn PushBinding>,
    pub(crate) trigger: Arc<PushTrigger>,
    pub(crate) info: Value,
    /// [`PushBinding::check`]'s description, for the summary.
    pub(crate) listens_on: String,
}

/// Opens the state store of a `[host] state` URL that this crate does not
/// implement (`postgres://...`), for a host (`run`) or a reader (`status`).
pub type StoreOpener =
    Arc<dyn Fn(&HostSettings, StoreUse) -> Result<Arc<dyn TriggerStore>, StoreError> + Send + Sync>;

/// What a store is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreUse {
    /// A running host: migrate the schema, take part in leases.
    Host,
    /// A reader (`status`): migrate nothing; fail if the schema is missing.
    Read,
}

impl Backends {
    /// Opens the state of `[host] state = "postgres://..."` through
    /// [`Backends::store`], or says that this build cannot.
    pub fn open_store(
        &self,
        host: &HostSettings,
        usage: StoreUse,
    ) -> Result<Arc<dyn TriggerStore>, StoreError> {
        match &self.store {
            Some(open) => open(host, usage),
            None => Err(StoreError::Backend {
                store: "[host] state".into(),
                message: "this state URL needs a backend that this program was built without"
                    .into(),
            }),
        }
    }

    /// Asks a push trigger for its binding when a backend serves other types than `webhook`:
    /// `Ok(None)` for a webhook binding (and, without backends, always, without asking:
    /// the webhook routes ask and report), the bound trigger for a backend's type, or why
    /// neither can serve it.
    pub(crate) fn bind_push(
        &self,
        trigger: PushTrigger,
    ) -> Result<Result<BoundPush, PushTrigger>, String> {
        if self.push.is_empty() {
            return Ok(Err(trigger));
        }
        let binding = trigger
            .connector
            .push_binding(&trigger.operation, &trigger.connection, &trigger.input)
            .map_err(|e| {
                format!(
                    "push-binding failed: {}",
                    trigger.redactor.redact(&e.to_string())
                )
            })?;
        if binding.binding_type == WEBHOOK_BINDING {
            return Ok(Err(trigger));
        }
        let Some(backend) = self.push.get(&binding.binding_type) else {
            let mut known: Vec<&str> = vec![WEBHOOK_BINDING];
            known.extend(self.push.keys().map(String::as_str));
            return Err(format!(
                "the connector asks for a {:?} binding; this host supports only {}",
                binding.binding_type,
                known
                    .iter()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        };
        let listens_on = backend.check(&trigger.name, &binding.binding_info)?;
        Ok(Ok(BoundPush {
            binding: backend.clone(),
            trigger: Arc::new(trigger),
            info: binding.binding_info,
            listens_on,
        }))
    }

    /// Opens `config` through [`Backends::sink`], or says that this build cannot.
    pub fn open_sink(&self, config: &SinkConfig) -> Result<Arc<dyn EventSink>, SinkError> {
        match &self.sink {
            Some(open) => open(config),
            None => Err(SinkError {
                sink: "[sink]".into(),
                message: "this sink kind needs a backend that this program was built without"
                    .into(),
            }),
        }
    }
}
