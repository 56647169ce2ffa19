//! The generic REST connector: one component that runs any API definition
//! `connector-host import` produces.
//!
//! It imports one function, `connector:imported/definition@0.1.0#get`, which
//! returns the normalized definition as JSON text (the format is
//! [`definition::Definition`]; the host crate `connector-import` writes
//! it). On its own the component is incomplete: the importer composes it
//! with a tiny generated component that exports that function, so the
//! result is one self-contained `.wasm` and importing needs no compiler.
//!
//! From the definition it answers `describe-service` (service, connection
//! parameters, outbound hosts), `list-operations` (one per path and method,
//! with the input and output schemas the importer derived), `invoke` (the
//! request built from the input: path, query, header, body and form
//! parameters, the connection's authentication), `check-connection` (the
//! operation the definition names, else none) and `poll` for polling
//! triggers (`x-ms-trigger`: 200 with items, 202 with `Location` and
//! `Retry-After`); webhook triggers (`x-ms-notification-url`) subscribe the
//! host's callback URL through the 0.2.0 subscription lifecycle.
//!
//! Layout: [`definition`] (the format), [`request`] (building and sending
//! a call), [`auth`] (credentials, including an OAuth 2 client-credentials
//! token fetched per call and fetched again on a 401), [`response`] (status
//! to error kind, body to JSON), [`poll`] (the trigger protocol),
//! [`webhook`] (subscriptions and events), [`multipart`] (form-data bodies).

mod auth;
mod definition;
mod input;
mod multipart;
mod poll;
mod request;
mod response;
mod webhook;

use std::rc::Rc;

use connector_sdk::prelude::*;
use connector_sdk::{Parameter, ParameterKind};

use definition::{Definition, Kind};

/// The import through which the composed definition component hands over
/// the definition.
mod bindings {
    wit_bindgen::generate!({
        inline: r#"
            package connector:imported@0.1.0;

            /// The normalized API definition a generic connector runs.
            interface definition {
                /// The definition as JSON text.
                get: func() -> string;
            }

            world client {
                import definition;
            }
        "#,
        world: "client",
        generate_all,
    });
}

thread_local! {
    // Each call runs in a fresh instance, so this is read (and parsed) once
    // per call at most.
    static DEFINITION: Result<Rc<Definition>, String> =
        serde_json::from_str(&bindings::connector::imported::definition::get())
            .map(Rc::new)
            .map_err(|e| format!("the embedded definition is not valid: {e}"));
}

/// The definition, or the error every call answers when it is broken (an
/// importer bug or a hand-edited component, never a panic).
fn definition() -> Result<Rc<Definition>> {
    DEFINITION.with(|d| d.clone().map_err(|e| Error::internal("bad-definition", e)))
}

/// The connector.
struct Imported;

impl Connector for Imported {
    fn service() -> Service {
        let Ok(def) = definition() else {
            // `validate` reports an empty id; the calls report why.
            return Service::new("", "", "0.0.0");
        };
        let s = &def.service;
        let mut service = Service::new(&s.id, &s.display_name, &s.version)
            .description(&s.description)
            .brand_color(&s.brand_color)
            .icon_uri(s.icon_uri.clone());
        for p in &def.parameters {
            let kind = match p.kind.as_str() {
                "secret" => ParameterKind::Secret,
                "integer" => ParameterKind::Integer,
                "boolean" => ParameterKind::Boolean,
                _ => ParameterKind::Text,
            };
            let mut param = match kind {
                ParameterKind::Secret => Parameter::secret(&p.name, &p.display_name),
                ParameterKind::Integer => Parameter::integer(&p.name, &p.display_name),
                ParameterKind::Boolean => Parameter::boolean(&p.name, &p.display_name),
                ParameterKind::Text => Parameter::text(&p.name, &p.display_name),
            }
            .description(&p.description);
            if p.required {
                param = param.required();
            }
            if let Some(default) = &p.default {
                param = param.default_value(default);
            }
            service = service.parameter(param);
        }
        for host in &def.outbound_hosts {
            service = service.outbound_host(host);
        }
        service
    }

    fn operations(ops: &mut Operations) {
        let Ok(def) = definition() else { return };
        for (index, op) in def.operations.iter().enumerate() {
            let builder = match op.kind {
                Kind::Action => ops.action_with_schemas(
                    &op.id,
                    &op.summary,
                    op.input_schema.clone(),
                    op.output_schema.clone(),
                    move |ctx: &Context, input: Value| {
                        request::invoke(ctx.connection(), index, &input)
                    },
                ),
                Kind::Webhook => ops
                    .push_trigger_with_schemas(
                        &op.id,
                        &op.summary,
                        op.input_schema.clone(),
                        op.output_schema.clone(),
                        move |_: &Context, _: webhook::Input, event: &Event| {
                            webhook::handle(index, event)
                        },
                    )
                    .subscription(
                        move |ctx: &Context, input: webhook::Input, callback: &str| {
                            webhook::subscribe(ctx, index, input.0, callback)
                        },
                        move |ctx: &Context,
                              _: webhook::Input,
                              subscription: webhook::Subscription| {
                            webhook::unsubscribe(ctx, index, subscription)
                        },
                    ),
                Kind::Polling => ops.polling_trigger_with_schemas(
                    &op.id,
                    &op.summary,
                    op.input_schema.clone(),
                    op.output_schema.clone(),
                    move |ctx: &Context, input: Value, state: Option<Value>| {
                        poll::poll(ctx, index, &input, state)
                    },
                ),
            };
            let builder =
                builder
                    .description(&op.description)
                    .visibility(match op.visibility.as_str() {
                        "advanced" => Visibility::Advanced,
                        "internal" => Visibility::Internal,
                        _ => Visibility::Important,
                    });
            if let Some(trigger) = &op.trigger {
                // A webhook event is delivered item by item: `single` says
                // how to read an event's body, not how to deliver it.
                let mode = if trigger.single && op.kind != Kind::Webhook {
                    ItemMode::Single
                } else {
                    ItemMode::Split
                };
                builder
                    .every_seconds(trigger.recurrence_seconds)
                    .item_mode(mode);
            }
        }
    }

    /// Calls the operation the definition names for checking (a cheap GET
    /// without required inputs), or accepts the connection when it names
    /// none: an import cannot know which call is harmless.
    fn check_connection(connection: &Connection) -> Result<()> {
        let def = definition()?;
        let Some(id) = &def.check_operation else {
            return Ok(());
        };
        let Some(index) = def.operations.iter().position(|o| &o.id == id) else {
            return Ok(());
        };
        request::invoke(connection, index, &json!({})).map(|_| ())
    }
}

export_connector!(Imported);
