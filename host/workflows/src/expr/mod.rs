//! The Workflow Definition Language expression language.
//!
//! A JSON string in a workflow definition is a [`Template`]: a literal, a whole-value
//! expression `@body('A')?['items'][0]`, or text with `@{...}` interpolations. Expressions are
//! calls, literals (`'text'` with `''` for a quote, numbers, `true`, `false`, `null`, `[a, b]`)
//! and accesses (`['x']`, `.x`, `[0]`, and the null-safe `?['x']`). Reference functions
//! (`body`, `variables`, `item`, ...) read the run through a [`Scope`]; every other function is
//! pure (see [`function_names`]).
//!
//! ```
//! use connector_workflows::expr::{StaticScope, Template};
//! use serde_json::json;
//!
//! let scope = StaticScope::new().with_action_body("A", json!({"items": [{"name": "first"}]}));
//! let t = Template::parse("@body('A')?['items'][0]['name']").unwrap();
//! assert_eq!(t.eval(&scope).unwrap().as_ref(), &json!("first"));
//! let t = Template::parse("Hello @{toUpper(body('A')?['items'][0]['name'])}!").unwrap();
//! assert_eq!(t.eval(&scope).unwrap().as_ref(), &json!("Hello FIRST!"));
//! ```

mod ast;
mod compiled;
mod error;
mod eval;
mod functions;
mod lexer;
mod loops;
mod parser;
mod scope;
mod template;
mod value;

pub use ast::Expr;
pub use compiled::{CompileError, CompiledValue, pointer_token};
pub use error::ExprError;
pub use eval::{Scope, ScopeError};
pub use functions::{call_function, function_names};
pub use loops::Loops;
pub use scope::StaticScope;
pub use template::{Part, Template};

/// Parses and evaluates a string value once (for one-off use; parse once with
/// [`Template::parse`] to evaluate many times).
pub fn evaluate(source: &str, scope: &dyn Scope) -> Result<serde_json::Value, ExprError> {
    Ok(Template::parse(source)?.eval(scope)?.into_owned())
}
