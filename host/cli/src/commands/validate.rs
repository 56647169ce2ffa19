//! `connector-host validate`: does a component fit the contract? Lists every problem.

use clap::Args;
use serde_json::json;

use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime, print_json};
use connector_runtime::description::{OperationKind, Problem};
use connector_runtime::error::LoadError;
use connector_runtime::runtime::Runtime;

/// Check that a component fits the connector contract and list every problem.
#[derive(Args, Debug)]
pub struct ValidateCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

impl ValidateCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let path = &self.component.component;
        let mut warnings = Vec::new();
        let (summary, problems) = match runtime.inspect(path, options) {
            Ok(inspection) => {
                let d = inspection.connector.description();
                warnings = d.warnings();
                let count = |kind| d.operations.iter().filter(|o| o.kind == kind).count();
                let summary = json!({
                    "id": d.service.id,
                    "contract": d.contract,
                    "version": d.service.version,
                    "operations": d.operations.len(),
                    "actions": count(OperationKind::Action),
                    "pollingTriggers": count(OperationKind::PollingTrigger),
                    "pushTriggers": count(OperationKind::PushTrigger),
                });
                (Some(summary), inspection.problems)
            }
            // An unsupported contract version is one of these problems; it
            // names the versions this host runs.
            Err(LoadError::Contract { problems, .. }) => (None, problems),
            Err(e @ LoadError::Grant(_)) => return Err(e.into()),
            Err(e) => (None, vec![Problem::new("component", e.to_string())]),
        };
        if self.json {
            print_json(&json!({
                "component": path,
                "valid": problems.is_empty(),
                "service": summary,
                "problems": problems,
                "warnings": warnings,
            }));
        } else if problems.is_empty() {
            let s = summary.unwrap_or_default();
            println!(
                "{}: valid: {} {} (contract {}), {} ({}, {}, {})",
                path.display(),
                s["id"].as_str().unwrap_or(""),
                s["version"].as_str().unwrap_or(""),
                s["contract"].as_str().unwrap_or(""),
                count(&s["operations"], "operation"),
                count(&s["actions"], "action"),
                count(&s["pollingTriggers"], "polling trigger"),
                count(&s["pushTriggers"], "push trigger"),
            );
        } else {
            println!(
                "{}: {} problem{}",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for problem in &problems {
                println!("  {problem}");
            }
        }
        if !self.json {
            for warning in &warnings {
                println!("  warning: {warning}");
            }
        }
        Ok(if problems.is_empty() {
            exit::OK
        } else {
            exit::LOAD
        })
    }
}

/// `1 action`, `2 actions`.
fn count(n: &serde_json::Value, noun: &str) -> String {
    let n = n.as_u64().unwrap_or(0);
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
