//! Workflows for connector-host: Logic Apps-style workflow definitions (`workflow.json`, the
//! Workflow Definition Language) that string a trigger to the connector actions it should run.
//!
//! This crate holds the parts that need no WebAssembly engine, so they build and test in
//! seconds:
//!
//! - [`expr`]: the WDL expression language (`@expr`, `@{...}` interpolation, `?['x']`), parsed
//!   once to a tree with byte positions and evaluated against a [`expr::Scope`] that the run
//!   engine implements; about a hundred built-in functions.
//! - [`definition`]: `workflow.json` and `connections.json` parsed into a model, and validated
//!   with every problem reported at once, each with its file, JSON pointer and line.
//!
//! - [`engine`]: a first, in-memory run engine over these (runAfter scheduling, Compose,
//!   variables, If, Switch, Foreach, Until, Scope, Terminate, connector calls through an
//!   [`engine::Invoker`]). Its durable journal, retries and the CLI come next.

pub mod definition;
pub mod engine;
pub mod expr;
