//! `source`: a test connector whose triggers produce a known, deterministic
//! sequence of items, for the host's delivery tests (crash, sink outage,
//! traps, restarts, push).
//!
//! Its one action, `count`, answers how many items a sequence of `total`
//! has and the last one's id.
//!
//! Triggers:
//! - `sequence` (polling, split): item `item-<i>` with body `{"n": i}` for
//!   i in 0..total, `batch` items per poll, state `{"next": i}`. While items
//!   remain it asks to be polled again at once (unless `drain` is false).
//!   With `counter` it counts its polls in a file of the granted directory
//!   (before doing anything else, so trapped polls count too); with
//!   `trap_every: k` it panics on every k-th poll by that count.
//! - `sequence-batch` (polling, single): the same, delivered as one event per poll.
//! - `webhook` (push): bound to the host's webhook at `/hooks/<name>`; a
//!   request body that is a JSON object, or an array of objects, each with an
//!   `id`, becomes one item per object. Anything else is `invalid-input`.
//! - `pigeon` (push): asks for a binding type no host supports, so that the
//!   host's refusal can be tested.
//!
//! Its conformance spec, `connector-test.toml` beside this crate, exercises
//! the kit's checks of push triggers (binding, example and malformed events).

// Built against the frozen 0.1.0 contract on purpose: this guest checks that
// the host still runs components of the previous version.
wit_bindgen::generate!({
    path: "../../../wit/v0.1.0",
    world: "connector",
});

use std::fs;

use connector::provider::types::{
    Binding, Capabilities, ConnectionParameter, ConnectorError, DirectoryNeed, ErrorKind, ItemMode,
    Operation, OperationKind, ParameterKind, PollResult, RawEvent, Response, ServiceDescription,
    TriggerItem, TriggerSettings, Visibility,
};
use serde::Deserialize;
use serde_json::{Value, json};

const SEQUENCE: &str = "sequence";
/// The id of the one action.
const COUNT: &str = "count";
const SEQUENCE_BATCH: &str = "sequence-batch";
const WEBHOOK: &str = "webhook";
const PIGEON: &str = "pigeon";

/// The connection parameter that `echo_token` copies into the state, so that
/// the host's redaction of committed state can be tested.
const TOKEN: &str = "token";

/// The connector: a unit struct that the generated bindings call into.
struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        ServiceDescription {
            id: "source".into(),
            display_name: "Source".into(),
            description: "A test connector whose triggers yield a known sequence of items.".into(),
            version: "0.1.0".into(),
            brand_color: "#3366cc".into(),
            icon_uri: String::new(),
            connection_parameters: vec![ConnectionParameter {
                name: TOKEN.into(),
                display_name: "Token".into(),
                description: "A secret that the sequence can echo into its state (for tests of \
                              redaction)."
                    .into(),
                kind: ParameterKind::Secret,
                required: false,
                default_value: None,
            }],
            capabilities: Capabilities {
                outbound_hosts: Vec::new(),
                directories: vec![DirectoryNeed {
                    guest_path: "/scratch".into(),
                    description: "Where `counter` files are kept, when the input names one.".into(),
                    writable: true,
                }],
            },
        }
    }

    fn list_operations() -> Vec<Operation> {
        let item_schema = json!({
            "type": "object",
            "properties": { "n": { "type": "integer", "minimum": 0 } },
            "required": ["n"],
            "additionalProperties": false,
        })
        .to_string();
        vec![
            Operation {
                id: COUNT.into(),
                summary: "How many items a sequence has".into(),
                description: "For `total`, answers {\"items\": total, \"last\": the last \
                              item's id or null}: an action, so that the suite can invoke a \
                              0.1.0 component too."
                    .into(),
                visibility: Visibility::Advanced,
                kind: OperationKind::Action,
                input_schema: json!({
                    "type": "object",
                    "properties": { "total": { "type": "integer", "minimum": 0, "maximum": 1_000_000 } },
                    "required": ["total"],
                    "additionalProperties": false,
                })
                .to_string(),
                output_schema: json!({
                    "type": "object",
                    "properties": {
                        "items": { "type": "integer" },
                        "last": { "type": ["string", "null"] },
                    },
                    "required": ["items", "last"],
                    "additionalProperties": false,
                })
                .to_string(),
                trigger: None,
            },
            Operation {
                id: SEQUENCE.into(),
                summary: "A known sequence of items".into(),
                description: "Yields item-0, item-1, ... item-(total-1), `batch` per poll, one \
                              event each."
                    .into(),
                visibility: Visibility::Important,
                kind: OperationKind::PollingTrigger,
                input_schema: sequence_input_schema(),
                output_schema: item_schema.clone(),
                trigger: Some(TriggerSettings {
                    default_recurrence_seconds: 1,
                    item_mode: ItemMode::Split,
                }),
            },
            Operation {
                id: SEQUENCE_BATCH.into(),
                summary: "A known sequence of items, one event per poll".into(),
                description: "As `sequence`, but each poll's items are delivered together.".into(),
                visibility: Visibility::Advanced,
                kind: OperationKind::PollingTrigger,
                input_schema: sequence_input_schema(),
                output_schema: item_schema,
                trigger: Some(TriggerSettings {
                    default_recurrence_seconds: 1,
                    item_mode: ItemMode::Single,
                }),
            },
            Operation {
                id: WEBHOOK.into(),
                summary: "Items posted to a webhook".into(),
                description: "Each JSON object posted to /hooks/<name> (alone or in an array) \
                              becomes an item; each must have an `id`."
                    .into(),
                visibility: Visibility::Important,
                kind: OperationKind::PushTrigger,
                input_schema: json!({
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "pattern": "^[a-z0-9-]{1,64}$" },
                    },
                    "required": ["name"],
                    "additionalProperties": false,
                })
                .to_string(),
                output_schema: json!({
                    "type": "object",
                    "required": ["id"],
                })
                .to_string(),
                trigger: Some(TriggerSettings {
                    default_recurrence_seconds: 0,
                    item_mode: ItemMode::Split,
                }),
            },
            Operation {
                id: PIGEON.into(),
                summary: "Items brought by carrier pigeon".into(),
                description: "Asks for a binding type that no host supports.".into(),
                visibility: Visibility::Advanced,
                kind: OperationKind::PushTrigger,
                input_schema: json!({"type": "object"}).to_string(),
                output_schema: json!({"type": "object"}).to_string(),
                trigger: Some(TriggerSettings {
                    default_recurrence_seconds: 0,
                    item_mode: ItemMode::Split,
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
    ) -> Result<Response, ConnectorError> {
        if operation_id != COUNT {
            return Err(invalid_input(
                "unknown-operation",
                format!("the source connector has no action `{operation_id}`"),
            ));
        }
        // Checked as the schema says, since a connector must not trust the
        // host's validation blindly.
        let input: serde_json::Value = serde_json::from_str(&input)
            .map_err(|e| invalid_input("bad-input", format!("the input is not JSON: {e}")))?;
        let total = input
            .as_object()
            .filter(|o| o.len() == 1)
            .and_then(|o| o.get("total")?.as_u64())
            .filter(|total| *total <= 1_000_000)
            .ok_or_else(|| {
                invalid_input(
                    "bad-input",
                    "the input must be {\"total\": an integer from 0 to 1000000}",
                )
            })?;
        let last = total.checked_sub(1).map(|i| format!("item-{i}"));
        Ok(Response {
            status: 200,
            body: json!({ "items": total, "last": last }).to_string(),
        })
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        match trigger_id.as_str() {
            SEQUENCE | SEQUENCE_BATCH => poll_sequence(&connection, &input, state.as_deref()),
            other => Err(invalid_input(
                "unknown-operation",
                format!("the source connector has no polling trigger `{other}`"),
            )),
        }
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Binding, ConnectorError> {
        match trigger_id.as_str() {
            WEBHOOK => {
                let input: WebhookInput = parse_input(&input)?;
                // As the schema's pattern: the name becomes a path segment.
                let valid = (1..=64).contains(&input.name.len())
                    && input
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !valid {
                    return Err(invalid_input(
                        "bad-input",
                        format!("the name {:?} is not 1-64 of a-z, 0-9 and -", input.name),
                    ));
                }
                Ok(Binding {
                    binding_type: "webhook".into(),
                    binding_info: json!({ "path": format!("/hooks/{}", input.name) }).to_string(),
                })
            }
            PIGEON => Ok(Binding {
                binding_type: "carrier-pigeon".into(),
                binding_info: json!({ "loft": "north" }).to_string(),
            }),
            other => Err(not_a_push_trigger(other)),
        }
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        match trigger_id.as_str() {
            WEBHOOK => webhook_items(&event),
            PIGEON => Err(invalid_input("no-pigeons", "no pigeon ever arrives")),
            other => Err(not_a_push_trigger(other)),
        }
    }
}

/// Input of `sequence` and `sequence-batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SequenceInput {
    #[serde(default = "default_batch")]
    batch: u64,
    #[serde(default = "default_total")]
    total: u64,
    #[serde(default = "yes")]
    drain: bool,
    #[serde(default)]
    counter: Option<String>,
    #[serde(default)]
    trap_every: Option<u64>,
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    echo_token: bool,
}

fn default_batch() -> u64 {
    5
}

fn default_total() -> u64 {
    100
}

fn yes() -> bool {
    true
}

fn sequence_input_schema() -> String {
    json!({
        "type": "object",
        "properties": {
            "batch": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 5,
                       "description": "Items per poll." },
            "total": { "type": "integer", "minimum": 0, "default": 100,
                       "description": "How many items the sequence has." },
            "drain": { "type": "boolean", "default": true,
                       "description": "Ask to be polled again at once while items remain." },
            "counter": { "type": "string", "pattern": "^/scratch/[A-Za-z0-9._-]+$",
                         "description": "A file in /scratch that counts this trigger's polls." },
            "trap_every": { "type": "integer", "minimum": 1,
                            "description": "Panic on every k-th poll (needs `counter`)." },
            "sleep_ms": { "type": "integer", "minimum": 0, "maximum": 60000, "default": 0,
                          "description": "Sleep this long in each poll." },
            "echo_token": { "type": "boolean", "default": false,
                            "description": "Copy the connection's token into the state." },
        },
        "additionalProperties": false,
    })
    .to_string()
}

/// The sequence's state.
#[derive(Debug, Deserialize)]
struct SequenceState {
    next: u64,
}

fn poll_sequence(
    connection: &[(String, String)],
    input: &str,
    state: Option<&str>,
) -> Result<PollResult, ConnectorError> {
    let input: SequenceInput = parse_input(input)?;
    if input.trap_every.is_some() && input.counter.is_none() {
        return Err(invalid_input(
            "bad-input",
            "trap_every needs a counter file to count polls in",
        ));
    }
    let next = match state {
        None => 0,
        Some(text) => {
            serde_json::from_str::<SequenceState>(text)
                .map_err(|e| {
                    invalid_input("bad-state", format!("state is not {{\"next\": n}}: {e}"))
                })?
                .next
        }
    };
    // Count first, so that a poll that traps below is counted too: the count
    // must advance even though the host keeps the state of a trapped poll.
    if let Some(counter) = &input.counter {
        let polls = bump_counter(counter)?;
        if let Some(k) = input.trap_every {
            if polls % k == 0 {
                panic!("source: trapping on poll {polls} on purpose (every {k})");
            }
        }
    }
    if input.sleep_ms > 0 {
        std::thread::sleep(std::time::Duration::from_millis(input.sleep_ms));
    }
    let end = next.saturating_add(input.batch).min(input.total);
    let items: Vec<TriggerItem> = (next..end)
        .map(|i| TriggerItem {
            id: format!("item-{i}"),
            body: json!({ "n": i }).to_string(),
        })
        .collect();
    if items.is_empty() {
        // Nothing new: keep the committed state.
        return Ok(PollResult {
            items,
            state: None,
            poll_again_after_ms: None,
        });
    }
    let mut new_state = json!({ "next": end });
    if input.echo_token {
        if let Some((_, token)) = connection.iter().find(|(k, _)| k == TOKEN) {
            new_state["token_seen"] = Value::String(token.clone());
        }
    }
    Ok(PollResult {
        items,
        state: Some(new_state.to_string()),
        poll_again_after_ms: (input.drain && end < input.total).then_some(0),
    })
}

/// Adds one to the number in `path` (0 when the file does not exist) and
/// returns it. The new count is written to a temporary file and renamed
/// over the old one, so that a host killed mid-write (the crash test does
/// that) leaves the old count or the new one, never a torn file.
fn bump_counter(path: &str) -> Result<u64, ConnectorError> {
    let fail = |message: String| ConnectorError {
        kind: ErrorKind::Internal,
        code: "counter".into(),
        message,
        retry_after_ms: None,
    };
    let io = |e: std::io::Error| fail(format!("cannot update the counter {path}: {e}"));
    let current = match fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .parse::<u64>()
            .map_err(|_| fail(format!("the counter {path} holds {text:?}, not a number")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io(e)),
    };
    let polls = current + 1;
    let temporary = format!("{path}.tmp");
    fs::write(&temporary, polls.to_string()).map_err(io)?;
    fs::rename(&temporary, path).map_err(io)?;
    Ok(polls)
}

/// Input of `webhook`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookInput {
    name: String,
}

/// Turns a posted body into items: an object, or an array of objects, each
/// with an `id` (a string or a number).
fn webhook_items(event: &RawEvent) -> Result<Vec<TriggerItem>, ConnectorError> {
    if !event.method.eq_ignore_ascii_case("POST") {
        return Err(invalid_input(
            "method-not-allowed",
            format!("the webhook takes POST, not {}", event.method),
        ));
    }
    let body: Value = serde_json::from_slice(&event.body)
        .map_err(|e| invalid_input("bad-json", format!("the body is not JSON: {e}")))?;
    let objects = match body {
        Value::Array(values) => values,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(invalid_input(
                "bad-body",
                "the body must be a JSON object or an array of objects",
            ));
        }
    };
    objects
        .into_iter()
        .enumerate()
        .map(|(i, object)| {
            if !object.is_object() {
                return Err(invalid_input(
                    "bad-body",
                    format!("element {i} is not an object"),
                ));
            }
            let id = match object.get("id") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(invalid_input(
                        "missing-id",
                        format!("object {i} has no `id` (a non-empty string or a number)"),
                    ));
                }
            };
            Ok(TriggerItem {
                id,
                body: object.to_string(),
            })
        })
        .collect()
}

/// Parses an input object. Anything but an object is refused before serde
/// sees it: serde would read `[]` as a struct whose fields all have defaults.
fn parse_input<T: serde::de::DeserializeOwned>(input: &str) -> Result<T, ConnectorError> {
    let bad = |why: String| {
        invalid_input(
            "bad-input",
            format!("the input does not fit the schema: {why}"),
        )
    };
    let value: Value = serde_json::from_str(input).map_err(|e| bad(e.to_string()))?;
    if !value.is_object() {
        return Err(bad(format!("expected an object, got {value}")));
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

fn invalid_input(code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

fn not_a_push_trigger(id: &str) -> ConnectorError {
    invalid_input(
        "not-a-push-trigger",
        format!("the source connector has no push trigger `{id}`"),
    )
}

export!(Component);
