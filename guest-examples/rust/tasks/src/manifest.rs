//! What the connector says about itself: the service and its operations.

use serde_json::json;

use crate::connector::provider::types::{
    Capabilities, ConnectionParameter, ItemMode, Operation, OperationKind, ParameterKind,
    ServiceDescription, TriggerSettings, Visibility,
};

const ICON: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCI+PHBhdGggZD0iTTkgMTYuMkw0LjggMTJsLTEuNCAxLjRMOSAxOSAyMSA3bC0xLjQtMS40eiIvPjwvc3ZnPg==";

pub fn service() -> ServiceDescription {
    let param =
        |name: &str, display: &str, description: &str, kind, required, default: Option<&str>| {
            ConnectionParameter {
                name: name.into(),
                display_name: display.into(),
                description: description.into(),
                kind,
                required,
                default_value: default.map(Into::into),
            }
        };
    ServiceDescription {
        id: "tasks".into(),
        display_name: "Tasks".into(),
        description: "Lists, reads, creates and updates tasks in a task-tracker REST API, and fires when a task is created.".into(),
        version: "0.1.0".into(),
        brand_color: "#2e7d32".into(),
        icon_uri: ICON.into(),
        connection_parameters: vec![
            param("host", "API host", "The API's host and optional port, e.g. tasks.example.com or 127.0.0.1:8080.", ParameterKind::Text, true, None),
            param("use_tls", "Use HTTPS", "false to call the API over plain HTTP (for a local test server).", ParameterKind::Boolean, false, Some("true")),
            param("token", "API token", "The bearer token the API expects.", ParameterKind::Secret, true, None),
        ],
        capabilities: Capabilities {
            outbound_hosts: vec!["https://{host}".into(), "http://{host}".into()],
            directories: Vec::new(),
        },
    }
}

fn task_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The task's id."},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string", "enum": ["open", "done"]},
            "created": {"type": "integer", "description": "Creation time, Unix seconds."}
        },
        "required": ["id", "title", "status"]
    })
}

fn op(
    id: &str,
    summary: &str,
    description: &str,
    kind: OperationKind,
    input: serde_json::Value,
    output: serde_json::Value,
) -> Operation {
    Operation {
        id: id.into(),
        summary: summary.into(),
        description: description.into(),
        visibility: Visibility::Important,
        kind,
        input_schema: input.to_string(),
        output_schema: output.to_string(),
        trigger: None,
    }
}

pub fn operations() -> Vec<Operation> {
    let id = json!({"type": "integer", "minimum": 1, "description": "The task's id."});
    let status = json!({"type": "string", "enum": ["open", "done"]});
    let mut created = op(
        "task-created",
        "When a task is created",
        "Fires once for every new task, oldest first. The state keeps the highest id seen.",
        OperationKind::PollingTrigger,
        json!({"type": "object", "properties": {"page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}, "additionalProperties": false}),
        task_schema(),
    );
    created.trigger = Some(TriggerSettings {
        default_recurrence_seconds: 60,
        item_mode: ItemMode::Split,
    });
    vec![
        op(
            "list-tasks",
            "List tasks",
            "Lists tasks, optionally only open or done ones.",
            OperationKind::Action,
            json!({"type": "object", "properties": {"status": status}, "additionalProperties": false}),
            json!({"type": "object", "properties": {"tasks": {"type": "array", "items": task_schema()}}, "required": ["tasks"]}),
        ),
        op(
            "get-task",
            "Get a task",
            "Reads one task by id.",
            OperationKind::Action,
            json!({"type": "object", "properties": {"id": id}, "required": ["id"], "additionalProperties": false}),
            task_schema(),
        ),
        op(
            "create-task",
            "Create a task",
            "Creates an open task.",
            OperationKind::Action,
            json!({"type": "object", "properties": {"title": {"type": "string", "minLength": 1}, "description": {"type": "string"}}, "required": ["title"], "additionalProperties": false}),
            task_schema(),
        ),
        op(
            "update-task",
            "Update a task",
            "Changes a task's title, description or status.",
            OperationKind::Action,
            json!({"type": "object", "properties": {"id": id, "title": {"type": "string", "minLength": 1}, "description": {"type": "string"}, "status": status}, "required": ["id"], "additionalProperties": false}),
            task_schema(),
        ),
        created,
    ]
}
