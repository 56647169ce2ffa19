//! A canary secret planted in a connection reaches the guest (the API it
//! calls accepts it) and nothing else: not the host's or the guest's logs,
//! not error or panic messages, not CLI output, not trigger state, not
//! response bodies, not cache files. Every command and failure path below
//! runs through the real binary; then all output and every file written is
//! searched for the canary.

use std::path::Path;

use serde_json::json;

use crate::support::*;
use crate::taskapi::TaskApi;

const CANARY: &str = "canary-5ecret-7f3a9c1e5b";

fn files_containing(dir: &Path, needle: &[u8], found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_containing(&path, needle, found);
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
}

#[test]
fn a_canary_secret_never_leaves_the_guest() {
    let api = TaskApi::start(CANARY);
    let cache = scratch("canary-cache");
    let work = scratch("canary-work");
    let conn_file = work.join("connection.json");
    std::fs::write(
        &conn_file,
        json!({"host": api.host(), "use_tls": "false", "token": CANARY}).to_string(),
    )
    .unwrap();
    let conn_file = s(&conn_file).to_string();
    let hostile = guest("test_hostile");
    let tasks = guest("example_tasks");
    let token = format!("token={CANARY}");

    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut run = |args: Vec<&str>| {
        let r = cli_with_cache(&cache, &args);
        runs.push((args.join(" "), r));
    };
    // The secret reaches the guest: the API accepts it.
    run(vec![
        "-vv",
        "check",
        s(&tasks),
        "--connection-file",
        &conn_file,
        "--allow-http",
        "http://{host} private",
    ]);
    run(vec![
        "-vv",
        "invoke",
        s(&tasks),
        "create-task",
        "--connection-file",
        &conn_file,
        "--allow-http",
        "http://{host} private",
        "--input",
        r#"{"title":"t"}"#,
    ]);
    run(vec![
        "-vv",
        "poll",
        s(&tasks),
        "task-created",
        "--connection-file",
        &conn_file,
        "--allow-http",
        "http://{host} private",
    ]);
    // Failure paths of the same connector: not granted, wrong host.
    run(vec![
        "-vv",
        "invoke",
        s(&tasks),
        "list-tasks",
        "--connection-file",
        &conn_file,
    ]);
    run(vec![
        "-vv",
        "check",
        s(&tasks),
        "--connection-file",
        &conn_file,
        "-c",
        "host=127.0.0.1:1",
        "--allow-http",
        "http://{host} private",
    ]);
    // A guest that tries to leak it every way it can.
    for place in ["log", "error", "panic", "stderr", "stdout", "body"] {
        let input = format!(r#"{{"where":"{place}"}}"#);
        run(vec![
            "-vv",
            "invoke",
            s(&hostile),
            "leak-secret",
            "-c",
            &token,
            "--input",
            &input,
        ]);
    }
    run(vec![
        "-vv",
        "poll",
        s(&hostile),
        "ticks",
        "-c",
        &token,
        "--input",
        r#"{"leak_secret":true}"#,
    ]);
    run(vec!["-vv", "invoke", s(&hostile), "panic", "-c", &token]);
    run(vec![
        "-vv",
        "check",
        s(&hostile),
        "-c",
        &token,
        "-c",
        "panic=true",
    ]);
    run(vec![
        "-vv",
        "check",
        s(&hostile),
        "-c",
        &token,
        "-c",
        "nonsense=1",
    ]);
    run(vec!["-vv", "describe", "--json", s(&hostile)]);

    assert!(
        api.seen.lock().unwrap().len() >= 3,
        "the tasks connector reached the API"
    );
    let check = &runs[0].1;
    assert_eq!(
        check.code, 0,
        "the secret reached the guest and the API accepted it: {check:?}"
    );
    let mut leaks = Vec::new();
    for (args, r) in &runs {
        if r.stdout.contains(CANARY) || r.stderr.contains(CANARY) {
            leaks.push(format!("{args}\n{r:?}"));
        }
    }
    // The leak attempts were made and stopped, not skipped.
    let leak_runs: Vec<&Run> = runs
        .iter()
        .filter(|(a, _)| a.contains("leak"))
        .map(|(_, r)| r)
        .collect();
    assert!(
        leak_runs
            .iter()
            .all(|r| r.code != 0 || r.stdout.contains("leaked")),
        "{leak_runs:?}"
    );
    assert!(
        runs.iter().any(|(_, r)| r.stderr.contains("[redacted]")),
        "some leak attempt was redacted"
    );
    let mut files = Vec::new();
    files_containing(&cache, CANARY.as_bytes(), &mut files);
    files_containing(&work, CANARY.as_bytes(), &mut files);
    files.retain(|f| !f.ends_with("connection.json"));
    assert!(
        leaks.is_empty(),
        "secret leaked in output:\n{}",
        leaks.join("\n---\n")
    );
    assert!(files.is_empty(), "secret leaked into files: {files:?}");
}

#[test]
fn output_that_carries_a_secret_is_refused_whole() {
    let mut conn = connector_host::Connection::new();
    conn.set("token", CANARY);
    let c = runtime()
        .load(&guest("test_hostile"), Default::default())
        .unwrap();
    let err = c
        .invoke("leak-secret", &conn, &json!({"where": "body"}))
        .unwrap_err();
    assert!(
        matches!(&err, connector_host::CallError::BadOutput { problem, .. } if problem.contains("secret")),
        "{err}"
    );
    let err = c
        .poll("ticks", &conn, &json!({"leak_secret": true}), None)
        .unwrap_err();
    assert!(
        matches!(&err, connector_host::CallError::BadOutput { problem, .. } if problem.contains("new state")),
        "{err}"
    );
    let err = c
        .invoke("leak-secret", &conn, &json!({"where": "error"}))
        .unwrap_err();
    assert!(
        !err.to_string().contains(CANARY) && err.to_string().contains("[redacted]"),
        "{err}"
    );
}
