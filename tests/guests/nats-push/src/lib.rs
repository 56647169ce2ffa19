//! `nats-push`: a test connector with one push trigger, `messages`, that asks the host for the
//! `nats` binding, for the tests of the NATS JetStream binding (`host/cli/tests/all/nats.rs`)
//! and of the conformance kit.
//!
//! `messages` takes `{"subject": ..., "queue": ...}` (queue optional) and binds to that
//! subject. Each message whose payload is a JSON object with a string `id` (or an array of
//! such objects) becomes one item per object; any other payload is refused as `invalid-input`
//! (`bad-event`), which the host must not retry.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

use connector::provider::types::{
    Binding, CallContext, Capabilities, ConnectorError, DynamicValue, ErrorKind, ItemMode,
    Operation, OperationKind, PollResult, RawEvent, Response, ServiceDescription, Subscription,
    TriggerItem, TriggerSettings, Visibility,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The one trigger.
const MESSAGES: &str = "messages";

/// The connector: a unit struct that the generated bindings call into.
struct Component;

/// The input of `messages`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    subject: String,
    #[serde(default)]
    queue: Option<String>,
}

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        ServiceDescription {
            id: "nats-push".into(),
            display_name: "NATS push".into(),
            description: "A test connector whose push trigger is fed by NATS JetStream.".into(),
            version: "0.1.0".into(),
            brand_color: "#27aae1".into(),
            icon_uri: String::new(),
            connection_parameters: Vec::new(),
            capabilities: Capabilities {
                outbound_hosts: Vec::new(),
                directories: Vec::new(),
            },
        }
    }

    fn list_operations() -> Vec<Operation> {
        vec![Operation {
            id: MESSAGES.into(),
            summary: "Messages published to a NATS subject".into(),
            description: "Each JSON object with an `id` published to `subject` (alone or in an \
                          array) becomes an item."
                .into(),
            visibility: Visibility::Important,
            kind: OperationKind::PushTrigger,
            input_schema: json!({
                "type": "object",
                "properties": {
                    "subject": { "type": "string", "minLength": 1, "maxLength": 200 },
                    "queue": { "type": "string", "minLength": 1, "maxLength": 64 },
                },
                "required": ["subject"],
                "additionalProperties": false,
            })
            .to_string(),
            output_schema: json!({
                "type": "object",
                "properties": { "id": { "type": "string" } },
                "required": ["id"],
            })
            .to_string(),
            trigger: Some(TriggerSettings {
                default_recurrence_seconds: 0,
                item_mode: ItemMode::Split,
                needs_subscription: false,
            }),
        }]
    }

    fn check_connection(_connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn invoke(
        operation_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _context: CallContext,
    ) -> Result<Response, ConnectorError> {
        Err(invalid_input(
            "unknown-operation",
            format!("nats-push has no action `{operation_id}`"),
        ))
    }

    fn dynamic_values(
        operation_id: String,
        property: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Vec<DynamicValue>, ConnectorError> {
        Err(invalid_input(
            "no-dynamic-values",
            format!("{operation_id} has no dynamic values for {property}"),
        ))
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _state: Option<String>,
        _context: CallContext,
    ) -> Result<PollResult, ConnectorError> {
        Err(not_polled(&trigger_id))
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Binding, ConnectorError> {
        if trigger_id != MESSAGES {
            return Err(not_polled(&trigger_id));
        }
        let input: Input = serde_json::from_str(&input)
            .map_err(|e| invalid_input("bad-input", format!("the input does not fit: {e}")))?;
        // As the schema says: a connector must not trust the host's validation blindly.
        let fits = |s: &str, max: usize| !s.is_empty() && s.len() <= max;
        if !fits(&input.subject, 200) || input.queue.as_deref().is_some_and(|q| !fits(q, 64)) {
            return Err(invalid_input(
                "bad-input",
                "subject must be 1-200 characters and queue 1-64",
            ));
        }
        let mut info = json!({ "subject": input.subject });
        if let Some(queue) = input.queue {
            info["queue"] = queue.into();
        }
        Ok(Binding {
            binding_type: "nats".into(),
            binding_info: info.to_string(),
        })
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        if trigger_id != MESSAGES {
            return Err(not_polled(&trigger_id));
        }
        let value: Value = serde_json::from_slice(&event.body)
            .map_err(|e| invalid_input("bad-event", format!("the payload is not JSON: {e}")))?;
        let objects = match value {
            Value::Array(many) => many,
            one => vec![one],
        };
        objects
            .into_iter()
            .map(|object| match object.get("id") {
                Some(Value::String(id)) if !id.is_empty() => Ok(TriggerItem {
                    id: id.clone(),
                    body: object.to_string(),
                }),
                _ => Err(invalid_input(
                    "bad-event",
                    "each message object needs a non-empty string `id`",
                )),
            })
            .collect()
    }

    fn subscribe(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _callback_url: String,
    ) -> Result<Subscription, ConnectorError> {
        Err(invalid_input(
            "no-subscription",
            format!("{trigger_id} needs no subscription"),
        ))
    }

    fn unsubscribe(
        _trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _subscription: Subscription,
    ) -> Result<(), ConnectorError> {
        Ok(())
    }
}

fn not_polled(trigger_id: &str) -> ConnectorError {
    invalid_input(
        "unknown-operation",
        format!("nats-push has only the push trigger `{MESSAGES}`, not `{trigger_id}`"),
    )
}

fn invalid_input(code: &str, message: impl Into<String>) -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: code.into(),
        message: message.into(),
        retry_after_ms: None,
    }
}

export!(Component);
