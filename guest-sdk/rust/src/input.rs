//! JSON in and out: inputs parsed and checked before a handler sees them,
//! outputs serialized.
//!
//! The host validates every input against the operation's schema before the
//! call, but a connector must not trust that blindly (a host may be called
//! without it, as the conformance kit does on purpose). serde already refuses
//! what does not fit the input type (types, required and unknown fields,
//! enums); what a type cannot say, the bounds of a schema (`minimum`,
//! `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minLength`,
//! `maxLength`, e.g. from `#[schemars(range(..))]` or `length(..)`), is
//! checked here on the top-level properties, as the Python and JavaScript
//! helpers do. (`pattern` is left to the host: a regex engine would double
//! the size of a small connector.)

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// `invalid-input` `bad-input` with a reason.
pub(crate) fn bad_input(why: impl std::fmt::Display) -> Error {
    Error::invalid_input(
        "bad-input",
        format!("the input does not fit the schema: {why}"),
    )
}

/// Parses an operation's JSON input, which must be an object (serde would
/// read a struct whose fields all have defaults from `[]`), and checks the
/// schema's bounds on its top-level properties.
pub(crate) fn parse_object(input: &str, schema: &Value) -> Result<Value> {
    let value: Value = serde_json::from_str(input).map_err(bad_input)?;
    let Value::Object(object) = &value else {
        return Err(bad_input(format!("expected an object, got {value}")));
    };
    if let Some(problem) = check_bounds(object, schema) {
        return Err(bad_input(problem));
    }
    Ok(value)
}

/// Reads a checked input into the handler's input type.
pub(crate) fn typed<I: DeserializeOwned>(value: Value) -> Result<I> {
    serde_json::from_value(value).map_err(bad_input)
}

/// The first top-level property of `object` that breaks a bound of its
/// schema in `schema.properties`, as a message naming it.
fn check_bounds(object: &Map<String, Value>, schema: &Value) -> Option<String> {
    let properties = schema.get("properties")?.as_object()?;
    for (name, value) in object {
        let Some(sub) = properties.get(name) else {
            continue;
        };
        if let Some(problem) = bound_problem(value, sub) {
            return Some(format!("at /{name}: {problem}"));
        }
    }
    None
}

fn bound_problem(value: &Value, schema: &Value) -> Option<String> {
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let count = |key: &str| schema.get(key).and_then(Value::as_u64);
    match value {
        Value::Number(n) => {
            let x = n.as_f64()?;
            if let Some(min) = number("minimum").filter(|min| x < *min) {
                return Some(format!("{n} is less than the minimum {min}"));
            }
            if let Some(max) = number("maximum").filter(|max| x > *max) {
                return Some(format!("{n} is greater than the maximum {max}"));
            }
            if let Some(min) = number("exclusiveMinimum").filter(|min| x <= *min) {
                return Some(format!("{n} is not greater than {min}"));
            }
            if let Some(max) = number("exclusiveMaximum").filter(|max| x >= *max) {
                return Some(format!("{n} is not less than {max}"));
            }
            None
        }
        Value::String(s) => {
            // JSON Schema counts characters (code points), not bytes.
            let length = s.chars().count() as u64;
            let shown: String = s.chars().take(40).collect();
            if let Some(min) = count("minLength").filter(|min| length < *min) {
                return Some(format!("{shown:?} is shorter than {min} characters"));
            }
            if let Some(max) = count("maxLength").filter(|max| length > *max) {
                return Some(format!("{shown:?}... is longer than {max} characters"));
            }
            None
        }
        _ => None,
    }
}

/// Serializes an output body, an item's body, a state or a subscription.
pub(crate) fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal("serialize", format!("cannot serialize the {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "batch": {"type": "integer", "minimum": 1, "maximum": 100},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "title": {"type": "string", "minLength": 1, "maxLength": 3},
        }})
    }

    #[test]
    fn bounds_are_checked() {
        for good in [
            r#"{"batch": 1}"#,
            r#"{"batch": 100, "ratio": 0.5, "title": "héé"}"#,
            r#"{"other": -5}"#,
        ] {
            parse_object(good, &schema()).unwrap();
        }
        for (bad, says) in [
            (r#"{"batch": 0}"#, "at /batch: 0 is less than the minimum 1"),
            (r#"{"batch": 101}"#, "greater than the maximum 100"),
            (r#"{"ratio": 0}"#, "at /ratio: 0 is not greater than 0"),
            (r#"{"ratio": 1}"#, "not less than 1"),
            (r#"{"title": ""}"#, "shorter than 1 characters"),
            (r#"{"title": "abcd"}"#, "longer than 3 characters"),
            ("[]", "expected an object"),
            ("{", "EOF"),
        ] {
            let err = parse_object(bad, &schema()).unwrap_err();
            assert_eq!(err.code, "bad-input");
            assert!(err.message.contains(says), "{bad}: {}", err.message);
        }
    }
}
