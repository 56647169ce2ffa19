//! Credentials from the connection, put on each request as the definition's
//! security scheme says, and sending with them.
//!
//! An OAuth 2 client-credentials token is fetched for each call (every call
//! runs in a fresh instance, which keeps nothing) and fetched again once
//! when the API answers 401 to it, as for an expired or revoked token.

use base64::Engine;
use connector_http::{Error as HttpError, Request, Response};
use connector_sdk::{Connection, Error, Result, Value};

use crate::definition::{Auth, Definition};
use crate::request::{base_url, fill, origin};

/// The query pair an `apiKey`-in-query scheme adds, if any.
pub fn query_pair(auth: &Auth, connection: &Connection) -> Option<(String, String)> {
    match auth {
        Auth::ApiKey {
            location,
            name,
            param,
            prefix,
        } if location == "query" => {
            let key = connection.get(param)?;
            Some((name.clone(), format!("{prefix}{key}")))
        }
        _ => None,
    }
}

/// Sends `request` with the connection's credentials, as `auth` says.
pub fn send(
    def: &Definition,
    auth: &Auth,
    connection: &Connection,
    request: Request,
) -> Result<Response> {
    match auth {
        Auth::None => transmit(request),
        Auth::ApiKey {
            location,
            name,
            param,
            prefix,
        } => {
            if location == "header"
                && let Some(key) = connection.get(param)
            {
                return transmit(request.header(name, format!("{prefix}{key}")));
            }
            transmit(request)
        }
        Auth::Basic { user, password } => {
            let user = connection.get(user).unwrap_or_default();
            let password = connection.get(password).unwrap_or_default();
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            transmit(request.header("authorization", format!("Basic {token}")))
        }
        Auth::Bearer { param } => {
            let token = connection.get(param).unwrap_or_default();
            transmit(request.bearer(token))
        }
        Auth::Oauth2ClientCredentials { .. } => {
            let token = fetch_token(def, auth, connection)?;
            let response = transmit(request.clone().bearer(&token))?;
            if response.status != 401 {
                return Ok(response);
            }
            let token = fetch_token(def, auth, connection)?;
            transmit(request.bearer(&token))
        }
    }
}

/// A fresh access token from the token endpoint (RFC 6749 section 4.4).
fn fetch_token(def: &Definition, auth: &Auth, connection: &Connection) -> Result<String> {
    let Auth::Oauth2ClientCredentials {
        token_url,
        client_id,
        client_secret,
        scopes,
    } = auth
    else {
        return Err(Error::internal(
            "no-oauth",
            "the definition has no OAuth 2 scheme",
        ));
    };
    let mut url = fill(token_url, connection)?;
    // A token endpoint on the API's own host is kept as a path.
    if url.starts_with('/') {
        url = format!("{}{url}", origin(&base_url(def, connection)?));
    }
    let id = connection.get(client_id).unwrap_or_default();
    let secret = connection.get(client_secret).unwrap_or_default();
    let mut form = vec![("grant_type", "client_credentials")];
    if !scopes.is_empty() {
        form.push(("scope", scopes.as_str()));
    }
    let body = form
        .iter()
        .map(|(n, v)| {
            format!(
                "{n}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let response = transmit(
        Request::post(url)
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body),
    )?;
    if response.status >= 400 {
        return Err(Error::unauthorized(
            "token-refused",
            format!("the token endpoint answered {}", response.status),
        ));
    }
    let parsed: Value = response
        .json()
        .map_err(|e| Error::unauthorized("bad-token-response", e.to_string()))?;
    parsed
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Error::unauthorized(
                "bad-token-response",
                "the token endpoint gave no access_token",
            )
        })
}

/// Sends a request, with transport failures as the contract's error kinds.
fn transmit(request: Request) -> Result<Response> {
    request.send().map_err(|e| match e {
        HttpError::Denied(m) => Error::forbidden(
            "outbound-denied",
            format!("the host did not grant access to the API ({m}); grant it with --allow-http"),
        ),
        other if other.is_transient() => Error::transient("unreachable", other.to_string()),
        other => Error::internal("http-error", other.to_string()),
    })
}
