//! [`Loops`]: the enclosing loops an expression runs in, as `item()`,
//! `items('L')` and `iterationIndexes('L')` read them. One type serves the
//! engine's run state and [`StaticScope`](super::StaticScope), so both answer
//! these functions the same way.

use std::borrow::Cow;

use serde_json::Value;

use super::eval::ScopeError;

/// Enclosing loops, innermost last: each with its name, current item and index.
#[derive(Debug, Clone, Default)]
pub struct Loops(Vec<(String, Value, i64)>);

impl Loops {
    /// Enters the loop `name` at `item`, iteration `index` (innermost now).
    pub fn push(&mut self, name: &str, item: Value, index: i64) {
        self.0.push((name.to_owned(), item, index));
    }

    /// Leaves the innermost loop.
    pub fn pop(&mut self) {
        self.0.pop();
    }

    /// `item()`: the innermost loop's current item.
    pub fn item(&self) -> Result<Cow<'_, Value>, ScopeError> {
        self.0
            .last()
            .map(|(_, item, _)| Cow::Borrowed(item))
            .ok_or_else(|| ScopeError::Unavailable("item() is used outside a loop".into()))
    }

    /// `items('L')`: the current item of the enclosing Foreach `L`.
    pub fn items(&self, loop_name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        self.find(loop_name, "enclosing Foreach")
            .map(|(_, item, _)| Cow::Borrowed(item))
    }

    /// `iterationIndexes('L')`: the current index of the enclosing loop `L`.
    pub fn iteration_index(&self, loop_name: &str) -> Result<i64, ScopeError> {
        self.find(loop_name, "enclosing loop").map(|(.., i)| *i)
    }

    fn find(
        &self,
        loop_name: &str,
        kind: &'static str,
    ) -> Result<&(String, Value, i64), ScopeError> {
        self.0
            .iter()
            .rev()
            .find(|(n, ..)| n == loop_name)
            .ok_or_else(|| ScopeError::NotFound {
                kind,
                name: loop_name.to_owned(),
            })
    }
}
