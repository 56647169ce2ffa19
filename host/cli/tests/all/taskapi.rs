//! A real HTTP server on 127.0.0.1 for connectors to call: a small task
//! tracker API (what the `tasks` example wraps), plus endpoints that
//! redirect, stall, answer huge bodies or throttle, for the capability tests,
//! a public-holidays API (what the Python `calendar` example reads) and a few
//! text documents (what the JavaScript `text` example reads).
//! It speaks just enough HTTP/1.1 for these tests: one request per
//! connection, `Content-Length` bodies.
//!
//! For contract 0.2.0's additions the task API also deduplicates
//! `POST /tasks` by `Idempotency-Key` (a repeat answers the task made the
//! first time), and keeps webhook subscriptions: `POST /subscriptions`
//! (`{"url": ...}` -> 201 `{"id": "sub-N", "url": ...}`), `GET
//! /subscriptions`, `DELETE /subscriptions/ID` (204, or 404 when unknown).
//! When a task is created or updated it POSTs `{"id": "evt-N", "change":
//! "created" | "updated", "task": {...}}` to every subscribed URL (plain
//! `http://` only), from a thread of its own after answering, and records
//! each delivery's outcome in [`TaskApi::deliveries`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// A running server; stopped on drop.
pub struct TaskApi {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Every request line seen, e.g. `GET /tasks`.
    pub seen: Arc<Mutex<Vec<String>>>,
    /// Every event POSTed to a subscriber: (URL, event, the status it
    /// answered or the error), in the order they finished.
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
    store: Arc<Mutex<Store>>,
}

/// One event sent to a subscribed callback URL.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where it was sent.
    pub url: String,
    /// The event.
    pub event: Value,
    /// The status the callback answered, or why there was none.
    pub outcome: Result<u16, String>,
}

struct Store {
    token: String,
    tasks: Vec<Value>,
    /// `Idempotency-Key` -> the task made for it.
    made_for_key: HashMap<String, Value>,
    /// (id, callback URL), in subscription order.
    subscriptions: Vec<(String, String)>,
    /// Subscriptions made so far, for their ids.
    subscribed: u64,
    /// Events sent so far, for their ids.
    events: u64,
}

impl TaskApi {
    /// Starts a server that accepts `Authorization: Bearer <token>`.
    pub fn start(token: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::new(Mutex::new(Store {
            token: token.to_string(),
            tasks: Vec::new(),
            made_for_key: HashMap::new(),
            subscriptions: Vec::new(),
            subscribed: 0,
            events: 0,
        }));
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let (flag, log, sent, shared) = (
            stop.clone(),
            seen.clone(),
            deliveries.clone(),
            store.clone(),
        );
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (store, log, sent) = (shared.clone(), log.clone(), sent.clone());
                // A thread per connection, so a stalled response does not
                // hold up the others.
                std::thread::spawn(move || {
                    let mut outbox = Outbox::new();
                    let _ = serve(stream, &store, &log, &mut outbox);
                    deliver(outbox, &sent);
                });
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
            seen,
            deliveries,
            store,
        }
    }

    /// The callback URLs subscribed now, in subscription order.
    pub fn subscribers(&self) -> Vec<String> {
        let store = self.store.lock().unwrap();
        store
            .subscriptions
            .iter()
            .map(|(_, url)| url.clone())
            .collect()
    }

    /// Waits up to `timeout` for at least `n` deliveries; returns them all.
    pub fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let now = self.deliveries.lock().unwrap().clone();
            if now.len() >= n || std::time::Instant::now() >= deadline {
                return now;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for TaskApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Events to send once a request is answered: (callback URL, event).
type Outbox = Vec<(String, Value)>;

/// A chunked body (at most 1 MiB), and its trailers, read to the end.
fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("the body ended inside a chunk size"));
        }
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("a bad chunk size"))?;
        if size == 0 {
            break;
        }
        if body.len() + size > 1 << 20 {
            return Err(bad("a body over 1 MiB"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        reader.read_line(&mut crlf)?;
    }
    loop {
        let mut trailer = String::new();
        if reader.read_line(&mut trailer)? == 0 || trailer == "\r\n" || trailer == "\n" {
            return Ok(body);
        }
    }
}

/// Serves one request; the events it causes go into `outbox`.
fn serve(
    stream: TcpStream,
    store: &Mutex<Store>,
    log: &Mutex<Vec<String>>,
    outbox: &mut Outbox,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("/").to_string(),
    );
    log.lock().unwrap().push(format!("{method} {target}"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked {
        // A client that streams its body (wasi:http does, for a body of unknown size)
        // sends it chunked; it is read to its end, so that closing the connection after
        // the answer does not reset it before the client has read the answer.
        read_chunked(&mut reader)?
    } else {
        let mut body = vec![0; length.min(1 << 20)];
        reader.read_exact(&mut body)?;
        body
    };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let mut out = stream;
    let respond_as = |out: &mut TcpStream,
                      status: u16,
                      content_type: &str,
                      extra: &str,
                      body: &[u8]|
     -> std::io::Result<()> {
        write!(
            out,
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        )?;
        out.write_all(body)?;
        out.flush()
    };
    let respond = |out: &mut TcpStream, status: u16, extra: &str, body: &[u8]| {
        respond_as(out, status, "application/json", extra, body)
    };
    let json = |v: Value| v.to_string().into_bytes();

    // Endpoints for the capability tests and the `new --http` projects: no
    // authentication. `/` answers who it is to a GET and echoes a POST's JSON.
    match path {
        "/" if method == "GET" => {
            return respond(&mut out, 200, "", &json(json!({"service": "tasks"})));
        }
        "/" if method == "POST" => {
            let echoed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return respond(&mut out, 200, "", &json(json!({"received": echoed})));
        }
        "/redirect" => {
            let to = param("to").unwrap_or_default();
            return respond(&mut out, 302, &format!("location: {to}\r\n"), b"{}");
        }
        "/slow" => {
            let ms: u64 = param("ms").and_then(|v| v.parse().ok()).unwrap_or(60_000);
            std::thread::sleep(Duration::from_millis(ms));
            return respond(&mut out, 200, "", b"{}");
        }
        "/big" => {
            let n: usize = param("bytes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1 << 20);
            return respond(&mut out, 200, "", &vec![b' '; n]);
        }
        "/throttle" => {
            return respond(
                &mut out,
                429,
                "retry-after: 7\r\n",
                &json(json!({"error": "slow down"})),
            );
        }
        _ => {}
    }
    // The public-holidays API (Nager.Date's shape), no authentication.
    if let Some(rest) = path.strip_prefix("/api/v3/PublicHolidays/") {
        return match rest
            .split_once('/')
            .and_then(|(y, c)| Some((y.parse().ok()?, c)))
        {
            Some((year, country)) => match public_holidays(year, country) {
                Some(list) => respond(&mut out, 200, "", &json(list)),
                None => respond(&mut out, 404, "", b""),
            },
            None => respond(&mut out, 400, "", &json(json!({"error": "bad request"}))),
        };
    }
    // Text documents, no authentication.
    if let Some(name) = path.strip_prefix("/texts/") {
        return match text_document(name) {
            Some((content_type, body)) => {
                respond_as(&mut out, 200, content_type, "", body.as_bytes())
            }
            None => respond_as(&mut out, 404, "text/plain", "", b"not found"),
        };
    }

    let mut store = store.lock().unwrap();
    if header("authorization") != Some(format!("Bearer {}", store.token)) {
        return respond(&mut out, 401, "", &json(json!({"error": "bad token"})));
    }
    let id_in_path = path
        .strip_prefix("/tasks/")
        .and_then(|id| id.parse::<u64>().ok());
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (method.as_str(), path, id_in_path) {
        ("GET", "/tasks", _) => {
            let after: u64 = param("created_after")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let limit: usize = param("limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX);
            let status = param("status");
            let list: Vec<Value> = store
                .tasks
                .iter()
                .filter(|t| t["id"].as_u64().unwrap() > after)
                .filter(|t| status.as_deref().is_none_or(|s| t["status"] == s))
                .take(limit)
                .cloned()
                .collect();
            respond(&mut out, 200, "", &json(Value::Array(list)))
        }
        ("POST", "/tasks", _) => {
            let key = header("idempotency-key");
            if let Some(task) = key.as_ref().and_then(|k| store.made_for_key.get(k)) {
                return respond(&mut out, 201, "", &json(task.clone()));
            }
            let Some(title) = input.get("title").and_then(Value::as_str) else {
                return respond(
                    &mut out,
                    422,
                    "",
                    &json(json!({"error": "title is required"})),
                );
            };
            let task = json!({
                "id": store.tasks.len() as u64 + 1,
                "title": title,
                "description": input.get("description").and_then(Value::as_str).unwrap_or(""),
                "status": "open",
                "created": 1_700_000_000u64 + store.tasks.len() as u64,
            });
            store.tasks.push(task.clone());
            if let Some(key) = key {
                store.made_for_key.insert(key, task.clone());
            }
            outbox.extend(store.events_for("created", &task));
            respond(&mut out, 201, "", &json(task))
        }
        ("GET", _, Some(id)) => match store.tasks.iter().find(|t| t["id"] == id) {
            Some(t) => respond(&mut out, 200, "", &json(t.clone())),
            None => respond(
                &mut out,
                404,
                "",
                &json(json!({"error": format!("no task {id}")})),
            ),
        },
        ("PATCH", _, Some(id)) => match store.tasks.iter_mut().find(|t| t["id"] == id) {
            Some(t) => {
                for key in ["title", "description", "status"] {
                    if let Some(v) = input.get(key) {
                        t[key] = v.clone();
                    }
                }
                let t = t.clone();
                outbox.extend(store.events_for("updated", &t));
                respond(&mut out, 200, "", &json(t))
            }
            None => respond(
                &mut out,
                404,
                "",
                &json(json!({"error": format!("no task {id}")})),
            ),
        },
        ("POST", "/subscriptions", _) => {
            let Some(url) = input.get("url").and_then(Value::as_str) else {
                return respond(
                    &mut out,
                    422,
                    "",
                    &json(json!({"error": "url is required"})),
                );
            };
            store.subscribed += 1;
            let id = format!("sub-{}", store.subscribed);
            store.subscriptions.push((id.clone(), url.to_string()));
            respond(&mut out, 201, "", &json(json!({"id": id, "url": url})))
        }
        ("GET", "/subscriptions", _) => {
            let list: Vec<Value> = store
                .subscriptions
                .iter()
                .map(|(id, url)| json!({"id": id, "url": url}))
                .collect();
            respond(&mut out, 200, "", &json(Value::Array(list)))
        }
        ("DELETE", _, _) if path.starts_with("/subscriptions/") => {
            let id = &path["/subscriptions/".len()..];
            let before = store.subscriptions.len();
            store.subscriptions.retain(|(sub, _)| sub != id);
            if store.subscriptions.len() == before {
                return respond(
                    &mut out,
                    404,
                    "",
                    &json(json!({"error": format!("no subscription {id}")})),
                );
            }
            respond(&mut out, 204, "", b"")
        }
        _ => respond(&mut out, 404, "", &json(json!({"error": "no such route"}))),
    }
}

impl Store {
    /// One event per subscriber for a change to `task`.
    fn events_for(&mut self, change: &str, task: &Value) -> Outbox {
        let mut outbox = Outbox::new();
        for (_, url) in &self.subscriptions {
            self.events += 1;
            let event =
                json!({"id": format!("evt-{}", self.events), "change": change, "task": task});
            outbox.push((url.clone(), event));
        }
        outbox
    }
}

/// POSTs each event to its callback URL and records what came back. Each
/// attempt is bounded: 2 s to connect, 10 s to answer.
fn deliver(outbox: Outbox, deliveries: &Mutex<Vec<Delivery>>) {
    for (url, event) in outbox {
        let outcome = post_json(&url, &event);
        deliveries.lock().unwrap().push(Delivery {
            url,
            event,
            outcome,
        });
    }
}

/// A minimal HTTP/1.1 POST of JSON to an `http://host:port/path` URL.
fn post_json(url: &str, body: &Value) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http:// URL: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|e| format!("the callback {authority} is not an address: {e}"))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let body = body.to_string();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .map_err(|e| format!("read the answer: {e}"))?;
    line.split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {line:?}"))
}

/// The public holidays of `country` in `year`, as Nager.Date's
/// `GET /api/v3/PublicHolidays/{year}/{country}` answers: a few fixed-date
/// German holidays (one of them regional) for any year; `None` (404) for
/// any other country.
fn public_holidays(year: u32, country: &str) -> Option<Value> {
    if country != "DE" {
        return None;
    }
    let holiday = |date: &str, local: &str, name: &str, global: bool| {
        json!({
            "date": format!("{year}-{date}"),
            "localName": local,
            "name": name,
            "countryCode": "DE",
            "fixed": true,
            "global": global,
            "counties": if global { Value::Null } else { json!(["DE-BW", "DE-BY", "DE-ST"]) },
            "launchYear": null,
            "types": ["Public"],
        })
    };
    Some(json!([
        holiday("01-01", "Neujahr", "New Year's Day", true),
        holiday("01-06", "Heilige Drei Könige", "Epiphany", false),
        holiday("05-01", "Tag der Arbeit", "Labour Day", true),
        holiday(
            "10-03",
            "Tag der Deutschen Einheit",
            "German Unity Day",
            true
        ),
        holiday("12-25", "Erster Weihnachtstag", "Christmas Day", true),
        holiday("12-26", "Zweiter Weihnachtstag", "St. Stephen's Day", true),
    ]))
}

/// The documents under `/texts/`: (content type, body).
fn text_document(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "fox.txt" => (
            "text/plain; charset=utf-8",
            "The quick brown fox jumps over the lazy dog. The dog sleeps!\nFoxes are quick.\n",
        ),
        "page.html" => (
            "text/html; charset=utf-8",
            "<!doctype html><html><head><title>Foxes</title><style>p { color: red }</style>\
             </head><body><h1>Fox &amp; dog</h1><p>The quick fox.<br>A lazy dog &#x263A;.</p>\
             <script>var x = \"<p>hidden</p>\";</script></body></html>",
        ),
        "logo.png" => ("image/png", "\u{89}PNG not really"),
        _ => return None,
    })
}
