//! Workflow projects on the real host: `check-workflow` lists every problem of a broken
//! project at once; the `csv-to-files` example (a file dropped in a folder -> the `data`
//! connector parses it -> Foreach row -> the `files` connector writes a file) runs end to end
//! with `run --once`, and its run history answers `runs`, `runs show`, `runs resubmit` and
//! `runs cancel`. Real components built from this repository, real files.

use serde_json::{Value, json};

use crate::support::*;
use crate::workflows_support::*;

const BROKEN_HOST: &str = r#"
[[connector]]
name = "files"
component = "@FILES@"
service_provider = "/serviceProviders/files"
dirs = ["./data::/data"]

[workflows]
workers = 0
"#;

const BROKEN_CONNECTIONS: &str = r#"{
  "serviceProviderConnections": {
    "files": {
      "parameterValues": {"root": "@appsetting('WORKFLOW_TEST_SURELY_UNSET_SETTING')"},
      "serviceProvider": {"id": "/serviceProviders/files"}
    }
  }
}"#;

const BROKEN_WORKFLOW: &str = r#"{
  "definition": {
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {
      "Odd": {"type": "Teleport", "inputs": {}, "runAfter": {}},
      "Bad_expression": {"type": "Compose", "inputs": "@concat('a'", "runAfter": {}},
      "No_such_function": {"type": "Compose", "inputs": "@frobnicate(1)", "runAfter": {}},
      "After_missing": {"type": "Compose", "inputs": 1, "runAfter": {"Nowhere": ["Succeeded"]}}
    }
  },
  "kind": "Stateful"
}"#;

// Parses, but its connector calls do not fit the connectors the host loaded.
const CALLS_WORKFLOW: &str = r#"{
  "definition": {
    "triggers": {"manual": {"type": "Request", "kind": "Http"}},
    "actions": {
      "Unknown_op": {
        "type": "ServiceProvider",
        "inputs": {
          "parameters": {},
          "serviceProviderConfiguration": {
            "connectionName": "files", "operationId": "teleport-file",
            "serviceProviderId": "/serviceProviders/files"
          }
        },
        "runAfter": {}
      },
      "Bad_params": {
        "type": "ServiceProvider",
        "inputs": {
          "parameters": {"content": "no path"},
          "serviceProviderConfiguration": {
            "connectionName": "files", "operationId": "write-file",
            "serviceProviderId": "/serviceProviders/files"
          }
        },
        "runAfter": {}
      }
    }
  },
  "kind": "Stateful"
}"#;

#[test]
fn check_workflow_lists_every_problem_of_every_file_at_once() {
    let p = FlowProject::with_files(
        "wf-check",
        &[
            ("host.toml", BROKEN_HOST),
            ("connections.json", BROKEN_CONNECTIONS),
            ("broken/workflow.json", BROKEN_WORKFLOW),
            ("calls/workflow.json", CALLS_WORKFLOW),
            ("data/.keep", ""),
        ],
    );
    // host.toml is wrong: nothing else can be checked against connectors, but it is listed.
    let r = cli(&["check-workflow", p.arg()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stdout.contains("host.toml:9:11: [workflows] workers"),
        "{r:?}"
    );
    p.edit_host_toml("workers = 0", "workers = 2");
    let r = cli(&["check-workflow", p.arg()]);
    assert_eq!(r.code, 2, "{r:?}");
    for needle in [
        "broken/workflow.json:5:",
        "/definition/actions/Odd",
        "Teleport",
        "/definition/actions/Bad_expression/inputs",
        "`frobnicate` does not exist",
        "/definition/actions/After_missing/runAfter/Nowhere",
        "/definition/actions/Unknown_op/inputs/serviceProviderConfiguration/operationId",
        "has no operation `teleport-file`",
        "/definition/actions/Bad_params/inputs/parameters",
        "WORKFLOW_TEST_SURELY_UNSET_SETTING",
    ] {
        assert!(r.stdout.contains(needle), "missing {needle:?} in:\n{r:?}");
    }
    // Every problem is one line `file:line:column: ...`.
    for line in r.stdout.lines() {
        let file = line.split(':').next().unwrap();
        assert!(
            [
                "broken/workflow.json",
                "calls/workflow.json",
                "connections.json"
            ]
            .contains(&file),
            "{line}"
        );
    }
    // A broken project never starts half-way: `run` refuses with the same problems.
    let r = cli(&["run", p.arg(), "--once"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("teleport-file"), "{r:?}");
    assert!(
        !p.state_file().exists(),
        "a refused project wrote its state"
    );
}

#[test]
fn the_examples_pass_check_workflow() {
    let p = FlowProject::example("wf-check-examples", "csv-to-files");
    let r = cli(&["check-workflow", p.arg()]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("ok (1 workflow: split-csv)"), "{r:?}");
    let p = FlowProject::example("wf-check-examples", "request-tasks");
    // Without its settings the project is refused, naming them, never their values.
    let r = cli(&["check-workflow", p.arg()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.contains("TASKS_HOST"), "{r:?}");
    let r = cli_with_env(
        &["check-workflow", p.arg()],
        &[
            ("TASKS_HOST", "127.0.0.1:9"),
            ("TASKS_TOKEN", "t0k3n-check"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
}

fn drop_csv(p: &FlowProject, name: &str, text: &str) {
    std::fs::write(p.dir.join("data/inbox").join(name), text).unwrap();
}

#[test]
fn a_dropped_csv_file_becomes_one_run_that_writes_a_file_per_row() {
    let p = FlowProject::example("wf-csv", "csv-to-files");
    drop_csv(&p, "people.csv", "id,name\n1,Ada\n2,Grace\n3,Edsger\n");
    // Not a CSV: the trigger's condition keeps it from starting a run.
    drop_csv(&p, "notes.txt", "hello");
    let r = cli(&["run", p.arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("split-csv: started 1 run(s)"), "{r:?}");
    for (id, name) in [("1", "Ada"), ("2", "Grace"), ("3", "Edsger")] {
        let text = std::fs::read_to_string(p.dir.join(format!("data/outbox/{id}.json"))).unwrap();
        let row: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(row, json!({"id": id, "name": name}));
    }
    let runs = p.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(run["status"], "Succeeded", "{run}");
    assert_eq!(run["workflow"], "split-csv");
    assert_eq!(run["trigger_outputs"]["body"]["path"], "inbox/people.csv");
    let id = run["id"].as_str().unwrap();
    let shown = p.show(id);
    let actions = shown["actions"].as_array().unwrap();
    let step = |name: &str| {
        actions
            .iter()
            .find(|a| a["step"] == name)
            .unwrap_or_else(|| panic!("no step {name} in {actions:?}"))
    };
    assert_eq!(step("Parse_CSV")["outputs"]["body"]["count"], 3, "{shown}");
    assert_eq!(
        step("Summary")["outputs"],
        json!({"file": "inbox/people.csv", "rows": 3})
    );
    let writes: Vec<&Value> = actions
        .iter()
        .filter(|a| a["step"].as_str().unwrap().ends_with("/Write_row"))
        .collect();
    assert_eq!(writes.len(), 3, "{actions:?}");
    for w in &writes {
        assert_eq!(w["status"], "Succeeded");
        assert_eq!(w["attempts"], 1);
        assert!(
            w["inputs"]["parameters"]["path"]
                .as_str()
                .unwrap()
                .starts_with("outbox/")
        );
    }
    // The text form names every step, its status and attempts.
    let text = cli(&["runs", "show", p.arg(), id]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout
            .contains(&format!("run {id} of split-csv: Succeeded")),
        "{text:?}"
    );
    assert!(text.stdout.contains("Read_file: Succeeded"), "{text:?}");

    // Polling again finds nothing new: no second run of the same file.
    let r = cli(&["run", p.arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(p.runs().len(), 1);
    // A new file is a new run.
    drop_csv(&p, "more.csv", "id,name\n4,Barbara\n");
    let r = cli(&["run", p.arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(p.runs().len(), 2);
    assert!(p.dir.join("data/outbox/4.json").exists());

    // Filters.
    let r = cli(&["runs", p.arg(), "--status", "failed", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(serde_json::from_str::<Value>(&r.stdout).unwrap(), json!([]));
    let r = cli(&["runs", p.arg(), "--status", "sideways"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("Succeeded"), "{r:?}");
    let r = cli(&["runs", p.arg(), "--workflow", "split-csv"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), 3, "{r:?}");
}

#[test]
fn resubmit_queues_a_copy_and_cancel_stops_a_queued_run() {
    let p = FlowProject::example("wf-resubmit", "csv-to-files");
    drop_csv(&p, "a.csv", "id,name\n7,Alan\n");
    assert_eq!(cli(&["run", p.arg(), "--once"]).code, 0);
    let first = p.runs()[0]["id"].as_str().unwrap().to_owned();
    std::fs::remove_file(p.dir.join("data/outbox/7.json")).unwrap();

    let r = cli(&["runs", "resubmit", p.arg(), &first]);
    assert_eq!(r.code, 0, "{r:?}");
    let second = r.stdout.trim().to_owned();
    assert_ne!(second, first);
    let r = cli(&["runs", "resubmit", p.arg(), &first]);
    let third = r.stdout.trim().to_owned();
    let r = cli(&["runs", "cancel", p.arg(), &third]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Cancelled"), "{r:?}");

    // The next start runs the queued resubmit, not the cancelled one.
    assert_eq!(cli(&["run", p.arg(), "--once"]).code, 0);
    assert!(p.dir.join("data/outbox/7.json").exists());
    let runs = p.runs();
    let by_id = |id: &str| runs.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(by_id(&second)["status"], "Succeeded");
    assert_eq!(by_id(&second)["resubmitted_from"], first.as_str());
    assert_eq!(by_id(&third)["status"], "Cancelled");
    assert!(p.show(&third)["actions"].as_array().unwrap().is_empty());
    // Cancelling an ended run says so and changes nothing.
    let r = cli(&["runs", "cancel", p.arg(), &second]);
    assert!(r.stdout.contains("already ended Succeeded"), "{r:?}");
    let r = cli(&["runs", "show", p.arg(), "no-such-run"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("there is no run no-such-run"), "{r:?}");
}
