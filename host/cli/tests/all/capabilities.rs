//! What a guest may reach: outbound HTTP only to granted origins and to the
//! addresses those grants allow, no raw sockets or DNS, files only in
//! granted directories, and no host call that outlasts the call's deadline.
//! The server here is real, on 127.0.0.1.

use std::time::{Duration, Instant};

use connector_host::capabilities::Grants;
use connector_host::{CallError, Connection, ConnectorOptions, ErrorKind, LimitKind, Limits};
use serde_json::{Value, json};

use crate::support::*;
use crate::taskapi::TaskApi;

fn hostile_with(http: &[String], dirs: &[String], limits: Limits) -> connector_host::Connector {
    let grants = Grants {
        dirs: dirs.iter().map(|d| d.parse().unwrap()).collect(),
        http: http.iter().map(|h| h.parse().unwrap()).collect(),
        ..Grants::default()
    };
    hostile_granted(grants, limits)
}

fn hostile_granted(grants: Grants, limits: Limits) -> connector_host::Connector {
    runtime()
        .load(
            &guest("test_hostile"),
            ConnectorOptions {
                limits,
                grants,
                reuse: None,
            },
        )
        .expect("hostile guest loads")
}

fn reach(c: &connector_host::Connector, op: &str, input: Value) -> Result<Value, String> {
    match c.invoke(op, &Connection::new(), &input) {
        Ok(r) => Ok(r.body.to_value().unwrap()),
        Err(CallError::Connector { error, .. }) => {
            assert_eq!(error.kind, ErrorKind::Forbidden, "{error}");
            Err(error.message)
        }
        Err(other) => panic!("{op}: expected a connector error, got {other}"),
    }
}

#[test]
fn http_is_denied_without_a_grant_and_allowed_with_one() {
    let api = TaskApi::start("t");
    let url = format!("{}/big?bytes=10", api.origin());
    let denied = hostile_with(&[], &[], Limits::default());
    let err = reach(&denied, "http-get", json!({ "url": url })).unwrap_err();
    assert!(err.contains("refused by the host"), "{err}");
    assert!(
        api.seen.lock().unwrap().is_empty(),
        "no request reached the server"
    );

    let granted = hostile_with(&[api.origin()], &[], Limits::default());
    let out = reach(&granted, "http-get", json!({ "url": url })).unwrap();
    assert_eq!(out, json!({"status": 200, "length": 10}));
}

#[test]
fn a_grant_is_scheme_host_and_port_exactly() {
    let api = TaskApi::start("t");
    let other = TaskApi::start("t");
    // Granted: api's port. Not granted: the other port on the same host.
    let c = hostile_with(&[api.origin()], &[], Limits::default());
    let err = reach(
        &c,
        "http-get",
        json!({"url": format!("{}/big?bytes=1", other.origin())}),
    )
    .unwrap_err();
    assert!(err.contains("refused"), "{err}");
    assert!(other.seen.lock().unwrap().is_empty());
}

#[test]
fn a_granted_name_that_resolves_to_loopback_is_refused() {
    let api = TaskApi::start("t");
    // `localhost` is a name; it resolves to a loopback address, which only an
    // IP grant (or an explicit ` private` grant) may reach.
    let by_name = format!("http://localhost:{}", api.addr.port());
    let c = hostile_with(std::slice::from_ref(&by_name), &[], Limits::default());
    let err = reach(
        &c,
        "http-get",
        json!({"url": format!("{by_name}/big?bytes=1")}),
    )
    .unwrap_err();
    assert!(err.contains("refused"), "{err}");
    assert!(api.seen.lock().unwrap().is_empty());

    let private = hostile_with(&[format!("{by_name} private")], &[], Limits::default());
    let out = reach(
        &private,
        "http-get",
        json!({"url": format!("{by_name}/big?bytes=3")}),
    )
    .unwrap();
    assert_eq!(out["length"], 3);
}

#[test]
fn a_redirect_to_an_ungranted_origin_is_not_followed() {
    let api = TaskApi::start("t");
    let elsewhere = TaskApi::start("t");
    let c = hostile_with(&[api.origin()], &[], Limits::default());
    let target = format!("{}/big?bytes=5", elsewhere.origin());
    let url = format!("{}/redirect?to={target}", api.origin());
    // The host hands the 302 to the guest, and the guest's next request is
    // checked like any other.
    let out = reach(&c, "http-get", json!({ "url": url })).unwrap();
    assert_eq!(out["status"], 302);
    let err = reach(&c, "http-follow", json!({ "url": url })).unwrap_err();
    assert!(err.contains("refused"), "{err}");
    assert!(
        elsewhere.seen.lock().unwrap().is_empty(),
        "the redirect target was never contacted"
    );
}

#[test]
fn templated_grants_are_filled_from_the_connection() {
    let api = TaskApi::start("secret-token");
    let tasks = runtime()
        .load(
            &guest("example_tasks"),
            ConnectorOptions {
                grants: Grants {
                    // `private`: the API listens on loopback, which a value
                    // filled from a connection may reach only when the
                    // operator says so.
                    http: vec!["http://{host} private".parse().unwrap()],
                    ..Grants::default()
                },
                ..ConnectorOptions::default()
            },
        )
        .unwrap();
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    conn.set("token", "secret-token");
    tasks.check_connection(&conn).unwrap();
    // Without `private`, the same loopback address filled in from a
    // connection is refused: a connection cannot widen what the operator
    // granted, in any spelling of the address.
    let strict = runtime()
        .load(
            &guest("example_tasks"),
            ConnectorOptions {
                grants: Grants {
                    http: vec!["http://{host}".parse().unwrap()],
                    ..Grants::default()
                },
                ..ConnectorOptions::default()
            },
        )
        .unwrap();
    let other = TaskApi::start("secret-token");
    let port = other.addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("[::1]:{port}"),
        format!("0.0.0.0:{port}"),
        format!("localhost:{port}"),
    ] {
        let mut wrong = conn.clone();
        wrong.set("host", host.as_str());
        let err = strict.check_connection(&wrong).unwrap_err();
        assert!(
            matches!(&err, CallError::Connector { error, .. } if error.code == "outbound-denied"),
            "{host}: {err}"
        );
    }
    assert!(
        other.seen.lock().unwrap().is_empty(),
        "no request reached the loopback server"
    );
}

#[test]
fn a_response_larger_than_the_cap_is_cut_off() {
    let api = TaskApi::start("t");
    let limits = Limits {
        max_http_response_bytes: 1000,
        ..Limits::default()
    };
    let c = hostile_with(&[api.origin()], &[], limits);
    let ok = reach(
        &c,
        "http-get",
        json!({"url": format!("{}/big?bytes=900", api.origin())}),
    )
    .unwrap();
    assert_eq!(ok["length"], 900);
    let err = reach(
        &c,
        "http-get",
        json!({"url": format!("{}/big?bytes=5000", api.origin())}),
    )
    .unwrap_err();
    assert!(err.contains("failed"), "{err}");
}

#[test]
fn a_stalled_server_cannot_outlast_the_call_deadline() {
    let api = TaskApi::start("t");
    let limits = Limits {
        timeout: Duration::from_millis(500),
        fuel: None,
        ..Limits::default()
    };
    let c = hostile_with(&[api.origin()], &[], limits);
    let start = Instant::now();
    let result = c.invoke(
        "http-get",
        &Connection::new(),
        &json!({"url": format!("{}/slow?ms=30000", api.origin())}),
    );
    let took = start.elapsed();
    // The wait is cut at the deadline; the guest then either reports the
    // timeout or is stopped by the time limit. Either way, well before 30 s.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    match result {
        Err(CallError::Limit {
            limit: LimitKind::Time,
            ..
        })
        | Err(CallError::Connector { .. }) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_guest_stuck_in_a_sleep_is_stopped_at_its_deadline() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        fuel: None,
        ..Limits::default()
    };
    let c = hostile_with(&[], &[], limits);
    let start = Instant::now();
    let err = c
        .invoke("sleep", &Connection::new(), &json!({"seconds": 3600}))
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Limit {
                limit: LimitKind::Time,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    // A short sleep within the deadline is not disturbed.
    let out = c
        .invoke("sleep", &Connection::new(), &json!({"seconds": 0}))
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["slept"], 0);
}

#[test]
fn raw_sockets_and_dns_are_denied() {
    let api = TaskApi::start("t");
    let c = hostile_with(&[api.origin()], &[], Limits::default());
    // Even to an origin granted for HTTP: sockets are not HTTP grants.
    let err = reach(&c, "tcp-connect", json!({"addr": api.host()})).unwrap_err();
    assert!(err.contains("connect failed"), "{err}");
    let err = reach(&c, "dns-lookup", json!({"host": "localhost"})).unwrap_err();
    assert!(err.contains("lookup failed"), "{err}");
    assert!(api.seen.lock().unwrap().is_empty());
}

#[test]
fn tcp_and_dns_grants_open_exactly_what_they_name() {
    let api = TaskApi::start("t");
    let other = TaskApi::start("t");
    let c = hostile_granted(
        Grants {
            tcp: vec![api.host().parse().unwrap()],
            dns: true,
            ..Grants::default()
        },
        Limits::default(),
    );
    let out = reach(&c, "tcp-connect", json!({"addr": api.host()})).unwrap();
    assert_eq!(out["connected"], true);
    let err = reach(&c, "tcp-connect", json!({"addr": other.host()})).unwrap_err();
    assert!(err.contains("connect failed"), "{err}");
    let out = reach(&c, "dns-lookup", json!({"host": "localhost"})).unwrap();
    assert!(!out["addresses"].as_array().unwrap().is_empty(), "{out}");
}

#[test]
fn file_system_escapes_stay_inside_the_granted_directory() {
    let root = scratch("fs-escape");
    let granted = root.join("granted");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(root.join("outside.txt"), "outside secret").unwrap();
    std::fs::write(granted.join("inside.txt"), "inside").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("outside.txt"), granted.join("link-out")).unwrap();
    let c = hostile_with(
        &[],
        &[format!("{}::/data", granted.display())],
        Limits::default(),
    );

    let ok = reach(&c, "fs-read", json!({"path": "/data/inside.txt"})).unwrap();
    assert_eq!(ok["content"], "inside");
    for path in [
        "/data/../outside.txt",
        "/data/../../etc/passwd",
        "/etc/passwd",
        "/data/link-out",
        "../outside.txt",
    ] {
        let err = reach(&c, "fs-read", json!({ "path": path })).unwrap_err();
        assert!(err.contains("read failed"), "{path}: {err}");
    }
    let err = reach(
        &c,
        "fs-write",
        json!({"path": "/data/../planted.txt", "content": "x"}),
    )
    .unwrap_err();
    assert!(err.contains("write failed"), "{err}");
    assert!(!root.join("planted.txt").exists());
}

#[test]
fn output_that_is_not_utf8_is_bad_output() {
    let c = hostile_with(&[], &[], Limits::default());
    let err = c
        .invoke("invalid-utf8", &Connection::new(), &json!({}))
        .unwrap_err();
    assert!(matches!(err, CallError::BadOutput { .. }), "{err}");
    assert_eq!(
        c.invoke("ok", &Connection::new(), &json!({}))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn a_panic_while_describing_is_a_typed_load_error() {
    let err = match runtime().load(&guest("test_describe_panic"), ConnectorOptions::default()) {
        Ok(_) => panic!("loaded a connector whose describe panics"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        text.contains("describing the connector failed")
            && text.contains("describe-service panicked on purpose"),
        "{text}"
    );
    // The same runtime goes on loading and serving others.
    let data = runtime()
        .load(&guest("example_data"), ConnectorOptions::default())
        .unwrap();
    assert!(
        data.invoke(
            "base64",
            &Connection::new(),
            &json!({"text": "a", "direction": "encode"})
        )
        .is_ok()
    );
}

#[test]
fn a_call_past_the_concurrency_limit_fails_at_once() {
    let limits = Limits {
        max_concurrency: 1,
        timeout: Duration::from_millis(1500),
        fuel: None,
        ..Limits::default()
    };
    let c = std::sync::Arc::new(hostile_with(&[], &[], limits));
    let busy = {
        let c = c.clone();
        std::thread::spawn(move || c.invoke("sleep", &Connection::new(), &json!({"seconds": 3600})))
    };
    // Wait (bounded) until the sleeper holds the only slot.
    let start = Instant::now();
    while c.running_calls() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the sleeping call never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let err = c.invoke("ok", &Connection::new(), &json!({})).unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Limit {
                limit: LimitKind::Concurrency,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        busy.join().unwrap(),
        Err(CallError::Limit {
            limit: LimitKind::Time,
            ..
        })
    ));
    // With the slot free again, calls go through.
    assert_eq!(
        c.invoke("ok", &Connection::new(), &json!({}))
            .unwrap()
            .status,
        200
    );
}

/// A connection value that does not fill a grant's template (`http://...`
/// where `{host}` wants a host and port) is named, with what to do, in the
/// refusal; a granted name that resolves to loopback is refused with the
/// advice to end the grant with ` private`, not to grant it again.
#[test]
fn refusals_say_why_a_templated_grant_did_not_admit_the_request() {
    let api = TaskApi::start("a-long-test-token");
    let tasks = guest("example_tasks");
    let with_scheme = format!("host=http://{}", api.host());
    let run = cli(&[
        "invoke",
        s(&tasks),
        "list-tasks",
        "-c",
        &with_scheme,
        "-c",
        "use_tls=false",
        "-c",
        "token=a-long-test-token",
        "--allow-http",
        "http://{host} private",
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("connection value \"host\"") && run.stderr.contains("drop the scheme"),
        "{run:?}"
    );

    let by_name = format!("host=localhost:{}", api.addr.port());
    let run = cli(&[
        "invoke",
        s(&tasks),
        "list-tasks",
        "-c",
        &by_name,
        "-c",
        "use_tls=false",
        "-c",
        "token=a-long-test-token",
        "--allow-http",
        "http://{host}",
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("end the grant with ` private`"), "{run:?}");
    assert!(all.contains("loopback or private address"), "{run:?}");
    assert!(
        api.seen.lock().unwrap().is_empty(),
        "a refused request reached the API"
    );
}

/// A server that is down is a transient error the connector reports; the
/// host does not add a raw `connect error: Os { code: 111, .. }` line (the
/// HTTP library's default) to the log for each failed request.
#[test]
fn a_refused_connection_logs_no_raw_os_error() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("host=127.0.0.1:{port}");
    let run = cli(&[
        "invoke",
        s(&guest("example_tasks")),
        "list-tasks",
        "-c",
        &host,
        "-c",
        "use_tls=false",
        "-c",
        "token=a-long-test-token",
        "--allow-http",
        "http://{host} private",
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("transient") || run.stdout.contains("transient"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("Os {") && !run.stderr.contains("connect error"),
        "{run:?}"
    );
}
