//! A Postman request body to inputs: `raw` JSON as the `body` input (its
//! schema inferred from the saved body, which is its default, with the
//! collection's variable values put in), `urlencoded` and `formdata` text
//! fields as inputs of their own. File fields and `file`, `graphql` or
//! non-JSON raw bodies are reported, and the request sent without them.

use serde_json::{Value, json};

use crate::infer::infer;
use crate::postman::{Ctx, text_of};
use crate::problem::Severity;

/// Adds one input: `(name, location, schema, default)`.
pub type AddInput<'a> = dyn FnMut(&str, &str, Value, Option<Value>) + 'a;

/// Maps the body of `request` (at `at`); answers the content type the
/// connector sends (a word of it, to compare with a saved header).
pub fn map(ctx: &mut Ctx, request: &Value, at: &str, add: &mut AddInput) -> Option<&'static str> {
    let body = request.get("body").filter(|b| !b.is_null())?;
    if body.get("disabled") == Some(&Value::Bool(true)) {
        return None;
    }
    let mode = body.get("mode").and_then(Value::as_str).unwrap_or("");
    match mode {
        "raw" => {
            let raw = body.get("raw").and_then(Value::as_str).unwrap_or("");
            if raw.trim().is_empty() {
                return None;
            }
            let (text, missing) = ctx.substitute(raw);
            let language = body
                .pointer("/options/raw/language")
                .and_then(Value::as_str)
                .unwrap_or("text");
            match serde_json::from_str::<Value>(&text) {
                Ok(value) => {
                    if !missing.is_empty() {
                        ctx.report(
                            Severity::Warning,
                            &format!("{at}/raw"),
                            format!("the body names variables without a value ({}); they are sent as written unless the input gives the body", missing.join(", ")),
                        );
                    }
                    let mut schema = infer(&value);
                    schema["description"] = "The JSON body; by default the collection's.".into();
                    add("body", "body", schema, Some(value));
                    Some("json")
                }
                Err(e) => {
                    ctx.report(
                        Severity::Warning,
                        &format!("{at}/raw"),
                        format!("not mapped: a raw body that is not JSON ({language}: {e}); the operation is called without a body"),
                    );
                    None
                }
            }
        }
        "urlencoded" | "formdata" => {
            let location = if mode == "urlencoded" {
                "form"
            } else {
                "multipart"
            };
            for (i, field) in body
                .get(mode)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let f_at = format!("{at}/{mode}/{i}");
                let Some(key) = field.get("key").and_then(Value::as_str) else {
                    continue;
                };
                if field.get("type").and_then(Value::as_str) == Some("file") {
                    ctx.report(
                        Severity::Warning,
                        &f_at,
                        format!("not mapped: the file upload {key:?}; the operation is called without it"),
                    );
                    continue;
                }
                let value = match field.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                let (value, missing) = ctx.substitute(&value);
                let disabled = field.get("disabled") == Some(&Value::Bool(true));
                if !missing.is_empty() {
                    ctx.report(
                        Severity::Warning,
                        &f_at,
                        format!("the field {key:?} names variables without a value ({}); it has no default", missing.join(", ")),
                    );
                }
                let mut schema = json!({"type": "string"});
                let description = text_of(field.get("description"));
                if !description.is_empty() {
                    schema["description"] = description.into();
                }
                let default = (!disabled && missing.is_empty()).then_some(Value::String(value));
                add(key, location, schema, default);
            }
            Some(if mode == "urlencoded" {
                "x-www-form-urlencoded"
            } else {
                "multipart/form-data"
            })
        }
        other => {
            let what = match other {
                "file" => "a file body".to_string(),
                "graphql" => "a GraphQL body".to_string(),
                o => format!("a body of mode {o:?}"),
            };
            ctx.report(
                Severity::Warning,
                at,
                format!("not mapped: {what}; the operation is called without a body"),
            );
            None
        }
    }
}
