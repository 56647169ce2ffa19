//! The `connector-host` binary as a person or a script uses it: what it
//! prints, and exit codes that tell a usage error, a connector error, a trap
//! and bad output apart.

use serde_json::Value;

use crate::support::*;

#[test]
fn validate_accepts_the_examples() {
    for name in ["example_files", "example_data"] {
        let run = cli(&["validate", s(&guest(name))]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("valid:"), "{run:?}");
    }
}

#[test]
fn validate_rejects_a_core_module_random_bytes_and_another_world() {
    let core = wat_file("cli-core", "(module)");
    let random = write_scratch_file(
        "cli-random",
        "random.wasm",
        &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8],
    );
    let world = wat_file("cli-world", "(component)");
    for (path, says) in [
        (&core, "core WebAssembly module"),
        (&random, "magic bytes"),
        (&world, "is not exported"),
    ] {
        let run = cli(&["validate", s(path)]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stdout.contains(says), "expected {says:?}: {run:?}");
    }
}

#[test]
fn validate_json_lists_problems() {
    let run = cli(&["validate", "--json", s(&guest("test_malformed"))]);
    assert_eq!(run.code, 1, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["problems"].as_array().unwrap().len() >= 10, "{v}");
}

#[test]
fn describe_json_gives_service_and_operations_with_schemas() {
    let run = cli(&["describe", "--json", s(&guest("example_files"))]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["service"]["id"], "files");
    assert_eq!(
        v["service"]["capabilities"]["directories"][0]["guestPath"],
        "/data"
    );
    let ops = v["operations"].as_array().unwrap();
    assert_eq!(ops.len(), 5);
    for op in ops {
        assert!(op["inputSchema"]["properties"].is_object(), "{op}");
        assert!(op["outputSchema"].is_object(), "{op}");
    }
    let trigger = ops
        .iter()
        .find(|o| o["id"] == "file-added-or-changed")
        .unwrap();
    assert_eq!(trigger["kind"], "polling-trigger");
    assert_eq!(trigger["trigger"]["itemMode"], "split");
}

#[test]
fn describe_for_a_person_lists_operations_and_needs() {
    let run = cli(&["describe", s(&guest("example_files"))]);
    assert_eq!(run.code, 0, "{run:?}");
    for needle in [
        "Files (files) 0.1.0",
        "directory /data (read-write)",
        "read-file:",
        "input:  ",
        "polling trigger, every 30 s",
    ] {
        assert!(run.stdout.contains(needle), "missing {needle:?}: {run:?}");
    }
}

#[test]
fn a_second_describe_loads_from_the_cache() {
    let cache = scratch("cli-cache");
    let first = cli_with_cache(&cache, &["-v", "describe", s(&guest("example_data"))]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stderr.contains("compiled component"), "{first:?}");
    let second = cli_with_cache(&cache, &["-v", "describe", s(&guest("example_data"))]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second
            .stderr
            .contains("loaded compiled component from cache"),
        "{second:?}"
    );
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn invoke_prints_the_body_as_json() {
    let run = cli(&[
        "invoke",
        s(&guest("example_data")),
        "hash",
        "--input",
        r#"{"text":"hello","algorithm":"sha256"}"#,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["digest"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
}

#[test]
fn invoke_reads_input_from_a_file() {
    let input = write_scratch_file(
        "cli-input",
        "in.json",
        br#"{"text":"aGk=","direction":"decode"}"#,
    );
    let arg = format!("@{}", s(&input));
    let run = cli(&[
        "invoke",
        s(&guest("example_data")),
        "base64",
        "--input",
        &arg,
        "--with-status",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"status": 200, "body": {"text": "hi"}})
    );
}

#[test]
fn exit_codes_tell_failures_apart() {
    let data = guest("example_data");
    let hostile = guest("test_hostile");
    let source = guest("test_source");
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["invoke", s(&data), "hash", "--input", "{not json"],
            2,
            "not valid JSON",
        ),
        (
            &[
                "invoke",
                s(&data),
                "hash",
                "--input",
                r#"{"text":"x","algorithm":"md5"}"#,
            ],
            2,
            "invalid input at /algorithm",
        ),
        (&["invoke", s(&data), "no-such-op"], 2, "has no operation"),
        (
            &["invoke", s(&source), "sequence"],
            2,
            "\"sequence\" is a polling trigger; poll it instead",
        ),
        (
            &["invoke", s(&data), "hash", "--timeout", "forever"],
            2,
            "--timeout",
        ),
        (&["frobnicate"], 2, "unrecognized subcommand"),
        (
            &[
                "invoke",
                s(&data),
                "base64",
                "--input",
                r#"{"text":"%%%","direction":"decode"}"#,
            ],
            3,
            "invalid-input (bad-base64)",
        ),
        (
            &["invoke", s(&hostile), "panic"],
            4,
            "guest panic: hostile guest panicked on purpose",
        ),
        (
            &["invoke", s(&hostile), "spin", "--fuel", "20000000"],
            4,
            "fuel limit",
        ),
        (
            &[
                "invoke",
                s(&hostile),
                "spin",
                "--fuel",
                "unlimited",
                "--timeout",
                "200ms",
            ],
            4,
            "time limit",
        ),
        (
            &[
                "invoke",
                s(&hostile),
                "grow-memory",
                "--max-memory",
                "32MiB",
            ],
            4,
            "memory limit",
        ),
        (&["invoke", s(&hostile), "recurse"], 4, "stack overflow"),
        (&["invoke", s(&hostile), "invalid-json"], 5, "not JSON"),
        (&["describe", "/no/such/file.wasm"], 1, "cannot read"),
    ];
    for (args, code, says) in cases {
        let run = cli(args);
        assert_eq!(run.code, *code, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(says),
            "{args:?} should say {says:?}: {run:?}"
        );
        // One clear line, not a backtrace.
        assert!(
            !run.stderr.contains("panicked at") && !run.stderr.contains("RUST_BACKTRACE"),
            "{run:?}"
        );
    }
}

#[test]
fn check_uses_connection_values_and_files() {
    let dir = scratch("cli-check");
    let grant = format!("{}::/data", s(&dir));
    let run = cli(&["check", s(&guest("example_files")), "--dir", &grant]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("connection ok"), "{run:?}");
    let run = cli(&[
        "check",
        s(&guest("example_files")),
        "--dir",
        &grant,
        "-c",
        "root=/elsewhere",
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    let run = cli(&[
        "check",
        s(&guest("example_files")),
        "--dir",
        &grant,
        "-c",
        "colour=blue",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("\"colour\" is not a connection parameter"),
        "{run:?}"
    );
    let file = write_scratch_file("cli-conn", "conn.json", br#"{"root": "/data"}"#);
    let run = cli(&[
        "check",
        s(&guest("example_files")),
        "--dir",
        &grant,
        "--connection-file",
        s(&file),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let bad = write_scratch_file("cli-conn-bad", "conn.json", br#"{"root": ["/data"]}"#);
    let run = cli(&[
        "check",
        s(&guest("example_files")),
        "--connection-file",
        s(&bad),
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("expected a string"), "{run:?}");
}

#[test]
fn poll_prints_items_and_state() {
    let dir = scratch("cli-poll");
    std::fs::write(dir.join("a.txt"), "a").unwrap();
    let grant = format!("{}::/data", s(&dir));
    let run = cli(&[
        "poll",
        s(&guest("example_files")),
        "file-added-or-changed",
        "--dir",
        &grant,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["items"][0]["body"]["path"], "a.txt");
    let state = v["state"].to_string();
    let run = cli(&[
        "poll",
        s(&guest("example_files")),
        "file-added-or-changed",
        "--dir",
        &grant,
        "--state",
        &state,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 0, "{v}");
    // The unit is in the name, as in the contract (`poll-again-after-ms`).
    let run = cli(&[
        "poll",
        s(&guest("test_source")),
        "sequence",
        "--input",
        r#"{"total": 5, "batch": 2}"#,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["pollAgainAfterMs"], 0, "{v}");
    assert!(v.get("pollAgainAfter").is_none(), "{v}");
}

#[test]
fn guest_writes_stay_inside_the_granted_directory() {
    let dir = scratch("cli-grant");
    let inside = dir.join("inside");
    std::fs::create_dir_all(&inside).unwrap();
    let grant = format!("{}::/data", s(&inside));
    let run = cli(&[
        "invoke",
        s(&guest("example_files")),
        "write-file",
        "--dir",
        &grant,
        "--input",
        r#"{"path":"ok.txt","content":"fine"}"#,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(inside.join("ok.txt").exists());
    let ro = format!("{}::/data:ro", s(&inside));
    let run = cli(&[
        "invoke",
        s(&guest("example_files")),
        "write-file",
        "--dir",
        &ro,
        "--input",
        r#"{"path":"no.txt","content":"x"}"#,
    ]);
    assert_eq!(run.code, 3, "a read-only grant refuses writes: {run:?}");
    assert!(!inside.join("no.txt").exists());
}

#[test]
fn connection_values_can_come_from_the_environment() {
    let dir = scratch("cli-env");
    let grant = format!("{}::/data", s(&dir));
    let files = guest("example_files");
    let run = cli_with_env(
        &[
            "check",
            s(&files),
            "--dir",
            &grant,
            "--connection-env",
            "root=FILES_ROOT_TEST",
        ],
        &[("FILES_ROOT_TEST", "/data")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = cli_with_env(
        &[
            "check",
            s(&files),
            "--dir",
            &grant,
            "--connection-env",
            "root=FILES_ROOT_TEST",
        ],
        &[("FILES_ROOT_TEST", "/nowhere")],
    );
    assert_eq!(
        run.code, 3,
        "the value from the environment was used: {run:?}"
    );
    let run = cli(&[
        "check",
        s(&files),
        "--connection-env",
        "root=SURELY_UNSET_VARIABLE_42",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("SURELY_UNSET_VARIABLE_42 is not set"),
        "{run:?}"
    );
}

/// `describe --json | head` and the like: a reader that goes away early
/// must end the command quietly, not with a panic about a broken pipe.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    for args in [
        vec!["describe", "--json", s(&guest("example_files"))],
        vec!["describe", s(&guest("example_files"))],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .args(&args)
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run connector-host");
        // Close the read end before the command has loaded the component and
        // printed anything, so that its first write finds no reader.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for connector-host");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?} {stderr}",
            out.status
        );
    }
}

/// A secret typed on the command line is visible in the process list; the
/// CLI says so and names the safer flags, and never echoes the value.
#[test]
fn a_secret_given_with_dash_c_warns_and_points_to_connection_env() {
    let run = cli(&[
        "check",
        s(&guest("example_tasks")),
        "-c",
        "host=127.0.0.1:9",
        "-c",
        "token=hunter2-on-the-command-line",
    ]);
    assert!(
        run.stderr
            .contains("the secret \"token\" was given on the command line")
            && run.stderr.contains("--connection-env"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("hunter2"), "{run:?}");
    // A plain value gives no such warning.
    assert!(!run.stderr.contains("\"host\" was given"), "{run:?}");
}

#[test]
fn log_lines_written_to_a_file_or_pipe_have_no_colour_codes() {
    // `cli` captures standard error through a pipe, as a log file would.
    let run = cli(&["-v", "describe", s(&guest("example_data"))]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("INFO"), "-v shows host events: {run:?}");
    assert!(!run.stderr.contains('\x1b'), "{:?}", run.stderr);
}

#[test]
fn a_slow_first_load_says_what_it_compiles_and_a_cached_one_says_nothing() {
    let cache = scratch("slow-load");
    let data = guest("example_data");
    let load = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .args(["--cache-dir", s(&cache), "describe", s(&data)])
            // Any compile counts as slow here, so that a Rust component shows it.
            .env("CONNECTOR_HOST_SLOW_LOAD_MS", "0")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let first = load();
    assert!(
        first.contains("compiling example_data.wasm (") && first.contains("to native code"),
        "{first}"
    );
    assert!(first.contains("compiled example_data.wasm ("), "{first}");
    // Not a terminal: no cursor movement or colour in a log.
    assert!(!first.contains('\x1b'), "{first:?}");
    let second = load();
    assert!(
        !second.contains("compil"),
        "a load from the cache is not a compile: {second}"
    );
}
