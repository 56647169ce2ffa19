//! The connector's own check of an input against its operation's schema,
//! one level deep: unknown properties (the importer closes every input
//! object), missing required ones, and each property's `type` and `enum`.
//! The host checks the whole schema first; this is so that a caller that
//! bypasses the host still gets `invalid-input`, never a request built
//! from an input the definition does not allow.

use connector_sdk::{Error, Result, Value};

fn type_fits(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => {
            value.as_i64().is_some()
                || value.as_u64().is_some()
                || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

fn bad(message: String) -> Error {
    Error::invalid_input(
        "bad-input",
        format!("the input does not fit the schema: {message}"),
    )
}

/// Checks `input` against `schema` (an object schema as the importer writes).
pub fn check(schema: &Value, input: &Value) -> Result<()> {
    let Some(object) = input.as_object() else {
        return Err(bad(format!("expected an object, got {input}")));
    };
    let empty = serde_json::Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if schema.get("additionalProperties") == Some(&Value::Bool(false))
        && let Some(unknown) = object.keys().find(|k| !props.contains_key(*k))
    {
        return Err(bad(format!(
            "`{unknown}` is not an input of this operation"
        )));
    }
    for name in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(name) {
            return Err(bad(format!("`{name}` is required")));
        }
    }
    for (name, value) in object {
        let Some(prop) = props.get(name) else {
            continue;
        };
        let fits = match prop.get("type") {
            Some(Value::String(kind)) => type_fits(kind, value),
            Some(Value::Array(kinds)) => kinds
                .iter()
                .filter_map(Value::as_str)
                .any(|k| type_fits(k, value)),
            _ => true,
        };
        if !fits {
            return Err(bad(format!("`{name}` is not of type {}", prop["type"])));
        }
        if let Some(Value::Array(choices)) = prop.get("enum")
            && !choices.contains(value)
        {
            return Err(bad(format!(
                "`{name}` is not one of {}",
                Value::Array(choices.clone())
            )));
        }
    }
    Ok(())
}
