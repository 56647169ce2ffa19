//! One Postman request to an [`Operation`]: the URL (`:name` segments as
//! path inputs, `{{variables}}` filled from the connection), the query and
//! headers (literal values as inputs that default to them, templated ones
//! sent as they are written), the body (raw JSON as the `body` input whose
//! default is the saved body, urlencoded and form-data text fields as
//! inputs), and the output schema inferred from a saved example response.

use serde_json::{Map, Value, json};

use crate::infer::infer;
use crate::model::{Kind, Operation, Param};
use crate::openapi::identifier;
use crate::postman::{Ctx, text_of};
use crate::problem::Severity;

/// A request's URL, from its structured form or its `raw` text.
#[derive(Debug, Default)]
pub struct Url {
    /// `http` or `https`, when given.
    pub scheme: Option<String>,
    /// The host, possibly `{{variable}}`s.
    pub host: String,
    /// The port, when given.
    pub port: Option<String>,
    /// The path segments.
    pub path: Vec<String>,
    /// `(key, value, disabled, description)`.
    pub query: Vec<(String, Option<String>, bool, String)>,
    /// Path variables (`:name`): `(key, value, description)`.
    pub variables: Vec<(String, Option<String>, String)>,
}

impl Url {
    /// The variable when the whole host is one `{{variable}}`.
    pub fn host_var(&self) -> Option<String> {
        let inner = self.host.strip_prefix("{{")?.strip_suffix("}}")?;
        (!inner.contains("{{")).then(|| inner.trim().to_string())
    }
}

fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn parse_raw(raw: &str) -> Url {
    let mut url = Url::default();
    let raw = raw.split('#').next().unwrap_or("");
    let (before, query) = raw.split_once('?').unwrap_or((raw, ""));
    let rest = match before.split_once("://") {
        Some((scheme, rest)) => {
            url.scheme = Some(scheme.to_string());
            rest
        }
        None => before,
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            url.host = h.to_string();
            url.port = Some(p.to_string());
        }
        _ => url.host = authority.to_string(),
    }
    url.path = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        url.query
            .push((k.to_string(), Some(v.to_string()), false, String::new()));
    }
    url
}

/// The URL of an item's request.
pub fn url_of(item: &Value) -> Url {
    let request = item.get("request").unwrap_or(&Value::Null);
    let url = match request {
        Value::String(s) => return parse_raw(s),
        _ => request.get("url").unwrap_or(&Value::Null),
    };
    let Value::Object(o) = url else {
        return parse_raw(url.as_str().unwrap_or(""));
    };
    let mut parsed = parse_raw(o.get("raw").and_then(Value::as_str).unwrap_or(""));
    if let Some(scheme) = string(o.get("protocol")) {
        parsed.scheme = Some(scheme);
    }
    match o.get("host") {
        Some(Value::Array(parts)) => {
            parsed.host = parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(".")
        }
        Some(Value::String(h)) => parsed.host = h.clone(),
        _ => {}
    }
    if let Some(port) = string(o.get("port")) {
        parsed.port = Some(port);
    }
    match o.get("path") {
        Some(Value::Array(parts)) => {
            parsed.path = parts
                .iter()
                .filter_map(|p| string(Some(p)).or_else(|| string(p.get("value"))))
                .filter(|s| !s.is_empty())
                .collect()
        }
        Some(Value::String(p)) => {
            parsed.path = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        }
        _ => {}
    }
    if let Some(Value::Array(q)) = o.get("query") {
        parsed.query = q
            .iter()
            .filter_map(|e| {
                Some((
                    string(e.get("key"))?,
                    string(e.get("value")),
                    e.get("disabled") == Some(&Value::Bool(true)),
                    text_of(e.get("description")),
                ))
            })
            .collect();
    }
    for v in o
        .get("variable")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(key) = string(v.get("key")).or_else(|| string(v.get("id"))) {
            parsed
                .variables
                .push((key, string(v.get("value")), text_of(v.get("description"))));
        }
    }
    parsed
}

/// The inputs being built for one operation.
#[derive(Default)]
struct Inputs {
    props: Map<String, Value>,
    required: Vec<Value>,
    params: Vec<Param>,
}

impl Inputs {
    /// Adds an input sent at `location` as `name`; with a default, the
    /// saved request's value, sent when the input leaves it out.
    fn add(
        &mut self,
        name: &str,
        location: &str,
        schema: Value,
        default: Option<Value>,
        required: bool,
    ) {
        let mut prop = name.to_string();
        while self.props.contains_key(&prop) {
            prop = format!("{prop}_{location}");
        }
        let mut schema = schema;
        if let (Some(d), Some(o)) = (&default, schema.as_object_mut()) {
            o.insert("default".into(), d.clone());
        }
        if required && default.is_none() {
            self.required.push(Value::String(prop.clone()));
        }
        self.props.insert(prop.clone(), schema);
        self.params.push(Param {
            prop,
            name: name.into(),
            location: location.into(),
            default,
        });
    }
}

fn text_schema(description: &str) -> Value {
    let mut s = json!({"type": "string"});
    if !description.is_empty() {
        s["description"] = description.into();
    }
    s
}

/// The headers of a request: a list of `{key, value, disabled}` or v2's
/// `Key: Value` lines.
fn headers(request: &Value) -> Vec<(String, String, bool, String)> {
    match request.get("header") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|h| {
                Some((
                    string(h.get("key"))?,
                    string(h.get("value")).unwrap_or_default(),
                    h.get("disabled") == Some(&Value::Bool(true)),
                    text_of(h.get("description")),
                ))
            })
            .collect(),
        Some(Value::String(lines)) => lines
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| {
                (
                    k.trim().to_string(),
                    v.trim().to_string(),
                    false,
                    String::new(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Maps the request of `item` (at `at`) whose URL is `url`.
pub fn map(ctx: &mut Ctx, item: &Value, url: &Url, at: &str, folders: &[String]) -> Operation {
    let request = item.get("request").unwrap_or(&Value::Null);
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let mut inputs = Inputs::default();
    let mut op_query = Vec::new();
    let mut op_headers = Vec::new();
    for key in ["proxy", "certificate"] {
        if request.get(key).is_some() {
            ctx.report(
                Severity::Warning,
                &format!("{at}/request/{key}"),
                format!("not mapped: {key} (Postman's own client settings)"),
            );
        }
    }

    // The path: `:name` segments are inputs, `{{variables}}` the connection's.
    let mut path = String::new();
    for segment in &url.path {
        path.push('/');
        if let Some(name) = segment.strip_prefix(':') {
            let var = url.variables.iter().find(|(k, _, _)| k == name);
            let default = var
                .and_then(|(_, v, _)| v.clone())
                .filter(|v| !v.is_empty() && !v.contains("{{"));
            let description = var.map(|(_, _, d)| d.as_str()).unwrap_or("");
            inputs.add(
                name,
                "path",
                text_schema(description),
                default.map(Value::String),
                true,
            );
            path.push_str(&format!("{{{name}}}"));
        } else {
            let literal = segment.replace('{', "%7B").replace('}', "%7D");
            // `{{` became `%7B%7B`: undo it for the variables only.
            let restored = literal.replace("%7B%7B", "{{").replace("%7D%7D", "}}");
            path.push_str(&ctx.template(&restored, false, &format!("{at}/request/url")));
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    for (key, value, disabled, description) in &url.query {
        let value = value.clone().unwrap_or_default();
        if value.contains("{{") && !disabled {
            let t = ctx.template(&value, false, &format!("{at}/request/url/query"));
            op_query.push((key.clone(), t));
        } else {
            let default =
                (!disabled && !value.contains("{{")).then(|| Value::String(value.clone()));
            inputs.add(key, "query", text_schema(description), default, false);
        }
    }

    let body_type = crate::postman_body::map(
        ctx,
        request,
        &format!("{at}/request/body"),
        &mut |name, location, schema, default| inputs.add(name, location, schema, default, false),
    );
    for (i, (key, value, disabled, description)) in headers(request).into_iter().enumerate() {
        let h_at = format!("{at}/request/header/{i}");
        if key.eq_ignore_ascii_case("content-type") {
            if let Some(sent) = &body_type
                && !value.to_ascii_lowercase().contains(sent)
            {
                ctx.report(
                    Severity::Warning,
                    &h_at,
                    format!("not sent: content-type {value:?}; the body is sent as {sent}"),
                );
            }
            if body_type.is_some() {
                continue;
            }
        }
        let secret = key.eq_ignore_ascii_case("authorization")
            || key.to_ascii_lowercase().contains("key")
            || key.to_ascii_lowercase().contains("token");
        if disabled {
            inputs.add(&key, "header", text_schema(&description), None, false);
        } else if value.contains("{{") {
            let t = ctx.template(&value, secret, &h_at);
            op_headers.push((key, t));
        } else if secret && !value.is_empty() {
            let param = identifier(&key);
            ctx.report(Severity::Warning, &h_at, format!("the collection holds a literal credential in the header {key}; it is not carried over: each connection gives the secret parameter `{param}`"));
            ctx.params
                .entry(param.clone())
                .or_insert_with(|| crate::model::ParameterInfo {
                    name: param.clone(),
                    display_name: key.clone(),
                    description: format!("Sent as the header {key}."),
                    kind: "secret".into(),
                    required: true,
                    default: None,
                });
            op_headers.push((key, format!("{{{param}}}")));
        } else {
            inputs.add(
                &key,
                "header",
                text_schema(&description),
                Some(Value::String(value)),
                false,
            );
        }
    }

    let name = text_of(item.get("name"));
    let id = if name.trim().is_empty() {
        identifier(&format!("{method} {path}"))
    } else {
        identifier(&name)
    };
    let mut description = text_of(request.get("description"));
    if description.is_empty() {
        description = text_of(item.get("description"));
    }
    if !folders.is_empty() {
        let folder = format!("Folder: {}.", folders.join(" / "));
        description = if description.is_empty() {
            folder
        } else {
            format!("{description}\n\n{folder}")
        };
    }
    let mut input =
        json!({"type": "object", "properties": inputs.props, "additionalProperties": false});
    if !inputs.required.is_empty() {
        input["required"] = Value::Array(inputs.required);
    }
    Operation {
        id,
        summary: if name.trim().is_empty() {
            format!("{method} {path}")
        } else {
            name.chars().take(200).collect()
        },
        description,
        visibility: "important".into(),
        kind: Kind::Action,
        method,
        path,
        params: inputs.params,
        input_schema: input,
        output_schema: example_schema(item),
        trigger: None,
        webhook: None,
        auth: None,
        headers: op_headers,
        query: op_query,
        source: at.to_string(),
    }
}

/// The schema of the first saved 2xx example response (or one without a
/// code) with a JSON body, with the example; `{}` when there is none.
fn example_schema(item: &Value) -> Value {
    let responses: Vec<&Value> = item
        .get("response")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let json_body = |r: &&Value| {
        r.get("body")
            .and_then(Value::as_str)
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
    };
    // An error's example says nothing of the success body.
    let success = |r: &&&Value| match r.get("code").and_then(Value::as_u64) {
        Some(c) => (200..300).contains(&c),
        None => true,
    };
    let example = responses.iter().filter(success).find_map(json_body);
    let Some(example) = example else {
        return json!({});
    };
    let mut schema = infer(&example);
    // A large example stays in the collection, not in every manifest.
    if example.to_string().len() <= 4096 {
        schema["examples"] = json!([example]);
    }
    schema
}
