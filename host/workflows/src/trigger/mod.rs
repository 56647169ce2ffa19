//! What a trigger does with an event before runs start: `splitOn` turns one poll's outputs into
//! one event per item, `conditions` decide whether an event starts a run at all, and
//! [`Recurrence`] says when a schedule fires next.
//!
//! ```
//! use connector_workflows::definition::WorkflowFile;
//! use connector_workflows::trigger::{conditions_hold, split_events};
//! use serde_json::json;
//!
//! let text = r#"{"definition": {"triggers": {"t": {"type": "Request", "kind": "Http",
//!   "splitOn": "@triggerBody()?['rows']",
//!   "conditions": [{"expression": "@greater(triggerBody()?['n'], 1)"}]}}, "actions": {}}}"#;
//! let w = WorkflowFile::parse(text, "w/workflow.json", "w").unwrap();
//! let t = &w.workflow.definition.triggers[0];
//! let events = split_events(t, json!({"headers": {}, "body": {"rows": [{"n": 1}, {"n": 2}]}})).unwrap();
//! assert_eq!(events[1], json!({"headers": {}, "body": {"n": 2}}));
//! assert!(!conditions_hold(t, &events[0]).unwrap());
//! assert!(conditions_hold(t, &events[1]).unwrap());
//! ```

mod recurrence;

pub use recurrence::{Frequency, Recurrence};

use serde_json::Value;

use crate::definition::Trigger;
use crate::expr::StaticScope;

/// The scope a trigger's own expressions see: `triggerBody()` and `triggerOutputs()` are the
/// event's outputs (`{"headers": .., "body": ..}`).
fn event_scope(outputs: &Value) -> StaticScope {
    StaticScope::new().with_trigger(
        outputs.get("body").cloned().unwrap_or(Value::Null),
        outputs.get("headers").cloned().unwrap_or(Value::Null),
    )
}

/// Applies the trigger's `splitOn`: each item of the array it gives becomes the `body` of one
/// event (the headers are kept); without `splitOn` the outputs are the one event. An error
/// names the trigger and says what the expression gave.
pub fn split_events(trigger: &Trigger, outputs: Value) -> Result<Vec<Value>, String> {
    let Some(split) = &trigger.split_on else {
        return Ok(vec![outputs]);
    };
    let items = split
        .eval(&event_scope(&outputs))
        .map_err(|e| format!("trigger `{}`, splitOn: {e}", trigger.name))?
        .into_owned();
    let headers = outputs.get("headers").cloned().unwrap_or(Value::Null);
    match items {
        Value::Array(items) => Ok(items
            .into_iter()
            .map(|body| serde_json::json!({ "headers": headers, "body": body }))
            .collect()),
        // Logic Apps starts no run when the split path is absent.
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "trigger `{}`, splitOn: the expression must give an array, got {other}",
            trigger.name
        )),
    }
}

/// Whether every one of the trigger's `conditions` holds for the event `outputs` (true when it
/// has none). A condition must give a boolean; anything else is an error naming its index.
pub fn conditions_hold(trigger: &Trigger, outputs: &Value) -> Result<bool, String> {
    let scope = event_scope(outputs);
    for (i, c) in trigger.conditions.iter().enumerate() {
        let v = c
            .eval(&scope)
            .map_err(|e| format!("trigger `{}`, conditions/{i}: {e}", trigger.name))?;
        match v.as_ref() {
            Value::Bool(true) => {}
            Value::Bool(false) => return Ok(false),
            other => {
                return Err(format!(
                    "trigger `{}`, conditions/{i}: the expression must give a boolean, got {other}",
                    trigger.name
                ));
            }
        }
    }
    Ok(true)
}
