//! Containment of a connector written to break it (issue 11): waits that
//! never end are cut at the call's deadline, floods of host resources end in
//! a typed limit, secrets in escaped or encoded spellings do not get out,
//! failures inside WASI calls are typed, and symlinks out of a granted
//! directory are refused. Servers here are real, on 127.0.0.1, and stall on
//! purpose; after each behaviour the same connector answers `ok`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_host::capabilities::Grants;
use connector_host::state::{LogRecord, LogSink};
use connector_host::{
    CallError, Connection, Connector, ConnectorOptions, LimitKind, Limits, Runtime, RuntimeOptions,
    TrapKind,
};
use serde_json::{Value, json};

use crate::support::*;

const TOKEN: &str = "tok-9f8e7d6c5b4a3210";

/// A TCP server on 127.0.0.1 that accepts connections and, when `answer`
/// is given, writes it once; it never closes them. It keeps every accepted
/// stream, so a test can count them and see when the host closed them.
struct Stall {
    addr: SocketAddr,
    accepted: Arc<Mutex<Vec<TcpStream>>>,
}

impl Stall {
    fn start(answer: Option<&'static [u8]>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let kept = accepted.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                if let Some(answer) = answer {
                    // Read the request head first, as a server would.
                    let mut buf = [0u8; 4096];
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                    let _ = stream.read(&mut buf);
                    let _ = stream.write_all(answer);
                }
                kept.lock().unwrap().push(stream);
            }
        });
        Self { addr, accepted }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn hostile(grants: Grants, limits: Limits) -> Connector {
    runtime()
        .load(
            &guest("test_hostile"),
            ConnectorOptions {
                limits,
                grants,
                reuse: None,
            },
        )
        .expect("hostile guest loads")
}

fn short() -> Limits {
    Limits {
        timeout: Duration::from_secs(1),
        ..Limits::default()
    }
}

fn token() -> Connection {
    let mut c = Connection::new();
    c.set("token", TOKEN);
    c
}

/// Calls `op`, checks that it ended in `limit` well before a hang would
/// have, and that the connector serves on.
fn assert_limit(c: &Connector, op: &str, input: Value, limit: LimitKind) {
    let start = Instant::now();
    let err = c.invoke(op, &Connection::new(), &input).unwrap_err();
    assert!(
        matches!(&err, CallError::Limit { limit: l, .. } if *l == limit),
        "{op}: expected the {limit} limit, got {err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{op} took {:?}",
        start.elapsed()
    );
    assert_eq!(
        c.invoke("ok", &Connection::new(), &json!({}))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn a_raw_socket_read_from_a_silent_peer_ends_at_the_deadline() {
    let peer = Stall::start(None);
    let grants = Grants {
        tcp: vec![peer.addr.to_string().parse().unwrap()],
        ..Grants::default()
    };
    let c = hostile(grants, short());
    assert_limit(
        &c,
        "tcp-read",
        json!({"addr": peer.addr.to_string()}),
        LimitKind::Time,
    );
}

#[test]
fn an_unfinished_request_body_ends_at_the_deadline() {
    let server = Stall::start(None);
    let grants = Grants {
        http: vec![server.origin().parse().unwrap()],
        ..Grants::default()
    };
    let c = hostile(grants, short());
    let url = format!("{}/upload", server.origin());
    let start = Instant::now();
    // Either the wait is cut (time limit) or the request's own timeout,
    // bounded by the same deadline, answers the guest with an error first.
    match c.invoke(
        "http-unfinished-body",
        &Connection::new(),
        &json!({"url": url}),
    ) {
        Err(CallError::Limit {
            limit: LimitKind::Time,
            ..
        }) => {}
        Ok(r) => assert!(r.body.to_value().unwrap()["answered"].is_u64()),
        Err(other) => panic!("expected the time limit, got {other}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        c.invoke("ok", &Connection::new(), &json!({}))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn a_response_body_the_server_stalls_on_ends_at_the_deadline() {
    let server = Stall::start(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nonly ten b",
    ));
    let grants = Grants {
        http: vec![server.origin().parse().unwrap()],
        ..Grants::default()
    };
    let c = hostile(grants, short());
    let start = Instant::now();
    let url = format!("{}/slow", server.origin());
    let err = c
        .invoke("http-get", &Connection::new(), &json!({"url": url}))
        .unwrap_err();
    // Either the body read fails at the deadline (the guest reports it) or
    // the wait itself is cut: both within the call's time.
    assert!(
        matches!(
            &err,
            CallError::Limit {
                limit: LimitKind::Time,
                ..
            } | CallError::Connector { .. }
        ),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn outbound_requests_in_flight_are_bounded_and_closed_with_the_call() {
    let server = Stall::start(None);
    let grants = Grants {
        http: vec![server.origin().parse().unwrap()],
        ..Grants::default()
    };
    let c = hostile(grants, short());
    let url = format!("{}/hang", server.origin());
    assert_limit(
        &c,
        "http-flood",
        json!({"url": url, "count": 300}),
        LimitKind::Time,
    );
    let held = server.accepted.lock().unwrap().len();
    assert!(
        held <= connector_host::capabilities::http::MAX_REQUESTS_IN_FLIGHT,
        "{held} connections"
    );
    // Every connection the call opened is closed once it is over.
    let start = Instant::now();
    for stream in server.accepted.lock().unwrap().iter_mut() {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => panic!("a connection stayed open after the call: {e}"),
            }
        }
    }
    assert!(start.elapsed() < Duration::from_secs(6));
}

#[test]
fn floods_of_host_resources_end_in_the_host_resource_limit() {
    let c = hostile(Grants::default(), Limits::default());
    assert_limit(
        &c,
        "pollable-flood",
        json!({"count": 100_000}),
        LimitKind::HostResources,
    );
    assert_limit(
        &c,
        "header-flood",
        json!({"count": 12_000, "bytes": 32 << 10}),
        LimitKind::HostResources,
    );
    // One header set larger than the host keeps ends the call too.
    assert_limit(
        &c,
        "header-flood",
        json!({"count": 1, "bytes": 120 << 10}),
        LimitKind::HostResources,
    );
}

#[test]
fn failures_inside_wasi_calls_are_typed() {
    let c = hostile(Grants::default(), Limits::default());
    for op in ["log-bad-pointer", "log-bad-utf8", "random-flood", "exit"] {
        let err = c.invoke(op, &Connection::new(), &json!({})).unwrap_err();
        assert!(
            matches!(&err, CallError::Trap { .. } | CallError::Limit { .. }),
            "{op}: expected a trap or a limit, got {err}"
        );
        assert_eq!(
            c.invoke("ok", &Connection::new(), &json!({}))
                .unwrap()
                .status,
            200
        );
    }
    let err = c
        .invoke("exit", &Connection::new(), &json!({}))
        .unwrap_err();
    assert!(
        matches!(&err, CallError::Trap { kind: TrapKind::Other(m), .. } if m.contains("exited")),
        "{err}"
    );
}

#[test]
fn a_symlink_out_of_a_granted_directory_is_refused() {
    let root = scratch("symlink-grant");
    let grants = Grants {
        dirs: vec![format!("{}::/data", root.display()).parse().unwrap()],
        ..Grants::default()
    };
    let c = hostile(grants, Limits::default());
    for target in ["../../../../etc/passwd", "..", "/etc/passwd", "a/../../b"] {
        let err = c
            .invoke(
                "symlink",
                &Connection::new(),
                &json!({"link": "link", "target": target}),
            )
            .unwrap_err();
        assert!(
            matches!(&err, CallError::Connector { error, .. } if error.message.contains("not-permitted")),
            "{target}: {err}"
        );
        assert!(
            std::fs::symlink_metadata(root.join("link")).is_err(),
            "{target} was created"
        );
    }
    let ok = c
        .invoke(
            "symlink",
            &Connection::new(),
            &json!({"link": "inside", "target": "file.txt"}),
        )
        .unwrap();
    assert_eq!(ok.body.to_value().unwrap(), json!({"linked": true}));
    assert_eq!(
        std::fs::read_link(root.join("inside")).unwrap(),
        std::path::Path::new("file.txt")
    );
}

/// Collects log records for the checks below.
#[derive(Default)]
struct Collect(Mutex<Vec<LogRecord>>);

impl LogSink for Collect {
    fn record(&self, _: &str, _: &str, record: &LogRecord) {
        self.0.lock().unwrap().push(record.clone());
    }
}

fn collected() -> (Connector, Arc<Collect>) {
    let sink = Arc::new(Collect::default());
    let rt = Runtime::new(RuntimeOptions {
        cache_dir: Some(shared_cache_dir()),
        log_sink: sink.clone(),
        ..RuntimeOptions::default()
    })
    .unwrap();
    let c = rt
        .load(&guest("test_hostile"), ConnectorOptions::default())
        .unwrap();
    (c, sink)
}

fn all_text(records: &[LogRecord]) -> String {
    records
        .iter()
        .map(|r| {
            let fields: Vec<String> = r.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}\n", r.message, fields.join(" "))
        })
        .collect()
}

#[test]
fn log_fields_are_bounded_and_guest_text_is_escaped() {
    let (c, sink) = collected();
    c.invoke(
        "log-fields",
        &Connection::new(),
        &json!({"records": 1000, "fields": 40, "bytes": 8192, "char": "\u{1}"}),
    )
    .unwrap();
    let bytes: usize = sink
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            r.message.len()
                + r.fields
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        })
        .sum();
    assert!(
        bytes <= connector_host::state::MAX_LOG_BYTES + 8192,
        "{bytes} bytes of log kept"
    );
    sink.0.lock().unwrap().clear();
    c.invoke("log-lines", &Connection::new(), &json!({}))
        .unwrap();
    let records = sink.0.lock().unwrap();
    assert!(
        !records[0].message.contains('\n') && !records[0].message.contains('\x1b'),
        "{:?}",
        records[0].message
    );
}

#[test]
fn secrets_in_encoded_spellings_do_not_get_out() {
    let (c, sink) = collected();
    for how in ["base64-log", "split-log", "cut-log"] {
        c.invoke("leak-encoded", &token(), &json!({"how": how}))
            .unwrap();
    }
    let text = all_text(&sink.0.lock().unwrap());
    assert!(
        !text.contains(&TOKEN[..8]) && !text.contains(&TOKEN[TOKEN.len() - 8..]),
        "{text}"
    );
    assert!(
        !text.contains("dG9rLTlmOGU3ZDZj") && !text.contains("OWY4ZTdkNmM1YjRh"),
        "{text}"
    );
    // In a body as JSON escapes: refused whole.
    let err = c
        .invoke("leak-encoded", &token(), &json!({"how": "escaped-body"}))
        .unwrap_err();
    assert!(matches!(err, CallError::BadOutput { .. }), "{err}");
    // In an error cut at its size limit: no prefix remains.
    let err = c
        .invoke("leak-encoded", &token(), &json!({"how": "cut-error"}))
        .unwrap_err();
    assert!(!err.to_string().contains(&TOKEN[..8]), "{err}");
    // In an item and a trigger state spelled with escapes: refused.
    let err = c
        .poll("ticks", &token(), &json!({"leak_escaped": true}), None)
        .unwrap_err();
    assert!(matches!(err, CallError::BadOutput { .. }), "{err}");
    // In the host name of a refused request: not in the error.
    let err = c
        .invoke("leak-encoded", &token(), &json!({"how": "url-host"}))
        .unwrap_err();
    assert!(!err.to_string().contains(TOKEN), "{err}");
}
