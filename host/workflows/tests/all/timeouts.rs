//! Action `timeout`: the invoker gets the deadline in its call context, a call that runs past
//! it ends the step `TimedOut` (which runAfter can name), and retries stop at it.

use std::time::{Duration, Instant};

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, MemoryJournal};
use serde_json::json;

use crate::support::{Connector, call, trigger, workflow};

#[test]
fn a_call_past_its_timeout_is_timed_out() {
    let mut slow = call("slow", json!({ "ms": 5000 }), json!({}));
    slow["timeout"] = json!("PT0.2S");
    let w = workflow(json!({
        "Slow": slow,
        "Then": { "type": "Compose", "inputs": "@actions('Slow')['status']", "runAfter": { "Slow": ["TimedOut"] } }
    }));
    let c = Connector::default();
    let t = Instant::now();
    let r = Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    let took = t.elapsed();
    let a = r.action("Slow").unwrap();
    assert_eq!(a.status, RunStatus::TimedOut, "{r:#?}");
    assert_eq!(a.error.as_ref().unwrap().code, "ActionTimedOut");
    assert_eq!(r.action("Then").unwrap().outputs, Some(json!("TimedOut")));
    assert!(
        took < Duration::from_secs(3),
        "the connector stopped at the deadline: {took:?}"
    );
    let deadline = c.seen()[0]
        .context
        .deadline
        .expect("the deadline is passed on");
    assert!(deadline <= t + Duration::from_millis(400));
    // A call without timeout has no deadline.
    let w = workflow(json!({ "Quick": call("echo", json!({}), json!({})) }));
    let c = Connector::default();
    Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(c.seen()[0].context.deadline, None);
}

#[test]
fn retries_stop_at_the_timeout() {
    let mut a = call("fail", json!({ "kind": "transient" }), json!({}));
    a["retryPolicy"] = json!({ "type": "fixed", "count": 10, "interval": "PT1S" });
    a["timeout"] = json!("PT0.3S");
    let w = workflow(json!({ "Flaky": a }));
    let t = Instant::now();
    let r = Engine::new(&w, &Connector::default())
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let a = r.action("Flaky").unwrap();
    assert_eq!((a.status, a.attempts.len()), (RunStatus::TimedOut, 1));
    assert_eq!(r.status, RunStatus::TimedOut);
}
