//! connector-host: runs workflow connectors as sandboxed WebAssembly components.
//!
//! A connector is a component built for the `connector` world of `wit/`. The
//! [`Runtime`] compiles it (once; compiled code is cached on disk), checks
//! that it fits the contract, and asks it to describe itself. The resulting
//! [`Connector`] runs every call in a fresh store under its [`Limits`], with
//! only the capabilities the operator granted.
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
//! Dependencies run one way: `cli` -> `connector` -> `loader` ->
//! {`engine`, `cache`, `limits`, `bindings`}.

pub mod bindings;
pub mod cache;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod conformance;
pub mod connection;
pub mod connector;
pub mod deadline;
pub mod description;
pub mod engine;
pub mod error;
pub mod json;
pub mod limits;
pub mod loader;
pub mod runtime;
pub mod scaffold;
pub mod schema;
pub mod state;
pub mod trap;
pub mod trigger;

pub use connection::Connection;
pub use connector::{Connector, Item, PollOutcome, Response};
pub use description::{Description, Problem};
pub use error::{CallError, ConnectorError, ErrorKind, LoadError, TrapKind};
pub use json::Json;
pub use limits::{LimitKind, Limits};
pub use runtime::{ConnectorOptions, Inspection, Runtime, RuntimeOptions};
