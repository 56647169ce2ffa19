//! Webhook triggers (`x-ms-notification-url`), through contract 0.2.0's
//! subscription lifecycle: `subscribe` sends the operation's request with
//! the host's callback URL where the definition marks it, and keeps the
//! `Location` the API answered (when it is on the API's own origin) and the
//! `id` of its body; `unsubscribe` DELETEs that `Location`, else calls the
//! definition's delete operation with the id. In between, each request the
//! API POSTs to the callback is turned into items: the whole body for
//! `x-ms-trigger: single`, the `value` array (or a top-level array) for
//! `batch`.

use connector_sdk::{Context, Error, Event, Item, Result, Serialize, Value, json};
use serde::Deserialize;

use crate::definition::Definition;
use crate::request::{base_url, build, origin, send_request, with_key};
use crate::response::{body, status_error};
use crate::{auth, definition, poll};

/// What the host stores for a subscription: how to end it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// The `Location` the API answered, absolute.
    #[serde(default)]
    location: Option<String>,
    /// The `id` of the API's answer.
    #[serde(default)]
    id: Option<String>,
}

/// The webhook settings of the operation at `index`.
fn hook(def: &Definition, index: usize) -> Result<&crate::definition::Webhook> {
    def.operations[index].webhook.as_ref().ok_or_else(|| {
        Error::internal(
            "not-a-webhook",
            "the operation has no webhook settings (an importer bug)",
        )
    })
}

/// Registers `callback` with the API.
pub fn subscribe(
    ctx: &Context,
    index: usize,
    input: Value,
    callback: &str,
) -> Result<Subscription> {
    let def = definition()?;
    let op = &def.operations[index];
    let hook = hook(&def, index)?;
    let connection = ctx.connection();
    let mut input = match input {
        Value::Object(map) => map,
        _ => {
            return Err(Error::invalid_input(
                "bad-input",
                "the input is not an object",
            ));
        }
    };
    if hook.location == "body" {
        let body = input.entry("body").or_insert_with(|| json!({}));
        let Some(body) = body.as_object_mut() else {
            return Err(Error::invalid_input(
                "bad-input",
                "the body is not an object, so the callback URL cannot be put in it",
            ));
        };
        body.insert(hook.name.clone(), Value::String(callback.into()));
    } else {
        input.insert(hook.name.clone(), Value::String(callback.into()));
    }
    let request = build(&def, op, connection, &Value::Object(input))?;
    let response = send_request(&def, op, connection, request)?;
    let api = origin(&base_url(&def, connection)?).to_string();
    // Credentials go only to the API: a Location elsewhere is not kept.
    let location = response.header("location").and_then(|l| {
        if l.starts_with('/') {
            Some(format!("{api}{l}"))
        } else {
            (origin(l) == api).then(|| l.to_string())
        }
    });
    let id = match body(&response).get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(Subscription { location, id })
}

/// Ends a subscription; one the API no longer knows (404, 410) is already
/// ended.
pub fn unsubscribe(ctx: &Context, index: usize, subscription: Subscription) -> Result<()> {
    let def = definition()?;
    let op = &def.operations[index];
    let hook = hook(&def, index)?;
    let connection = ctx.connection();
    let response = if let Some(location) = &subscription.location {
        let api = origin(&base_url(&def, connection)?).to_string();
        if origin(location) != api {
            return Err(Error::invalid_input(
                "bad-subscription",
                "the subscription's Location is not on the API's origin",
            ));
        }
        let url = with_key(op.auth(&def), connection, location.clone());
        let request = connector_http::Request::new("DELETE", url);
        auth::send(&def, op.auth(&def), connection, request)?
    } else if let (Some((delete_id, prop)), Some(id)) = (&hook.delete, &subscription.id) {
        let Some(delete) = def.operations.iter().find(|o| &o.id == delete_id) else {
            return Err(Error::internal(
                "bad-definition",
                "the delete operation is missing",
            ));
        };
        let request = build(&def, delete, connection, &json!({ prop: id }))?;
        auth::send(&def, delete.auth(&def), connection, request)?
    } else {
        // The API gave nothing to end it with; the importer warned of it.
        return Ok(());
    };
    match response.status {
        404 | 410 => Ok(()),
        s if s >= 400 => Err(status_error(&response)),
        _ => Ok(()),
    }
}

/// Turns one request the API sent to the callback into items.
pub fn handle(index: usize, event: &Event) -> Result<Vec<Item<Value>>> {
    let def = definition()?;
    let op = &def.operations[index];
    let body: Value = event.json()?;
    let single = op.trigger.as_ref().is_some_and(|t| t.single);
    if single {
        return Ok(vec![poll::item(body)]);
    }
    let list = match body {
        Value::Array(list) => list,
        mut other => match other.get_mut("value").map(Value::take) {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(Error::invalid_input(
                    "bad-event",
                    "a batch event is an array or an object with a `value` array",
                ));
            }
        },
    };
    Ok(list.into_iter().map(poll::item).collect())
}

/// A webhook trigger's input, checked as it is read (the SDK reads a push
/// trigger's input into this type for `push-binding`, `handle-event` and
/// the subscription calls, so a caller that bypasses the host still gets
/// `invalid-input`). The type cannot know which trigger it is read for, so
/// it accepts an input that fits the schema of any webhook trigger of the
/// definition: exact for a definition with one, looser with several.
#[derive(Debug)]
pub struct Input(pub Value);

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let def = definition().map_err(serde::de::Error::custom)?;
        let mut first = None;
        for op in def
            .operations
            .iter()
            .filter(|o| o.kind == crate::definition::Kind::Webhook)
        {
            match crate::input::check(&op.input_schema, &value) {
                Ok(()) => return Ok(Input(value)),
                Err(e) => {
                    first.get_or_insert(e.message);
                }
            }
        }
        Err(serde::de::Error::custom(first.unwrap_or_else(|| {
            "the definition has no webhook trigger".into()
        })))
    }
}
