//! `connector-host check-workflow`: every problem of a workflow project at once.

use std::path::PathBuf;

use clap::Args;

use super::{CommandResult, exit, make_runtime};
use connector_flows::project;
use connector_flows::triggers::Triggers;
use connector_runtime::runtime::Runtime;

/// Check a workflow project: host.toml, connections.json and every workflow.json.
///
/// Loads the connectors that host.toml names and checks every workflow against them: unknown
/// action types, runAfter naming a missing action or a cycle, expressions that do not parse,
/// functions that do not exist, a serviceProviderId or operation the host does not have,
/// constant parameters that do not fit the operation's input schema, connections whose
/// @appsetting values are not set, triggers the host cannot run. Prints each problem as
/// `file:line:column: pointer: message`; exits 2 when there is any.
#[derive(Args, Debug)]
pub struct CheckWorkflowCommand {
    /// The project folder.
    #[arg(value_name = "PROJECT")]
    project: PathBuf,
}

impl CheckWorkflowCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let runtime = make_runtime(runtime)?;
        let lookup = |name: &str| std::env::var(name).ok();
        let problems = match project::load(&self.project, &runtime, &lookup) {
            Ok(loaded) => match Triggers::build(&loaded) {
                Ok(_) => {
                    let n = loaded.project.workflows.len();
                    println!(
                        "{}: ok ({n} workflow{}: {})",
                        self.project.display(),
                        if n == 1 { "" } else { "s" },
                        loaded
                            .project
                            .workflows
                            .iter()
                            .map(|w| w.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    return Ok(exit::OK);
                }
                Err(p) => p,
            },
            Err(p) => p.0,
        };
        for p in &problems {
            println!("{p}");
        }
        eprintln!(
            "{}: {} problem{}",
            self.project.display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        Ok(exit::USAGE)
    }
}
