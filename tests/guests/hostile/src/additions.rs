//! The misbehaviour of the contract's 0.2.0 additions: the dynamic values of
//! `pick` and the subscription calls of `subscribed` (see their
//! descriptions in `list-operations`).

use serde_json::Value;

use crate::connector::provider::types::{ConnectorError, DynamicValue, ErrorKind};
use crate::{SUBSCRIBED, invalid_input, spin};

/// The choices of `pick`'s `choice`, as its `mode` input says.
pub fn choices(connection: &[(String, String)], input: &str) -> Vec<DynamicValue> {
    let parsed: Value = serde_json::from_str(input).unwrap_or(Value::Null);
    let choice = |value: &str, title: &str| DynamicValue {
        value: value.into(),
        title: title.into(),
    };
    match parsed.get("mode").and_then(Value::as_str).unwrap_or("") {
        "spin" => spin(),
        "panic" => panic!("hostile dynamic values panicked on purpose"),
        "huge" => {
            let title = "x".repeat(1 << 20);
            (0..64).map(|_| choice("\"x\"", &title)).collect()
        }
        "not-json" => vec![choice("{not json", "broken")],
        "leak-secret" => vec![choice("\"a\"", secret(connection).as_deref().unwrap_or(""))],
        "echo" => vec![choice(input, "the input")],
        _ => vec![choice("\"a\"", "A"), choice("\"b\"", "B")],
    }
}

/// The input of `subscribed`'s subscription calls, after the misbehaviour it
/// asks for (panic, spin, a transient failure).
pub fn subscription_input(trigger_id: &str, input: &str) -> Result<Value, ConnectorError> {
    if trigger_id != SUBSCRIBED {
        return Err(invalid_input(
            "no-subscription",
            format!("`{trigger_id}` needs no subscription"),
        ));
    }
    let input: Value = serde_json::from_str(input).unwrap_or(Value::Null);
    let set = |key: &str| input.get(key) == Some(&Value::Bool(true));
    if set("panic") {
        panic!("hostile subscription panicked on purpose");
    }
    if set("spin") {
        spin();
    }
    if set("fail") {
        return Err(ConnectorError {
            kind: ErrorKind::Transient,
            code: "source-down".into(),
            message: "the event source is down (on purpose)".into(),
            retry_after_ms: None,
        });
    }
    Ok(input)
}

/// The connection's `token`, if it has one.
pub fn secret(connection: &[(String, String)]) -> Option<String> {
    connection
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
}
