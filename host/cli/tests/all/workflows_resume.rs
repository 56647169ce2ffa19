//! Durable runs: `connector-host run <project>` is killed with SIGKILL in the middle of a
//! run's `Foreach`; the next start resumes the run from its journal. No finished action runs
//! again (each step has exactly one `step_finished` across both processes), the step that was
//! running when the host died is run again with the next attempt number, and the run ends
//! as it would have without the crash, with every file written.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;
use crate::workflows_support::*;

const HOST: &str = r#"
[host]
state = "state/state.db"

[[connector]]
name = "files"
component = "@FILES@"
service_provider = "/serviceProviders/files"
dirs = ["./data::/data"]

[[connector]]
name = "data"
component = "@DATA@"
service_provider = "/serviceProviders/data"
"#;

const CONNECTIONS: &str = r#"{"serviceProviderConnections": {
  "files": {"parameterValues": {"root": "/data"}, "serviceProvider": {"id": "/serviceProviders/files"}},
  "data": {"parameterValues": {}, "serviceProvider": {"id": "/serviceProviders/data"}}
}}"#;

fn call(connection: &str, op: &str, params: &str) -> String {
    format!(
        r#"{{"type": "ServiceProvider", "inputs": {{"parameters": {params},
        "serviceProviderConfiguration": {{"connectionName": "{connection}", "operationId": "{op}",
        "serviceProviderId": "/serviceProviders/{connection}"}}}}"#
    )
}

fn workflow() -> String {
    format!(
        r#"{{"definition": {{
  "triggers": {{"new_file": {}, "recurrence": {{"frequency": "Second", "interval": 1}}}}}},
  "actions": {{
    "Read": {}, "runAfter": {{}}}},
    "Parse": {}, "runAfter": {{"Read": ["Succeeded"]}}}},
    "Each_row": {{"type": "Foreach", "foreach": "@body('Parse')?['rows']",
      "operationOptions": "Sequential",
      "actions": {{"Write": {}, "runAfter": {{}}}}}},
      "runAfter": {{"Parse": ["Succeeded"]}}}},
    "Done": {{"type": "Compose", "inputs": "@length(body('Parse')?['rows'])", "runAfter": {{"Each_row": ["Succeeded"]}}}}
  }}}}, "kind": "Stateful"}}"#,
        call("files", "file-added-or-changed", r#"{"path": "inbox"}"#),
        call(
            "files",
            "read-file",
            r#"{"path": "@triggerBody()?['path']"}"#
        ),
        call(
            "data",
            "csv-to-json",
            r#"{"csv": "@body('Read')?['content']"}"#
        ),
        call(
            "files",
            "write-file",
            r#"{"path": "outbox/@{item()?['id']}.txt", "content": "@{item()?['name']}"}"#
        ),
    )
}

/// Enough sequential writes that the kill lands inside the Foreach even on a fast machine.
/// Kills and reaps the host if the test fails while it runs.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const ROWS: usize = 1500;

#[test]
fn a_run_killed_mid_foreach_resumes_without_running_a_finished_action_again() {
    let wf = workflow();
    let p = FlowProject::with_files(
        "wf-resume",
        &[
            ("host.toml", HOST),
            ("connections.json", CONNECTIONS),
            ("rows/workflow.json", &wf),
        ],
    );
    std::fs::create_dir_all(p.dir.join("data/inbox")).unwrap();
    let r = cli(&["check-workflow", p.arg()]);
    assert_eq!(r.code, 0, "{r:?}");
    let mut csv = String::from("id,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("{i},name-{i}\n"));
    }
    std::fs::write(p.dir.join("data/inbox/rows.csv"), csv).unwrap();

    let mut child = KillOnDrop(p.spawn_run(&[]));
    let start = Instant::now();
    let before_kill = loop {
        if start.elapsed() > Duration::from_secs(120) {
            panic!("the run did not reach its Foreach: {}", p.log());
        }
        std::thread::sleep(Duration::from_millis(5));
        if !p.state_file().exists() {
            continue;
        }
        let Some(journal) = p.try_journal() else {
            continue;
        };
        let writes = journal
            .iter()
            .filter(|(_, e)| {
                e["entry"] == "step_finished"
                    && e["step"].as_str().unwrap_or("").ends_with("/Write")
            })
            .count();
        if writes >= 20 {
            child.0.kill().unwrap();
            child.0.wait().unwrap();
            break p.journal();
        }
    };
    assert!(
        !before_kill
            .iter()
            .any(|(_, e)| e["entry"] == "run_finished"),
        "the run ended before the kill; make ROWS larger"
    );
    let run = before_kill[0].0.clone();
    // Steps started but not finished when the host died, with their last attempt.
    let mut interrupted: Vec<(String, u64)> = Vec::new();
    for (_, e) in &before_kill {
        let step = e["step"].as_str().unwrap_or("").to_owned();
        match e["entry"].as_str() {
            Some("step_started") => {
                interrupted.retain(|(s, _)| *s != step);
                interrupted.push((step, e["attempt"].as_u64().unwrap()));
            }
            Some("step_finished") => interrupted.retain(|(s, _)| *s != step),
            _ => {}
        }
    }

    let r = cli(&["run", p.arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    let runs = p.runs();
    assert_eq!(runs.len(), 1, "one event, one run: {runs:?}");
    assert_eq!(runs[0]["status"], "Succeeded", "{runs:?}");
    let journal = p.journal();
    for i in 0..ROWS {
        let text = std::fs::read_to_string(p.dir.join(format!("data/outbox/{i}.txt"))).unwrap();
        assert_eq!(text, format!("name-{i}"));
        let step = format!("Each_row[{i}]/Write");
        let finished = finished_steps(&journal, &run, &step);
        assert_eq!(
            finished.len(),
            1,
            "{step} finished {} times",
            finished.len()
        );
    }
    for name in ["Read", "Parse", "Done"] {
        assert_eq!(finished_steps(&journal, &run, name).len(), 1, "{name}");
    }
    // The interrupted step ran again with the next attempt number.
    let cut: Vec<&(String, u64)> = interrupted
        .iter()
        .filter(|(s, _)| s.ends_with("/Write"))
        .collect();
    eprintln!("killed with {} Write step(s) in flight: {cut:?}", cut.len());
    for (step, attempt) in &interrupted {
        if step.ends_with("/Write") {
            let again = journal.iter().any(|(_, e)| {
                e["entry"] == "step_started"
                    && e["step"] == step.as_str()
                    && e["attempt"].as_u64() == Some(attempt + 1)
            });
            assert!(
                again,
                "{step} was not started again as attempt {}",
                attempt + 1
            );
        }
    }
    let done = finished_steps(&journal, &run, "Done")[0];
    assert_eq!(done["record"]["outputs"], Value::from(ROWS));
}
