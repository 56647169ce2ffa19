//! `runs show`: a run and its actions (rebuilt from its journal by
//! `connector_flows::history`) printed as text.

use serde_json::Value;

use super::runs::format_time;
pub use connector_flows::history::{StepView, actions};
use connector_flows::store::RunRow;

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
