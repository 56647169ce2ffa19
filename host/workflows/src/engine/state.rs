//! The run's state as expressions see it. What all branches share (variables, the latest result
//! of each action, records) sits behind one lock in [`Shared`]; what a branch of execution owns
//! (its loops' `item()`, its place, the results of actions inside its own loop iteration) is
//! its [`Frame`]. A [`View`] joins the two into the [`Scope`] the evaluator reads.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use super::record::ActionRecord;
use crate::expr::{Loops, Scope, ScopeError};

/// What every branch and iteration of a run shares (Logic Apps shares variables between
/// parallel iterations too, and warns about it).
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Each action's result object (`actions('A')`), the latest iteration's inside loops.
    pub actions: HashMap<String, Value>,
    /// Variables with their declared type.
    pub variables: HashMap<String, (String, Value)>,
    /// `result('scope')` of containers outside loops.
    pub results: HashMap<String, Value>,
    /// Every record so far, in the order they ended (sorted when the run ends).
    pub records: Vec<ActionRecord>,
    /// Set when a `Terminate` action ran: its name and the status it asked for.
    pub terminated: Option<(String, String)>,
}

/// Results of actions inside one loop iteration, which that iteration (and only it) reads.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    actions: HashMap<String, Value>,
    results: HashMap<String, Value>,
}

/// One branch of execution: the loops it is inside and where it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Frame {
    /// Enclosing loops, innermost last.
    pub loops: Loops,
    /// Enclosing loop iterations, e.g. `["Each[3]"]`.
    pub path: Vec<String>,
    overlays: Vec<Arc<Mutex<Overlay>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere (a panicking invoker) must not hide the state from the rest.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Frame {
    /// The frame of iteration `index` of the loop `name` at `item`.
    pub fn iteration(&self, name: &str, item: Value, index: usize) -> Frame {
        let mut f = self.clone();
        f.loops.push(name, item, index as i64);
        f.path.push(format!("{name}[{index}]"));
        f.overlays.push(Arc::default());
        f
    }

    /// The step key of the action `name` here: `Each[3]/Write`.
    pub fn step_key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.path.join("/"))
        }
    }

    /// Records an action's result object where this frame's expressions find it.
    pub fn set_action(&self, shared: &Mutex<Shared>, name: &str, object: Value) {
        if let Some(o) = self.overlays.last() {
            lock(o).actions.insert(name.to_owned(), object.clone());
        }
        lock(shared).actions.insert(name.to_owned(), object);
    }

    /// Records a container's `result()` where this frame's expressions find it.
    pub fn set_result(&self, shared: &Mutex<Shared>, name: &str, results: Value) {
        match self.overlays.last() {
            Some(o) => lock(o).results.insert(name.to_owned(), results),
            None => lock(shared).results.insert(name.to_owned(), results),
        };
    }
}

/// The scope one frame's expressions see.
pub(crate) struct View<'a> {
    pub shared: &'a Mutex<Shared>,
    pub frame: &'a Frame,
    pub trigger: &'a Value,
    pub parameters: &'a HashMap<String, Value>,
    pub workflow: &'a Value,
}

impl View<'_> {
    fn find(
        &self,
        name: &str,
        kind: &'static str,
        pick: impl Fn(&Overlay) -> Option<&Value>,
        global: impl Fn(&Shared) -> Option<&Value>,
    ) -> Result<Cow<'_, Value>, ScopeError> {
        for o in self.frame.overlays.iter().rev() {
            if let Some(v) = pick(&lock(o)) {
                return Ok(Cow::Owned(v.clone()));
            }
        }
        global(&lock(self.shared))
            .cloned()
            .map(Cow::Owned)
            .ok_or_else(|| ScopeError::NotFound {
                kind,
                name: name.to_owned(),
            })
    }
}

impl Scope for View<'_> {
    fn trigger(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Ok(Cow::Borrowed(self.trigger))
    }
    fn action(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.find(
            name,
            "action (that has run)",
            |o| o.actions.get(name),
            |s| s.actions.get(name),
        )
    }
    fn variable(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        lock(self.shared)
            .variables
            .get(name)
            .map(|(_, v)| Cow::Owned(v.clone()))
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
        self.frame.loops.item()
    }
    fn items(&self, loop_name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.frame.loops.items(loop_name)
    }
    fn iteration_index(&self, loop_name: &str) -> Result<i64, ScopeError> {
        self.frame.loops.iteration_index(loop_name)
    }
    fn result(&self, scope_name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.find(
            scope_name,
            "finished scope",
            |o| o.results.get(scope_name),
            |s| s.results.get(scope_name),
        )
    }
    fn workflow(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Ok(Cow::Borrowed(self.workflow))
    }
}
