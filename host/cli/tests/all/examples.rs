//! The example connectors, end to end: they validate, describe every
//! operation with schemas, and every operation runs; wrong inputs end in
//! the typed errors a runtime acts on.

use connector_host::description::OperationKind;
use connector_host::{CallError, Connection, ConnectorOptions, ErrorKind, Json, Runtime};
use serde_json::{Value, json};

use crate::support::*;

fn files_connector(rt: &Runtime, dir: &std::path::Path) -> connector_host::Connector {
    let options = ConnectorOptions {
        grants: connector_host::capabilities::Grants {
            dirs: vec![format!("{}::/data", dir.display()).parse().unwrap()],
            ..Default::default()
        },
        ..ConnectorOptions::default()
    };
    rt.load(&guest("example_files"), options)
        .expect("files connector loads")
}

fn kind_of(err: &CallError) -> Option<ErrorKind> {
    match err {
        CallError::Connector { error, .. } => Some(error.kind),
        _ => None,
    }
}

#[test]
fn examples_describe_every_operation_with_schemas() {
    let rt = runtime();
    for (name, expected) in [
        (
            "example_files",
            &[
                "list-files",
                "read-file",
                "write-file",
                "delete-file",
                "file-added-or-changed",
            ][..],
        ),
        (
            "example_data",
            &[
                "json-select",
                "render-template",
                "csv-to-json",
                "hash",
                "base64",
            ][..],
        ),
    ] {
        let inspection = rt
            .inspect(&guest(name), ConnectorOptions::default())
            .unwrap();
        assert!(
            inspection.problems.is_empty(),
            "{name}: {:?}",
            inspection.problems
        );
        let d = inspection.connector.description();
        let ids: Vec<&str> = d.operations.iter().map(|o| o.id.as_str()).collect();
        for id in expected {
            assert!(ids.contains(id), "{name} lacks {id}: {ids:?}");
        }
        for op in &d.operations {
            assert_eq!(op.input_schema["type"], "object", "{name}.{}", op.id);
            assert!(op.output_schema.is_object(), "{name}.{}", op.id);
        }
    }
}

#[test]
fn data_operations_compute() {
    let rt = runtime();
    let data = rt
        .load(&guest("example_data"), ConnectorOptions::default())
        .unwrap();
    let none = Connection::new();
    let call = |op: &str, input: Value| data.invoke(op, &none, &input);

    let out = call(
        "json-select",
        json!({"document": {"a": {"b": [10, 20]}}, "pointer": "/a/b/1"}),
    )
    .unwrap();
    assert_eq!(out.body, json!({"found": true, "value": 20}));
    let out = call(
        "json-select",
        json!({"document": {"a": 1}, "pointer": "/zzz"}),
    )
    .unwrap();
    assert_eq!(out.body.to_value().unwrap()["found"], false);

    let out = call("render-template", json!({"template": "Hi {{name}} from {{place.city}}", "values": {"name": "Ada", "place": {"city": "Turin"}}})).unwrap();
    assert_eq!(out.body.to_value().unwrap()["text"], "Hi Ada from Turin");
    let err = call(
        "render-template",
        json!({"template": "Hi {{who}}", "values": {}}),
    )
    .unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::InvalidInput), "{err}");
    assert!(
        err.to_string().contains("who"),
        "the error names the placeholder: {err}"
    );

    let out = call(
        "csv-to-json",
        json!({"csv": "name,qty\nbolt,4\n\"nut, hex\",10\n"}),
    )
    .unwrap();
    assert_eq!(out.body.to_value().unwrap()["count"], 2);
    assert_eq!(out.body.to_value().unwrap()["rows"][1]["name"], "nut, hex");
    let err = call("csv-to-json", json!({"csv": "a,b\n1,2,3\n"})).unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::InvalidInput), "{err}");

    let out = call("hash", json!({"text": "hello", "algorithm": "sha256"})).unwrap();
    assert_eq!(
        out.body.to_value().unwrap()["digest"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );

    let out = call("base64", json!({"text": "aGVsbG8=", "direction": "decode"})).unwrap();
    assert_eq!(out.body.to_value().unwrap()["text"], "hello");
    let err = call("base64", json!({"text": "%%%", "direction": "decode"})).unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::InvalidInput), "{err}");
}

#[test]
fn input_that_breaks_the_schema_names_the_pointer() {
    let rt = runtime();
    let data = rt
        .load(&guest("example_data"), ConnectorOptions::default())
        .unwrap();
    let err = data
        .invoke(
            "hash",
            &Connection::new(),
            &json!({"text": "x", "algorithm": "md5"}),
        )
        .unwrap_err();
    assert!(
        matches!(&err, CallError::InvalidInput { pointer, .. } if pointer == "/algorithm"),
        "{err}"
    );
    let err = data
        .invoke("hash", &Connection::new(), &json!({"algorithm": "sha256"}))
        .unwrap_err();
    assert!(
        matches!(&err, CallError::InvalidInput { message, .. } if message.contains("text")),
        "{err}"
    );
    let err = data
        .invoke("hash", &Connection::new(), &json!([1, 2]))
        .unwrap_err();
    assert!(
        matches!(&err, CallError::InvalidInput { pointer, .. } if pointer == "/"),
        "{err}"
    );
}

/// Input given as JSON text (`invoke_json`) is checked like a `Value`
/// (the same pointers and messages) and gives the same body.
#[test]
fn text_input_is_checked_like_a_value_and_gives_the_same_body() {
    let rt = runtime();
    let data = rt
        .load(&guest("example_data"), ConnectorOptions::default())
        .unwrap();
    let c = Connection::new();
    for bad in [
        json!({"text": "x", "algorithm": "md5"}),
        json!({"algorithm": "sha256"}),
        json!([1, 2]),
    ] {
        let as_value = data.invoke("hash", &c, &bad).unwrap_err();
        let text = Json::from_text(format!(
            "  {}\n",
            serde_json::to_string_pretty(&bad).unwrap()
        ))
        .unwrap();
        let as_text = data.invoke_json("hash", &c, &text).unwrap_err();
        assert_eq!(as_text.to_string(), as_value.to_string());
    }
    let good = json!({"text": "hello", "algorithm": "sha256"});
    let by_value = data.invoke("hash", &c, &good).unwrap();
    let by_text = data
        .invoke_json("hash", &c, &Json::from_value(&good))
        .unwrap();
    assert_eq!(by_text, by_value);
    assert_eq!(
        by_text.body.to_value().unwrap()["digest"]
            .as_str()
            .map(str::len),
        Some(64)
    );
}

#[test]
fn unknown_operations_and_wrong_kinds_are_refused() {
    let rt = runtime();
    let dir = scratch("files-kinds");
    let files = files_connector(&rt, &dir);
    let err = files
        .invoke("format-disk", &Connection::new(), &json!({}))
        .unwrap_err();
    assert!(
        matches!(&err, CallError::UnknownOperation { message, .. } if message.contains("list-files")),
        "{err}"
    );
    let err = files
        .invoke("file-added-or-changed", &Connection::new(), &json!({}))
        .unwrap_err();
    assert!(
        matches!(&err, CallError::UnknownOperation { message, .. } if message.contains("poll it")),
        "{err}"
    );
    let err = files
        .poll("read-file", &Connection::new(), &json!({}), None)
        .unwrap_err();
    assert!(matches!(err, CallError::UnknownOperation { .. }), "{err}");
}

#[test]
fn files_connector_round_trip() {
    let rt = runtime();
    let dir = scratch("files-rt");
    let files = files_connector(&rt, &dir);
    let c = Connection::new();

    files.check_connection(&c).unwrap();
    let out = files
        .invoke(
            "write-file",
            &c,
            &json!({"path": "notes/a.txt", "content": "alpha"}),
        )
        .unwrap();
    assert_eq!(out.status, 201);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes/a.txt")).unwrap(),
        "alpha"
    );
    let out = files
        .invoke(
            "write-file",
            &c,
            &json!({"path": "notes/a.txt", "content": "beta"}),
        )
        .unwrap();
    assert_eq!(out.status, 200);
    let err = files
        .invoke(
            "write-file",
            &c,
            &json!({"path": "notes/a.txt", "content": "x", "overwrite": false}),
        )
        .unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::Conflict), "{err}");

    let out = files
        .invoke("read-file", &c, &json!({"path": "notes/a.txt"}))
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["content"], "beta");
    let out = files
        .invoke(
            "read-file",
            &c,
            &json!({"path": "notes/a.txt", "encoding": "base64"}),
        )
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["content"], "YmV0YQ==");

    let out = files
        .invoke("list-files", &c, &json!({"recursive": true}))
        .unwrap();
    let body = out.body.to_value().unwrap();
    let paths: Vec<&str> = body["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"notes/a.txt"), "{paths:?}");

    let out = files
        .invoke("delete-file", &c, &json!({"path": "notes/a.txt"}))
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["deleted"], true);
    assert!(!dir.join("notes/a.txt").exists());
    let err = files
        .invoke("read-file", &c, &json!({"path": "notes/a.txt"}))
        .unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::NotFound), "{err}");
}

#[test]
fn files_connector_refuses_paths_outside_its_root() {
    let rt = runtime();
    let dir = scratch("files-escape");
    let files = files_connector(&rt, &dir);
    for path in ["../secret.txt", "/etc/passwd", "a/../../b"] {
        let err = files
            .invoke("read-file", &Connection::new(), &json!({ "path": path }))
            .unwrap_err();
        assert_eq!(
            kind_of(&err),
            Some(ErrorKind::InvalidInput),
            "{path}: {err}"
        );
    }
}

#[test]
fn files_connector_without_a_grant_reports_a_missing_root() {
    let rt = runtime();
    let files = rt
        .load(&guest("example_files"), ConnectorOptions::default())
        .unwrap();
    let err = files.check_connection(&Connection::new()).unwrap_err();
    assert_eq!(kind_of(&err), Some(ErrorKind::NotFound), "{err}");
}

#[test]
fn files_trigger_keeps_its_state_in_the_poll_state() {
    let rt = runtime();
    let dir = scratch("files-trigger");
    std::fs::write(dir.join("one.txt"), "1").unwrap();
    std::fs::write(dir.join("two.txt"), "2").unwrap();
    let files = files_connector(&rt, &dir);
    let c = Connection::new();
    let op = files
        .description()
        .operation("file-added-or-changed")
        .unwrap();
    assert_eq!(op.kind, OperationKind::PollingTrigger);

    let first = files
        .poll("file-added-or-changed", &c, &json!({}), None)
        .unwrap();
    assert_eq!(first.items.len(), 2, "{first:?}");
    assert!(
        first
            .items
            .iter()
            .all(|i| i.body.to_value().unwrap()["change"] == "added")
    );
    let state = first.state.clone().expect("a first poll returns a state");

    let quiet = files
        .poll("file-added-or-changed", &c, &json!({}), Some(&state))
        .unwrap();
    assert!(quiet.items.is_empty(), "nothing changed: {quiet:?}");

    std::fs::write(dir.join("two.txt"), "two, longer").unwrap();
    std::fs::write(dir.join("three.txt"), "3").unwrap();
    let next = files
        .poll(
            "file-added-or-changed",
            &c,
            &json!({}),
            Some(quiet.state.as_ref().unwrap_or(&state)),
        )
        .unwrap();
    let mut seen: Vec<(String, String)> = next
        .items
        .iter()
        .map(|i| {
            (
                i.body.to_value().unwrap()["path"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                i.body.to_value().unwrap()["change"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("three.txt".into(), "added".into()),
            ("two.txt".into(), "changed".into())
        ]
    );
    // Item ids are stable for the same version of a file.
    let again = files
        .poll("file-added-or-changed", &c, &json!({}), Some(&state))
        .unwrap();
    let ids = |o: &connector_host::PollOutcome| {
        let mut v: Vec<String> = o.items.iter().map(|i| i.id.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&again), ids(&next));
}

#[test]
fn files_trigger_pages_with_poll_again_at_once() {
    let rt = runtime();
    let dir = scratch("files-paging");
    for i in 0..5 {
        std::fs::write(dir.join(format!("f{i}.txt")), "x").unwrap();
    }
    let files = files_connector(&rt, &dir);
    let c = Connection::new();
    let input = json!({"max_items": 2});
    let mut state = None;
    let mut total = 0;
    for round in 0.. {
        assert!(round < 10, "paging did not end");
        let out = files
            .poll("file-added-or-changed", &c, &input, state.as_ref())
            .unwrap();
        total += out.items.len();
        assert!(out.items.len() <= 2);
        state = out.state.or(state);
        if out.poll_again_after != Some(std::time::Duration::ZERO) {
            break;
        }
    }
    assert_eq!(total, 5);
}

#[test]
fn files_trigger_rejects_a_malformed_state_with_a_typed_error() {
    let rt = runtime();
    let dir = scratch("files-badstate");
    let files = files_connector(&rt, &dir);
    for state in [json!("garbage"), json!({"files": 12}), json!([1, 2, 3])] {
        let err = files
            .poll(
                "file-added-or-changed",
                &Connection::new(),
                &json!({}),
                Some(&state),
            )
            .unwrap_err();
        assert_eq!(
            kind_of(&err),
            Some(ErrorKind::InvalidInput),
            "{state}: {err}"
        );
    }
}
