//! Two contract versions in one host: the frozen 0.1.0 `source` test
//! connector (built with `wit/v0.1.0`) and 0.2.0 connectors load into the
//! same runtime, side by side; the 0.1.0 one describes, invokes and polls as
//! it always did, and the 0.2.0 additions are refused for it by name, while
//! a 0.2.0 connector receives the call context the host passes.

use connector_host::bindings::ContractVersion;
use connector_host::connector::CallContext;
use connector_host::{CallError, Connection, ConnectorOptions};
use serde_json::json;

use crate::support::*;

#[test]
fn a_0_1_0_and_a_0_2_0_connector_run_in_one_host() {
    let runtime = runtime();
    let old = runtime
        .load(&guest("test_source"), ConnectorOptions::default())
        .expect("the 0.1.0 source connector loads");
    let new = runtime
        .load(&guest("test_hostile"), ConnectorOptions::default())
        .expect("the 0.2.0 hostile connector loads");
    assert_eq!(old.contract_version(), ContractVersion::V0_1_0);
    assert_eq!(new.contract_version(), ContractVersion::V0_2_0);

    // Describe: the 0.1.0 description reads as the latest types, with no
    // subscription asked for.
    let description = old.description();
    assert_eq!(description.service.id, "source");
    assert!(description.operations.iter().any(|o| o.id == "count"));
    assert!(!old.needs_subscription("webhook"));
    assert!(new.needs_subscription("subscribed"));

    // Invoke and poll, as before.
    let conn = Connection::new();
    let counted = old.invoke("count", &conn, &json!({"total": 3})).unwrap();
    assert_eq!(
        counted.body.to_value().unwrap(),
        json!({"items": 3, "last": "item-2"})
    );
    let first = old
        .poll("sequence", &conn, &json!({"total": 3, "batch": 2}), None)
        .unwrap();
    let ids: Vec<&str> = first.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["item-0", "item-1"]);
    let second = old
        .poll(
            "sequence",
            &conn,
            &json!({"total": 3, "batch": 2}),
            first.state.as_ref(),
        )
        .unwrap();
    assert_eq!(second.items[0].id, "item-2");

    // A 0.1.0 component has no dynamic values and no subscriptions: the
    // host refuses before calling, naming the version.
    let err = old
        .dynamic_values("count", "total", &conn, &json!({}))
        .unwrap_err();
    assert!(matches!(err, CallError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("0.1.0"), "{err}");

    // The 0.2.0 connector gets the call context: step, attempt, a key that
    // is the same for every attempt of the step, and the time it has left.
    let context = |attempt| CallContext::for_step("run-7", "Call_hostile", attempt);
    let body = |attempt| {
        new.invoke_with("call-context", &conn, &json!({}), &context(attempt))
            .unwrap()
            .body
            .to_value()
            .unwrap()
    };
    let (one, two) = (body(1), body(2));
    assert_eq!(one["run_id"], "run-7");
    assert_eq!(one["step"], "Call_hostile");
    assert_eq!(
        (one["attempt"].as_u64(), two["attempt"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(one["idempotency_key"], two["idempotency_key"]);
    assert_eq!(one["idempotency_key"], context(1).idempotency_key.as_str());
    let left = one["remaining_ms"].as_u64().unwrap();
    assert!(
        left > 0 && left <= 10_000,
        "{left} ms left of the 10 s default"
    );
}

/// A component that exports the contract's interfaces at a version this
/// host does not run (0.9.0): empty instances under the contract's names
/// are enough for the loader, which reads the version from the names.
fn unsupported_version_component() -> std::path::PathBuf {
    let wat = r#"(component
        (instance $provider)
        (export "connector:provider/provider@0.9.0" (instance $provider))
        (instance $trigger)
        (export "connector:provider/trigger@0.9.0" (instance $trigger))
    )"#;
    let bytes = wat::parse_str(wat).expect("the WAT compiles");
    write_scratch_file("versions-unsupported", "future.wasm", &bytes)
}

#[test]
fn validate_names_the_supported_versions_for_an_unsupported_one() {
    let path = unsupported_version_component();
    let out = cli(&["validate", s(&path)]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains(
            "contract version 0.9.0 is not supported by this host (it supports 0.1.0, 0.2.0)"
        ),
        "{out:?}"
    );
    let out = cli(&["validate", s(&path), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    let problems = report["problems"].to_string();
    assert!(problems.contains("0.1.0, 0.2.0"), "{problems}");
    // The library refuses it with the same problem.
    let err = runtime()
        .load(&path, ConnectorOptions::default())
        .err()
        .expect("refused");
    assert!(
        err.to_string().contains("it supports 0.1.0, 0.2.0"),
        "{err}"
    );
}

#[test]
fn validate_and_describe_show_the_version_a_component_targets() {
    for (name, version) in [("test_source", "0.1.0"), ("test_hostile", "0.2.0")] {
        let path = guest(name);
        let out = cli(&["validate", s(&path)]);
        assert!(
            out.stdout.contains(&format!("(contract {version})")),
            "{out:?}"
        );
        let out = cli(&["describe", s(&path)]);
        assert!(
            out.stdout
                .contains(&format!("contract connector:provider@{version}")),
            "{out:?}"
        );
        let out = cli(&["describe", s(&path), "--json"]);
        let d: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(d["contract"], version, "{name}");
    }
}

#[test]
fn a_0_1_0_and_a_0_2_0_connector_run_side_by_side_in_one_run() {
    let h = crate::triggers_support::HostDir::new(
        "versions-run",
        r#"
[[connector]]
name = "source"
component = "@SOURCE@"
dirs = ["./scratch::/scratch"]

[[connector]]
name = "files"
component = "@FILES@"
dirs = ["./inbox::/data"]

[[connection]]
name = "src"
connector = "source"

[[connection]]
name = "local"
connector = "files"

[[trigger]]
name = "old"
connection = "src"
operation = "sequence"
input = { batch = 2, total = 2, drain = false }

[[trigger]]
name = "new"
connection = "local"
operation = "file-added-or-changed"
input = { path = "." }
"#,
    );
    std::fs::create_dir_all(h.dir.join("inbox")).unwrap();
    std::fs::write(h.dir.join("inbox/a.txt"), "hello").unwrap();
    let files = runtime()
        .load(&guest("example_files"), ConnectorOptions::default())
        .unwrap();
    assert_eq!(files.contract_version(), ContractVersion::V0_2_0);
    let out = cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(h.event_ids("old"), ["old/item-0", "old/item-1"]);
    let new = h.event_ids("new");
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].starts_with("new/a.txt"), "{new:?}");
}

#[test]
fn dynamic_values_are_checked_like_any_guest_output() {
    let runtime = runtime();
    let hostile = runtime
        .load(&guest("test_hostile"), ConnectorOptions::default())
        .unwrap();
    let mut conn = Connection::new();
    conn.set("token", "dyn-s3cret-token");
    let pick =
        |mode: &str| hostile.dynamic_values("pick", "choice", &conn, &json!({ "mode": mode }));

    let choices = pick("plain").unwrap();
    let titles: Vec<&str> = choices.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(choices.len(), 2, "{titles:?}");
    assert!(choices.iter().all(|c| c.value.to_value().is_ok()));

    // The inputs filled so far reach the connector as given.
    let echoed = pick("echo").unwrap();
    assert_eq!(
        echoed[0].value.to_value().unwrap(),
        json!({ "mode": "echo" })
    );

    for (mode, expect) in [("not-json", "not JSON"), ("leak-secret", "secret")] {
        let err = pick(mode).unwrap_err();
        assert!(matches!(err, CallError::BadOutput { .. }), "{mode}: {err}");
        assert!(err.to_string().contains(expect), "{mode}: {err}");
        assert!(!err.to_string().contains("dyn-s3cret-token"), "{err}");
    }
    let err = pick("huge").unwrap_err();
    assert!(
        matches!(err, CallError::BadOutput { .. } | CallError::Limit { .. }),
        "{err}"
    );
    let err = pick("spin").unwrap_err();
    assert!(matches!(err, CallError::Limit { .. }), "{err}");
    let err = pick("panic").unwrap_err();
    assert!(matches!(err, CallError::Trap { .. }), "{err}");
    // The host still serves after all of that.
    assert_eq!(pick("plain").unwrap().len(), 2);

    // Only properties that name x-dynamic-values are asked.
    let err = hostile
        .dynamic_values("pick", "mode", &conn, &json!({}))
        .unwrap_err();
    assert!(matches!(err, CallError::InvalidInput { .. }), "{err}");
    let err = hostile
        .dynamic_values("pick", "choice", &conn, &json!([1]))
        .unwrap_err();
    assert!(matches!(err, CallError::InvalidInput { .. }), "{err}");
}
