//! The `request-tasks` example on the real host: an HTTP request to the workflow's `Request`
//! trigger starts a run that creates a task through the `tasks` connector against a task API
//! on 127.0.0.1 and answers with its `Response`. The API token is an `@appsetting`: it must
//! reach the connector and appear nowhere in the state file.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;

use crate::taskapi::TaskApi;
use crate::triggers_support::{http_request, sigterm, wait_exit, wait_until};
use crate::workflows_support::*;

const TOKEN: &str = "wf-s3cr3t-token-4711";

#[test]
fn a_request_runs_the_workflow_and_gets_its_response_and_the_token_stays_out_of_state() {
    let api = TaskApi::start(TOKEN);
    let p = FlowProject::example("wf-request", "request-tasks");
    let port = free_port();
    p.edit_host_toml("127.0.0.1:7072", &format!("127.0.0.1:{port}"));
    let metrics_port = free_port();
    p.edit_host_toml(
        "[workflows]",
        &format!("[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n[workflows]"),
    );
    let host = api.host();
    let mut child = p.spawn_run(&[("TASKS_HOST", &host), ("TASKS_TOKEN", TOKEN)]);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_until(Duration::from_secs(60), "the Request listener", || {
        p.log().contains("Request triggers listening")
    });

    let path = "/workflows/create-task/triggers/manual/invoke";
    let (status, body) = http_request(addr, "POST", path, br#"{"title": "Write the docs"}"#);
    assert_eq!(status, 201, "{body}\n{}", p.log());
    let task: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(task["title"], "Write the docs");
    assert_eq!(task["status"], "open");
    assert!(task["id"].as_i64().unwrap() >= 1, "{task}");
    // The connector really called the API, with the token.
    assert!(
        api.seen
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("POST /tasks")),
        "{:?}",
        api.seen.lock().unwrap()
    );

    // Unknown workflow or trigger: 404; a body over max_body: 413.
    let (status, _) = http_request(
        addr,
        "POST",
        "/workflows/nope/triggers/manual/invoke",
        b"{}",
    );
    assert_eq!(status, 404);
    let (status, _) = http_request(
        addr,
        "POST",
        "/workflows/create-task/triggers/other/invoke",
        b"{}",
    );
    assert_eq!(status, 404);
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(70 * 1024));
    let (status, _) = http_request(addr, "POST", path, big.as_bytes());
    assert_eq!(status, 413);
    // An input the operation refuses (an empty title) takes the Failed branch's Response.
    let (status, body) = http_request(addr, "POST", path, br#"{"title": ""}"#);
    assert_eq!(status, 502, "{body}");

    // The runs and their actions are counted, by workflow and status, and the
    // token is in no label or value.
    let metrics_addr: SocketAddr = format!("127.0.0.1:{metrics_port}").parse().unwrap();
    let runs = |samples: &[crate::metrics::Sample], status: &str| {
        crate::metrics::value(
            samples,
            "connector_host_workflow_runs_total",
            &[("workflow", "create-task"), ("status", status)],
        )
    };
    // A run goes on after its Response answered: wait for both to be counted.
    let mut text = String::new();
    wait_until(Duration::from_secs(10), "both runs counted", || {
        let (status, body) = http_request(metrics_addr, "GET", "/metrics", b"");
        assert_eq!(status, 200, "{body}");
        text = body;
        let samples = crate::metrics::parse_scrape(&text);
        runs(&samples, "succeeded") + runs(&samples, "failed") >= 2.0
    });
    let samples = crate::metrics::parse_scrape(&text);
    assert_eq!(
        runs(&samples, "succeeded") + runs(&samples, "failed"),
        2.0,
        "{text}"
    );
    assert!(
        crate::metrics::value(
            &samples,
            "connector_host_workflow_action_duration_seconds_count",
            &[("workflow", "create-task")]
        ) >= 2.0,
        "{text}"
    );
    assert!(
        crate::metrics::value(
            &samples,
            "connector_host_workflow_journal_write_seconds_count",
            &[]
        ) > 0.0,
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the token is in the scrape");

    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(30)),
        0,
        "{}",
        p.log()
    );
    let runs = p.runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"Succeeded"), "{statuses:?}");
    let ok = runs.iter().find(|r| r["status"] == "Succeeded").unwrap();
    let shown = p.show(ok["id"].as_str().unwrap());
    let create = shown["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["step"] == "Create_task")
        .unwrap()
        .clone();
    assert_eq!(
        create["outputs"]["body"]["title"], "Write the docs",
        "{shown}"
    );

    // The token reached the connector, and is in no byte of the state file or its WAL.
    for suffix in ["", "-wal", "-shm"] {
        let mut name = p.state_file().into_os_string();
        name.push(suffix);
        if let Ok(bytes) = std::fs::read(&name) {
            assert!(
                !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                "the token is in {name:?}"
            );
        }
    }
    assert!(!p.log().contains(TOKEN), "the token is in the log");
}
