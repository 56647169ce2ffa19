//! NATS JetStream as the sink and as a push binding, against a real `nats-server` on
//! 127.0.0.1 (see `nats_support`), with the real `connector-host run`:
//!
//! - a run with `[sink] kind = "nats"` publishes every event of a polling trigger once,
//!   with its id as `Nats-Msg-Id`, logging in with a token that never shows in the log;
//!   a host that lost its state and publishes everything again (`--reset-state`) adds
//!   nothing to the stream (JetStream drops the ids it has), and without the flag it
//!   refuses to start because the stream holds events;
//! - a host SIGKILLed at arbitrary moments and restarted loses no event and stores none
//!   twice;
//! - a push trigger bound to `nats` turns the messages published to its subject into
//!   events (a repeated item once, a malformed message dropped), acknowledging each;
//! - a message whose items the sink could not take (its stream deleted) is delivered
//!   again once the sink is back, not lost.

use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::nats_support::{NATS_TOKEN, NatsServer};
use crate::support::*;
use crate::triggers_support::*;

/// `[nats]` for `server`, with the token read from a file of the host's folder.
fn nats_table(server: &NatsServer) -> String {
    format!(
        "[nats]\nurl = \"{}\"\ntoken = {{ file = \"nats.token\" }}\n",
        server.url()
    )
}

/// A host folder with `toml`, the token file and the nats-push guest's path filled in.
fn host(label: &str, toml: &str) -> HostDir {
    let toml = toml.replace("@NATS_PUSH@", s(&guest("test_nats_push")));
    let h = HostDir::new(label, &toml);
    std::fs::write(h.dir.join("nats.token"), format!("{NATS_TOKEN}\n")).unwrap();
    h
}

const NATS_SINK: &str =
    "[sink]\nkind = \"nats\"\nstream = \"EVENTS\"\nsubject = \"events.{trigger}\"\n";

fn sequence_trigger(total: u64, batch: u64) -> String {
    format!(
        "[[trigger]]\nname = \"seq\"\nconnection = \"src\"\noperation = \"sequence\"\n\
         input = {{ total = {total}, batch = {batch} }}\n"
    )
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn the_nats_sink_delivers_every_event_once_and_jetstream_drops_redeliveries() {
    let server = NatsServer::start("sink");
    let h = host(
        "nats-sink",
        &format!(
            "{}{NATS_SINK}{SOURCE}{}",
            nats_table(&server),
            sequence_trigger(200, 20)
        ),
    );
    let child = h.spawn_run(&[]);
    wait_until(Duration::from_secs(120), "200 events in the stream", || {
        server.count("EVENTS") >= 200
    });
    wait_until(
        Duration::from_secs(30),
        "the state to reach the end",
        || h.state("seq") == Some(json!({"next": 200})),
    );
    stop(child);
    let messages = server.read_all("EVENTS");
    let ids: Vec<String> = messages.iter().map(|(_, id, _)| id.clone()).collect();
    assert_eq!(ids, items("seq", 0..200));
    for (subject, id, body) in &messages {
        assert_eq!(subject, "events.seq");
        assert_eq!(body["id"], id.as_str(), "the payload is the event");
        assert_eq!(body["trigger"], "seq");
    }
    let log = h.log();
    assert!(log.contains("NATS JetStream stream EVENTS"), "{log}");
    assert!(
        !log.contains(NATS_TOKEN),
        "the token showed in the log:\n{log}"
    );

    // The state is lost: the stream's events make the host refuse to start ...
    std::fs::remove_file(h.dir.join("state.db")).unwrap();
    let refused = cli(&["run", h.config_arg()]);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(
        refused.stderr.contains("already holds events"),
        "{refused:?}"
    );
    // ... and with --reset-state it publishes every event again, which JetStream drops.
    let child = h.spawn_run(&["--reset-state"]);
    wait_until(
        Duration::from_secs(120),
        "the second run to reach the end",
        || h.state("seq") == Some(json!({"next": 200})),
    );
    stop(child);
    assert_eq!(
        server.count("EVENTS"),
        200,
        "a redelivered id was stored again"
    );
    assert!(
        server.publish("events.seq", Some("seq/item-7"), b"{}"),
        "JetStream did not find a known event id a duplicate"
    );
    assert_eq!(server.count("EVENTS"), 200);
}

#[test]
fn a_host_killed_mid_run_and_restarted_loses_and_doubles_nothing_in_the_stream() {
    let server = NatsServer::start("kill");
    let total = 2000;
    let h = host(
        "nats-kill",
        &format!(
            "{}{NATS_SINK}{SOURCE}{}",
            nats_table(&server),
            sequence_trigger(total, 10)
        ),
    );
    let mut kills = 0;
    // Up to 4 kills, each at an arbitrary moment (from the clock) while events flow.
    for round in 0..4u64 {
        let child = h.spawn_run(&[]);
        let before = server.count("EVENTS");
        wait_until(Duration::from_secs(60), "events to flow", || {
            server.count("EVENTS") > before || server.count("EVENTS") >= total
        });
        if server.count("EVENTS") >= total {
            stop(child);
            break;
        }
        let jitter = Instant::now().elapsed().subsec_nanos() as u64 % 400;
        std::thread::sleep(Duration::from_millis(50 + jitter + 100 * round));
        stop(child); // SIGKILL
        kills += 1;
    }
    let child = h.spawn_run(&[]);
    wait_until(
        Duration::from_secs(180),
        "every event in the stream",
        || h.state("seq") == Some(json!({"next": total})),
    );
    stop(child);
    assert!(kills > 0, "the host was never killed mid-run");
    let ids: Vec<String> = server
        .read_all("EVENTS")
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "an event is in the stream twice");
    let mut expected = items("seq", 0..total);
    expected.sort();
    assert_eq!(
        sorted, expected,
        "an event is missing after {kills} kill(s)"
    );
}

/// The nats-push connector with its trigger `orders` on `orders.>`, queue `workers`.
const ORDERS: &str = r#"
[[connector]]
name = "np"
component = "@NATS_PUSH@"

[[connection]]
name = "n"
connector = "np"

[[trigger]]
name = "orders"
connection = "n"
operation = "messages"
input = { subject = "orders.>", queue = "workers" }
"#;

#[test]
fn messages_published_to_a_nats_binding_become_events() {
    let server = NatsServer::start("push");
    let h = host("nats-push", &format!("{}{ORDERS}", nats_table(&server)));
    let child = h.spawn_run(&[]);
    for i in 0..20 {
        let body = json!({"id": format!("o-{i}"), "n": i}).to_string();
        server.publish("orders.new", None, body.as_bytes());
    }
    server.publish("orders.new", None, b"not json");
    // The same order again, in a message of its own: one event all the same.
    server.publish("orders.changed", None, br#"{"id": "o-3", "n": 3}"#);
    wait_until(Duration::from_secs(60), "every message handled", || {
        server.pending("PUSH_orders", "workers") == (0, 0) && h.events().len() >= 20
    });
    stop(child);
    let ids = h.event_ids("orders");
    let expected: Vec<String> = (0..20).map(|i| format!("orders/o-{i}")).collect();
    assert_eq!(ids, expected);
    let first = &h.events()[0];
    assert_eq!(first["source"], "push");
    assert_eq!(first["body"], json!({"id": "o-0", "n": 0}));
    let log = h.log();
    assert!(
        log.contains("push trigger orders on NATS subject orders.>"),
        "{log}"
    );
    assert!(log.contains("refused by the connector, dropped"), "{log}");
    assert!(!log.contains(NATS_TOKEN), "{log}");
}

#[test]
fn a_message_the_sink_could_not_take_is_delivered_again_not_lost() {
    let server = NatsServer::start("redeliver");
    let h = host(
        "nats-redeliver",
        &format!("{}{NATS_SINK}{ORDERS}", nats_table(&server)),
    );
    let child = h.spawn_run(&[]);
    // Running means the sink made its stream; the consumer takes messages published
    // before it exists too (it starts at the stream's first message).
    wait_until(Duration::from_secs(60), "the host to run", || {
        h.log().contains("connector-host: running")
    });
    // The sink goes down: its stream is gone, so publishes find no stream.
    server.delete_stream("EVENTS");
    for i in 0..5 {
        let body = json!({"id": format!("r-{i}")}).to_string();
        server.publish("orders.new", None, body.as_bytes());
    }
    wait_until(Duration::from_secs(30), "a failed delivery", || {
        h.log().contains("not delivered, to be redelivered")
    });
    assert_eq!(server.count("EVENTS"), 0);
    server.create_stream("EVENTS", "events.>");
    wait_until(
        Duration::from_secs(90),
        "the 5 events after the sink came back",
        || server.count("EVENTS") >= 5,
    );
    wait_until(
        Duration::from_secs(30),
        "every message acknowledged",
        || server.pending("PUSH_orders", "workers") == (0, 0),
    );
    stop(child);
    let mut ids: Vec<String> = server
        .read_all("EVENTS")
        .into_iter()
        .map(|(_, id, _)| id)
        .collect();
    ids.sort();
    let expected: Vec<String> = (0..5).map(|i| format!("orders/r-{i}")).collect();
    assert_eq!(ids, expected);
}

#[test]
fn the_conformance_kit_accepts_a_nats_binding() {
    let run = cli(&[
        "test",
        s(&guest("test_nats_push")),
        "--spec",
        s(&repo().join("tests/guests/nats-push/connector-test.toml")),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("binding type \"nats\" (supported)"),
        "{run:?}"
    );
    assert!(
        run.stdout.lines().all(|l| !l.starts_with("FAIL")),
        "{run:?}"
    );
}
