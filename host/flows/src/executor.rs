//! The executor: a bounded pool of worker threads that runs the store's queued runs, and at
//! start resumes every unfinished one (the engine reads its journal and skips what finished).
//!
//! The store is the queue: triggers and `runs resubmit` only insert rows, and the dispatcher
//! claims unfinished rows that no worker holds, when woken ([`Executor::wake`]) and at least
//! every half second (so a run queued by another process, `runs resubmit`, is picked up).
//! Runs are CPU work in wasm and blocking SQLite writes, hence threads, not async tasks.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use connector_workflows::definition::WorkflowFile;
use connector_workflows::engine::Engine;

use crate::invoker::ConnectorInvoker;
use crate::store::{RunRow, RunState, RunStore};

/// How often the dispatcher looks at the store when nobody wakes it.
const IDLE_LOOK: Duration = Duration::from_millis(500);

/// Called with a `Response` action's `{statusCode, headers, body}` for a run that an HTTP
/// request waits on.
pub type Responder = Box<dyn FnOnce(Value) + Send>;

#[derive(Default)]
struct Shared {
    in_flight: HashSet<String>,
    stopping: bool,
    woken: bool,
    /// Runs a `Request` trigger waits on: the first `Response` answers it.
    responders: HashMap<String, Responder>,
    /// Runs the engine stopped on a journal error, and when to try again.
    backoff: HashMap<String, Instant>,
}

/// Runs queued runs on a bounded pool of threads.
pub struct Executor {
    store: Arc<RunStore>,
    /// Replaced one at a time by [`Executor::set_workflow`]; a run in progress keeps the
    /// definition it started with.
    workflows: RwLock<HashMap<String, Arc<WorkflowFile>>>,
    invoker: Arc<ConnectorInvoker>,
    workers: usize,
    shared: Mutex<Shared>,
    changed: Condvar,
}

impl Executor {
    /// An executor of `workflows`' runs kept in `store`, `workers` at a time.
    pub fn new(
        store: Arc<RunStore>,
        workflows: &[WorkflowFile],
        invoker: Arc<ConnectorInvoker>,
        workers: usize,
    ) -> Arc<Executor> {
        Arc::new(Executor {
            store,
            workflows: RwLock::new(
                workflows
                    .iter()
                    .map(|w| (w.name.clone(), Arc::new(w.clone())))
                    .collect(),
            ),
            invoker,
            workers: workers.max(1),
            shared: Mutex::new(Shared::default()),
            changed: Condvar::new(),
        })
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces (or adds) the definition that new and resumed runs of its workflow use.
    pub fn set_workflow(&self, workflow: Arc<WorkflowFile>) {
        self.workflows
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(workflow.name.clone(), workflow);
    }

    /// Tells the dispatcher that runs were queued.
    pub fn wake(&self) {
        self.shared().woken = true;
        self.changed.notify_all();
    }

    /// Registers who answers the HTTP request of `run_id` when the run reaches a `Response`.
    pub fn on_response(&self, run_id: &str, responder: Responder) {
        self.shared()
            .responders
            .insert(run_id.to_owned(), responder);
    }

    /// Drops a waiting responder (the request gave up).
    pub fn forget_response(&self, run_id: &str) {
        self.shared().responders.remove(run_id);
    }

    /// Runs in progress now.
    pub fn in_flight(&self) -> usize {
        self.shared().in_flight.len()
    }

    /// Starts the dispatcher thread.
    pub fn start(self: &Arc<Self>) -> std::thread::JoinHandle<()> {
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("flows-dispatch".into())
            .spawn(move || me.dispatch())
            .expect("spawn the dispatcher thread")
    }

    /// Stops claiming runs, and waits up to `grace` for the runs in progress; those still
    /// running then are resumed by the next start. Returns how many were left running.
    pub fn stop(&self, grace: Duration) -> usize {
        let deadline = Instant::now() + grace;
        let mut s = self.shared();
        s.stopping = true;
        self.changed.notify_all();
        while !s.in_flight.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        s.in_flight.len()
    }

    /// Waits until no run is queued or running (for `run --once`), or `limit` passed.
    /// Returns whether everything finished.
    pub fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let idle = self.shared().in_flight.is_empty()
                && self
                    .store
                    .unfinished(1, &[])
                    .map(|r| r.is_empty())
                    .unwrap_or(false);
            if idle {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.wake();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn dispatch(self: Arc<Self>) {
        loop {
            let (free, skip) = {
                let mut s = self.shared();
                if s.stopping {
                    return;
                }
                let now = Instant::now();
                s.backoff.retain(|_, until| *until > now);
                let mut skip: Vec<String> = s.in_flight.iter().cloned().collect();
                skip.extend(s.backoff.keys().cloned());
                (self.workers.saturating_sub(s.in_flight.len()), skip)
            };
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self.store.unfinished(free, &skip) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("cannot read queued runs: {e}");
                        Vec::new()
                    }
                }
            };
            for run in claimed {
                self.shared().in_flight.insert(run.id.clone());
                let me = Arc::clone(&self);
                let spawned = std::thread::Builder::new()
                    .name("flows-run".into())
                    .spawn(move || me.execute(run));
                if let Err(e) = spawned {
                    tracing::error!("cannot start a run thread: {e}");
                }
            }
            let mut s = self.shared();
            if !s.woken && !s.stopping {
                s = self
                    .changed
                    .wait_timeout(s, IDLE_LOOK)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            s.woken = false;
        }
    }

    fn execute(&self, run: RunRow) {
        let id = run.id.clone();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.run_one(run)));
        let mut s = self.shared();
        if outcome.is_err() {
            drop(s);
            let _ = self.store.finish(
                &id,
                RunState::Failed,
                Some("the run engine panicked; the run cannot go on"),
            );
            s = self.shared();
        }
        s.in_flight.remove(&id);
        s.responders.remove(&id);
        s.woken = true;
        self.changed.notify_all();
    }

    fn run_one(&self, run: RunRow) {
        let found = self
            .workflows
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&run.workflow)
            .cloned();
        let Some(workflow) = found else {
            let _ = self.store.finish(
                &run.id,
                RunState::Failed,
                Some(&format!(
                    "the workflow `{}` is no longer in the project",
                    run.workflow
                )),
            );
            return;
        };
        let mut engine = Engine::new(&workflow, &*self.invoker);
        let responder = self.shared().responders.remove(&run.id);
        if let Some(responder) = responder {
            let once = Mutex::new(Some(responder));
            engine = engine.on_response(Arc::new(move |v: &Value| {
                if let Some(r) = once.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    r(v.clone());
                }
            }));
        }
        let span = connector_metrics::workflows::run_span(&run.workflow, &run.id, None);
        let _in_span = span.enter();
        connector_metrics::workflows::run_started(&run.workflow);
        let result = engine.run(&run.id, run.trigger_outputs.clone(), &*self.store);
        // Counted per process: a resumed run's actions that finished before
        // the restart are counted again here.
        let status = match &result {
            Ok(record) => record.status.as_str().to_ascii_lowercase(),
            Err(_) => "interrupted".to_string(),
        };
        connector_metrics::workflows::run_finished(&run.workflow, &status);
        match result {
            Ok(record) => {
                for a in &record.actions {
                    connector_metrics::workflows::record_action(
                        &run.workflow,
                        &a.name,
                        &a.status.as_str().to_ascii_lowercase(),
                        Duration::from_millis(a.duration_ms.unwrap_or(0)),
                        a.attempts.len().max(1) as u32,
                    );
                }
                tracing::info!("run {} of {} ended {}", run.id, run.workflow, record.status)
            }
            Err(e) => {
                // Not finished: it stays `Running` and is resumed; not at once, so that a
                // full disk does not spin.
                tracing::error!("run {} of {} stopped: {e}", run.id, run.workflow);
                self.shared()
                    .backoff
                    .insert(run.id.clone(), Instant::now() + Duration::from_secs(5));
            }
        }
    }
}
