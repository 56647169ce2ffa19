//! A project folder laid out as Logic Apps Standard does: `connections.json` at the top and one
//! folder per workflow holding `workflow.json`. Loading reports every problem in every file,
//! and returns a project only when there are none, so a broken project never half-starts.

use std::path::Path;

use serde_json::Value;

use super::WorkflowFile;
use super::connections::Connections;
use super::model::{Action, ActionBody, ServiceProviderCall};
use super::problem::{Problem, Problems};
use crate::expr::CompiledValue;

/// What the host can run, so validation can check `serviceProviderId` and `operationId`
/// (the CLI implements it over the loaded connector components and their schemas).
pub trait Catalog {
    /// The operation ids of a service provider, or `None` when the host has no such provider.
    fn operations(&self, service_provider_id: &str) -> Option<Vec<String>>;
    /// Problems of an operation's `parameters` against its input schema (only the parts that
    /// are constants can be checked before a run). None by default.
    fn check_parameters(
        &self,
        _service_provider_id: &str,
        _operation_id: &str,
        _parameters: &Value,
    ) -> Vec<String> {
        Vec::new()
    }
}

/// A loaded project: its connections and its workflows (sorted by name).
#[derive(Debug, Clone)]
pub struct Project {
    /// `connections.json`, when the project has one.
    pub connections: Option<Connections>,
    /// The workflows, by folder name.
    pub workflows: Vec<WorkflowFile>,
}

fn io_problem(file: &str, e: impl std::fmt::Display) -> Problem {
    Problem {
        file: file.to_owned(),
        pointer: String::new(),
        line: 1,
        column: 1,
        message: format!("cannot read: {e}"),
    }
}

impl Project {
    /// Loads and checks `dir`; `catalog`, when given, checks providers and operations too.
    pub fn load(dir: &Path, catalog: Option<&dyn Catalog>) -> Result<Project, Problems> {
        let mut problems = Vec::new();
        let conn_path = dir.join("connections.json");
        let conn_name = "connections.json";
        let connections = match std::fs::read_to_string(&conn_path) {
            Ok(text) => match Connections::parse(&text, conn_name) {
                Ok(c) => Some(c),
                Err(Problems(p)) => {
                    problems.extend(p);
                    None
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                problems.push(io_problem(conn_name, e));
                None
            }
        };
        let mut workflows = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return Err(Problems(vec![io_problem(&dir.display().to_string(), e)])),
        };
        let mut dirs: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("workflow.json").is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            let name = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let file = format!("{name}/workflow.json");
            match std::fs::read_to_string(d.join("workflow.json")) {
                Ok(text) => match WorkflowFile::parse(&text, &file, &name) {
                    Ok(w) => workflows.push(w),
                    Err(Problems(p)) => problems.extend(p),
                },
                Err(e) => problems.push(io_problem(&file, e)),
            }
        }
        if workflows.is_empty() && problems.is_empty() {
            problems.push(Problem {
                file: dir.display().to_string(),
                pointer: String::new(),
                line: 1,
                column: 1,
                message: "no workflow found (expected <folder>/workflow.json)".into(),
            });
        }
        let project = Project {
            connections,
            workflows,
        };
        problems.extend(project.check_calls(catalog));
        if problems.is_empty() {
            Ok(project)
        } else {
            Err(Problems(problems))
        }
    }

    /// Checks every connector call of every workflow against `connections.json` and the catalog.
    pub fn check_calls(&self, catalog: Option<&dyn Catalog>) -> Vec<Problem> {
        let mut problems = Vec::new();
        for w in &self.workflows {
            let mut calls: Vec<(&str, &ServiceProviderCall, Option<&CompiledValue>)> = Vec::new();
            for t in &w.workflow.definition.triggers {
                if let Some(call) = &t.service_provider {
                    calls.push((&t.pointer, call, Some(&t.inputs)));
                }
            }
            collect_calls(&w.workflow.definition.actions, &mut calls);
            for (pointer, call, inputs) in calls {
                let cfg = format!("{pointer}/inputs/serviceProviderConfiguration");
                let mut report =
                    |ptr: String, message: String| problems.push(w.problem(&ptr, message));
                match self
                    .connections
                    .as_ref()
                    .and_then(|c| c.service_providers.get(&call.connection_name))
                {
                    None if self.connections.is_none() => report(
                        format!("{cfg}/connectionName"),
                        format!(
                            "uses the connection `{}`, but the project has no connections.json",
                            call.connection_name
                        ),
                    ),
                    None => report(
                        format!("{cfg}/connectionName"),
                        format!(
                            "the connection `{}` is not in connections.json",
                            call.connection_name
                        ),
                    ),
                    Some(conn) if conn.service_provider_id != call.service_provider_id => report(
                        format!("{cfg}/serviceProviderId"),
                        format!(
                            "says `{}`, but the connection `{}` is served by `{}`",
                            call.service_provider_id,
                            call.connection_name,
                            conn.service_provider_id
                        ),
                    ),
                    Some(_) => {}
                }
                let Some(catalog) = catalog else { continue };
                match catalog.operations(&call.service_provider_id) {
                    None => report(
                        format!("{cfg}/serviceProviderId"),
                        format!(
                            "the host has no connector for `{}`",
                            call.service_provider_id
                        ),
                    ),
                    Some(ops) if !ops.contains(&call.operation_id) => report(
                        format!("{cfg}/operationId"),
                        format!(
                            "`{}` has no operation `{}` (it has: {})",
                            call.service_provider_id,
                            call.operation_id,
                            ops.join(", ")
                        ),
                    ),
                    Some(_) => {
                        if let Some(CompiledValue::Constant(inputs)) = inputs {
                            let params = inputs
                                .get("parameters")
                                .cloned()
                                .unwrap_or(Value::Object(Default::default()));
                            for m in catalog.check_parameters(
                                &call.service_provider_id,
                                &call.operation_id,
                                &params,
                            ) {
                                report(format!("{pointer}/inputs/parameters"), m);
                            }
                        }
                    }
                }
            }
        }
        problems
    }
}

fn collect_calls<'a>(
    actions: &'a [Action],
    out: &mut Vec<(&'a str, &'a ServiceProviderCall, Option<&'a CompiledValue>)>,
) {
    for a in actions {
        if let ActionBody::ServiceProvider(call) = &a.body {
            out.push((&a.pointer, call, Some(&a.inputs)));
        }
        for group in a.children() {
            collect_calls(group, out);
        }
    }
}
