//! Example connector: a REST client for a small task-tracker API.
//!
//! It shows what most connectors are: a wrapper around an HTTP API. The
//! API's address and token come from the connection; the operator grants
//! the origin (`--allow-http "https://{host}"`); HTTP failures become the
//! contract's error kinds, so a runtime knows what to retry.
//!
//! The API: `GET /tasks[?status=..][&created_after=ID&limit=N]`,
//! `GET /tasks/ID`, `POST /tasks`, `PATCH /tasks/ID`, all JSON, with
//! `Authorization: Bearer <token>`.
//!
//! Layout:
//! - [`manifest`]: the service description and the operations' schemas;
//! - [`ops`]: the actions and the polling trigger `task-created`, with
//!   their typed inputs;
//! - [`api`]: the API as this connector uses it (over the blocking client
//!   `connector-http`), and how its failures map onto the error kinds.
//!
//! It is written with the `connector-sdk` helper crate (`guest-sdk/rust`),
//! which generates the bindings, parses inputs (an input that does not fit
//! is `invalid-input` `bad-input`, even when the host's schema check is
//! bypassed) and states, dispatches operations and answers the push-trigger
//! functions (this connector has no push trigger).

mod api;
mod manifest;
mod ops;

use api::Api;
use connector_sdk::prelude::*;

/// The connector.
struct Tasks;

impl Connector for Tasks {
    fn service() -> Service {
        manifest::service()
    }

    fn operations(ops: &mut Operations) {
        manifest::register(ops);
    }

    /// One cheap authenticated call: a wrong token is `unauthorized`, an
    /// origin the operator did not grant `forbidden`.
    fn check_connection(connection: &Connection) -> Result<()> {
        Api::from_connection(connection)?
            .get("/tasks?limit=1")
            .map(|_| ())
    }
}

export_connector!(Tasks);
