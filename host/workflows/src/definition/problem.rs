//! [`Problem`]: one thing wrong in a project file, with where it is.

use std::fmt;

/// A problem in a workflow or connections file: the file, the JSON pointer of the value at
/// fault, its line and column, and what is wrong. Validation returns all of them at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the caller named it (e.g. `orders/workflow.json`).
    pub file: String,
    /// JSON pointer of the offending value within the file (`""` for the whole file).
    pub pointer: String,
    /// 1-based line of the value (of the nearest existing ancestor for a missing value).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, in a sentence that says how to fix it where it can.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(top level)"
        } else {
            &self.pointer
        };
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, at, self.message
        )
    }
}

/// All the problems found in a project or a file, for `?` in callers that stop at the first
/// failing load but want to show everything it found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem{} found:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
pub struct Problems(pub Vec<Problem>);
