//! Checks a workflow the server is asked to save, before anything is written: the engine's
//! own checks (every action type, runAfter, expression and function), its connector calls
//! against the project's `connections.json` and connectors, its trigger as the host would
//! build it, and each literal `parameters` value against its property of the operation's
//! input schema. Every problem comes back at once, each at the JSON pointer of the value at
//! fault, so that a designer shows it beside the field it concerns.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use connector_runtime::connector::Connector;
use connector_runtime::schema::Schema;
use connector_workflows::definition::{
    ActionBody, Catalog, Connections, Problem, Problems, Project, WorkflowFile,
};

use crate::catalog::ConnectorCatalog;
use crate::invoker::ConnectorInvoker;
use crate::triggers::build_one;

/// One problem of a workflow, as the API gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemView {
    /// The JSON pointer of the value at fault in `workflow.json` (`""`: the whole file).
    pub pointer: String,
    /// Its 1-based line in the file as it would be written.
    pub line: usize,
    /// Its 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl From<Problem> for ProblemView {
    fn from(p: Problem) -> Self {
        ProblemView {
            pointer: p.pointer,
            line: p.line,
            column: p.column,
            message: p.message,
        }
    }
}

/// The catalog's operations, without its check of whole constant `parameters` (done here
/// per property instead, so that each problem has its field's pointer).
struct OperationsOnly<'a>(ConnectorCatalog<'a>);

impl Catalog for OperationsOnly<'_> {
    fn operations(&self, service_provider_id: &str) -> Option<Vec<String>> {
        self.0.operations(service_provider_id)
    }
}

/// A value that holds no expression anywhere: it is what the connector gets, as written.
fn is_literal(v: &Value) -> bool {
    match v {
        // `@@` escapes a leading `@`: such a string is a literal.
        Value::String(s) => (!s.starts_with('@') || s.starts_with("@@")) && !s.contains("@{"),
        Value::Array(a) => a.iter().all(is_literal),
        Value::Object(o) => o.values().all(is_literal),
        _ => true,
    }
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Problems of one call's literal parameters against `op`'s input schema.
fn check_parameters(
    connector: &Connector,
    operation: &str,
    at: &str,
    parameters: Option<&Value>,
    out: &mut Vec<(String, String)>,
) {
    let Some(op) = connector.description().operation(operation) else {
        return;
    };
    let schema = &op.input_schema;
    let props = schema.get("properties").and_then(Value::as_object);
    let params = match parameters {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(o),
        // An expression that gives the whole object: checked when the run calls.
        Some(v) if !is_literal(v) => return,
        Some(_) => {
            out.push((at.to_owned(), "`parameters` must be an object".into()));
            return;
        }
    };
    let required = schema.get("required").and_then(Value::as_array);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        if !params.is_some_and(|p| p.contains_key(name)) {
            out.push((
                format!("{at}/{}", escape(name)),
                format!("`{name}` is required by `{operation}`"),
            ));
        }
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (name, value) in params.into_iter().flatten() {
        let here = format!("{at}/{}", escape(name));
        match props.and_then(|p| p.get(name)) {
            None if closed => out.push((here, format!("`{operation}` has no input `{name}`"))),
            None => {}
            Some(sub) if is_literal(value) => {
                if let Some(Err(m)) = Schema::compile(sub).map(|s| s.check_value(value)) {
                    let inner = if m.pointer == "/" { "" } else { &m.pointer };
                    out.push((format!("{here}{inner}"), m.message));
                }
            }
            Some(_) => {}
        }
    }
}

/// Checks `text` as the `workflow.json` of the workflow `name`; the workflow, or every
/// problem found.
pub fn check(
    name: &str,
    text: &str,
    connections: Option<&Connections>,
    invoker: &ConnectorInvoker,
) -> Result<WorkflowFile, Vec<ProblemView>> {
    let file = format!("{name}/workflow.json");
    let w = WorkflowFile::parse(text, &file, name)
        .map_err(|Problems(p)| p.into_iter().map(ProblemView::from).collect::<Vec<_>>())?;
    let raw: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let catalog = OperationsOnly(ConnectorCatalog {
        connectors: &invoker.connectors,
    });
    let project = Project {
        connections: connections.cloned(),
        workflows: vec![w.clone()],
    };
    let mut problems: Vec<ProblemView> = project
        .check_calls(Some(&catalog))
        .into_iter()
        .map(ProblemView::from)
        .collect();
    let mut found = Vec::new();
    for a in w.all_actions() {
        let ActionBody::ServiceProvider(call) = &a.body else {
            continue;
        };
        let Some(c) = invoker.connectors.get(&call.service_provider_id) else {
            continue;
        };
        let at = format!("{}/inputs/parameters", a.pointer);
        check_parameters(c, &call.operation_id, &at, raw.pointer(&at), &mut found);
    }
    let shared = Arc::new(w.clone());
    if let Err(p) = build_one(&shared, invoker) {
        found.push(p);
    }
    problems.extend(found.into_iter().map(|(p, m)| w.problem(&p, m).into()));
    if problems.is_empty() {
        Ok(w)
    } else {
        Err(problems)
    }
}
