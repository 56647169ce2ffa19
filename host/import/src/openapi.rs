//! Swagger 2.0 and OpenAPI 3.0 / 3.1 documents to a [`Definition`]: the
//! service from `info`, the base URL from `host`/`basePath`/`schemes` or
//! `servers`, authentication from the security schemes, and one operation
//! per path and method ([`crate::operation`]).

use serde_json::Value;

use crate::model::{Base, Definition, Kind, ParameterInfo, ServiceInfo};
use crate::problem::{Problem, Severity};
use crate::source::Source;
use crate::{extensions, operation, security};

/// Which dialect a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `swagger: "2.0"`.
    Swagger2,
    /// `openapi: 3.x`.
    OpenApi3,
}

/// The dialect of a document, or `None` when it is neither.
pub fn dialect(value: &Value) -> Option<Dialect> {
    if value.get("swagger").and_then(Value::as_str) == Some("2.0") {
        return Some(Dialect::Swagger2);
    }
    match value.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => Some(Dialect::OpenApi3),
        _ => None,
    }
}

/// A lower-case identifier from any text (`Pet Store` -> `pet-store`,
/// `listPets` -> `list-pets`), at most 64 bytes.
pub fn identifier(text: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            prev_lower = false;
        }
    }
    let mut out = out.trim_matches(['-', '_', '.']).to_string();
    out.truncate(64);
    while out.ends_with(['-', '_', '.']) {
        out.pop();
    }
    if out.is_empty() { "api".into() } else { out }
}

/// `1`, `1.0` and `v2.1.3` as semver; anything else as `0.1.0`.
pub(crate) fn semver(version: &str) -> String {
    let core: Vec<u64> = version
        .trim_start_matches(['v', 'V'])
        .split('.')
        .map_while(|p| p.parse().ok())
        .take(3)
        .collect();
    match core.as_slice() {
        [] => "0.1.0".into(),
        [a] => format!("{a}.0.0"),
        [a, b] => format!("{a}.{b}.0"),
        [a, b, c, ..] => format!("{a}.{b}.{c}"),
    }
}

/// Host, base path and whether https is the default, from the document.
fn location(src: &Source, dialect: Dialect, problems: &mut Vec<Problem>) -> (String, String, bool) {
    let v = &src.value;
    match dialect {
        Dialect::Swagger2 => {
            let host = v
                .get("host")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let path = v
                .get("basePath")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let schemes: Vec<&str> = v
                .get("schemes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let tls = schemes.is_empty() || schemes.contains(&"https");
            if host.is_empty() {
                problems.push(src.problem(
                    Severity::Warning,
                    "",
                    "no `host`: every connection must give the API's host",
                ));
            }
            (host, path, tls)
        }
        Dialect::OpenApi3 => {
            let Some(server) = v.pointer("/servers/0") else {
                problems.push(src.problem(
                    Severity::Warning,
                    "",
                    "no `servers`: every connection must give the API's host",
                ));
                return (String::new(), String::new(), true);
            };
            let mut url = server
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // Server variables take their defaults.
            for (name, var) in server
                .get("variables")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let default = var.get("default").and_then(Value::as_str).unwrap_or("");
                url = url.replace(&format!("{{{name}}}"), default);
            }
            if url.contains('{') {
                problems.push(src.problem(
                    Severity::Error,
                    "/servers/0/url",
                    format!("the server URL {url:?} names a variable that has no default"),
                ));
            }
            match url.split_once("://") {
                Some((scheme, rest)) => {
                    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                    (
                        host.to_string(),
                        path.to_string(),
                        !scheme.eq_ignore_ascii_case("http"),
                    )
                }
                None => (String::new(), url, true),
            }
        }
    }
}

/// Reads a Swagger 2.0 or OpenAPI 3 document into a definition, with every
/// problem found. `None` when it is not such a document.
pub fn read(src: &Source, problems: &mut Vec<Problem>) -> Option<Definition> {
    let Some(dialect) = dialect(&src.value) else {
        problems.push(src.problem(
            Severity::Error,
            "",
            "is not a Swagger 2.0 (`swagger: \"2.0\"`) or OpenAPI 3 (`openapi: 3.x`) document",
        ));
        return None;
    };
    extensions::check(src, problems);
    let info = src.value.get("info");
    let text = |k: &str| {
        info.and_then(|i| i.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let title = text("title");
    if title.is_empty() {
        problems.push(src.problem(Severity::Error, "/info/title", "the API has no title"));
    }
    let version = text("version");
    let (host, path, tls) = location(src, dialect, problems);
    let mut parameters = vec![
        ParameterInfo {
            name: "host".into(),
            display_name: "API host".into(),
            description: "The API's host and optional port.".into(),
            kind: "text".into(),
            required: host.is_empty(),
            default: (!host.is_empty()).then(|| host.clone()),
        },
        ParameterInfo {
            name: "use_tls".into(),
            display_name: "Use HTTPS".into(),
            description: "false to call the API over plain HTTP.".into(),
            kind: "boolean".into(),
            required: false,
            default: Some(tls.to_string()),
        },
    ];
    let schemes_at = match dialect {
        Dialect::Swagger2 => "/securityDefinitions",
        Dialect::OpenApi3 => "/components/securitySchemes",
    };
    let (auth, auth_params, token_origin) = security::read(src, schemes_at, &host, problems);
    parameters.extend(auth_params);
    let mut outbound_hosts = vec!["https://{host}".to_string(), "http://{host}".to_string()];
    outbound_hosts.extend(token_origin);
    let operations = operation::read_all(src, dialect, problems);
    let check_operation = operations
        .iter()
        .find(|o| {
            o.kind == Kind::Action
                && o.method == "GET"
                && o.input_schema
                    .get("required")
                    .and_then(Value::as_array)
                    .is_none_or(|r| r.is_empty())
        })
        .map(|o| o.id.clone());
    Some(Definition {
        service: ServiceInfo {
            id: identifier(&title),
            display_name: if title.is_empty() {
                "API".into()
            } else {
                title.clone()
            },
            description: text("description").chars().take(1000).collect(),
            version: semver(&version),
            brand_color: "#6b7280".into(),
            icon_uri: String::new(),
        },
        parameters,
        outbound_hosts,
        base: Base {
            host: "{host}".into(),
            path,
            tls_parameter: Some("use_tls".into()),
        },
        auth,
        headers: Vec::new(),
        query: Vec::new(),
        operations,
        check_operation,
        not_imported: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_versions() {
        assert_eq!(identifier("listPets"), "list-pets");
        assert_eq!(
            identifier("Swagger Petstore - OpenAPI 3.0"),
            "swagger-petstore-open-api-3.0"
        );
        assert_eq!(identifier("GET /pets/{petId}"), "get-pets-pet-id");
        assert_eq!(identifier("!!!"), "api");
        assert_eq!(semver("1.0"), "1.0.0");
        assert_eq!(semver("v2"), "2.0.0");
        assert_eq!(semver("2023-01-01"), "0.1.0");
        assert_eq!(semver("beta"), "0.1.0");
    }
}
