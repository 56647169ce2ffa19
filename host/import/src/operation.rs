//! One operation per path and method: its id, summary, visibility, the
//! input schema from its path, query, header, body and form parameters,
//! where each goes, and the output schema from its success response.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::model::{Kind, Operation, Param, Trigger, Webhook};
use crate::openapi::{Dialect, identifier};
use crate::operation_body::{request_body, success_schema};
use crate::problem::{Problem, Severity, escape};
use crate::schema::{Converter, deref};
use crate::source::Source;
use crate::webhook;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// Every operation of the document, in the order of its paths.
pub fn read_all(src: &Source, dialect: Dialect, problems: &mut Vec<Problem>) -> Vec<Operation> {
    let mut out: Vec<Operation> = Vec::new();
    let mut given_ids: BTreeMap<String, String> = BTreeMap::new();
    let Some(paths) = src.value.get("paths").and_then(Value::as_object) else {
        problems.push(src.problem(
            Severity::Warning,
            "/paths",
            "the document has no paths, so no operations",
        ));
        return out;
    };
    for (path, item) in paths {
        let item_at = format!("/paths/{}", escape(path));
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("{item_at}/{method}");
            if let Some(given) = op.get("operationId").and_then(Value::as_str)
                && let Some(first) = given_ids.insert(given.to_string(), at.clone())
            {
                problems.push(src.problem(
                    Severity::Error,
                    &format!("{at}/operationId"),
                    format!("the operationId {given:?} is also used at {first}"),
                ));
            }
            let mut operation = read_one(src, dialect, path, method, item, op, &at, problems);
            // Two ids that differ only in case or punctuation meet here.
            let base = operation.id.clone();
            let mut n = 2;
            while out.iter().any(|o| o.id == operation.id) {
                operation.id = format!("{}-{n}", &base[..base.len().min(60)]);
                n += 1;
            }
            if operation.id != base {
                problems.push(src.problem(
                    Severity::Warning,
                    &at,
                    format!(
                        "imported as {:?}: {base:?} is taken by another operation",
                        operation.id
                    ),
                ));
            }
            out.push(operation);
        }
    }
    webhook::link_deletes(&mut out);
    out
}

/// The path parameter names of a template: `/a/{b}/{c}` -> b, c.
fn template_names(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}'))
        .map(|(n, _)| n.to_string())
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn read_one(
    src: &Source,
    dialect: Dialect,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
    at: &str,
    problems: &mut Vec<Problem>,
) -> Operation {
    let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let given = text("operationId");
    let id = if given.is_empty() {
        identifier(&format!("{method} {path}"))
    } else {
        identifier(&given)
    };
    let summary = [
        text("summary"),
        given.clone(),
        format!("{} {path}", method.to_uppercase()),
    ]
    .into_iter()
    .find(|s| !s.trim().is_empty())
    .unwrap_or_default();
    let mut description = text("description");
    let hint = text("x-ms-trigger-hint");
    if !hint.is_empty() {
        description = if description.is_empty() {
            hint
        } else {
            format!("{description}\n\n{hint}")
        };
    }
    let visibility = match op.get("x-ms-visibility").and_then(Value::as_str) {
        Some("advanced") => "advanced",
        Some("internal") => "internal",
        _ => "important",
    };

    let mut conv = Converter::new(src);
    let mut props = Map::new();
    let mut required = Vec::new();
    let mut params = Vec::new();
    // Path-level parameters first; an operation's own with the same name
    // and location replace them.
    let mut declared: Vec<(Value, String)> = Vec::new();
    for (list, list_at) in [
        (
            item.get("parameters"),
            format!("{}/parameters", &at[..at.rfind('/').unwrap_or(0)]),
        ),
        (op.get("parameters"), format!("{at}/parameters")),
    ] {
        for (i, p) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some((p, p_at)) = deref(src, p, &format!("{list_at}/{i}"), problems) else {
                continue;
            };
            let key = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
            declared.retain(|(d, _)| key(d) != key(p));
            declared.push((p.clone(), p_at));
        }
    }
    let in_template = template_names(path);
    let mut path_params = BTreeSet::new();
    let mut callback: Option<Webhook> = None;
    for (p, p_at) in &declared {
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let location = p
            .get("in")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if name.is_empty() {
            problems.push(src.problem(Severity::Error, p_at, "a parameter without a name"));
            continue;
        }
        if webhook::is_callback(p) && (location == "query" || location == "header") {
            // Filled with the host's callback URL, never by the input.
            callback = Some(Webhook {
                location: location.clone(),
                name: name.clone(),
                delete: None,
            });
            params.push(Param {
                prop: name.clone(),
                name,
                location,
                default: None,
            });
            continue;
        }
        let mut body_has_callback = false;
        let schema = if location == "body" || p.get("schema").is_some() {
            let empty = json!({});
            let raw = p.get("schema").unwrap_or(&empty);
            let stripped = (location == "body")
                .then(|| webhook::strip_callback(src, raw))
                .flatten();
            let raw = match stripped {
                Some((prop, stripped)) => {
                    callback = Some(webhook::in_body(prop));
                    body_has_callback = true;
                    std::borrow::Cow::Owned(stripped)
                }
                None => std::borrow::Cow::Borrowed(raw),
            };
            conv.convert(&raw, &format!("{p_at}/schema"), problems)
        } else {
            // Swagger 2.0: the schema keywords are on the parameter itself.
            let mut own = p.clone();
            if let Some(o) = own.as_object_mut() {
                for k in [
                    "name",
                    "in",
                    "required",
                    "description",
                    "allowEmptyValue",
                    "collectionFormat",
                ] {
                    o.remove(k);
                }
            }
            conv.convert(&own, p_at, problems)
        };
        let mut schema = schema;
        if let (Some(o), Some(d)) = (schema.as_object_mut(), p.get("description")) {
            o.entry("description").or_insert(d.clone());
        }
        if let (Some(o), Some(s)) = (schema.as_object_mut(), p.get("x-ms-summary")) {
            o.entry("title").or_insert(s.clone());
        }
        // A body whose callback the host fills in may be left out.
        let is_required = (p.get("required") == Some(&Value::Bool(true)) && !body_has_callback)
            || location == "path";
        let wire = match location.as_str() {
            "path" => {
                if !in_template.contains(&name) {
                    problems.push(src.problem(
                        Severity::Error,
                        p_at,
                        format!("the path parameter {name:?} is not in the path template {path:?}"),
                    ));
                }
                path_params.insert(name.clone());
                "path"
            }
            "query" | "header" | "body" => location.as_str(),
            "formData" => "form",
            other => {
                problems.push(src.problem(
                    Severity::Warning,
                    p_at,
                    format!(
                        "not mapped: a parameter in {other:?}; the operation is called without it"
                    ),
                ));
                continue;
            }
        };
        if p.get("type").and_then(Value::as_str) == Some("file") {
            problems.push(src.problem(
                Severity::Warning,
                p_at,
                "not mapped: a file upload; the operation is called without it",
            ));
            continue;
        }
        let default = p
            .get("default")
            .or_else(|| p.pointer("/schema/default"))
            .cloned();
        if p.get("x-ms-visibility").and_then(Value::as_str) == Some("internal") {
            if is_required && default.is_none() {
                problems.push(src.problem(
                    Severity::Error,
                    p_at,
                    format!("the parameter {name:?} is internal and required but has no default, so no call can give it"),
                ));
            }
            params.push(Param {
                prop: name.clone(),
                name,
                location: wire.into(),
                default,
            });
            continue;
        }
        let mut prop = name.clone();
        while props.contains_key(&prop) {
            prop = format!("{prop}_{wire}");
        }
        if is_required {
            required.push(Value::String(prop.clone()));
        }
        props.insert(prop.clone(), schema);
        params.push(Param {
            prop,
            name,
            location: wire.into(),
            default: None,
        });
    }
    for missing in in_template.difference(&path_params) {
        problems.push(src.problem(
            Severity::Error,
            at,
            format!("the path template {path:?} names {{{missing}}}, which no parameter declares"),
        ));
    }
    if dialect == Dialect::OpenApi3 {
        request_body(
            src,
            op,
            at,
            &mut conv,
            &mut props,
            &mut required,
            &mut params,
            &mut callback,
            problems,
        );
    }
    let (output, status_at) = success_schema(src, dialect, op, at, &mut conv, problems);
    // A webhook's items are what the API POSTs, which
    // `x-ms-notification-content` describes.
    let output = match (&callback, op.pointer("/x-ms-notification-content/schema")) {
        (Some(_), Some(schema)) => conv.convert(
            schema,
            &format!("{at}/x-ms-notification-content/schema"),
            problems,
        ),
        _ => output,
    };
    let kind = match op.get("x-ms-trigger").and_then(Value::as_str) {
        Some("batch" | "single") if callback.is_some() => Kind::Webhook,
        Some("batch" | "single") => Kind::Polling,
        None if callback.is_some() => {
            problems.push(src.problem(
                Severity::Warning,
                at,
                "x-ms-notification-url without x-ms-trigger: imported as a webhook trigger of single items",
            ));
            Kind::Webhook
        }
        Some(other) => {
            problems.push(src.problem(
                Severity::Warning,
                &format!("{at}/x-ms-trigger"),
                format!("not mapped: x-ms-trigger {other:?}; imported as an action"),
            ));
            Kind::Action
        }
        None => Kind::Action,
    };
    let single = op.get("x-ms-trigger").and_then(Value::as_str) == Some("single");
    // A batch trigger's items are the `value` array of the answer.
    let output = match (kind, single) {
        (Kind::Polling | Kind::Webhook, false) => output
            .pointer("/properties/value/items")
            .or_else(|| output.get("items"))
            .cloned()
            .unwrap_or(json!({})),
        _ => output,
    };
    let _ = status_at;
    let defs = conv.finish(problems);
    let mut input = json!({"type": "object", "properties": props, "additionalProperties": false});
    if !required.is_empty() {
        input["required"] = Value::Array(required);
    }
    let mut output = output;
    if !defs.is_empty() {
        input["$defs"] = Value::Object(defs.clone());
        if let Some(o) = output.as_object_mut() {
            o.insert("$defs".into(), Value::Object(defs));
        }
    }
    Operation {
        id,
        summary: summary.chars().take(200).collect(),
        description,
        visibility: visibility.into(),
        kind,
        method: method.to_uppercase(),
        path: path.to_string(),
        params,
        input_schema: input,
        output_schema: output,
        trigger: (kind != Kind::Action).then_some(Trigger {
            // A push trigger is not polled: the contract asks for 0.
            recurrence_seconds: if kind == Kind::Webhook { 0 } else { 60 },
            single: single || (kind == Kind::Webhook && op.get("x-ms-trigger").is_none()),
            items: None,
        }),
        webhook: callback,
        auth: None,
        headers: Vec::new(),
        query: Vec::new(),
        source: at.to_string(),
    }
}
