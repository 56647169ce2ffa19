//! Example connector: a REST client for a small task-tracker API.
//!
//! It shows what most connectors are: a wrapper around an HTTP API. The
//! API's address and token come from the connection; the operator grants
//! the origin (`--allow-http "https://{host}"`); HTTP failures become the
//! contract's error kinds, so a runtime knows what to retry.
//!
//! The API: `GET /tasks[?status=..][&created_after=ID&limit=N]`,
//! `GET /tasks/ID`, `POST /tasks` (deduplicated by `Idempotency-Key`),
//! `PATCH /tasks/ID`, and `POST /subscriptions` (`{"url": ...}` -> `{"id":
//! ...}`) and `DELETE /subscriptions/ID` for webhooks, all JSON, with
//! `Authorization: Bearer <token>`.
//!
//! Layout:
//! - [`manifest`]: the service description and the operations' schemas;
//! - [`ops`]: the actions and the polling trigger `task-created`, with
//!   their typed inputs, and the dynamic values of a task `id`;
//! - [`changes`]: the push trigger `task-changed`, with its subscription
//!   at the API;
//! - [`api`]: the API as this connector uses it (over the blocking client
//!   `connector-http`), and how its failures map onto the error kinds.
//!
//! It is written with the `connector-sdk` helper crate (`guest-sdk/rust`),
//! which generates the bindings, parses inputs (an input that does not fit
//! is `invalid-input` `bad-input`, even when the host's schema check is
//! bypassed) and states, and dispatches operations, dynamic values, events
//! and subscriptions. It uses contract 0.2.0's call context: `create-task`
//! sends the step's idempotency key, so a retried step creates one task.

mod api;
mod changes;
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
