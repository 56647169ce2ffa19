//! A run's actions rebuilt from its journal, for `runs show` and the server's run view: per
//! step its status, start, duration, attempts (and the errors of failed ones), inputs,
//! outputs and why it was skipped.
//!
//! The journal is read as JSON, not as the engine's types, so that entries a newer engine
//! writes still show (as attempts or events of their step) instead of failing. What it reads
//! was redacted of connection secrets and `secureData` before it was stored.

use serde::Serialize;
use serde_json::Value;

/// Milliseconds since the epoch of an RFC 3339 time.
pub fn millis(v: &Value) -> Option<i64> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

/// One step of a run as shown.
#[derive(Debug, Default, Clone, Serialize)]
pub struct StepView {
    /// The step key (`For_each[2]/Write`).
    pub step: String,
    /// Its final status, once it ended.
    pub status: Option<String>,
    /// When its first attempt started (ms since the epoch).
    pub started_at: Option<i64>,
    /// From the first start to the end, in milliseconds.
    pub duration_ms: Option<i64>,
    /// Attempts started.
    pub attempts: u32,
    /// Errors of attempts and of the step, in order.
    pub errors: Vec<Value>,
    /// Evaluated inputs.
    pub inputs: Option<Value>,
    /// Outputs.
    pub outputs: Option<Value>,
    /// Why it was skipped.
    pub skipped_because: Option<String>,
}

/// The steps of a journal, in the order they first appear.
pub fn actions(entries: &[Value]) -> Vec<StepView> {
    let mut steps: Vec<StepView> = Vec::new();
    for e in entries {
        let Some(step) = e.get("step").and_then(Value::as_str) else {
            continue;
        };
        let i = match steps.iter().position(|s| s.step == step) {
            Some(i) => i,
            None => {
                steps.push(StepView {
                    step: step.to_owned(),
                    ..StepView::default()
                });
                steps.len() - 1
            }
        };
        let view = &mut steps[i];
        let at = e.get("at").and_then(millis);
        match e.get("entry").and_then(Value::as_str) {
            Some("step_started") => {
                view.attempts += 1;
                view.started_at = view.started_at.or(at);
            }
            Some("step_finished") => {
                let r = e.get("record").cloned().unwrap_or(Value::Null);
                view.status = r.get("status").and_then(Value::as_str).map(str::to_owned);
                view.inputs = r.get("inputs").cloned().filter(|v| !v.is_null());
                view.outputs = r.get("outputs").cloned().filter(|v| !v.is_null());
                view.skipped_because = r
                    .get("skipped_because")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                // The record's own attempts, when the engine keeps them: each with its error.
                let attempts = r.get("attempts").and_then(Value::as_array);
                if let Some(list) = attempts.filter(|l| !l.is_empty()) {
                    view.attempts = view.attempts.max(list.len() as u32);
                    for a in list {
                        if let Some(err) = a.get("error").filter(|v| !v.is_null()) {
                            view.errors.push(
                                serde_json::json!({"attempt": a.get("number"), "error": err}),
                            );
                        }
                    }
                }
                if let Some(err) = r.get("error").filter(|v| !v.is_null()) {
                    view.errors.push(err.clone());
                }
                if let Some(start) = r.get("start").and_then(millis) {
                    view.started_at = Some(start);
                }
                view.duration_ms = r
                    .get("duration_ms")
                    .and_then(Value::as_i64)
                    .or_else(|| Some(at? - view.started_at?));
            }
            _ => {
                // An attempt's failure, a wait, ...: shown as what it says.
                if let Some(err) = e.get("error").filter(|v| !v.is_null()) {
                    view.errors.push(err.clone());
                }
            }
        }
    }
    steps
}
