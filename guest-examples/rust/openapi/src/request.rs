//! Building one operation's request from its input and the connection,
//! and sending it.

use connector_http::{Request, Response};
use connector_sdk::{Connection, Error, Reply, Result, Value};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::definition::{Definition, Operation};
use crate::{auth, definition, response};

/// What is escaped in a path segment or a query component: everything but
/// RFC 3986's unreserved characters, so a value cannot add a segment or a
/// parameter (`a/b`, `x&admin=1`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Runs the action at `index` with `input`.
pub fn invoke(connection: &Connection, index: usize, input: &Value) -> Result<Reply<Value>> {
    let def = definition()?;
    let op = &def.operations[index];
    crate::input::check(&op.input_schema, input)?;
    let response = send(&def, op, connection, input, None)?;
    response::reply(&response)
}

/// Sends the operation's request, to `url` instead of the operation's own
/// when given (a trigger's `Location`), and answers the response whatever
/// its status is not an error.
pub fn send(
    def: &Definition,
    op: &Operation,
    connection: &Connection,
    input: &Value,
    url: Option<&str>,
) -> Result<Response> {
    let request = match url {
        Some(url) => Request::new("GET", with_key(op.auth(def), connection, url.to_string())),
        None => build(def, op, connection, input)?,
    };
    send_request(def, op, connection, request)
}

/// Sends a request made for `op` with its authentication; an error status
/// is the error a runtime acts on.
pub fn send_request(
    def: &Definition,
    op: &Operation,
    connection: &Connection,
    request: Request,
) -> Result<Response> {
    let response = auth::send(def, op.auth(def), connection, request)?;
    if response.status >= 400 {
        return Err(response::status_error(&response));
    }
    Ok(response)
}

/// Fills `{parameter}` placeholders from the connection's values.
pub fn fill(template: &str, connection: &Connection) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        let value = connection.get(name).ok_or_else(|| {
            Error::invalid_input(
                "missing-connection-value",
                format!("the connection has no value for `{name}`"),
            )
        })?;
        out.push_str(value);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Fills `{parameter}` placeholders of a path, each value percent-encoded
/// as one segment.
fn fill_encoded(template: &str, connection: &Connection) -> Result<String> {
    if !template.contains('{') {
        return Ok(template.to_string());
    }
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        let value = connection.get(name).ok_or_else(|| {
            Error::invalid_input(
                "missing-path-parameter",
                format!("the path {template} names `{name}`, which neither the input nor the connection gives"),
            )
        })?;
        out.push_str(&encode(value));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The API's base URL for this connection, without a trailing `/`.
pub fn base_url(def: &Definition, connection: &Connection) -> Result<String> {
    let tls = def
        .base
        .tls_parameter
        .as_deref()
        .and_then(|p| connection.get(p))
        != Some("false");
    let scheme = if tls { "https" } else { "http" };
    let host = fill(&def.base.host, connection)?;
    let path = fill(&def.base.path, connection)?;
    Ok(format!("{scheme}://{host}{}", path.trim_end_matches('/')))
}

/// The scheme, host and port of `url`.
pub fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |j| start + j);
    &url[..end]
}

/// `url` with an API key in its query, when the scheme puts it there.
pub fn with_key(
    auth: &crate::definition::Auth,
    connection: &Connection,
    mut url: String,
) -> String {
    if let Some((name, key)) = auth::query_pair(auth, connection) {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&format!("{}={}", encode(&name), encode(&key)));
    }
    url
}

/// A scalar as text: strings as they are, everything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Appends `name=value` (each item of an array as its own pair).
fn push_pair(pairs: &mut Vec<String>, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                pairs.push(format!("{}={}", encode(name), encode(&text(item))));
            }
        }
        Value::Null => {}
        other => pairs.push(format!("{}={}", encode(name), encode(&text(other)))),
    }
}

/// The request for `op` with `input`, before authentication.
pub fn build(
    def: &Definition,
    op: &Operation,
    connection: &Connection,
    input: &Value,
) -> Result<Request> {
    let mut path = op.path.clone();
    let mut query = Vec::new();
    let mut form = Vec::new();
    let mut multipart = Vec::new();
    let mut headers = Vec::new();
    let mut body = None;
    for param in &op.params {
        let Some(value) = input.get(&param.prop).or(param.default.as_ref()) else {
            continue;
        };
        match param.location.as_str() {
            "path" => {
                path = path.replace(&format!("{{{}}}", param.name), &encode(&text(value)));
            }
            "query" => push_pair(&mut query, &param.name, value),
            "header" => headers.push((param.name.clone(), text(value))),
            "form" => push_pair(&mut form, &param.name, value),
            "multipart" => multipart.push((param.name.clone(), text(value))),
            _ => body = Some(value.clone()),
        }
    }
    // What is left are `{parameter}`s of the connection (a Postman
    // `{{variable}}` in the path); a value from the input cannot add one,
    // since `encode` escapes its braces.
    let path = fill_encoded(&path, connection)?;
    if let Some((name, key)) = auth::query_pair(op.auth(def), connection) {
        query.push(format!("{}={}", encode(&name), encode(&key)));
    }
    for (name, value) in def.query.iter().chain(&op.query) {
        query.push(format!(
            "{}={}",
            encode(name),
            encode(&fill(value, connection)?)
        ));
    }
    let mut url = format!("{}{path}", base_url(def, connection)?);
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.join("&"));
    }
    let mut request = Request::new(&op.method, url);
    let given = |wanted: &str| {
        headers
            .iter()
            .map(|(n, _)| n)
            .chain(op.headers.iter().map(|(n, _)| n))
            .any(|n: &String| n.eq_ignore_ascii_case(wanted))
    };
    if !given("accept") {
        request = request.header("accept", "application/json");
    }
    for (name, value) in def.headers.iter().chain(&op.headers) {
        request = request.header(name, fill(value, connection)?);
    }
    for (name, value) in headers {
        request = request.header(&name, value);
    }
    if !multipart.is_empty() {
        let (content_type, body) = crate::multipart::encode(&multipart);
        request = request.header("content-type", content_type).body(body);
    } else if !form.is_empty() {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.join("&"));
    } else if let Some(body) = body {
        request = request.json(&body);
    }
    Ok(request)
}
