//! Polling triggers (`x-ms-trigger`), with the protocol Power Platform
//! connectors speak: a `200` carries new items (the `value` array, or the
//! whole body for `single`), a `202` says nothing new; either may give a
//! `Location` to poll next and a `Retry-After` in seconds. The `Location`
//! is the trigger's state, which the host keeps between polls.

use connector_sdk::{Context, Item, Poll, Result, Value, json};

use crate::definition;
use crate::request::{base_url, origin, send};
use crate::response::{body, retry_after_ms};

/// Polls the trigger at `index`.
pub fn poll(
    ctx: &Context,
    index: usize,
    input: &Value,
    state: Option<Value>,
) -> Result<Poll<Value, Value>> {
    let def = definition()?;
    let op = &def.operations[index];
    crate::input::check(&op.input_schema, input)?;
    let connection = ctx.connection();
    let location = state
        .as_ref()
        .and_then(|s| s.get("location"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let response = send(&def, op, connection, input, location.as_deref())?;
    let trigger = op.trigger.clone();
    let mut items = Vec::new();
    if response.status != 202 {
        let body = body(&response);
        let single = trigger.as_ref().is_some_and(|t| t.single);
        if single {
            if !body.is_null() {
                items.push(item(body));
            }
        } else {
            let key = trigger
                .as_ref()
                .and_then(|t| t.items.clone())
                .unwrap_or_else(|| "value".into());
            let list = match body {
                Value::Array(list) => list,
                mut other => match other.get_mut(&key).map(Value::take) {
                    Some(Value::Array(list)) => list,
                    _ => Vec::new(),
                },
            };
            items.extend(list.into_iter().map(item));
        }
    }
    let mut poll = Poll::new(items);
    if let Some(next) = response.header("location") {
        let next = if next.starts_with('/') {
            // Relative to the API's origin.
            format!("{}{next}", origin(&base_url(&def, connection)?))
        } else {
            next.to_string()
        };
        poll = poll.state(json!({ "location": next }));
    }
    if let Some(ms) = retry_after_ms(&response) {
        poll = poll.poll_again_after_ms(ms);
    }
    Ok(poll)
}

/// An item with a stable id: the body's own `id` when it has one, else a
/// hash of its JSON text (the same item found again gets the same id).
pub(crate) fn item(body: Value) -> Item<Value> {
    let id = match body.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for byte in body.to_string().bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
            format!("{hash:016x}")
        }
    };
    Item::new(id, body)
}
