//! Calls into a connector's push triggers: `push-binding` (which event
//! source feeds the trigger) and `handle-event` (one event into items).
//!
//! Kept apart from the polling and action calls in the parent module; it
//! uses the same machinery (a fresh store per call, limits, input and output
//! checks, redaction).

use serde::Serialize;
use serde_json::Value;

use super::{Connector, Item, check_input};
use crate::bindings::types as wit;
use crate::connection::Connection;
use crate::description::OperationKind;
use crate::error::CallError;

/// How the host wires an event source to a push trigger, as the connector
/// asked for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// The kind of event source, e.g. `webhook`.
    pub binding_type: String,
    /// That source's settings, a JSON object (e.g. `{"path": "/hooks/x"}`).
    pub binding_info: Value,
}

/// One event from a push trigger's source, as the host received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEvent {
    /// For a webhook: the HTTP method.
    pub method: String,
    /// For a webhook: the request path and query.
    pub path: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The payload.
    pub body: Vec<u8>,
}

impl Connector {
    /// Asks the push trigger `trigger` which event source feeds it.
    pub fn push_binding(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
    ) -> Result<Binding, CallError> {
        self.expect_kind(trigger, &[OperationKind::PushTrigger])?;
        check_input(self.schemas[trigger].input.as_ref(), input)?;
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = input.to_string();
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            guest.push_binding(&mut *store, trigger, &connection.to_wit(), &input_text)
        })?;
        let binding = result.map_err(|e| self.connector_error(e, &redactor))?;
        self.check_output_size(binding.binding_type.len() + binding.binding_info.len())?;
        self.refuse_secrets("the binding information", &binding.binding_info, &redactor)?;
        self.refuse_secrets("the binding type", &binding.binding_type, &redactor)?;
        if binding.binding_type.trim().is_empty() {
            return Err(self.bad_output("the binding type is empty".into(), &redactor));
        }
        let info: Value = serde_json::from_str(&binding.binding_info).map_err(|e| {
            self.bad_output(
                format!("the binding information is not JSON: {e}"),
                &redactor,
            )
        })?;
        if !info.is_object() {
            return Err(self.bad_output(
                "the binding information is not a JSON object".into(),
                &redactor,
            ));
        }
        Ok(Binding {
            binding_type: binding.binding_type,
            binding_info: info,
        })
    }

    /// Turns one event from the push trigger's source into items, each
    /// checked against the trigger's output schema.
    pub fn handle_event(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        event: &RawEvent,
    ) -> Result<Vec<Item>, CallError> {
        self.expect_kind(trigger, &[OperationKind::PushTrigger])?;
        check_input(self.schemas[trigger].input.as_ref(), input)?;
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = input.to_string();
        let raw = wit::RawEvent {
            method: event.method.clone(),
            path: event.path.clone(),
            headers: event.headers.clone(),
            body: event.body.clone(),
        };
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            guest.handle_event(
                &mut *store,
                trigger,
                &connection.to_wit(),
                &input_text,
                &raw,
            )
        })?;
        let items = result.map_err(|e| self.connector_error(e, &redactor))?;
        self.check_output_size(items.iter().map(|i| i.id.len() + i.body.len()).sum())?;
        self.checked_items(trigger, items, "event", &redactor)
    }
}

/// The binding type the host's webhook listener serves.
pub const WEBHOOK_BINDING: &str = "webhook";

/// The path a binding asks the webhook listener to route, or why this host
/// cannot serve the binding: its type must be `webhook`, and its information
/// must give a `path` that starts with `/` and has no query, fragment or
/// spaces. (The conformance kit checks bindings with it too.)
pub fn webhook_path(binding: &Binding) -> Result<String, String> {
    if binding.binding_type != WEBHOOK_BINDING {
        return Err(format!(
            "the connector asks for a {:?} binding; this host supports only \"{WEBHOOK_BINDING}\"",
            binding.binding_type
        ));
    }
    let path = match binding.binding_info.get("path") {
        Some(Value::String(p)) => p.clone(),
        _ => {
            return Err(format!(
                "the webhook binding information has no \"path\" string: {}",
                binding.binding_info
            ));
        }
    };
    if !path.starts_with('/') || path.contains(['?', '#', ' ']) || path.len() > 1024 {
        return Err(format!(
            "the webhook path {path:?} must start with / and have no query, fragment or spaces"
        ));
    }
    Ok(path)
}

/// The binding type of the host's NATS JetStream event source (the `connector-nats` crate).
pub const NATS_BINDING: &str = "nats";

/// What a `nats` binding asks for: `{"subject": "orders.*", "queue": "workers"}`, and
/// optionally `stream` and `durable` (the JetStream stream and durable consumer names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsBinding {
    /// The subject (wildcards `*` and `>` allowed as whole tokens) whose messages feed the
    /// trigger.
    pub subject: String,
    /// The queue group: hosts that bind the same queue share its messages, each message
    /// going to one of them.
    pub queue: Option<String>,
    /// The stream that holds the subject's messages, if the connector names one.
    pub stream: Option<String>,
    /// The durable consumer's name, if the connector names one.
    pub durable: Option<String>,
}

/// Reads a `nats` binding's information, or says what is wrong with it: its type must be
/// `nats`; `subject` a subject of non-empty tokens without spaces, where `*` and `>` stand
/// alone (`>` last); `queue`, `stream` and `durable`, when given, names of 1-64 letters,
/// digits, `-` and `_`; no other key. (The conformance kit checks bindings with it too.)
pub fn nats_binding(binding: &Binding) -> Result<NatsBinding, String> {
    if binding.binding_type != NATS_BINDING {
        return Err(format!(
            "the binding type is {:?}, not \"{NATS_BINDING}\"",
            binding.binding_type
        ));
    }
    let Some(info) = binding.binding_info.as_object() else {
        return Err("the nats binding information is not a JSON object".into());
    };
    if let Some(other) = info
        .keys()
        .find(|k| !matches!(k.as_str(), "subject" | "queue" | "stream" | "durable"))
    {
        return Err(format!(
            "the nats binding information has an unknown key {other:?} (known: subject, queue, \
             stream, durable)"
        ));
    }
    let subject = match info.get("subject") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(format!(
                "the nats binding information has no \"subject\" string: {}",
                binding.binding_info
            ));
        }
    };
    let tokens: Vec<&str> = subject.split('.').collect();
    let bad_token = |(i, t): (usize, &&str)| {
        t.is_empty()
            || t.chars().any(|c| c.is_whitespace() || c.is_control())
            || (t.contains(['*', '>']) && t.len() > 1)
            || (*t == ">" && i + 1 != tokens.len())
    };
    if subject.len() > 255 || tokens.iter().enumerate().any(bad_token) {
        return Err(format!(
            "the nats subject {subject:?} must be dot-separated non-empty tokens without spaces, \
             with * or > only as whole tokens (> last), at most 255 bytes"
        ));
    }
    let name = |key: &str| -> Result<Option<String>, String> {
        match info.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(n))
                if (1..=64).contains(&n.len())
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')) =>
            {
                Ok(Some(n.clone()))
            }
            Some(other) => Err(format!(
                "the nats binding's {key:?} is {other}, not a name of 1-64 letters, digits, - \
                 and _"
            )),
        }
    };
    Ok(NatsBinding {
        subject,
        queue: name("queue")?,
        stream: name("stream")?,
        durable: name("durable")?,
    })
}

#[cfg(test)]
mod nats_binding_tests {
    use super::*;
    use serde_json::json;

    fn binding(info: Value) -> Binding {
        Binding {
            binding_type: NATS_BINDING.into(),
            binding_info: info,
        }
    }

    #[test]
    fn nats_bindings_are_read_and_checked() {
        let b = nats_binding(&binding(
            json!({"subject": "orders.*.>", "queue": "workers"}),
        ))
        .unwrap();
        assert_eq!(b.subject, "orders.*.>");
        assert_eq!(b.queue.as_deref(), Some("workers"));
        assert_eq!(b.stream, None);
        for (info, why) in [
            (json!({}), "no \"subject\""),
            (json!({"subject": "a..b"}), "non-empty tokens"),
            (json!({"subject": "a.>.b"}), "> last"),
            (json!({"subject": "a.b*"}), "whole tokens"),
            (json!({"subject": "a b"}), "without spaces"),
            (json!({"subject": "a", "queue": "x.y"}), "\"queue\""),
            (json!({"subject": "a", "durable": 5}), "\"durable\""),
            (
                json!({"subject": "a", "subjet": "b"}),
                "unknown key \"subjet\"",
            ),
        ] {
            let e = nats_binding(&binding(info.clone())).unwrap_err();
            assert!(e.contains(why), "{info}: {e}");
        }
        let webhook = Binding {
            binding_type: "webhook".into(),
            binding_info: json!({"path": "/x"}),
        };
        assert!(nats_binding(&webhook).unwrap_err().contains("not \"nats\""));
    }
}
