//! The contract's exports for any [`Connector`]: dispatch by operation id,
//! and the errors for ids (and properties) the connector does not have.

use std::marker::PhantomData;

use serde_json::Value;

use crate::bindings::connector::provider::types as wit;
use crate::bindings::exports::connector::provider::{provider, trigger};
use crate::context::{Connection, Context};
use crate::error::Error;
use crate::input::{bad_input, parse_object};
use crate::operations::{Entry, Handler, Operations};
use crate::push::{Event, Push, SubscribeFn, UnsubscribeFn};
use crate::{Connector, Service};

/// The component's exports for the connector `C`; [`crate::export_connector!`]
/// names it.
pub struct Exports<C>(PhantomData<C>);

type Outcome<T> = Result<T, wit::ConnectorError>;

/// The registered operations. Each call runs in a fresh instance, so they
/// are registered per call; registering is cheap (schemas are derived only
/// when a call needs them).
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

/// The push trigger `id`, or the error that says why there is none.
fn push_trigger<'a, C: Connector>(
    ops: &'a Operations,
    id: &str,
) -> Result<(&'a Entry, &'a Push), Error> {
    if !ops.has_triggers() {
        return Err(no_triggers::<C>(id));
    }
    match ops.find(id) {
        Some(
            entry @ Entry {
                handler: Handler::Push(push),
                ..
            },
        ) => Ok((entry, push)),
        _ => Err(Error::invalid_input(
            "not-a-push-trigger",
            format!(
                "the {} connector has no push trigger named `{id}`",
                service_id::<C>()
            ),
        )),
    }
}

/// The subscription handlers of the push trigger `id`.
fn subscribed<'a, C: Connector>(
    ops: &'a Operations,
    id: &str,
) -> Result<(&'a Entry, &'a (SubscribeFn, UnsubscribeFn)), Error> {
    let (entry, push) = push_trigger::<C>(ops, id)?;
    let handlers = push.subscription.as_ref().ok_or_else(|| {
        Error::invalid_input(
            "no-subscription",
            format!("the push trigger `{id}` does not need a subscription"),
        )
    })?;
    Ok((entry, handlers))
}

/// An operation's input, parsed and checked against its schema's bounds.
fn checked_input(entry: &Entry, input: &str) -> Result<Value, Error> {
    parse_object(input, &entry.input_schema())
}

impl<C: Connector> provider::Guest for Exports<C> {
    fn describe_service() -> wit::ServiceDescription {
        C::service().into_wit()
    }

    fn list_operations() -> Vec<wit::Operation> {
        registry::<C>().manifests()
    }

    fn check_connection(connection: Vec<(String, String)>) -> Outcome<()> {
        C::check_connection(&Connection::new(connection)).map_err(Into::into)
    }

    fn invoke(
        operation_id: String,
        connection: Vec<(String, String)>,
        input: String,
        context: wit::CallContext,
    ) -> Outcome<wit::Response> {
        let ops = registry::<C>();
        let Some(entry) = ops.find(&operation_id) else {
            return Err(unknown::<C>(&operation_id, "action").into());
        };
        let Handler::Action(run) = &entry.handler else {
            return Err(unknown::<C>(&operation_id, "action").into());
        };
        let input = checked_input(entry, &input)?;
        let ctx = Context::new(&operation_id, Connection::new(connection)).with_call(context);
        run(&ctx, input).map_err(Into::into)
    }

    fn dynamic_values(
        operation_id: String,
        property: String,
        connection: Vec<(String, String)>,
        input: String,
    ) -> Outcome<Vec<wit::DynamicValue>> {
        let ops = registry::<C>();
        let Some(entry) = ops.find(&operation_id) else {
            return Err(unknown::<C>(&operation_id, "operation").into());
        };
        let Some(dynamic) = entry.dynamic(&property) else {
            return Err(Error::invalid_input(
                "no-dynamic-values",
                format!(
                    "the input property `{property}` of `{operation_id}` has no dynamic values"
                ),
            )
            .into());
        };
        // The inputs filled so far: partial, so only their syntax is checked.
        let input: Value = serde_json::from_str(&input).map_err(bad_input)?;
        if !input.is_object() {
            return Err(bad_input(format!("expected an object, got {input}")).into());
        }
        let ctx = Context::new(&operation_id, Connection::new(connection));
        (dynamic.handler)(&ctx, &input)?
            .into_iter()
            .map(|choice| choice.into_wit().map_err(Into::into))
            .collect()
    }
}

impl<C: Connector> trigger::Guest for Exports<C> {
    fn poll(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        state: Option<String>,
        context: wit::CallContext,
    ) -> Outcome<wit::PollResult> {
        let ops = registry::<C>();
        if !ops.has_triggers() {
            return Err(no_triggers::<C>(&trigger_id).into());
        }
        let Some(entry) = ops.find(&trigger_id) else {
            return Err(unknown::<C>(&trigger_id, "polling trigger").into());
        };
        let Handler::Poll(run) = &entry.handler else {
            return Err(unknown::<C>(&trigger_id, "polling trigger").into());
        };
        let input = checked_input(entry, &input)?;
        let ctx = Context::new(&trigger_id, Connection::new(connection)).with_call(context);
        run(&ctx, input, state.as_deref()).map_err(Into::into)
    }

    fn push_binding(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        input: String,
    ) -> Outcome<wit::Binding> {
        let ops = registry::<C>();
        let (entry, push) = push_trigger::<C>(&ops, &trigger_id)?;
        (push.check_input)(checked_input(entry, &input)?)?;
        Ok(push.binding())
    }

    fn handle_event(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        event: wit::RawEvent,
    ) -> Outcome<Vec<wit::TriggerItem>> {
        let ops = registry::<C>();
        let (entry, push) = push_trigger::<C>(&ops, &trigger_id)?;
        let input = checked_input(entry, &input)?;
        let ctx = Context::new(&trigger_id, Connection::new(connection));
        (push.handle)(&ctx, input, &Event::from_wit(event)).map_err(Into::into)
    }

    fn subscribe(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        callback_url: String,
    ) -> Outcome<wit::Subscription> {
        let ops = registry::<C>();
        let (entry, (subscribe, _)) = subscribed::<C>(&ops, &trigger_id)?;
        let input = checked_input(entry, &input)?;
        let ctx = Context::new(&trigger_id, Connection::new(connection));
        let data = subscribe(&ctx, input, &callback_url)?;
        Ok(wit::Subscription { data })
    }

    fn unsubscribe(
        trigger_id: String,
        connection: Vec<(String, String)>,
        input: String,
        subscription: wit::Subscription,
    ) -> Outcome<()> {
        let ops = registry::<C>();
        let (entry, (_, unsubscribe)) = subscribed::<C>(&ops, &trigger_id)?;
        let input = checked_input(entry, &input)?;
        let ctx = Context::new(&trigger_id, Connection::new(connection));
        unsubscribe(&ctx, input, &subscription.data).map_err(Into::into)
    }
}
