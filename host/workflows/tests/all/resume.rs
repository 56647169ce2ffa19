//! Durable runs: multi-step workflows (variables, a sequential and a parallel Foreach of
//! connector calls, an Until, two parallel branches, an If, a Compose that reads all of it) are
//! cut at every append their journal makes, by a journal that starts failing there, and at
//! every connector call, by a connector that panics there (as a killed host would stop), and
//! resumed with a fresh engine on the same journal. Every resumed run must end as the
//! uninterrupted one did, no finished step may be invoked again, and the step that was in
//! flight gets the next attempt with the same idempotency key.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};

use connector_workflows::definition::ServiceProviderCall;
use connector_workflows::engine::{CallContext, InvokeFailure, Invoker, RunRecord};

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, JournalEntry, MemoryJournal, RunJournal};
use serde_json::json;

use crate::support::{Connector, CutJournal, call, trigger, work, workflow};

fn definition() -> serde_json::Value {
    json!({
        "Init": { "type": "InitializeVariable", "inputs": { "variables": [{ "name": "n", "type": "Integer", "value": 0 }] }, "runAfter": {} },
        "Each": {
            "type": "Foreach", "foreach": "@triggerBody()?['rows']", "operationOptions": "Sequential",
            "actions": {
                "Write": call("echo", json!({ "row": "@item()" }), json!({})),
                "Count": { "type": "IncrementVariable", "inputs": { "name": "n", "value": "@body('Write')['echo']['row']" }, "runAfter": { "Write": ["Succeeded"] } }
            },
            "runAfter": { "Init": ["Succeeded"] }
        },
        "Left": call("echo", json!({ "side": "left" }), json!({ "Each": ["Succeeded"] })),
        "Right": call("echo", json!({ "side": "right" }), json!({ "Each": ["Succeeded"] })),
        "Check": {
            "type": "If", "expression": "@greater(variables('n'), 5)",
            "actions": { "Big": { "type": "Compose", "inputs": "big", "runAfter": {} } },
            "else": { "actions": { "Small": { "type": "Compose", "inputs": "small", "runAfter": {} } } },
            "runAfter": { "Left": ["Succeeded"], "Right": ["Succeeded"] }
        },
        "Sum": { "type": "Compose", "inputs": { "n": "@variables('n')", "l": "@body('Left')", "checked": "@actions('Check')['status']" }, "runAfter": { "Check": ["Succeeded"] } }
    })
}

/// Loops, with a parallel Foreach beside an Until: records must not depend on thread timing.
fn loops() -> serde_json::Value {
    json!({
        "Init": { "type": "InitializeVariable", "inputs": { "variables": [{ "name": "n", "type": "Integer", "value": 0 }] }, "runAfter": {} },
        "Loop": {
            "type": "Until", "expression": "@equals(variables('n'), 3)", "limit": { "count": 10 },
            "actions": {
                "Bump": { "type": "IncrementVariable", "inputs": { "name": "n" }, "runAfter": {} },
                "Ping": call("echo", json!({ "n": "@variables('n')" }), json!({ "Bump": ["Succeeded"] }))
            },
            "runAfter": { "Init": ["Succeeded"] }
        },
        "Each": {
            "type": "Foreach", "foreach": "@range(0, 4)",
            "actions": {
                "Write": call("echo", json!({ "row": "@item()" }), json!({})),
                "Shape": { "type": "Compose", "inputs": "@body('Write')['echo']['row']", "runAfter": { "Write": ["Succeeded"] } }
            },
            "runAfter": { "Init": ["Succeeded"] }
        },
        "End": { "type": "Compose", "inputs": { "n": "@variables('n')", "last": "@result('Each')", "loop": "@result('Loop')" }, "runAfter": { "Loop": ["Succeeded"], "Each": ["Succeeded"] } }
    })
}

/// A connector that panics at its `at`-th call, then behaves.
struct Crashing {
    inner: Connector,
    calls: AtomicUsize,
    at: usize,
    died_in: std::sync::Mutex<Option<String>>,
}

impl Invoker for Crashing {
    fn invoke(
        &self,
        c: &ServiceProviderCall,
        p: &serde_json::Value,
        cx: &CallContext,
    ) -> Result<serde_json::Value, InvokeFailure> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            *self.died_in.lock().unwrap() = Some(cx.step.clone());
            panic!("the host died during {}", cx.step);
        }
        self.inner.invoke(c, p, cx)
    }
}

fn uninterrupted(
    w: &connector_workflows::definition::WorkflowFile,
    event: &serde_json::Value,
) -> (RunRecord, usize, usize) {
    let c = Connector::default();
    let j = MemoryJournal::default();
    let r = Engine::new(w, &c).run("r", event.clone(), &j).unwrap();
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    (r, j.entries("r").unwrap().len(), c.seen().len())
}

#[test]
fn a_run_with_loops_resumes_after_a_crash_at_every_call() {
    let w = workflow(loops());
    let event = trigger(json!({}));
    let (baseline, _, calls) = uninterrupted(&w, &event);
    assert_eq!(calls, 7);
    assert_eq!(baseline.variables["n"], json!(3));
    for at in 1..=calls {
        let j = MemoryJournal::default();
        let crashing = Crashing {
            inner: Connector::default(),
            calls: AtomicUsize::new(0),
            at,
            died_in: Default::default(),
        };
        let died = catch_unwind(AssertUnwindSafe(|| {
            Engine::new(&w, &crashing).run("r", event.clone(), &j)
        }));
        assert!(died.is_err(), "crash at call {at}");
        let before = j.entries("r").unwrap();
        let finished: HashSet<String> = before
            .iter()
            .filter_map(|e| match e {
                JournalEntry::StepFinished { step, .. } => Some(step.clone()),
                _ => None,
            })
            .collect();
        // Calls in flight on other threads when the host died count as unfinished too.
        let in_flight: HashSet<String> = before
            .iter()
            .filter_map(|e| match e {
                JournalEntry::StepStarted { step, .. } if !finished.contains(step) => {
                    Some(step.clone())
                }
                _ => None,
            })
            .collect();
        let died_in = crashing.died_in.lock().unwrap().clone().expect("it died");
        let c = Connector::default();
        let r = Engine::new(&w, &c).run("r", event.clone(), &j).unwrap();
        assert_eq!(work(&r), work(&baseline), "crash at call {at}");
        assert_eq!(r.variables, baseline.variables, "crash at call {at}");
        for s in c.seen() {
            let step = &s.context.step;
            assert!(
                !finished.contains(step),
                "crash at call {at}: {step} ran again"
            );
            let expected = if in_flight.contains(step) { 2 } else { 1 };
            assert_eq!(s.context.attempt, expected, "crash at call {at}: {step}");
        }
        assert!(
            c.seen()
                .iter()
                .any(|s| s.context.step == died_in && s.context.attempt == 2),
            "crash at call {at}: the call that died ({died_in}) runs again as attempt 2"
        );
    }
}

#[test]
fn a_run_with_loops_cut_at_every_append_resumes_to_the_same_end() {
    let w = workflow(loops());
    let event = trigger(json!({}));
    let (baseline, total, _) = uninterrupted(&w, &event);
    for cut in 1..total {
        let j = CutJournal::new(cut);
        assert!(
            Engine::new(&w, &Connector::default())
                .run("r", event.clone(), &j)
                .is_err()
        );
        j.heal();
        let r = Engine::new(&w, &Connector::default())
            .run("r", event.clone(), &j)
            .unwrap();
        assert_eq!(work(&r), work(&baseline), "cut at {cut}");
    }
}

#[test]
fn a_run_cut_at_every_append_resumes_to_the_same_end() {
    let w = workflow(definition());
    let event = trigger(json!({ "rows": [1, 2, 3] }));
    let whole = {
        let c = Connector::default();
        let j = MemoryJournal::default();
        let r = Engine::new(&w, &c).run("r", event.clone(), &j).unwrap();
        assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
        assert_eq!(r.variables["n"], json!(6));
        assert_eq!(
            r.action("Sum").unwrap().outputs.as_ref().unwrap()["n"],
            json!(6)
        );
        assert_eq!(c.seen().len(), 5);
        (r, j.entries("r").unwrap().len())
    };
    let (baseline, total) = whole;
    assert!(total > 20, "{total} journal entries");
    for cut in 1..total {
        let c1 = Connector::default();
        let j = CutJournal::new(cut);
        let first = Engine::new(&w, &c1).run("r", event.clone(), &j);
        assert!(
            first.is_err(),
            "cut at {cut}: the run must stop with the journal's error"
        );
        let before = j.entries("r").unwrap();
        assert_eq!(
            before.len(),
            cut,
            "nothing is journaled after the failed append"
        );
        let finished: HashSet<String> = before
            .iter()
            .filter_map(|e| match e {
                JournalEntry::StepFinished { step, .. } => Some(step.clone()),
                _ => None,
            })
            .collect();
        let in_flight: Vec<(String, u32)> = before
            .iter()
            .filter_map(|e| match e {
                JournalEntry::StepStarted { step, attempt, .. } if !finished.contains(step) => {
                    Some((step.clone(), *attempt))
                }
                _ => None,
            })
            .collect();
        j.heal();
        let c2 = Connector::default();
        let r = Engine::new(&w, &c2)
            .run("r", json!("ignored on resume"), &j)
            .unwrap_or_else(|e| panic!("cut at {cut}: resume failed: {e}"));
        assert_eq!(r.status, baseline.status, "cut at {cut}");
        assert_eq!(work(&r), work(&baseline), "cut at {cut}");
        assert_eq!(r.variables, baseline.variables, "cut at {cut}");
        for s in c2.seen() {
            let step = &s.context.step;
            assert!(!finished.contains(step), "cut at {cut}: {step} ran again");
            assert_eq!(s.context.idempotency_key, format!("r/{step}"));
            let expected = in_flight
                .iter()
                .find(|(k, _)| k == step)
                .map_or(1, |(_, a)| a + 1);
            assert_eq!(
                s.context.attempt, expected,
                "cut at {cut}: attempt of {step}"
            );
        }
        // Every connector call of the whole run happened, once per step, across both runs.
        let steps: HashSet<String> = c1
            .seen()
            .into_iter()
            .chain(c2.seen())
            .map(|s| s.context.step)
            .collect();
        assert_eq!(steps.len(), 5, "cut at {cut}: {steps:?}");
        // A finished run answers from its journal, without calling anything.
        let c3 = Connector::default();
        let again = Engine::new(&w, &c3).run("r", json!(null), &j).unwrap();
        assert_eq!(work(&again), work(&baseline));
        assert!(c3.seen().is_empty());
    }
}

#[test]
fn a_foreach_list_made_with_guid_is_the_same_after_resume() {
    // The item list changes every time it is evaluated; the journaled one is used on resume.
    let w = workflow(json!({
        "Each": {
            "type": "Foreach", "foreach": "@createArray(guid(), guid())", "operationOptions": "Sequential",
            "actions": { "Use": call("echo", json!({ "id": "@item()" }), json!({})) },
            "runAfter": {}
        }
    }));
    let c = Connector::default();
    // Cut after RunStarted, the Foreach's StepStarted, Use[0]'s start and finish.
    let j = CutJournal::new(4);
    assert!(
        Engine::new(&w, &c)
            .run("g", trigger(json!({})), &j)
            .is_err()
    );
    j.heal();
    let r = Engine::new(&w, &c)
        .run("g", trigger(json!({})), &j)
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded);
    let seen = c.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let JournalEntry::StepStarted {
        decision: Some(d), ..
    } = &j.entries("g").unwrap()[1]
    else {
        panic!("the Foreach's items are journaled with its start");
    };
    assert_eq!(seen[0].parameters["id"], d["items"][0]);
    assert_eq!(seen[1].parameters["id"], d["items"][1]);
}
