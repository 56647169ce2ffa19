//! One operation per path and method: its id, summary, visibility, the
//! input schema from its path, query, header, body and form parameters,
//! where each goes, and the output schema from its success response.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::model::{Kind, Operation, Param, Trigger};
use crate::openapi::{Dialect, identifier};
use crate::problem::{Problem, Severity, escape};
use crate::schema::{Converter, deref};
use crate::source::Source;

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
        let schema = if location == "body" || p.get("schema").is_some() {
            conv.convert(
                p.get("schema").unwrap_or(&json!({})),
                &format!("{p_at}/schema"),
                problems,
            )
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
        let is_required = p.get("required") == Some(&Value::Bool(true)) || location == "path";
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
            problems,
        );
    }
    let (output, status_at) = success_schema(src, dialect, op, at, &mut conv, problems);
    let kind = match op.get("x-ms-trigger").and_then(Value::as_str) {
        Some("batch" | "single") => Kind::Polling,
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
        (Kind::Polling, false) => output
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
        trigger: (kind == Kind::Polling).then_some(Trigger {
            recurrence_seconds: 60,
            single,
            items: None,
        }),
        source: at.to_string(),
    }
}

/// OpenAPI 3's `requestBody`: JSON as the `body` property, a form's fields
/// as properties of their own.
#[allow(clippy::too_many_arguments)]
fn request_body(
    src: &Source,
    op: &Value,
    at: &str,
    conv: &mut Converter,
    props: &mut Map<String, Value>,
    required: &mut Vec<Value>,
    params: &mut Vec<Param>,
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
    let is_required = body.get("required") == Some(&Value::Bool(true));
    if let Some(t) = json_type {
        let schema_at = format!("{body_at}/content/{}/schema", escape(&t));
        let schema = conv.convert(
            body.pointer(&format!("/content/{}/schema", escape(&t)))
                .unwrap_or(&json!({})),
            &schema_at,
            problems,
        );
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
fn success_schema(
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
