//! The `tasks` example, a REST connector, against a real task-tracker API
//! served on 127.0.0.1: every operation, the trigger with its state, and
//! HTTP failures mapped to the error kinds a runtime acts on.

use connector_host::capabilities::Grants;
use connector_host::{CallError, Connection, ConnectorOptions, ErrorKind};
use serde_json::json;

use crate::support::*;
use crate::taskapi::TaskApi;

const TOKEN: &str = "tasks-test-token";

fn setup() -> (TaskApi, connector_host::Connector, Connection) {
    let api = TaskApi::start(TOKEN);
    let options = ConnectorOptions {
        grants: Grants {
            http: vec!["http://{host}".parse().unwrap()],
            ..Grants::default()
        },
        ..ConnectorOptions::default()
    };
    let tasks = runtime()
        .load(&guest("example_tasks"), options)
        .expect("tasks connector loads");
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    conn.set("token", TOKEN);
    (api, tasks, conn)
}

fn kind(err: &CallError) -> Option<ErrorKind> {
    match err {
        CallError::Connector { error, .. } => Some(error.kind),
        _ => None,
    }
}

#[test]
fn every_operation_against_the_api() {
    let (api, tasks, conn) = setup();
    tasks.check_connection(&conn).unwrap();

    let created = tasks
        .invoke("create-task", &conn, &json!({"title": "Write docs"}))
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(created.body.to_value().unwrap()["id"], 1);
    assert_eq!(created.body.to_value().unwrap()["status"], "open");
    tasks
        .invoke(
            "create-task",
            &conn,
            &json!({"title": "Ship", "description": "v1"}),
        )
        .unwrap();

    let got = tasks.invoke("get-task", &conn, &json!({"id": 2})).unwrap();
    assert_eq!(got.body.to_value().unwrap()["description"], "v1");

    let updated = tasks
        .invoke("update-task", &conn, &json!({"id": 1, "status": "done"}))
        .unwrap();
    assert_eq!(updated.body.to_value().unwrap()["status"], "done");

    let open = tasks
        .invoke("list-tasks", &conn, &json!({"status": "open"}))
        .unwrap();
    let body = open.body.to_value().unwrap();
    let titles: Vec<&str> = body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Ship"]);
    let all = tasks.invoke("list-tasks", &conn, &json!({})).unwrap();
    assert_eq!(
        all.body.to_value().unwrap()["tasks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The requests went where they should, with the connection's token.
    let seen = api.seen.lock().unwrap().clone();
    assert!(seen.contains(&"PATCH /tasks/1".to_string()), "{seen:?}");
}

#[test]
fn http_failures_become_typed_errors() {
    let (_api, tasks, conn) = setup();
    let err = tasks
        .invoke("get-task", &conn, &json!({"id": 99}))
        .unwrap_err();
    assert_eq!(kind(&err), Some(ErrorKind::NotFound), "{err}");

    let mut wrong = conn.clone();
    wrong.set("token", "not-the-token");
    let err = tasks.check_connection(&wrong).unwrap_err();
    assert_eq!(kind(&err), Some(ErrorKind::Unauthorized), "{err}");

    let err = tasks
        .invoke("create-task", &conn, &json!({"title": ""}))
        .unwrap_err();
    assert!(
        matches!(err, CallError::InvalidInput { .. }),
        "the schema refuses an empty title: {err}"
    );

    let mut gone = conn.clone();
    gone.set("host", "127.0.0.1:1");
    let err = tasks.invoke("list-tasks", &gone, &json!({})).unwrap_err();
    assert_eq!(
        kind(&err),
        Some(ErrorKind::Transient),
        "a refused connection is worth retrying: {err}"
    );
}

#[test]
fn task_created_trigger_pages_and_resumes_from_its_state() {
    let (_api, tasks, conn) = setup();
    for i in 0..5 {
        tasks
            .invoke("create-task", &conn, &json!({"title": format!("task {i}")}))
            .unwrap();
    }
    let input = json!({"page_size": 2});
    let first = tasks.poll("task-created", &conn, &input, None).unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect::<Vec<_>>(),
        ["task-1", "task-2"]
    );
    assert_eq!(
        first.poll_again_after,
        Some(std::time::Duration::ZERO),
        "a full page asks for more at once"
    );
    let second = tasks
        .poll("task-created", &conn, &input, first.state.as_ref())
        .unwrap();
    let third = tasks
        .poll("task-created", &conn, &input, second.state.as_ref())
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.poll_again_after, None);
    let quiet = tasks
        .poll("task-created", &conn, &input, third.state.as_ref())
        .unwrap();
    assert!(quiet.items.is_empty());
    tasks
        .invoke("create-task", &conn, &json!({"title": "late"}))
        .unwrap();
    let late = tasks
        .poll("task-created", &conn, &input, quiet.state.as_ref())
        .unwrap();
    assert_eq!(late.items[0].id, "task-6");
    assert_eq!(late.items[0].body.to_value().unwrap()["title"], "late");
}
