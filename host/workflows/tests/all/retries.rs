//! Retries: `fixed` counts and intervals (measured with generous bounds), kinds that are not
//! retried, `throttled` with retry-after, `none`, the exponential ranges and the Logic Apps
//! default, and every attempt in the record.

use std::time::{Duration, Instant};

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, MemoryJournal, RetryPolicy, is_retryable};
use serde_json::{Value, json};

use crate::support::{Connector, call, trigger, workflow};

fn flaky(times: u64, kind: &str, policy: Value, extra: Value) -> Value {
    let mut p = json!({ "times": times, "kind": kind });
    p.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let mut a = call("fail", p, json!({}));
    a["retryPolicy"] = policy;
    json!({ "Flaky": a })
}

#[test]
fn fixed_retries_transient_failures_with_their_interval() {
    let w = workflow(flaky(
        2,
        "transient",
        json!({ "type": "fixed", "count": 3, "interval": "PT0.1S" }),
        json!({}),
    ));
    let c = Connector::default();
    let t = Instant::now();
    let r = Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    let took = t.elapsed();
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    let a = r.action("Flaky").unwrap();
    assert_eq!(a.outputs, Some(json!({ "body": { "after": 2 } })));
    let numbers: Vec<u32> = a.attempts.iter().map(|x| x.number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(a.attempts[0].error.as_ref().unwrap().code, "transient");
    assert!(a.attempts[2].error.is_none());
    assert!(
        took >= Duration::from_millis(200),
        "two waits of 100 ms, took {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    let keys: Vec<(u32, String)> = c
        .seen()
        .iter()
        .map(|s| (s.context.attempt, s.context.idempotency_key.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (1, "r/Flaky".into()),
            (2, "r/Flaky".into()),
            (3, "r/Flaky".into())
        ]
    );

    // Out of retries: the last failure is the action's.
    let w = workflow(flaky(
        9,
        "trap",
        json!({ "type": "fixed", "count": 2, "interval": "PT0.01S" }),
        json!({}),
    ));
    let r = Engine::new(&w, &Connector::default())
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    let a = r.action("Flaky").unwrap();
    assert_eq!((a.status, a.attempts.len()), (RunStatus::Failed, 3));
    assert!(a.error.as_ref().unwrap().message.contains("failure 3 of 9"));
}

#[test]
fn kinds_that_cannot_succeed_later_fail_at_once() {
    for kind in [
        "invalid-input",
        "unauthorized",
        "forbidden",
        "not-found",
        "conflict",
        "internal",
    ] {
        assert!(!is_retryable(kind), "{kind}");
        let w = workflow(flaky(
            1,
            kind,
            json!({ "type": "fixed", "count": 3, "interval": "PT0.01S" }),
            json!({}),
        ));
        let c = Connector::default();
        let r = Engine::new(&w, &c)
            .run("r", trigger(json!({})), &MemoryJournal::default())
            .unwrap();
        let a = r.action("Flaky").unwrap();
        assert_eq!(
            (a.status, a.attempts.len(), c.seen().len()),
            (RunStatus::Failed, 1, 1),
            "{kind}"
        );
        assert_eq!(a.error.as_ref().unwrap().code, kind);
    }
    for kind in ["transient", "throttled", "trap", "limit", "timeout"] {
        assert!(is_retryable(kind), "{kind}");
    }
    // `none` does not retry even a transient failure.
    let w = workflow(flaky(1, "transient", json!({ "type": "none" }), json!({})));
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!((r.status, c.seen().len()), (RunStatus::Failed, 1));
}

#[test]
fn throttled_waits_at_least_its_retry_after() {
    let w = workflow(flaky(
        1,
        "throttled",
        json!({ "type": "fixed", "count": 1, "interval": "PT0.01S" }),
        json!({ "retryAfterMs": 300 }),
    ));
    let t = Instant::now();
    let r = Engine::new(&w, &Connector::default())
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    let took = t.elapsed();
    assert_eq!(r.status, RunStatus::Succeeded);
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn exponential_intervals_grow_within_their_bounds() {
    let p = RetryPolicy::parse(Some(&json!({ "type": "exponential", "count": 4, "interval": "PT10S", "minimumInterval": "PT5S", "maximumInterval": "PT1M" }))).unwrap();
    assert_eq!(p.retries(), 4);
    let s = |n, j| p.delay(n, j).as_secs_f64();
    assert_eq!((s(1, 0.0), s(1, 1.0)), (5.0, 10.0));
    assert_eq!((s(2, 0.0), s(2, 1.0)), (10.0, 20.0));
    assert_eq!((s(3, 0.0), s(3, 1.0)), (20.0, 40.0));
    assert_eq!(
        (s(4, 0.0), s(4, 1.0)),
        (40.0, 60.0),
        "capped at maximumInterval"
    );
    // The documented default: exponential, 4 retries, 7.5 s scale, between 5 and 45 s.
    let d = RetryPolicy::parse(None).unwrap();
    assert_eq!(d, RetryPolicy::default());
    assert_eq!(d.retries(), 4);
    assert_eq!(d.delay(1, 0.0), Duration::from_secs(5));
    assert_eq!(d.delay(4, 1.0), Duration::from_secs(45));
    for (bad, says) in [
        (
            json!({ "type": "fixed", "count": 2 }),
            "`retryPolicy.interval` is missing",
        ),
        (
            json!({ "type": "sometimes" }),
            "is not one of none, fixed, exponential",
        ),
        (
            json!({ "type": "fixed", "count": 1000, "interval": "PT1S" }),
            "from 0 to 90",
        ),
        (
            json!({ "type": "fixed", "count": 1, "interval": "soon" }),
            "ISO 8601",
        ),
    ] {
        let e = RetryPolicy::parse(Some(&bad)).unwrap_err();
        assert!(e.contains(says), "{e}");
    }
    // A bad policy fails the action, saying why.
    let w = workflow(flaky(0, "transient", json!({ "type": "fixed" }), json!({})));
    let r = Engine::new(&w, &Connector::default())
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(
        r.action("Flaky").unwrap().error.as_ref().unwrap().code,
        "InvalidRetryPolicy"
    );
}
