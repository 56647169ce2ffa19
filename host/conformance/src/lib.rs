//! The conformance kit behind `connector-host test`: one objective run that
//! says whether a connector is fit to share.
//!
//! It checks, in order, and reports every check (see [`Report`]):
//! - the component loads and fits the contract (its version included);
//! - describe-service and list-operations are well formed, every schema is a
//!   valid JSON Schema, and the description is the same JSON on every call;
//! - check-connection accepts the spec's good connection and refuses each
//!   bad one with a connector error (not a trap, not a host refusal);
//! - each action's example inputs give outputs valid against the output
//!   schema (and equal to an expected output or error, when the spec gives
//!   one);
//! - inputs that break an input schema (made from the schema and the
//!   examples, plus the spec's own) are refused by the host *and*, when
//!   the connector is called with them directly, answered with an
//!   `invalid-input` error rather than a success or a trap;
//! - each polling trigger is polled with no state, then with the state it
//!   returned, then with the spec's stale or malformed states (each must be
//!   an `invalid-input` error) and with garbage (no trap);
//! - each push trigger's push-binding names a binding the host supports
//!   (`webhook`, with a path) and a JSON object of settings; the spec's
//!   example events give items valid against the output schema, its
//!   malformed events `invalid-input` errors, and a garbage event no trap;
//! - (0.2.0) every input property that names `x-dynamic-values` gets an
//!   answer from `dynamic-values` (a list of choices, values valid JSON that
//!   fit the property's schema, titles non-empty), with the spec's example
//!   input; every push trigger that says `needs-subscription` subscribes to
//!   a webhook listener the kit runs on 127.0.0.1 and unsubscribes again;
//! - no call hit a limit (fuel, time, memory, output).
//!
//! The spec format is in [`spec`].

pub mod report;
pub mod spec;
// Checks of the 0.2.0 additions: dynamic values, webhook subscriptions.
mod dynamic;
mod listener;
mod subscription;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use connector_runtime::bindings::{CONTRACT_PACKAGE, SUPPORTED_VERSIONS};
use connector_runtime::connection::Connection;
use connector_runtime::connector::push::{
    Binding, NATS_BINDING, WEBHOOK_BINDING, nats_binding, webhook_path,
};
use connector_runtime::connector::{Connector, RawEvent};
use connector_runtime::description::{OperationKind, Problem};
use connector_runtime::error::{CallError, ErrorKind, LoadError};
use connector_runtime::runtime::{ConnectorOptions, Runtime};

pub use report::{Check, Outcome, Report};
pub use spec::{SPEC_FILE, Spec};

/// Runs every check on the component at `path`.
///
/// `spec` is the parsed spec and the file it came from (`None`: no spec,
/// so no examples). The connector runs under `options` plus the spec's
/// grants. An error means the run could not be set up (a grant that cannot
/// be applied); everything about the connector itself is in the report.
pub fn run(
    runtime: &Runtime,
    path: &Path,
    spec: Option<(&Path, &Spec)>,
    mut options: ConnectorOptions,
) -> Result<Report> {
    let default_spec = Spec::default();
    let (spec_path, spec) = match spec {
        Some((p, s)) => (Some(p.to_path_buf()), s),
        None => (None, &default_spec),
    };
    let scratch = if spec.needs_scratch() {
        Some(ScratchDir::new()?)
    } else {
        None
    };
    let scratch_path = scratch
        .as_ref()
        .map_or_else(|| PathBuf::from("."), |s| s.0.clone());
    if scratch.is_some() {
        spec.fill_scratch(&scratch_path)?;
    }
    options.grants.dirs.extend(spec.dir_grants(&scratch_path)?);
    options.grants.http.extend(spec.http_grants()?);
    let good = spec.good_connection()?;
    let bad = spec.bad_connections()?;

    let mut kit = Kit {
        report: Report::new(path.to_path_buf(), spec_path),
        limit_hits: Vec::new(),
    };
    let start = Instant::now();
    let inspection = match runtime.inspect(path, options) {
        Ok(inspection) => inspection,
        Err(LoadError::Grant(e)) => return Err(e.context("applying the grants")),
        Err(e) => {
            kit.load_failed(e, start);
            return Ok(kit.report);
        }
    };
    let connector = inspection.connector;
    let d = connector.description();
    kit.report.connector = Some(format!(
        "{} {}",
        if d.service.id.is_empty() {
            "(no id)"
        } else {
            &d.service.id
        },
        d.service.version
    ));
    kit.pass(
        "load",
        format!(
            "compiled or loaded from the cache in {:.1} s",
            connector.load_report().elapsed.as_secs_f64()
        ),
        start,
    );
    kit.pass(
        "contract",
        format!(
            "exports {CONTRACT_PACKAGE}/{{provider,trigger}}@{} (this host runs {}) and imports only what the host provides",
            connector.contract_version(),
            SUPPORTED_VERSIONS.join(", ")
        ),
        Instant::now(),
    );
    if !kit.description(&connector, &inspection.problems) {
        kit.skip(
            "calls",
            "not run: the description has problems; fix them first",
        );
        return Ok(kit.report);
    }
    kit.stable(&connector);
    kit.spec_names_operations(&connector, spec);
    kit.connections(&connector, &good, &bad);
    for op in &d.operations {
        match op.kind {
            OperationKind::Action => kit.action(&connector, &good, &op.id, spec),
            OperationKind::PollingTrigger => kit.trigger(&connector, &good, &op.id, spec),
            OperationKind::PushTrigger => kit.push_trigger(&connector, &good, &op.id, spec),
        }
    }
    kit.dynamic_values(&connector, &good, spec);
    kit.subscriptions(&connector, &good, spec);
    kit.limits(&connector);
    Ok(kit.report)
}

/// A run in progress.
struct Kit {
    report: Report,
    /// Every limit a call hit, for the `limits` check.
    limit_hits: Vec<String>,
}

impl Kit {
    fn pass(&mut self, name: impl Into<String>, detail: impl Into<String>, start: Instant) {
        self.report
            .add(name, Outcome::Pass, detail, start.elapsed());
    }

    fn fail(&mut self, name: impl Into<String>, detail: impl Into<String>, start: Instant) {
        self.report
            .add(name, Outcome::Fail, detail, start.elapsed());
    }

    fn skip(&mut self, name: impl Into<String>, detail: impl Into<String>) {
        self.report
            .add(name, Outcome::Skip, detail, std::time::Duration::ZERO);
    }

    /// Records a call's limit error, if it is one, and passes the result on.
    fn note<T>(&mut self, what: &str, result: Result<T, CallError>) -> Result<T, CallError> {
        if let Err(e @ CallError::Limit { .. }) = &result {
            self.limit_hits.push(format!("{what}: {e}"));
        }
        result
    }

    fn load_failed(&mut self, e: LoadError, start: Instant) {
        match e {
            LoadError::Contract { problems, .. } => {
                self.pass("load", "a valid WebAssembly component", start);
                self.fail("contract", list(&problems), start);
            }
            LoadError::Describe { source, .. } => {
                self.pass("load", "a valid WebAssembly component", start);
                self.pass(
                    "contract",
                    format!("exports {CONTRACT_PACKAGE}/{{provider,trigger}}"),
                    start,
                );
                self.fail(
                    "describe",
                    format!("describe-service or list-operations failed: {source}"),
                    start,
                );
            }
            other => self.fail("load", other.to_string(), start),
        }
        self.skip("calls", "not run: the connector could not be loaded");
    }

    /// `describe` and `schemas`; false if either failed.
    fn description(&mut self, connector: &Connector, problems: &[Problem]) -> bool {
        let start = Instant::now();
        let is_schema = |p: &&Problem| p.at.ends_with("-schema");
        let (schema_problems, other): (Vec<&Problem>, Vec<&Problem>) =
            problems.iter().partition(is_schema);
        let d = connector.description();
        let count = |kind| d.operations.iter().filter(|o| o.kind == kind).count();
        if other.is_empty() {
            self.pass(
                "describe",
                format!(
                    "service {} {}: {} ({}, {}, {})",
                    d.service.id,
                    d.service.version,
                    plural(d.operations.len(), "operation"),
                    plural(count(OperationKind::Action), "action"),
                    plural(count(OperationKind::PollingTrigger), "polling trigger"),
                    plural(count(OperationKind::PushTrigger), "push trigger")
                ),
                start,
            );
        } else {
            self.fail("describe", list(other), start);
        }
        if schema_problems.is_empty() {
            self.pass(
                "schemas",
                format!(
                    "{} input and output schemas are valid JSON Schemas; inputs are objects",
                    d.operations.len() * 2
                ),
                start,
            );
        } else {
            self.fail("schemas", list(schema_problems), start);
        }
        // Keywords JSON Schema does not define check nothing: a typo such as
        // `"tpye"` silently widens what the host's input check admits.
        let unknown = d.warnings();
        if unknown.is_empty() {
            self.pass(
                "schemas.keywords",
                "every schema keyword is JSON Schema's (or an x- extension)",
                start,
            );
        } else {
            self.fail("schemas.keywords", list(&unknown), start);
        }
        problems.is_empty()
    }

    /// `describe.stable`: the same JSON twice in one instance, and at load.
    fn stable(&mut self, connector: &Connector) {
        let start = Instant::now();
        let at_load = serde_json::to_value(connector.description()).unwrap_or(Value::Null);
        match self.note("describe", connector.describe_twice()) {
            Ok((first, second)) => {
                if let Some(at) = first_difference(&first, &second, "") {
                    self.fail(
                        "describe.stable",
                        format!("two calls in one instance describe it differently, first at {at}"),
                        start,
                    );
                } else if let Some(at) = first_difference(&at_load, &first, "") {
                    self.fail(
                        "describe.stable",
                        format!("a second instance describes it differently, first at {at}"),
                        start,
                    );
                } else {
                    self.pass(
                        "describe.stable",
                        "describe-service and list-operations give the same JSON on every call",
                        start,
                    );
                }
            }
            Err(e) => self.fail(
                "describe.stable",
                format!("describing again failed: {e}"),
                start,
            ),
        }
    }

    /// `spec`: every operation the spec names exists, with the right kind.
    fn spec_names_operations(&mut self, connector: &Connector, spec: &Spec) {
        let start = Instant::now();
        if self.report.spec.is_none() {
            self.skip(
                "spec",
                format!("no spec: write a {SPEC_FILE} with example inputs (see the README)"),
            );
            return;
        }
        let d = connector.description();
        let mut wrong = Vec::new();
        let mut check = |ids: Vec<&String>, kind: OperationKind, table: &str| {
            for id in ids {
                match d.operation(id) {
                    None => wrong.push(format!(
                        "[{table}.{id}]: the connector has no operation {id:?}"
                    )),
                    Some(op) if op.kind != kind => wrong.push(format!(
                        "[{table}.{id}]: {id:?} is {}, not {}",
                        op.kind.with_article(),
                        kind.with_article()
                    )),
                    Some(_) => {}
                }
            }
        };
        check(
            spec.actions.keys().collect(),
            OperationKind::Action,
            "actions",
        );
        for (id, trigger) in &spec.triggers {
            match d.operation(id).map(|op| op.kind) {
                None => wrong.push(format!(
                    "[triggers.{id}]: the connector has no operation {id:?}"
                )),
                Some(OperationKind::Action) => wrong.push(format!(
                    "[triggers.{id}]: {id:?} is an action, not a trigger"
                )),
                Some(OperationKind::PollingTrigger)
                    if !trigger.events.is_empty() || !trigger.bad_events.is_empty() =>
                {
                    wrong.push(format!(
                        "[triggers.{id}]: {id:?} is a polling trigger; events and bad-events are \
                         for push triggers"
                    ))
                }
                Some(OperationKind::PushTrigger) if !trigger.bad_states.is_empty() => {
                    wrong.push(format!(
                        "[triggers.{id}]: {id:?} is a push trigger; bad-states are for polling \
                         triggers"
                    ))
                }
                Some(_) => {}
            }
        }
        if wrong.is_empty() {
            self.pass(
                "spec",
                format!(
                    "names {} and {} of the connector",
                    plural(spec.actions.len(), "action"),
                    plural(spec.triggers.len(), "trigger")
                ),
                start,
            );
        } else {
            self.fail("spec", wrong.join("\n"), start);
        }
    }

    /// `connection.good` and `connection.bad N`.
    fn connections(&mut self, connector: &Connector, good: &Connection, bad: &[Connection]) {
        let start = Instant::now();
        match self.note("check-connection", connector.check_connection(good)) {
            Ok(()) => self.pass(
                "connection.good",
                "check-connection accepts the spec's connection",
                start,
            ),
            Err(e) => self.fail(
                "connection.good",
                format!("check-connection refuses the spec's connection: {e}"),
                start,
            ),
        }
        if bad.is_empty() {
            self.skip("connection.bad", "the spec lists no bad connection");
        }
        for (i, connection) in bad.iter().enumerate() {
            let start = Instant::now();
            let name = format!("connection.bad {}", i + 1);
            match self.note("check-connection", connector.check_connection(connection)) {
                Err(CallError::Connector { error, .. }) => {
                    self.pass(name, format!("refused: {error}"), start)
                }
                Ok(()) => self.fail(name, "check-connection accepts it", start),
                Err(e @ CallError::InvalidConnection(_)) => self.fail(
                    name,
                    format!(
                        "the host refuses it before calling the connector ({e}); a bad \
                         connection in the spec must be one that only the connector can tell is bad"
                    ),
                    start,
                ),
                Err(e) => self.fail(name, format!("{e} (expected a connector error)"), start),
            }
        }
    }

    /// An action's examples and the inputs it must refuse.
    fn action(&mut self, connector: &Connector, good: &Connection, id: &str, spec: &Spec) {
        let name = format!("action {id}");
        let action = spec.actions.get(id);
        if let Some(reason) = action.and_then(|a| a.skip.as_deref()) {
            self.skip(name, format!("skipped by the spec: {reason}"));
            return;
        }
        let examples = action.map(|a| a.examples.as_slice()).unwrap_or_default();
        if examples.is_empty() {
            self.fail(
                format!("{name}: examples"),
                format!(
                    "no example input in the spec: add [[actions.{id}.examples]] with an input"
                ),
                Instant::now(),
            );
            return;
        }
        let mut all_passed = true;
        for (i, example) in examples.iter().enumerate() {
            let start = Instant::now();
            let check = numbered(&name, "example", i, example.name.as_deref());
            let result = self.note(&check, connector.invoke(id, good, &example.input));
            let verdict = judge_example(example, result);
            all_passed &= verdict.is_ok();
            match verdict {
                Ok(detail) => self.pass(check, detail, start),
                Err(detail) => self.fail(check, detail, start),
            }
        }
        let schema = connector
            .description()
            .operation(id)
            .map(|op| op.input_schema.clone())
            .unwrap_or(Value::Null);
        let extra = action.map(|a| a.invalid.as_slice()).unwrap_or_default();
        if !all_passed {
            self.skip(
                format!("{name}: invalid inputs"),
                "not checked: an example failed",
            );
            return;
        }
        let base = &examples[0].input;
        self.invalid_inputs(&name, &schema, base, extra, |kit, input| {
            let host = kit.note(id, connector.invoke(id, good, input));
            let direct = kit.note(
                id,
                connector
                    .invoke_unchecked(id, good, &input.to_string())
                    .map(|(status, _)| format!("status {status}")),
            );
            (host.map(|r| format!("status {}", r.status)), direct)
        });
    }

    /// A polling trigger: first poll, next poll, bad states, bad inputs.
    fn trigger(&mut self, connector: &Connector, good: &Connection, id: &str, spec: &Spec) {
        let name = format!("trigger {id}");
        let trigger = spec.triggers.get(id);
        if let Some(reason) = trigger.and_then(|t| t.skip.as_deref()) {
            self.skip(name, format!("skipped by the spec: {reason}"));
            return;
        }
        let empty = Value::Object(Map::new());
        let input = trigger.map_or(&empty, |t| &t.input);

        let start = Instant::now();
        let first = match self.note(id, connector.poll(id, good, input, None)) {
            Ok(outcome) => {
                self.pass(
                    format!("{name}: first poll"),
                    format!(
                        "{} item(s) valid against the output schema; {}",
                        outcome.items.len(),
                        if outcome.state.is_some() {
                            "returned a state"
                        } else {
                            "returned no state"
                        }
                    ),
                    start,
                );
                outcome
            }
            Err(e) => {
                self.fail(format!("{name}: first poll"), e.to_string(), start);
                self.skip(
                    format!("{name}: states"),
                    "not checked: the first poll failed",
                );
                return;
            }
        };
        let start = Instant::now();
        match &first.state {
            None => self.skip(
                format!("{name}: next poll"),
                "the first poll returned no state to poll with",
            ),
            Some(state) => match self.note(id, connector.poll(id, good, input, Some(state))) {
                Ok(next) => self.pass(
                    format!("{name}: next poll"),
                    format!(
                        "with the state it returned: {} item(s); the state round-trips",
                        next.items.len()
                    ),
                    start,
                ),
                Err(e) => self.fail(
                    format!("{name}: next poll"),
                    format!("with the state it returned: {e}"),
                    start,
                ),
            },
        }
        let bad_states = trigger.map(|t| t.bad_states.as_slice()).unwrap_or_default();
        if bad_states.is_empty() {
            self.skip(
                format!("{name}: bad states"),
                format!("the spec lists no stale or malformed state ([triggers.{id}] bad-states)"),
            );
        }
        for (i, state) in bad_states.iter().enumerate() {
            let start = Instant::now();
            let check = format!("{name}: bad state {}", i + 1);
            match self.note(id, connector.poll(id, good, input, Some(state))) {
                Err(CallError::Connector { error, .. })
                    if error.kind == ErrorKind::InvalidInput =>
                {
                    self.pass(check, format!("refused: {error}"), start)
                }
                Err(CallError::Connector { error, .. }) => self.fail(
                    check,
                    format!("answered {error}; a state it cannot read must be invalid-input"),
                    start,
                ),
                Ok(outcome) => self.fail(
                    check,
                    format!(
                        "accepted {state} ({} items); the spec says it is stale or malformed",
                        outcome.items.len()
                    ),
                    start,
                ),
                Err(e) => self.fail(
                    check,
                    format!("{e} (expected an invalid-input error)"),
                    start,
                ),
            }
        }
        // Garbage no trigger returned: a connector may read it or refuse it,
        // but must neither trap nor answer anything but invalid-input.
        for garbage in [
            json!("conformance: not a state this trigger returned"),
            json!([{"conformance": true}]),
        ] {
            let start = Instant::now();
            let check = format!("{name}: garbage state {garbage}");
            match self.note(id, connector.poll(id, good, input, Some(&garbage))) {
                Ok(_) => self.pass(check, "read without failing", start),
                Err(CallError::Connector { error, .. })
                    if error.kind == ErrorKind::InvalidInput =>
                {
                    self.pass(check, format!("refused: {error}"), start)
                }
                Err(e) => self.fail(
                    check,
                    format!("{e}; a state it cannot read must be an invalid-input error"),
                    start,
                ),
            }
        }
        let schema = connector
            .description()
            .operation(id)
            .map(|op| op.input_schema.clone())
            .unwrap_or(Value::Null);
        let extra = trigger.map(|t| t.invalid.as_slice()).unwrap_or_default();
        self.invalid_inputs(&name, &schema, input, extra, |kit, bad| {
            let host = kit.note(id, connector.poll(id, good, bad, None));
            let direct = kit.note(
                id,
                connector
                    .poll_unchecked(id, good, &bad.to_string(), None)
                    .map(|n| format!("{n} item(s)")),
            );
            (host.map(|o| format!("{} item(s)", o.items.len())), direct)
        });
    }

    /// A push trigger: its binding, the spec's example and malformed events,
    /// a garbage event, and the inputs it must refuse.
    fn push_trigger(&mut self, connector: &Connector, good: &Connection, id: &str, spec: &Spec) {
        let name = format!("trigger {id}");
        let trigger = spec.triggers.get(id);
        if let Some(reason) = trigger.and_then(|t| t.skip.as_deref()) {
            self.skip(name, format!("skipped by the spec: {reason}"));
            return;
        }
        let empty = Value::Object(Map::new());
        let input = trigger.map_or(&empty, |t| &t.input);

        // The binding: one the host supports, with a JSON object of settings.
        let start = Instant::now();
        let check = format!("{name}: push binding");
        let mut path = None;
        let bound = match self.note(id, connector.push_binding(id, good, input)) {
            Ok(binding) => match event_path(&binding) {
                Ok(p) => {
                    self.pass(
                        check,
                        format!(
                            "binding type {:?} (supported), binding info {} (a JSON object)",
                            binding.binding_type, binding.binding_info
                        ),
                        start,
                    );
                    path = Some(p);
                    true
                }
                Err(why) => {
                    self.fail(
                        check,
                        format!("{why}; binding info {}", binding.binding_info),
                        start,
                    );
                    false
                }
            },
            Err(e) => {
                self.fail(check, format!("push-binding failed: {e}"), start);
                false
            }
        };
        let path = path.unwrap_or_else(|| "/".to_string());

        // The spec's example events: items valid against the output schema.
        let events = trigger.map(|t| t.events.as_slice()).unwrap_or_default();
        if events.is_empty() {
            self.fail(
                format!("{name}: events"),
                format!(
                    "no example event in the spec: add [[triggers.{id}.events]] with a body \
                     (or json) that the trigger turns into items"
                ),
                Instant::now(),
            );
        }
        for (i, event) in events.iter().enumerate() {
            let start = Instant::now();
            let check = numbered(&name, "event", i, event.name.as_deref());
            let result = self.note(
                id,
                connector.handle_event(id, good, input, &event.raw_event(&path)),
            );
            match judge_event(event, result) {
                Ok(detail) => self.pass(check, detail, start),
                Err(detail) => self.fail(check, detail, start),
            }
        }

        // The spec's malformed events: each an invalid-input error.
        let bad_events = trigger.map(|t| t.bad_events.as_slice()).unwrap_or_default();
        if bad_events.is_empty() {
            self.skip(
                format!("{name}: bad events"),
                format!("the spec lists no malformed event ([[triggers.{id}.bad-events]])"),
            );
        }
        for (i, event) in bad_events.iter().enumerate() {
            let start = Instant::now();
            let check = numbered(&name, "bad event", i, event.name.as_deref());
            let result = self.note(
                id,
                connector.handle_event(id, good, input, &event.raw_event(&path)),
            );
            match result {
                Err(CallError::Connector { error, .. })
                    if error.kind == ErrorKind::InvalidInput
                        && event.code.as_ref().is_none_or(|c| *c == error.code) =>
                {
                    self.pass(check, format!("refused: {error}"), start)
                }
                Err(CallError::Connector { error, .. }) => self.fail(
                    check,
                    format!(
                        "answered {error}; a malformed event must be invalid-input{}",
                        event
                            .code
                            .as_ref()
                            .map(|c| format!(" with the code {c}"))
                            .unwrap_or_default()
                    ),
                    start,
                ),
                Ok(items) => self.fail(
                    check,
                    format!(
                        "accepted it ({} item(s)); the spec says it is malformed",
                        items.len()
                    ),
                    start,
                ),
                Err(e) => self.fail(
                    check,
                    format!("{e} (expected an invalid-input error)"),
                    start,
                ),
            }
        }

        // Garbage no source would send in that form: a connector may read it
        // or refuse it, but must neither trap nor answer anything but
        // invalid-input.
        let start = Instant::now();
        let check = format!("{name}: garbage event");
        let garbage = RawEvent {
            method: "POST".into(),
            path: path.clone(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: b"\xff\xfe{conformance: not an event\x00".to_vec(),
        };
        match self.note(id, connector.handle_event(id, good, input, &garbage)) {
            Ok(items) => self.pass(
                check,
                format!(
                    "read without failing: {} item(s) valid against the output schema",
                    items.len()
                ),
                start,
            ),
            Err(CallError::Connector { error, .. }) if error.kind == ErrorKind::InvalidInput => {
                self.pass(check, format!("refused: {error}"), start)
            }
            Err(e) => self.fail(
                check,
                format!("{e}; an event it cannot read must be an invalid-input error"),
                start,
            ),
        }

        // Inputs that break the input schema, given to push-binding.
        if !bound {
            self.skip(
                format!("{name}: invalid inputs"),
                "not checked: push-binding failed",
            );
            return;
        }
        let schema = connector
            .description()
            .operation(id)
            .map(|op| op.input_schema.clone())
            .unwrap_or(Value::Null);
        let extra = trigger.map(|t| t.invalid.as_slice()).unwrap_or_default();
        self.invalid_inputs(&name, &schema, input, extra, |kit, bad| {
            let host = kit.note(id, connector.push_binding(id, good, bad));
            let direct = kit.note(
                id,
                connector
                    .push_binding_unchecked(id, good, &bad.to_string())
                    .map(|t| format!("binding type {t:?}")),
            );
            (
                host.map(|b| format!("binding type {:?}", b.binding_type)),
                direct,
            )
        });
    }

    /// Checks that inputs breaking `schema` are refused by the host and,
    /// given to the connector directly, answered with invalid-input.
    /// `call` makes both calls: through the host, and directly.
    #[allow(clippy::type_complexity)]
    fn invalid_inputs(
        &mut self,
        name: &str,
        schema: &Value,
        base: &Value,
        extra: &[Value],
        mut call: impl FnMut(
            &mut Self,
            &Value,
        ) -> (Result<String, CallError>, Result<String, CallError>),
    ) {
        let Ok(validator) = jsonschema::validator_for(schema) else {
            return;
        };
        let mut cases = broken_inputs(schema, base, &validator);
        for (i, input) in extra.iter().enumerate() {
            let label = format!("spec's invalid input {}", i + 1);
            if validator.is_valid(input) {
                self.fail(
                    format!("{name}: {label}"),
                    format!("the input schema accepts {input}, which the spec lists as invalid"),
                    Instant::now(),
                );
            } else {
                cases.push((label, input.clone()));
            }
        }
        if cases.is_empty() {
            self.skip(
                format!("{name}: invalid inputs"),
                "the input schema accepts every input the kit can make",
            );
        }
        for (label, input) in cases {
            let start = Instant::now();
            let check = format!("{name}: refuses {label}");
            let (host, direct) = call(self, &input);
            let host_verdict = match host {
                Err(CallError::InvalidInput { pointer, .. }) => Ok(pointer),
                Ok(answer) => Err(format!("the host accepted {input} ({answer})")),
                Err(e) => Err(format!(
                    "the host did not refuse {input} as invalid input: {e}"
                )),
            };
            let verdict = host_verdict.and_then(|pointer| match direct {
                Err(CallError::Connector { error, .. }) if error.kind == ErrorKind::InvalidInput => {
                    Ok(format!(
                        "the host refuses it (at {pointer}); called directly, the connector answers {error}"
                    ))
                }
                Err(CallError::Connector { error, .. }) => Err(format!(
                    "called directly with {input}, the connector answers {error}; input that \
                     breaks its schema must be invalid-input"
                )),
                Ok(answer) => Err(format!(
                    "called directly with {input}, the connector accepts it ({answer}); it must \
                     answer invalid-input, even though the host checks inputs first"
                )),
                Err(e) => Err(format!("called directly with {input}: {e}")),
            });
            match verdict {
                Ok(detail) => self.pass(check, detail, start),
                Err(detail) => self.fail(check, detail, start),
            }
        }
    }

    /// `limits`: no call of the run hit a limit.
    fn limits(&mut self, connector: &Connector) {
        let l = connector.limits();
        if self.limit_hits.is_empty() {
            self.pass(
                "limits",
                format!(
                    "no call hit a limit (fuel {}, time {:?}, memory {} MiB, output {} MiB per call)",
                    l.fuel.map_or("unlimited".into(), |f| f.to_string()),
                    l.timeout,
                    l.max_memory_bytes >> 20,
                    l.max_output_bytes >> 20
                ),
                Instant::now(),
            );
        } else {
            let hits = std::mem::take(&mut self.limit_hits);
            self.fail("limits", hits.join("\n"), Instant::now());
        }
    }
}

/// `<name>: <what> <n>` with the spec's label, if any: `files: example 2 (utf8)`.
/// The path of the raw events the kit sends a push trigger, for a binding a host serves: a
/// webhook's path, or a `nats` binding's subject (the host's NATS binding passes each
/// message's subject as the event's path). Any other binding type is refused.
fn event_path(binding: &Binding) -> Result<String, String> {
    match binding.binding_type.as_str() {
        NATS_BINDING => nats_binding(binding).map(|b| b.subject),
        WEBHOOK_BINDING => webhook_path(binding),
        other => Err(format!(
            "the connector asks for a {other:?} binding; this host supports only \"{WEBHOOK_BINDING}\" \
             and \"{NATS_BINDING}\""
        )),
    }
}

fn numbered(name: &str, what: &str, index: usize, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("{name}: {what} {} ({label})", index + 1),
        None => format!("{name}: {what} {}", index + 1),
    }
}

/// Judges a call the spec expects to fail with a connector error of `kind`
/// (and `code`, if given); `answered` says what a successful call gave.
fn judge_expected_error<T>(
    kind: &str,
    code: Option<&str>,
    result: Result<T, CallError>,
    answered: impl FnOnce(&T) -> String,
) -> std::result::Result<String, String> {
    let expected = spec::parse_kind(kind).map_err(|e| e.to_string())?;
    match result {
        Err(CallError::Connector { error, .. }) => {
            if error.kind != expected {
                Err(format!(
                    "answered {error}; expected an error of kind {kind}"
                ))
            } else if code.is_some_and(|c| c != error.code) {
                Err(format!(
                    "answered {error}; expected the code {}",
                    code.unwrap_or("")
                ))
            } else {
                Ok(format!("refused as expected: {error}"))
            }
        }
        Ok(value) => Err(format!(
            "{}; expected an error of kind {kind}",
            answered(&value)
        )),
        Err(e) => Err(format!(
            "{e}; expected an error of kind {kind} from the connector"
        )),
    }
}

/// Whether an example call gave what the spec expects: `Ok(summary)` or
/// `Err(why not)`.
fn judge_example(
    example: &spec::Example,
    result: Result<connector_runtime::Response, CallError>,
) -> std::result::Result<String, String> {
    if let Some(kind) = &example.error {
        return judge_expected_error(kind, example.code.as_deref(), result, |response| {
            format!("answered status {} with {}", response.status, response.body)
        });
    }
    let response = match result {
        Ok(response) => response,
        Err(e @ CallError::InvalidInput { .. }) => {
            return Err(format!("the host refuses the example's input: {e}"));
        }
        Err(e) => return Err(e.to_string()),
    };
    if let Some(status) = example.status
        && status != response.status
    {
        return Err(format!("status {}, expected {status}", response.status));
    }
    let mut detail = format!(
        "status {}, body valid against the output schema",
        response.status
    );
    if let Some(expected) = &example.output {
        let body = response
            .body
            .to_value()
            .map_err(|e| format!("the body could not be read back: {e}"))?;
        if let Some(at) = first_difference(expected, &body, "") {
            return Err(format!(
                "the body differs from the expected output at {at}: got {}",
                response.body
            ));
        }
        detail.push_str(", equal to the expected output");
    }
    Ok(detail)
}

/// Whether an example event gave what the spec expects: `Ok(summary)` or
/// `Err(why not)`.
fn judge_event(
    event: &spec::EventSpec,
    result: Result<Vec<connector_runtime::Item>, CallError>,
) -> std::result::Result<String, String> {
    if let Some(kind) = &event.error {
        return judge_expected_error(kind, event.code.as_deref(), result, |items| {
            format!("gave {} item(s)", items.len())
        });
    }
    let items = result.map_err(|e| e.to_string())?;
    let ids: Vec<&str> = items.iter().map(|item| item.id.as_str()).collect();
    if let Some(expected) = &event.ids
        && ids != expected.iter().map(String::as_str).collect::<Vec<_>>()
    {
        return Err(format!("gave the items {ids:?}, expected {expected:?}"));
    }
    if let Some(n) = event.items
        && n != items.len()
    {
        return Err(format!(
            "gave {} item(s) ({ids:?}), expected {n}",
            items.len()
        ));
    }
    Ok(format!(
        "{} item(s) {ids:?}, valid against the output schema",
        items.len()
    ))
}

/// Inputs that break `schema`, made from it and from a valid `base` input:
/// not an object, without a required property, with a property of the wrong
/// type, with an unknown property. Only those the schema really refuses
/// are kept.
fn broken_inputs(
    schema: &Value,
    base: &Value,
    validator: &jsonschema::Validator,
) -> Vec<(String, Value)> {
    let mut cases = vec![("an array instead of an object".to_string(), json!([]))];
    let base = base.as_object().cloned().unwrap_or_default();
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        if let Some(name) = required
            .iter()
            .filter_map(Value::as_str)
            .find(|n| base.contains_key(*n))
        {
            let mut input = base.clone();
            input.remove(name);
            cases.push((
                format!("input without the required `{name}`"),
                Value::Object(input),
            ));
        } else if let Some(name) = required.iter().filter_map(Value::as_str).next() {
            cases.push((format!("input without the required `{name}`"), json!({})));
        }
    }
    let properties = schema.get("properties").and_then(Value::as_object);
    let declared_types = |name: &str| -> Vec<String> {
        match properties
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("type"))
        {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        }
    };
    // The first property of the base input that declares its type gets a
    // value of another JSON type.
    if let Some((name, types)) = base
        .keys()
        .map(|name| (name.clone(), declared_types(name)))
        .find(|(_, types)| !types.is_empty())
    {
        let candidates = [
            ("array", json!(["conformance"])),
            ("object", json!({"conformance": true})),
            ("boolean", json!(true)),
            ("integer", json!(12345)),
            ("string", json!("conformance")),
        ];
        let wrong = candidates
            .into_iter()
            .filter(|(ty, _)| {
                !types
                    .iter()
                    .any(|t| t == ty || (t == "number" && *ty == "integer"))
            })
            .map(|(_, value)| {
                let mut input = base.clone();
                input.insert(name.clone(), value);
                Value::Object(input)
            })
            .find(|input| !validator.is_valid(input));
        if let Some(input) = wrong {
            cases.push((format!("`{name}` of the wrong type"), input));
        }
    }
    let mut unknown = base.clone();
    unknown.insert("conformance-unknown-property".into(), json!(true));
    cases.push(("an unknown property".into(), Value::Object(unknown)));
    cases.retain(|(_, input)| !validator.is_valid(input));
    cases
}

/// The JSON pointer of the first place where `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(found) = first_difference(p, q, &here) {
                            return Some(found);
                        }
                    }
                    _ => return Some(here),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                if let Some(found) = first_difference(p, q, &format!("{at}/{i}")) {
                    return Some(found);
                }
            }
            (x.len() != y.len()).then(|| format!("{at}/{}", x.len().min(y.len())))
        }
        _ => (a != b).then(|| if at.is_empty() { "/".into() } else { at.into() }),
    }
}

/// `1 action`, `2 actions`.
fn plural(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn list<'a>(problems: impl IntoIterator<Item = &'a Problem>) -> String {
    problems
        .into_iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A fresh, empty directory for a run's `{scratch}` grant, removed after.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "connector-host-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the scratch directory {}", dir.display()))?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_found_by_pointer() {
        let a = json!({"x": [1, 2, {"y": "z"}], "k": 1});
        assert_eq!(first_difference(&a, &a.clone(), ""), None);
        let b = json!({"x": [1, 2, {"y": "w"}], "k": 1});
        assert_eq!(first_difference(&a, &b, "").as_deref(), Some("/x/2/y"));
        let c = json!({"x": [1, 2], "k": 1});
        assert_eq!(first_difference(&a, &c, "").as_deref(), Some("/x/2"));
        assert_eq!(
            first_difference(&json!(1), &json!(2), "").as_deref(),
            Some("/")
        );
    }

    #[test]
    fn broken_inputs_break_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {"text": {"type": "string"}, "n": {"type": "integer"}},
            "required": ["text"],
            "additionalProperties": false,
        });
        let validator = jsonschema::validator_for(&schema).unwrap();
        let cases = broken_inputs(&schema, &json!({"text": "hi", "n": 1}), &validator);
        let labels: Vec<&str> = cases.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "an array instead of an object",
                "input without the required `text`",
                "`n` of the wrong type",
                "an unknown property"
            ]
        );
        // An open schema without requirements refuses only a non-object.
        let open = json!({"type": "object"});
        let validator = jsonschema::validator_for(&open).unwrap();
        assert_eq!(broken_inputs(&open, &json!({}), &validator).len(), 1);
    }
}
