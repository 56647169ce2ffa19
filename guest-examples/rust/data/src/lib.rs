//! `data`: pure computations that workflows need between other steps.
//!
//! The connector needs no connection and no capabilities: it selects parts
//! of JSON documents, renders text templates, turns CSV into JSON, hashes
//! text and converts base64. It has no triggers, so the trigger functions,
//! which every connector exports, answer `invalid-input` `no-triggers`
//! (the helper crate does that).
//!
//! Layout:
//! - [`manifest`]: the service description and the operations' schemas;
//! - [`ops`]: the actions' inputs, outputs and glue;
//! - [`pointer`], [`template`], [`csv`]: the parsers behind them, free of any
//!   binding type so that they are easy to test and to reuse.
//!
//! It is written with the `connector-sdk` helper crate (`guest-sdk/rust`),
//! which generates the bindings, parses inputs and dispatches operations.

mod csv;
mod manifest;
mod ops;
mod pointer;
mod template;

use connector_sdk::prelude::*;

/// The connector.
struct Data;

impl Connector for Data {
    fn service() -> Service {
        manifest::service()
    }

    fn operations(ops: &mut Operations) {
        manifest::register(ops);
    }

    // There is nothing to connect to, so every connection works: the default
    // `check_connection` accepts it.
}

export_connector!(Data);
