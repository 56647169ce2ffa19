//! The WDL rules a run follows: how a group's status comes from its actions, and which values a
//! typed variable accepts.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::definition::{Action, RunStatus};

/// Failed outranks TimedOut, which outranks Succeeded.
pub(crate) fn worse(a: RunStatus, b: RunStatus) -> RunStatus {
    let rank = |s: RunStatus| match s {
        RunStatus::Cancelled => 4,
        RunStatus::Failed => 3,
        RunStatus::TimedOut => 2,
        RunStatus::Succeeded | RunStatus::Skipped => 1,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// A group's status from its terminal actions (those no sibling runs after): a failure that a
/// later action handled (runAfter `Failed`) does not fail the group; a terminal action that was
/// skipped counts as what made it skip.
pub(crate) fn group_status(group: &[Action], done: &HashMap<&str, RunStatus>) -> RunStatus {
    fn resolve(
        name: &str,
        group: &[Action],
        done: &HashMap<&str, RunStatus>,
        depth: usize,
    ) -> RunStatus {
        match done.get(name).copied().unwrap_or(RunStatus::Skipped) {
            RunStatus::Skipped if depth < group.len() => {
                let a = group.iter().find(|a| a.name == name);
                let preds = a.map(|a| a.run_after.as_slice()).unwrap_or_default();
                preds.iter().fold(RunStatus::Succeeded, |acc, ra| {
                    worse(acc, resolve(&ra.action, group, done, depth + 1))
                })
            }
            RunStatus::Skipped => RunStatus::Succeeded,
            other => other,
        }
    }
    group
        .iter()
        .filter(|a| {
            !group
                .iter()
                .any(|b| b.run_after.iter().any(|ra| ra.action == a.name))
        })
        .fold(RunStatus::Succeeded, |acc, a| {
            worse(acc, resolve(&a.name, group, done, 0))
        })
}

/// Checks (and for numbers, converts) a value for a variable of `type_name`.
pub(crate) fn coerce(type_name: &str, v: Value) -> Result<Value, String> {
    let ok = match type_name {
        "String" => v.is_string(),
        "Integer" => v.is_i64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "Float" => v.is_number(),
        "Boolean" => v.is_boolean(),
        "Array" => v.is_array(),
        "Object" => v.is_object(),
        _ => true,
    };
    if !ok && !v.is_null() {
        return Err(format!("{v} is not a value of type {type_name}"));
    }
    Ok(match (type_name, &v) {
        ("Integer", Value::Number(n)) if !n.is_i64() => {
            json!(n.as_f64().unwrap_or_default() as i64)
        }
        ("Array", Value::Null) => json!([]),
        _ => v,
    })
}
