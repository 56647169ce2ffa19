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
//! - [`ops`]: the actions (`list-files`, `read-file`, `write-file`,
//!   `delete-file`), and the dynamic values of a file's `path` (the files of
//!   the granted directory, for a designer's dropdown);
//! - [`trigger`]: the polling trigger `file-added-or-changed`;
//! - [`error`]: the mapping from I/O errors to the contract's errors.
//!
//! It is written with the `connector-sdk` helper crate (`guest-sdk/rust`),
//! which generates the bindings, parses inputs and states, dispatches
//! operations and dynamic values, and answers the push-trigger functions
//! (this connector has no push trigger).

mod error;
mod manifest;
mod ops;
mod paths;
mod trigger;

use connector_sdk::prelude::*;
use paths::Root;

/// The connector.
struct Files;

impl Connector for Files {
    fn service() -> Service {
        manifest::service()
    }

    fn operations(ops: &mut Operations) {
        manifest::register(ops);
    }

    fn check_connection(connection: &Connection) -> Result<()> {
        Root::from_connection(connection).check()
    }
}

export_connector!(Files);
