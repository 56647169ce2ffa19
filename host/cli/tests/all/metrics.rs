//! Metrics end to end: a real `connector-host run` (the test-source
//! connector, its `[metrics] listen` on 127.0.0.1) and a real `serve` are
//! scraped over HTTP at `/metrics`, and the counters are checked against
//! what the test made them do: so many polls, items, deliveries, calls by
//! outcome and error kind, fuel and memory above zero, no secret anywhere
//! in the scrape.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use crate::server_support::{SECRET, ServerProc, hostile_connection};
use crate::triggers_support::*;

/// One sample of a scrape: the metric name and its labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the OpenMetrics/Prometheus text format (the subset the host
/// writes: `name{k="v",...} value`, `#` comments).
pub fn parse_scrape(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("bad labels {line:?}"));
                let mut labels = BTreeMap::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").unwrap();
                    let mut value = String::new();
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => value.push(chars.next().unwrap().1),
                            Some((i, '"')) => break i,
                            Some((_, c)) => value.push(c),
                            None => panic!("unterminated label in {line:?}"),
                        }
                    };
                    labels.insert(key.to_string(), value);
                    rest = after[end + 1..].trim_start_matches(',');
                }
                (name.to_string(), labels)
            }
        };
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    samples
}

/// The sum of the samples named `name` whose labels include `want`.
pub fn value(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            want.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

/// `GET /metrics` from `addr`: status, content type, body.
fn scrape(addr: SocketAddr) -> (u16, String) {
    http_request(addr, "GET", "/metrics", b"")
}

/// Where `run` said it serves `/metrics`.
pub fn metrics_addr(h: &HostDir) -> SocketAddr {
    let mut found = None;
    wait_until(
        Duration::from_secs(180),
        "the metrics address in the log",
        || {
            found = h
                .log()
                .lines()
                .find_map(|l| l.split("metrics on http://").nth(1))
                .and_then(|rest| rest.trim().strip_suffix("/metrics"))
                .and_then(|a| a.parse().ok());
            found.is_some()
        },
    );
    found.unwrap()
}

#[test]
fn run_serves_metrics_that_count_what_the_triggers_did() {
    let secret = "tok-metrics-9c1e-never-in-a-label";
    let h = HostDir::new(
        "metrics-run",
        r#"
[host]
backoff_initial = "1h"
backoff_max = "1h"

[metrics]
listen = "127.0.0.1:0"

[[connector]]
name = "source"
component = "@SOURCE@"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"
secrets = { token = { file = "token.txt" } }

# 3 polls of 2 items each, then nothing for an hour.
[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = { batch = 2, total = 6 }
recurrence = "1h"

# Its first poll panics; the back-off is an hour.
[[trigger]]
name = "traps"
connection = "src"
operation = "sequence"
input = { batch = 1, total = 5, counter = "/scratch/traps", trap_every = 1 }
recurrence = "1h"

# It copies the secret into its state: the host refuses the output.
[[trigger]]
name = "leaky"
connection = "src"
operation = "sequence"
input = { batch = 1, total = 5, echo_token = true }
recurrence = "1h"
"#,
    );
    std::fs::write(h.dir.join("token.txt"), format!("{secret}\n")).unwrap();
    let mut child = h.spawn_run(&[]);
    let addr = metrics_addr(&h);
    let poll = |trigger: &str, outcome: &str, s: &[Sample]| {
        value(
            s,
            "connector_host_trigger_polls_total",
            &[
                ("trigger", trigger),
                ("connector", "source"),
                ("outcome", outcome),
            ],
        )
    };
    let mut samples = Vec::new();
    wait_until(
        Duration::from_secs(60),
        "3 polls of seq and the failures",
        || {
            let (status, body) = scrape(addr);
            assert_eq!(status, 200, "{body}");
            samples = parse_scrape(&body);
            poll("seq", "ok", &samples) == 3.0
                && poll("traps", "failed", &samples) == 1.0
                && poll("leaky", "failed", &samples) == 1.0
        },
    );
    let (_, body) = scrape(addr);
    let s = parse_scrape(&body);
    assert!(!body.contains(secret), "the secret reached the scrape");
    assert!(!body.contains("item-"), "an item id became a label");
    assert_eq!(h.event_ids("seq"), items("seq", 0..6));
    assert_eq!(h.counter("traps"), 1, "one poll reached the trapping guest");

    let calls = |outcome: &str, kind: &str| {
        value(
            &s,
            "connector_host_calls_total",
            &[
                ("connector", "source"),
                ("operation", "sequence"),
                ("function", "poll"),
                ("outcome", outcome),
                ("kind", kind),
            ],
        )
    };
    assert_eq!(calls("ok", ""), 3.0, "{body}");
    assert_eq!(calls("trap", "panic"), 1.0, "{body}");
    assert_eq!(calls("refused", "bad-output"), 1.0, "{body}");
    let trig = |name: &str, trigger: &str| value(&s, name, &[("trigger", trigger)]);
    assert_eq!(trig("connector_host_trigger_items_total", "seq"), 6.0);
    assert_eq!(
        trig("connector_host_trigger_events_delivered_total", "seq"),
        6.0
    );
    assert_eq!(trig("connector_host_trigger_lag_seconds_count", "seq"), 3.0);
    assert_eq!(trig("connector_host_trigger_sink_errors_total", "seq"), 0.0);
    assert_eq!(
        trig("connector_host_trigger_events_delivered_total", "leaky"),
        0.0
    );
    // Five polls ran an instance: fuel and memory were measured for each.
    let per_call = [("connector", "source"), ("operation", "sequence")];
    assert_eq!(value(&s, "connector_host_call_fuel_count", &per_call), 5.0);
    assert!(
        value(&s, "connector_host_call_fuel_sum", &per_call) > 0.0,
        "{body}"
    );
    assert_eq!(
        value(&s, "connector_host_call_memory_bytes_count", &per_call),
        5.0
    );
    assert!(
        value(&s, "connector_host_call_memory_bytes_sum", &per_call) >= 65_536.0,
        "at least one wasm page: {body}"
    );
    assert_eq!(
        value(&s, "connector_host_call_duration_seconds_count", &per_call),
        5.0
    );
    assert_eq!(
        value(
            &s,
            "connector_host_instances_live",
            &[("connector", "source")]
        ),
        0.0
    );
    assert!(
        value(
            &s,
            "connector_host_component_loads_total",
            &[("connector", "source")]
        ) >= 1.0,
        "{body}"
    );

    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(20)),
        0,
        "{}",
        h.log()
    );
}

#[test]
fn a_metrics_table_that_is_wrong_is_refused_with_its_name() {
    let h = HostDir::new(
        "metrics-bad",
        r#"
[metrics]
listen = "everywhere"

[[connector]]
name = "source"
component = "@SOURCE@"
"#,
    );
    let r = crate::support::cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("[metrics]"), "{r:?}");
    assert!(r.stderr.contains("listen"), "{r:?}");
}

#[test]
fn serve_has_metrics_and_try_it_reports_fuel_and_memory() {
    let server = ServerProc::start("metrics-serve");
    hostile_connection(&server);
    let invoke = |connector: &str, op: &str, body: serde_json::Value| {
        let r = server.post(
            &format!("/api/connectors/{connector}/operations/{op}/invoke"),
            &body,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    for text in ["a", "b", "c", "d"] {
        let ok = invoke(
            "data",
            "hash",
            json!({"input": {"text": text, "algorithm": "sha256"}}),
        );
        assert_eq!(ok["ok"], true, "{ok}");
        assert!(ok["metering"]["fuelUsed"].as_u64().unwrap() > 0, "{ok}");
        assert!(
            ok["metering"]["memoryUsed"].as_u64().unwrap() >= 65_536,
            "{ok}"
        );
    }
    for _ in 0..2 {
        let e = invoke(
            "data",
            "base64",
            json!({"input": {"text": "%%%", "direction": "decode"}}),
        );
        assert_eq!(e["error"]["kind"], "invalid-input", "{e}");
    }
    let p = invoke("hostile", "panic", json!({}));
    assert_eq!(p["error"]["category"], "trap", "{p}");
    for place in ["error", "panic", "body", "log", "stderr", "stdout"] {
        invoke(
            "hostile",
            "leak-secret",
            json!({"connection": "h1", "input": {"where": place}}),
        );
    }

    // No token: Prometheus scrapes without one.
    let r = server.send("GET", "/metrics", None, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        r.headers
    );
    assert!(!r.body.contains(SECRET), "the secret reached the scrape");
    let s = parse_scrape(&r.body);
    let calls = |connector: &str, op: &str, outcome: &str, kind: &str| {
        value(
            &s,
            "connector_host_calls_total",
            &[
                ("connector", connector),
                ("operation", op),
                ("function", "invoke"),
                ("outcome", outcome),
                ("kind", kind),
            ],
        )
    };
    assert_eq!(calls("data", "hash", "ok", ""), 4.0, "{}", r.body);
    assert_eq!(
        calls("data", "base64", "connector-error", "invalid-input"),
        2.0,
        "{}",
        r.body
    );
    assert_eq!(
        calls("hostile", "panic", "trap", "panic"),
        1.0,
        "{}",
        r.body
    );
    let hash = [("connector", "data"), ("operation", "hash")];
    assert_eq!(value(&s, "connector_host_call_fuel_count", &hash), 4.0);
    assert!(value(&s, "connector_host_call_fuel_sum", &hash) > 0.0);
    assert!(value(&s, "connector_host_call_memory_bytes_sum", &hash) >= 4.0 * 65_536.0);
    assert!(r.body.trim_end().ends_with("# EOF"), "{}", r.body);
    // A wrong Host is refused here as everywhere (DNS rebinding).
    let r = server.send(
        "GET",
        "/metrics",
        None,
        &[("Host".into(), "evil.example".into())],
    );
    assert_ne!(r.status, 200);
    server.stop();
}
