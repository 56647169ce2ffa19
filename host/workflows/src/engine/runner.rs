//! One run in progress: its shared state, the journal it appends to, and the scheduler that
//! runs a group of sibling actions by runAfter, starting every action whose runAfter is
//! satisfied at once (on threads of its own when more than one is ready).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Instant;

use serde_json::{Value, json};

use super::journal::{JournalEntry, JournalError, RunJournal};
use super::outcome::{Outcome, status_list};
use super::record::ActionRecord;
use super::replay::Replay;
use super::run::Engine;
use super::secure;
use super::state::{Frame, Shared, View};
use crate::definition::{Action, RunStatus};

/// Why a run stopped before its end.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    /// An append failed: nothing after the last good append counts.
    Journal(JournalError),
    /// `runs cancel` asked for it.
    Cancelled,
    /// The invoker panicked on another thread (the panic is raised again to the caller).
    Panicked,
}

/// A run in progress.
pub(crate) struct Runner<'e, 'w> {
    pub engine: &'e Engine<'w>,
    pub run_id: &'e str,
    pub journal: &'e dyn RunJournal,
    pub replay: Replay,
    pub trigger: Value,
    pub workflow: Value,
    pub shared: Mutex<Shared>,
    stop: Mutex<Option<Stop>>,
    stopped: AtomicBool,
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl<'e, 'w> Runner<'e, 'w> {
    pub fn new(
        engine: &'e Engine<'w>,
        run_id: &'e str,
        journal: &'e dyn RunJournal,
        replay: Replay,
        trigger_outputs: Value,
    ) -> Self {
        Runner {
            trigger: json!({ "name": "trigger", "status": "Succeeded", "outputs": trigger_outputs }),
            workflow: json!({ "name": engine.workflow.name, "type": "workflow", "run": { "name": run_id, "type": "run" } }),
            engine,
            run_id,
            journal,
            replay,
            shared: Mutex::default(),
            stop: Mutex::new(None),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The scope `frame`'s expressions see.
    pub fn view<'a>(&'a self, frame: &'a Frame) -> View<'a> {
        View {
            shared: &self.shared,
            frame,
            trigger: &self.trigger,
            parameters: &self.engine.parameters,
            workflow: &self.workflow,
        }
    }

    /// Whether the run is stopping; checks for cancellation too.
    pub fn stopped(&self) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return true;
        }
        if self.journal.cancelled(self.run_id) {
            self.set_stop(Stop::Cancelled);
            return true;
        }
        false
    }

    /// Whether the run is stopping, without asking the journal (which may be a database).
    pub fn halted(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    pub fn set_stop(&self, s: Stop) {
        let mut stop = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        if stop.is_none() {
            *stop = Some(s);
        }
        self.stopped.store(true, Ordering::Release);
    }

    pub fn take_stop(&self) -> Option<Stop> {
        self.stop.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Appends to the journal; a failure stops the run (and is reported by `run`).
    pub fn append(&self, entry: &JournalEntry) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return false;
        }
        match self.journal.append(self.run_id, entry) {
            Ok(()) => true,
            Err(e) => {
                self.set_stop(Stop::Journal(e));
                false
            }
        }
    }

    /// Journals that `attempt` of `step` begins, with the decision it made if any.
    pub fn start_attempt(&self, step: &str, attempt: u32, decision: Option<Value>) -> bool {
        self.append(&JournalEntry::StepStarted {
            step: step.to_owned(),
            attempt,
            at: now_rfc3339(),
            decision,
        })
    }

    /// A decision of `step`: the journaled one on resume, else `compute`d and journaled
    /// (with the step's first `StepStarted`) before it is acted on.
    pub fn decide(
        &self,
        step: &str,
        compute: impl FnOnce() -> Result<Value, Outcome>,
    ) -> Result<Value, Outcome> {
        if let Some(d) = self.replay.decisions.get(step) {
            return Ok(d.clone());
        }
        let d = compute()?;
        if self.start_attempt(step, 1, Some(d.clone())) {
            Ok(d)
        } else {
            Err(Outcome::stopped())
        }
    }

    /// Runs a group of sibling actions by runAfter and returns the group's status.
    pub fn run_group(&self, group: &'w [Action], frame: &Frame) -> RunStatus {
        let mut done: HashMap<&'w str, RunStatus> = HashMap::new();
        let mut pending: Vec<&'w Action> = group.iter().collect();
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel::<(&'w str, RunStatus)>();
            let mut running = 0usize;
            loop {
                let mut ready = Vec::new();
                // Cancellation is read by each step before it starts; here the flag is enough.
                if !self.halted() {
                    let mut i = 0;
                    while i < pending.len() {
                        let satisfied = pending[i]
                            .run_after
                            .iter()
                            .all(|ra| done.contains_key(ra.action.as_str()));
                        if satisfied {
                            ready.push(pending.remove(i));
                        } else {
                            i += 1;
                        }
                    }
                }
                if ready.len() == 1 && running == 0 {
                    // The common sequential case: no thread.
                    let a = ready[0];
                    let reason = self.skip_reason(a, &done);
                    let st = self.step(a, frame, reason);
                    done.insert(a.name.as_str(), st);
                    continue;
                }
                for a in ready {
                    let reason = self.skip_reason(a, &done);
                    let tx = tx.clone();
                    let frame = frame.clone();
                    running += 1;
                    s.spawn(move || {
                        let r = catch_unwind(AssertUnwindSafe(|| self.step(a, &frame, reason)));
                        let st = r.as_ref().copied().unwrap_or(RunStatus::Failed);
                        if r.is_err() {
                            self.set_stop(Stop::Panicked);
                        }
                        let _ = tx.send((a.name.as_str(), st));
                        if let Err(p) = r {
                            resume_unwind(p);
                        }
                    });
                }
                if running == 0 {
                    break;
                }
                let Ok((name, st)) = rx.recv() else { break };
                running -= 1;
                done.insert(name, st);
            }
        });
        if !self.halted() {
            // Only an unvalidated definition (runAfter naming a missing action, a cycle)
            // leaves actions here; they are reported, not silently dropped.
            for a in pending {
                let key = frame.step_key(&a.name);
                let o = Outcome::failed(
                    "InvalidRunAfter",
                    "its runAfter can never be satisfied (a missing action or a cycle)",
                );
                let st = self.finish(a, frame, &key, o, None, None);
                done.insert(a.name.as_str(), st);
            }
        }
        super::rules::group_status(group, &done)
    }

    fn skip_reason(&self, a: &Action, done: &HashMap<&str, RunStatus>) -> Option<String> {
        if let Some((by, _)) = &self.lock().terminated {
            return Some(format!("skipped because the run was terminated by `{by}`"));
        }
        a.run_after.iter().find_map(|ra| {
            let st = done[ra.action.as_str()];
            (!ra.statuses.contains(&st)).then(|| {
                format!(
                    "skipped because `{}` was `{st}` and runAfter asks for [{}]",
                    ra.action,
                    status_list(&ra.statuses)
                )
            })
        })
    }

    /// Runs (or, on resume, replays) one action at its place.
    fn step(&self, a: &'w Action, frame: &Frame, reason: Option<String>) -> RunStatus {
        let key = frame.step_key(&a.name);
        if let Some(rec) = self.replay.finished.get(&key) {
            // Finished before a resume: its record (and those of everything inside it) were
            // restored from the journal; only what expressions here read is set again.
            frame.set_action(&self.shared, &a.name, object_of(rec));
            if a.action_type.is_container() && rec.status != RunStatus::Skipped {
                let inputs = rec.inputs.as_ref();
                let n = inputs
                    .and_then(|i| i.get("count").or_else(|| i.get("iterations")))
                    .and_then(Value::as_u64);
                let inner = match n {
                    Some(n) => {
                        frame
                            .iteration(&a.name, Value::Null, n.saturating_sub(1) as usize)
                            .path
                    }
                    None => frame.path.clone(),
                };
                let children: Vec<&Action> = a.children().into_iter().flatten().collect();
                self.set_result(a, &children, frame, &inner);
            }
            return rec.status;
        }
        if self.stopped() {
            return RunStatus::Failed;
        }
        if let Some(reason) = reason {
            return self.finish(a, frame, &key, Outcome::skipped(), Some(reason), None);
        }
        let start = (now_rfc3339(), Instant::now());
        let outcome = self.run_action(a, frame, &key);
        self.finish(a, frame, &key, outcome, None, Some(start))
    }

    /// Ends a step: its record (redacted as `secureData` asks) is journaled, then counts.
    pub fn finish(
        &self,
        a: &Action,
        frame: &Frame,
        key: &str,
        o: Outcome,
        skipped_because: Option<String>,
        start: Option<(String, Instant)>,
    ) -> RunStatus {
        if self.halted() {
            return o.status;
        }
        let object = json!({
            "name": a.name,
            "status": o.status.as_str(),
            "inputs": o.inputs.clone().unwrap_or(Value::Null),
            "outputs": o.outputs.clone().unwrap_or(Value::Null),
            "error": o.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})).unwrap_or(Value::Null),
        });
        let mut record = ActionRecord {
            name: a.name.clone(),
            path: frame.path.clone(),
            status: o.status,
            inputs: o.inputs,
            outputs: o.outputs,
            error: o.error,
            skipped_because,
            duration_ms: start.as_ref().map(|(_, t)| t.elapsed().as_millis() as u64),
            start: start.map(|(s, _)| s),
            attempts: o.attempts,
        };
        secure::redact(a, &mut record);
        let entry = JournalEntry::StepFinished {
            step: key.to_owned(),
            record,
            at: now_rfc3339(),
        };
        if !self.append(&entry) {
            return o.status;
        }
        let JournalEntry::StepFinished { record, .. } = entry else {
            unreachable!("built above")
        };
        frame.set_action(&self.shared, &a.name, object);
        self.lock().records.push(record);
        o.status
    }

    /// `result('A')`: the objects of the container's top-level actions that ran at `inner`
    /// (the container's own place, or a loop's last iteration), in record order.
    pub fn set_result(&self, a: &Action, group: &[&Action], frame: &Frame, inner: &[String]) {
        let ranks = &self.engine.ranks;
        let mut found: Vec<(Vec<u64>, Value)> = {
            let shared = self.lock();
            shared
                .records
                .iter()
                .filter(|r| r.path == inner && group.iter().any(|x| x.name == r.name))
                .map(|r| (super::order::key(ranks, r), object_of(r)))
                .collect()
        };
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let results = found.into_iter().map(|(_, v)| v).collect();
        frame.set_result(&self.shared, &a.name, Value::Array(results));
    }
}

/// The result object expressions see for a record.
pub(crate) fn object_of(r: &ActionRecord) -> Value {
    json!({
        "name": r.name,
        "status": r.status.as_str(),
        "inputs": r.inputs.clone().unwrap_or(Value::Null),
        "outputs": r.outputs.clone().unwrap_or(Value::Null),
        "error": r.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})).unwrap_or(Value::Null),
    })
}
