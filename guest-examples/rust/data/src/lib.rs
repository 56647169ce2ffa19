//! `data`: pure computations that workflows need between other steps.
//!
//! The connector needs no connection and no capabilities: it selects parts
//! of JSON documents, renders text templates, turns CSV into JSON, hashes
//! text and converts base64. It has no triggers; the trigger interface, which
//! every connector exports, answers `invalid-input` `no-triggers`.
//!
//! Layout:
//! - [`manifest`]: the service description and the operations' schemas;
//! - [`ops`]: the actions' inputs, outputs and glue;
//! - [`pointer`], [`template`], [`csv`]: the parsers behind them, free of any
//!   binding type so that they are easy to test and to reuse;
//! - [`error`]: constructors for the contract's `connector-error`.

mod csv;
mod error;
mod manifest;
mod ops;
mod pointer;
mod template;

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

use connector::provider::types::{
    Binding, ConnectorError, Operation, PollResult, RawEvent, Response, ServiceDescription,
    TriggerItem,
};
use error::invalid_input;

/// The connector: a unit struct that the generated bindings call into.
struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        manifest::service()
    }

    fn list_operations() -> Vec<Operation> {
        manifest::operations()
    }

    /// There is nothing to connect to, so every connection works.
    fn check_connection(_connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn invoke(
        operation_id: String,
        _connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Response, ConnectorError> {
        match operation_id.as_str() {
            manifest::JSON_SELECT => ops::json_select(&input),
            manifest::RENDER_TEMPLATE => ops::render_template(&input),
            manifest::CSV_TO_JSON => ops::csv_to_json(&input),
            manifest::HASH => ops::hash(&input),
            manifest::BASE64 => ops::base64(&input),
            other => Err(invalid_input(
                "unknown-operation",
                format!("the data connector has no action named `{other}`"),
            )),
        }
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _state: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        Err(no_triggers(&trigger_id))
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Binding, ConnectorError> {
        Err(no_triggers(&trigger_id))
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        Err(no_triggers(&trigger_id))
    }
}

fn no_triggers(trigger_id: &str) -> ConnectorError {
    invalid_input(
        "no-triggers",
        format!("the data connector has no triggers, so none named `{trigger_id}`"),
    )
}

export!(Component);
