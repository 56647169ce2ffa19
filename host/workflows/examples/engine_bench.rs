//! Measures the run engine: runs of "trigger -> 3 connector actions -> Compose" with an
//! in-process connector and the in-memory journal (every step journaled as in a durable run),
//! against the same three calls made directly. Prints runs/s and the engine's overhead per
//! action (median over runs, the direct calls subtracted). The issue's targets: >= 2,000
//! runs/s, <= 10 us per action.
//!
//! `cargo run --release -p connector-workflows --example engine_bench [runs]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use connector_workflows::definition::{RunStatus, ServiceProviderCall, WorkflowFile};
use connector_workflows::engine::{CallContext, Engine, InvokeFailure, Invoker, MemoryJournal};
use serde_json::{Value, json};

/// A connector that answers at once with a small body built from its input.
struct Echo;

impl Invoker for Echo {
    fn invoke(
        &self,
        _: &ServiceProviderCall,
        p: &Value,
        _: &CallContext,
    ) -> Result<Value, InvokeFailure> {
        Ok(json!({ "id": p["n"], "items": [{ "name": "first" }] }))
    }
}

fn step(n: u32, after: Option<&str>) -> Value {
    let run_after = after.map_or(json!({}), |a| json!({ a: ["Succeeded"] }));
    json!({
        "type": "ServiceProvider",
        "inputs": { "parameters": { "n": n, "from": "@triggerBody()?['name']" },
            "serviceProviderConfiguration": { "connectionName": "c", "operationId": "echo", "serviceProviderId": "/serviceProviders/echo" } },
        "runAfter": run_after
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let text = json!({ "definition": {
        "triggers": { "manual": { "type": "Request", "kind": "Http" } },
        "actions": {
            "A": step(1, None), "B": step(2, Some("A")), "C": step(3, Some("B")),
            "Reply": { "type": "Compose", "inputs": { "name": "@body('C')?['items'][0]['name']", "ids": ["@body('A')['id']", "@body('B')['id']"] }, "runAfter": { "C": ["Succeeded"] } }
        } } })
    .to_string();
    let w =
        WorkflowFile::parse(&text, "bench/workflow.json", "bench").expect("the workflow parses");
    let engine = Engine::new(&w, &Echo);
    let trigger = json!({ "headers": {}, "body": { "name": "bench" } });

    // The same three calls made directly, for the baseline.
    let call = ServiceProviderCall {
        connection_name: "c".into(),
        operation_id: "echo".into(),
        service_provider_id: "/serviceProviders/echo".into(),
    };
    let cx = CallContext {
        run_id: "r".into(),
        step: "A".into(),
        attempt: 1,
        idempotency_key: "r/A".into(),
        deadline: None,
    };
    let mut direct = Vec::with_capacity(runs);
    for n in 0..runs {
        let t = Instant::now();
        for i in 0..3 {
            black_box(
                Echo.invoke(&call, &json!({ "n": i, "from": n }), &cx)
                    .expect("echo"),
            );
        }
        direct.push(t.elapsed());
    }

    // Journals are replaced now and then so memory stays flat.
    let mut journal = MemoryJournal::default();
    let first = engine
        .run("check", trigger.clone(), &journal)
        .expect("runs");
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    let mut each = Vec::with_capacity(runs);
    let start = Instant::now();
    for n in 0..runs {
        if n % 1000 == 0 {
            journal = MemoryJournal::default();
        }
        let id = format!("run-{n}");
        let t = Instant::now();
        let r = engine.run(&id, trigger.clone(), &journal).expect("runs");
        each.push(t.elapsed());
        black_box(r);
    }
    let secs = start.elapsed().as_secs_f64();
    let run = median(each);
    let base = median(direct);
    let per_action = run.saturating_sub(base) / 4;
    println!(
        "engine         {:>10.0} runs/s  ({runs} runs of trigger -> 3 calls -> Compose, memory journal)",
        runs as f64 / secs
    );
    println!(
        "per run        {:>10.1} us median (direct calls {:.1} us)",
        run.as_secs_f64() * 1e6,
        base.as_secs_f64() * 1e6
    );
    println!(
        "per action     {:>10.2} us median engine overhead (target <= 10)",
        per_action.as_secs_f64() * 1e6
    );
}
