//! A connector whose descriptions break the contract's rules on purpose.
//!
//! The host validates `describe-service` and `list-operations` when it loads
//! a connector, and must report *every* problem at once rather than stopping
//! at the first. This guest gives it one instance of each rule to break, and
//! keeps everything else well formed so that the list of problems the host
//! reports is exactly the list below:
//!
//! `describe-service`
//! - `id` is empty;
//! - `version` is `not-semver`;
//! - `brand-color` is `blue` instead of `#rrggbb`;
//! - two connection parameters are both named `token`;
//! - the secret parameter `password` has a default value.
//!
//! `list-operations`
//! - two operations share the id `dup`;
//! - `bad-input-schema` has an input schema that is not JSON (`{oops`);
//! - `bad-output-schema` has an output schema that is JSON but not a JSON
//!   Schema (`{"type": 12}`);
//! - `trigger-without-settings` is a polling trigger with no trigger settings;
//! - `action-with-settings` is an action with trigger settings;
//! - one operation has an empty id;
//! - `ref-bomb`'s output schema expands through `$ref` to 2^17 subschemas;
//! - `typo-keywords` misspells keywords: `tpye` (so its input schema does not
//!   say it takes an object), `integr` (not a type) and `minimun` (checks
//!   nothing: a warning, not a problem).
//!
//! Should a host run it anyway, every call returns a body that is not JSON.

// Built against the frozen 0.1.0 contract on purpose: this guest checks that
// the host still runs components of the previous version.
wit_bindgen::generate!({
    path: "../../../wit/v0.1.0",
    world: "connector",
});

use connector::provider::types::{
    Binding, Capabilities, ConnectionParameter, ConnectorError, ErrorKind, ItemMode, Operation,
    OperationKind, ParameterKind, PollResult, RawEvent, Response, ServiceDescription, TriggerItem,
    TriggerSettings, Visibility,
};

/// The body every call returns: not JSON, so the host must reject it.
const NOT_JSON: &str = "not json";

/// A valid, permissive schema for the parts of operations that are not
/// meant to be broken.
const OBJECT_SCHEMA: &str = r#"{"type":"object"}"#;

/// A 1×1 transparent SVG: the icon is not one of the broken rules.
const ICON_URI: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiLz4=";

/// The connector: a unit struct that the generated bindings call into.
struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        ServiceDescription {
            // Broken: an id must not be empty.
            id: String::new(),
            display_name: "Malformed".into(),
            description: "A test connector whose description breaks the contract on purpose."
                .into(),
            // Broken: not a semantic version.
            version: "not-semver".into(),
            // Broken: not `#rrggbb`.
            brand_color: "blue".into(),
            icon_uri: ICON_URI.into(),
            connection_parameters: vec![
                parameter("token", ParameterKind::Text, None),
                // Broken: a second parameter with the same name.
                parameter("token", ParameterKind::Text, None),
                // Broken: a secret must not have a default value.
                parameter("password", ParameterKind::Secret, Some("hunter2")),
            ],
            capabilities: Capabilities {
                outbound_hosts: Vec::new(),
                directories: Vec::new(),
            },
        }
    }

    fn list_operations() -> Vec<Operation> {
        let polling = Some(TriggerSettings {
            default_recurrence_seconds: 60,
            item_mode: ItemMode::Split,
        });
        vec![
            action("dup", OBJECT_SCHEMA, OBJECT_SCHEMA),
            // Broken: the same id twice.
            action("dup", OBJECT_SCHEMA, OBJECT_SCHEMA),
            // Broken: the input schema is not JSON.
            action("bad-input-schema", "{oops", OBJECT_SCHEMA),
            // Broken: JSON, but `type` must be a string or an array of strings.
            action("bad-output-schema", OBJECT_SCHEMA, r#"{"type": 12}"#),
            // Broken: a polling trigger needs trigger settings.
            Operation {
                kind: OperationKind::PollingTrigger,
                trigger: None,
                ..action("trigger-without-settings", OBJECT_SCHEMA, OBJECT_SCHEMA)
            },
            // Broken: an action must not have trigger settings.
            Operation {
                trigger: polling,
                ..action("action-with-settings", OBJECT_SCHEMA, OBJECT_SCHEMA)
            },
            // Broken: an operation id must not be empty.
            action("", OBJECT_SCHEMA, OBJECT_SCHEMA),
            // Broken: typos. `tpye` leaves the input schema without
            // `"type": "object"` (a problem), `integr` is no type (a
            // problem), and `minimun` checks nothing (a warning).
            // Broken: 1 KB that expands through `$ref` to 2^17 subschemas;
            // compiling it would not end.
            action("ref-bomb", OBJECT_SCHEMA, &ref_bomb(17)),
            action(
                "typo-keywords",
                r#"{"tpye":"object","properties":{"n":{"type":"integr"}}}"#,
                r#"{"type":"object","properties":{"n":{"type":"integer","minimun":1}}}"#,
            ),
        ]
    }

    fn check_connection(_connection: Vec<(String, String)>) -> Result<(), ConnectorError> {
        Ok(())
    }

    fn invoke(
        _operation_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Response, ConnectorError> {
        Ok(Response {
            status: 200,
            body: NOT_JSON.into(),
        })
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _state: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        Ok(PollResult {
            items: vec![TriggerItem {
                id: trigger_id,
                body: NOT_JSON.into(),
            }],
            state: None,
            poll_again_after_ms: None,
        })
    }

    fn push_binding(
        _trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
    ) -> Result<Binding, ConnectorError> {
        Err(not_a_push_trigger())
    }

    fn handle_event(
        _trigger_id: String,
        _connection: Vec<(String, String)>,
        _input: String,
        _event: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        Err(not_a_push_trigger())
    }
}

/// A connection parameter that is not required.
fn parameter(name: &str, kind: ParameterKind, default: Option<&str>) -> ConnectionParameter {
    ConnectionParameter {
        name: name.into(),
        display_name: name.into(),
        description: format!("The `{name}` parameter."),
        kind,
        required: false,
        default_value: default.map(Into::into),
    }
}

/// An action with the given id and schemas, otherwise well formed.
/// `levels` of `$defs`, each an `allOf` of two references to the next.
fn ref_bomb(levels: usize) -> String {
    let defs: Vec<String> = (0..levels)
        .map(|i| {
            format!(
                r##""l{i}":{{"allOf":[{{"$ref":"#/$defs/l{n}"}},{{"$ref":"#/$defs/l{n}"}}]}}"##,
                n = i + 1
            )
        })
        .chain(std::iter::once(format!(
            r#""l{levels}":{{"type":"string"}}"#
        )))
        .collect();
    format!(
        r##"{{"$ref":"#/$defs/l0","$defs":{{{}}}}}"##,
        defs.join(",")
    )
}

fn action(id: &str, input_schema: &str, output_schema: &str) -> Operation {
    Operation {
        id: id.into(),
        summary: format!("Operation `{id}`"),
        description: "An operation of the malformed test connector.".into(),
        visibility: Visibility::Important,
        kind: OperationKind::Action,
        input_schema: input_schema.into(),
        output_schema: output_schema.into(),
        trigger: None,
    }
}

fn not_a_push_trigger() -> ConnectorError {
    ConnectorError {
        kind: ErrorKind::InvalidInput,
        code: "not-a-push-trigger".into(),
        message: "this connector has no push triggers".into(),
        retry_after_ms: None,
    }
}

export!(Component);
