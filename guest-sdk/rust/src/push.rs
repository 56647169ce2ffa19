//! Push triggers: the webhook the host binds for them, the events it
//! receives, and the subscription lifecycle for event sources that must be
//! told where to send (`needs-subscription`).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::connector::provider::types as wit;
use crate::context::Context;
use crate::error::{Error, Result};

/// One event from a push trigger's source, as the host received it: for a
/// webhook, the HTTP request. The contract's `raw-event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Event {
    /// An event; for a connector's own unit tests (the host's events come
    /// from the bindings).
    pub fn new(method: &str, path: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            headers,
            body,
        }
    }

    pub(crate) fn from_wit(event: wit::RawEvent) -> Self {
        Self {
            method: event.method,
            path: event.path,
            headers: event.headers,
            body: event.body,
        }
    }

    /// For a webhook: the HTTP method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// For a webhook: the request path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The first header named `name` (names are compared ignoring case;
    /// the host passes them in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header, as the host passed them.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The payload.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The payload read as JSON into `T`: a body that is not JSON is
    /// `invalid-input` `bad-json`, JSON of another shape `invalid-input`
    /// `bad-event`, as the contract asks of events a trigger cannot read.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let value: Value = serde_json::from_slice(&self.body).map_err(|e| {
            Error::invalid_input("bad-json", format!("the event body is not JSON: {e}"))
        })?;
        serde_json::from_value(value).map_err(|e| {
            Error::invalid_input(
                "bad-event",
                format!("the event is not one this trigger reads: {e}"),
            )
        })
    }
}

/// Turns an event into items, given the trigger's checked input.
pub(crate) type EventFn = Box<dyn Fn(&Context, Value, &Event) -> Result<Vec<wit::TriggerItem>>>;
/// Checks a push trigger's input (for `push-binding`).
pub(crate) type InputCheckFn = Box<dyn Fn(Value) -> Result<()>>;
/// Subscribes at the event source: `(ctx, input, callback url)` -> the
/// subscription's data (JSON text).
pub(crate) type SubscribeFn = Box<dyn Fn(&Context, Value, &str) -> Result<String>>;
/// Ends a subscription: `(ctx, input, subscription data)`.
pub(crate) type UnsubscribeFn = Box<dyn Fn(&Context, Value, &str) -> Result<()>>;

/// How a push trigger runs.
pub(crate) struct Push {
    /// The webhook path the host binds (`/hooks/<trigger id>` by default).
    pub(crate) path: String,
    pub(crate) check_input: InputCheckFn,
    pub(crate) handle: EventFn,
    /// Present when the source must be told where to send events.
    pub(crate) subscription: Option<(SubscribeFn, UnsubscribeFn)>,
}

impl Push {
    /// The binding `push-binding` answers.
    pub(crate) fn binding(&self) -> wit::Binding {
        wit::Binding {
            binding_type: "webhook".into(),
            binding_info: serde_json::json!({ "path": self.path }).to_string(),
        }
    }
}

/// Reads a subscription's data back into the type `subscribe` returned; data
/// of another shape is `invalid-input` `bad-subscription`.
pub(crate) fn read_subscription<S: DeserializeOwned>(data: &str) -> Result<S> {
    serde_json::from_str(data).map_err(|e| {
        Error::invalid_input(
            "bad-subscription",
            format!("the subscription is not one this trigger made: {e}"),
        )
    })
}
