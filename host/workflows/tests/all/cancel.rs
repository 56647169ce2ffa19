//! Cancellation: `journal.cancelled` is read before each step and during waits, and a
//! cancelled run ends `Cancelled` without starting anything more.

use std::time::{Duration, Instant};

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, JournalEntry, MemoryJournal, RunJournal};
use serde_json::json;

use crate::support::{Connector, call, trigger, workflow};

#[test]
fn cancel_stops_a_run_waiting_to_retry() {
    let mut a = call("fail", json!({ "kind": "transient" }), json!({}));
    a["retryPolicy"] = json!({ "type": "fixed", "count": 5, "interval": "PT30S" });
    let w = workflow(json!({
        "Flaky": a,
        "Next": call("echo", json!({}), json!({ "Flaky": ["Succeeded", "Failed"] }))
    }));
    let j = MemoryJournal::default();
    let c = Connector::default();
    let t = Instant::now();
    let r = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            j.cancel("c");
        });
        Engine::new(&w, &c)
            .run("c", trigger(json!({})), &j)
            .unwrap()
    });
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert_eq!(r.status, RunStatus::Cancelled);
    assert_eq!(c.seen().len(), 1, "Next never started");
    assert!(matches!(
        j.entries("c").unwrap().last(),
        Some(JournalEntry::RunFinished {
            status: RunStatus::Cancelled,
            ..
        })
    ));
}

#[test]
fn a_run_cancelled_before_it_starts_runs_nothing() {
    let w = workflow(json!({ "A": call("echo", json!({}), json!({})) }));
    let j = MemoryJournal::default();
    j.cancel("early");
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .run("early", trigger(json!({})), &j)
        .unwrap();
    assert_eq!(
        (r.status, r.actions.len(), c.seen().len()),
        (RunStatus::Cancelled, 0, 0)
    );
}
