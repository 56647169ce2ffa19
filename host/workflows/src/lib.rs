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
//! - [`trigger`]: `splitOn`, trigger `conditions` and `recurrence` schedules.
//! - [`engine`]: the run engine over these: runAfter scheduling with parallel branches and
//!   `Foreach` concurrency, every action type, retries and timeouts, connector calls through an
//!   [`engine::Invoker`], and a [`engine::RunJournal`] that every step is written to as it
//!   happens, so that a run resumes after a crash without running a finished step again.

pub mod definition;
pub mod engine;
pub mod expr;
pub mod trigger;
