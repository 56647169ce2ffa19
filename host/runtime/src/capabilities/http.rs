//! Outbound HTTP for guests through `wasi:http`, denied by default.
//!
//! An operator grants origins per connector: scheme, host and port, with
//! `*.` for subdomains, and `{param}` placeholders filled from the call's
//! connection values (the way a connector declares `https://{host}`).
//! Every request is checked where it is actually sent:
//!
//! - the request's scheme, host and port must match a grant;
//! - the host is resolved here, and every address it resolves to must be
//!   public unless the grant names that address literally (an IP grant) or
//!   is marked `private`: a granted *name* that resolves to a loopback,
//!   private or link-local address is refused (DNS rebinding, SSRF);
//! - the connection goes to the address that was checked, not to a second
//!   look-up of the name;
//! - redirects are not followed here; a guest that follows one makes a new
//!   request, which is checked like any other;
//! - connect time, time to first byte, time between bytes and the response
//!   size are capped, and no wait outlasts the call's own deadline.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use bytes::Bytes;
use http::uri::Scheme;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode as WasiErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::connection::Connection;

/// Default time to establish a connection (TCP and TLS).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default largest response body a guest may receive.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;
/// Most outbound requests one call may have in flight (sent, connection
/// still open); past it a request fails with `connection-limit-reached`, so
/// a guest cannot make the host hold thousands of sockets.
pub const MAX_REQUESTS_IN_FLIGHT: usize = 32;
/// Most body bytes read (and dropped) from a refused request; see
/// `OutboundPolicy::drain`.
const REFUSED_BODY_DRAIN_BYTES: usize = 4 << 20;
/// Longest wait for the body of a refused request.
const REFUSED_BODY_DRAIN_TIME: Duration = Duration::from_secs(2);

/// A host pattern in a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// One host name, lower case.
    Name(String),
    /// `*.example.com`: any subdomain of the suffix (not the suffix itself).
    Wildcard(String),
    /// An IP address literal.
    Ip(IpAddr),
}

/// One granted origin: scheme, host (pattern) and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpGrant {
    scheme: String,
    host: HostPattern,
    port: u16,
    /// Whether names matching this grant may resolve to non-public addresses.
    allow_private: bool,
    /// Whether the host came from a connection value (`http://{host}`): then
    /// even an address literal is checked like a resolved name, since only
    /// the operator may grant a loopback, private or unspecified address.
    filled: bool,
    /// Set for a template this call's connection could not fill (and why):
    /// it grants nothing, but a refusal names it, since it is usually why.
    unusable: Option<String>,
}

impl HttpGrant {
    /// A grant that admits nothing: `template` could not be filled for this
    /// call, for the reason `why` (a refused request says so).
    pub fn unusable(template: &GrantTemplate, why: String) -> Self {
        Self {
            scheme: String::new(),
            host: HostPattern::Name(String::new()),
            port: 0,
            allow_private: false,
            filled: true,
            unusable: Some(format!(
                "the grant {template} is unusable for this call: {why}"
            )),
        }
    }

    /// Whether this grant admits a request to `scheme://host:port`.
    pub fn matches(&self, scheme: &str, host: &str, port: u16) -> bool {
        if self.unusable.is_some() || self.scheme != scheme || self.port != port {
            return false;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match &self.host {
            HostPattern::Name(name) => *name == host,
            HostPattern::Wildcard(suffix) => {
                host.len() > suffix.len() + 1
                    && host.ends_with(suffix.as_str())
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
            }
            HostPattern::Ip(ip) => parse_ip(&host) == Some(*ip),
        }
    }

    /// Whether a connection to `addr` is allowed under this grant.
    fn admits_address(&self, addr: IpAddr) -> bool {
        match &self.host {
            // The operator named this very address.
            HostPattern::Ip(ip) if !self.filled => *ip == addr,
            HostPattern::Ip(ip) if *ip != addr => false,
            _ => self.allow_private || restricted_range(addr).is_none(),
        }
    }
}

impl FromStr for HttpGrant {
    type Err = anyhow::Error;

    /// Parses `scheme://host[:port]`, optionally followed by ` private`.
    fn from_str(spec: &str) -> Result<Self> {
        let (origin, allow_private) = match spec.trim().strip_suffix(" private") {
            Some(origin) => (origin.trim(), true),
            None => (spec.trim(), false),
        };
        let Some((scheme, rest)) = origin.split_once("://") else {
            bail!(
                "outbound grant {origin:?} has no scheme (expected e.g. https://api.example.com)"
            );
        };
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => bail!("outbound grant {origin:?}: scheme {scheme:?} is not http or https"),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
            bail!(
                "outbound grant {origin:?} must be an origin: scheme, host and optional port, nothing else"
            );
        }
        let (host, port) = split_host_port(rest)
            .ok_or_else(|| anyhow::anyhow!("outbound grant {origin:?} has a bad port"))?;
        let port = port.unwrap_or(default_port);
        let host = host.to_ascii_lowercase();
        let host = if let Some(ip) = parse_ip(&host) {
            HostPattern::Ip(ip)
        } else if let Some(suffix) = host.strip_prefix("*.") {
            check_hostname(origin, suffix)?;
            HostPattern::Wildcard(suffix.to_string())
        } else {
            check_hostname(origin, &host)?;
            HostPattern::Name(host)
        };
        Ok(Self {
            scheme,
            host,
            port,
            allow_private,
            filled: false,
            unusable: None,
        })
    }
}

impl fmt::Display for HttpGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Name(n) => n.clone(),
            HostPattern::Wildcard(s) => format!("*.{s}"),
            HostPattern::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            HostPattern::Ip(ip) => ip.to_string(),
        };
        write!(f, "{}://{}:{}", self.scheme, host, self.port)?;
        if self.allow_private {
            f.write_str(" private")?;
        }
        Ok(())
    }
}

/// A grant as the operator wrote it, possibly with `{param}` placeholders
/// that are filled from each call's connection values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantTemplate(String);

impl FromStr for GrantTemplate {
    type Err = anyhow::Error;

    fn from_str(spec: &str) -> Result<Self> {
        // Check the shape now, with placeholders standing in as host labels,
        // so a typo fails at start-up rather than at the first call.
        let probe = fill(spec, |_| Some("placeholder".to_string()))?;
        probe.parse::<HttpGrant>()?;
        Ok(Self(spec.to_string()))
    }
}

impl fmt::Display for GrantTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl GrantTemplate {
    /// The grant for one call: placeholders replaced by connection values.
    /// A value that is not a plain host (or host:port) is refused, so a
    /// connection value cannot widen a grant (`evil.com/`, `a@b`, `*`).
    pub fn resolve(&self, connection: &Connection) -> Result<HttpGrant> {
        let filled = fill(&self.0, |name| connection.get(name).map(str::to_string))?;
        let mut grant: HttpGrant = filled.parse()?;
        grant.filled = self.0.contains('{');
        Ok(grant)
    }
}

fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            bail!("outbound grant {template:?} has an unclosed '{{'");
        };
        let name = &rest[start + 1..start + len];
        let Some(v) = value(name) else {
            bail!(
                "outbound grant {template:?} names {{{name}}}, but the connection has no value for it"
            );
        };
        if v.is_empty()
            || !v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        {
            let shown: String = v.chars().take(80).collect();
            let hint = if v.contains("://") {
                "; drop the scheme: the grant says it"
            } else {
                ""
            };
            bail!(
                "outbound grant {template:?}: the connection value {name:?} ({shown:?}) must be a \
                 host and optional port, such as api.example.com or 127.0.0.1:8080, with no \
                 scheme, path or user{hint}"
            );
        }
        out.push_str(&v);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn check_hostname(origin: &str, host: &str) -> Result<()> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
        });
    if !ok {
        bail!("outbound grant {origin:?}: {host:?} is not a host name");
    }
    Ok(())
}

fn parse_ip(host: &str) -> Option<IpAddr> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// `host[:port]`, `[v6][:port]` -> (host, port).
fn split_host_port(s: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port.parse().ok()?))),
        Some(_) => Some((s, None)), // a bare IPv6 literal
        None => Some((s, None)),
    }
}

/// Why an address is not public, or `None` if it is.
pub fn restricted_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || o[0] == 0 {
                Some("unspecified")
            } else if v4.is_broadcast() || v4.is_multicast() || o[0] >= 240 {
                Some("multicast/reserved")
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                Some("shared address space (CGNAT)")
            } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
                Some("IETF protocol assignments")
            } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
                Some("benchmarking")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return restricted_range(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if (seg[0] & 0xfe00) == 0xfc00 {
                Some("unique local (private)")
            } else if (seg[0] & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64 can reach any IPv4 address, private ones included.
                Some("NAT64")
            } else {
                None
            }
        }
    }
}

/// A refused outbound request, kept so the host can explain a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// `scheme://host:port` the guest asked for.
    pub target: String,
    /// Why it was refused.
    pub reason: String,
}

/// What one call may reach, with its caps.
#[derive(Debug)]
pub struct OutboundPolicy {
    grants: Vec<HttpGrant>,
    connect_timeout: Duration,
    max_response_bytes: u64,
    deadline: Instant,
    denials: Mutex<Vec<Denial>>,
    /// Keeps secrets (a host name filled from a token) out of what a
    /// refusal logs and records.
    redactor: crate::capabilities::Redactor,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl OutboundPolicy {
    /// A policy for one call.
    pub fn new(grants: Vec<HttpGrant>, max_response_bytes: u64, deadline: Instant) -> Self {
        Self {
            grants,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes,
            deadline,
            denials: Mutex::new(Vec::new()),
            redactor: crate::capabilities::Redactor::default(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_REQUESTS_IN_FLIGHT)),
        }
    }

    /// The same policy, redacting `redactor`'s secrets from what it records.
    pub fn redacting(mut self, redactor: crate::capabilities::Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// The requests refused so far.
    pub fn denials(&self) -> Vec<Denial> {
        self.denials.lock().map(|d| d.clone()).unwrap_or_default()
    }

    fn deny(&self, target: &str, reason: String) -> HttpError {
        let target = &self.redactor.redact(target);
        let reason = self.redactor.redact(&reason);
        tracing::warn!(target: "outbound", "refused outbound request to {target}: {reason}");
        if let Ok(mut d) = self.denials.lock()
            && d.len() < 100
        {
            d.push(Denial {
                target: target.to_string(),
                reason,
            });
        }
        HttpError::HttpRequestDenied
    }

    /// Reads and drops the body of a refused request (at most
    /// [`REFUSED_BODY_DRAIN_BYTES`], for at most [`REFUSED_BODY_DRAIN_TIME`]
    /// and never past the call's deadline), so that the guest's body write
    /// completes and it learns of the refusal from the response, the one
    /// place every guest looks. Dropping the body at once fails the write
    /// with a bare "stream closed" instead, and crashes the JavaScript
    /// engine's event loop.
    async fn drain(&self, mut body: WasiBody) {
        let limit = self.remaining().min(REFUSED_BODY_DRAIN_TIME);
        let _ = tokio::time::timeout(limit, async {
            let mut seen = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                seen += frame.data_ref().map_or(0, |d| d.len());
                if seen > REFUSED_BODY_DRAIN_BYTES {
                    break;
                }
            }
        })
        .await;
    }

    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Checks and sends one request.
    async fn send(
        self: Arc<Self>,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<(http::Response<WasiBody>, IoFuture), HttpError> {
        let uri = request.uri().clone();
        let use_tls = uri.scheme() == Some(&Scheme::HTTPS);
        let scheme = if use_tls { "https" } else { "http" };
        let host = uri
            .host()
            .ok_or(HttpError::HttpRequestUriInvalid)?
            .to_string();
        let port = uri.port_u16().unwrap_or(if use_tls { 443 } else { 80 });
        let target = format!("{scheme}://{host}:{port}");
        let Some(grant) = self.grants.iter().find(|g| g.matches(scheme, &host, port)) else {
            let mut why = String::from("no grant for this origin");
            for note in self.grants.iter().filter_map(|g| g.unusable.as_deref()) {
                why.push_str("; ");
                why.push_str(note);
            }
            let refused = self.deny(&target, why);
            self.drain(request.into_body()).await;
            return Err(refused);
        };
        // Held until the connection closes (at the latest at the deadline).
        let Ok(permit) = self.in_flight.clone().try_acquire_owned() else {
            self.deny(
                &target,
                format!("more than {MAX_REQUESTS_IN_FLIGHT} requests of this call are in flight"),
            );
            return Err(HttpError::ConnectionLimitReached);
        };

        let connect_timeout = options
            .and_then(|o| o.connect_timeout)
            .unwrap_or(self.connect_timeout)
            .min(self.connect_timeout)
            .min(self.remaining());
        let addrs: Vec<SocketAddr> = match parse_ip(&host) {
            Some(ip) => vec![SocketAddr::new(ip, port)],
            None => match tokio::time::timeout(
                connect_timeout,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            {
                Ok(Ok(addrs)) => addrs.collect(),
                Ok(Err(_)) => return Err(HttpError::DestinationNotFound),
                Err(_) => return Err(HttpError::DnsTimeout),
            },
        };
        let allowed: Vec<SocketAddr> = addrs
            .iter()
            .copied()
            .filter(|a| grant.admits_address(a.ip()))
            .collect();
        if allowed.is_empty() {
            let why = addrs
                .first()
                .map(|a| {
                    format!(
                        "{host} resolves to {} ({}), and the grant does not name it{}",
                        a.ip(),
                        restricted_range(a.ip()).unwrap_or("not granted"),
                        if restricted_range(a.ip()).is_some() && !grant.allow_private {
                            "; to allow a granted name to reach a loopback or private address, \
                             end the grant with ` private`"
                        } else {
                            ""
                        }
                    )
                })
                .unwrap_or_else(|| format!("{host} resolves to no address"));
            self.deny(&target, why);
            self.drain(request.into_body()).await;
            return Err(HttpError::DestinationIpProhibited);
        }

        let stream = connect_any(&allowed, connect_timeout).await?;
        let stream: Box<dyn IoStream> = if use_tls {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let config = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let name = match parse_ip(&host) {
                Some(ip) => rustls::pki_types::ServerName::from(ip),
                None => rustls::pki_types::ServerName::try_from(host.clone())?,
            };
            let tls = tokio::time::timeout(connect_timeout, connector.connect(name, stream))
                .await
                .map_err(|_| HttpError::ConnectionTimeout)?
                .map_err(HttpError::Tls)?;
            Box::new(tls)
        } else {
            Box::new(stream)
        };
        let (mut sender, conn) = tokio::time::timeout(
            connect_timeout,
            hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
        )
        .await
        .map_err(|_| HttpError::ConnectionTimeout)??;

        // The request line carries only the path: scheme and authority are
        // for proxies.
        *request.uri_mut() = http::Uri::builder()
            .path_and_query(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
            .build()
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;

        let first_byte = options
            .and_then(|o| o.first_byte_timeout)
            .unwrap_or(Duration::MAX)
            .min(self.remaining());
        let between = options
            .and_then(|o| o.between_bytes_timeout)
            .unwrap_or(Duration::MAX)
            .min(self.remaining())
            .max(Duration::from_millis(1));
        // The connection lives no longer than the call: a server that never
        // answers cannot keep the socket open after the guest is gone.
        let until = tokio::time::Instant::from_std(self.deadline);
        let conn_task = tokio::spawn(async move {
            let _permit = permit;
            match tokio::time::timeout_at(until, conn).await {
                Ok(result) => result,
                Err(_) => Ok(()),
            }
        });
        let response = tokio::time::timeout(first_byte, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)??;
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let policy = self.clone();
        let response = response.map(move |incoming| {
            CappedBody {
                inner: incoming,
                limit: policy.max_response_bytes,
                seen: 0,
                between,
                timer: Box::pin(tokio::time::sleep(between)),
                deadline: Box::pin(tokio::time::sleep_until(deadline)),
            }
            .boxed_unsync()
        });
        let io: IoFuture = Box::new(async move {
            match conn_task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(HttpError::from(e)),
                Err(_) => Err(HttpError::ConnectionTerminated),
            }
        });
        Ok((response, io))
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

trait IoStream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> IoStream for T {}

async fn connect_any(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, HttpError> {
    let mut last = HttpError::ConnectionRefused;
    for addr in addrs {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = HttpError::Connect(e),
            Err(_) => last = HttpError::ConnectionTimeout,
        }
    }
    Err(last)
}

/// A response body that ends in an error past a size, a gap between bytes,
/// or the call's deadline.
struct CappedBody {
    inner: hyper::body::Incoming,
    limit: u64,
    seen: u64,
    between: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.seen += data.len() as u64;
                    if self.seen > self.limit {
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                            self.seen,
                        )))));
                    }
                }
                let next = tokio::time::Instant::now() + self.between;
                self.timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(HttpError::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if self.deadline.as_mut().poll(cx).is_ready()
                    || self.timer.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

/// The `wasi:http` hooks of one call: every request goes through its policy.
pub struct OutboundHooks {
    policy: Arc<OutboundPolicy>,
}

impl OutboundHooks {
    /// Hooks enforcing `policy`.
    pub fn new(policy: Arc<OutboundPolicy>) -> Self {
        Self { policy }
    }
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        let policy = self.policy.clone();
        Box::new(policy.send(request, options))
    }

    // wasmtime-wasi-http's defaults log each of these at warn level with the
    // error's Debug form (`connect error: Os { code: 111, ... }`), once per
    // failed request: a server that is down fills the log with them. The
    // guest gets the error code and reports it its own way; the host keeps
    // a readable line at debug level.
    fn p2_error_from_connect(&mut self, err: &std::io::Error) -> WasiErrorCode {
        tracing::debug!(target: "outbound", "connection failed: {err}");
        match err.kind() {
            std::io::ErrorKind::TimedOut => WasiErrorCode::ConnectionTimeout,
            _ => WasiErrorCode::ConnectionRefused,
        }
    }

    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> WasiErrorCode {
        tracing::debug!(target: "outbound", "HTTP error: {err}");
        WasiErrorCode::HttpProtocolError
    }

    fn p2_error_from_tls(&mut self, err: &std::io::Error) -> WasiErrorCode {
        tracing::debug!(target: "outbound", "TLS error: {err}");
        WasiErrorCode::TlsProtocolError
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> HttpGrant {
        s.parse().unwrap()
    }

    #[test]
    fn grants_match_scheme_host_and_port() {
        let grant = g("https://api.example.com");
        assert!(grant.matches("https", "api.example.com", 443));
        assert!(grant.matches("https", "API.Example.com.", 443));
        assert!(!grant.matches("http", "api.example.com", 80));
        assert!(!grant.matches("https", "api.example.com", 8443));
        assert!(!grant.matches("https", "evil-api.example.com", 443));
        assert!(!grant.matches("https", "api.example.com.evil.net", 443));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let grant = g("https://*.example.com:8443");
        assert!(grant.matches("https", "a.example.com", 8443));
        assert!(grant.matches("https", "a.b.example.com", 8443));
        assert!(!grant.matches("https", "example.com", 8443));
        assert!(!grant.matches("https", "badexample.com", 8443));
        assert!(!grant.matches("https", "a.example.com", 443));
    }

    #[test]
    fn bad_grants_are_refused() {
        for bad in [
            "api.example.com",
            "ftp://x.com",
            "https://x.com/path",
            "https://user@x.com",
            "https://x.com:99999",
            "https://bad_host.com",
            "https://",
        ] {
            assert!(bad.parse::<HttpGrant>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ip_grants_name_their_address() {
        let grant = g("http://127.0.0.1:8080");
        assert!(grant.matches("http", "127.0.0.1", 8080));
        assert!(grant.admits_address("127.0.0.1".parse().unwrap()));
        let v6 = g("http://[::1]:8080");
        assert!(v6.matches("http", "[::1]", 8080));
        assert!(v6.admits_address("::1".parse().unwrap()));
    }

    #[test]
    fn names_may_not_resolve_to_restricted_addresses() {
        let grant = g("http://localhost:8080");
        for addr in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
            "100.64.0.1",
        ] {
            assert!(!grant.admits_address(addr.parse().unwrap()), "{addr}");
        }
        assert!(grant.admits_address("93.184.216.34".parse().unwrap()));
        assert!(grant.admits_address("2606:2800:220:1::1".parse().unwrap()));
        let private = g("http://svc.internal:8080 private");
        assert!(private.admits_address("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn addresses_filled_from_a_connection_are_checked_like_names() {
        let t: GrantTemplate = "http://{host}".parse().unwrap();
        let mut c = Connection::new();
        for (value, addr) in [
            ("127.0.0.1:8080", "127.0.0.1"),
            ("[::ffff:127.0.0.1]:8080", "::ffff:127.0.0.1"),
            ("[::1]:8080", "::1"),
            ("0.0.0.0:8080", "0.0.0.0"),
            ("10.0.0.1", "10.0.0.1"),
        ] {
            c.set("host", value);
            let grant = t.resolve(&c).unwrap();
            assert!(!grant.admits_address(addr.parse().unwrap()), "{value}");
        }
        c.set("host", "93.184.216.34");
        let public = t.resolve(&c).unwrap();
        assert!(public.admits_address("93.184.216.34".parse().unwrap()));
        assert!(!public.admits_address("93.184.216.35".parse().unwrap()));
        // The operator may still allow private addresses for a template.
        let private: GrantTemplate = "http://{host} private".parse().unwrap();
        c.set("host", "127.0.0.1:8080");
        assert!(
            private
                .resolve(&c)
                .unwrap()
                .admits_address("127.0.0.1".parse().unwrap())
        );
        // A literal grant keeps naming its address.
        assert!(g("http://127.0.0.1:8080").admits_address("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn templates_fill_from_the_connection_and_cannot_be_widened() {
        let t: GrantTemplate = "https://{host}".parse().unwrap();
        let mut c = Connection::new();
        c.set("host", "api.example.com");
        assert_eq!(
            t.resolve(&c).unwrap().to_string(),
            g("https://api.example.com").to_string()
        );
        c.set("host", "api.example.com:8443");
        assert_eq!(
            t.resolve(&c).unwrap().to_string(),
            g("https://api.example.com:8443").to_string()
        );
        for evil in ["evil.com/x", "a@b.com", "*", "x.com?y", ""] {
            c.set("host", evil);
            assert!(t.resolve(&c).is_err(), "{evil:?}");
        }
        assert!(t.resolve(&Connection::new()).is_err());
        assert!("https://{host".parse::<GrantTemplate>().is_err());
        // A value with a scheme is named, with what to give instead.
        c.set("host", "http://127.0.0.1:8080");
        let err = t.resolve(&c).unwrap_err().to_string();
        assert!(
            err.contains("\"host\"")
                && err.contains("127.0.0.1:8080")
                && err.contains("drop the scheme"),
            "{err}"
        );
        // An unusable template grants nothing, and says why.
        let unusable = HttpGrant::unusable(&t, err.clone());
        assert!(!unusable.matches("https", "api.example.com", 443));
        assert!(
            unusable
                .unusable
                .as_deref()
                .unwrap()
                .contains("https://{host}")
        );
    }
}
