//! The error of parsing or evaluating an expression.

/// Why an expression did not parse or did not evaluate.
///
/// Every variant carries the byte offset in the JSON string value that holds the expression
/// (so `@` is offset 0), which the definition layer turns into action, input path and line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    /// The text is not an expression: unexpected character, unterminated string, missing `)`.
    #[error("syntax error at offset {offset}: {message}")]
    Syntax {
        /// Byte offset of the offending token.
        offset: usize,
        /// What was expected or found.
        message: String,
    },
    /// A call names a function the language does not have.
    #[error("at offset {offset}: the function `{name}` does not exist")]
    UnknownFunction {
        /// Byte offset of the function name.
        offset: usize,
        /// The name as written.
        name: String,
    },
    /// A call passes a number of arguments the function does not take.
    #[error("at offset {offset}: `{function}` takes {expected}, but {got} were given")]
    Arity {
        /// Byte offset of the function name.
        offset: usize,
        /// The function's canonical name.
        function: &'static str,
        /// What it takes, e.g. "2 or 3 arguments".
        expected: String,
        /// How many were passed.
        got: usize,
    },
    /// A function rejected its arguments at run time (wrong type, index out of range, ...).
    #[error("at offset {offset}: `{function}`: {message}")]
    Function {
        /// Byte offset of the function name.
        offset: usize,
        /// The function's canonical name.
        function: &'static str,
        /// What was wrong.
        message: String,
    },
    /// A property or index access failed (`['x']` on a value without `x`, `[5]` past the end).
    #[error("at offset {offset}: {message}")]
    Access {
        /// Byte offset of the `[` or `.`.
        offset: usize,
        /// What was wrong.
        message: String,
    },
    /// A reference function found nothing: an unknown action, variable, parameter, loop.
    #[error("at offset {offset}: {message}")]
    Reference {
        /// Byte offset of the function name.
        offset: usize,
        /// What was not found, from the [`Scope`](super::Scope).
        message: String,
    },
}

impl ExprError {
    /// The byte offset in the string value at which the problem is.
    pub fn offset(&self) -> usize {
        match self {
            ExprError::Syntax { offset, .. }
            | ExprError::UnknownFunction { offset, .. }
            | ExprError::Arity { offset, .. }
            | ExprError::Function { offset, .. }
            | ExprError::Access { offset, .. }
            | ExprError::Reference { offset, .. } => *offset,
        }
    }

    pub(crate) fn syntax(offset: usize, message: impl Into<String>) -> Self {
        ExprError::Syntax {
            offset,
            message: message.into(),
        }
    }
}
