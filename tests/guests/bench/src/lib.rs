//! The connector that `make bench` calls (see `BENCHMARKS.md`).
//!
//! - `echo` returns its input as the body: the round trip of figures 2-5
//!   and 7, with no work of its own;
//! - `transform` runs [`bench_transform::transform`]: figure 6, against the
//!   same code compiled natively;
//! - the polling trigger `source` returns `batch` items per poll, counting
//!   in its state: figure 8.
//!
//! The global allocator is `dlmalloc`, as in the native side of figure 6.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

use connector::provider::types::{
    Binding, CallContext, Capabilities, ConnectorError, DynamicValue, ErrorKind, ItemMode,
    Operation, OperationKind, PollResult, RawEvent, Response, ServiceDescription, Subscription,
    TriggerItem, TriggerSettings, Visibility,
};

#[global_allocator]
static GLOBAL: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

const OBJECT_SCHEMA: &str = r#"{"type":"object"}"#;
const SOURCE: &str = "source";
/// Largest batch `source` returns.
const MAX_BATCH: u64 = 1000;

struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        ServiceDescription {
            id: "bench".into(),
            display_name: "Bench".into(),
            description: "The connector the benchmark suite calls.".into(),
            version: "0.1.0".into(),
            brand_color: "#445566".into(),
            icon_uri: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiLz4=".into(),
            connection_parameters: Vec::new(),
            capabilities: Capabilities {
                outbound_hosts: Vec::new(),
                directories: Vec::new(),
            },
        }
    }

    fn list_operations() -> Vec<Operation> {
        let action = |id: &str, summary: &str| Operation {
            id: id.into(),
            summary: summary.into(),
            description: summary.into(),
            visibility: Visibility::Advanced,
            kind: OperationKind::Action,
            input_schema: OBJECT_SCHEMA.into(),
            output_schema: OBJECT_SCHEMA.into(),
            trigger: None,
        };
        vec![
            action("echo", "Returns its input as the body."),
            action("transform", "Filters, reshapes and sorts a list of orders."),
            Operation {
                id: SOURCE.into(),
                summary: "Returns `batch` items per poll.".into(),
                description: "Returns `batch` items (default 1, at most 1000) per poll, \
                              numbered on from the state's `n`, each with the wall-clock \
                              time it was made (`t_us`, µs since the epoch)."
                    .into(),
                visibility: Visibility::Advanced,
                kind: OperationKind::PollingTrigger,
                input_schema:
                    r#"{"type":"object","properties":{"batch":{"type":"integer","minimum":1}}}"#
                        .into(),
                output_schema:
                    r#"{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}"#
                        .into(),
                trigger: Some(TriggerSettings {
                    default_recurrence_seconds: 1,
                    item_mode: ItemMode::Split,
                    needs_subscription: false,
                }),
            },
        ]
    }

    fn check_connection(_connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn invoke(
        operation_id: String,
        _connection: Vec<(String, String)>,
        input: String,
        _context: CallContext,
    ) -> Result<Response, ConnectorError> {
        let body = match operation_id.as_str() {
            "echo" => input,
            "transform" => bench_transform::transform(&input).map_err(|e| error("bad-input", e))?,
            other => return Err(error("unknown-operation", format!("no action {other:?}"))),
        };
        Ok(Response { status: 200, body })
    }

    fn dynamic_values(
        operation_id: String,
        property: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Vec<DynamicValue>, ConnectorError> {
        Err(error(
            "no-dynamic-values",
            format!("{operation_id:?} has no dynamic values for {property:?}"),
        ))
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
        _context: CallContext,
    ) -> Result<PollResult, ConnectorError> {
        if trigger_id != SOURCE {
            return Err(error(
                "unknown-operation",
                format!("no trigger {trigger_id:?}"),
            ));
        }
        let number = |text: &str, key: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get(key)?.as_u64())
        };
        let batch = number(&input, "batch").unwrap_or(1).clamp(1, MAX_BATCH);
        let n = state.as_deref().and_then(|s| number(s, "n")).unwrap_or(0);
        // When the item was made (wall clock, µs since the epoch), so that a
        // sink can tell how long it took to be delivered.
        let t_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        let items = (n..n + batch)
            .map(|i| TriggerItem {
                id: format!("e-{i}"),
                body: format!(r#"{{"n":{i},"t_us":{t_us}}}"#),
            })
            .collect();
        Ok(PollResult {
            items,
            state: Some(format!(r#"{{"n":{}}}"#, n + batch)),
            poll_again_after_ms: None,
        })
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Binding, ConnectorError> {
        Err(error(
            "not-a-push-trigger",
            format!("{trigger_id:?} is not a push trigger"),
        ))
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        Err(error(
            "not-a-push-trigger",
            format!("{trigger_id:?} is not a push trigger"),
        ))
    }

    fn subscribe(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _callback_url: String,
    ) -> Result<Subscription, ConnectorError> {
        Err(error(
            "not-a-push-trigger",
            format!("{trigger_id:?} is not a push trigger"),
        ))
    }

    fn unsubscribe(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _subscription: Subscription,
    ) -> Result<(), ConnectorError> {
        Err(error(
            "not-a-push-trigger",
            format!("{trigger_id:?} is not a push trigger"),
        ))
    }
}

fn error(code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

export!(Component);
