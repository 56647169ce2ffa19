//! The webhook listener as an HTTP server, attacked with raw bytes over
//! TCP on 127.0.0.1 (issue 12 #5-#7): requests kept alive on one
//! connection; 256 clients trickling their heads in a byte a second do not
//! lock anyone else out and are cut off after the short head timeout; lax
//! framing (two lengths, `+11`, `+b` chunks, a second coding,
//! too many headers or trailers) is refused and the listener serves the
//! next good request (a bare LF is read as a line end, and answered at
//! once); the connector's concurrency limit is 503 with
//! `Retry-After`, not a crash.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::triggers_support::*;

/// One push trigger at `/hooks/orders`; the head must arrive within 2 s.
fn host(label: &str, max_concurrency: usize) -> (HostDir, InProcess) {
    let h = HostDir::new(
        label,
        &format!(
            r#"{}
[webhook]
listen = "127.0.0.1:0"
max_body = "64KiB"
request_timeout = "2s"

[[trigger]]
name = "hook"
connection = "src"
operation = "webhook"
input = {{ name = "orders" }}
"#,
            SOURCE.replace(
                "[[connection]]",
                &format!(
                    "[connector.limits]\nmax_concurrency = {max_concurrency}\n\n[[connection]]"
                )
            )
        ),
    );
    let host = InProcess::start(&h.config);
    (h, host)
}

/// An answer read off a connection: status, headers (names in lower case), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Reads one response (its body by `content-length`); `None` when the
/// server closed or reset the connection first.
fn read_answer(stream: &mut TcpStream) -> Option<Answer> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) => return None,
            Ok(_) => buf.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                panic!("no answer within the read timeout; got {buf:?}")
            }
            Err(_) => return None,
        }
    }
    let head = String::from_utf8(buf).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some(Answer {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    })
}

/// A POST of `body` to `/hooks/orders` (kept alive unless `close`).
fn post(body: &str, close: bool) -> Vec<u8> {
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{connection}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends `raw`, returns the answer (or `None`: the connection was closed).
fn exchange(addr: SocketAddr, raw: &[u8]) -> Option<Answer> {
    let mut stream = connect(addr);
    stream.write_all(raw).ok()?;
    read_answer(&mut stream)
}

/// A good request on a new connection is still stored.
fn still_serves(addr: SocketAddr, id: &str) {
    let answer = exchange(addr, &post(&format!(r#"{{"id": "{id}"}}"#), true))
        .expect("an answer to a good request");
    assert_eq!(answer.status, 202, "{}", answer.body);
}

#[test]
fn requests_are_kept_alive_on_one_connection() {
    let (h, host) = host("webhooks-keepalive", 16);
    let mut stream = connect(host.webhook_addr());
    for i in 0..5 {
        stream
            .write_all(&post(&format!(r#"{{"id": "k{i}"}}"#), false))
            .unwrap();
        let answer = read_answer(&mut stream).expect("the connection stays open");
        assert_eq!(answer.status, 202, "{}", answer.body);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        // Stored before the answer.
        assert_eq!(h.event_ids("hook").len(), i + 1);
    }
    // A refusal does not close it either.
    stream.write_all(&post(r#"{"id": "#, false)).unwrap();
    assert_eq!(read_answer(&mut stream).unwrap().status, 400);
    stream.write_all(&post(r#"{"id": "k5"}"#, false)).unwrap();
    assert_eq!(read_answer(&mut stream).unwrap().status, 202);
    assert_eq!(h.event_ids("hook").len(), 6);
    // Idle for longer than the head timeout (2 s here): the listener closes it.
    let idle = Instant::now();
    let mut buf = [0u8; 64];
    assert_eq!(
        stream.read(&mut buf).unwrap_or(0),
        0,
        "an idle connection got data"
    );
    assert!(
        idle.elapsed() < Duration::from_secs(5),
        "{:?}",
        idle.elapsed()
    );
    drop(stream);
    assert!(host.shutdown().is_empty());
}

#[test]
fn clients_sending_a_byte_a_second_lock_nobody_out() {
    let (h, host) = host("webhooks-slow", 16);
    let addr = host.webhook_addr();
    let head = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX-Slow: aaaaaaaa";
    let mut slow: Vec<TcpStream> = (0..256).map(|_| connect(addr)).collect();
    let started = Instant::now();
    // Three rounds of one byte each, a second apart, while others post.
    let mut stored = 0;
    for round in 0..3 {
        for s in &mut slow {
            let _ = s.write_all(&head[round..=round]);
        }
        for i in 0..5 {
            still_serves(addr, &format!("r{round}-{i}"));
            stored += 1;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(h.event_ids("hook").len(), stored);
    // The head timeout (2 s here, at most 5 s) has cut every slow client off.
    let mut closed = 0;
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(_) => closed += 1, // EOF, or an answer and then EOF
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(_) => closed += 1,
        }
    }
    assert_eq!(
        closed,
        256,
        "slow heads still open after {:?}",
        started.elapsed()
    );
    drop(slow);
    still_serves(addr, "after");
    assert!(host.shutdown().is_empty());
}

/// Each case of lax framing: refused with 400 or a closed connection, and
/// nothing stored; then a good request on a new connection is served.
#[test]
fn lax_framing_is_refused_and_the_listener_serves_on() {
    let (h, host) = host("webhooks-framing", 16);
    let addr = host.webhook_addr();
    let cases: [(&str, &[u8]); 5] = [
        (
            "two different Content-Length values",
            b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nContent-Length: 12\r\n\r\n{\"id\":\"cl\"} ",
        ),
        (
            "a length with a sign",
            b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: +11\r\n\r\n{\"id\":\"pl\"}",
        ),
        (
            "a chunk size with a sign",
            b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+b\r\n{\"id\":\"ch\"}\r\n0\r\n\r\n",
        ),
        (
            "a chunk size that is not hex",
            b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{\"id\":\"zz\"}\r\n0\r\n\r\n",
        ),
        (
            "a non-chunked last coding",
            b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        ),
    ];
    for (i, (what, raw)) in cases.iter().enumerate() {
        let answer = exchange(addr, raw);
        if let Some(a) = &answer {
            assert_eq!(a.status, 400, "{what}: {}", a.body);
        }
        still_serves(addr, &format!("after-{i}"));
    }
    assert_eq!(
        h.events().len(),
        cases.len(),
        "a refused request stored something"
    );
    assert!(host.shutdown().is_empty());
}

#[test]
fn a_second_coding_is_refused_with_the_reason() {
    let (h, host) = host("webhooks-codings", 16);
    let addr = host.webhook_addr();
    let raw = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n{\"id\":\"gz\"}\r\n0\r\n\r\n";
    let a = exchange(addr, raw).expect("an answer");
    assert_eq!(a.status, 501, "{}", a.body);
    assert!(
        a.body.contains("\\\"gzip\\\" is not supported"),
        "{}",
        a.body
    );
    let raw = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\nb\r\n{\"id\":\"cc\"}\r\n0\r\n\r\n";
    let a = exchange(addr, raw).expect("an answer");
    assert_eq!(a.status, 400, "{}", a.body);
    still_serves(addr, "good");
    assert_eq!(h.event_ids("hook"), ["hook/good"]);
    assert!(host.shutdown().is_empty());
}

/// hyper reads a single LF as a line end, as RFC 9112 section 2.2 lets a
/// recipient do; what matters (issue 12 #6) is that such a request is
/// answered at once instead of waiting for the timeout.
#[test]
fn a_bare_lf_request_is_answered_at_once() {
    let (h, host) = host("webhooks-lf", 16);
    let addr = host.webhook_addr();
    let started = Instant::now();
    let raw = b"POST /hooks/orders HTTP/1.1\nHost: x\nContent-Length: 11\n\n{\"id\":\"lf\"}";
    let answer = exchange(addr, raw).expect("an answer");
    // Never a wait for the head timeout (2 s) or the read timeout.
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    still_serves(addr, "good");
    assert_eq!(h.event_ids("hook"), ["hook/lf", "hook/good"]);
    assert!(host.shutdown().is_empty());
}

/// A request with `n` extra header fields.
fn with_headers(n: usize) -> Vec<u8> {
    let mut raw = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n".to_vec();
    for i in 0..n {
        raw.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n{\"id\":\"h\"}");
    raw
}

/// A chunked request with `n` trailer fields.
fn with_trailers(n: usize) -> Vec<u8> {
    let mut raw = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n{\"id\":\"t\"}\r\n0\r\n".to_vec();
    for i in 0..n {
        raw.extend_from_slice(format!("X-T{i}: v\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    raw
}

#[test]
fn too_many_headers_or_trailers_get_431_with_the_real_limit() {
    let (h, host) = host("webhooks-headers", 16);
    let addr = host.webhook_addr();
    // Within the limit: served.
    assert_eq!(exchange(addr, &with_headers(100)).unwrap().status, 202);
    let a = exchange(addr, &with_headers(200)).expect("an answer");
    assert_eq!(a.status, 431, "{}", a.body);
    assert!(
        a.body.contains("202 header fields; at most 128"),
        "{}",
        a.body
    );
    // Far past it the parser answers by itself (or closes).
    if let Some(a) = exchange(addr, &with_headers(1000)) {
        assert_eq!(a.status, 431, "{}", a.body);
    }
    let a = exchange(addr, &with_trailers(200)).expect("an answer");
    assert_eq!(a.status, 431, "{}", a.body);
    assert!(a.body.contains("trailers"), "{}", a.body);
    // 20,000 trailer lines under a 64 KiB body limit: refused, not read on.
    if let Some(a) = exchange(addr, &with_trailers(20_000)) {
        assert!(
            a.status == 400 || a.status == 431,
            "{} {}",
            a.status,
            a.body
        );
    }
    let mut huge = b"POST /hooks/orders HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 70_000));
    huge.extend_from_slice(b"\r\nContent-Length: 10\r\n\r\n{\"id\":\"b\"}");
    let a = exchange(addr, &huge).expect("an answer");
    assert_eq!(a.status, 431, "{}", a.body);
    assert!(a.body.contains("at most 65536 are taken"), "{}", a.body);
    still_serves(addr, "good");
    assert_eq!(h.event_ids("hook"), ["hook/h", "hook/good"]);
    assert!(host.shutdown().is_empty());
}

#[test]
fn the_connectors_concurrency_limit_is_503_with_retry_after() {
    let (_h, host) = host("webhooks-busy", 1);
    let addr = host.webhook_addr();
    // Bodies of many items keep handle-event busy for a while.
    let items: Vec<String> = (0..1200)
        .map(|i| format!(r#"{{"id": "b{i}", "pad": "{}"}}"#, "x".repeat(16)))
        .collect();
    let body = format!("[{}]", items.join(","));
    let mut busy = None;
    let mut statuses = Vec::new();
    for _round in 0..20 {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let raw = post(&body, true);
                std::thread::spawn(move || exchange(addr, &raw))
            })
            .collect();
        for t in threads {
            let a = t.join().unwrap().expect("an answer");
            statuses.push(a.status);
            if a.status == 503 {
                busy = Some(a);
            }
        }
        if busy.is_some() {
            break;
        }
    }
    let busy = busy.unwrap_or_else(|| panic!("never 503 in {statuses:?}"));
    assert_eq!(busy.header("retry-after"), Some("1"), "{}", busy.body);
    assert!(busy.body.contains("concurrency"), "{}", busy.body);
    assert!(
        statuses.iter().all(|s| *s == 202 || *s == 503),
        "{statuses:?}"
    );
    assert!(host.shutdown().is_empty());
}
