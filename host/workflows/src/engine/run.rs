//! [`Engine`]: runs, and resumes, runs of one workflow definition.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::journal::{JournalEntry, JournalError, RunJournal};
use super::record::{ActionRecord, RunRecord};
use super::replay::Replay;
use super::runner::{Runner, Stop, now_rfc3339};
use super::state::Frame;
use super::{Invoker, order};
use crate::definition::{Action, ActionType, RunStatus, WorkflowFile};

/// Where `Response` answers go (see [`Engine::on_response`]).
pub type ResponseSink = Arc<dyn Fn(&Value) + Send + Sync>;

/// Runs workflows of one definition. It is `Sync`: one engine serves many runs at once.
pub struct Engine<'w> {
    pub(super) workflow: &'w WorkflowFile,
    pub(super) invoker: &'w dyn Invoker,
    pub(super) parameters: HashMap<String, Value>,
    pub(super) on_response: Option<ResponseSink>,
    /// Each action's place in the record order.
    pub(super) ranks: HashMap<String, u64>,
    /// Each action by name (names are unique in a workflow), for replaying records.
    types: HashMap<String, ActionType>,
}

fn index(group: &[Action], out: &mut HashMap<String, ActionType>) {
    for a in group {
        out.insert(a.name.clone(), a.action_type);
        for c in a.children() {
            index(c, out);
        }
    }
}

impl<'w> Engine<'w> {
    /// An engine for `workflow` whose connector calls go to `invoker`; parameters start at
    /// their `defaultValue`.
    pub fn new(workflow: &'w WorkflowFile, invoker: &'w dyn Invoker) -> Self {
        let definition = &workflow.workflow.definition;
        let parameters = definition
            .parameters
            .iter()
            .filter_map(|(k, p)| p.default_value.clone().map(|v| (k.clone(), v)))
            .collect();
        let mut types = HashMap::new();
        index(&definition.actions, &mut types);
        Engine {
            workflow,
            invoker,
            parameters,
            on_response: None,
            ranks: order::ranks(&definition.actions),
            types,
        }
    }

    /// Sets a workflow parameter's value.
    pub fn with_parameter(mut self, name: &str, value: Value) -> Self {
        self.parameters.insert(name.to_owned(), value);
        self
    }

    /// Where a `Response` action's answer goes: `f` is called once per `Response` with
    /// `{"statusCode": n, "headers": {..}, "body": ..}` (a `Request` trigger's HTTP answer);
    /// the run then goes on. Without it, a `Response` only records its outputs.
    pub fn on_response(mut self, f: Arc<dyn Fn(&Value) + Send + Sync>) -> Self {
        self.on_response = Some(f);
        self
    }

    /// Runs the workflow once for a trigger event whose outputs are `trigger_outputs`
    /// (`{"headers": {..}, "body": ..}`), journaling each step in `journal` as it happens.
    ///
    /// A run whose journal already holds entries is resumed from them (`trigger_outputs` is
    /// then ignored in favour of the journaled ones): finished steps are not run again, their
    /// records rebuild the run's state; a step that was started but not finished runs again
    /// with the next attempt number and the same idempotency key; a finished run returns its
    /// record. An `Err` means the journal failed: the run stops there, nothing after the last
    /// good append counts, and it is resumed later from what was journaled.
    pub fn run(
        &self,
        run_id: &str,
        trigger_outputs: Value,
        journal: &dyn RunJournal,
    ) -> Result<RunRecord, JournalError> {
        let replay = Replay::read(journal.entries(run_id)?);
        let trigger_outputs = match &replay.trigger_outputs {
            Some(t) => t.clone(),
            None => {
                journal.append(
                    run_id,
                    &JournalEntry::RunStarted {
                        workflow: self.workflow.name.clone(),
                        trigger_outputs: trigger_outputs.clone(),
                        at: now_rfc3339(),
                    },
                )?;
                trigger_outputs
            }
        };
        let runner = Runner::new(self, run_id, journal, replay, trigger_outputs);
        self.restore_variables(&runner);
        if let Some((status, terminated)) = runner.replay.run_finished.clone() {
            let mut actions = std::mem::take(&mut runner.lock().records);
            self.sort(&mut actions);
            return Ok(self.record(&runner, run_id, status, terminated, actions));
        }
        let status = runner.run_group(
            &self.workflow.workflow.definition.actions,
            &Frame::default(),
        );
        let terminated = runner.lock().terminated.clone();
        let status = match runner.take_stop() {
            Some(Stop::Journal(e)) => return Err(e),
            Some(Stop::Cancelled) => RunStatus::Cancelled,
            // The panic itself reached the caller through the thread scope.
            Some(Stop::Panicked) => RunStatus::Failed,
            None => match &terminated {
                Some((_, asked)) if asked.eq_ignore_ascii_case("Succeeded") => RunStatus::Succeeded,
                Some((_, asked)) if asked.eq_ignore_ascii_case("Cancelled") => RunStatus::Cancelled,
                Some(_) => RunStatus::Failed,
                None => status,
            },
        };
        journal.append(
            run_id,
            &JournalEntry::RunFinished {
                status,
                terminated: terminated.clone(),
                at: now_rfc3339(),
            },
        )?;
        let mut actions = std::mem::take(&mut runner.lock().records);
        self.sort(&mut actions);
        Ok(self.record(&runner, run_id, status, terminated, actions))
    }

    fn sort(&self, actions: &mut [ActionRecord]) {
        actions.sort_by_cached_key(|r| order::key(&self.ranks, r));
    }

    fn record(
        &self,
        runner: &Runner<'_, '_>,
        run_id: &str,
        status: RunStatus,
        terminated: Option<(String, String)>,
        actions: Vec<ActionRecord>,
    ) -> RunRecord {
        let variables: Map<String, Value> = runner
            .lock()
            .variables
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        RunRecord {
            run_id: run_id.to_owned(),
            status,
            terminated,
            actions,
            variables,
        }
    }

    /// A resumed run's records and latest action results, its variables from the journaled records of the variable actions in the
    /// order they were journaled (their outputs hold the values they set), and the
    /// `Terminate` that ended it, if one had run.
    fn restore_variables(&self, runner: &Runner<'_, '_>) {
        let mut shared = runner.lock();
        for key in &runner.replay.finished_order {
            let rec = &runner.replay.finished[key];
            shared.records.push(rec.clone());
            shared
                .actions
                .insert(rec.name.clone(), super::runner::object_of(rec));
            let body = rec.outputs.as_ref().and_then(|o| o.get("body"));
            match (self.types.get(&rec.name), body) {
                (Some(ActionType::InitializeVariable), Some(b)) => {
                    for v in b["variables"].as_array().into_iter().flatten() {
                        if let (Some(n), Some(t)) = (v["name"].as_str(), v["type"].as_str()) {
                            shared
                                .variables
                                .insert(n.to_owned(), (t.to_owned(), v["value"].clone()));
                        }
                    }
                }
                (Some(t), Some(b)) if variable_action(*t) && rec.status == RunStatus::Succeeded => {
                    if let (Some(n), Some(v)) = (b["name"].as_str(), b.get("value"))
                        && let Some(entry) = shared.variables.get_mut(n)
                    {
                        entry.1 = v.clone();
                    }
                }
                (Some(ActionType::Terminate), _)
                    if rec.status == RunStatus::Succeeded && shared.terminated.is_none() =>
                {
                    let asked = rec
                        .inputs
                        .as_ref()
                        .and_then(|i| i["runStatus"].as_str())
                        .unwrap_or("Failed");
                    shared.terminated = Some((rec.name.clone(), asked.to_owned()));
                }
                _ => {}
            }
        }
    }
}

fn variable_action(t: ActionType) -> bool {
    matches!(
        t,
        ActionType::SetVariable
            | ActionType::IncrementVariable
            | ActionType::DecrementVariable
            | ActionType::AppendToArrayVariable
            | ActionType::AppendToStringVariable
    )
}
