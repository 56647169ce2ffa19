//! `files`: a connector over a directory that the operator grants.
//!
//! The connector works inside one directory of its sandbox, the *root*
//! (`/data` unless the connection says otherwise). The operator grants that
//! directory to the component; the WASI sandbox makes everything else
//! invisible, so the connector cannot escape it even if it tried. It still
//! rejects absolute paths and `..` itself, so that a mistaken input gets a
//! clear `path-outside-root` error rather than a puzzling "not found".
//!
//! Layout:
//! - [`manifest`]: the service description and the operations' schemas;
//! - [`paths`]: the root and the validation of relative paths;
//! - [`ops`]: the actions (`list-files`, `read-file`, `write-file`, `delete-file`);
//! - [`trigger`]: the polling trigger `file-added-or-changed`;
//! - [`error`]: constructors for the contract's `connector-error`.

mod error;
mod manifest;
mod ops;
mod paths;
mod trigger;

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

use connector::provider::types::{
    Binding, ConnectorError, Operation, PollResult, RawEvent, Response, ServiceDescription,
    TriggerItem,
};
use error::invalid_input;
use paths::Root;

/// The connector: a unit struct that the generated bindings call into.
struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        manifest::service()
    }

    fn list_operations() -> Vec<Operation> {
        manifest::operations()
    }

    fn check_connection(connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        Root::from_connection(&connection).check()
    }

    fn invoke(
        operation_id: String,
        connection: Vec<(String, String)>,
        input: String,
    ) -> Result<Response, ConnectorError> {
        let root = Root::from_connection(&connection);
        match operation_id.as_str() {
            manifest::LIST_FILES => ops::list_files(&root, &input),
            manifest::READ_FILE => ops::read_file(&root, &input),
            manifest::WRITE_FILE => ops::write_file(&root, &input),
            manifest::DELETE_FILE => ops::delete_file(&root, &input),
            other => Err(error::unknown_operation(other, "action")),
        }
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        let root = Root::from_connection(&connection);
        match trigger_id.as_str() {
            manifest::FILE_ADDED_OR_CHANGED => trigger::poll(&root, &input, state.as_deref()),
            other => Err(error::unknown_operation(other, "polling trigger")),
        }
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Binding, ConnectorError> {
        Err(not_a_push_trigger(&trigger_id))
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        Err(not_a_push_trigger(&trigger_id))
    }
}

/// This connector's only trigger is polled, so the push functions refuse.
fn not_a_push_trigger(trigger_id: &str) -> ConnectorError {
    invalid_input(
        "not-a-push-trigger",
        format!("`{trigger_id}` is not a push trigger: this connector has none"),
    )
}

export!(Component);
