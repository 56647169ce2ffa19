//! Write connector-host connectors in Rust with little boilerplate.
//!
//! A connector is a type that implements [`Connector`]: it describes its
//! service and registers its operations, each a plain function from a typed
//! input to a typed output (or a typed [`Error`]). [`export_connector!`]
//! turns it into the component's exports. The crate generates the bindings
//! for the contract (`wit/provider.wit`, `connector:provider@0.2.0`) itself, so a connector crate needs
//! no `wit_bindgen::generate!` of its own.
//!
//! ```ignore
//! use connector_sdk::prelude::*;
//!
//! /// Input of `greet`.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct GreetInput {
//!     /// Who to greet.
//!     name: String,
//! }
//!
//! #[derive(Serialize, JsonSchema)]
//! struct GreetOutput {
//!     message: String,
//! }
//!
//! fn greet(_ctx: &Context, input: GreetInput) -> Result<GreetOutput> {
//!     if input.name.trim().is_empty() {
//!         return Err(Error::invalid_input("empty-name", "the name is empty"));
//!     }
//!     Ok(GreetOutput { message: format!("Hello, {}!", input.name) })
//! }
//!
//! struct Hello;
//!
//! impl Connector for Hello {
//!     fn service() -> Service {
//!         Service::new("hello", "Hello", "0.1.0").description("Greets people.")
//!     }
//!
//!     fn operations(ops: &mut Operations) {
//!         ops.action("greet", "Greet someone", greet)
//!             .description("Answers with a greeting for `name`.");
//!     }
//! }
//!
//! export_connector!(Hello);
//! ```
//!
//! Besides actions (`ops.action`) and polling triggers
//! (`ops.polling_trigger`), the contract's 0.2.0 additions:
//! - **call context**: [`Context::run_id`], [`Context::step`],
//!   [`Context::attempt`], [`Context::idempotency_key`] and
//!   [`Context::remaining`] tell an action or a poll which run, step and
//!   attempt makes the call (pass the idempotency key to an API that
//!   deduplicates, so that a retried step does not do its work twice);
//! - **dynamic values**: `ops.action(..).dynamic_values("project", &[],
//!   handler)` offers choices for an input property (a designer's dropdown);
//!   the crate writes the keyword `x-dynamic-values` into that property's
//!   schema, which is what tells the host to ask;
//! - **push triggers** fed by the host's webhook (`ops.push_trigger(id,
//!   summary, handler)`, `handler(ctx, input, &Event)`), and for event sources
//!   that must be told where to send events,
//!   `.subscription(subscribe, unsubscribe)`, which sets
//!   `needs-subscription`: the host calls `subscribe(ctx, input,
//!   callback_url)` when the trigger starts and stores what it returns, and
//!   `unsubscribe(ctx, input, subscription)` when the trigger is removed.
//!
//! What the crate does for every connector, so that its author does not:
//! - parses each input into the handler's input type; an input that does
//!   not fit (not an object, of the wrong type, out of the schema's
//!   `minimum`/`maximum` or `minLength`/`maxLength`) is an `invalid-input`
//!   `bad-input` error, never a panic (the host validates inputs against the
//!   schemas first, but a connector must not trust that blindly);
//! - parses a trigger's state into the handler's state type; a state that
//!   does not fit is an `invalid-input` `bad-state` error, as the contract asks;
//! - serializes outputs and states, and derives JSON Schemas from the input
//!   and output types with [`schemars`] (or takes hand-written ones);
//! - answers unknown operation ids, properties without dynamic values, and
//!   the push-trigger and subscription functions of operations that are not
//!   push triggers (or need no subscription), with `invalid-input` errors.

// The bindings' export macro expands in the connector's crate and names this
// crate's items by `::connector_sdk::...`; inside this crate that name must
// resolve too.
extern crate self as connector_sdk;

mod context;
mod dynamic;
mod error;
mod export;
mod input;
pub mod log;
mod operations;
mod push;
mod reply;
mod service;

/// The bindings generated from the contract. Most connectors need none of
/// it directly: the crate's own types wrap it.
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "connector",
        // The export macro is used from the connector's crate...
        pub_export_macro: true,
        export_macro_name: "__export_connector_world",
        // ...where the bindings and wit-bindgen are reached through this crate,
        // so a connector does not depend on wit-bindgen itself.
        default_bindings_module: "::connector_sdk::bindings",
        runtime_path: "::connector_sdk::__private::wit_bindgen::rt",
    });
}

pub use context::{Connection, Context};
pub use dynamic::{Choice, KEYWORD as DYNAMIC_VALUES_KEYWORD};
pub use error::{Error, ErrorKind, Result};
pub use export::Exports;
pub use operations::{ItemMode, OperationBuilder, Operations, Visibility};
pub use push::Event;
pub use reply::{IntoReply, Item, Poll, Reply};
pub use service::{Parameter, ParameterKind, Service};

/// Re-exported so that connectors derive with the versions this crate uses.
pub use schemars::{self, JsonSchema};
pub use serde::{self, Deserialize, Serialize};
pub use serde_json::{self, Value, json};

/// What most connectors import: `use connector_sdk::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Choice, Connection, Connector, Context, Deserialize, Error, ErrorKind, Event, Item,
        ItemMode, JsonSchema, Operations, Parameter, Poll, Reply, Result, Serialize, Service,
        Value, Visibility, export_connector, json,
    };
}

/// A connector: its service description and its operations.
///
/// Everything is associated functions: each call into a component runs in a
/// fresh instance, so a connector keeps no state between calls (a trigger
/// keeps its state in the poll state, which the host stores).
pub trait Connector: 'static {
    /// Describes the service. Must not depend on anything but the code.
    fn service() -> Service;

    /// Registers the operations, in the order a designer lists them.
    fn operations(ops: &mut Operations);

    /// Tests a connection's values, like a "test connection" button.
    /// The default accepts every connection: right for a connector that
    /// connects to nothing.
    fn check_connection(connection: &Connection) -> Result<()> {
        let _ = connection;
        Ok(())
    }
}

/// Exports a [`Connector`] as the component's `provider` and `trigger`
/// interfaces. Use it once, at the crate root: `export_connector!(MyConnector);`.
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        // The bindings' export macro takes an identifier, not a path.
        type __ConnectorSdkExports = $crate::Exports<$connector>;
        $crate::bindings::__export_connector_world!(__ConnectorSdkExports with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;
}
