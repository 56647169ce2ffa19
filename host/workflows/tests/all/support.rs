//! What the engine tests share: a workflow built from an `actions` object, a connector that
//! does real (small) work and records every call it gets, and a journal that can be made to
//! fail after a number of appends, as a store that lost its disk would.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use connector_workflows::definition::{ServiceProviderCall, WorkflowFile};
use connector_workflows::engine::{
    ActionRecord, CallContext, InvokeFailure, Invoker, JournalEntry, JournalError, MemoryJournal,
    RunJournal, RunRecord,
};
use serde_json::{Value, json};

pub fn workflow(actions: Value) -> WorkflowFile {
    let text = json!({
        "definition": { "triggers": { "manual": { "type": "Request", "kind": "Http" } }, "actions": actions },
        "kind": "Stateful"
    })
    .to_string();
    WorkflowFile::parse(&text, "t/workflow.json", "t").unwrap_or_else(|e| panic!("{e}"))
}

/// A `ServiceProvider` action calling `op` of the test connector.
pub fn call(op: &str, parameters: Value, run_after: Value) -> Value {
    json!({
        "type": "ServiceProvider",
        "inputs": { "parameters": parameters, "serviceProviderConfiguration": { "connectionName": "c", "operationId": op, "serviceProviderId": "/serviceProviders/test" } },
        "runAfter": run_after
    })
}

/// One call the connector got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub operation: String,
    pub service_provider: String,
    pub parameters: Value,
    pub context: CallContext,
}

/// The test connector. Operations: `echo` (returns its parameters, after `sleepMs`), `fail`
/// (fails `times` times with `kind`, then succeeds; `retryAfterMs` for throttled), `slow`
/// (sleeps until the call's deadline or `ms`).
#[derive(Default)]
pub struct Connector {
    pub seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    failures: Mutex<std::collections::HashMap<String, u64>>,
}

impl Connector {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Invoker for Connector {
    fn invoke(
        &self,
        call: &ServiceProviderCall,
        p: &Value,
        cx: &CallContext,
    ) -> Result<Value, InvokeFailure> {
        self.seen.lock().unwrap().push(Seen {
            operation: call.operation_id.clone(),
            service_provider: call.service_provider_id.clone(),
            parameters: p.clone(),
            context: cx.clone(),
        });
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let r = self.answer(call, p, cx);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

impl Connector {
    fn answer(
        &self,
        call: &ServiceProviderCall,
        p: &Value,
        cx: &CallContext,
    ) -> Result<Value, InvokeFailure> {
        let ms = |k: &str| Duration::from_millis(p.get(k).and_then(Value::as_u64).unwrap_or(0));
        match call.operation_id.as_str() {
            "echo" | "request" => {
                std::thread::sleep(ms("sleepMs"));
                Ok(json!({ "echo": p }))
            }
            "fail" => {
                let times = p.get("times").and_then(Value::as_u64).unwrap_or(u64::MAX);
                let mut f = self.failures.lock().unwrap();
                let n = f.entry(cx.idempotency_key.clone()).or_default();
                if *n < times {
                    *n += 1;
                    return Err(InvokeFailure {
                        kind: p["kind"].as_str().unwrap_or("transient").into(),
                        message: format!("failure {n} of {times}"),
                        retry_after: p
                            .get("retryAfterMs")
                            .and_then(Value::as_u64)
                            .map(Duration::from_millis),
                    });
                }
                Ok(json!({ "after": *n }))
            }
            "slow" => {
                let until = Instant::now() + ms("ms");
                let until = cx.deadline.map_or(until, |d| d.min(until));
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
                Ok(json!("slow done"))
            }
            other => Err(InvokeFailure {
                kind: "invalid-input".into(),
                message: format!("unknown operation {other}"),
                retry_after: None,
            }),
        }
    }
}

/// A memory journal whose appends fail once `budget` of them succeeded.
pub struct CutJournal {
    pub inner: MemoryJournal,
    budget: AtomicUsize,
}

impl CutJournal {
    pub fn new(budget: usize) -> Self {
        CutJournal {
            inner: MemoryJournal::default(),
            budget: AtomicUsize::new(budget),
        }
    }
    pub fn heal(&self) {
        self.budget.store(usize::MAX, Ordering::SeqCst);
    }
}

impl RunJournal for CutJournal {
    fn append(&self, run_id: &str, entry: &JournalEntry) -> Result<(), JournalError> {
        let ok = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
            .is_ok();
        if !ok {
            return Err(JournalError("disk full".into()));
        }
        self.inner.append(run_id, entry)
    }
    fn entries(&self, run_id: &str) -> Result<Vec<JournalEntry>, JournalError> {
        self.inner.entries(run_id)
    }
    fn cancelled(&self, run_id: &str) -> bool {
        self.inner.cancelled(run_id)
    }
}

/// A record without its times and attempts, which differ between runs of the same work.
pub fn work(r: &RunRecord) -> Vec<ActionRecord> {
    r.actions
        .iter()
        .map(|a| ActionRecord {
            start: None,
            duration_ms: None,
            attempts: Vec::new(),
            ..a.clone()
        })
        .collect()
}

pub fn trigger(body: Value) -> Value {
    json!({ "headers": {}, "body": body })
}
