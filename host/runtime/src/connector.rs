//! A loaded connector, and calls into it: a fresh store per call, limits
//! applied, inputs checked before and outputs checked after.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use wasmtime::Store;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::bindings::{self, ContractVersion, types as wit};
use crate::capabilities::Redactor;
use crate::capabilities::http::{HttpGrant, OutboundPolicy};
use crate::connection::Connection;
use crate::description::{Description, OperationKind};
use crate::engine::{EpochTicker, ticks_for};
use crate::error::{CallError, ConnectorError, ErrorKind, LoadError};
use crate::json::Json;
use crate::limits::{ConcurrencyGate, LimitKind, Limiter, Limits};
use crate::options::{ConnectorOptions, LoadReport};
use crate::schema::{Schema, TextMismatch};
use crate::state::{CallSetup, HostState, LogSink, MAX_CAPTURED_OUTPUT, Rearm};
use crate::trap::{self, Phase};

// Live instances kept between calls (opt-in).
mod live;
pub use live::Reuse;
use live::{ConnectionKey, Live, LivePool};
// Push-trigger calls (`push-binding`, `handle-event`) live in their own file.
pub mod push;
pub use push::{Binding, RawEvent};
// Calls that bypass the host's checks, for the conformance kit.
mod unchecked;
// The call context of 0.2.0 (run, step, attempt, idempotency key).
mod context;
pub use context::CallContext;
// Dynamic values (0.2.0): the choices of an input property.
mod dynamic;
pub use dynamic::{DYNAMIC_VALUES_KEYWORD, DynamicValue, MAX_DYNAMIC_VALUES};
// The webhook subscription lifecycle of push triggers (0.2.0).
mod subscription;
pub use subscription::{MAX_SUBSCRIPTION_BYTES, Subscription};

/// The compiled schemas of one operation.
struct Schemas {
    input: Option<Schema>,
    output: Option<Schema>,
}

/// A connector ready to be called. Cheap to share between threads; every
/// call gets its own store and instance.
///
/// Calls are synchronous and run guest code to completion (up to the
/// call's timeout) on the calling thread. From async code, never call them
/// on a tokio worker thread: run them with `tokio::task::spawn_blocking`,
/// behind a semaphore with about one permit per core, so that many due
/// triggers queue for a core instead of each holding a blocking thread and
/// an instance (`BENCHMARKS.md`, figure 8, measures exactly that pattern).
pub struct Connector {
    name: Arc<str>,
    path: PathBuf,
    pre: bindings::GuestPre,
    /// The contract version the component targets (from its export names).
    version: ContractVersion,
    options: ConnectorOptions,
    log_sink: Arc<dyn LogSink>,
    description: Description,
    schemas: HashMap<String, Schemas>,
    load_report: LoadReport,
    /// Keeps the epoch advancing while the connector lives, even after the
    /// runtime that loaded it is dropped: without it deadlines never fire.
    _ticker: Arc<EpochTicker>,
    gate: ConcurrencyGate,
    /// Idle live instances, when `options.reuse` asks for them.
    live: LivePool,
    /// Whether the engine meters fuel; without it (the epoch-only mode)
    /// `Limits::fuel` is not enforced.
    fuel: bool,
}

/// The result of an action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Response {
    pub status: u16,
    /// The body, as the connector wrote it: checked to be JSON that fits the
    /// operation's output schema, parsed only if asked ([`Json::to_value`]).
    pub body: Json,
}

/// One item a trigger found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: String,
    /// The item's body, checked like a [`Response`] body.
    pub body: Json,
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PollOutcome {
    pub items: Vec<Item>,
    /// The new state; `None` keeps the current one.
    pub state: Option<Value>,
    /// When the connector asks to be polled again; `None` keeps the recurrence.
    /// Shown in milliseconds, as the contract's `poll-again-after-ms`.
    #[serde(rename = "pollAgainAfterMs", serialize_with = "ser_opt_millis")]
    pub poll_again_after: Option<Duration>,
}

fn ser_opt_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

impl Connector {
    /// Calls describe-service and list-operations, converts and checks them,
    /// and compiles the schemas.
    pub(crate) fn describe_and_build(
        path: &Path,
        pre: bindings::GuestPre,
        options: ConnectorOptions,
        log_sink: Arc<dyn LogSink>,
        ticker: Arc<EpochTicker>,
        fuel: bool,
        load_report: LoadReport,
    ) -> Result<Inspection, LoadError> {
        let file_name: Arc<str> = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "connector".into())
            .into();
        let mut connector = Connector {
            name: file_name,
            path: path.to_path_buf(),
            version: pre.version(),
            pre,
            log_sink,
            description: Description {
                contract: ContractVersion::LATEST,
                service: empty_service(),
                operations: Vec::new(),
            },
            schemas: HashMap::new(),
            gate: ConcurrencyGate::new(options.limits.max_concurrency),
            live: LivePool::new(options.reuse.map_or(0, |r| r.max_idle)),
            options,
            load_report,
            _ticker: ticker,
            fuel,
        };
        let describe_error = |e: CallError| LoadError::Describe {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let (service, operations) = connector
            .run("describe", None, &Redactor::default(), |store, guest| {
                let service = guest.describe_service(&mut *store)?;
                let operations = guest.list_operations(&mut *store)?;
                Ok((service, operations))
            })
            .map_err(describe_error)?;
        let (description, problems) =
            Description::from_guest(service, operations, connector.version);
        if !description.service.id.is_empty() && problems.iter().all(|p| p.at != "service.id") {
            connector.name = description.service.id.clone().into();
        }
        crate::observe::record_load(&connector.name, &connector.load_report);
        connector.schemas = compile_schemas(&description);
        connector.description = description;
        Ok(Inspection {
            connector,
            problems,
        })
    }

    /// The connector's name: its service id (or its file name if that is unusable).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The contract version the component targets, read from its export
    /// names (`connector:provider/provider@0.1.0`).
    pub fn contract_version(&self) -> ContractVersion {
        self.version
    }

    /// The component file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the connector says about itself.
    pub fn description(&self) -> &Description {
        &self.description
    }

    /// The limits its calls run under.
    pub fn limits(&self) -> &Limits {
        &self.options.limits
    }

    /// Calls running in it now.
    pub fn running_calls(&self) -> usize {
        self.gate.running()
    }

    /// How it was loaded.
    pub fn load_report(&self) -> &LoadReport {
        &self.load_report
    }

    /// Tests a connection's values.
    pub fn check_connection(&self, connection: &Connection) -> Result<(), CallError> {
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        self.run(
            "check-connection",
            Some(&connection),
            &redactor,
            |store, guest| guest.check_connection(&mut *store, &connection.to_wit()),
        )?
        .map_err(|e| self.connector_error(e, &redactor))
    }

    /// Runs the action `operation` with `input`, which is checked against the
    /// operation's input schema first; the output is checked against its
    /// output schema. The call is made outside any run
    /// ([`CallContext::default`]: attempt 1, a fresh idempotency key).
    pub fn invoke(
        &self,
        operation: &str,
        connection: &Connection,
        input: &Value,
    ) -> Result<Response, CallError> {
        self.invoke_with(operation, connection, input, &CallContext::default())
    }

    /// [`Connector::invoke`] on behalf of a run's step: `context` reaches a
    /// 0.2.0 connector (with the time the call has left); a 0.1.0 connector
    /// is called as by `invoke`.
    pub fn invoke_with(
        &self,
        operation: &str,
        connection: &Connection,
        input: &Value,
        context: &CallContext,
    ) -> Result<Response, CallError> {
        crate::observe::observed(&self.name, operation, "invoke", context.attempt, || {
            self.expect_kind(operation, &[OperationKind::Action])?;
            check_input(self.schemas[operation].input.as_ref(), input)?;
            self.invoke_checked(operation, connection, &json_text(input), context)
        })
    }

    /// [`Connector::invoke`] with input that is already JSON text (a request
    /// body, the output of another step): the text goes to the connector as
    /// it is, with no `Value` built for it beyond what the input schema reads.
    pub fn invoke_json(
        &self,
        operation: &str,
        connection: &Connection,
        input: &Json,
    ) -> Result<Response, CallError> {
        self.invoke_json_with(operation, connection, input, &CallContext::default())
    }

    /// [`Connector::invoke_json`] on behalf of a run's step (see
    /// [`Connector::invoke_with`]).
    pub fn invoke_json_with(
        &self,
        operation: &str,
        connection: &Connection,
        input: &Json,
        context: &CallContext,
    ) -> Result<Response, CallError> {
        crate::observe::observed(&self.name, operation, "invoke", context.attempt, || {
            self.invoke_json_unobserved(operation, connection, input, context)
        })
    }

    fn invoke_json_unobserved(
        &self,
        operation: &str,
        connection: &Connection,
        input: &Json,
        context: &CallContext,
    ) -> Result<Response, CallError> {
        self.expect_kind(operation, &[OperationKind::Action])?;
        if let Some(schema) = &self.schemas[operation].input {
            schema.check_text(input.as_str()).map_err(|m| match m {
                TextMismatch::Schema(m) => invalid_input(m),
                TextMismatch::NotJson(e) => CallError::InvalidInput {
                    pointer: "/".into(),
                    message: format!("not JSON: {e}"),
                },
            })?;
        }
        // The binding lowers from a `&String`, which `Json` holds: the text
        // goes into the guest's memory with no copy on the host.
        self.invoke_checked(operation, connection, input.as_string(), context)
    }

    /// The rest of an invoke, once the input passed its schema.
    fn invoke_checked(
        &self,
        operation: &str,
        connection: &Connection,
        input_text: &String,
        context: &CallContext,
    ) -> Result<Response, CallError> {
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let result = self.run(operation, Some(&connection), &redactor, |store, guest| {
            let context = context.to_wit(store.data().deadline);
            guest.invoke(
                &mut *store,
                operation,
                &connection.to_wit(),
                input_text,
                &context,
            )
        })?;
        let response = result.map_err(|e| self.connector_error(e, &redactor))?;
        if !(100..=599).contains(&response.status) {
            return Err(self.bad_output(
                format!("status {} is not an HTTP status code", response.status),
                &redactor,
            ));
        }
        self.check_output_size(response.body.len())?;
        self.refuse_secrets("the response body", &response.body, &redactor)?;
        let schema = self.schemas[operation].output.as_ref();
        let body = self.parse_output("body", response.body, schema, &redactor)?;
        Ok(Response {
            status: response.status,
            body,
        })
    }

    /// Polls the trigger `trigger` once with the last committed `state`,
    /// outside any run ([`CallContext::for_trigger`]).
    pub fn poll(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        state: Option<&Value>,
    ) -> Result<PollOutcome, CallError> {
        self.poll_with(
            trigger,
            connection,
            input,
            state,
            &CallContext::for_trigger(trigger),
        )
    }

    /// [`Connector::poll`] with the caller's `context` (a 0.1.0 connector
    /// does not receive it).
    pub fn poll_with(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        state: Option<&Value>,
        context: &CallContext,
    ) -> Result<PollOutcome, CallError> {
        crate::observe::observed(&self.name, trigger, "poll", context.attempt, || {
            self.poll_unobserved(trigger, connection, input, state, context)
        })
    }

    fn poll_unobserved(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        state: Option<&Value>,
        context: &CallContext,
    ) -> Result<PollOutcome, CallError> {
        self.expect_kind(trigger, &[OperationKind::PollingTrigger])?;
        let schemas = &self.schemas[trigger];
        check_input(schemas.input.as_ref(), input)?;
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = json_text(input);
        let state_text = state.map(json_text);
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            let context = context.to_wit(store.data().deadline);
            guest.poll(
                &mut *store,
                trigger,
                &connection.to_wit(),
                &input_text,
                state_text.as_ref(),
                &context,
            )
        })?;
        let result = result.map_err(|e| self.connector_error(e, &redactor))?;
        let size = result
            .items
            .iter()
            .map(|i| i.id.len() + i.body.len())
            .sum::<usize>()
            + result.state.as_ref().map_or(0, String::len);
        self.check_output_size(size)?;
        if let Some(state) = &result.state {
            self.refuse_secrets("the new state", state, &redactor)?;
        }
        let items = self.checked_items(trigger, result.items, "poll", &redactor)?;
        let state =
            match result.state {
                Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                    self.bad_output(format!("new state is not JSON: {e}"), &redactor)
                })?),
                None => None,
            };
        Ok(PollOutcome {
            items,
            state,
            poll_again_after: result.poll_again_after_ms.map(Duration::from_millis),
        })
    }

    /// Checks the items of one poll or one event (`within` says which):
    /// non-empty ids, each id once, no secret, bodies that are JSON valid
    /// against the trigger's output schema.
    fn checked_items(
        &self,
        trigger: &str,
        items: Vec<wit::TriggerItem>,
        within: &str,
        redactor: &Redactor,
    ) -> Result<Vec<Item>, CallError> {
        let schema = self.schemas[trigger].output.as_ref();
        let mut seen = std::collections::HashSet::new();
        let mut checked = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            if item.id.is_empty() {
                return Err(self.bad_output(format!("item {i} has an empty id"), redactor));
            }
            self.refuse_secrets("an item", &item.id, redactor)?;
            self.refuse_secrets("an item", &item.body, redactor)?;
            if !seen.insert(item.id.clone()) {
                return Err(self.bad_output(
                    format!("item id {:?} appears twice in one {within}", item.id),
                    redactor,
                ));
            }
            let body = self.parse_output(
                format_args!("item {:?}", item.id),
                item.body,
                schema,
                redactor,
            )?;
            checked.push(Item { id: item.id, body });
        }
        Ok(checked)
    }

    fn resolve(&self, connection: &Connection) -> Result<Connection, CallError> {
        connection
            .resolve(&self.description)
            .map_err(|e| CallError::InvalidConnection(format!("{e:#}")))
    }

    /// Refuses a 0.2.0 function on a component of an older version before
    /// any instance is made.
    fn expect_v0_2(&self, function: &'static str) -> Result<(), CallError> {
        if self.version.has_v0_2_features() {
            return Ok(());
        }
        Err(CallError::Unsupported {
            connector: self.name.to_string(),
            version: self.version,
            function,
        })
    }

    fn expect_kind(&self, id: &str, kinds: &[OperationKind]) -> Result<(), CallError> {
        let unknown = |message: String| CallError::UnknownOperation {
            connector: self.name.to_string(),
            message,
        };
        let Some(op) = self.description.operation(id) else {
            let ids: Vec<&str> = self
                .description
                .operations
                .iter()
                .map(|o| o.id.as_str())
                .collect();
            return Err(unknown(format!(
                "has no operation {id:?} (it has: {})",
                ids.join(", ")
            )));
        };
        if !kinds.contains(&op.kind) {
            let hint = match op.kind {
                OperationKind::Action => "invoke it",
                OperationKind::PollingTrigger => "poll it",
                OperationKind::PushTrigger => "bind it to an event source",
            };
            return Err(unknown(format!(
                "{id:?} is {}; {hint} instead",
                op.kind.with_article()
            )));
        }
        Ok(())
    }

    fn connector_error(&self, e: wit::ConnectorError, redactor: &Redactor) -> CallError {
        CallError::Connector {
            connector: self.name.to_string(),
            error: ConnectorError {
                kind: match e.kind {
                    wit::ErrorKind::InvalidInput => ErrorKind::InvalidInput,
                    wit::ErrorKind::Unauthorized => ErrorKind::Unauthorized,
                    wit::ErrorKind::Forbidden => ErrorKind::Forbidden,
                    wit::ErrorKind::NotFound => ErrorKind::NotFound,
                    wit::ErrorKind::Conflict => ErrorKind::Conflict,
                    wit::ErrorKind::Throttled => ErrorKind::Throttled,
                    wit::ErrorKind::Transient => ErrorKind::Transient,
                    wit::ErrorKind::Internal => ErrorKind::Internal,
                },
                code: redactor.redact_truncated(&e.code, 128),
                message: redactor.redact_truncated(&e.message, 4096),
                retry_after_ms: e.retry_after_ms,
            },
        }
    }

    fn bad_output(&self, problem: String, redactor: &Redactor) -> CallError {
        CallError::BadOutput {
            connector: self.name.to_string(),
            problem: redactor.redact(&problem),
        }
    }

    /// Output that contains a secret value of the connection is refused
    /// whole: the host does not let secrets leave the connector.
    fn refuse_secrets(&self, what: &str, text: &str, redactor: &Redactor) -> Result<(), CallError> {
        if redactor.finds_secret_in(text) {
            return Err(self.bad_output(
                format!("{what} contains a secret value of the connection; the host does not let secrets leave the connector"),
                redactor,
            ));
        }
        Ok(())
    }

    fn check_output_size(&self, size: usize) -> Result<(), CallError> {
        let max = self.options.limits.max_output_bytes;
        if size > max {
            return Err(CallError::Limit {
                connector: self.name.to_string(),
                limit: LimitKind::Output,
                detail: format!("returned {size} bytes of output; the limit is {max}"),
            });
        }
        Ok(())
    }

    /// Checks that `text` is JSON that fits `schema`, building no more of a
    /// `Value` than the schema reads (see [`crate::schema`]).
    fn parse_output(
        &self,
        what: impl std::fmt::Display,
        text: String,
        schema: Option<&Schema>,
        redactor: &Redactor,
    ) -> Result<Json, CallError> {
        let json = Json::from_text(text)
            .map_err(|e| self.bad_output(format!("{what} is not JSON: {e}"), redactor))?;
        if let Some(schema) = schema {
            schema.check_text(json.as_str()).map_err(|m| match m {
                TextMismatch::Schema(m) => self.bad_output(
                    format!(
                        "{what} does not match the output schema at {}: {}",
                        m.pointer, m.message
                    ),
                    redactor,
                ),
                TextMismatch::NotJson(e) => {
                    self.bad_output(format!("{what} is not JSON: {e}"), redactor)
                }
            })?;
        }
        Ok(json)
    }

    /// Runs `f` against a fresh instance in a fresh store with the
    /// connector's limits and grants, and turns traps into typed errors.
    /// `connection` fills templated outbound grants (`https://{host}`).
    /// With [`Reuse`] on, a live instance of the same connection is used
    /// instead when one waits, and the instance is kept after a clean call.
    fn run<R>(
        &self,
        operation: &str,
        connection: Option<&Connection>,
        redactor: &Redactor,
        f: impl FnOnce(&mut Store<HostState>, &bindings::Guest) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        let limits = &self.options.limits;
        let started = Instant::now();
        let deadline = started + limits.timeout;
        let Some(_slot) = self.gate.try_enter() else {
            return Err(CallError::Limit {
                connector: self.name.to_string(),
                limit: LimitKind::Concurrency,
                detail: format!("{} calls are already running", limits.max_concurrency),
            });
        };
        let outbound = Arc::new(
            OutboundPolicy::new(
                self.http_grants(connection, redactor),
                limits.max_http_response_bytes as u64,
                deadline,
            )
            .redacting(redactor.clone()),
        );
        let watched = outbound.clone();
        let reuse = self.options.reuse;
        let (mut store, live) = match reuse.and_then(|_| self.live.take(connection)) {
            Some(mut live) => {
                live.store.data_mut().rearm(Rearm {
                    limiter: Limiter::new(limits),
                    deadline,
                    outbound,
                    operation,
                    redactor,
                });
                (live.store, Some((live.guest, live.calls, live.key)))
            }
            None => (
                self.fresh_store(operation, outbound, deadline, redactor)?,
                None,
            ),
        };
        if self.fuel {
            store
                .set_fuel(limits.fuel.unwrap_or(u64::MAX))
                .map_err(|e| self.host_error(format!("setting fuel: {e}")))?;
        }
        // Time spent waiting for a slot counts against the deadline.
        store.set_epoch_deadline(ticks_for(
            deadline.saturating_duration_since(Instant::now()),
        ));

        let result = match live {
            Some((guest, calls, key)) => f(&mut store, &guest)
                .map(|r| (r, guest, calls, Some(key)))
                .map_err(|e| (Phase::Call, e)),
            None => match self.pre.instantiate(&mut store) {
                Ok(guest) => f(&mut store, &guest)
                    .map(|r| (r, guest, 0, None))
                    .map_err(|e| (Phase::Call, e)),
                Err(e) => Err((Phase::Instantiate, e)),
            },
        };
        let fuel_given = self.fuel.then(|| limits.fuel.unwrap_or(u64::MAX));
        crate::observe::record_run(&self.name, &store, fuel_given, &watched);
        let dropped = store.data().dropped_log_records();
        if dropped > 0 {
            tracing::warn!(connector = %self.name, operation, "dropped {dropped} guest log records past the limit of {}", crate::state::MAX_LOG_RECORDS);
        }
        // Reading the captured stdout copies the pipe's buffer: only done
        // when the line would be logged.
        if tracing::enabled!(target: "guest", tracing::Level::DEBUG) {
            let stdout = store.data().stdout_text();
            if !stdout.trim().is_empty() {
                tracing::debug!(target: "guest", connector = %self.name, operation, "stdout: {}", stdout.trim_end());
            }
        }
        match result {
            Ok((value, guest, calls, key)) => {
                if let Some(reuse) = reuse {
                    let captured = store.data_mut().mark_captured_output();
                    let state = store.data();
                    let healthy = !state.limiter.memory_refused
                        && !state.limiter.table_refused
                        && captured < MAX_CAPTURED_OUTPUT / 2
                        && calls + 1 < reuse.max_calls;
                    if healthy {
                        self.live.put(Live {
                            // The key of the instance taken, or this
                            // connection's for a fresh one.
                            key: key.unwrap_or_else(|| ConnectionKey::of(connection)),
                            store,
                            guest,
                            calls: calls + 1,
                            // This call's start orders idle instances well
                            // enough, without another clock read.
                            idle_since: started,
                        });
                    }
                }
                Ok(value)
            }
            Err((phase, error)) => Err(trap::classify(&error, phase, &store, &self.name, limits)),
        }
    }

    /// A new store for one call, with the connector's grants and limits.
    fn fresh_store(
        &self,
        operation: &str,
        outbound: Arc<OutboundPolicy>,
        deadline: Instant,
        redactor: &Redactor,
    ) -> Result<Store<HostState>, CallError> {
        let stdout = MemoryOutputPipe::new(MAX_CAPTURED_OUTPUT);
        let stderr = MemoryOutputPipe::new(MAX_CAPTURED_OUTPUT);
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stdout.clone()).stderr(stderr.clone());
        for grant in &self.options.grants.dirs {
            grant
                .apply(&mut wasi)
                .map_err(|e| self.host_error(format!("{e:#}")))?;
        }
        crate::capabilities::sockets::apply(
            &self.options.grants.tcp,
            self.options.grants.dns,
            &mut wasi,
        );
        let state = HostState::new(CallSetup {
            wasi: wasi.build(),
            limiter: Limiter::new(&self.options.limits),
            deadline,
            outbound,
            connector: self.name.clone(),
            operation: operation.to_string(),
            redactor: Arc::new(redactor.clone()),
            log_sink: self.log_sink.clone(),
            stdout,
            stderr,
        });
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.epoch_deadline_trap();
        Ok(store)
    }

    fn host_error(&self, message: String) -> CallError {
        CallError::Host {
            connector: self.name.to_string(),
            message,
        }
    }

    /// Idle live instances waiting for a call (always 0 without [`Reuse`]).
    pub fn idle_instances(&self) -> usize {
        self.live.idle()
    }

    /// The outbound grants for one call, templates filled from `connection`.
    /// A template that cannot be filled grants nothing (a refusal says why).
    fn http_grants(&self, connection: Option<&Connection>, redactor: &Redactor) -> Vec<HttpGrant> {
        let empty = Connection::new();
        let connection = connection.unwrap_or(&empty);
        self.options
            .grants
            .http
            .iter()
            .map(|template| match template.resolve(connection) {
                Ok(grant) => grant,
                Err(e) => {
                    let why = redactor.redact(&format!("{e:#}"));
                    tracing::debug!(connector = %self.name, "outbound grant not usable for this call: {why}");
                    HttpGrant::unusable(template, why)
                }
            })
            .collect()
    }
}

/// `value` as JSON text. `serde_json::to_string` writes straight into a
/// byte buffer; `Value`'s `Display` (`to_string()`) goes through
/// `fmt::Formatter` and is three to four times slower (7 ms against 1.8 ms
/// for 1 MB of records; see `BENCHMARKS.md`).
fn json_text(value: &Value) -> String {
    serde_json::to_string(value).expect("a serde_json::Value always serialises")
}

pub(crate) fn check_input(schema: Option<&Schema>, input: &Value) -> Result<(), CallError> {
    match schema {
        Some(schema) => schema.check_value(input).map_err(invalid_input),
        None => Ok(()),
    }
}

fn invalid_input(m: crate::schema::Mismatch) -> CallError {
    CallError::InvalidInput {
        message: m.summary(),
        pointer: m.pointer,
    }
}

fn compile_schemas(description: &Description) -> HashMap<String, Schemas> {
    // Broken schemas are reported as problems by `Description::from_guest`;
    // a connector with problems is not callable through `Runtime::load`.
    description
        .operations
        .iter()
        .map(|op| {
            (
                op.id.clone(),
                Schemas {
                    input: Schema::compile(&op.input_schema),
                    output: Schema::compile(&op.output_schema),
                },
            )
        })
        .collect()
}

fn empty_service() -> crate::description::Service {
    crate::description::Service {
        id: String::new(),
        display_name: String::new(),
        description: String::new(),
        version: String::new(),
        brand_color: String::new(),
        icon_uri: String::new(),
        connection_parameters: Vec::new(),
        capabilities: crate::description::Capabilities {
            outbound_hosts: Vec::new(),
            directories: Vec::new(),
        },
    }
}

/// A loaded connector together with what is wrong with its description.
pub struct Inspection {
    pub connector: Connector,
    pub problems: Vec<crate::description::Problem>,
}
