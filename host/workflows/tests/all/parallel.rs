//! Parallelism: a Foreach runs its iterations concurrently (20 at a time by default, as many as
//! `repetitions` says, one at a time when `Sequential`), each with its own `item()` and its own
//! action results; sibling branches run at once; records keep a fixed order.

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, MemoryJournal};
use serde_json::{Value, json};

use crate::support::{Connector, call, trigger, workflow};

fn each(options: Value) -> Value {
    let mut e = json!({
        "type": "Foreach", "foreach": "@range(0, 8)",
        "actions": {
            "Call": call("echo", json!({ "i": "@item()", "sleepMs": 60 }), json!({})),
            "Check": { "type": "Compose", "inputs": "@equals(body('Call')['echo']['i'], item())", "runAfter": { "Call": ["Succeeded"] } },
            "Add": { "type": "AppendToArrayVariable", "inputs": { "name": "seen", "value": "@item()" }, "runAfter": { "Check": ["Succeeded"] } }
        },
        "runAfter": { "Init": ["Succeeded"] }
    });
    e.as_object_mut()
        .unwrap()
        .extend(options.as_object().unwrap().clone());
    json!({
        "Init": { "type": "InitializeVariable", "inputs": { "variables": [{ "name": "seen", "type": "Array", "value": [] }] }, "runAfter": {} },
        "Each": e
    })
}

fn run(options: Value) -> (connector_workflows::engine::RunRecord, usize) {
    let w = workflow(each(options));
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    // Each iteration saw its own Call: every Check is true.
    let checks: Vec<&Value> = r
        .actions
        .iter()
        .filter(|a| a.name == "Check")
        .filter_map(|a| a.outputs.as_ref())
        .collect();
    assert_eq!(checks, vec![&json!(true); 8]);
    let mut seen: Vec<i64> = r.variables["seen"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..8).collect::<Vec<_>>(),
        "variables are shared by all iterations"
    );
    // Records are in iteration order whatever order they ended in.
    let paths: Vec<String> = r
        .actions
        .iter()
        .filter(|a| a.name == "Call")
        .map(|a| a.path.join("/"))
        .collect();
    assert_eq!(
        paths,
        (0..8).map(|i| format!("Each[{i}]")).collect::<Vec<_>>()
    );
    (r, c.max_in_flight())
}

#[test]
fn foreach_runs_iterations_concurrently_by_default() {
    let (_, max) = run(json!({}));
    assert!(max >= 2, "at most {max} calls were in flight");
}

#[test]
fn repetitions_bound_the_concurrency_and_sequential_runs_one() {
    let (_, max) = run(json!({ "runtimeConfiguration": { "concurrency": { "repetitions": 2 } } }));
    assert!((1..=2).contains(&max), "{max}");
    let (_, max) = run(json!({ "operationOptions": "Sequential" }));
    assert_eq!(max, 1);
}

#[test]
fn sibling_branches_run_at_once() {
    let w = workflow(json!({
        "A": call("echo", json!({ "sleepMs": 150 }), json!({})),
        "B": call("echo", json!({ "sleepMs": 150 }), json!({})),
        "Join": { "type": "Compose", "inputs": "@concat(actions('A')['status'], actions('B')['status'])", "runAfter": { "A": ["Succeeded"], "B": ["Succeeded"] } }
    }));
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .run("r", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(c.max_in_flight(), 2);
    assert_eq!(
        r.action("Join").unwrap().outputs,
        Some(json!("SucceededSucceeded"))
    );
    let names: Vec<&str> = r.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "Join"]);
}

#[test]
fn one_engine_serves_runs_on_many_threads() {
    fn sync<T: Sync>(_: &T) {}
    let w = workflow(json!({ "A": call("echo", json!({ "sleepMs": 20 }), json!({})) }));
    let c = Connector::default();
    let engine = Engine::new(&w, &c);
    sync(&engine);
    let j = MemoryJournal::default();
    std::thread::scope(|s| {
        for i in 0..4 {
            let (engine, j) = (&engine, &j);
            s.spawn(move || {
                let r = engine.run(&format!("r{i}"), trigger(json!({})), j).unwrap();
                assert_eq!(r.status, RunStatus::Succeeded);
            });
        }
    });
    let mut keys: Vec<String> = c
        .seen()
        .into_iter()
        .map(|s| s.context.idempotency_key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["r0/A", "r1/A", "r2/A", "r3/A"]);
}
