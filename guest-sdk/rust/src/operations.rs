//! Operations: their manifests (id, summary, schemas, trigger settings) and
//! the typed handlers that run them.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::connector::provider::types as wit;
use crate::context::Context;
use crate::error::{Error, Result};

/// Whether a poll's items are delivered together or one event each.
pub use wit::ItemMode;
/// How prominently a designer shows an operation.
pub use wit::Visibility;

/// The recurrence a polling trigger gets unless it says otherwise.
const DEFAULT_RECURRENCE_SECONDS: u32 = 60;

/// An action's answer: an HTTP-like status and a body.
///
/// A handler that returns a plain body answers 200; one that needs another
/// status (201 for "created", 202 for "accepted") returns a `Reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The status code, 100-599.
    pub status: u16,
    /// The body; it must be valid against the output schema.
    pub body: T,
}

impl<T> Reply<T> {
    /// 200 OK.
    pub fn ok(body: T) -> Self {
        Self::with_status(200, body)
    }

    /// 201 Created.
    pub fn created(body: T) -> Self {
        Self::with_status(201, body)
    }

    /// Any status.
    pub fn with_status(status: u16, body: T) -> Self {
        Self { status, body }
    }
}

/// What an action handler may return: a body (answered with 200) or a
/// [`Reply`] with its own status.
pub trait IntoReply {
    /// The body's type, whose schema is the output schema.
    type Body: Serialize;
    /// The status and the body.
    fn into_reply(self) -> Reply<Self::Body>;
}

impl<T: Serialize> IntoReply for T {
    type Body = T;
    fn into_reply(self) -> Reply<T> {
        Reply::ok(self)
    }
}

impl<T: Serialize> IntoReply for Reply<T> {
    type Body = T;
    fn into_reply(self) -> Reply<T> {
        self
    }
}

/// One thing a trigger found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<B> {
    /// A stable id: the same thing found again has the same id, so that the
    /// host can deliver it exactly once to a consumer that keeps ids.
    pub id: String,
    /// The body; it must be valid against the trigger's output schema.
    pub body: B,
}

impl<B> Item<B> {
    /// An item.
    pub fn new(id: impl Into<String>, body: B) -> Self {
        Self {
            id: id.into(),
            body,
        }
    }
}

/// What one poll found, and the state for the next poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll<B, S> {
    /// Items found, oldest first.
    pub items: Vec<Item<B>>,
    /// The state to pass to the next poll; `None` keeps the current one.
    /// The host commits it only once every item has been delivered.
    pub state: Option<S>,
    /// When to poll next, in milliseconds; `Some(0)` asks to be polled again
    /// at once because more items wait. `None` keeps the recurrence.
    pub poll_again_after_ms: Option<u64>,
}

impl<B, S> Poll<B, S> {
    /// A poll that found `items` and keeps the current state.
    pub fn new(items: Vec<Item<B>>) -> Self {
        Self {
            items,
            state: None,
            poll_again_after_ms: None,
        }
    }

    /// Sets the state for the next poll.
    pub fn state(mut self, state: S) -> Self {
        self.state = Some(state);
        self
    }

    /// Asks to be polled again at once: more items wait.
    pub fn poll_again_now(mut self) -> Self {
        self.poll_again_after_ms = Some(0);
        self
    }

    /// Asks to be polled again after `ms` milliseconds.
    pub fn poll_again_after_ms(mut self, ms: u64) -> Self {
        self.poll_again_after_ms = Some(ms);
        self
    }
}

type ActionFn = Box<dyn Fn(&Context, &str) -> Result<wit::Response>>;
type PollFn = Box<dyn Fn(&Context, &str, Option<&str>) -> Result<wit::PollResult>>;

/// How an operation runs, with its input (and state) as JSON text.
pub(crate) enum Handler {
    Action(ActionFn),
    Poll(PollFn),
}

/// A schema given by hand, or derived from a type when it is asked for
/// (only `list-operations` needs schemas, so other calls never derive them).
enum SchemaSource {
    Given(Value),
    Derived(fn() -> Value),
}

impl SchemaSource {
    fn text(&self) -> String {
        match self {
            SchemaSource::Given(value) => value.to_string(),
            SchemaSource::Derived(derive) => derive().to_string(),
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
}

/// The operations of a connector, registered in [`crate::Connector::operations`].
///
/// `action` and `polling_trigger` derive the input and output schemas from
/// the handler's types (with [`schemars`]; doc comments become
/// descriptions, `#[serde(deny_unknown_fields)]` closes the object); the
/// `_with_schemas` variants take hand-written JSON Schemas instead.
#[derive(Default)]
pub struct Operations {
    entries: Vec<Entry>,
}

/// Sets the optional parts of an operation's manifest, e.g.
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

    /// For triggers: how often to poll when the operator does not say.
    pub fn every_seconds(self, seconds: u32) -> Self {
        if let Some(trigger) = &mut self.entry.trigger {
            trigger.default_recurrence_seconds = seconds;
        }
        self
    }

    /// For triggers: whether a poll's items are one event or one each
    /// (default: split, one event per item).
    pub fn item_mode(self, mode: ItemMode) -> Self {
        if let Some(trigger) = &mut self.entry.trigger {
            trigger.item_mode = mode;
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
            _ => Some(wit::TriggerSettings {
                default_recurrence_seconds: DEFAULT_RECURRENCE_SECONDS,
                item_mode: ItemMode::Split,
            }),
        };
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
    /// JSON text); for a connector's own unit tests.
    pub fn manifests(&self) -> Vec<wit::Operation> {
        self.entries
            .iter()
            .map(|entry| wit::Operation {
                id: entry.id.clone(),
                summary: entry.summary.clone(),
                description: entry.description.clone(),
                visibility: entry.visibility,
                kind: entry.kind,
                input_schema: entry.input_schema.text(),
                output_schema: entry.output_schema.text(),
                trigger: entry.trigger,
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

/// Parses an operation's JSON input. The host validates inputs against the
/// schema first, but a connector must not trust that blindly: an input that
/// does not fit is an `invalid-input` error, never a panic. Inputs are JSON
/// objects; anything else is refused before serde sees it (serde would
/// read a struct whose fields all have defaults from `[]`).
fn parse_input<I: DeserializeOwned>(input: &str) -> Result<I> {
    let bad_input = |why: String| {
        Error::invalid_input(
            "bad-input",
            format!("the input does not fit the schema: {why}"),
        )
    };
    let value: Value = serde_json::from_str(input).map_err(|e| bad_input(e.to_string()))?;
    if !value.is_object() {
        return Err(bad_input(format!("expected an object, got {value}")));
    }
    serde_json::from_value(value).map_err(|e| bad_input(e.to_string()))
}

/// Serializes an output body, an item's body or a state.
fn to_json<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal("serialize", format!("cannot serialize the {what}: {e}")))
}

fn action_handler<I, O, F>(handler: F) -> ActionFn
where
    I: DeserializeOwned + 'static,
    O: IntoReply + 'static,
    F: Fn(&Context, I) -> Result<O> + 'static,
{
    Box::new(move |ctx, input| {
        let reply = handler(ctx, parse_input(input)?)?.into_reply();
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
        let input = parse_input(input)?;
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
        let items = poll
            .items
            .iter()
            .map(|item| {
                Ok(wit::TriggerItem {
                    id: item.id.clone(),
                    body: to_json(&item.body, "item")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(wit::PollResult {
            items,
            state: poll
                .state
                .as_ref()
                .map(|state| to_json(state, "state"))
                .transpose()?,
            poll_again_after_ms: poll.poll_again_after_ms,
        })
    })
}
