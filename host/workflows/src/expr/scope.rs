//! [`StaticScope`]: a [`Scope`] over fixed values, for evaluating expressions outside a run
//! (tests, `check-workflow`, a REPL) and as the reference for what each method returns.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::eval::{Scope, ScopeError};
use super::loops::Loops;

/// A scope whose trigger, actions, variables and parameters are set up front.
#[derive(Debug, Clone, Default)]
pub struct StaticScope {
    trigger: Option<Value>,
    actions: HashMap<String, Value>,
    variables: HashMap<String, Value>,
    parameters: HashMap<String, Value>,
    loops: Loops,
    results: HashMap<String, Value>,
    workflow: Option<Value>,
    now: Option<DateTime<Utc>>,
}

impl StaticScope {
    /// An empty scope: every reference function answers "not found".
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the trigger's outputs: `triggerBody()` is `body`, `triggerOutputs()` is
    /// `{"headers": headers, "body": body}`.
    pub fn with_trigger(mut self, body: Value, headers: Value) -> Self {
        self.trigger = Some(
            json!({ "name": "trigger", "status": "Succeeded", "outputs": { "headers": headers, "body": body } }),
        );
        self
    }

    /// Adds an action that succeeded with this body (`body('name')`, `outputs('name').body`).
    pub fn with_action_body(self, name: &str, body: Value) -> Self {
        let action = json!({ "name": name, "status": "Succeeded", "outputs": { "statusCode": 200, "body": body } });
        self.with_action(name, action)
    }

    /// Adds an action's whole result object, as `actions('name')` returns it.
    pub fn with_action(mut self, name: &str, action: Value) -> Self {
        self.actions.insert(name.to_owned(), action);
        self
    }

    /// Sets a variable.
    pub fn with_variable(mut self, name: &str, value: Value) -> Self {
        self.variables.insert(name.to_owned(), value);
        self
    }

    /// Sets a workflow parameter.
    pub fn with_parameter(mut self, name: &str, value: Value) -> Self {
        self.parameters.insert(name.to_owned(), value);
        self
    }

    /// Enters a loop named `name` at `item`, iteration `index`; the last loop entered is the
    /// innermost, which `item()` reads.
    pub fn with_loop(mut self, name: &str, item: Value, index: i64) -> Self {
        self.loops.push(name, item, index);
        self
    }

    /// Sets what `result('scope')` returns.
    pub fn with_result(mut self, scope: &str, results: Value) -> Self {
        self.results.insert(scope.to_owned(), results);
        self
    }

    /// Sets what `workflow()` returns.
    pub fn with_workflow(mut self, workflow: Value) -> Self {
        self.workflow = Some(workflow);
        self
    }

    /// Fixes the clock that `utcNow()` and friends read.
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }
}

fn found<'a>(
    map: &'a HashMap<String, Value>,
    kind: &'static str,
    name: &str,
) -> Result<Cow<'a, Value>, ScopeError> {
    map.get(name)
        .map(Cow::Borrowed)
        .ok_or_else(|| ScopeError::NotFound {
            kind,
            name: name.to_owned(),
        })
}

impl Scope for StaticScope {
    fn trigger(&self) -> Result<Cow<'_, Value>, ScopeError> {
        self.trigger
            .as_ref()
            .map(Cow::Borrowed)
            .ok_or_else(|| ScopeError::Unavailable("there is no trigger output".into()))
    }
    fn action(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        found(&self.actions, "action", name)
    }
    fn variable(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        found(&self.variables, "variable", name)
    }
    fn parameter(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        found(&self.parameters, "parameter", name)
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
        found(&self.results, "scope", scope_name)
    }
    fn workflow(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Ok(self
            .workflow
            .as_ref()
            .map(Cow::Borrowed)
            .unwrap_or_else(|| Cow::Owned(json!({ "name": "", "run": { "name": "" } }))))
    }
    fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}
