//! A small HTTP/1.1 client and server core, over tokio TCP streams, for the
//! webhook sink and the webhook push binding.
//!
//! Only what those need: one request per connection (`Connection: close`),
//! bodies by `Content-Length` or chunked, strict size limits and timeouts.
//! Plain `http://` only; TLS is left to a proxy in front of the host.

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Most bytes of a request's or response's head (request line and headers).
pub const MAX_HEAD_BYTES: usize = 64 << 10;
/// Most header lines of a request or response.
const MAX_HEADERS: usize = 128;

/// An `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// Host name or IP address (without brackets for IPv6).
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl FromStr for HttpUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let Some(rest) = url.strip_prefix("http://") else {
            if url.starts_with("https://") {
                return Err(format!(
                    "{url:?}: https is not supported by this sink yet; use an http:// URL \
                     (for example a local TLS-terminating proxy)"
                ));
            }
            return Err(format!("{url:?} is not an http:// URL"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(format!("{url:?}: credentials in the URL are not supported"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some((host, after)) = v6.split_once(']') else {
                return Err(format!("{url:?} has an unclosed '[' in its host"));
            };
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        let port = match port {
            None | Some("") => 80,
            Some(p) => p
                .parse()
                .map_err(|_| format!("{url:?} has an invalid port {p:?}"))?,
        };
        Ok(Self { host, port, path })
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "http://[{}]:{}{}", self.host, self.port, self.path)
        } else {
            write!(f, "http://{}:{}{}", self.host, self.port, self.path)
        }
    }
}

impl HttpUrl {
    /// The value of the `Host` header.
    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Sends one POST and returns the response's status code. The whole
/// exchange (connect, send, receive the head) is bounded by `timeout`.
pub async fn post(
    url: &HttpUrl,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> io::Result<u16> {
    tokio::time::timeout(timeout, post_inner(url, content_type, headers, body))
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no answer within {timeout:?}"),
            )
        })?
}

async fn post_inner(
    url: &HttpUrl,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<u16> {
    let mut stream = TcpStream::connect((url.host.as_str(), url.port)).await?;
    let mut head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: connector-host/{}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        url.path,
        url.host_header(),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    for (name, value) in headers {
        // Header values come from event ids; never let one end the header.
        let value: String = value.chars().filter(|c| !c.is_control()).collect();
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await?;
    let (buf, _) = read_head(&mut stream).await.map_err(|e| match e {
        HeadError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    })?;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => response
            .code
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "response without a status")),
        Ok(httparse::Status::Partial) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "incomplete response head",
        )),
        Err(e) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("malformed response: {e}"),
        )),
    }
}

/// Why a message head could not be read.
#[derive(Debug)]
enum HeadError {
    Io(io::Error),
    /// The peer closed the connection before a complete head.
    Closed,
    TooLarge,
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::Io(e) => write!(f, "{e}"),
            HeadError::Closed => f.write_str("connection closed before a complete head"),
            HeadError::TooLarge => write!(f, "head larger than {MAX_HEAD_BYTES} bytes"),
        }
    }
}

/// Reads until the blank line that ends a head; returns the bytes read (the
/// head and whatever followed it) and the head's length.
async fn read_head<R: AsyncRead + Unpin>(stream: &mut R) -> Result<(Vec<u8>, usize), HeadError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.map_err(HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = find(&buf[searched_from..], b"\r\n\r\n") {
            return Ok((buf, searched_from + i + 4));
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Limits of the server side.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Most bytes of a request body.
    pub max_body: usize,
    /// Time to receive the request head.
    pub head_timeout: Duration,
    /// Time to receive the body.
    pub body_timeout: Duration,
}

/// One request, as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read: each maps to the status to answer with
/// (or to no answer at all).
#[derive(Debug)]
pub enum RequestError {
    /// The client went away; nothing to answer.
    Closed,
    /// 400.
    Malformed(String),
    /// 408.
    Timeout,
    /// 413.
    BodyTooLarge(usize),
    /// 431.
    HeadTooLarge,
    /// 501: a transfer coding other than chunked.
    Unsupported(String),
}

impl RequestError {
    /// The status to answer with, if the connection still takes one.
    pub fn status(&self) -> Option<u16> {
        match self {
            RequestError::Closed => None,
            RequestError::Malformed(_) => Some(400),
            RequestError::Timeout => Some(408),
            RequestError::BodyTooLarge(_) => Some(413),
            RequestError::HeadTooLarge => Some(431),
            RequestError::Unsupported(_) => Some(501),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Closed => f.write_str("the client closed the connection"),
            RequestError::Malformed(m) => write!(f, "malformed request: {m}"),
            RequestError::Timeout => f.write_str("the request did not arrive in time"),
            RequestError::BodyTooLarge(max) => {
                write!(f, "the request body is larger than {max} bytes")
            }
            RequestError::HeadTooLarge => {
                write!(f, "the request head is larger than {MAX_HEAD_BYTES} bytes")
            }
            RequestError::Unsupported(m) => write!(f, "unsupported: {m}"),
        }
    }
}

/// Reads one request, within `limits`. Answers `Expect: 100-continue`.
pub async fn read_request<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    limits: &ServerLimits,
) -> Result<Request, RequestError> {
    let (buf, head_len) = tokio::time::timeout(limits.head_timeout, read_head(stream))
        .await
        .map_err(|_| RequestError::Timeout)?
        .map_err(|e| match e {
            HeadError::Closed | HeadError::Io(_) => RequestError::Closed,
            HeadError::TooLarge => RequestError::HeadTooLarge,
        })?;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&buf[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(RequestError::Malformed("incomplete head".into()));
        }
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::HeadTooLarge),
        Err(e) => return Err(RequestError::Malformed(e.to_string())),
    }
    let method = parsed.method.unwrap_or_default().to_string();
    let target = parsed.path.unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if !request.target.starts_with('/') {
        return Err(RequestError::Malformed(
            "the target must be a path starting with /".into(),
        ));
    }
    let chunked = match request.header("transfer-encoding") {
        None => false,
        Some(te) if te.eq_ignore_ascii_case("chunked") => true,
        Some(te) => {
            return Err(RequestError::Unsupported(format!(
                "transfer-encoding {te:?}"
            )));
        }
    };
    let length = match request.header("content-length") {
        // Both at once is how requests are smuggled past proxies: refuse.
        Some(_) if chunked => {
            return Err(RequestError::Malformed(
                "both content-length and transfer-encoding".into(),
            ));
        }
        Some(v) => Some(
            v.parse::<usize>()
                .map_err(|_| RequestError::Malformed(format!("content-length {v:?}")))?,
        ),
        None => None,
    };
    if length.is_some_and(|len| len > limits.max_body) {
        return Err(RequestError::BodyTooLarge(limits.max_body));
    }
    let has_body = chunked || length.is_some_and(|l| l > 0);
    if has_body
        && request
            .header("expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| RequestError::Closed)?;
    }
    let leftover = buf[head_len..].to_vec();
    let body = async {
        let mut reader = BufReader::new(io::Cursor::new(leftover).chain(&mut *stream));
        if chunked {
            read_chunked(&mut reader, limits.max_body).await
        } else {
            let len = length.unwrap_or(0);
            let mut body = vec![0u8; len];
            reader
                .read_exact(&mut body)
                .await
                .map_err(|_| RequestError::Closed)?;
            Ok(body)
        }
    };
    request.body = tokio::time::timeout(limits.body_timeout, body)
        .await
        .map_err(|_| RequestError::Timeout)??;
    Ok(request)
}

/// Decodes a chunked body of at most `max` bytes.
async fn read_chunked<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Vec<u8>, RequestError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader).await?;
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| RequestError::Malformed(format!("chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, up to the blank line.
            while !read_line(reader).await?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > max {
            return Err(RequestError::BodyTooLarge(max));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .await
            .map_err(|_| RequestError::Closed)?;
        if !read_line(reader).await?.is_empty() {
            return Err(RequestError::Malformed("chunk not followed by CRLF".into()));
        }
    }
}

/// Reads one CRLF-terminated line of at most 4 KiB, without the CRLF.
async fn read_line<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Result<String, RequestError> {
    let mut line = Vec::new();
    let n = (&mut *reader)
        .take(4096)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|_| RequestError::Closed)?;
    if n == 0 {
        return Err(RequestError::Closed);
    }
    if !line.ends_with(b"\r\n") {
        return Err(RequestError::Malformed(
            "line too long or not CRLF-terminated".into(),
        ));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line).map_err(|_| RequestError::Malformed("line is not UTF-8".into()))
}

/// The reason phrase of the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Writes a complete response with a JSON body and closes the exchange.
pub async fn write_json_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    extra_headers: &[(&str, String)],
    body: &serde_json::Value,
) -> io::Result<()> {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len() + 1
    );
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.write_all(b"\n").await?;
    stream.flush().await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u: HttpUrl = "http://127.0.0.1:9000/events?x=1".parse().unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 9000, "/events?x=1")
        );
        let u: HttpUrl = "http://localhost".parse().unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        assert_eq!(u.host_header(), "localhost");
        let u: HttpUrl = "http://[::1]:8080/e".parse().unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.host_header(), "[::1]:8080");
        assert_eq!(u.to_string(), "http://[::1]:8080/e");
        let u: HttpUrl = "http://h?q".parse().unwrap();
        assert_eq!(u.path, "/?q");
        assert!(
            "https://example.com"
                .parse::<HttpUrl>()
                .unwrap_err()
                .contains("https is not supported")
        );
        assert!("ftp://x".parse::<HttpUrl>().is_err());
        assert!("http://:80/".parse::<HttpUrl>().is_err());
        assert!("http://h:port/".parse::<HttpUrl>().is_err());
        assert!("http://u:p@h/".parse::<HttpUrl>().is_err());
    }

    const LIMITS: ServerLimits = ServerLimits {
        max_body: 64,
        head_timeout: Duration::from_secs(5),
        body_timeout: Duration::from_secs(5),
    };

    /// Feeds `raw` to `read_request` through an in-memory duplex stream.
    async fn parse(raw: &[u8]) -> Result<Request, RequestError> {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        client.write_all(raw).await.unwrap();
        client.shutdown().await.unwrap();
        read_request(&mut server, &LIMITS).await
    }

    #[tokio::test]
    async fn requests_with_a_length_or_chunks_parse() {
        let r = parse(b"POST /hooks/a?x=1 HTTP/1.1\r\nHost: h\r\nX-Sig: abc\r\nContent-Length: 5\r\n\r\nhello")
            .await
            .unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path(), "/hooks/a");
        assert_eq!(r.header("x-sig"), Some("abc"));
        assert_eq!(r.body, b"hello");
        let r = parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(r.body, b"abcde");
        let r = parse(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        assert!(r.body.is_empty());
    }

    #[tokio::test]
    async fn bad_requests_get_the_right_status() {
        let status = |r: Result<Request, RequestError>| r.unwrap_err().status();
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n").await),
            Some(413)
        );
        let big_chunks = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n".to_vec();
        let mut raw = big_chunks;
        raw.extend_from_slice(&[b'a'; 64]);
        raw.extend_from_slice(b"\r\n1\r\nb\r\n0\r\n\r\n");
        assert_eq!(status(parse(&raw).await), Some(413));
        assert_eq!(
            status(
                parse(
                    b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                .await
            ),
            Some(400)
        );
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").await),
            Some(400)
        );
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").await),
            Some(501)
        );
        assert_eq!(status(parse(b"NOT HTTP\r\n\r\n").await), Some(400));
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES + 10));
        assert_eq!(status(parse(&huge).await), Some(431));
        // A body shorter than announced: the client went away.
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").await),
            None
        );
    }
}
