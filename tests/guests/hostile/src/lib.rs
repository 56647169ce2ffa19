//! A deliberately misbehaving connector for the host's limit tests.
//!
//! Its description and operation list are well formed, so the host loads it;
//! each operation then misbehaves in one specific way when invoked (spins,
//! grows memory, overflows its stack, panics, floods the log, returns bodies
//! that are huge, not JSON or of the wrong shape). The operation `ok` proves
//! that the host keeps serving after another call has been stopped. The
//! polling trigger `ticks` and the push trigger `hooked` misbehave on request
//! too (see their descriptions). For the additions of contract 0.2.0:
//! `call-context` answers the call context it was given, the dynamic values
//! of `pick` misbehave as its `mode` input says, and the push trigger
//! `subscribed` (which needs a subscription) misbehaves in `subscribe` and
//! `unsubscribe` as its input says.
//!
//! The misbehaviour must survive the optimizer: loops and allocations go
//! through [`std::hint::black_box`] so that release builds keep them.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

mod additions;
mod contain;
mod reach;

use std::hint::black_box;

use connector::provider::log::{Level, log};
use connector::provider::types::{
    Binding, CallContext, Capabilities, ConnectionParameter, ConnectorError, DynamicValue,
    ErrorKind, ItemMode, Operation, OperationKind, ParameterKind, PollResult, RawEvent, Response,
    ServiceDescription, Subscription, TriggerItem, TriggerSettings, Visibility,
};
use serde_json::{Value, json};

/// The schema of every action's input and output, except where noted.
const OBJECT_SCHEMA: &str = r#"{"type":"object"}"#;

/// The body of a successful call.
const OK_BODY: &str = r#"{"ok":true}"#;

/// Size of the JSON string that `huge-output` returns, without its quotes.
const HUGE_OUTPUT_BYTES: usize = 64 << 20;

/// Size of each chunk that `grow-memory` allocates.
const MEMORY_CHUNK_BYTES: usize = 1 << 20;

/// How many records `log-flood` writes, and how long each message is.
const LOG_FLOOD_RECORDS: usize = 100_000;
const LOG_FLOOD_MESSAGE_BYTES: usize = 1024;

/// The id of the polling trigger.
const TICKS: &str = "ticks";

/// The id of the push trigger.
const HOOKED: &str = "hooked";

/// The id of the push trigger that needs a subscription.
const SUBSCRIBED: &str = "subscribed";

/// The id of the action whose input property `choice` has dynamic values.
const PICK: &str = "pick";

/// The actions, each with a summary of how it misbehaves.
const ACTIONS: &[(&str, &str)] = &[
    ("ok", "Returns {\"ok\":true}."),
    ("spin", "Loops forever."),
    ("grow-memory", "Allocates and touches memory without bound."),
    (
        "recurse",
        "Recurses without bound until the stack overflows.",
    ),
    ("panic", "Panics."),
    ("huge-output", "Returns a 64 MiB JSON string."),
    ("invalid-json", "Returns a body that is not JSON."),
    (
        "wrong-shape",
        "Returns a body that does not match its output schema.",
    ),
    (
        "log-flood",
        "Writes 100000 log records of 1 KiB, then returns.",
    ),
    ("echo", "Returns its input as the body."),
    (
        "call-context",
        "Returns the call context it was given: {\"run_id\", \"step\", \"attempt\", \"idempotency_key\", \"remaining_ms\"}.",
    ),
    (
        "instance-calls",
        "Returns {\"calls\": n, \"first\": [...]}: the calls this instance has served, this \
         one included, and the connection values of its first call (shows live-instance reuse).",
    ),
];

/// Calls this instance has served (`instance-calls`).
static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// The connection of this instance's first call (`instance-calls`).
static FIRST: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();

/// The connector: a unit struct that the generated bindings call into.
struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        ServiceDescription {
            id: "hostile".into(),
            display_name: "Hostile".into(),
            description: "A test connector whose operations misbehave on purpose, \
                          to exercise the host's limits."
                .into(),
            version: "0.1.0".into(),
            brand_color: "#b00020".into(),
            icon_uri: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiLz4=".into(),
            connection_parameters: vec![
                flag("panic", "Panic in check-connection."),
                flag("spin", "Loop forever in check-connection."),
                ConnectionParameter {
                    name: "token".into(),
                    display_name: "Token".into(),
                    description: "A secret that `leak-secret` tries to leak.".into(),
                    kind: ParameterKind::Secret,
                    required: false,
                    default_value: None,
                },
            ],
            capabilities: Capabilities {
                outbound_hosts: Vec::new(),
                directories: Vec::new(),
            },
        }
    }

    fn list_operations() -> Vec<Operation> {
        let mut operations: Vec<Operation> = ACTIONS
            .iter()
            .chain(reach::ACTIONS)
            .chain(contain::ACTIONS)
            .map(|&(id, summary)| Operation {
                id: id.into(),
                summary: summary.into(),
                description: format!("Hostile test action: {summary}"),
                visibility: Visibility::Advanced,
                kind: OperationKind::Action,
                input_schema: OBJECT_SCHEMA.into(),
                output_schema: if id == "wrong-shape" {
                    json!({
                        "type": "object",
                        "properties": { "count": { "type": "integer" } },
                        "required": ["count"],
                    })
                    .to_string()
                } else {
                    OBJECT_SCHEMA.into()
                },
                trigger: None,
            })
            .collect();
        operations.push(Operation {
            id: PICK.into(),
            summary: "Offers choices that misbehave.".into(),
            description: "Returns its input. The dynamic values of `choice` depend on `mode`: \"spin\" loops, \"panic\" panics, \"huge\" returns 64 MiB of choices, \"not-json\" a choice whose value is not JSON, \"leak-secret\" a choice titled with the connection's token, \"echo\" one choice whose value is the input it was given; anything else two choices, \"a\" and \"b\"."
                .into(),
            visibility: Visibility::Advanced,
            kind: OperationKind::Action,
            input_schema: json!({
                "type": "object",
                "properties": {
                    "mode": { "type": "string" },
                    "choice": { "type": "string", "x-dynamic-values": { "depends-on": ["mode"] } },
                },
            })
            .to_string(),
            output_schema: OBJECT_SCHEMA.into(),
            trigger: None,
        });
        operations.push(Operation {
            id: TICKS.into(),
            summary: "Yields one tick per poll.".into(),
            description: "Yields one item `tick-<n>` per poll, counting n up in its state. \
                          Panics if the input has \"panic\": true."
                .into(),
            visibility: Visibility::Advanced,
            kind: OperationKind::PollingTrigger,
            input_schema: OBJECT_SCHEMA.into(),
            output_schema: json!({
                "type": "object",
                "properties": { "n": { "type": "integer" } },
                "required": ["n"],
            })
            .to_string(),
            trigger: Some(TriggerSettings {
                default_recurrence_seconds: 1,
                item_mode: ItemMode::Split,
                needs_subscription: false,
            }),
        });
        operations.push(Operation {
            id: HOOKED.into(),
            summary: "A webhook that misbehaves.".into(),
            description: "Binds a webhook (with \"bad_info\": true in the input, binding \
                          information that is not an object). An event body is read with \
                          unwrap, so a body that is not JSON panics; {\"panic\": true} panics, \
                          {\"spin\": true} loops, {\"wrong\": true} gives an item that breaks \
                          the output schema; any other JSON object is one item."
                .into(),
            visibility: Visibility::Advanced,
            kind: OperationKind::PushTrigger,
            input_schema: OBJECT_SCHEMA.into(),
            output_schema: json!({
                "type": "object",
                "properties": { "n": { "type": "integer" } },
                "required": ["n"],
            })
            .to_string(),
            trigger: Some(TriggerSettings {
                default_recurrence_seconds: 0,
                item_mode: ItemMode::Split,
                needs_subscription: false,
            }),
        });
        operations.push(Operation {
            id: SUBSCRIBED.into(),
            summary: "A webhook whose subscription misbehaves.".into(),
            description: "Needs a subscription. `subscribe` and `unsubscribe` panic with \"panic\": true in the input, loop with \"spin\": true, fail with transient with \"fail\": true; `subscribe` with \"leak_secret\": true returns a subscription holding the connection's token, and otherwise {\"callback\": url}. Bound to /hooks/hostile-subscribed; events are read as for `hooked`."
                .into(),
            visibility: Visibility::Advanced,
            kind: OperationKind::PushTrigger,
            input_schema: OBJECT_SCHEMA.into(),
            output_schema: json!({
                "type": "object",
                "properties": { "n": { "type": "integer" } },
                "required": ["n"],
            })
            .to_string(),
            trigger: Some(TriggerSettings {
                default_recurrence_seconds: 0,
                item_mode: ItemMode::Split,
                needs_subscription: true,
            }),
        });
        operations
    }

    fn check_connection(connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        if flag_set(&connection, "panic") {
            panic!("hostile guest panicked in check-connection on purpose");
        }
        if flag_set(&connection, "spin") {
            spin();
        }
        Ok(())
    }

    fn invoke(
        operation_id: String,
        connection: Vec<(String, String)>,
        input: String,
        context: CallContext,
    ) -> Result<Response, ConnectorError> {
        let parsed: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
        let reached = reach::invoke(&operation_id, &connection, &parsed)
            .or_else(|| contain::invoke(&operation_id, &connection, &parsed));
        if let Some(result) = reached {
            return result
                .map(|body| Response { status: 200, body })
                .map_err(|message| ConnectorError {
                    kind: ErrorKind::Forbidden,
                    code: "reach-failed".into(),
                    message,
                    retry_after_ms: None,
                });
        }
        let body = match operation_id.as_str() {
            "ok" => OK_BODY.to_string(),
            "spin" => spin(),
            "grow-memory" => grow_memory(),
            "recurse" => {
                recurse(0);
                unreachable!("recursion without bound returned")
            }
            "panic" => panic!("hostile guest panicked on purpose"),
            "huge-output" => huge_output(),
            "invalid-json" => "{not json".to_string(),
            "wrong-shape" => r#"{"count":"seven"}"#.to_string(),
            "log-flood" => {
                log_flood();
                OK_BODY.to_string()
            }
            "echo" | "pick" => input,
            "call-context" => json!({
                "run_id": context.run_id,
                "step": context.step,
                "attempt": context.attempt,
                "idempotency_key": context.idempotency_key,
                "remaining_ms": context.remaining_ms,
            })
            .to_string(),
            "instance-calls" => {
                let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let first = FIRST.get_or_init(|| connection.clone());
                json!({"calls": calls, "first": first}).to_string()
            }
            other => return Err(unknown_operation(other)),
        };
        Ok(Response { status: 200, body })
    }

    fn dynamic_values(
        operation_id: String,
        property: String,
        connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Vec<DynamicValue>, ConnectorError> {
        if operation_id != PICK || property != "choice" {
            return Err(invalid_input(
                "no-dynamic-values",
                format!("`{operation_id}` has no dynamic values for `{property}`"),
            ));
        }
        Ok(additions::choices(&connection, &input))
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
        _context: CallContext,
    ) -> Result<PollResult, ConnectorError> {
        if trigger_id != TICKS {
            return Err(unknown_operation(&trigger_id));
        }
        let input: Value = serde_json::from_str(&input)
            .map_err(|e| invalid_input("bad-input", format!("input is not JSON: {e}")))?;
        if input.get("panic") == Some(&Value::Bool(true)) {
            panic!("hostile trigger panicked on purpose");
        }
        let n = match state {
            None => 0,
            Some(state) => serde_json::from_str::<Value>(&state)
                .ok()
                .and_then(|state| state.get("n")?.as_u64())
                .ok_or_else(|| invalid_input("bad-state", "state must be {\"n\": integer}"))?,
        };
        // With "leak_secret": true the state carries the connection's token,
        // which the host must refuse to store.
        let mut next = json!({ "n": n + 1 });
        if input.get("leak_secret") == Some(&Value::Bool(true)) {
            let token = connection
                .iter()
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.clone());
            next["token"] = json!(token);
        }
        // With "leak_escaped": true the item and the state carry the token
        // spelled with JSON escapes, which a literal match would miss.
        if input.get("leak_escaped") == Some(&Value::Bool(true)) {
            let token = additions::secret(&connection).unwrap_or_default();
            let escaped: String = token
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect();
            return Ok(PollResult {
                items: vec![TriggerItem {
                    id: format!("tick-{n}"),
                    body: format!(r#"{{"n":{n},"t":"{escaped}"}}"#),
                }],
                state: Some(format!(r#"{{"n":{},"t":"{escaped}"}}"#, n + 1)),
                poll_again_after_ms: None,
            });
        }
        Ok(PollResult {
            items: vec![TriggerItem {
                id: format!("tick-{n}"),
                body: json!({ "n": n }).to_string(),
            }],
            state: Some(next.to_string()),
            poll_again_after_ms: None,
        })
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Binding, ConnectorError> {
        if trigger_id == SUBSCRIBED {
            return Ok(Binding {
                binding_type: "webhook".into(),
                binding_info: json!({ "path": "/hooks/hostile-subscribed" }).to_string(),
            });
        }
        if trigger_id != HOOKED {
            return Err(not_a_push_trigger());
        }
        let input: Value = serde_json::from_str(&input).unwrap_or(Value::Null);
        let binding_info = if input.get("bad_info") == Some(&Value::Bool(true)) {
            "[1, 2, 3]".to_string()
        } else {
            json!({ "path": "/hooks/hostile" }).to_string()
        };
        Ok(Binding {
            binding_type: "webhook".into(),
            binding_info,
        })
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        if trigger_id != HOOKED && trigger_id != SUBSCRIBED {
            return Err(not_a_push_trigger());
        }
        // Careless on purpose: a body that is not JSON panics.
        let body: Value = serde_json::from_slice(&event.body).unwrap();
        if body.get("panic") == Some(&Value::Bool(true)) {
            panic!("hostile webhook panicked on purpose");
        }
        if body.get("spin") == Some(&Value::Bool(true)) {
            spin();
        }
        let item = if body.get("wrong") == Some(&Value::Bool(true)) {
            json!({ "n": "seven" })
        } else {
            json!({ "n": 1 })
        };
        Ok(vec![TriggerItem {
            id: "hooked-1".into(),
            body: item.to_string(),
        }])
    }

    fn subscribe(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        callback_url: String,
    ) -> Result<Subscription, ConnectorError> {
        let input = additions::subscription_input(&trigger_id, &input)?;
        let data = if input.get("leak_secret") == Some(&Value::Bool(true)) {
            json!({ "callback": callback_url, "token": additions::secret(&connection) })
        } else {
            json!({ "callback": callback_url })
        };
        Ok(Subscription {
            data: data.to_string(),
        })
    }

    fn unsubscribe(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
        _subscription: Subscription,
    ) -> Result<(), ConnectorError> {
        additions::subscription_input(&trigger_id, &input).map(|_| ())
    }
}

/// Loops forever. `black_box` hides the counter from the optimizer, which
/// could otherwise prove the loop has no effect.
fn spin() -> ! {
    let mut counter: u64 = 0;
    loop {
        counter = black_box(counter.wrapping_add(1));
    }
}

/// Allocates 1 MiB chunks filled with non-zero bytes (so every page is
/// written, not just reserved) and keeps them all, until the host's memory
/// limit stops it or the allocator aborts.
fn grow_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let chunk = vec![0xA5u8; MEMORY_CHUNK_BYTES];
        hoard.push(black_box(chunk));
        black_box(&hoard);
    }
}

/// Recurses until the stack overflows.
///
/// `a` is used after the recursive call returns, so the call is not in tail
/// position and cannot become a loop. The exit test depends on a value the
/// optimizer cannot see, so the compiler does not consider the function
/// unconditionally recursive, though it never exits at run time.
///
/// Only scalars go through `black_box`: they stay in WebAssembly locals, on
/// the engine's own stack, so the recursion ends in the engine's "call stack
/// exhausted" trap. An array in the frame would live on Rust's shadow stack
/// in linear memory instead, and overflowing that shows up as an
/// out-of-bounds memory access, which says less about what happened.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let a = black_box(depth.wrapping_mul(31));
    if black_box(depth) == u64::MAX {
        return a;
    }
    let below = recurse(black_box(depth + 1));
    black_box(a ^ below)
}

/// A JSON string whose contents are 64 MiB of `x`.
fn huge_output() -> String {
    let mut body = String::with_capacity(HUGE_OUTPUT_BYTES + 2);
    body.push('"');
    body.extend(std::iter::repeat_n('x', HUGE_OUTPUT_BYTES));
    body.push('"');
    body
}

/// Writes many 1 KiB log records as fast as it can.
fn log_flood() {
    let message =
        "flood ".repeat(LOG_FLOOD_MESSAGE_BYTES / 6 + 1)[..LOG_FLOOD_MESSAGE_BYTES].to_string();
    for i in 0..LOG_FLOOD_RECORDS {
        log(
            Level::Info,
            &message,
            &[("record".to_string(), i.to_string())],
        );
    }
}

/// A boolean connection parameter that is off unless set.
fn flag(name: &str, description: &str) -> ConnectionParameter {
    ConnectionParameter {
        name: name.into(),
        display_name: name.into(),
        description: description.into(),
        kind: ParameterKind::Boolean,
        required: false,
        default_value: Some("false".into()),
    }
}

/// Whether the connection sets the parameter `name` to `true`.
fn flag_set(connection: &[(String, String)], name: &str) -> bool {
    connection
        .iter()
        .any(|(key, value)| key == name && value == "true")
}

fn invalid_input(code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

fn unknown_operation(id: &str) -> ConnectorError {
    invalid_input("unknown-operation", format!("no operation named `{id}`"))
}

fn not_a_push_trigger() -> ConnectorError {
    invalid_input("not-a-push-trigger", "this connector has no push triggers")
}

export!(Component);
