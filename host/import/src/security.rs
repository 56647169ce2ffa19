//! Security definitions to connection parameters and the connector's
//! authentication: apiKey in a header or the query (a secret), basic (a
//! user and a secret password), bearer (a secret token), OAuth 2 client
//! credentials (client id and secret; the connector fetches the token).
//! One scheme is used: the first that the top-level `security` asks for
//! and that can be mapped; the others are reported.

use serde_json::Value;

use crate::model::{Auth, ParameterInfo};
use crate::problem::{Problem, Severity, escape};
use crate::source::Source;

fn param(name: &str, display: &str, kind: &str, description: &str) -> ParameterInfo {
    ParameterInfo {
        name: name.into(),
        display_name: display.into(),
        description: description.into(),
        kind: kind.into(),
        required: true,
        default: None,
    }
}

/// A mapped scheme: its authentication, its connection parameters and an
/// extra outbound origin (a token endpoint on another host).
type Mapped = (Auth, Vec<ParameterInfo>, Option<String>);

/// The scheme's authentication and parameters, or why it cannot be mapped.
fn map_scheme(
    scheme: &Value,
    api_host: &str,
) -> Result<(Auth, Vec<ParameterInfo>, Option<String>), String> {
    let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
    let text = |k: &str| {
        scheme
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match kind {
        "apiKey" => {
            let location = text("in");
            if location != "header" && location != "query" {
                return Err(format!(
                    "an apiKey in {location:?} (only header and query are mapped)"
                ));
            }
            let name = text("name");
            if name.is_empty() {
                return Err("an apiKey without a name".into());
            }
            Ok((
                Auth::ApiKey {
                    location,
                    name: name.clone(),
                    param: "api_key".into(),
                    prefix: String::new(),
                },
                vec![param(
                    "api_key",
                    "API key",
                    "secret",
                    &format!("Sent as {name}."),
                )],
                None,
            ))
        }
        "basic" => Ok(basic()),
        "http" => match text("scheme").to_ascii_lowercase().as_str() {
            "basic" => Ok(basic()),
            "bearer" => Ok((
                Auth::Bearer {
                    param: "token".into(),
                },
                vec![param(
                    "token",
                    "Access token",
                    "secret",
                    "The bearer token.",
                )],
                None,
            )),
            other => Err(format!(
                "HTTP authentication scheme {other:?} (only basic and bearer are mapped)"
            )),
        },
        "oauth2" => {
            // Swagger 2.0: flow "application"; OpenAPI 3: flows.clientCredentials.
            let token_url = if text("flow") == "application" {
                text("tokenUrl")
            } else if let Some(flow) = scheme.pointer("/flows/clientCredentials") {
                flow.get("tokenUrl")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            } else {
                return Err("an OAuth 2 flow that needs a user's sign-in (only client credentials are mapped)".into());
            };
            if token_url.is_empty() {
                return Err("an OAuth 2 client-credentials flow without a tokenUrl".into());
            }
            // A token endpoint on the API's own host follows the connection's host.
            let (token_url, extra) = match token_url.split_once("://") {
                Some((_, rest)) => {
                    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                    if host == api_host {
                        (path.to_string(), None)
                    } else {
                        (
                            token_url.clone(),
                            Some(token_url[..token_url.len() - path.len()].to_string()),
                        )
                    }
                }
                None => (token_url.clone(), None),
            };
            Ok((
                Auth::Oauth2ClientCredentials {
                    token_url,
                    client_id: "client_id".into(),
                    client_secret: "client_secret".into(),
                    scopes: String::new(),
                },
                vec![
                    param("client_id", "Client id", "text", "The OAuth 2 client id."),
                    param(
                        "client_secret",
                        "Client secret",
                        "secret",
                        "The OAuth 2 client secret.",
                    ),
                ],
                extra,
            ))
        }
        other => Err(format!("security type {other:?} is not supported")),
    }
}

fn basic() -> (Auth, Vec<ParameterInfo>, Option<String>) {
    (
        Auth::Basic {
            user: "username".into(),
            password: "password".into(),
        },
        vec![
            param(
                "username",
                "User name",
                "text",
                "The user for HTTP basic authentication.",
            ),
            param(
                "password",
                "Password",
                "secret",
                "The password for HTTP basic authentication.",
            ),
        ],
        None,
    )
}

/// The authentication of a document whose schemes are at `schemes_at`
/// (`/securityDefinitions` or `/components/securitySchemes`). Answers the
/// auth, its parameters and an extra outbound origin (a token endpoint
/// elsewhere).
pub fn read(
    src: &Source,
    schemes_at: &str,
    api_host: &str,
    problems: &mut Vec<Problem>,
) -> (Auth, Vec<ParameterInfo>, Option<String>) {
    let Some(schemes) = src.value.pointer(schemes_at).and_then(Value::as_object) else {
        return (Auth::None, Vec::new(), None);
    };
    // The order to try: the top-level requirements first, then the rest.
    let mut order: Vec<String> = src
        .value
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|req| req.keys().cloned())
        .collect();
    order.extend(schemes.keys().cloned());
    let mut chosen: Option<(String, Mapped)> = None;
    let mut seen = std::collections::BTreeSet::new();
    for name in order {
        if !seen.insert(name.clone()) {
            continue;
        }
        let at = format!("{schemes_at}/{}", escape(&name));
        let Some(scheme) = schemes.get(&name) else {
            problems.push(src.problem(
                Severity::Error,
                "/security",
                format!(
                    "the security requirement names {name:?}, which is not defined at {schemes_at}"
                ),
            ));
            continue;
        };
        match (&chosen, map_scheme(scheme, api_host)) {
            (None, Ok(mapped)) => chosen = Some((name, mapped)),
            (Some((used, _)), Ok(_)) => problems.push(src.problem(
                Severity::Warning,
                &at,
                format!("not used: a connection authenticates with one scheme, {used:?}"),
            )),
            (_, Err(why)) => {
                problems.push(src.problem(Severity::Warning, &at, format!("not mapped: {why}")))
            }
        }
    }
    match chosen {
        Some((_, mapped)) => mapped,
        None => (Auth::None, Vec::new(), None),
    }
}
