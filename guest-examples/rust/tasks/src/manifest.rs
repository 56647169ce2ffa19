//! What the connector says about itself: the service and its operations,
//! with hand-written JSON Schemas (kept as they were before the port to
//! `connector-sdk`). Keep them in step with the input structs in
//! [`crate::ops`].

use connector_sdk::{Operations, Parameter, Service, Value, json};

use crate::changes;
use crate::ops::{self, PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX};

const ICON: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCI+PHBhdGggZD0iTTkgMTYuMkw0LjggMTJsLTEuNCAxLjRMOSAxOSAyMSA3bC0xLjQtMS40eiIvPjwvc3ZnPg==";

/// The service description.
pub fn service() -> Service {
    Service::new("tasks", "Tasks", "0.1.0")
        .description(
            "Lists, reads, creates and updates tasks in a task-tracker REST API, and fires when \
             a task is created (polled) or changed (pushed by the API).",
        )
        .brand_color("#2e7d32")
        .icon_uri(ICON)
        .parameter(
            Parameter::text("host", "API host")
                .description(
                    "The API's host and optional port, e.g. tasks.example.com or 127.0.0.1:8080.",
                )
                .required(),
        )
        .parameter(
            Parameter::boolean("use_tls", "Use HTTPS")
                .description("false to call the API over plain HTTP (for a local test server).")
                .default_value("true"),
        )
        .parameter(
            Parameter::secret("token", "API token")
                .description("The bearer token the API expects.")
                .required(),
        )
        .outbound_host("https://{host}")
        .outbound_host("http://{host}")
}

fn task_schema() -> Value {
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

/// Registers the operations, with their schemas and handlers.
pub fn register(ops: &mut Operations) {
    let id = json!({"type": "integer", "minimum": 1, "description": "The task's id."});
    let status = json!({"type": "string", "enum": ["open", "done"]});
    ops.action_with_schemas(
        "list-tasks",
        "List tasks",
        json!({"type": "object", "properties": {"status": status}, "additionalProperties": false}),
        json!({"type": "object", "properties": {"tasks": {"type": "array", "items": task_schema()}}, "required": ["tasks"]}),
        ops::list_tasks,
    )
    .description("Lists tasks, optionally only open or done ones.");
    ops.action_with_schemas(
        "get-task",
        "Get a task",
        json!({"type": "object", "properties": {"id": id}, "required": ["id"], "additionalProperties": false}),
        task_schema(),
        ops::get_task,
    )
    .description("Reads one task by id.")
    .dynamic_values("id", &[], ops::task_choices);
    ops.action_with_schemas(
        "create-task",
        "Create a task",
        json!({"type": "object", "properties": {"title": {"type": "string", "minLength": 1}, "description": {"type": "string"}}, "required": ["title"], "additionalProperties": false}),
        task_schema(),
        ops::create_task,
    )
    .description("Creates an open task.");
    ops.action_with_schemas(
        "update-task",
        "Update a task",
        json!({"type": "object", "properties": {"id": id, "title": {"type": "string", "minLength": 1}, "description": {"type": "string"}, "status": status}, "required": ["id"], "additionalProperties": false}),
        task_schema(),
        ops::update_task,
    )
    .description("Changes a task's title, description or status.")
    .dynamic_values("id", &["status"], ops::task_choices);
    ops.polling_trigger_with_schemas(
        "task-created",
        "When a task is created",
        json!({"type": "object", "properties": {"page_size": {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX, "default": PAGE_SIZE_DEFAULT}}, "additionalProperties": false}),
        task_schema(),
        ops::task_created,
    )
    .description(
        "Fires once for every new task, oldest first. The state keeps the highest id seen.",
    )
    .every_seconds(60);
    ops.push_trigger_with_schemas(
        "task-changed",
        "When a task is created or changed",
        json!({"type": "object", "properties": {}, "additionalProperties": false}),
        json!({
            "type": "object",
            "properties": {
                "change": {"type": "string", "enum": ["created", "updated"]},
                "task": task_schema()
            },
            "required": ["change", "task"]
        }),
        changes::handle,
    )
    .description(
        "Fires at once for every task created or updated: the API calls the host's webhook. \
         The host subscribes its callback URL when the trigger starts and unsubscribes when \
         it is removed.",
    )
    .subscription(changes::subscribe, changes::unsubscribe);
}
