//! A small blocking HTTP client for connectors, over `wasi:http`.
//!
//! Connector operations are synchronous calls, so the client blocks: build a
//! request, `send()` it, read the response. The host decides what a
//! connector may reach (`--allow-http` grants); a request it refuses fails
//! with [`Error::Denied`], which a connector usually turns into a
//! `forbidden` connector error.
//!
//! ```no_run
//! use connector_http::Request;
//!
//! # fn main() -> Result<(), connector_http::Error> {
//! let tasks: serde_json::Value = Request::get("https://api.example.com/tasks?open=true")
//!     .header("accept", "application/json")
//!     .send()?
//!     .error_for_status()?
//!     .json()?;
//! # Ok(())
//! # }
//! ```

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, Method, OutgoingBody,
    OutgoingRequest, Scheme,
};
use wasi::io::streams::StreamError;

/// Largest response body read, so a huge answer cannot exhaust the guest.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The URL could not be understood.
    BadUrl(String),
    /// The host refused the request: the origin is not granted, or it
    /// resolves to an address the grant does not allow.
    Denied(String),
    /// The request could not be completed (DNS, connect, TLS, timeout, ...).
    Transport(String),
    /// The response body was larger than the limit.
    TooLarge(usize),
    /// The response had an error status (from [`Response::error_for_status`]).
    Status { status: u16, body: String },
    /// The body was not the JSON expected.
    Json(String),
}

impl Error {
    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadUrl(m) => write!(f, "bad URL: {m}"),
            Error::Denied(m) => write!(f, "request refused by the host: {m}"),
            Error::Transport(m) => write!(f, "request failed: {m}"),
            Error::TooLarge(n) => write!(f, "response body larger than {n} bytes"),
            Error::Status { status, body } => {
                write!(f, "HTTP status {status}: {}", truncate(body, 200))
            }
            Error::Json(m) => write!(f, "response is not the JSON expected: {m}"),
        }
    }
}

impl std::error::Error for Error {}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// An HTTP request being built.
#[derive(Debug, Clone)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Option<Vec<u8>>,
    max_body: usize,
}

impl Request {
    /// A request with any method (`"PATCH"`, ...).
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        let method = match method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_string()),
        };
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }

    /// `PUT url`.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new("PUT", url)
    }

    /// `PATCH url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new("PATCH", url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new("DELETE", url)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// Sets `authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.header("content-type", "application/json").body(body)
    }

    /// The largest response body to read (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sends the request and reads the whole response.
    pub fn send(mut self) -> Result<Response, Error> {
        let url = Url::parse(&self.url)?;
        // A known length, not chunked encoding: many APIs refuse chunked
        // request bodies.
        if let Some(body) = &self.body {
            if !self.headers.iter().any(|(n, _)| n == "content-length") {
                self.headers
                    .push(("content-length".into(), body.len().to_string().into_bytes()));
            }
        }
        let headers = Fields::from_list(
            &self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| Error::BadUrl(format!("bad header: {e:?}")))?;
        let request = OutgoingRequest::new(headers);
        let set = |ok: Result<(), ()>, what: &str| {
            ok.map_err(|()| Error::BadUrl(format!("bad {what} in {}", self.url)))
        };
        set(request.set_method(&self.method), "method")?;
        set(request.set_scheme(Some(&url.scheme)), "scheme")?;
        set(request.set_authority(Some(&url.authority)), "host")?;
        set(
            request.set_path_with_query(Some(&url.path_and_query)),
            "path",
        )?;

        let outgoing_body = request
            .body()
            .map_err(|()| Error::Transport("request body already taken".into()))?;
        let future = outgoing_handler::handle(request, None).map_err(|e| error_from(&e))?;
        {
            let stream = outgoing_body
                .write()
                .map_err(|()| Error::Transport("request body stream unavailable".into()))?;
            for chunk in self.body.as_deref().unwrap_or_default().chunks(4096) {
                if let Err(e) = stream.blocking_write_and_flush(chunk) {
                    // The host drops the body of a request it refuses (an
                    // origin that is not granted), so the write fails first:
                    // the response future says why.
                    let written =
                        Error::Transport(format!("writing the request body: {}", stream_error(e)));
                    drop(stream);
                    return Err(match wait(&future) {
                        Ok(Err(code)) => error_from(&code),
                        _ => written,
                    });
                }
            }
        }
        OutgoingBody::finish(outgoing_body, None).map_err(|e| error_from(&e))?;

        let response = wait(&future)
            .map_err(|()| Error::Transport("response already taken".into()))?
            .map_err(|e| error_from(&e))?;
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response
            .consume()
            .map_err(|()| Error::Transport("response body already taken".into()))?;
        let mut body = Vec::new();
        {
            let stream = incoming
                .stream()
                .map_err(|()| Error::Transport("response body stream unavailable".into()))?;
            loop {
                match stream.blocking_read(64 << 10) {
                    Ok(chunk) => {
                        body.extend_from_slice(&chunk);
                        if body.len() > self.max_body {
                            return Err(Error::TooLarge(self.max_body));
                        }
                    }
                    Err(StreamError::Closed) => break,
                    Err(e) => {
                        return Err(Error::Transport(format!(
                            "reading the response body: {}",
                            stream_error(e)
                        )));
                    }
                }
            }
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A whole HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Json(e.to_string()))
    }

    /// `Err(Error::Status)` for a 4xx or 5xx status, the response otherwise.
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.status >= 400 {
            return Err(Error::Status {
                status: self.status,
                body: self.text(),
            });
        }
        Ok(self)
    }
}

/// The parts of a URL a request needs.
struct Url {
    scheme: Scheme,
    authority: String,
    path_and_query: String,
}

impl Url {
    fn parse(url: &str) -> Result<Self, Error> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| Error::BadUrl(format!("{url:?} has no scheme")))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(Error::BadUrl(format!(
                    "scheme {other:?} is not http or https"
                )));
            }
        };
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.is_empty() || authority.contains('@') {
            return Err(Error::BadUrl(format!(
                "{url:?} has no host, or has user information"
            )));
        }
        let path_and_query = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Ok(Self {
            scheme,
            authority: authority.to_string(),
            path_and_query,
        })
    }
}

/// The response future's result, once it is ready (`Err(())`: it was
/// already taken).
fn wait(future: &FutureIncomingResponse) -> Result<Result<IncomingResponse, ErrorCode>, ()> {
    loop {
        if let Some(result) = future.get() {
            return result;
        }
        future.subscribe().block();
    }
}

fn error_from(e: &ErrorCode) -> Error {
    match e {
        ErrorCode::HttpRequestDenied => Error::Denied(
            "the operator has not granted this origin (--allow-http, or a connection value that \
             does not fill the grant's template; the host's log says which)"
                .into(),
        ),
        ErrorCode::DestinationIpProhibited => Error::Denied(
            "the host name resolves to a loopback or private address, which the grant does not \
             allow (the operator allows that by ending the grant with ` private`)"
                .into(),
        ),
        other => Error::Transport(format!("{other:?}")),
    }
}

fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "closed".into(),
        StreamError::LastOperationFailed(err) => err.to_debug_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_request_parts() {
        let u = Url::parse("https://api.example.com:8443/v1/tasks?open=true#x").unwrap();
        assert!(matches!(u.scheme, Scheme::Https));
        assert_eq!(u.authority, "api.example.com:8443");
        assert_eq!(u.path_and_query, "/v1/tasks?open=true");
        assert_eq!(Url::parse("http://h").unwrap().path_and_query, "/");
        assert_eq!(Url::parse("http://h?q=1").unwrap().path_and_query, "/?q=1");
        assert!(Url::parse("ftp://h").is_err());
        assert!(Url::parse("h/path").is_err());
        assert!(Url::parse("http://user@h/").is_err());
    }
}
