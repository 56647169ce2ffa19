//! The server's API against a real `connector-host serve` on 127.0.0.1,
//! with the data, files and hostile connectors built from this repository:
//! every route of the OpenAPI document answers, and the catalog,
//! connections, "try it" and the triggers beside them do what the README
//! says. Its security checks are in `server_security`.

use serde_json::{Value, json};

use crate::server_support::*;

#[test]
fn every_route_of_the_openapi_document_is_served() {
    let server = ServerProc::start("server-openapi");
    hostile_connection(&server);
    let doc = server.get("/api/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut called = 0;
    for (path, methods) in paths {
        for (method, spec) in methods.as_object().unwrap() {
            let name = if path.starts_with("/api/connections/") {
                "h1"
            } else {
                "data"
            };
            let concrete = path.replace("{name}", name).replace("{op}", "hash");
            let body = spec.get("requestBody").map(|_| {
                if concrete.starts_with("/api/connections") {
                    json!({"values": {}}).to_string()
                } else {
                    json!({"input": {"text": "x"}, "property": "p"}).to_string()
                }
            });
            let r = server.send(
                &method.to_uppercase(),
                &concrete,
                body.as_deref(),
                &server.auth(),
            );
            let code = serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
            assert!(
                r.status != 405 && code.as_deref() != Some("no-route"),
                "{method} {concrete} is in the OpenAPI document but not served: {} {}",
                r.status,
                r.body
            );
            let documented: Vec<&String> = spec["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented.iter().any(|s| **s == r.status.to_string()),
                "{method} {concrete} answered {}, which the document does not list ({documented:?}): {}",
                r.status,
                r.body
            );
            called += 1;
        }
    }
    assert!(called >= 14, "only {called} operations in the document");
    // And the other way: a route that is not documented is not served.
    let r = server.get("/api/nothing-here");
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (404, Some("no-route"))
    );
}

#[test]
fn health_readiness_and_the_catalog() {
    let server = ServerProc::start("server-catalog");
    let h = server.get("/api/health").json();
    assert_eq!(h["status"], "ok");
    let ready = server.get("/api/ready");
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert_eq!(ready.json()["connectors"]["count"], 3);
    assert_eq!(ready.json()["triggers"]["state"], "none");

    let list = server.get("/api/connectors").json();
    let names: Vec<&str> = list["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["data", "files", "hostile"]);
    let data = &list["connectors"][0];
    assert_eq!(data["loaded"], true);
    assert_eq!(data["service"]["id"], "data");
    assert_eq!(data["service"]["brandColor"], "#5b6ee1");
    assert!(
        data["service"]["iconUri"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml")
    );
    assert!(data["contract"].as_str().unwrap().starts_with("0."));
    assert_eq!(data["actions"], 5);

    let detail = server.get("/api/connectors/data").json();
    let hash = detail["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "hash")
        .unwrap();
    assert_eq!(hash["kind"], "action");
    assert_eq!(hash["inputSchema"]["type"], "object");
    assert!(hash["outputSchema"]["properties"]["digest"].is_object());
    let one = server.get("/api/connectors/data/operations/hash").json();
    assert_eq!(one["id"], "hash");
    let hostile = server.get("/api/connectors/hostile/operations/pick").json();
    assert_eq!(hostile["dynamicValues"], json!(["choice"]));

    let missing = server.get("/api/connectors/nope");
    assert_eq!(
        (missing.status, missing.json()["error"]["code"].as_str()),
        (404, Some("not-found"))
    );
    assert_eq!(
        server.get("/api/connectors/data/operations/nope").status,
        404
    );
}

#[test]
fn try_it_invokes_polls_and_reports_typed_errors() {
    let server = ServerProc::start("server-tryit");
    let invoke = |op: &str, input: Value| {
        let r = server.post(
            &format!("/api/connectors/data/operations/{op}/invoke"),
            &json!({"input": input}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let ok = invoke("hash", json!({"text": "hello", "algorithm": "sha256"}));
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["status"], 200);
    assert_eq!(
        ok["body"]["digest"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert!(ok["durationMs"].as_f64().unwrap() >= 0.0);
    // The runtime reports what the call used (issue 17).
    assert!(
        ok["metering"]["fuelUsed"].as_u64().is_some_and(|f| f > 0),
        "fuel used: {}",
        ok["metering"]
    );
    assert!(
        ok["metering"]["memoryUsed"].as_u64().is_some_and(|m| m > 0),
        "memory used: {}",
        ok["metering"]
    );

    // The host refuses the input, at its pointer.
    let bad = invoke("json-select", json!({"document": {}, "pointer": "abc"}));
    assert_eq!(bad["ok"], false);
    assert_eq!(bad["error"]["category"], "invalid-input");
    assert_eq!(bad["error"]["pointer"], "/pointer");
    // The connector refuses it, with its kind and code.
    let refused = invoke("base64", json!({"text": "%%%", "direction": "decode"}));
    assert_eq!(refused["error"]["category"], "connector-error");
    assert_eq!(refused["error"]["kind"], "invalid-input");
    assert_eq!(refused["error"]["code"], "bad-base64");

    // A limit: the hostile connector spins past its 1 s timeout.
    let r = server.post("/api/connectors/hostile/operations/spin/invoke", &json!({}));
    assert_eq!(r.json()["error"]["category"], "limit", "{}", r.body);
    let limit = r.json()["error"]["limit"].as_str().unwrap().to_string();
    assert!(limit == "time" || limit == "fuel", "{}", r.body);
    // The server still serves after it.
    assert_eq!(
        invoke("hash", json!({"text": "a", "algorithm": "sha256"}))["ok"],
        true
    );

    // A poll, once, with the configuration's connection.
    std::fs::write(server.dir.join("inbox/report.txt"), "hello").unwrap();
    let r = server.post(
        "/api/connectors/files/operations/file-added-or-changed/poll",
        &json!({"connection": "inbox", "input": {"path": "."}}),
    );
    let poll = r.json();
    assert_eq!(poll["ok"], true, "{}", r.body);
    assert_eq!(poll["items"][0]["body"]["path"], "report.txt");
    assert!(poll["state"].is_object());

    // Requests that cannot be made are HTTP errors.
    let wrong_kind = server.post(
        "/api/connectors/files/operations/file-added-or-changed/invoke",
        &json!({"connection": "inbox"}),
    );
    assert_eq!(wrong_kind.status, 400, "{}", wrong_kind.body);
    let other = server.post(
        "/api/connectors/data/operations/hash/invoke",
        &json!({"connection": "inbox", "input": {}}),
    );
    assert_eq!(
        (other.status, other.json()["error"]["pointer"].as_str()),
        (400, Some("/connection"))
    );
    assert_eq!(
        server
            .post(
                "/api/connectors/data/operations/hash/invoke",
                &json!({"connection": "nope"})
            )
            .status,
        404
    );
    let not_json = server.send(
        "POST",
        "/api/connectors/data/operations/hash/invoke",
        Some("{not json"),
        &server.auth(),
    );
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"]["code"], "bad-request");
    let unknown_field = server.post(
        "/api/connectors/data/operations/hash/invoke",
        &json!({"inptu": {}}),
    );
    assert!(
        unknown_field.status == 400 || unknown_field.status == 422,
        "{}",
        unknown_field.body
    );

    // Dynamic values (contract 0.2.0): the hostile connector's `pick`.
    let dv = server.post(
        "/api/connectors/hostile/operations/pick/dynamic-values",
        &json!({"property": "choice", "input": {"mode": "plain"}}),
    );
    let values = dv.json();
    assert_eq!(values["ok"], true, "{}", dv.body);
    assert_eq!(values["values"].as_array().unwrap().len(), 2);
    let none = server.post(
        "/api/connectors/data/operations/hash/dynamic-values",
        &json!({"property": "text"}),
    );
    assert_eq!(
        none.json()["error"]["category"],
        "invalid-input",
        "{}",
        none.body
    );
}

#[test]
fn connections_are_created_updated_tested_and_secrets_are_write_only() {
    let server = ServerProc::start("server-connections");
    hostile_connection(&server);
    let stored = server.state.join("connections.json");
    let text = std::fs::read_to_string(&stored).unwrap();
    assert!(text.contains(SECRET), "the secret is stored for calls");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&stored).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "connections.json is owner-only");
        let token_mode = std::fs::metadata(server.state.join("token"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(token_mode, 0o600, "the token is owner-only");
    }

    let list = server.get("/api/connections");
    assert!(!list.body.contains(SECRET));
    let list = list.json();
    let names: Vec<&str> = list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["inbox", "h1"]);
    assert_eq!(list["connections"][0]["source"], "config");
    assert_eq!(list["connections"][0]["values"]["root"], "/data");
    let h1 = server.get("/api/connections/h1");
    assert!(!h1.body.contains(SECRET));
    assert_eq!(h1.json()["secrets"], json!(["token"]));

    // Update: values replaced, the secret kept unless named.
    let r = server.put(
        "/api/connections/h1",
        &json!({"values": {"panic": "false"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["secrets"], json!(["token"]));
    assert_eq!(r.json()["values"]["panic"], "false");
    assert!(!r.body.contains(SECRET));
    let test = server.post("/api/connections/h1/test", &json!({}));
    assert_eq!(test.json()["ok"], true, "{}", test.body);
    // check-connection panics with panic=true: a typed trap, not a crash.
    let r = server.put("/api/connections/h1", &json!({"values": {"panic": true}}));
    assert_eq!(r.status, 200, "{}", r.body);
    let test = server.post("/api/connections/h1/test", &json!({})).json();
    assert_eq!(
        (test["ok"].as_bool(), test["error"]["category"].as_str()),
        (Some(false), Some("trap"))
    );
    let test = server
        .post("/api/connections/inbox/test", &json!({}))
        .json();
    assert_eq!(test["ok"], true, "{test}");

    // What is refused, and why.
    let refuse = |r: Resp, status: u16, pointer: Option<&str>| {
        assert_eq!(r.status, status, "{}", r.body);
        if let Some(p) = pointer {
            assert_eq!(r.json()["error"]["pointer"], p, "{}", r.body);
        }
        assert!(!r.body.contains(SECRET));
    };
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "h1", "connector": "hostile"}),
        ),
        409,
        None,
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "inbox", "connector": "files"}),
        ),
        409,
        None,
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "x", "connector": "hostile", "values": {"token": SECRET}}),
        ),
        400,
        Some("/values/token"),
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "x", "connector": "hostile", "secrets": {"panic": "true"}}),
        ),
        400,
        Some("/secrets/panic"),
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "x", "connector": "hostile", "values": {"nope": "1"}}),
        ),
        400,
        Some("/values/nope"),
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "x", "connector": "hostile", "values": {"panic": "maybe"}}),
        ),
        400,
        Some("/"),
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "bad name!", "connector": "hostile"}),
        ),
        400,
        Some("/name"),
    );
    refuse(
        server.post(
            "/api/connections",
            &json!({"name": "x", "connector": "nope"}),
        ),
        400,
        Some("/connector"),
    );
    refuse(
        server.put("/api/connections/inbox", &json!({"values": {}})),
        409,
        None,
    );
    refuse(
        server.put("/api/connections/nope", &json!({"values": {}})),
        404,
        None,
    );

    // Delete.
    assert_eq!(
        server
            .send("DELETE", "/api/connections/h1", None, &server.auth())
            .status,
        204
    );
    assert_eq!(server.get("/api/connections/h1").status, 404);
    assert!(
        !std::fs::read_to_string(&stored).unwrap().contains(SECRET),
        "a deleted connection's secret is gone from the file"
    );
}

#[test]
fn serve_runs_the_configured_triggers_beside_the_api() {
    let toml = format!(
        "{CONFIG}\n[[trigger]]\nname = \"new-files\"\nconnection = \"inbox\"\noperation = \"file-added-or-changed\"\ninput = {{ path = \".\" }}\nrecurrence = \"200ms\"\n\n[host]\nstate = \"trigger-state.db\"\n[sink]\nkind = \"jsonl\"\npath = \"events.jsonl\"\n"
    );
    let server = ServerProc::start_with("server-triggers", &toml, &[]);
    let ready = server.get("/api/ready").json();
    assert_eq!(
        ready["triggers"],
        json!({"state": "running", "count": 1}),
        "{ready}"
    );
    std::fs::write(server.dir.join("inbox/a.txt"), "a").unwrap();
    let events = server.dir.join("events.jsonl");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&events)
        .unwrap_or_default()
        .contains("a.txt")
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the trigger delivered nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(server.stop(), 0);
}
