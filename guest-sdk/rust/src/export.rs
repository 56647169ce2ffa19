//! The contract's exports for any [`Connector`]: dispatch by operation id,
//! and the errors for ids the connector does not have.

use std::marker::PhantomData;

use crate::bindings::connector::provider::types as wit;
use crate::bindings::exports::connector::provider::{provider, trigger};
use crate::context::{Connection, Context};
use crate::error::Error;
use crate::operations::{Handler, Operations};
use crate::{Connector, Service};

/// The component's exports for the connector `C`; [`crate::export_connector!`]
/// names it.
pub struct Exports<C>(PhantomData<C>);

/// The registered operations. Each call runs in a fresh instance, so they
/// are registered per call; registering is cheap (schemas are derived only
/// for `list-operations`).
fn registry<C: Connector>() -> Operations {
    let mut ops = Operations::new();
    C::operations(&mut ops);
    ops
}

fn service_id<C: Connector>() -> String {
    let service: Service = C::service();
    service.id().to_string()
}

/// `invalid-input` `unknown-operation`: the id names nothing of this kind.
fn unknown<C: Connector>(id: &str, what: &str) -> Error {
    Error::invalid_input(
        "unknown-operation",
        format!(
            "the {} connector has no {what} named `{id}`",
            service_id::<C>()
        ),
    )
}

/// The error of every trigger function of a connector without triggers.
fn no_triggers<C: Connector>(id: &str) -> Error {
    Error::invalid_input(
        "no-triggers",
        format!(
            "the {} connector has no triggers, so none named `{id}`",
            service_id::<C>()
        ),
    )
}

/// The error of the push-trigger functions: the crate supports polling
/// triggers only (the host does not deliver push events yet).
fn not_a_push_trigger<C: Connector>(ops: &Operations, id: &str) -> Error {
    if !ops.has_triggers() {
        return no_triggers::<C>(id);
    }
    Error::invalid_input(
        "not-a-push-trigger",
        format!("`{id}` is not a push trigger: this connector has none"),
    )
}

impl<C: Connector> provider::Guest for Exports<C> {
    fn describe_service() -> wit::ServiceDescription {
        C::service().into_wit()
    }

    fn list_operations() -> Vec<wit::Operation> {
        registry::<C>().manifests()
    }

    fn check_connection(connection: Vec<(String, String)>) -> Result<(), wit::ConnectorError> {
        C::check_connection(&Connection::new(connection)).map_err(Into::into)
    }

    fn invoke(
        operation_id: String,
        connection: Vec<(String, String)>,
        input: String,
    ) -> Result<wit::Response, wit::ConnectorError> {
        let ops = registry::<C>();
        let Some(Handler::Action(run)) = ops.find(&operation_id).map(|e| &e.handler) else {
            return Err(unknown::<C>(&operation_id, "action").into());
        };
        let ctx = Context::new(&operation_id, Connection::new(connection));
        run(&ctx, &input).map_err(Into::into)
    }
}

impl<C: Connector> trigger::Guest for Exports<C> {
    fn poll(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
    ) -> Result<wit::PollResult, wit::ConnectorError> {
        let ops = registry::<C>();
        if !ops.has_triggers() {
            return Err(no_triggers::<C>(&trigger_id).into());
        }
        let Some(Handler::Poll(run)) = ops.find(&trigger_id).map(|e| &e.handler) else {
            return Err(unknown::<C>(&trigger_id, "polling trigger").into());
        };
        let ctx = Context::new(&trigger_id, Connection::new(connection));
        run(&ctx, &input, state.as_deref()).map_err(Into::into)
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<wit::Binding, wit::ConnectorError> {
        Err(not_a_push_trigger::<C>(&registry::<C>(), &trigger_id).into())
    }

    fn handle_event(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _event: wit::RawEvent,
    ) -> Result<Vec<wit::TriggerItem>, wit::ConnectorError> {
        Err(not_a_push_trigger::<C>(&registry::<C>(), &trigger_id).into())
    }
}
