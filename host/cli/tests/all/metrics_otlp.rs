//! Traces end to end: an OTLP/HTTP receiver on 127.0.0.1 (a small HTTP
//! server accepting `POST /v1/traces`, decoded with `opentelemetry-proto`)
//! and a real `connector-host run --once` whose `[telemetry]` points at it.
//! The spans it receives must tell the poll of the files example: a
//! `trigger.poll` span, its child `connector.call` with the connector,
//! operation, attempt, outcome, fuel and memory, the guest's `log` record
//! as an event of that call, and the `trigger.deliver` span, in one trace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

use crate::support::*;
use crate::triggers_support::*;

/// Accepts OTLP/HTTP exports on 127.0.0.1 and sends each request's spans
/// (and its path) to the returned channel. At most `max` requests.
fn receiver(max: usize) -> (String, mpsc::Receiver<(String, Vec<Span>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let request =
                ExportTraceServiceRequest::decode(body.as_slice()).expect("an OTLP protobuf body");
            let spans = request
                .resource_spans
                .into_iter()
                .flat_map(|r| r.scope_spans)
                .flat_map(|s| s.spans)
                .collect();
            let path = request_line.split(' ').nth(1).unwrap_or("").to_string();
            // An empty ExportTraceServiceResponse.
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            if tx.send((path, spans)).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v: &AnyValue| v.value.as_ref())
}

fn text<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attrs, key) {
        Some(any_value::Value::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn int(attrs: &[KeyValue], key: &str) -> Option<i64> {
    match attr(attrs, key) {
        Some(any_value::Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

#[test]
fn a_poll_is_traced_to_an_otlp_collector() {
    let (url, spans) = receiver(20);
    let h = HostDir::new(
        "metrics-otlp",
        &format!(
            r#"
[telemetry]
otlp_endpoint = "{url}"

[[connector]]
name = "files"
component = "@FILES@"
dirs = ["./scratch::/data"]

[[connection]]
name = "local"
connector = "files"

[[trigger]]
name = "new-files"
connection = "local"
operation = "file-added-or-changed"
input = {{ path = "." }}
"#
        ),
    );
    std::fs::write(h.dir.join("scratch/a.txt"), "alpha").unwrap();
    std::fs::write(h.dir.join("scratch/b.txt"), "beta").unwrap();
    let r = cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains(&format!("sending traces to {url}/v1/traces")),
        "{r:?}"
    );

    // `run --once` flushes before it exits: everything has arrived.
    let mut all = Vec::new();
    while let Ok((path, batch)) = spans.recv_timeout(Duration::from_secs(2)) {
        assert_eq!(path, "/v1/traces");
        all.extend(batch);
    }
    let named = |name: &str| -> Vec<&Span> { all.iter().filter(|s| s.name == name).collect() };
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    let poll = *named("trigger.poll")
        .first()
        .unwrap_or_else(|| panic!("no poll span in {names:?}"));
    assert_eq!(text(&poll.attributes, "trigger"), Some("new-files"));
    let call = *named("connector.call")
        .first()
        .unwrap_or_else(|| panic!("no call span in {names:?}"));
    assert_eq!(call.trace_id, poll.trace_id, "one trace");
    assert_eq!(
        call.parent_span_id, poll.span_id,
        "the call is a child of the poll"
    );
    let a = &call.attributes;
    assert_eq!(text(a, "connector"), Some("files"));
    assert_eq!(text(a, "operation"), Some("file-added-or-changed"));
    assert_eq!(text(a, "function"), Some("poll"));
    assert_eq!(text(a, "outcome"), Some("ok"));
    assert_eq!(int(a, "attempt"), Some(1), "{a:?}");
    assert!(int(a, "fuel").is_some_and(|f| f > 0), "{a:?}");
    assert!(int(a, "memory").is_some_and(|m| m >= 65_536), "{a:?}");
    // The guest's log record, as an event of its call's span.
    assert!(
        call.events.iter().any(|e| e.name == "polled a folder"
            && text(&e.attributes, "fields").is_some_and(|f| f.contains("files=\"2\""))),
        "{:?}",
        call.events
    );
    let deliver = *named("trigger.deliver")
        .first()
        .unwrap_or_else(|| panic!("no delivery span in {names:?}"));
    assert_eq!(deliver.trace_id, poll.trace_id);
    assert_eq!(deliver.parent_span_id, poll.span_id);
    assert_eq!(int(&deliver.attributes, "events"), Some(2));
}

#[test]
fn an_endpoint_that_is_not_http_is_refused() {
    let h = HostDir::new(
        "metrics-otlp-bad",
        r#"
[telemetry]
otlp_endpoint = "grpc://127.0.0.1:4317"

[[connector]]
name = "source"
component = "@SOURCE@"
"#,
    );
    let r = cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("otlp_endpoint"), "{r:?}");
}
