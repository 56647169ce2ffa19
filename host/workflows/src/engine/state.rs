//! The run's state as expressions see it: the [`Scope`] the engine hands the evaluator.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Value, json};

use crate::expr::{Loops, Scope, ScopeError};

/// The values expressions read during a run.
#[derive(Debug, Default)]
pub(crate) struct RunState {
    pub trigger: Value,
    /// Each action's result object (`actions('A')`), the latest iteration's inside loops.
    pub actions: HashMap<String, Value>,
    /// Variables with their declared type.
    pub variables: HashMap<String, (String, Value)>,
    pub parameters: HashMap<String, Value>,
    /// Enclosing loops, innermost last: (name, item, index).
    pub loops: Loops,
    /// `result('scope')`: the top-level action objects of each finished container.
    pub results: HashMap<String, Value>,
    pub workflow: Value,
}

impl RunState {
    pub fn new(
        trigger_outputs: Value,
        parameters: HashMap<String, Value>,
        workflow_name: &str,
        run_id: &str,
    ) -> Self {
        RunState {
            trigger: json!({ "name": "trigger", "status": "Succeeded", "outputs": trigger_outputs }),
            parameters,
            workflow: json!({ "name": workflow_name, "type": "workflow", "run": { "name": run_id, "type": "run" } }),
            ..Default::default()
        }
    }
}

impl Scope for RunState {
    fn trigger(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Ok(Cow::Borrowed(&self.trigger))
    }
    fn action(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.actions
            .get(name)
            .map(Cow::Borrowed)
            .ok_or_else(|| ScopeError::NotFound {
                kind: "action (that has run)",
                name: name.to_owned(),
            })
    }
    fn variable(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.variables
            .get(name)
            .map(|(_, v)| Cow::Borrowed(v))
            .ok_or_else(|| ScopeError::NotFound {
                kind: "variable",
                name: name.to_owned(),
            })
    }
    fn parameter(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.parameters
            .get(name)
            .map(Cow::Borrowed)
            .ok_or_else(|| ScopeError::NotFound {
                kind: "parameter",
                name: name.to_owned(),
            })
    }
    fn item(&self) -> Result<Cow<'_, Value>, ScopeError> {
        self.loops.item()
    }
    fn items(&self, loop_name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.loops.items(loop_name)
    }
    fn iteration_index(&self, loop_name: &str) -> Result<i64, ScopeError> {
        self.loops.iteration_index(loop_name)
    }
    fn result(&self, scope_name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.results
            .get(scope_name)
            .map(Cow::Borrowed)
            .ok_or_else(|| ScopeError::NotFound {
                kind: "finished scope",
                name: scope_name.to_owned(),
            })
    }
    fn workflow(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Ok(Cow::Borrowed(&self.workflow))
    }
}
