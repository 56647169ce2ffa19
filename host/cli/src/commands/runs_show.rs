//! `runs show`: a run's actions rebuilt from its journal: per step its status, start,
//! duration, attempts (and the errors of failed ones), inputs, outputs and why it was skipped.
//!
//! The journal is read as JSON, not as the engine's types, so that entries a newer engine
//! writes still show (as attempts or events of their step) instead of failing the command.

use serde::Serialize;
use serde_json::Value;

use super::runs::{format_time, millis};
use connector_flows::store::RunRow;

/// One step of a run as shown.
#[derive(Debug, Default, Serialize)]
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

fn one_line(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 400 {
        let mut cut = 400;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}... ({} bytes)", &text[..cut], text.len())
    } else {
        text
    }
}

/// Prints a run and its steps as text.
pub fn print(run: &RunRow, steps: &[StepView]) {
    println!(
        "run {} of {}: {}",
        run.id,
        run.workflow,
        run.status.as_str()
    );
    println!("  trigger   {}", run.trigger);
    println!("  created   {}", format_time(Some(run.created_at)));
    println!("  started   {}", format_time(run.started_at));
    println!("  ended     {}", format_time(run.ended_at));
    if let Some(from) = &run.resubmitted_from {
        println!("  resubmits {from}");
    }
    if run.cancel_requested {
        println!("  cancel    requested");
    }
    if let Some(e) = &run.error {
        println!("  error     {e}");
    }
    println!("  trigger outputs: {}", one_line(&run.trigger_outputs));
    for s in steps {
        let duration = s
            .duration_ms
            .map(|d| format!("{d}ms"))
            .unwrap_or_else(|| "-".into());
        println!(
            "  {}: {} (started {}, {duration}, {} attempt{})",
            s.step,
            s.status.as_deref().unwrap_or("Running"),
            format_time(s.started_at),
            s.attempts,
            if s.attempts == 1 { "" } else { "s" }
        );
        if let Some(why) = &s.skipped_because {
            println!("      {why}");
        }
        for e in &s.errors {
            println!("      error: {}", one_line(e));
        }
        if let Some(i) = &s.inputs {
            println!("      inputs:  {}", one_line(i));
        }
        if let Some(o) = &s.outputs {
            println!("      outputs: {}", one_line(o));
        }
    }
}
