//! A JSON Schema inferred from an example value (a Postman saved
//! response): the types and properties it shows, nothing it does not.
//! Properties are not `required` and numbers are `number`, not `integer`,
//! since one example cannot say what is always there or always whole; a
//! `null` says nothing about the type, so it is `{}`.

use serde_json::{Map, Value, json};

/// How deep inference goes; below, anything is allowed.
const MAX_DEPTH: usize = 32;

/// The schema of `example`.
pub fn infer(example: &Value) -> Value {
    infer_at(example, 0)
}

fn infer_at(value: &Value, depth: usize) -> Value {
    if depth >= MAX_DEPTH {
        return json!({});
    }
    match value {
        Value::Null => json!({}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::String(_) => json!({"type": "string"}),
        Value::Array(items) => {
            let mut schema = json!({"type": "array"});
            if let Some(merged) = items.iter().map(|i| infer_at(i, depth + 1)).reduce(merge) {
                schema["items"] = merged;
            }
            schema
        }
        Value::Object(map) => {
            let props: Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), infer_at(v, depth + 1)))
                .collect();
            json!({"type": "object", "properties": props})
        }
    }
}

/// One schema for two items of an array: the union of two objects'
/// properties, the same type kept, anything else allowed.
fn merge(a: Value, b: Value) -> Value {
    if a == b {
        return a;
    }
    match (a.get("type"), b.get("type")) {
        (Some(ta), Some(tb)) if ta == tb && ta == "object" => {
            let mut props = a["properties"].as_object().cloned().unwrap_or_default();
            for (k, v) in b["properties"].as_object().into_iter().flatten() {
                let merged = match props.remove(k) {
                    Some(old) => merge(old, v.clone()),
                    None => v.clone(),
                };
                props.insert(k.clone(), merged);
            }
            json!({"type": "object", "properties": props})
        }
        (Some(ta), Some(tb)) if ta == tb && ta == "array" => {
            match (a.get("items").cloned(), b.get("items").cloned()) {
                (Some(x), Some(y)) => json!({"type": "array", "items": merge(x, y)}),
                (Some(x), None) | (None, Some(x)) => json!({"type": "array", "items": x}),
                (None, None) => json!({"type": "array"}),
            }
        }
        (Some(ta), Some(tb)) if ta == tb => json!({"type": ta}),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_types_and_merges_array_items() {
        let schema = infer(&json!({"id": 1, "tags": ["a"], "owner": null,
            "pets": [{"name": "Rex"}, {"name": "Kit", "age": 2}], "mixed": [1, "x"]}));
        assert_eq!(schema["properties"]["id"], json!({"type": "number"}));
        assert_eq!(
            schema["properties"]["tags"],
            json!({"type": "array", "items": {"type": "string"}})
        );
        assert_eq!(schema["properties"]["owner"], json!({}));
        assert_eq!(
            schema["properties"]["pets"]["items"]["properties"],
            json!({"name": {"type": "string"}, "age": {"type": "number"}})
        );
        assert_eq!(schema["properties"]["mixed"]["items"], json!({}));
        assert!(schema.get("required").is_none());
    }
}
