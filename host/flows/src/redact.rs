//! Secrets out of run history: every string of a journaled value with a connection secret in
//! it has the secret replaced before the value is written, so the state file never holds one.

use serde_json::Value;

use connector_runtime::capabilities::Redactor;

/// Replaces every known secret in every string (and object key) of `value`, in place.
pub fn redact_value(redactor: &Redactor, value: &mut Value) {
    if redactor.is_empty() {
        return;
    }
    match value {
        Value::String(s) if redactor.finds_secret_in(s) => *s = redactor.redact(s),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(redactor, v)),
        Value::Object(map) => {
            let keys: Vec<String> = map
                .keys()
                .filter(|k| redactor.finds_secret_in(k))
                .cloned()
                .collect();
            for k in keys {
                if let Some(v) = map.remove(&k) {
                    map.insert(redactor.redact(&k), v);
                }
            }
            map.values_mut().for_each(|v| redact_value(redactor, v));
        }
        _ => {}
    }
}

/// `value` as JSON text with every secret redacted.
pub fn redacted_text(
    redactor: &Redactor,
    value: &impl serde::Serialize,
) -> serde_json::Result<String> {
    let mut v = serde_json::to_value(value)?;
    redact_value(redactor, &mut v);
    serde_json::to_string(&v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_replaced_everywhere_in_a_value() {
        let r = Redactor::new(vec!["hunter2-secret".to_string()]);
        let mut v =
            json!({"a": ["x hunter2-secret y", 1], "hunter2-secret": {"b": "hunter2-secret"}});
        redact_value(&r, &mut v);
        let text = v.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(v["a"][0], "x [redacted] y");
        assert_eq!(v["[redacted]"]["b"], "[redacted]");
    }
}
