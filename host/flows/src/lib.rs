//! connector-flows: runs workflow projects on the host.
//!
//! A project folder holds `connections.json`, one folder per workflow (`workflow.json`) and
//! `host.toml`, which says which component serves which `serviceProvider.id`, with its
//! grants and limits ([`config`]). This crate loads and checks all of it at once
//! ([`project`]), calls the connectors for the engine of `connector-workflows`
//! ([`invoker`]), keeps runs and their journals durably in the host's SQLite state file
//! ([`store`]), runs them on a bounded pool of workers that resumes unfinished runs at start
//! ([`executor`]), and starts them from the workflows' triggers ([`triggers`]): polling
//! `ServiceProvider` triggers, `Recurrence` schedules and `Request` endpoints. [`host`] ties
//! them together for `connector-host run <project dir>`, and [`live`] lets
//! `connector-host serve <project dir>` change the running project: a workflow saved
//! (checked, written, loaded without a restart), enabled, disabled or started by hand.
//! [`history`] rebuilds a run's actions from its journal for `runs show` and the server.
//!
//! Dependencies: `connector-workflows` (definitions, expressions, the engine),
//! `connector-runtime` (the connectors), `connector-triggers` (the `host.toml` format, the
//! state lock).

pub mod catalog;
pub mod config;
pub mod executor;
pub mod history;
pub mod host;
pub mod invoker;
pub mod live;
pub mod project;
pub mod redact;
pub mod store;
pub mod triggers;

pub use host::{HostError, OnceReport, Prepared, Running};
pub use live::{Live, LiveError, ProblemView};
pub use project::{LoadedProject, ProjectProblems};
pub use store::{RunFilter, RunRow, RunState, RunStore};
