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

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
});

mod api;
mod manifest;

use api::{Api, error};
use connector::provider::types::{
    Binding, ConnectorError, ErrorKind, Operation, PollResult, RawEvent, Response,
    ServiceDescription, TriggerItem,
};
use serde_json::{Value, json};

struct Component;

type Connection = Vec<(String, String)>;

fn parse(input: &str) -> Result<Value, ConnectorError> {
    serde_json::from_str(input).map_err(|e| {
        error(
            ErrorKind::InvalidInput,
            "bad-input",
            format!("input is not JSON: {e}"),
        )
    })
}

fn task_id(input: &Value) -> Result<u64, ConnectorError> {
    input.get("id").and_then(Value::as_u64).ok_or_else(|| {
        error(
            ErrorKind::InvalidInput,
            "bad-input",
            "id must be a positive integer",
        )
    })
}

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        manifest::service()
    }

    fn list_operations() -> Vec<Operation> {
        manifest::operations()
    }

    fn check_connection(connection: Connection) -> Result<(), ConnectorError> {
        // One cheap authenticated call: a wrong token is `unauthorized`.
        Api::from_connection(&connection)?
            .get("/tasks?limit=1")
            .map(|_| ())
    }

    fn invoke(
        operation_id: String,
        connection: Connection,
        input: String,
    ) -> Result<Response, ConnectorError> {
        let api = Api::from_connection(&connection)?;
        let input = parse(&input)?;
        let (status, body) = match operation_id.as_str() {
            "list-tasks" => {
                let path = match input.get("status").and_then(Value::as_str) {
                    Some(status) => format!("/tasks?status={status}"),
                    None => "/tasks".to_string(),
                };
                (200, json!({ "tasks": api.get(&path)? }))
            }
            "get-task" => (200, api.get(&format!("/tasks/{}", task_id(&input)?))?),
            "create-task" => (201, api.post("/tasks", &input)?),
            "update-task" => {
                let id = task_id(&input)?;
                let mut changes = input.clone();
                if let Some(map) = changes.as_object_mut() {
                    map.remove("id");
                }
                (200, api.patch(&format!("/tasks/{id}"), &changes)?)
            }
            other => {
                return Err(error(
                    ErrorKind::InvalidInput,
                    "unknown-operation",
                    format!("no operation named `{other}`"),
                ));
            }
        };
        Ok(Response {
            status,
            body: body.to_string(),
        })
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        trigger_id: String,
        connection: Connection,
        input: String,
        state: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        if trigger_id != "task-created" {
            return Err(error(
                ErrorKind::InvalidInput,
                "unknown-operation",
                format!("no trigger named `{trigger_id}`"),
            ));
        }
        let input = parse(&input)?;
        let page = input.get("page_size").and_then(Value::as_u64).unwrap_or(20);
        let after = match state {
            None => 0,
            Some(state) => serde_json::from_str::<Value>(&state)
                .ok()
                .and_then(|s| s.get("after_id")?.as_u64())
                .ok_or_else(|| {
                    error(
                        ErrorKind::InvalidInput,
                        "bad-state",
                        "state must be {\"after_id\": integer}",
                    )
                })?,
        };
        let api = Api::from_connection(&connection)?;
        let tasks = api.get(&format!("/tasks?created_after={after}&limit={page}"))?;
        let tasks = tasks.as_array().cloned().unwrap_or_default();
        let last = tasks
            .iter()
            .filter_map(|t| t.get("id")?.as_u64())
            .max()
            .unwrap_or(after);
        Ok(PollResult {
            items: tasks
                .iter()
                .map(|t| TriggerItem {
                    id: format!("task-{}", t["id"]),
                    body: t.to_string(),
                })
                .collect(),
            state: Some(json!({ "after_id": last }).to_string()),
            // A full page means more may wait: ask to be polled again at once.
            poll_again_after_ms: (tasks.len() as u64 >= page).then_some(0),
        })
    }

    fn push_binding(_: String, _: Connection, _: String) -> Result<Binding, ConnectorError> {
        Err(error(
            ErrorKind::InvalidInput,
            "not-a-push-trigger",
            "this connector has no push triggers",
        ))
    }

    fn handle_event(
        _: String,
        _: Connection,
        _: String,
        _: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        Err(error(
            ErrorKind::InvalidInput,
            "not-a-push-trigger",
            "this connector has no push triggers",
        ))
    }
}

export!(Component);
