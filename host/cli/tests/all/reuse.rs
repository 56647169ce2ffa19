//! Live instances (`ConnectorOptions::reuse`, opt-in): an instance serves
//! only its own connection, is dropped after a trap or a limit and after
//! `max_calls`, waits only while there is room, and every call gets its own
//! deadline. The hostile guest's `instance-calls` counts the calls its
//! instance has served and remembers the connection of the first one.

use std::time::Duration;

use connector_host::connector::Reuse;
use connector_host::{CallError, Connection, ConnectorOptions, LimitKind, Limits, TrapKind};
use serde_json::{Value, json};

use crate::support::*;

fn hostile(reuse: Option<Reuse>, limits: Limits) -> connector_host::Connector {
    runtime()
        .load(
            &guest("test_hostile"),
            ConnectorOptions {
                limits,
                reuse,
                ..ConnectorOptions::default()
            },
        )
        .expect("hostile guest loads")
}

fn connection(panic_flag: &str) -> Connection {
    let mut c = Connection::new();
    c.set("panic", panic_flag);
    c
}

/// (calls the instance has served, the `panic` flag of its first call).
fn calls(c: &connector_host::Connector, conn: &Connection) -> (u64, String) {
    let out = c
        .invoke("instance-calls", conn, &json!({}))
        .expect("instance-calls");
    let body = out.body.to_value().unwrap();
    let first: Vec<(String, String)> = serde_json::from_value(body["first"].clone()).unwrap();
    let flag = first
        .iter()
        .find(|(k, _)| k == "panic")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (body["calls"].as_u64().unwrap(), flag)
}

#[test]
fn without_reuse_every_call_is_a_fresh_instance() {
    let c = hostile(None, Limits::default());
    let a = connection("false");
    for _ in 0..3 {
        assert_eq!(calls(&c, &a), (1, "false".into()));
    }
    assert_eq!(c.idle_instances(), 0);
}

#[test]
fn a_live_instance_serves_one_connection_only() {
    let c = hostile(Some(Reuse::default()), Limits::default());
    let (a, b) = (connection("false"), connection("true"));
    assert_eq!(calls(&c, &a), (1, "false".into()));
    assert_eq!(calls(&c, &a), (2, "false".into()));
    // Another connection never gets A's instance.
    assert_eq!(calls(&c, &b), (1, "true".into()));
    assert_eq!(calls(&c, &b), (2, "true".into()));
    assert_eq!(calls(&c, &a), (3, "false".into()));
    // A's, B's, and the one that described the connector at load (no
    // connection values: it serves calls with an empty connection).
    assert_eq!(c.idle_instances(), 3);
}

#[test]
fn a_trap_or_a_limit_drops_the_instance_and_deadlines_are_per_call() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let c = hostile(Some(Reuse::default()), limits);
    let a = Connection::new();
    assert_eq!(calls(&c, &a).0, 1);
    assert_eq!(calls(&c, &a).0, 2);
    let err = c.invoke("panic", &a, &json!({})).unwrap_err();
    assert!(
        matches!(
            &err,
            CallError::Trap {
                kind: TrapKind::Panic(_),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(calls(&c, &a).0, 1, "the trapped instance was dropped");
    // Time passes between calls of a live instance; each call gets the
    // whole timeout, and a call that runs out of it ends with the limit.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(calls(&c, &a).0, 2);
    let err = c.invoke("spin", &a, &json!({})).unwrap_err();
    assert!(
        matches!(
            &err,
            CallError::Limit {
                limit: LimitKind::Time,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        calls(&c, &a).0,
        1,
        "the instance that hit the limit was dropped"
    );
}

#[test]
fn instances_are_dropped_after_max_calls_and_past_max_idle() {
    let c = hostile(
        Some(Reuse {
            max_idle: 1,
            max_calls: 3,
        }),
        Limits::default(),
    );
    let (a, b) = (connection("false"), connection("true"));
    let seen: Vec<u64> = (0..5).map(|_| calls(&c, &a).0).collect();
    assert_eq!(seen, [1, 2, 3, 1, 2]);
    // One idle instance at most: B's call makes room by dropping A's.
    assert_eq!(calls(&c, &b).0, 1);
    assert_eq!(c.idle_instances(), 1);
    assert_eq!(calls(&c, &a).0, 1);
    assert_eq!(calls(&c, &b).0, 1);
}

#[test]
fn a_live_instance_keeps_its_state_only_for_what_the_guest_keeps() {
    // The host's checks still run on every call of a live instance.
    let c = hostile(Some(Reuse::default()), Limits::default());
    let a = Connection::new();
    let err = c.invoke("wrong-shape", &a, &json!({})).unwrap_err();
    assert!(matches!(err, CallError::BadOutput { .. }), "{err}");
    let out = c.invoke("echo", &a, &json!({"x": [1, 2]})).unwrap();
    assert_eq!(out.body, json!({"x": [1, 2]}));
    let body: Value = c
        .invoke("ok", &a, &json!({}))
        .unwrap()
        .body
        .to_value()
        .unwrap();
    assert_eq!(body, json!({"ok": true}));
}
