//! A project loaded for running: its `host.toml`, its connectors (loaded and mapped to the
//! `serviceProvider.id` they serve), its workflows checked against those connectors, and its
//! connections resolved (`@appsetting` from the environment) and checked against their
//! connector's parameters. Everything is checked before anything runs, and every problem of
//! every file is reported at once.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::description::ParameterKind;
use connector_runtime::runtime::Runtime;
use connector_workflows::definition::{Connections, Problems, Project, ResolveError};
use connector_workflows::expr::CompiledValue;

use crate::catalog::ConnectorCatalog;
use crate::config::ProjectConfig;
use crate::invoker::ConnectorInvoker;

/// Everything wrong with a project, one line each (`file:line:column: where: what`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProjectProblems(pub Vec<String>);

impl fmt::Display for ProjectProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{} found:", if n == 1 { "" } else { "s" })?;
        for p in &self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// A project ready to run.
pub struct LoadedProject {
    /// `host.toml`.
    pub config: ProjectConfig,
    /// The workflows and `connections.json`.
    pub project: Project,
    /// What the engine calls connectors through.
    pub invoker: Arc<ConnectorInvoker>,
    /// Every connection secret: the values read from `@appsetting` and the values of
    /// parameters the connector declares secret.
    pub redactor: Redactor,
    /// `serviceProvider.id` -> the name of the `[[connector]]` serving it.
    pub providers: BTreeMap<String, String>,
}

/// Reads only `host.toml`, for commands that need the state file but not the connectors.
pub fn load_config(dir: &Path) -> Result<ProjectConfig, ProjectProblems> {
    ProjectConfig::load(dir).map_err(|e| ProjectProblems(config_lines(&e)))
}

fn config_lines(e: &connector_triggers::config::ConfigError) -> Vec<String> {
    use connector_triggers::config::ConfigError;
    match e {
        ConfigError::Invalid { file, problems } => problems
            .iter()
            .map(|p| format!("{}:{p}", file.display()))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Loads `dir`, checking everything; `lookup` reads application settings
/// (`|n| std::env::var(n).ok()` in the host).
pub fn load(
    dir: &Path,
    runtime: &Runtime,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<LoadedProject, ProjectProblems> {
    let mut problems = Vec::new();
    let config = match ProjectConfig::load(dir) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.extend(config_lines(&e));
            None
        }
    };
    let mut connectors: BTreeMap<String, Arc<Connector>> = BTreeMap::new();
    let mut providers = BTreeMap::new();
    if let Some(config) = &config {
        for (c, sp) in config.base.connectors.iter().zip(&config.service_providers) {
            match runtime.load(&c.component, c.options.clone()) {
                Ok(loaded) => {
                    let id = sp.clone().unwrap_or_else(|| {
                        format!("/serviceProviders/{}", loaded.description().service.id)
                    });
                    if connectors.contains_key(&id) {
                        problems.push(format!(
                            "{}: [[connector]] {}: `{id}` is already served by another connector",
                            config.base.file.display(),
                            c.name
                        ));
                    }
                    providers.insert(id.clone(), c.name.clone());
                    connectors.insert(id, Arc::new(loaded));
                }
                Err(e) => problems.push(format!(
                    "{}: [[connector]] {}: {e}",
                    config.base.file.display(),
                    c.name
                )),
            }
        }
    }
    let catalog = ConnectorCatalog {
        connectors: &connectors,
    };
    // A connector that failed to load is reported above; without the catalog its every use
    // would be reported again as unknown.
    let use_catalog = config.is_some() && problems.is_empty();
    let project = match Project::load(dir, use_catalog.then_some(&catalog as _)) {
        Ok(p) => Some(p),
        Err(Problems(p)) => {
            problems.extend(p.iter().map(ToString::to_string));
            None
        }
    };
    let mut connections = HashMap::new();
    let mut secrets = Vec::new();
    // When a workflow has problems there is no project, but connections.json is still
    // checked, so that its problems (a missing setting) are listed in the same pass.
    let separate = match &project {
        Some(_) => None,
        None => std::fs::read_to_string(dir.join("connections.json"))
            .ok()
            .and_then(|t| Connections::parse(&t, "connections.json").ok()),
    };
    let conns = project
        .as_ref()
        .and_then(|p| p.connections.as_ref())
        .or(separate.as_ref());
    if let Some(conns) = conns {
        for (name, conn) in &conns.service_providers {
            let resolved = match conns.resolve(name, lookup) {
                Ok(r) => r,
                Err(ResolveError::Value {
                    connection,
                    parameter,
                    file,
                    line,
                    message,
                }) => {
                    problems.push(format!(
                        "{file}:{line}: /serviceProviderConnections/{connection}/parameterValues/\
                         {parameter}: {message}"
                    ));
                    continue;
                }
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            let mut connection = Connection::new();
            for (param, value) in resolved.values() {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                // A value computed from a setting is a secret: it stays out of run history.
                if !matches!(
                    conn.parameter_values.get(param),
                    Some(CompiledValue::Constant(_))
                ) {
                    secrets.push(text.clone());
                }
                connection.set(param.clone(), text);
            }
            let Some(connector) = connectors.get(&conn.service_provider_id) else {
                if use_catalog {
                    problems.push(format!(
                        "{}:{}: {}/serviceProvider/id: the host has no connector for `{}` \
                         (add a [[connector]] with service_provider = \"{}\" to host.toml)",
                        conns.file,
                        conns.line(&conn.pointer),
                        conn.pointer,
                        conn.service_provider_id,
                        conn.service_provider_id
                    ));
                }
                continue;
            };
            let description = connector.description();
            for p in &description.service.connection_parameters {
                if p.kind == ParameterKind::Secret
                    && let Some(v) = connection.get(&p.name)
                {
                    secrets.push(v.to_owned());
                }
            }
            if let Err(e) = connection.resolve(description) {
                problems.push(format!(
                    "{}:{}: {}/parameterValues: {e:#}",
                    conns.file,
                    conns.line(&conn.pointer),
                    conn.pointer
                ));
            }
            connections.insert(name.clone(), connection);
        }
    }
    match (config, project) {
        (Some(config), Some(project)) if problems.is_empty() => Ok(LoadedProject {
            config,
            project,
            invoker: Arc::new(ConnectorInvoker {
                connectors,
                connections,
            }),
            redactor: Redactor::new(secrets),
            providers,
        }),
        _ => Err(ProjectProblems(problems)),
    }
}
