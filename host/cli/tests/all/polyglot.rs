//! Connectors in Python and JavaScript, and `connector-host new`: the
//! examples run through the same host as the Rust ones, their helper
//! modules turn author mistakes into typed errors, their HTTP operations
//! work against a real server on 127.0.0.1 when the origin is granted and
//! answer a connector error (sending nothing) when it is not, and a project
//! freshly made by `new` in each language builds with its own build command
//! and passes `connector-host test`.

use std::path::{Path, PathBuf};
use std::process::Command;

use connector_host::{CallError, Connection, ConnectorOptions, ErrorKind};
use serde_json::json;

use crate::support::*;
use crate::taskapi::TaskApi;

fn connector_error(err: &CallError) -> Option<(ErrorKind, &str)> {
    match err {
        CallError::Connector { error, .. } => Some((error.kind, error.code.as_str())),
        _ => None,
    }
}

#[test]
fn the_python_example_computes_and_refuses_with_typed_errors() {
    let calendar = runtime()
        .load(&guest("example_calendar"), ConnectorOptions::default())
        .expect("the Python example loads");
    let none = Connection::new();
    let out = calendar
        .invoke(
            "add-duration",
            &none,
            &json!({"datetime": "2026-12-31T23:00:00Z", "hours": 2}),
        )
        .unwrap();
    assert_eq!(
        out.body,
        json!({"datetime": "2027-01-01T01:00:00Z", "weekday": "Friday"})
    );
    let err = calendar
        .invoke(
            "business-days",
            &none,
            &json!({"start": "2026-02-30", "end": "2026-03-02"}),
        )
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "bad-date")),
        "{err}"
    );
    // The helper answers ids the connector does not have, and input that
    // breaks the schema when the host's check is bypassed.
    let err = calendar
        .invoke_unchecked("no-such-action", &none, "{}")
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "unknown-operation")),
        "{err}"
    );
    let err = calendar
        .invoke_unchecked("difference", &none, "not json")
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "bad-input")),
        "{err}"
    );
}

#[test]
fn the_python_trigger_catches_up_and_keeps_its_state() {
    let calendar = runtime()
        .load(&guest("example_calendar"), ConnectorOptions::default())
        .unwrap();
    let none = Connection::new();
    let input = json!({"every": 1, "unit": "days", "max_items": 3});
    // A state from long ago: the slots since then come three at a time,
    // with a request to poll again at once.
    let state = json!({"last": "2020-01-01T00:00:00Z"});
    let out = calendar
        .poll("recurrence", &none, &input, Some(&state))
        .unwrap();
    let slots: Vec<String> = out
        .items
        .iter()
        .map(|i| {
            i.body.to_value().unwrap()["slot"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        slots,
        [
            "2020-01-02T00:00:00Z",
            "2020-01-03T00:00:00Z",
            "2020-01-04T00:00:00Z"
        ]
    );
    assert_eq!(out.state, Some(json!({"last": "2020-01-04T00:00:00Z"})));
    assert_eq!(out.poll_again_after, Some(std::time::Duration::ZERO));
    let next = calendar
        .poll("recurrence", &none, &input, out.state.as_ref())
        .unwrap();
    assert_eq!(next.items[0].id, "2020-01-05T00:00:00Z");
}

#[test]
fn the_js_example_computes_and_refuses_with_typed_errors() {
    let text = runtime()
        .load(&guest("example_text"), ConnectorOptions::default())
        .expect("the JavaScript example loads");
    let none = Connection::new();
    let out = text
        .invoke(
            "change-case",
            &none,
            &json!({"text": "Make me kebab", "case": "kebab"}),
        )
        .unwrap();
    assert_eq!(out.body, json!({"text": "make-me-kebab"}));
    let err = text
        .invoke(
            "extract",
            &none,
            &json!({"text": "x", "pattern": "[unclosed"}),
        )
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "bad-pattern")),
        "{err}"
    );
    // Called directly with an input its schema refuses (`text` missing), the
    // connector answers invalid-input: the helper checks the top level.
    let err = text
        .invoke_unchecked("word-count", &none, r#"{"txt": "typo"}"#)
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "bad-input")),
        "{err}"
    );
}

#[test]
fn the_js_trigger_delivers_each_due_reminder_once() {
    let text = runtime()
        .load(&guest("example_text"), ConnectorOptions::default())
        .unwrap();
    let none = Connection::new();
    let input = json!({"reminders": [
        {"id": "b", "text": "second", "due": "2021-01-02T00:00:00Z"},
        {"id": "a", "text": "first", "due": "2021-01-01T00:00:00+01:00"},
        {"id": "z", "text": "later", "due": "2999-01-01T00:00:00Z"},
    ], "max_items": 1});
    let first = text.poll("reminder-due", &none, &input, None).unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].body.to_value().unwrap()["id"], "a");
    assert_eq!(first.poll_again_after, Some(std::time::Duration::ZERO));
    let second = text
        .poll("reminder-due", &none, &input, first.state.as_ref())
        .unwrap();
    assert_eq!(second.items[0].body.to_value().unwrap()["id"], "b");
    let third = text
        .poll("reminder-due", &none, &input, second.state.as_ref())
        .unwrap();
    assert!(third.items.is_empty(), "{third:?}");
    assert_eq!(third.state, second.state);
}

/// The Python example with outbound HTTP granted (or not) to the test
/// server: `holidays_host` names it, and the grant is the template
/// `http://{holidays_host}`, filled from the connection as an operator would.
fn calendar_with_http(granted: bool) -> connector_host::Connector {
    let mut grants = connector_host::capabilities::Grants::default();
    if granted {
        grants.http = vec!["http://{holidays_host} private".parse().unwrap()];
    }
    runtime()
        .load(
            &guest("example_calendar"),
            ConnectorOptions {
                grants,
                ..ConnectorOptions::default()
            },
        )
        .expect("the Python example loads")
}

fn holidays_connection(api: &TaskApi) -> Connection {
    let mut conn = Connection::new();
    conn.set("holidays_host", api.host());
    conn.set("holidays_use_tls", "false");
    conn
}

#[test]
fn the_python_example_reads_public_holidays_over_granted_http() {
    let api = TaskApi::start("unused");
    let calendar = calendar_with_http(true);
    let conn = holidays_connection(&api);
    let out = calendar
        .invoke(
            "public-holidays",
            &conn,
            &json!({"country": "de", "year": 2026, "nationwide_only": true}),
        )
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["country"], "DE");
    let body = out.body.to_value().unwrap();
    let dates: Vec<&str> = body["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        [
            "2026-01-01",
            "2026-05-01",
            "2026-10-03",
            "2026-12-25",
            "2026-12-26"
        ]
    );
    assert_eq!(
        out.body.to_value().unwrap()["holidays"][0]["local_name"],
        "Neujahr"
    );

    // 2026-12-21 (Monday) to 2027-01-04 (Monday): two weekends, and three
    // holidays on weekdays (25 and 26 December 2026 are Friday and Saturday,
    // 1 January 2027 a Friday), from two years' requests.
    let out = calendar
        .invoke(
            "business-days-in-country",
            &conn,
            &json!({"start": "2026-12-21", "end": "2027-01-04", "country": "DE"}),
        )
        .unwrap();
    assert_eq!(
        out.body,
        json!({"business_days": 8, "weekend_days": 4, "holidays": 2,
               "holiday_names": ["2026-12-25 Christmas Day", "2027-01-01 New Year's Day"]})
    );
    let seen = api.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&"GET /api/v3/PublicHolidays/2027/DE".to_string()),
        "{seen:?}"
    );

    // The API's 404 for a country it does not know is not-found.
    let err = calendar
        .invoke(
            "public-holidays",
            &conn,
            &json!({"country": "XX", "year": 2026}),
        )
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::NotFound, "unknown-country")),
        "{err}"
    );
    // A server that is not there is worth retrying.
    let mut gone = conn.clone();
    gone.set("holidays_host", "127.0.0.1:1");
    let err = calendar
        .invoke(
            "public-holidays",
            &gone,
            &json!({"country": "DE", "year": 2026}),
        )
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::Transient, "unreachable")),
        "{err}"
    );
}

#[test]
fn the_python_example_without_a_grant_answers_forbidden_and_sends_nothing() {
    let api = TaskApi::start("unused");
    let calendar = calendar_with_http(false);
    let conn = holidays_connection(&api);
    for (op, input) in [
        ("public-holidays", json!({"country": "DE", "year": 2026})),
        (
            "business-days-in-country",
            json!({"start": "2026-01-01", "end": "2026-02-01", "country": "DE"}),
        ),
    ] {
        let err = calendar.invoke(op, &conn, &input).unwrap_err();
        assert_eq!(
            connector_error(&err),
            Some((ErrorKind::Forbidden, "outbound-denied")),
            "{op}: {err}"
        );
        assert!(err.to_string().contains("--allow-http"), "{err}");
    }
    // The default host (date.nager.at), not granted either: refused before
    // any look-up, so this needs no network.
    let err = calendar
        .invoke(
            "public-holidays",
            &Connection::new(),
            &json!({"country": "DE", "year": 2026}),
        )
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::Forbidden, "outbound-denied")),
        "{err}"
    );
    assert!(api.seen.lock().unwrap().is_empty(), "no request was sent");
    // The operations that compute still work without any grant.
    calendar
        .invoke(
            "business-days",
            &Connection::new(),
            &json!({"start": "2026-03-02", "end": "2026-03-09"}),
        )
        .unwrap();
}

/// The JavaScript example with outbound HTTP granted (or not) to `origin`.
fn text_with_http(origin: Option<&str>) -> connector_host::Connector {
    let mut grants = connector_host::capabilities::Grants::default();
    if let Some(origin) = origin {
        grants.http = vec![origin.parse().unwrap()];
    }
    runtime()
        .load(
            &guest("example_text"),
            ConnectorOptions {
                grants,
                ..ConnectorOptions::default()
            },
        )
        .expect("the JavaScript example loads")
}

#[test]
fn the_js_example_fetches_and_analyses_texts_over_granted_http() {
    let api = TaskApi::start("unused");
    let text = text_with_http(Some(&api.origin()));
    let none = Connection::new();
    let page = format!("{}/texts/page.html", api.origin());
    let out = text
        .invoke("fetch-text", &none, &json!({ "url": page }))
        .unwrap();
    assert_eq!(
        out.body,
        json!({"url": page, "content_type": "text/html", "characters": 38, "truncated": false,
               "text": "Fox & dog\nThe quick fox.\nA lazy dog \u{263A}."})
    );
    let out = text
        .invoke(
            "fetch-text",
            &none,
            &json!({ "url": page, "max_characters": 3 }),
        )
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["text"], "Fox");
    assert_eq!(out.body.to_value().unwrap()["truncated"], true);

    // A path on the connection's site.
    let mut site = Connection::new();
    site.set("site", api.host());
    site.set("site_use_tls", "false");
    let out = text
        .invoke(
            "analyze-url",
            &site,
            &json!({"url": "/texts/fox.txt", "top": 2}),
        )
        .unwrap();
    assert_eq!(
        out.body,
        json!({"url": format!("{}/texts/fox.txt", api.origin()), "content_type": "text/plain",
               "words": 15, "characters": 78, "lines": 3, "sentences": 3, "reading_minutes": 1,
               "top_words": [{"word": "dog", "count": 2}, {"word": "quick", "count": 2}]})
    );

    for (url, kind, code) in [
        ("/texts/missing.txt", ErrorKind::NotFound, "page-not-found"),
        ("/texts/logo.png", ErrorKind::InvalidInput, "not-text"),
    ] {
        let err = text
            .invoke("fetch-text", &site, &json!({ "url": url }))
            .unwrap_err();
        assert_eq!(connector_error(&err), Some((kind, code)), "{url}: {err}");
    }
    let err = text
        .invoke("fetch-text", &none, &json!({"url": "/texts/fox.txt"}))
        .unwrap_err();
    assert_eq!(
        connector_error(&err),
        Some((ErrorKind::InvalidInput, "no-site")),
        "{err}"
    );
}

#[test]
fn the_js_example_without_a_grant_answers_a_connector_error_and_sends_nothing() {
    let api = TaskApi::start("unused");
    let text = text_with_http(None);
    let url = format!("{}/texts/fox.txt", api.origin());
    for op in ["fetch-text", "analyze-url"] {
        let err = text
            .invoke(op, &Connection::new(), &json!({ "url": url }))
            .unwrap_err();
        // The engine's fetch cannot tell a refused request from an
        // unreachable server, so the helper says both (see fetchChecked).
        assert_eq!(
            connector_error(&err),
            Some((ErrorKind::Transient, "fetch-failed")),
            "{op}: {err}"
        );
        assert!(err.to_string().contains("--allow-http"), "{err}");
    }
    assert!(api.seen.lock().unwrap().is_empty(), "no request was sent");
    // Another origin than the granted one is refused the same way.
    let other = TaskApi::start("unused");
    let text = text_with_http(Some(&other.origin()));
    let err = text
        .invoke("fetch-text", &Connection::new(), &json!({ "url": url }))
        .unwrap_err();
    assert!(matches!(err, CallError::Connector { .. }), "{err}");
    assert!(api.seen.lock().unwrap().is_empty(), "no request was sent");
}

/// Makes a project with `connector-host new`, builds it with its own
/// Makefile and runs `make test`, which runs `connector-host test` on it.
/// `tools` are Makefile variables pointing at this repository's
/// toolchains (installed by `make`), so nothing is downloaded again.
fn new_project_builds_and_passes(
    lang: &str,
    name: &str,
    tools: &[(&str, PathBuf)],
    env: &[(&str, PathBuf)],
) -> PathBuf {
    new_project_with(lang, name, &[], tools, env)
}

/// [`new_project_builds_and_passes`] with more arguments to `new` (`--http`);
/// returns the project's directory.
fn new_project_with(
    lang: &str,
    name: &str,
    new_args: &[&str],
    tools: &[(&str, PathBuf)],
    env: &[(&str, PathBuf)],
) -> PathBuf {
    for (var, path) in tools {
        assert!(
            path.exists(),
            "{var}: {} is missing; run `make guests` in {} first",
            path.display(),
            repo().display()
        );
    }
    let dir = scratch(&format!("new-{lang}")).join(name);
    let mut args = vec!["new", name, "--lang", lang, "--dir", s(&dir)];
    args.extend(new_args);
    let run = cli(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(dir.join("connector-test.toml").exists(), "{run:?}");
    assert!(dir.join("README.md").exists(), "{run:?}");

    let mut make = Command::new("make");
    make.arg("-C")
        .arg(&dir)
        .arg("test")
        .arg(format!(
            "CONNECTOR_HOST={}",
            env!("CARGO_BIN_EXE_connector-host")
        ))
        .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
        .env_remove("CONNECTOR_HOST_LOG")
        // Make variables of the enclosing `make test` must not leak in.
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    for (var, path) in tools {
        make.arg(format!("{var}={}", path.display()));
    }
    for (var, value) in env {
        make.env(var, value);
    }
    let run: Run = make.output().expect("run make").into();
    assert_eq!(run.code, 0, "{lang} project: {run:?}");
    assert!(dir.join(format!("{name}.wasm")).exists(), "{run:?}");
    assert!(run.stdout.contains("PASSED:"), "{run:?}");
    assert!(
        !run.stdout.lines().any(|l| l.starts_with("FAIL")),
        "{run:?}"
    );

    // A second `new` into the same, now full, directory is refused.
    let again = cli(&["new", name, "--lang", lang, "--dir", s(&dir)]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("not empty"), "{again:?}");
    dir
}

/// `new --http`: a project that calls an HTTP API builds as written and its
/// `make test` passes against a real server on 127.0.0.1 (`API_HOST`): a GET
/// and a POST reach the server. Loaded without the grant, a POST with a body
/// is refused as `forbidden` `outbound-denied` (a configuration error, which
/// a runtime does not retry), not as a transport failure.
fn new_http_project_calls_its_api(lang: &str, tools: &[(&str, PathBuf)], env: &[(&str, PathBuf)]) {
    let api = TaskApi::start("unused");
    let name = format!("hello-http-{lang}");
    let mut env = env.to_vec();
    env.push(("API_HOST", PathBuf::from(api.host())));
    let dir = new_project_with(lang, &name, &["--http"], tools, &env);
    let seen = api.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|l| l == "GET /") && seen.iter().any(|l| l == "POST /"),
        "the kit's examples did not reach the API: {seen:?}"
    );

    let ungranted = runtime()
        .load(
            &dir.join(format!("{name}.wasm")),
            ConnectorOptions::default(),
        )
        .expect("the project's component loads");
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    let err = ungranted
        .invoke("post-json", &conn, &json!({"path": "/", "body": {"a": 1}}))
        .unwrap_err();
    let expected = if lang == "js" {
        // The engine's fetch rejects a refused request and an unreachable
        // server with the same TypeError, so JavaScript cannot tell them
        // apart (see `fetchChecked` in connector-sdk.js).
        (ErrorKind::Transient, "fetch-failed")
    } else {
        (ErrorKind::Forbidden, "outbound-denied")
    };
    assert_eq!(connector_error(&err), Some(expected), "{err}");
    let after = api.seen.lock().unwrap().len();
    assert_eq!(after, seen.len(), "a refused request reached the API");
}

#[test]
fn a_new_rust_http_project_calls_its_api() {
    let target = repo().join("target/new-project-target");
    new_http_project_calls_its_api("rust", &[], &[("CARGO_TARGET_DIR", target)]);
}

#[test]
fn a_new_python_http_project_calls_its_api() {
    new_http_project_calls_its_api(
        "python",
        &[("COMPONENTIZE_PY", repo().join(".venv/bin/componentize-py"))],
        &[],
    );
}

#[test]
fn a_new_js_http_project_calls_its_api() {
    new_http_project_calls_its_api(
        "js",
        &[(
            "COMPONENTIZE_JS",
            repo().join("tools/js/node_modules/.bin/componentize-js"),
        )],
        &[],
    );
}

#[test]
fn a_new_rust_project_builds_and_passes_test() {
    // One target directory for every run, so the project's dependencies
    // (wit-bindgen, serde, schemars) are compiled once, not per test run.
    let target = repo().join("target/new-project-target");
    new_project_builds_and_passes("rust", "hello-rust", &[], &[("CARGO_TARGET_DIR", target)]);
}

#[test]
fn a_new_python_project_builds_and_passes_test() {
    new_project_builds_and_passes(
        "python",
        "hello-python",
        &[("COMPONENTIZE_PY", repo().join(".venv/bin/componentize-py"))],
        &[],
    );
}

#[test]
fn a_new_js_project_builds_and_passes_test() {
    new_project_builds_and_passes(
        "js",
        "hello-js",
        &[(
            "COMPONENTIZE_JS",
            repo().join("tools/js/node_modules/.bin/componentize-js"),
        )],
        &[],
    );
}

#[test]
fn new_refuses_bad_names_and_languages() {
    let dir = scratch("new-bad");
    for (args, says) in [
        (
            vec!["new", "Bad Name", "--lang", "rust"],
            "is not a connector name",
        ),
        (vec!["new", "std", "--lang", "rust"], "is reserved"),
        (
            vec!["new", "fine", "--lang", "cobol"],
            "invalid value 'cobol'",
        ),
    ] {
        let mut args = args;
        let target = dir.join("out");
        args.extend(["--dir", s(&target)]);
        let run = cli(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(says),
            "{args:?} should say {says:?}: {run:?}"
        );
        assert!(!Path::new(&target).exists(), "{args:?} wrote files");
    }
}

/// `new PATH/NAME`: the last part of the path is the connector's name and
/// the path is the project's directory (nested directories are made); a path
/// whose last part is not a name, or a path given with `--dir` too, is a
/// usage error that says so and writes nothing.
#[test]
fn new_takes_a_path_whose_last_part_is_the_name() {
    let base = scratch("new-path");
    let target = base.join("nested/deeper/my-service");
    let run = cli(&["new", s(&target), "--lang", "rust"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("`my-service`"), "{run:?}");
    let cargo = std::fs::read_to_string(target.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"my-service\""), "{cargo}");
    let lib = std::fs::read_to_string(target.join("src/lib.rs")).unwrap();
    assert!(lib.contains("Service::new(\"my-service\""), "{lib}");
    assert!(target.join("connector-sdk/wit/provider.wit").exists());

    let bad_name = base.join("nested/My_Service");
    let no_name = base.join("nested/..");
    let twice = base.join("nested/x");
    let elsewhere = base.join("elsewhere");
    for (args, says) in [
        (
            vec!["new", s(&bad_name), "--lang", "python"],
            "the last part of the path",
        ),
        (
            vec!["new", s(&no_name), "--lang", "python"],
            "does not end in a connector name",
        ),
        (
            vec!["new", s(&twice), "--lang", "js", "--dir", s(&elsewhere)],
            "give the project's directory once",
        ),
    ] {
        let run = cli(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains(says),
            "{args:?} should say {says:?}: {run:?}"
        );
    }
    assert!(!base.join("nested/My_Service").exists());
    assert!(!base.join("nested/x").exists() && !base.join("elsewhere").exists());
}
