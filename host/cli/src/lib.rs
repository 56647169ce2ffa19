//! connector-host: runs workflow connectors as sandboxed WebAssembly components.
//!
//! This crate is the `connector-host` binary ([`commands`], one file per
//! subcommand, and [`scaffold`], the templates of `new`) and the one `use`
//! through which tests, benchmarks and embedders reach the whole host: it
//! re-exports the crates under `host/` by their concern.
//!
//! | crate | what it is for |
//! |---|---|
//! | `connector-runtime` | engine, compiled-component cache, loader, a loaded connector and its calls, limits, capabilities, schemas, JSON, traps |
//! | `connector-triggers` | pollers, the webhook binding, delivery, the state store, sinks, `host.toml` |
//! | `connector-conformance` | the conformance kit behind `connector-host test` |
//! | `connector-server` | the HTTP API and the page of `connector-host serve` |
//! | `connector-registry` | signing keys and statements, OCI push and pull, the trust policy |
//!
//! ```no_run
//! use connector_host::{Connection, ConnectorOptions, Runtime, RuntimeOptions};
//! # fn main() -> anyhow::Result<()> {
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let connector = runtime.load("example_data.wasm".as_ref(), ConnectorOptions::default())?;
//! let input = serde_json::json!({"text": "hello", "algorithm": "sha256"});
//! let response = connector.invoke("hash", &Connection::new(), &input)?;
//! println!("{}", response.body);
//! # Ok(())
//! # }
//! ```
//!
//! Dependencies run one way: this crate -> `connector-server` ->
//! `connector-triggers` -> `connector-runtime`, and this crate ->
//! {`connector-conformance`, `connector-registry`} -> `connector-runtime`.

pub mod commands;
pub mod scaffold;

pub use connector_conformance as conformance;
pub use connector_metrics as metrics;
pub use connector_registry as registry;
pub use connector_server as server;
pub use connector_triggers as trigger;
pub use connector_triggers::config;

pub use connector_runtime::{
    CallError, Connection, Connector, ConnectorError, ConnectorOptions, Description, ErrorKind,
    Inspection, Item, Json, LimitKind, Limits, LoadError, PollOutcome, Problem, Response, Runtime,
    RuntimeOptions, TrapKind,
};
pub use connector_runtime::{
    bindings, cache, capabilities, connection, connector, deadline, description, engine, error,
    json, limits, loader, options, runtime, schema, state, trap,
};
