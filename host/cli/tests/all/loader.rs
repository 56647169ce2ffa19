//! Loading: every kind of file that is not a fitting component gets its own
//! clear error, and none of them panics the host. Components here are inline
//! WAT, so these tests need no guest toolchain.

use connector_host::{ConnectorOptions, LoadError};

use crate::support::*;

fn load_err(path: &std::path::Path) -> LoadError {
    match runtime().load(path, ConnectorOptions::default()) {
        Ok(c) => panic!("{} loaded as connector {}", path.display(), c.name()),
        Err(e) => e,
    }
}

#[test]
fn missing_file_is_a_read_error() {
    let path = scratch("missing").join("nope.wasm");
    let err = load_err(&path);
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
    assert!(err.to_string().contains("nope.wasm"), "{err}");
}

#[test]
fn text_file_is_not_wasm() {
    let path = write_scratch_file("text", "readme.wasm", b"# hello\nthis is text\n");
    let err = load_err(&path);
    assert!(
        matches!(&err, LoadError::NotWasm { what, .. } if what.contains("text file")),
        "{err}"
    );
}

#[test]
fn empty_file_is_not_wasm() {
    let path = write_scratch_file("empty", "empty.wasm", b"");
    let err = load_err(&path);
    assert!(
        matches!(&err, LoadError::NotWasm { what, .. } if what.contains("empty")),
        "{err}"
    );
}

#[test]
fn random_bytes_are_not_wasm() {
    // A fixed xorshift sequence: the same "random" bytes every run.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let path = write_scratch_file("random", "random.wasm", &bytes);
    let err = load_err(&path);
    assert!(
        matches!(&err, LoadError::NotWasm { what, .. } if what.contains("magic")),
        "{err}"
    );
}

#[test]
fn core_module_is_told_apart() {
    let path = wat_file("core", "(module (func (export \"f\")))");
    let err = load_err(&path);
    assert!(matches!(err, LoadError::CoreModule { .. }), "{err}");
    assert!(
        err.to_string().contains("wasm32-wasip2"),
        "the error says how to build a component: {err}"
    );
}

#[test]
fn truncated_component_is_invalid() {
    let bytes = std::fs::read(guest("example_data")).unwrap();
    let path = write_scratch_file("truncated", "half.wasm", &bytes[..bytes.len() / 2]);
    let err = load_err(&path);
    assert!(matches!(err, LoadError::Invalid { .. }), "{err}");
}

#[test]
fn component_of_another_world_lists_what_it_exports() {
    let path = wat_file(
        "other-world",
        r#"(component
            (core module $m (func (export "run")))
            (core instance $i (instantiate $m))
            (func $run (canon lift (core func $i "run")))
            (export "run" (func $run)))"#,
    );
    let LoadError::Contract { problems, .. } = load_err(&path) else {
        panic!("expected a contract error")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].at.contains("connector:provider/provider"));
    assert!(
        problems[0].message.contains("It exports: run"),
        "{problems:?}"
    );
    assert!(problems[1].at.contains("connector:provider/trigger"));
}

#[test]
fn unknown_import_and_missing_exports_are_listed_together() {
    let path = wat_file(
        "import",
        r#"(component (import "evil:backdoor/shell@1.0.0" (instance)))"#,
    );
    let LoadError::Contract { problems, .. } = load_err(&path) else {
        panic!("expected a contract error")
    };
    let ats: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
    assert_eq!(
        ats,
        [
            "exports.connector:provider/provider",
            "exports.connector:provider/trigger",
            "imports.evil:backdoor/shell@1.0.0"
        ]
    );
}

#[test]
fn unsupported_contract_version_is_named() {
    let path = wat_file(
        "version",
        r#"(component
            (instance $p)
            (instance $t)
            (export "connector:provider/provider@0.9.0" (instance $p))
            (export "connector:provider/trigger@0.9.0" (instance $t)))"#,
    );
    let LoadError::Contract { problems, .. } = load_err(&path) else {
        panic!("expected a contract error")
    };
    assert_eq!(problems.len(), 2, "{problems:?}");
    for p in &problems {
        assert!(
            p.message.contains("0.9.0") && p.message.contains("supports 0.1.0, 0.2.0"),
            "{p}"
        );
    }
}

#[test]
fn right_names_with_wrong_types_do_not_fit() {
    let path = wat_file(
        "types",
        r#"(component
            (instance $p)
            (instance $t)
            (export "connector:provider/provider@0.1.0" (instance $p))
            (export "connector:provider/trigger@0.1.0" (instance $t)))"#,
    );
    let err = load_err(&path);
    assert!(
        matches!(&err, LoadError::Contract { problems, .. } if problems[0].message.contains("do not match the contract")),
        "{err}"
    );
}

#[test]
fn a_missing_granted_directory_fails_at_load() {
    let options = ConnectorOptions {
        grants: connector_host::capabilities::Grants {
            dirs: vec!["/definitely/not/here::/data".parse().unwrap()],
            ..Default::default()
        },
        ..ConnectorOptions::default()
    };
    let err = match runtime().load(&guest("example_files"), options) {
        Ok(_) => panic!("loaded with a missing directory grant"),
        Err(e) => e,
    };
    assert!(matches!(err, LoadError::Grant(_)), "{err}");
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}
