//! Operations: their manifests (id, summary, schemas, trigger settings) and
//! the typed handlers that run them.

use std::borrow::Cow;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::connector::provider::types as wit;
use crate::context::Context;
use crate::dynamic::{Choice, Dynamic, annotate};
use crate::error::{Error, Result};
use crate::input::{to_json, typed};
use crate::push::{Event, Push, read_subscription};
use crate::reply::{IntoReply, Item, Poll};

/// Whether a poll's items are delivered together or one event each.
pub use wit::ItemMode;
/// How prominently a designer shows an operation.
pub use wit::Visibility;

/// The recurrence a polling trigger gets unless it says otherwise.
const DEFAULT_RECURRENCE_SECONDS: u32 = 60;

type ActionFn = Box<dyn Fn(&Context, Value) -> Result<wit::Response>>;
type PollFn = Box<dyn Fn(&Context, Value, Option<&str>) -> Result<wit::PollResult>>;

/// How an operation runs, with its input already parsed into a JSON object
/// whose bounds were checked (and a poll's state as JSON text).
pub(crate) enum Handler {
    Action(ActionFn),
    Poll(PollFn),
    Push(Push),
}

/// A schema given by hand, or derived from a type when it is asked for.
enum SchemaSource {
    Given(Value),
    Derived(fn() -> Value),
}

impl SchemaSource {
    fn value(&self) -> Cow<'_, Value> {
        match self {
            SchemaSource::Given(value) => Cow::Borrowed(value),
            SchemaSource::Derived(derive) => Cow::Owned(derive()),
        }
    }
}

/// One registered operation.
pub(crate) struct Entry {
    id: String,
    summary: String,
    description: String,
    visibility: Visibility,
    kind: wit::OperationKind,
    input_schema: SchemaSource,
    output_schema: SchemaSource,
    trigger: Option<wit::TriggerSettings>,
    pub(crate) handler: Handler,
    pub(crate) dynamics: Vec<Dynamic>,
}

impl Entry {
    /// The input schema, as the bounds of an input are checked against it.
    pub(crate) fn input_schema(&self) -> Cow<'_, Value> {
        self.input_schema.value()
    }

    /// The dynamic values of `property`, if it has any.
    pub(crate) fn dynamic(&self, property: &str) -> Option<&Dynamic> {
        self.dynamics.iter().find(|d| d.property == property)
    }
}

/// The operations of a connector, registered in [`crate::Connector::operations`].
///
/// `action`, `polling_trigger` and `push_trigger` derive the input and
/// output schemas from the handler's types (with [`schemars`]; doc comments
/// become descriptions, `#[serde(deny_unknown_fields)]` closes the object);
/// the `_with_schemas` variants take hand-written JSON Schemas instead.
#[derive(Default)]
pub struct Operations {
    entries: Vec<Entry>,
}

/// Sets the optional parts of an operation, e.g.
/// `ops.action(..).description("..").visibility(Visibility::Advanced);`.
pub struct OperationBuilder<'a> {
    entry: &'a mut Entry,
}

impl OperationBuilder<'_> {
    /// What the operation does, its inputs and its outputs.
    pub fn description(self, text: &str) -> Self {
        self.entry.description = text.into();
        self
    }

    /// How prominently a designer shows it (default: important).
    pub fn visibility(self, visibility: Visibility) -> Self {
        self.entry.visibility = visibility;
        self
    }

    /// Replaces the input schema (derived or given) with this one.
    pub fn input_schema(self, schema: Value) -> Self {
        self.entry.input_schema = SchemaSource::Given(schema);
        self
    }

    /// Replaces the output schema (derived or given) with this one.
    pub fn output_schema(self, schema: Value) -> Self {
        self.entry.output_schema = SchemaSource::Given(schema);
        self
    }

    /// For polling triggers: how often to poll when the operator does not say.
    pub fn every_seconds(self, seconds: u32) -> Self {
        if let Some(trigger) = &mut self.entry.trigger
            && self.entry.kind == wit::OperationKind::PollingTrigger
        {
            trigger.default_recurrence_seconds = seconds;
        }
        self
    }

    /// For triggers: whether a poll's (or an event's) items are one event or
    /// one each (default: split, one event per item).
    pub fn item_mode(self, mode: ItemMode) -> Self {
        if let Some(trigger) = &mut self.entry.trigger {
            trigger.item_mode = mode;
        }
        self
    }

    /// Offers choices for the input property `property`: the host (for a
    /// designer's dropdown) calls `handler(ctx, inputs)` with the inputs
    /// filled so far, a JSON object that may be partial and is not checked
    /// against the schema. `depends_on` names the properties the list is
    /// computed from (empty when none). The property's schema gets the
    /// keyword `x-dynamic-values` (`{"depends-on": [...]}`), which is what
    /// tells the host to ask.
    pub fn dynamic_values<F>(self, property: &str, depends_on: &[&str], handler: F) -> Self
    where
        F: Fn(&Context, &Value) -> Result<Vec<Choice>> + 'static,
    {
        self.entry.dynamics.retain(|d| d.property != property);
        self.entry.dynamics.push(Dynamic {
            property: property.into(),
            depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
            handler: Box::new(handler),
        });
        self
    }

    /// For push triggers: the path the host's webhook listens on for this
    /// trigger (default `/hooks/<trigger id>`).
    pub fn webhook_path(self, path: &str) -> Self {
        if let Handler::Push(push) = &mut self.entry.handler {
            push.path = path.into();
        }
        self
    }

    /// For push triggers whose event source must be told where to send
    /// events: when the trigger starts the host calls `subscribe(ctx, input,
    /// callback_url)`, which registers the callback at the source and returns
    /// what is needed to undo it (`S`, e.g. the id the source gave; the host
    /// stores it); when the trigger is removed the host calls
    /// `unsubscribe(ctx, input, subscription)`. Sets `needs-subscription`.
    /// An already ended subscription should not be an error.
    pub fn subscription<I, S, FS, FU>(self, subscribe: FS, unsubscribe: FU) -> Self
    where
        I: DeserializeOwned + 'static,
        S: Serialize + DeserializeOwned + 'static,
        FS: Fn(&Context, I, &str) -> Result<S> + 'static,
        FU: Fn(&Context, I, S) -> Result<()> + 'static,
    {
        if let (Handler::Push(push), Some(trigger)) =
            (&mut self.entry.handler, &mut self.entry.trigger)
        {
            trigger.needs_subscription = true;
            push.subscription = Some((
                Box::new(move |ctx, input, callback| {
                    let subscription = subscribe(ctx, typed(input)?, callback)?;
                    to_json(&subscription, "subscription")
                }),
                Box::new(move |ctx, input, data| {
                    let subscription = read_subscription::<S>(data)?;
                    unsubscribe(ctx, typed(input)?, subscription)
                }),
            ));
        }
        self
    }
}

impl Operations {
    /// No operations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an action whose schemas are derived from its input type and
    /// its output's body type.
    pub fn action<I, O, F>(&mut self, id: &str, summary: &str, handler: F) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + JsonSchema + 'static,
        O: IntoReply + 'static,
        O::Body: JsonSchema,
        F: Fn(&Context, I) -> Result<O> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::Action,
            SchemaSource::Derived(input_schema::<I>),
            SchemaSource::Derived(output_schema::<O::Body>),
            Handler::Action(action_handler(handler)),
        )
    }

    /// Registers an action with hand-written JSON Schemas.
    pub fn action_with_schemas<I, O, F>(
        &mut self,
        id: &str,
        summary: &str,
        input_schema: Value,
        output_schema: Value,
        handler: F,
    ) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + 'static,
        O: IntoReply + 'static,
        F: Fn(&Context, I) -> Result<O> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::Action,
            SchemaSource::Given(input_schema),
            SchemaSource::Given(output_schema),
            Handler::Action(action_handler(handler)),
        )
    }

    /// Registers a polling trigger whose schemas are derived from its input
    /// type and its items' body type. `S` is the trigger's state: what a poll
    /// returns is what the next poll gets (`None` on the first poll).
    pub fn polling_trigger<I, B, S, F>(
        &mut self,
        id: &str,
        summary: &str,
        handler: F,
    ) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + JsonSchema + 'static,
        B: Serialize + JsonSchema + 'static,
        S: Serialize + DeserializeOwned + 'static,
        F: Fn(&Context, I, Option<S>) -> Result<Poll<B, S>> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::PollingTrigger,
            SchemaSource::Derived(input_schema::<I>),
            SchemaSource::Derived(output_schema::<B>),
            Handler::Poll(poll_handler(handler)),
        )
    }

    /// Registers a polling trigger with hand-written JSON Schemas.
    pub fn polling_trigger_with_schemas<I, B, S, F>(
        &mut self,
        id: &str,
        summary: &str,
        input_schema: Value,
        output_schema: Value,
        handler: F,
    ) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + 'static,
        B: Serialize + 'static,
        S: Serialize + DeserializeOwned + 'static,
        F: Fn(&Context, I, Option<S>) -> Result<Poll<B, S>> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::PollingTrigger,
            SchemaSource::Given(input_schema),
            SchemaSource::Given(output_schema),
            Handler::Poll(poll_handler(handler)),
        )
    }

    /// Registers a push trigger fed by the host's webhook (at
    /// `/hooks/<id>`, or the builder's `webhook_path`), whose schemas are
    /// derived from its input type and its items' body type:
    /// `handler(ctx, input, event)` turns one request into items. Chain
    /// `.subscription(subscribe, unsubscribe)` when the event source must be
    /// told the callback URL.
    pub fn push_trigger<I, B, F>(
        &mut self,
        id: &str,
        summary: &str,
        handler: F,
    ) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + JsonSchema + 'static,
        B: Serialize + JsonSchema + 'static,
        F: Fn(&Context, I, &Event) -> Result<Vec<Item<B>>> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::PushTrigger,
            SchemaSource::Derived(input_schema::<I>),
            SchemaSource::Derived(output_schema::<B>),
            Handler::Push(push_handler(id, handler)),
        )
    }

    /// Registers a push trigger with hand-written JSON Schemas.
    pub fn push_trigger_with_schemas<I, B, F>(
        &mut self,
        id: &str,
        summary: &str,
        input_schema: Value,
        output_schema: Value,
        handler: F,
    ) -> OperationBuilder<'_>
    where
        I: DeserializeOwned + 'static,
        B: Serialize + 'static,
        F: Fn(&Context, I, &Event) -> Result<Vec<Item<B>>> + 'static,
    {
        self.push(
            id,
            summary,
            wit::OperationKind::PushTrigger,
            SchemaSource::Given(input_schema),
            SchemaSource::Given(output_schema),
            Handler::Push(push_handler(id, handler)),
        )
    }

    fn push(
        &mut self,
        id: &str,
        summary: &str,
        kind: wit::OperationKind,
        input_schema: SchemaSource,
        output_schema: SchemaSource,
        handler: Handler,
    ) -> OperationBuilder<'_> {
        let trigger = match kind {
            wit::OperationKind::Action => None,
            wit::OperationKind::PollingTrigger => Some(DEFAULT_RECURRENCE_SECONDS),
            // A push trigger is not polled: the contract asks for 0.
            wit::OperationKind::PushTrigger => Some(0),
        }
        .map(|default_recurrence_seconds| wit::TriggerSettings {
            default_recurrence_seconds,
            item_mode: ItemMode::Split,
            needs_subscription: false,
        });
        self.entries.push(Entry {
            id: id.into(),
            summary: summary.into(),
            description: String::new(),
            visibility: Visibility::Important,
            kind,
            input_schema,
            output_schema,
            trigger,
            handler,
            dynamics: Vec::new(),
        });
        let entry = self.entries.last_mut().expect("an entry was just pushed");
        OperationBuilder { entry }
    }

    /// The operation with this id.
    pub(crate) fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    /// Whether any operation is a trigger.
    pub(crate) fn has_triggers(&self) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.kind != wit::OperationKind::Action)
    }

    /// The manifests, as `list-operations` returns them (with the schemas as
    /// JSON text, `x-dynamic-values` written into the properties that have
    /// dynamic values); for a connector's own unit tests too.
    pub fn manifests(&self) -> Vec<wit::Operation> {
        self.entries
            .iter()
            .map(|entry| {
                let mut input = entry.input_schema.value().into_owned();
                annotate(&mut input, &entry.dynamics);
                wit::Operation {
                    id: entry.id.clone(),
                    summary: entry.summary.clone(),
                    description: entry.description.clone(),
                    visibility: entry.visibility,
                    kind: entry.kind,
                    input_schema: input.to_string(),
                    output_schema: entry.output_schema.value().to_string(),
                    trigger: entry.trigger,
                }
            })
            .collect()
    }
}

/// The schema of an input type, as the input is deserialized.
fn input_schema<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

/// The schema of an output type, as the output is serialized.
fn output_schema<T: JsonSchema>() -> Value {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
}

fn items<B: Serialize>(items: &[Item<B>]) -> Result<Vec<wit::TriggerItem>> {
    items
        .iter()
        .map(|item| {
            Ok(wit::TriggerItem {
                id: item.id.clone(),
                body: to_json(&item.body, "item")?,
            })
        })
        .collect()
}

fn action_handler<I, O, F>(handler: F) -> ActionFn
where
    I: DeserializeOwned + 'static,
    O: IntoReply + 'static,
    F: Fn(&Context, I) -> Result<O> + 'static,
{
    Box::new(move |ctx, input| {
        let reply = handler(ctx, typed(input)?)?.into_reply();
        Ok(wit::Response {
            status: reply.status,
            body: to_json(&reply.body, "output")?,
        })
    })
}

fn poll_handler<I, B, S, F>(handler: F) -> PollFn
where
    I: DeserializeOwned + 'static,
    B: Serialize + 'static,
    S: Serialize + DeserializeOwned + 'static,
    F: Fn(&Context, I, Option<S>) -> Result<Poll<B, S>> + 'static,
{
    Box::new(move |ctx, input, state| {
        let input = typed(input)?;
        let state = state
            .map(|text| {
                serde_json::from_str::<S>(text).map_err(|e| {
                    Error::invalid_input(
                        "bad-state",
                        format!(
                            "the trigger state is not one this trigger returned: {e}; \
                             reset the trigger's state"
                        ),
                    )
                })
            })
            .transpose()?;
        let poll = handler(ctx, input, state)?;
        Ok(wit::PollResult {
            items: items(&poll.items)?,
            state: poll
                .state
                .as_ref()
                .map(|state| to_json(state, "state"))
                .transpose()?,
            poll_again_after_ms: poll.poll_again_after_ms,
        })
    })
}

fn push_handler<I, B, F>(id: &str, handler: F) -> Push
where
    I: DeserializeOwned + 'static,
    B: Serialize + 'static,
    F: Fn(&Context, I, &Event) -> Result<Vec<Item<B>>> + 'static,
{
    Push {
        path: format!("/hooks/{id}"),
        check_input: Box::new(|input| typed::<I>(input).map(|_| ())),
        handle: Box::new(move |ctx, input, event| items(&handler(ctx, typed(input)?, event)?)),
        subscription: None,
    }
}
