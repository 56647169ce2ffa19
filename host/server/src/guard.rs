//! The checks every request passes before a handler sees it, and the
//! headers every response carries.
//!
//! - **Host** (DNS rebinding): a page on `evil.example` whose name is made to
//!   resolve to 127.0.0.1 sends `Host: evil.example`; only the server's own
//!   names (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`, and those the
//!   operator adds) are served.
//! - **Token**: every `/api/` call needs `Authorization: Bearer <token>`.
//!   It is a header, never a cookie, so a cross-site request cannot carry it.
//! - **Origin** (CSRF): a state-changing request (anything but GET and HEAD)
//!   that names an `Origin` must name the server's own; `Sec-Fetch-Site:
//!   cross-site` is refused too. Clients that send no Origin (curl, scripts)
//!   still need the token.
//! - **Headers**: a Content-Security-Policy that allows scripts and styles
//!   only from the server itself (no inline script, no `eval`), images from
//!   itself or `data:`, no framing; `nosniff`; no referrer; no caching of
//!   API answers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::token::Token;

/// The policy of every page and asset.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; \
     frame-ancestors 'none'; base-uri 'none'";

/// What the guard accepts.
pub struct Guard {
    token: Token,
    /// Accepted `Host` values, lower case, with the port.
    hosts: Vec<String>,
    /// Accepted `Origin` values: the scheme and each host.
    origins: Vec<String>,
}

impl Guard {
    /// A guard for a server on `port`, reached over `scheme` (http or
    /// https), under the loopback names and the `extra` host names
    /// (`name` or `name:port`; without a port, `port` is assumed).
    pub fn new(token: Token, scheme: &str, port: u16, extra: &[String]) -> Self {
        let mut hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|h| format!("{h}:{port}"))
            .collect();
        for name in extra {
            let name = name.to_ascii_lowercase();
            let has_port = name.rsplit_once(':').is_some_and(|(h, p)| {
                !h.ends_with('[') && !p.contains(']') && p.parse::<u16>().is_ok()
            });
            hosts.push(if has_port {
                name
            } else {
                format!("{name}:{port}")
            });
        }
        // Browsers leave the default port out of Host and Origin.
        let default = if scheme == "https" { 443 } else { 80 };
        if port == default {
            let bare: Vec<String> = hosts
                .iter()
                .filter_map(|h| h.strip_suffix(&format!(":{port}")).map(str::to_string))
                .collect();
            hosts.extend(bare);
        }
        let origins = hosts.iter().map(|h| format!("{scheme}://{h}")).collect();
        Self {
            token,
            hosts,
            origins,
        }
    }

    /// The host names served, for the start message.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    fn check(&self, method: &Method, path: &str, headers: &HeaderMap) -> Result<(), ApiError> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        match host {
            Some(h) if self.hosts.contains(&h) => {}
            Some(h) => {
                return Err(ApiError::forbidden(
                    "bad-host",
                    format!(
                        "this server does not answer to the host {:?} (it answers to: {}); \
                         start it with --allow-host to add a name",
                        truncate(&h, 100),
                        self.hosts.join(", ")
                    ),
                ));
            }
            None => {
                return Err(ApiError::forbidden(
                    "bad-host",
                    "the request has no Host header",
                ));
            }
        }
        let state_changing = !matches!(*method, Method::GET | Method::HEAD);
        if state_changing {
            if let Some(origin) = headers.get(header::ORIGIN) {
                let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
                if !self.origins.contains(&origin) {
                    return Err(ApiError::forbidden(
                        "bad-origin",
                        format!(
                            "a request from the origin {:?} may not change anything here",
                            truncate(&origin, 100)
                        ),
                    ));
                }
            }
            if headers
                .get("sec-fetch-site")
                .is_some_and(|v| v == "cross-site")
            {
                return Err(ApiError::forbidden(
                    "bad-origin",
                    "a cross-site request may not change anything here",
                ));
            }
        }
        if path.starts_with("/api/") || path == "/api" {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            match given {
                Some(t) if self.token.matches(t) => {}
                Some(_) => return Err(ApiError::unauthorized("the token is wrong")),
                None => {
                    return Err(ApiError::unauthorized(
                        "every API call needs `Authorization: Bearer <token>`; the token is in \
                         the server's state directory (file `token`)",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The middleware: refuses what [`Guard`] refuses, and adds the security
/// headers to every response (refusals included).
pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api");
    let mut response = match guard.check(request.method(), request.uri().path(), request.headers())
    {
        Ok(()) => next.run(request).await,
        Err(e) => {
            let unauthorized = e.status == axum::http::StatusCode::UNAUTHORIZED;
            let mut r = e.into_response();
            if unauthorized {
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            r
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        let dir = std::env::temp_dir().join(format!("cs-guard-{}", std::process::id()));
        let t = crate::token::Token::load_or_create(&dir).unwrap().token;
        std::fs::remove_dir_all(&dir).unwrap();
        t
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn hosts_origins_and_tokens() {
        let t = token();
        let bearer = format!("Bearer {}", t.reveal());
        let g = Guard::new(t, "http", 7071, &["designer.lan".into()]);
        let ok = |m: Method, h: &[(&'static str, &str)]| g.check(&m, "/api/catalog", &headers(h));
        assert!(
            ok(
                Method::GET,
                &[("host", "127.0.0.1:7071"), ("authorization", &bearer)]
            )
            .is_ok()
        );
        assert!(
            ok(
                Method::GET,
                &[("host", "LOCALHOST:7071"), ("authorization", &bearer)]
            )
            .is_ok()
        );
        assert!(
            ok(
                Method::GET,
                &[("host", "designer.lan:7071"), ("authorization", &bearer)]
            )
            .is_ok()
        );
        assert_eq!(
            ok(
                Method::GET,
                &[("host", "evil.example:7071"), ("authorization", &bearer)]
            )
            .unwrap_err()
            .code,
            "bad-host"
        );
        assert_eq!(
            ok(Method::GET, &[("host", "127.0.0.1:7071")])
                .unwrap_err()
                .code,
            "unauthorized"
        );
        assert_eq!(
            ok(
                Method::GET,
                &[("host", "127.0.0.1:7071"), ("authorization", "Bearer x")]
            )
            .unwrap_err()
            .code,
            "unauthorized"
        );
        let post = |origin: &str| {
            ok(
                Method::POST,
                &[
                    ("host", "127.0.0.1:7071"),
                    ("authorization", &bearer),
                    ("origin", origin),
                ],
            )
        };
        assert!(post("http://127.0.0.1:7071").is_ok());
        assert_eq!(post("http://evil.example").unwrap_err().code, "bad-origin");
        assert_eq!(post("null").unwrap_err().code, "bad-origin");
        assert_eq!(
            post("https://127.0.0.1:7071").unwrap_err().code,
            "bad-origin"
        );
        // Assets need no token, but the Host check still applies.
        assert!(
            g.check(&Method::GET, "/", &headers(&[("host", "[::1]:7071")]))
                .is_ok()
        );
        assert!(
            g.check(&Method::GET, "/", &headers(&[("host", "rebound.example")]))
                .is_err()
        );
    }
}
