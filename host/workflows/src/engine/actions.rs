//! Running one action by its type: the data and variable actions here, containers in
//! `containers.rs`, connector calls and `Wait` in `call.rs`.

use std::time::Instant;

use serde_json::{Value, json};

use super::outcome::Outcome;
use super::record::Attempt;
use super::rules::coerce;
use super::runner::{Runner, now_rfc3339};
use super::state::Frame;
use crate::definition::{Action, ActionBody, ActionType};
use crate::expr::{CompiledValue, StaticScope, call_function};

impl<'w> Runner<'_, 'w> {
    /// Evaluates `v` in `frame`; the error names the action and the input path.
    pub fn eval(
        &self,
        a: &Action,
        frame: &Frame,
        v: &CompiledValue,
        what: &str,
    ) -> Result<Value, Outcome> {
        v.eval(&self.view(frame)).map_err(|e| {
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

    pub fn inputs(&self, a: &Action, frame: &Frame) -> Result<Option<Value>, Outcome> {
        match a.inputs {
            CompiledValue::Constant(Value::Null) => Ok(None),
            ref v => Ok(Some(self.eval(a, frame, v, "inputs")?)),
        }
    }

    /// Runs the action `a` (not skipped, not finished before a resume).
    pub fn run_action(&self, a: &'w Action, frame: &Frame, key: &str) -> Outcome {
        if a.action_type.is_container() {
            return self.container(a, frame, key).unwrap_or_else(|o| o);
        }
        if matches!(
            a.action_type,
            ActionType::ServiceProvider | ActionType::Http
        ) {
            return self.call(a, frame, key);
        }
        if a.action_type == ActionType::Wait {
            return self.wait(a, frame, key);
        }
        // Everything else is one attempt, quick and local.
        let (mut attempts, number) = self.replay.interrupted(key);
        if !self.start_attempt(key, number, None) {
            return Outcome::stopped();
        }
        let start = (now_rfc3339(), Instant::now());
        let mut o = self.local(a, frame).unwrap_or_else(|o| o);
        attempts.push(Attempt {
            number,
            start: start.0,
            duration_ms: start.1.elapsed().as_millis() as u64,
            error: o.error.clone(),
        });
        o.attempts = attempts;
        o
    }

    fn local(&self, a: &Action, frame: &Frame) -> Result<Outcome, Outcome> {
        if matches!(a.action_type, ActionType::Query | ActionType::Select) {
            return self.query_or_select(a, frame);
        }
        let inputs = self.inputs(a, frame)?;
        let fail = |code: &str, msg: String| {
            Err(Outcome::failed(code, format!("`{}`: {msg}", a.name)).with_inputs(inputs.clone()))
        };
        let field = |k: &str| inputs.as_ref().and_then(|i| i.get(k)).cloned();
        Ok(match &a.body {
            ActionBody::Plain if a.action_type == ActionType::Compose => {
                Outcome::ok(inputs.clone(), inputs)
            }
            ActionBody::Plain if a.action_type == ActionType::ParseJson => {
                let parsed = match field("content").unwrap_or(Value::Null) {
                    Value::String(text) => match serde_json::from_str::<Value>(&text) {
                        Ok(v) => v,
                        Err(e) => {
                            return fail("InvalidJSON", format!("`content` is not JSON: {e}"));
                        }
                    },
                    other => other,
                };
                if let Some(schema) = field("schema")
                    && let Err(m) = super::schema::check(&schema, &parsed)
                {
                    return fail("ValidationFailed", m);
                }
                Outcome::ok(inputs, Some(json!({ "body": parsed })))
            }
            ActionBody::Plain if a.action_type == ActionType::Terminate => {
                let asked = field("runStatus")
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "Failed".into());
                let mut shared = self.lock();
                if shared.terminated.is_none() {
                    shared.terminated = Some((a.name.clone(), asked));
                }
                Outcome::ok(inputs, None)
            }
            ActionBody::Plain if a.action_type == ActionType::Response => {
                let status = field("statusCode").unwrap_or(json!(200));
                let code = status
                    .as_u64()
                    .or_else(|| status.as_str().and_then(|s| s.parse().ok()));
                let Some(code) = code.filter(|n| (100..=599).contains(n)) else {
                    return fail(
                        "InvalidResponse",
                        format!(
                            "`statusCode` must be an HTTP status from 100 to 599, got {status}"
                        ),
                    );
                };
                let answer = json!({
                    "statusCode": code,
                    "headers": field("headers").unwrap_or_else(|| json!({})),
                    "body": field("body").unwrap_or(Value::Null),
                });
                if let Some(f) = &self.engine.on_response {
                    f(&answer);
                }
                Outcome::ok(inputs, Some(answer))
            }
            ActionBody::Plain => {
                return fail(
                    "NotSupported",
                    format!(
                        "the action type {} is not run by this engine",
                        a.action_type.as_str()
                    ),
                );
            }
            ActionBody::InitializeVariable(decls) => {
                let mut declared = Vec::new();
                for d in decls {
                    let value = self.eval(a, frame, &d.value, "inputs/variables/value")?;
                    match coerce(&d.type_name, value) {
                        Ok(v) => declared.push((d, v)),
                        Err(m) => {
                            return fail(
                                "InvalidVariable",
                                format!("the variable `{}`: {m}", d.name),
                            );
                        }
                    }
                }
                let mut shared = self.lock();
                if let Some((d, _)) = declared
                    .iter()
                    .find(|(d, _)| shared.variables.contains_key(&d.name))
                {
                    return fail(
                        "InvalidVariable",
                        format!("the variable `{}` is already initialized", d.name),
                    );
                }
                // The values go in the outputs too: a resumed run rebuilds its variables
                // from the journaled records.
                let mut list = Vec::new();
                for (d, v) in declared {
                    list.push(json!({ "name": d.name, "type": d.type_name, "value": v }));
                    shared
                        .variables
                        .insert(d.name.clone(), (d.type_name.clone(), v));
                }
                Outcome::ok(inputs, Some(json!({ "body": { "variables": list } })))
            }
            ActionBody::Variable(name) => {
                let given = field("value");
                // Read, change and write under one lock: parallel iterations share variables.
                let mut shared = self.lock();
                let Some((type_name, current)) = shared.variables.get(name).cloned() else {
                    return fail(
                        "InvalidVariable",
                        format!("the variable `{name}` is not initialized"),
                    );
                };
                match change(a.action_type, name, &type_name, current, given) {
                    Ok(v) => {
                        shared
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
            _ => return fail("NotSupported", "not a simple action".into()),
        })
    }
}

/// The new value of a variable after Set/Increment/Decrement/AppendTo*.
fn change(
    t: ActionType,
    name: &str,
    type_name: &str,
    current: Value,
    given: Option<Value>,
) -> Result<Value, String> {
    let pure = StaticScope::new();
    match t {
        ActionType::SetVariable => coerce(type_name, given.unwrap_or(Value::Null)),
        ActionType::IncrementVariable | ActionType::DecrementVariable => {
            let by = given.unwrap_or(json!(1));
            let by = if t == ActionType::DecrementVariable {
                call_function("mul", &[by, json!(-1)], &pure)?
            } else {
                by
            };
            call_function("add", &[current, by], &pure)
        }
        ActionType::AppendToArrayVariable => match current {
            Value::Array(mut items) => {
                items.push(given.unwrap_or(Value::Null));
                Ok(Value::Array(items))
            }
            _ => Err(format!("`{name}` is not an Array variable")),
        },
        _ => match current {
            Value::String(s) => call_function("string", &[given.unwrap_or(Value::Null)], &pure)
                .map(|t| Value::String(format!("{s}{}", t.as_str().unwrap_or_default()))),
            _ => Err(format!("`{name}` is not a String variable")),
        },
    }
}
