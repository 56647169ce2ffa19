//! The push trigger `task-changed`: the API calls the host's webhook when a
//! task is created or updated, once the connector has subscribed the
//! host's callback URL.
//!
//! The lifecycle: when the trigger starts, the host calls `subscribe` with
//! the URL it listens on for this trigger; the connector POSTs
//! `{"url": callback}` to `/subscriptions` and keeps the id the API answers
//! (the host stores it). When the trigger is removed, the host calls
//! `unsubscribe` with it, and the connector DELETEs `/subscriptions/{id}`
//! (a subscription already gone is fine). In between, the API POSTs one
//! event per change: `{"id": "evt-7", "change": "created" | "updated",
//! "task": {...}}`, which becomes one item whose id is the event's, so a
//! repeated delivery of the same event is delivered once.

use connector_sdk::prelude::*;

use crate::api::Api;

/// Input of `task-changed`: nothing to choose yet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangedInput {}

/// What `subscribe` keeps: the API's id of the subscription.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    id: String,
}

/// One event as the API sends it.
#[derive(Debug, Deserialize)]
struct ChangeEvent {
    id: String,
    change: Change,
    task: Value,
}

/// What happened to the task.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
}

/// One item of `task-changed`.
#[derive(Debug, Serialize)]
pub struct Changed {
    change: Change,
    task: Value,
}

/// Registers the callback URL with the API.
pub fn subscribe(ctx: &Context, _input: ChangedInput, callback_url: &str) -> Result<Subscription> {
    let answer = Api::from_connection(ctx.connection())?
        .post("/subscriptions", &json!({ "url": callback_url }))?;
    // Ids are strings in the contract of this API, but accept a number too.
    let id = match answer.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(Error::internal(
                "bad-response",
                "the API answered the subscription without an id",
            ));
        }
    };
    Ok(Subscription { id })
}

/// Ends the subscription; one the API no longer knows is already ended.
pub fn unsubscribe(ctx: &Context, _input: ChangedInput, subscription: Subscription) -> Result<()> {
    if subscription.id.is_empty()
        || !subscription
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        // It goes into a path: refuse what would change the path's meaning.
        return Err(Error::invalid_input(
            "bad-subscription",
            "the subscription id is not one the API gave",
        ));
    }
    Api::from_connection(ctx.connection())?
        .delete(&format!("/subscriptions/{}", subscription.id))
        .map(|_| ())
}

/// Turns one event the API sent into an item.
pub fn handle(_ctx: &Context, _input: ChangedInput, event: &Event) -> Result<Vec<Item<Changed>>> {
    if event.method() != "POST" {
        return Err(Error::invalid_input(
            "bad-method",
            format!("events are POSTed, not sent with {}", event.method()),
        ));
    }
    let change: ChangeEvent = event.json()?;
    if change.id.is_empty() || !change.task.get("id").is_some_and(Value::is_u64) {
        return Err(Error::invalid_input(
            "bad-event",
            "the event has no id, or its task has no id",
        ));
    }
    Ok(vec![Item::new(
        change.id,
        Changed {
            change: change.change,
            task: change.task,
        },
    )])
}
