//! The actions that hold actions: `If`, `Switch`, `Scope`, `Foreach` (its iterations run
//! concurrently, up to its `concurrency`) and `Until`. What each chose (the branch, the case,
//! the item list, whether an iteration ended the loop) is journaled before it is acted on, so a
//! resumed run chooses the same even when the expression reads the clock or `guid()`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use super::condition;
use super::outcome::Outcome;
use super::rules::worse;
use super::runner::Runner;
use super::state::Frame;
use crate::definition::{Action, ActionBody, RunStatus};
use crate::expr::call_function;

/// Logic Apps' limit on the items of one `Foreach`.
pub(crate) const MAX_FOREACH_ITEMS: usize = 100_000;

/// Logic Apps' default degree of parallelism of a `Foreach`.
const DEFAULT_CONCURRENCY: usize = 20;

impl<'w> Runner<'_, 'w> {
    pub(super) fn container(
        &self,
        a: &'w Action,
        frame: &Frame,
        key: &str,
    ) -> Result<Outcome, Outcome> {
        let fail =
            |code: &str, msg: String| Err(Outcome::failed(code, format!("`{}`: {msg}", a.name)));
        match &a.body {
            ActionBody::If {
                condition,
                actions,
                else_actions,
            } => {
                let d = self.decide(key, || {
                    condition::eval(condition, &self.view(frame))
                        .map(|holds| json!({ "branch": if holds { "actions" } else { "else" } }))
                        .map_err(|m| {
                            Outcome::failed(
                                "ExpressionError",
                                format!("`{}`: expression: {m}", a.name),
                            )
                        })
                })?;
                let holds = d["branch"] == "actions";
                let group = if holds { actions } else { else_actions };
                let status = self.run_group(group, frame);
                self.set_result(a, &group.iter().collect::<Vec<_>>(), frame, &frame.path);
                Ok(Outcome::with_status(
                    status,
                    Some(json!({ "expressionResult": holds })),
                ))
            }
            ActionBody::Switch { on, cases, default } => {
                let d = self.decide(key, || {
                    let value = self.eval(a, frame, on, "expression")?;
                    let case = cases.iter().find(|c| {
                        call_function(
                            "equals",
                            &[c.value.clone(), value.clone()],
                            &self.view(frame),
                        ) == Ok(json!(true))
                    });
                    Ok(json!({ "expressionValue": value, "case": case.map(|c| c.name.clone()) }))
                })?;
                let case = cases
                    .iter()
                    .find(|c| Some(c.name.as_str()) == d["case"].as_str());
                let group = case.map_or(default.as_slice(), |c| c.actions.as_slice());
                let status = self.run_group(group, frame);
                self.set_result(a, &group.iter().collect::<Vec<_>>(), frame, &frame.path);
                Ok(Outcome::with_status(status, Some(d)))
            }
            ActionBody::Scope { actions } => {
                let inputs = self.inputs(a, frame)?;
                if !self.replay.started.contains_key(key) && !self.start_attempt(key, 1, None) {
                    return Err(Outcome::stopped());
                }
                let status = self.run_group(actions, frame);
                self.set_result(a, &actions.iter().collect::<Vec<_>>(), frame, &frame.path);
                Ok(Outcome::with_status(status, inputs))
            }
            ActionBody::Foreach {
                items,
                actions,
                concurrency,
            } => {
                let d = self.decide(key, || match self.eval(a, frame, items, "foreach")? {
                    Value::Array(v) if v.len() <= MAX_FOREACH_ITEMS => Ok(json!({ "items": v })),
                    Value::Array(v) => Err(Outcome::failed(
                        "InvalidForeach",
                        format!(
                            "`{}`: {} items is more than {MAX_FOREACH_ITEMS}",
                            a.name,
                            v.len()
                        ),
                    )),
                    Value::Null => Ok(json!({ "items": [] })),
                    other => Err(Outcome::failed(
                        "InvalidForeach",
                        format!("`{}`: `foreach` must be an array, got {other}", a.name),
                    )),
                })?;
                let list = d["items"].as_array().cloned().unwrap_or_default();
                let n = concurrency.map_or(DEFAULT_CONCURRENCY, |c| c as usize);
                let worst = self.iterations(a, actions, frame, &list, n);
                let last = frame.iteration(&a.name, Value::Null, list.len().saturating_sub(1));
                self.set_result(a, &actions.iter().collect::<Vec<_>>(), frame, &last.path);
                Ok(Outcome::with_status(
                    worst,
                    Some(json!({ "count": list.len() })),
                ))
            }
            ActionBody::Until {
                condition,
                count,
                timeout,
                actions,
            } => {
                if !self.replay.started.contains_key(key) && !self.start_attempt(key, 1, None) {
                    return Err(Outcome::stopped());
                }
                let deadline = Instant::now() + *timeout;
                let mut status = RunStatus::Succeeded;
                let mut iterations = 0usize;
                let mut last_path = frame.path.clone();
                for i in 0..*count as usize {
                    if self.lock().terminated.is_some() || self.stopped() {
                        break;
                    }
                    let it = frame.iteration(&a.name, Value::Null, i);
                    let done_key = it.step_key("@until");
                    if !self.replay.decisions.contains_key(&done_key) && Instant::now() >= deadline
                    {
                        status = RunStatus::TimedOut;
                        break;
                    }
                    iterations = i + 1;
                    let st = self.run_group(actions, &it);
                    last_path = it.path.clone();
                    status = worse(RunStatus::Succeeded, st);
                    let d = self.decide(&done_key, || {
                        condition::eval(condition, &self.view(&it))
                            .map(|b| json!({ "done": b }))
                            .map_err(|m| {
                                Outcome::failed(
                                    "ExpressionError",
                                    format!("`{}`: expression: {m}", a.name),
                                )
                            })
                    })?;
                    if d["done"] == true || status != RunStatus::Succeeded {
                        break;
                    }
                }
                self.set_result(a, &actions.iter().collect::<Vec<_>>(), frame, &last_path);
                Ok(Outcome::with_status(
                    status,
                    Some(json!({ "iterations": iterations })),
                ))
            }
            _ => fail("NotSupported", "not a container".into()),
        }
    }

    /// Runs the loop body once per item, `n` at a time, and returns the worst status.
    fn iterations(
        &self,
        a: &'w Action,
        actions: &'w [Action],
        frame: &Frame,
        list: &[Value],
        n: usize,
    ) -> RunStatus {
        let one = |i: usize| {
            let it = frame.iteration(&a.name, list[i].clone(), i);
            self.run_group(actions, &it)
        };
        let go_on = || self.lock().terminated.is_none() && !self.stopped();
        let n = n.clamp(1, list.len().max(1));
        if n == 1 {
            let mut worst = RunStatus::Succeeded;
            for i in 0..list.len() {
                if !go_on() {
                    break;
                }
                worst = worse(worst, one(i));
            }
            return worst;
        }
        let next = AtomicUsize::new(0);
        let worst = Mutex::new(RunStatus::Succeeded);
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= list.len() || !go_on() {
                            break;
                        }
                        let st = one(i);
                        let mut w = worst.lock().unwrap_or_else(|e| e.into_inner());
                        *w = worse(*w, st);
                    }
                });
            }
        });
        worst.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}
