//! A misbehaving connector: each kind of misbehaviour ends in its own typed
//! error, and the same host (the same loaded connector, in this process)
//! goes on serving well-behaved calls after every one of them. Each limit is
//! tested in an obeyed/violated pair where that makes sense.

use std::time::{Duration, Instant};

use connector_host::{CallError, Connection, ConnectorOptions, LimitKind, Limits, TrapKind};
use serde_json::json;

use crate::support::*;

fn hostile(limits: Limits) -> connector_host::Connector {
    runtime()
        .load(
            &guest("test_hostile"),
            ConnectorOptions {
                limits,
                ..ConnectorOptions::default()
            },
        )
        .expect("hostile guest loads")
}

fn call(c: &connector_host::Connector, op: &str) -> Result<connector_host::Response, CallError> {
    c.invoke(op, &Connection::new(), &json!({}))
}

fn assert_still_serving(c: &connector_host::Connector) {
    let out = call(c, "ok").expect("the host keeps serving");
    assert_eq!(out.body, json!({"ok": true}));
}

fn limit_of(err: &CallError) -> Option<LimitKind> {
    match err {
        CallError::Limit { limit, .. } => Some(*limit),
        _ => None,
    }
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let c = hostile(Limits {
        fuel: Some(50_000_000),
        timeout: Duration::from_secs(60),
        ..Limits::default()
    });
    let err = call(&c, "spin").unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Fuel), "{err}");
    assert!(
        err.to_string().contains("hostile"),
        "the error names the connector: {err}"
    );
    assert_still_serving(&c);
}

#[test]
fn an_infinite_loop_hits_the_deadline_without_a_fuel_limit() {
    let c = hostile(Limits {
        fuel: None,
        timeout: Duration::from_millis(200),
        ..Limits::default()
    });
    let start = Instant::now();
    let err = call(&c, "spin").unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Time), "{err}");
    // Generous: the point is that it ends, not how fast.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_still_serving(&c);
}

#[test]
fn a_loop_in_check_connection_is_stopped_too() {
    let c = hostile(Limits {
        fuel: Some(50_000_000),
        ..Limits::default()
    });
    let mut conn = Connection::new();
    conn.set("spin", "true");
    let err = c.check_connection(&conn).unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Fuel), "{err}");
    c.check_connection(&Connection::new())
        .expect("an ordinary check passes");
}

#[test]
fn a_memory_bomb_meets_the_memory_limit() {
    let c = hostile(Limits {
        max_memory_bytes: 32 << 20,
        ..Limits::default()
    });
    let err = call(&c, "grow-memory").unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Memory), "{err}");
    assert_still_serving(&c);
}

#[test]
fn deep_recursion_is_a_stack_overflow() {
    let c = hostile(Limits::default());
    let err = call(&c, "recurse").unwrap_err();
    assert!(
        matches!(
            &err,
            CallError::Trap {
                kind: TrapKind::StackOverflow,
                ..
            }
        ),
        "{err}"
    );
    assert_still_serving(&c);
}

#[test]
fn a_panic_is_a_typed_trap_with_its_message() {
    let c = hostile(Limits::default());
    let err = call(&c, "panic").unwrap_err();
    match &err {
        CallError::Trap {
            kind: TrapKind::Panic(message),
            ..
        } => {
            assert_eq!(message, "hostile guest panicked on purpose")
        }
        other => panic!("expected a panic trap, got {other}"),
    }
    assert_still_serving(&c);
}

#[test]
fn a_panic_in_a_poll_leaves_the_host_serving() {
    let c = hostile(Limits::default());
    let err = c
        .poll("ticks", &Connection::new(), &json!({"panic": true}), None)
        .unwrap_err();
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
    let out = c
        .poll(
            "ticks",
            &Connection::new(),
            &json!({}),
            Some(&json!({"n": 41})),
        )
        .unwrap();
    assert_eq!(out.items[0].id, "tick-41");
    assert_eq!(out.state, Some(json!({"n": 42})));
}

#[test]
fn huge_output_meets_the_output_limit() {
    let c = hostile(Limits::default());
    let err = call(&c, "huge-output").unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Output), "{err}");
    assert_still_serving(&c);
}

#[test]
fn output_within_the_limit_is_returned() {
    // The obeyed half of the pair: the same guest path, a limit it fits in.
    let c = hostile(Limits {
        max_output_bytes: 1 << 10,
        ..Limits::default()
    });
    let out = c
        .invoke("echo", &Connection::new(), &json!({"word": "small"}))
        .unwrap();
    assert_eq!(out.body, json!({"word": "small"}));
    let big = "x".repeat(4 << 10);
    let err = c
        .invoke("echo", &Connection::new(), &json!({ "word": big }))
        .unwrap_err();
    assert_eq!(limit_of(&err), Some(LimitKind::Output), "{err}");
}

#[test]
fn output_that_is_not_json_is_bad_output() {
    let c = hostile(Limits::default());
    let err = call(&c, "invalid-json").unwrap_err();
    assert!(
        matches!(&err, CallError::BadOutput { problem, .. } if problem.contains("not JSON")),
        "{err}"
    );
    assert_still_serving(&c);
}

#[test]
fn output_against_its_schema_is_bad_output_naming_the_pointer() {
    let c = hostile(Limits::default());
    let err = call(&c, "wrong-shape").unwrap_err();
    assert!(
        matches!(&err, CallError::BadOutput { problem, .. } if problem.contains("/count")),
        "{err}"
    );
}

#[test]
fn a_log_flood_is_capped_and_the_call_still_succeeds() {
    let c = hostile(Limits::default());
    let out = call(&c, "log-flood").unwrap();
    assert_eq!(out.status, 200);
}

#[test]
fn every_failure_in_a_row_on_one_connector() {
    // The "same host process goes on serving" check, in one sequence.
    let c = hostile(Limits {
        fuel: Some(50_000_000),
        max_memory_bytes: 32 << 20,
        ..Limits::default()
    });
    for op in [
        "spin",
        "grow-memory",
        "recurse",
        "panic",
        "huge-output",
        "invalid-json",
    ] {
        assert!(call(&c, op).is_err(), "{op} should fail");
        assert_still_serving(&c);
    }
}
