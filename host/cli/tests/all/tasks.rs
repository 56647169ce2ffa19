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
            http: vec!["http://{host} private".parse().unwrap()],
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

/// Contract 0.2.0's call context, used for real: `create-task` sends the
/// step's idempotency key as `Idempotency-Key`, and the API answers a repeat
/// with the task it made the first time. Every attempt of one step of one
/// run has the same key; another step, another run, or a call outside any
/// run (a fresh key each time) creates a new task.
#[test]
fn a_retried_create_step_creates_one_task() {
    use connector_host::connector::CallContext;

    let (api, tasks, conn) = setup();
    let input = json!({"title": "Pay invoice"});
    let first = tasks
        .invoke_with(
            "create-task",
            &conn,
            &input,
            &CallContext::for_step("run-1", "Create", 1),
        )
        .unwrap();
    let retry = tasks
        .invoke_with(
            "create-task",
            &conn,
            &input,
            &CallContext::for_step("run-1", "Create", 2),
        )
        .unwrap();
    assert_eq!(first.status, 201);
    assert_eq!(
        first.body.to_value().unwrap(),
        retry.body.to_value().unwrap(),
        "the retry gets the task made the first time"
    );
    let other_step = tasks
        .invoke_with(
            "create-task",
            &conn,
            &input,
            &CallContext::for_step("run-1", "Create_again", 1),
        )
        .unwrap();
    let other_run = tasks
        .invoke_with(
            "create-task",
            &conn,
            &input,
            &CallContext::for_step("run-2", "Create", 1),
        )
        .unwrap();
    let plain = tasks.invoke("create-task", &conn, &input).unwrap();
    let ids: Vec<u64> = [&first, &other_step, &other_run, &plain]
        .iter()
        .map(|r| r.body.to_value().unwrap()["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    let all = tasks.invoke("list-tasks", &conn, &json!({})).unwrap();
    assert_eq!(
        all.body.to_value().unwrap()["tasks"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        api.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|l| *l == "POST /tasks")
            .count(),
        5,
        "five requests, four tasks"
    );
}

/// Dynamic values from the API: a task `id` offers the tasks the API lists,
/// and `update-task`'s depends on the `status` chosen so far. The schemas
/// say so with `x-dynamic-values`.
#[test]
fn task_ids_offer_the_api_s_tasks() {
    let (_api, tasks, conn) = setup();
    for title in ["Alpha", "Beta"] {
        tasks
            .invoke("create-task", &conn, &json!({"title": title}))
            .unwrap();
    }
    tasks
        .invoke("update-task", &conn, &json!({"id": 2, "status": "done"}))
        .unwrap();

    let choices = |op: &str, so_far: serde_json::Value| -> Vec<(serde_json::Value, String)> {
        tasks
            .dynamic_values(op, "id", &conn, &so_far)
            .unwrap()
            .into_iter()
            .map(|c| (c.value.to_value().unwrap(), c.title))
            .collect()
    };
    assert_eq!(
        choices("get-task", json!({})),
        [
            (json!(1), "#1 Alpha".to_string()),
            (json!(2), "#2 Beta".to_string())
        ]
    );
    // Closing tasks: only the open one would change.
    assert_eq!(
        choices("update-task", json!({"status": "done"})),
        [(json!(1), "#1 Alpha".to_string())]
    );
    assert_eq!(
        choices("update-task", json!({"status": "open"})),
        [(json!(2), "#2 Beta".to_string())]
    );

    let ops = &tasks.description().operations;
    let schema_of = |id: &str| {
        ops.iter()
            .find(|o| o.id == id)
            .unwrap()
            .input_schema
            .clone()
    };
    assert_eq!(
        schema_of("update-task")["properties"]["id"]["x-dynamic-values"],
        json!({"depends-on": ["status"]})
    );
    assert_eq!(
        schema_of("get-task")["properties"]["id"]["x-dynamic-values"],
        json!({})
    );
    // A property without the keyword is refused before any call.
    assert!(
        tasks
            .dynamic_values("update-task", "title", &conn, &json!({}))
            .is_err()
    );
}

/// The push trigger `task-changed` and its subscription lifecycle, against
/// the API: `subscribe` registers the callback URL (the API then POSTs an
/// event there for every created or updated task), the event the API sent
/// becomes an item through `handle-event`, and `unsubscribe` ends it (again
/// is fine: an already ended subscription is not an error).
#[test]
fn task_changed_subscribes_receives_and_unsubscribes() {
    use connector_host::connector::RawEvent;
    use std::io::{BufRead, BufReader, Read, Write};

    let (api, tasks, conn) = setup();
    assert!(tasks.needs_subscription("task-changed"));
    assert!(!tasks.needs_subscription("task-created"));

    // Where the host would listen: a receiver on 127.0.0.1 that keeps each
    // request body and answers 202, for at most two requests.
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let callback = format!(
        "http://{}/hooks/task-changed",
        receiver.local_addr().unwrap()
    );
    let received = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for stream in receiver.incoming().take(2) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            bodies.push(body);
            stream
                .write_all(
                    b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .unwrap();
        }
        bodies
    });

    let subscription = tasks
        .subscribe("task-changed", &conn, &json!({}), &callback)
        .unwrap();
    assert_eq!(subscription.data, r#"{"id":"sub-1"}"#);
    assert_eq!(api.subscribers(), std::slice::from_ref(&callback));

    tasks
        .invoke("create-task", &conn, &json!({"title": "Hooked"}))
        .unwrap();
    tasks
        .invoke("update-task", &conn, &json!({"id": 1, "status": "done"}))
        .unwrap();
    let deliveries = api.wait_for_deliveries(2, std::time::Duration::from_secs(10));
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    assert!(
        deliveries
            .iter()
            .all(|d| d.outcome == Ok(202) && d.url == callback),
        "{deliveries:?}"
    );
    // Each change's event goes out from its own thread: sorted by event id,
    // the order they happened in.
    let mut changes: Vec<(String, String)> = deliveries
        .iter()
        .map(|d| (d.event["id"].to_string(), d.event["change"].to_string()))
        .collect();
    changes.sort();
    assert_eq!(
        changes,
        [
            (r#""evt-1""#.to_string(), r#""created""#.to_string()),
            (r#""evt-2""#.to_string(), r#""updated""#.to_string())
        ]
    );
    let bodies = received.join().unwrap();

    let mut items = Vec::new();
    for body in bodies {
        let event = RawEvent {
            method: "POST".into(),
            path: "/hooks/task-changed".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        };
        items.extend(
            tasks
                .handle_event("task-changed", &conn, &json!({}), &event)
                .unwrap(),
        );
    }
    let seen: Vec<(String, serde_json::Value, serde_json::Value)> = items
        .iter()
        .map(|item| {
            let body = item.body.to_value().unwrap();
            (
                item.id.clone(),
                body["change"].clone(),
                body["task"]["status"].clone(),
            )
        })
        .collect();
    let mut seen = seen;
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("evt-1".to_string(), json!("created"), json!("open")),
            ("evt-2".to_string(), json!("updated"), json!("done")),
        ]
    );

    tasks
        .unsubscribe("task-changed", &conn, &json!({}), &subscription)
        .unwrap();
    assert!(api.subscribers().is_empty());
    tasks
        .unsubscribe("task-changed", &conn, &json!({}), &subscription)
        .expect("an already ended subscription is not an error");
    let seen = api.seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter()
            .filter(|l| *l == "DELETE /subscriptions/sub-1")
            .count(),
        2,
        "{seen:?}"
    );
}
