//! `connector-host serve <project dir>`: a workflow project served by one process that also
//! runs it. Against the real server on 127.0.0.1 and the real `data` and `tasks` connectors:
//! the workflows are listed, read, saved (a workflow with problems is refused with each
//! problem at its JSON pointer and nothing is written; a good one is written and runs at
//! once, without a restart), enabled, disabled and started by hand; runs are listed by
//! workflow and status in pages, shown with every action, resubmitted and cancelled; the
//! triggers show their state. Every new endpoint refuses a request without the token, and
//! the secret of a project connection never appears in any answer, run inputs included.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server_support::*;
use crate::taskapi::TaskApi;
use crate::workflows_support::FlowProject;

const HOST_TOML: &str = r#"
[host]
state = "state/state.db"

[workflows]
listen = "127.0.0.1:0"

[[connector]]
name = "data"
component = "@DATA@"
service_provider = "/serviceProviders/data"
"#;

const CONNECTIONS: &str = r#"{
  "serviceProviderConnections": {
    "data": { "parameterValues": {}, "serviceProvider": { "id": "/serviceProviders/data" } }
  }
}"#;

/// A `Request`-triggered workflow: render a greeting from the body's `name`, then hash it.
fn greet(template: &str) -> Value {
    let call = |op: &str| json!({"connectionName": "data", "operationId": op, "serviceProviderId": "/serviceProviders/data"});
    json!({
        "definition": {
            "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"schema": {
                "type": "object", "properties": {"name": {"type": "string"}}}}}},
            "actions": {
                "Render": {"type": "ServiceProvider", "runAfter": {}, "inputs": {
                    "parameters": {"template": template, "values": {"name": "@triggerBody()?['name']"}},
                    "serviceProviderConfiguration": call("render-template")}},
                "Hash": {"type": "ServiceProvider", "runAfter": {"Render": ["Succeeded"]}, "inputs": {
                    "parameters": {"text": "@body('Render')?['text']", "algorithm": "sha256"},
                    "serviceProviderConfiguration": call("hash")}}
            }
        },
        "kind": "Stateful"
    })
}

fn project(label: &str) -> FlowProject {
    let text = serde_json::to_string_pretty(&greet("Hello {{name}}")).unwrap();
    FlowProject::with_files(
        label,
        &[
            ("host.toml", HOST_TOML),
            ("connections.json", CONNECTIONS),
            ("greet/workflow.json", &text),
        ],
    )
}

/// Waits (at most 60 s) until the run has ended, and returns it with its actions.
fn finished(server: &ServerProc, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let r = server.get(&format!("/api/runs/{id}"));
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        let status = v["run"]["status"].as_str().unwrap().to_string();
        if status != "Queued" && status != "Running" {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "run {id} did not end: {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn action<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no action {name} in {run}"))
}

fn run_now(server: &ServerProc, workflow: &str, body: Value) -> String {
    let r = server.post(
        &format!("/api/workflows/{workflow}/run"),
        &json!({ "body": body }),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    r.json()["runId"].as_str().unwrap().to_string()
}

#[test]
fn every_workflow_endpoint_refuses_a_request_without_the_token() {
    let p = project("serve-wf-auth");
    let server = ServerProc::start_project(p.dir.clone(), &[]);
    let calls = [
        ("GET", "/api/workflows"),
        ("GET", "/api/workflows/greet"),
        ("PUT", "/api/workflows/greet"),
        ("POST", "/api/workflows/greet/enable"),
        ("POST", "/api/workflows/greet/disable"),
        ("POST", "/api/workflows/greet/run"),
        ("GET", "/api/runs"),
        ("GET", "/api/runs/x"),
        ("POST", "/api/runs/x/resubmit"),
        ("POST", "/api/runs/x/cancel"),
        ("GET", "/api/triggers"),
        ("GET", "/api/project"),
    ];
    for (method, path) in calls {
        let r = server.send(method, path, Some("{}"), &[]);
        assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
        let wrong = vec![("Authorization".to_string(), "Bearer nope".to_string())];
        let r = server.send(method, path, Some("{}"), &wrong);
        assert_eq!(r.status, 401, "{method} {path} with a wrong token");
    }
    // Nothing changed: still enabled, no run.
    assert_eq!(
        server.get("/api/workflows").json()["workflows"][0]["enabled"],
        true
    );
    assert_eq!(server.get("/api/runs").json()["runs"], json!([]));
}

#[test]
fn workflows_are_checked_saved_loaded_and_run_without_a_restart() {
    let p = project("serve-wf-save");
    let server = ServerProc::start_project(p.dir.clone(), &[]);
    let list = server.get("/api/workflows").json();
    assert_eq!(list["workflows"][0]["name"], "greet");
    assert_eq!(list["workflows"][0]["triggerKind"], "request");
    assert_eq!(list["workflows"][0]["enabled"], true);
    assert_eq!(list["workflows"][0]["lastRun"], Value::Null);
    let got = server.get("/api/workflows/greet").json();
    assert_eq!(got["workflow"], greet("Hello {{name}}"));
    let project = server.get("/api/project").json();
    assert_eq!(project["connections"][0]["name"], "data");
    assert_eq!(project["connections"][0]["connector"], "data");
    assert_eq!(server.get("/api/workflows/nope").status, 404);

    // Three problems at once, each at its pointer; nothing written.
    let before = std::fs::read_to_string(p.dir.join("greet/workflow.json")).unwrap();
    let mut bad = greet("Hello {{name}}");
    let actions = &mut bad["definition"]["actions"];
    actions["Hash"]["inputs"]["parameters"]["algorithm"] = json!("md5");
    actions["Render"]["inputs"]["parameters"]
        .as_object_mut()
        .unwrap()
        .remove("template");
    actions["Extra"] = json!({"type": "ServiceProvider", "runAfter": {"Hash": ["Succeeded"]},
        "inputs": {"parameters": {}, "serviceProviderConfiguration": {"connectionName": "data",
        "operationId": "no-such-op", "serviceProviderId": "/serviceProviders/data"}}});
    let r = server.put("/api/workflows/greet", &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    let problems = r.json()["error"]["problems"].as_array().unwrap().clone();
    let at = |p: &str| {
        problems
            .iter()
            .find(|x| x["pointer"] == p)
            .unwrap_or_else(|| panic!("no problem at {p}: {problems:?}"))
            .clone()
    };
    assert!(
        at("/definition/actions/Hash/inputs/parameters/algorithm")["message"]
            .as_str()
            .unwrap()
            .contains("md5")
    );
    assert!(
        at("/definition/actions/Render/inputs/parameters/template")["message"]
            .as_str()
            .unwrap()
            .contains("required")
    );
    let op = at("/definition/actions/Extra/inputs/serviceProviderConfiguration/operationId");
    assert!(op["message"].as_str().unwrap().contains("no-such-op"));
    assert!(op["line"].as_u64().unwrap() > 1);
    assert_eq!(
        std::fs::read_to_string(p.dir.join("greet/workflow.json")).unwrap(),
        before
    );
    // Not JSON at all, and a name that cannot be a folder.
    let r = server.send(
        "PUT",
        "/api/workflows/greet",
        Some("{not json"),
        &server.auth(),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = server.put("/api/workflows/..", &greet("x"));
    assert!(r.status == 400 || r.status == 404, "{}", r.body);

    // A new workflow: written, listed, and it runs at once.
    let r = server.put("/api/workflows/second", &greet("Hi {{name}}"));
    assert_eq!(r.status, 201, "{}", r.body);
    let on_disk: Value =
        serde_json::from_str(&std::fs::read_to_string(p.dir.join("second/workflow.json")).unwrap())
            .unwrap();
    assert_eq!(on_disk, greet("Hi {{name}}"));
    let id = run_now(&server, "second", json!({"name": "Ada"}));
    let run = finished(&server, &id);
    assert_eq!(run["run"]["status"], "Succeeded", "{run}");
    assert_eq!(run["run"]["trigger"], "manual");
    assert_eq!(run["run"]["triggerOutputs"]["body"], json!({"name": "Ada"}));
    let render = action(&run, "Render");
    assert_eq!(render["status"], "Succeeded");
    assert_eq!(render["attempts"], 1);
    assert_eq!(render["outputs"]["body"]["text"], "Hi Ada", "{render}");
    let hash = action(&run, "Hash");
    assert_eq!(hash["inputs"]["parameters"]["text"], "Hi Ada", "{hash}");
    assert_eq!(
        hash["outputs"]["body"]["digest"].as_str().unwrap().len(),
        64
    );

    // Saved again: the next run uses the new definition, without a restart.
    let r = server.put("/api/workflows/second", &greet("Bye {{name}}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["created"], false);
    let run = finished(&server, &run_now(&server, "second", json!({"name": "Ada"})));
    assert_eq!(action(&run, "Render")["outputs"]["body"]["text"], "Bye Ada");

    // The Request listener serves the saved definition too.
    let addr = server.request_addr();
    let r = post_request(addr, "second", r#"{"name": "Lin"}"#);
    assert!(r.contains(" 202 "), "{r}");
    let list = server.get("/api/workflows").json();
    let second = list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "second")
        .unwrap()
        .clone();
    assert!(second["lastRun"]["id"].is_string(), "{second}");
}

/// POSTs `body` to the `manual` Request trigger of `workflow`; the raw answer.
fn post_request(addr: std::net::SocketAddr, workflow: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /workflows/{workflow}/triggers/manual/invoke HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn disabled_workflows_start_nothing_and_their_triggers_say_so() {
    let p = project("serve-wf-enable");
    let server = ServerProc::start_project(p.dir.clone(), &[]);
    let triggers = server.get("/api/triggers").json();
    assert_eq!(triggers["triggers"][0]["workflow"], "greet");
    assert_eq!(triggers["triggers"][0]["kind"], "request");
    assert_eq!(triggers["triggers"][0]["state"], "listening");
    let r = server.post("/api/workflows/greet/disable", &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        server.get("/api/workflows").json()["workflows"][0]["enabled"],
        false
    );
    assert_eq!(
        server.get("/api/triggers").json()["triggers"][0]["state"],
        "disabled"
    );
    let r = server.post("/api/workflows/greet/run", &json!({"body": {}}));
    assert_eq!(r.status, 409, "{}", r.body);
    let answer = post_request(server.request_addr(), "greet", "{}");
    assert!(answer.contains(" 404 "), "{answer}");
    assert_eq!(server.get("/api/runs").json()["runs"], json!([]));
    assert_eq!(
        server
            .post("/api/workflows/greet/enable", &json!({}))
            .status,
        200
    );
    assert_eq!(
        server.get("/api/triggers").json()["triggers"][0]["state"],
        "listening"
    );
    let run = finished(&server, &run_now(&server, "greet", json!({"name": "Bo"})));
    assert_eq!(run["run"]["status"], "Succeeded");
    assert_eq!(
        server.post("/api/workflows/nope/enable", &json!({})).status,
        404
    );
}

#[test]
fn runs_are_paged_filtered_resubmitted_and_cancelled() {
    let p = project("serve-wf-runs");
    let server = ServerProc::start_project(p.dir.clone(), &[]);
    let ids: Vec<String> = (0..5)
        .map(|i| run_now(&server, "greet", json!({"name": format!("n{i}")})))
        .collect();
    for id in &ids {
        finished(&server, id);
    }
    // Pages of two, newest first, every run once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let q = match &cursor {
            None => "/api/runs?workflow=greet&limit=2".to_string(),
            Some(c) => format!("/api/runs?workflow=greet&limit=2&cursor={c}"),
        };
        let page = server.get(&q).json();
        let runs = page["runs"].as_array().unwrap();
        assert!(runs.len() <= 2);
        seen.extend(runs.iter().map(|r| {
            (
                r["createdAt"].as_i64().unwrap(),
                r["id"].as_str().unwrap().to_string(),
            )
        }));
        match page["next"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // Newest first (runs created in the same millisecond by id), and every run once.
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "{seen:?}");
    let mut got: Vec<String> = seen.into_iter().map(|(_, id)| id).collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
    let ok = server.get("/api/runs?status=succeeded&limit=50").json();
    assert_eq!(ok["runs"].as_array().unwrap().len(), 5);
    let none = server.get("/api/runs?status=Failed").json();
    assert_eq!(none["runs"], json!([]));
    let other = server.get("/api/runs?workflow=other").json();
    assert_eq!(other["runs"], json!([]));
    assert_eq!(server.get("/api/runs?status=Maybe").status, 400);
    assert_eq!(server.get("/api/runs?cursor=zzz").status, 400);
    assert_eq!(server.get("/api/runs?limit=0").status, 400);
    assert_eq!(server.get("/api/runs/nope").status, 404);

    // Resubmit: a new run with the same trigger outputs.
    let r = server.post(&format!("/api/runs/{}/resubmit", ids[0]), &json!({}));
    assert_eq!(r.status, 202, "{}", r.body);
    let again = r.json()["runId"].as_str().unwrap().to_string();
    let run = finished(&server, &again);
    assert_eq!(run["run"]["resubmittedFrom"], ids[0].as_str());
    assert_eq!(run["run"]["triggerOutputs"]["body"], json!({"name": "n0"}));
    assert_eq!(
        action(&run, "Render")["outputs"]["body"]["text"],
        "Hello n0"
    );
    // Cancelling a finished run leaves it as it ended.
    let r = server.post(&format!("/api/runs/{again}/cancel"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "Succeeded");
    assert_eq!(server.post("/api/runs/nope/cancel", &json!({})).status, 404);
    assert_eq!(
        server.post("/api/runs/nope/resubmit", &json!({})).status,
        404
    );
}

#[test]
fn a_secret_of_a_project_connection_is_in_no_answer() {
    const SECRET: &str = "tsk-5ecr3t-0f-the-project-connection";
    let api = TaskApi::start(SECRET);
    let p = FlowProject::example("serve-wf-secret", "request-tasks");
    p.edit_host_toml("listen = \"127.0.0.1:7072\"", "listen = \"127.0.0.1:0\"");
    let host = api.host();
    let server = ServerProc::start_project(
        p.dir.clone(),
        &[("TASKS_HOST", host.as_str()), ("TASKS_TOKEN", SECRET)],
    );
    // The secret travels to the connector (the task is created) but in no answer: the
    // trigger body that carries it is redacted before it is stored, and so are the inputs.
    let id = run_now(
        &server,
        "create-task",
        json!({"title": format!("note {SECRET}")}),
    );
    let run = finished(&server, &id);
    assert_eq!(action(&run, "Create_task")["status"], "Succeeded", "{run}");
    let mut bodies = Vec::new();
    for path in [
        "/api/workflows".to_string(),
        "/api/workflows/create-task".into(),
        "/api/project".into(),
        "/api/triggers".into(),
        "/api/runs".into(),
        format!("/api/runs/{id}"),
        "/api/connections".into(),
        "/api/openapi.json".into(),
    ] {
        let r = server.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        bodies.push((path, r.body));
    }
    for (path, body) in &bodies {
        assert!(!body.contains(SECRET), "{path} holds the secret: {body}");
    }
    let shown = &bodies[5].1;
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!server.log().contains(SECRET));
}
