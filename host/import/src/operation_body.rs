//! An operation's request body (OpenAPI 3's `requestBody`) and success
//! response schema, for [`crate::operation`].

use serde_json::{Map, Value, json};

use crate::model::{Param, Webhook};
use crate::openapi::Dialect;
use crate::problem::{Problem, Severity, escape};
use crate::schema::{Converter, deref};
use crate::source::Source;
use crate::webhook;

/// OpenAPI 3's `requestBody`: JSON as the `body` property, a form's fields
/// as properties of their own.
#[allow(clippy::too_many_arguments)]
pub fn request_body(
    src: &Source,
    op: &Value,
    at: &str,
    conv: &mut Converter,
    props: &mut Map<String, Value>,
    required: &mut Vec<Value>,
    params: &mut Vec<Param>,
    callback: &mut Option<Webhook>,
    problems: &mut Vec<Problem>,
) {
    let Some(body) = op.get("requestBody") else {
        return;
    };
    let Some((body, body_at)) = deref(src, body, &format!("{at}/requestBody"), problems) else {
        return;
    };
    let content = body.get("content").and_then(Value::as_object);
    let json_type = content.and_then(|c| c.keys().find(|k| k.contains("json")).cloned());
    let mut is_required = body.get("required") == Some(&Value::Bool(true));
    if let Some(t) = json_type {
        let schema_at = format!("{body_at}/content/{}/schema", escape(&t));
        let empty = json!({});
        let raw = body
            .pointer(&format!("/content/{}/schema", escape(&t)))
            .unwrap_or(&empty);
        let schema = match webhook::strip_callback(src, raw) {
            Some((name, stripped)) => {
                // The host fills the callback in; the rest is optional.
                *callback = Some(webhook::in_body(name));
                is_required = false;
                conv.convert(&stripped, &schema_at, problems)
            }
            None => conv.convert(raw, &schema_at, problems),
        };
        props.insert("body".into(), schema);
        if is_required {
            required.push("body".into());
        }
        params.push(Param {
            prop: "body".into(),
            name: "body".into(),
            location: "body".into(),
            default: None,
        });
    } else if let Some(form) = content.and_then(|c| c.get("application/x-www-form-urlencoded")) {
        let schema_at = format!("{body_at}/content/application~1x-www-form-urlencoded/schema");
        let schema = conv.convert(
            form.get("schema").unwrap_or(&json!({})),
            &schema_at,
            problems,
        );
        for (name, field) in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            props.insert(name.clone(), field.clone());
            params.push(Param {
                prop: name.clone(),
                name: name.clone(),
                location: "form".into(),
                default: None,
            });
        }
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            required.push(name.clone());
        }
    } else if let Some(c) = content {
        problems.push(src.problem(
            Severity::Warning,
            &format!("{body_at}/content"),
            format!(
                "not mapped: a request body of {:?}; the operation is called without a body",
                c.keys().collect::<Vec<_>>()
            ),
        ));
    }
}

/// The schema of the lowest 2xx response (or `default`), `{}` when it has none.
pub fn success_schema(
    src: &Source,
    dialect: Dialect,
    op: &Value,
    at: &str,
    conv: &mut Converter,
    problems: &mut Vec<Problem>,
) -> (Value, String) {
    let responses = op.get("responses").and_then(Value::as_object);
    let code = responses.and_then(|r| {
        let mut codes: Vec<&String> = r.keys().filter(|k| k.starts_with('2')).collect();
        codes.sort();
        codes
            .first()
            .map(|c| c.to_string())
            .or_else(|| r.contains_key("default").then(|| "default".into()))
    });
    let Some(code) = code else {
        return (json!({}), String::new());
    };
    let resp_at = format!("{at}/responses/{code}");
    let Some((resp, resp_at)) = deref(src, &responses.unwrap()[&code], &resp_at, problems) else {
        return (json!({}), String::new());
    };
    let (schema, schema_at) = match dialect {
        Dialect::Swagger2 => (resp.get("schema"), format!("{resp_at}/schema")),
        Dialect::OpenApi3 => {
            let t = resp
                .get("content")
                .and_then(Value::as_object)
                .and_then(|c| c.keys().find(|k| k.contains("json")).cloned());
            match t {
                Some(t) => (
                    resp.pointer(&format!("/content/{}/schema", escape(&t))),
                    format!("{resp_at}/content/{}/schema", escape(&t)),
                ),
                None => (None, String::new()),
            }
        }
    };
    match schema {
        Some(s) => (conv.convert(s, &schema_at, problems), code),
        None => (json!({}), code),
    }
}
