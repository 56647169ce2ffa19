//! Scheduling by runAfter, and running each action type.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Map, Value, json};

mod select;

use super::condition;
use super::record::{ActionError, ActionRecord, RunRecord};
use super::rules::{coerce, group_status, worse};
use super::state::RunState;
use super::{CallContext, Invoker};
use crate::definition::{Action, ActionBody, ActionType, RunStatus, WorkflowFile};
use crate::expr::{CompiledValue, call_function};

/// Logic Apps' limit on the items of one `Foreach`.
const MAX_FOREACH_ITEMS: usize = 100_000;

/// Runs workflows of one definition.
pub struct Engine<'w> {
    workflow: &'w WorkflowFile,
    invoker: &'w dyn Invoker,
    parameters: HashMap<String, Value>,
}

impl<'w> Engine<'w> {
    /// An engine for `workflow` whose connector calls go to `invoker`; parameters start at
    /// their `defaultValue`.
    pub fn new(workflow: &'w WorkflowFile, invoker: &'w dyn Invoker) -> Self {
        let parameters = workflow
            .workflow
            .definition
            .parameters
            .iter()
            .filter_map(|(k, p)| p.default_value.clone().map(|v| (k.clone(), v)))
            .collect();
        Engine {
            workflow,
            invoker,
            parameters,
        }
    }

    /// Sets a workflow parameter's value.
    pub fn with_parameter(mut self, name: &str, value: Value) -> Self {
        self.parameters.insert(name.to_owned(), value);
        self
    }

    /// Runs the workflow once for a trigger event whose outputs are `trigger_outputs`
    /// (`{"headers": {..}, "body": ..}`).
    pub fn run(&self, run_id: &str, trigger_outputs: Value) -> RunRecord {
        let mut r = Runner {
            engine: self,
            run_id,
            state: RunState::new(
                trigger_outputs,
                self.parameters.clone(),
                &self.workflow.name,
                run_id,
            ),
            records: Vec::new(),
            path: Vec::new(),
            terminated: None,
        };
        let mut status = r.run_group(&self.workflow.workflow.definition.actions);
        if let Some((_, asked)) = &r.terminated {
            status = if asked.eq_ignore_ascii_case("Succeeded") {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
        }
        let variables: Map<String, Value> = r
            .state
            .variables
            .into_iter()
            .map(|(k, (_, v))| (k, v))
            .collect();
        RunRecord {
            run_id: run_id.to_owned(),
            status,
            terminated: r.terminated,
            actions: r.records,
            variables,
        }
    }
}

struct Runner<'e, 'w> {
    engine: &'e Engine<'w>,
    run_id: &'e str,
    state: RunState,
    records: Vec<ActionRecord>,
    path: Vec<String>,
    terminated: Option<(String, String)>,
}

/// How an action ended: status, outputs or error.
struct Outcome {
    status: RunStatus,
    inputs: Option<Value>,
    outputs: Option<Value>,
    error: Option<ActionError>,
}

impl Outcome {
    fn ok(inputs: Option<Value>, outputs: Option<Value>) -> Self {
        Outcome {
            status: RunStatus::Succeeded,
            inputs,
            outputs,
            error: None,
        }
    }
    fn failed(code: &str, message: impl Into<String>) -> Self {
        Outcome {
            status: RunStatus::Failed,
            inputs: None,
            outputs: None,
            error: Some(ActionError {
                code: code.into(),
                message: message.into(),
            }),
        }
    }
    fn with_inputs(mut self, inputs: Option<Value>) -> Self {
        self.inputs = inputs;
        self
    }
}

fn status_list(statuses: &[RunStatus]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'e, 'w> Runner<'e, 'w> {
    /// Runs a group of sibling actions in runAfter order and returns the group's status.
    fn run_group(&mut self, group: &'w [Action]) -> RunStatus {
        let mut done: HashMap<&'w str, RunStatus> = HashMap::new();
        let mut pending: Vec<&'w Action> = group.iter().collect();
        // Each pass ends one action, so the loop is bounded by the group's size.
        for _ in 0..group.len() {
            let Some(i) = pending.iter().position(|a| {
                a.run_after
                    .iter()
                    .all(|ra| done.contains_key(ra.action.as_str()))
            }) else {
                break;
            };
            let a = pending.remove(i);
            let reason = if let Some((by, _)) = &self.terminated {
                Some(format!("skipped because the run was terminated by `{by}`"))
            } else {
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
            };
            let status = match reason {
                Some(reason) => self.finish(
                    a,
                    Outcome {
                        status: RunStatus::Skipped,
                        inputs: None,
                        outputs: None,
                        error: None,
                    },
                    Some(reason),
                ),
                None => {
                    let outcome = self.run_action(a);
                    self.finish(a, outcome, None)
                }
            };
            done.insert(a.name.as_str(), status);
        }
        // Only an unvalidated definition (runAfter naming a missing action, a cycle) leaves
        // actions here; they are reported, not silently dropped.
        for a in pending {
            let o = Outcome::failed(
                "InvalidRunAfter",
                "its runAfter can never be satisfied (a missing action or a cycle)",
            );
            let st = self.finish(a, o, None);
            done.insert(a.name.as_str(), st);
        }
        group_status(group, &done)
    }

    fn finish(&mut self, a: &Action, o: Outcome, skipped_because: Option<String>) -> RunStatus {
        let object = json!({
            "name": a.name,
            "status": o.status.as_str(),
            "inputs": o.inputs.clone().unwrap_or(Value::Null),
            "outputs": o.outputs.clone().unwrap_or(Value::Null),
            "error": o.error.as_ref().map(|e| json!({"code": e.code, "message": e.message})).unwrap_or(Value::Null),
        });
        self.state.actions.insert(a.name.clone(), object);
        self.records.push(ActionRecord {
            name: a.name.clone(),
            path: self.path.clone(),
            status: o.status,
            inputs: o.inputs,
            outputs: o.outputs,
            error: o.error,
            skipped_because,
        });
        o.status
    }

    fn eval(&self, a: &Action, v: &CompiledValue, what: &str) -> Result<Value, Outcome> {
        v.eval(&self.state).map_err(|e| {
            let at = if e.pointer.is_empty() {
                what.to_owned()
            } else {
                format!("{what}{}", e.pointer)
            };
            Outcome::failed(
                "ExpressionError",
                format!("`{}`, {at}: {}", a.name, e.error),
            )
        })
    }

    fn run_action(&mut self, a: &'w Action) -> Outcome {
        match self.try_run(a) {
            Ok(o) | Err(o) => o,
        }
    }

    fn try_run(&mut self, a: &'w Action) -> Result<Outcome, Outcome> {
        if matches!(a.action_type, ActionType::Query | ActionType::Select) {
            return self.query_or_select(a);
        }
        let inputs = match a.inputs {
            CompiledValue::Constant(Value::Null) => None,
            ref v => Some(self.eval(a, v, "inputs")?),
        };
        let fail = |code: &str, msg: String| {
            Err(Outcome::failed(code, format!("`{}`: {msg}", a.name)).with_inputs(inputs.clone()))
        };
        Ok(match &a.body {
            ActionBody::Plain if a.action_type == ActionType::Compose => {
                Outcome::ok(inputs.clone(), inputs)
            }
            ActionBody::Plain if a.action_type == ActionType::ParseJson => {
                let content = inputs
                    .as_ref()
                    .and_then(|i| i.get("content"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let parsed = match content {
                    Value::String(text) => match serde_json::from_str::<Value>(&text) {
                        Ok(v) => v,
                        Err(e) => {
                            return fail("InvalidJSON", format!("`content` is not JSON: {e}"));
                        }
                    },
                    other => other,
                };
                Outcome::ok(inputs, Some(json!({ "body": parsed })))
            }
            ActionBody::Plain if a.action_type == ActionType::Terminate => {
                let asked = inputs
                    .as_ref()
                    .and_then(|i| i.get("runStatus"))
                    .and_then(Value::as_str)
                    .unwrap_or("Failed")
                    .to_owned();
                self.terminated = Some((a.name.clone(), asked));
                Outcome::ok(inputs, None)
            }
            ActionBody::Plain => {
                return fail(
                    "NotSupported",
                    format!(
                        "the action type {} is not run by this engine yet",
                        a.action_type.as_str()
                    ),
                );
            }
            ActionBody::InitializeVariable(decls) => {
                for d in decls {
                    let value = self.eval(a, &d.value, "inputs/variables/value")?;
                    let value = match coerce(&d.type_name, value) {
                        Ok(v) => v,
                        Err(m) => {
                            return fail(
                                "InvalidVariable",
                                format!("the variable `{}`: {m}", d.name),
                            );
                        }
                    };
                    if self.state.variables.contains_key(&d.name) {
                        return fail(
                            "InvalidVariable",
                            format!("the variable `{}` is already initialized", d.name),
                        );
                    }
                    self.state
                        .variables
                        .insert(d.name.clone(), (d.type_name.clone(), value));
                }
                Outcome::ok(inputs, None)
            }
            ActionBody::Variable(name) => {
                let Some((type_name, current)) = self.state.variables.get(name).cloned() else {
                    return fail(
                        "InvalidVariable",
                        format!("the variable `{name}` is not initialized"),
                    );
                };
                let given = inputs.as_ref().and_then(|i| i.get("value")).cloned();
                let new = match a.action_type {
                    ActionType::SetVariable => coerce(&type_name, given.unwrap_or(Value::Null)),
                    ActionType::IncrementVariable | ActionType::DecrementVariable => {
                        let by = given.unwrap_or(json!(1));
                        let by = if a.action_type == ActionType::DecrementVariable {
                            call_function("mul", &[by, json!(-1)], &self.state)
                        } else {
                            Ok(by)
                        };
                        by.and_then(|by| call_function("add", &[current, by], &self.state))
                    }
                    ActionType::AppendToArrayVariable => match current {
                        Value::Array(mut items) => {
                            items.push(given.unwrap_or(Value::Null));
                            Ok(Value::Array(items))
                        }
                        _ => Err(format!("`{name}` is not an Array variable")),
                    },
                    _ => match current {
                        Value::String(s) => {
                            call_function("string", &[given.unwrap_or(Value::Null)], &self.state)
                                .map(|t| {
                                    Value::String(format!("{s}{}", t.as_str().unwrap_or_default()))
                                })
                        }
                        _ => Err(format!("`{name}` is not a String variable")),
                    },
                };
                match new {
                    Ok(v) => {
                        self.state
                            .variables
                            .insert(name.clone(), (type_name, v.clone()));
                        Outcome::ok(
                            inputs,
                            Some(json!({ "body": { "name": name, "value": v } })),
                        )
                    }
                    Err(m) => return fail("InvalidVariable", m),
                }
            }
            ActionBody::If {
                condition,
                actions,
                else_actions,
            } => {
                let holds = match condition::eval(condition, &self.state) {
                    Ok(b) => b,
                    Err(m) => return fail("ExpressionError", format!("expression: {m}")),
                };
                let status = self.run_container(a, if holds { actions } else { else_actions });
                Outcome {
                    status,
                    inputs: Some(json!({ "expressionResult": holds })),
                    outputs: None,
                    error: None,
                }
            }
            ActionBody::Switch { on, cases, default } => {
                let value = self.eval(a, on, "expression")?;
                let case = cases.iter().find(|c| {
                    call_function("equals", &[c.value.clone(), value.clone()], &self.state)
                        == Ok(json!(true))
                });
                let status = self
                    .run_container(a, case.map_or(default.as_slice(), |c| c.actions.as_slice()));
                Outcome {
                    status,
                    inputs: Some(
                        json!({ "expressionValue": value, "case": case.map(|c| c.name.clone()) }),
                    ),
                    outputs: None,
                    error: None,
                }
            }
            ActionBody::Scope { actions } => {
                let status = self.run_container(a, actions);
                Outcome {
                    status,
                    inputs,
                    outputs: None,
                    error: None,
                }
            }
            ActionBody::Foreach { items, actions, .. } => {
                let items = match self.eval(a, items, "foreach")? {
                    Value::Array(v) if v.len() <= MAX_FOREACH_ITEMS => v,
                    Value::Array(v) => {
                        return fail(
                            "InvalidForeach",
                            format!("{} items is more than {MAX_FOREACH_ITEMS}", v.len()),
                        );
                    }
                    Value::Null => Vec::new(),
                    other => {
                        return fail(
                            "InvalidForeach",
                            format!("`foreach` must be an array, got {other}"),
                        );
                    }
                };
                let mut worst = RunStatus::Succeeded;
                for (i, item) in items.iter().enumerate() {
                    if self.terminated.is_some() {
                        break;
                    }
                    self.state.loops.push(&a.name, item.clone(), i as i64);
                    self.path.push(format!("{}[{i}]", a.name));
                    let st = self.run_group(actions);
                    self.path.pop();
                    self.state.loops.pop();
                    worst = worse(worst, st);
                }
                self.set_result(a, actions);
                Outcome {
                    status: worst,
                    inputs: Some(json!({ "count": items.len() })),
                    outputs: None,
                    error: None,
                }
            }
            ActionBody::Until {
                condition,
                count,
                timeout,
                actions,
            } => {
                let deadline = Instant::now() + *timeout;
                let mut status = RunStatus::Succeeded;
                let mut iterations = 0;
                for i in 0..*count {
                    if self.terminated.is_some() {
                        break;
                    }
                    if Instant::now() >= deadline {
                        status = RunStatus::TimedOut;
                        break;
                    }
                    iterations = i + 1;
                    self.state.loops.push(&a.name, Value::Null, i as i64);
                    self.path.push(format!("{}[{i}]", a.name));
                    let st = self.run_group(actions);
                    let done = condition::eval(condition, &self.state);
                    self.path.pop();
                    self.state.loops.pop();
                    status = worse(RunStatus::Succeeded, st);
                    match done {
                        Ok(true) => break,
                        Ok(false) if status == RunStatus::Succeeded => {}
                        Ok(false) => break,
                        Err(m) => return fail("ExpressionError", format!("expression: {m}")),
                    }
                }
                self.set_result(a, actions);
                Outcome {
                    status,
                    inputs: Some(json!({ "iterations": iterations })),
                    outputs: None,
                    error: None,
                }
            }
            ActionBody::ServiceProvider(call) => {
                let parameters = inputs
                    .as_ref()
                    .and_then(|i| i.get("parameters"))
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                let step = if self.path.is_empty() {
                    a.name.clone()
                } else {
                    format!("{}/{}", self.path.join("/"), a.name)
                };
                let context = CallContext {
                    run_id: self.run_id.to_owned(),
                    idempotency_key: format!("{}/{step}", self.run_id),
                    step,
                    attempt: 1,
                };
                match self.engine.invoker.invoke(call, &parameters, &context) {
                    Ok(body) => Outcome::ok(inputs, Some(json!({ "body": body }))),
                    Err(e) => {
                        let msg = format!(
                            "{} {}: {}",
                            call.service_provider_id, call.operation_id, e.message
                        );
                        return Err(Outcome::failed(&e.kind, msg).with_inputs(inputs));
                    }
                }
            }
        })
    }

    fn run_container(&mut self, a: &Action, group: &'w [Action]) -> RunStatus {
        let st = self.run_group(group);
        self.set_result(a, group);
        st
    }

    /// `result('A')`: the objects of the container's top-level actions that ran, in the order
    /// they ended.
    fn set_result(&mut self, a: &Action, group: &[Action]) {
        let ended = |name: &str| self.records.iter().rposition(|r| r.name == name);
        let mut order: Vec<(usize, &str)> = group
            .iter()
            .filter_map(|x| ended(&x.name).map(|i| (i, x.name.as_str())))
            .collect();
        order.sort_unstable();
        let results: Vec<Value> = order
            .iter()
            .filter_map(|(_, n)| self.state.actions.get(*n).cloned())
            .collect();
        self.state
            .results
            .insert(a.name.clone(), Value::Array(results));
    }
}
