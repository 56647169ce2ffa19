//! Workflow definitions: `workflow.json` parsed into a [`Workflow`], `connections.json` into
//! [`Connections`], a project folder into a [`Project`], and validation that reports every
//! [`Problem`] at once with its file, JSON pointer and line.
//!
//! ```
//! use connector_workflows::definition::WorkflowFile;
//!
//! let text = r#"{"definition": {
//!   "triggers": {"manual": {"type": "Request", "kind": "Http"}},
//!   "actions": {
//!     "Compose": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}},
//!     "Later": {"type": "Compose", "inputs": "@nosuch()", "runAfter": {"Missing": ["Succeeded"]}}
//!   }}, "kind": "Stateful"}"#;
//! let problems = WorkflowFile::parse(text, "wf/workflow.json", "wf").unwrap_err().0;
//! assert_eq!(problems.len(), 2);
//! assert!(problems.iter().any(|p| p.message.contains("`nosuch` does not exist")));
//! assert!(problems.iter().any(|p| p.pointer == "/definition/actions/Later/runAfter/Missing"));
//! ```

mod action;
mod connections;
mod duration;
mod lines;
mod model;
mod parse;
mod problem;
mod project;
mod validate;

pub use connections::{Connections, ResolveError, ResolvedConnection, ServiceProviderConnection};
pub use duration::parse_duration;
pub use lines::LineIndex;
pub use model::*;
pub use problem::{Problem, Problems};
pub use project::{Catalog, Project};

/// A parsed and checked `workflow.json`, with what is needed to point at its lines later.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    /// The workflow's name (its folder).
    pub name: String,
    /// The file, as messages name it.
    pub file: String,
    /// The workflow.
    pub workflow: Workflow,
    lines: LineIndex,
}

impl WorkflowFile {
    /// Parses and checks a workflow's text; `file` is how problems name it.
    pub fn parse(text: &str, file: &str, name: &str) -> Result<WorkflowFile, Problems> {
        let lines = LineIndex::new(text);
        let mut ctx = parse::Ctx {
            file,
            lines: &lines,
            problems: Vec::new(),
        };
        let parsed = parse::parse_workflow(text, &mut ctx);
        if let Some((w, prefix)) = &parsed {
            validate::check(&w.definition, prefix, &mut ctx);
        }
        match parsed {
            Some((workflow, _)) if ctx.problems.is_empty() => Ok(WorkflowFile {
                name: name.to_owned(),
                file: file.to_owned(),
                workflow,
                lines,
            }),
            _ => Err(Problems(ctx.problems)),
        }
    }

    /// A problem at `pointer` in this file.
    pub fn problem(&self, pointer: &str, message: String) -> Problem {
        let (line, column) = self.lines.position(pointer);
        Problem {
            file: self.file.clone(),
            pointer: pointer.to_owned(),
            line,
            column,
            message,
        }
    }

    /// Every action, nested ones included, in definition order (parents before children).
    pub fn all_actions(&self) -> Vec<&Action> {
        fn walk<'a>(actions: &'a [Action], out: &mut Vec<&'a Action>) {
            for a in actions {
                out.push(a);
                a.children().into_iter().for_each(|g| walk(g, out));
            }
        }
        let mut out = Vec::new();
        walk(&self.workflow.definition.actions, &mut out);
        out
    }
}
