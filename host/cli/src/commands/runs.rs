//! `connector-host runs`: the run history of a workflow project: list, show, resubmit, cancel.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use super::{CommandResult, Failure, exit, print_json};
use connector_flows::project;
use connector_flows::store::{RunFilter, RunRow, RunState, RunStore, StoreError};
use connector_runtime::capabilities::Redactor;
use connector_runtime::runtime::Runtime;

/// List the runs of a workflow project, newest first, or show, resubmit or cancel one.
///
/// Reads the project's state file ([host] state of its host.toml), while the host runs or
/// after.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RunsCommand {
    #[command(subcommand)]
    action: Option<RunsAction>,
    #[command(flatten)]
    list: ListArgs,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// The project folder.
    #[arg(value_name = "PROJECT", required = true)]
    project: Option<PathBuf>,
    /// Only the runs of this workflow.
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,
    /// Only runs in this state: Queued, Running, Succeeded, Failed, Cancelled, TimedOut.
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,
    /// At most this many (0: all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum RunsAction {
    /// Every action of a run: status, start, duration, attempts and their errors, inputs
    /// and outputs, and why an action was skipped.
    Show {
        /// The project folder.
        #[arg(value_name = "PROJECT")]
        project: PathBuf,
        /// The run id.
        #[arg(value_name = "RUN")]
        run: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Queue a new run of the same workflow with the same trigger outputs.
    Resubmit {
        /// The project folder.
        #[arg(value_name = "PROJECT")]
        project: PathBuf,
        /// The run id.
        #[arg(value_name = "RUN")]
        run: String,
    },
    /// Stop a run: a queued one at once, a running one before its next step.
    Cancel {
        /// The project folder.
        #[arg(value_name = "PROJECT")]
        project: PathBuf,
        /// The run id.
        #[arg(value_name = "RUN")]
        run: String,
    },
}

fn store_failure(e: StoreError) -> Failure {
    let code = match e {
        StoreError::NoSuchRun(_) => exit::USAGE,
        _ => exit::LOAD,
    };
    Failure {
        code,
        message: e.to_string(),
    }
}

/// Opens the project's run store; `None` when the host never ran it.
fn open(project: &Path) -> Result<Option<RunStore>, Failure> {
    let config = project::load_config(project).map_err(|p| Failure {
        code: exit::USAGE,
        message: p.to_string(),
    })?;
    let state = &config.base.host.state;
    if !state.exists() {
        return Ok(None);
    }
    // Values in the store were redacted when written; nothing new is written here but a
    // resubmitted copy of them.
    RunStore::open(state, Redactor::default())
        .map(Some)
        .map_err(store_failure)
}

fn no_runs(project: &Path) -> Failure {
    Failure {
        code: exit::USAGE,
        message: format!(
            "{} has no runs yet (the host has not run it: `connector-host run {}`)",
            project.display(),
            project.display()
        ),
    }
}

/// An RFC 3339 time of milliseconds since the epoch.
pub fn format_time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "-".into())
}

impl RunsCommand {
    pub fn execute(&self, _runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        match &self.action {
            None => self.list(),
            Some(RunsAction::Show { project, run, json }) => {
                let store = open(project)?.ok_or_else(|| no_runs(project))?;
                let row = store.run(run).map_err(store_failure)?;
                let entries = store.journal_values(run).map_err(store_failure)?;
                let actions = super::runs_show::actions(&entries);
                if *json {
                    print_json(&json!({"run": row, "actions": actions}));
                } else {
                    super::runs_show::print(&row, &actions);
                }
                Ok(exit::OK)
            }
            Some(RunsAction::Resubmit { project, run }) => {
                let store = open(project)?.ok_or_else(|| no_runs(project))?;
                let id = store.resubmit(run).map_err(store_failure)?;
                println!("{id}");
                eprintln!("queued run {id} (a resubmit of {run}); a running host starts it");
                Ok(exit::OK)
            }
            Some(RunsAction::Cancel { project, run }) => {
                let store = open(project)?.ok_or_else(|| no_runs(project))?;
                let state = store.request_cancel(run).map_err(store_failure)?;
                match state {
                    RunState::Cancelled => println!("{run}: Cancelled"),
                    RunState::Running => {
                        println!("{run}: cancelling (it stops before its next step)")
                    }
                    done => {
                        println!("{run}: already ended {}", done.as_str());
                    }
                }
                Ok(exit::OK)
            }
        }
    }

    fn list(&self) -> CommandResult {
        let a = &self.list;
        let Some(project) = &a.project else {
            return Err(Failure {
                code: exit::USAGE,
                message: "name the project folder: connector-host runs <PROJECT>".into(),
            });
        };
        let status = match &a.status {
            None => None,
            Some(s) => Some(RunState::parse(s).ok_or_else(|| Failure {
                code: exit::USAGE,
                message: format!(
                    "--status {s:?} is not a run status (one of: {})",
                    RunState::ALL.map(RunState::as_str).join(", ")
                ),
            })?),
        };
        let rows: Vec<RunRow> = match open(project)? {
            None => Vec::new(),
            Some(store) => store
                .list(&RunFilter {
                    workflow: a.workflow.clone(),
                    status,
                    limit: a.limit,
                })
                .map_err(store_failure)?,
        };
        if a.json {
            print_json(&rows);
            return Ok(exit::OK);
        }
        if rows.is_empty() {
            eprintln!("no runs");
            return Ok(exit::OK);
        }
        println!(
            "{:<25}  {:<20}  {:<9}  {:<24}  {:>9}",
            "RUN", "WORKFLOW", "STATUS", "CREATED", "DURATION"
        );
        for r in &rows {
            let duration = match (r.started_at, r.ended_at) {
                (Some(s), Some(e)) => format!("{}ms", e - s),
                _ => "-".into(),
            };
            println!(
                "{:<25}  {:<20}  {:<9}  {:<24}  {:>9}",
                r.id,
                r.workflow,
                r.status.as_str(),
                format_time(Some(r.created_at)),
                duration
            );
        }
        Ok(exit::OK)
    }
}
