//! connector-runtime: loads workflow connectors (WebAssembly components built
//! for the `connector` world of `wit/`) and runs their calls in a sandbox.
//!
//! The [`Runtime`] compiles a component (once; compiled code is cached on
//! disk), checks that it fits the contract, and asks it to describe itself.
//! The resulting [`Connector`] runs every call in a fresh store under its
//! [`Limits`], with only the capabilities the operator granted.
//!
//! ```no_run
//! use connector_runtime::{Connection, ConnectorOptions, Runtime, RuntimeOptions};
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
//! Dependencies inside the crate run one way: [`runtime`] -> [`connector`] ->
//! {[`loader`], [`state`], [`options`]} -> {[`engine`], [`cache`], [`limits`],
//! [`bindings`], [`description`], [`capabilities`]}. This crate knows nothing
//! of triggers, configuration files or the command line.

pub mod bindings;
pub mod cache;
pub mod capabilities;
pub mod connection;
pub mod connector;
pub mod deadline;
pub mod description;
pub mod engine;
pub mod error;
pub mod json;
pub mod limits;
pub mod loader;
pub mod observe;
pub mod options;
pub mod progress;
pub mod runtime;
pub mod schema;
pub mod schema_budget;
pub mod state;
pub mod text;
pub mod trap;
pub mod waits;

pub use bindings::ContractVersion;
pub use connection::Connection;
pub use connector::{
    CallContext, Connector, DynamicValue, Inspection, Item, PollOutcome, Response, Subscription,
};
pub use description::{Description, Problem};
pub use error::{CallError, ConnectorError, ErrorKind, LoadError, TrapKind};
pub use json::Json;
pub use limits::{LimitKind, Limits};
pub use options::{ConnectorOptions, LoadReport};
pub use runtime::{Runtime, RuntimeOptions};
