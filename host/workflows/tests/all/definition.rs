//! Workflow definitions: real Logic Apps definitions (as Microsoft's documentation writes them)
//! parse unchanged; a broken definition reports every problem at once with file, JSON pointer
//! and line; `connections.json` resolves `@appsetting` without showing secrets; a project
//! folder on disk loads whole or not at all.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use connector_workflows::definition::*;
use serde_json::{Value, json};

/// The `iterationIndexes` example of the functions reference, with a trigger added (the
/// reference shows only the actions).
pub(crate) const UNTIL_EXAMPLE: &str = r#"{
  "definition": {
    "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
    "contentVersion": "1.0.0.0",
    "triggers": { "manual": { "type": "Request", "kind": "Http", "inputs": {} } },
    "actions": {
      "Create_counter_variable": {
        "type": "InitializeVariable",
        "inputs": { "variables": [ { "name": "myCounter", "type": "Integer", "value": 0 } ] },
        "runAfter": {}
      },
      "Create_current_index_variable": {
        "type": "InitializeVariable",
        "inputs": { "variables": [ { "name": "myCurrentLoopIndex", "type": "Integer", "value": 0 } ] },
        "runAfter": { "Create_counter_variable": [ "Succeeded" ] }
      },
      "Until_Max_Increment": {
        "type": "Until",
        "actions": {
          "Assign_current_index_to_counter": {
            "type": "SetVariable",
            "inputs": { "name": "myCurrentLoopIndex", "value": "@variables('myCounter')" },
            "runAfter": { "Increment_variable": [ "Succeeded" ] }
          },
          "Compose": {
            "inputs": "'Current index: ' @{iterationIndexes('Until_Max_Increment')}",
            "runAfter": { "Assign_current_index_to_counter": [ "Succeeded" ] },
            "type": "Compose"
          },
          "Increment_variable": {
            "type": "IncrementVariable",
            "inputs": { "name": "myCounter", "value": 1 },
            "runAfter": {}
          }
        },
        "expression": "@equals(variables('myCounter'), 5)",
        "limit": { "count": 60, "timeout": "PT1H" },
        "runAfter": { "Create_current_index_variable": [ "Succeeded" ] }
      }
    },
    "outputs": {}
  },
  "kind": "Stateful"
}"#;

/// The `result()` example of the functions reference (lower-case `compose` and all), as a bare
/// definition with a trigger added.
const RESULT_EXAMPLE: &str = r#"{
  "triggers": { "manual": { "type": "Request", "kind": "Http" } },
  "actions": {
    "Compose": {
      "inputs": "@result('For_each')",
      "runAfter": { "For_each": [ "Succeeded" ] },
      "type": "compose"
    },
    "For_each": {
      "actions": {
        "HTTP": {
          "inputs": { "method": "GET", "uri": "https://httpstat.us/200" },
          "runAfter": {},
          "type": "Http"
        }
      },
      "foreach": "@triggerBody()",
      "runAfter": {},
      "type": "Foreach"
    }
  }
}"#;

/// A Logic Apps Standard workflow with built-in (service provider) actions, a condition in
/// the designer's object form, a Switch and a Scope with a failure branch.
const STANDARD_EXAMPLE: &str = r#"{
  "definition": {
    "triggers": {
      "When_a_file_is_added": {
        "type": "ServiceProvider",
        "inputs": {
          "parameters": { "path": "inbox" },
          "serviceProviderConfiguration": { "connectionName": "files", "operationId": "file-added", "serviceProviderId": "files" }
        },
        "recurrence": { "frequency": "Second", "interval": 5 },
        "splitOn": "@triggerBody()?['items']"
      }
    },
    "actions": {
      "Read": {
        "type": "ServiceProvider",
        "inputs": {
          "parameters": { "path": "@triggerBody()?['name']" },
          "serviceProviderConfiguration": { "connectionName": "files", "operationId": "read", "serviceProviderId": "files" }
        },
        "runAfter": {},
        "retryPolicy": { "type": "exponential", "count": 4, "interval": "PT7S" },
        "timeout": "PT30S"
      },
      "Is_big": {
        "type": "If",
        "expression": { "and": [ { "greater": [ "@length(body('Read')?['content'])", 100 ] }, { "not": { "equals": [ "@triggerBody()?['name']", "skip.txt" ] } } ] },
        "actions": { "Note_big": { "type": "Compose", "inputs": "big", "runAfter": {} } },
        "else": { "actions": { "Note_small": { "type": "Compose", "inputs": "small", "runAfter": {} } } },
        "runAfter": { "Read": [ "SUCCEEDED" ] }
      },
      "By_kind": {
        "type": "Switch",
        "expression": "@last(split(triggerBody()?['name'], '.'))",
        "cases": {
          "Csv": { "case": "csv", "actions": { "Csv_seen": { "type": "Compose", "inputs": "@body('Read')", "runAfter": {} } } }
        },
        "default": { "actions": {} },
        "runAfter": { "Read": [ "Succeeded" ] }
      },
      "Cleanup": {
        "type": "Scope",
        "actions": {
          "Each_line": {
            "type": "Foreach",
            "foreach": "@split(body('Read')?['content'], '\n')",
            "actions": { "Line": { "type": "Compose", "inputs": "@items('Each_line')", "runAfter": {} } },
            "runtimeConfiguration": { "concurrency": { "repetitions": 4 } },
            "runAfter": {}
          }
        },
        "runAfter": { "Is_big": [ "Succeeded", "Failed", "Skipped", "TimedOut" ] }
      },
      "Report_failure": {
        "type": "Terminate",
        "inputs": { "runStatus": "Failed", "runError": { "message": "@{result('Cleanup')}" } },
        "runAfter": { "Cleanup": [ "Failed" ] }
      }
    }
  },
  "kind": "Stateful"
}"#;

#[test]
fn documented_definitions_parse_unchanged() {
    let w = WorkflowFile::parse(UNTIL_EXAMPLE, "until/workflow.json", "until")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.workflow.kind.as_deref(), Some("Stateful"));
    assert_eq!(w.all_actions().len(), 6);
    let until = w
        .workflow
        .definition
        .actions
        .iter()
        .find(|a| a.name == "Until_Max_Increment")
        .unwrap();
    let ActionBody::Until {
        count,
        timeout,
        actions,
        ..
    } = &until.body
    else {
        panic!("not an Until")
    };
    assert_eq!((*count, timeout.as_secs(), actions.len()), (60, 3600, 3));
    assert_eq!(
        until.run_after,
        vec![RunAfter {
            action: "Create_current_index_variable".into(),
            statuses: vec![RunStatus::Succeeded]
        }]
    );

    let w = WorkflowFile::parse(RESULT_EXAMPLE, "result/workflow.json", "result")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.workflow.kind, None);
    let compose = w
        .workflow
        .definition
        .actions
        .iter()
        .find(|a| a.name == "Compose")
        .unwrap();
    assert_eq!(compose.action_type, ActionType::Compose);
    assert_eq!(compose.pointer, "/actions/Compose");

    let w = WorkflowFile::parse(STANDARD_EXAMPLE, "s/workflow.json", "s")
        .unwrap_or_else(|e| panic!("{e}"));
    let t = &w.workflow.definition.triggers[0];
    assert_eq!(t.trigger_type, TriggerType::ServiceProvider);
    assert!(t.split_on.is_some());
    let read = &w
        .workflow
        .definition
        .actions
        .iter()
        .find(|a| a.name == "Read")
        .unwrap();
    assert_eq!(read.timeout.unwrap().as_secs(), 30);
    assert!(
        matches!(&read.body, ActionBody::ServiceProvider(c) if c.operation_id == "read" && c.connection_name == "files")
    );
    let is_big = w
        .workflow
        .definition
        .actions
        .iter()
        .find(|a| a.name == "Is_big")
        .unwrap();
    assert!(
        matches!(&is_big.body, ActionBody::If { condition: Condition::And(parts), .. } if parts.len() == 2)
    );
    assert_eq!(
        is_big.run_after[0].statuses,
        vec![RunStatus::Succeeded],
        "statuses match without regard to case"
    );
    let each = w
        .all_actions()
        .into_iter()
        .find(|a| a.name == "Each_line")
        .unwrap();
    assert!(matches!(
        &each.body,
        ActionBody::Foreach {
            concurrency: Some(4),
            ..
        }
    ));
}

/// A definition with one of each problem; all must be reported, each at its pointer and line.
const BROKEN: &str = r#"{
  "definition": {
    "triggers": {},
    "actions": {
      "A": { "type": "Compose", "inputs": "@concat('a', 'b'", "runAfter": { "C": ["Succeeded"] } },
      "B": { "type": "Teleport", "inputs": {} },
      "C": { "type": "Compose", "inputs": { "x": "@nosuch(1)" }, "runAfter": { "A": ["Succeeded"] } },
      "D": { "type": "Compose", "inputs": "@body('Nowhere')", "runAfter": { "Ghost": ["Succeeded"], "A": ["Finished"] } },
      "E": { "type": "SetVariable", "inputs": { "name": "undeclared", "value": 1 }, "timeout": "soon" },
      "F": { "type": "Foreach", "foreach": "@createArray(1)", "actions": {
        "A": { "type": "Compose", "inputs": "@items('E')" }
      } },
      "G": { "type": "ApiConnection", "inputs": {} }
    }
  }
}"#;

#[test]
fn every_problem_is_reported_with_pointer_and_line() {
    let problems = WorkflowFile::parse(BROKEN, "broken/workflow.json", "broken")
        .unwrap_err()
        .0;
    let expect: &[(&str, usize, &str)] = &[
        ("/definition/triggers", 3, "exactly one trigger"),
        ("/definition/actions/A/inputs", 5, "does not parse"),
        (
            "/definition/actions/B/type",
            6,
            "unknown action type `Teleport`",
        ),
        (
            "/definition/actions/C/inputs/x",
            7,
            "`nosuch` does not exist",
        ),
        ("/definition/actions/A/runAfter", 5, "cycle: A -> C -> A"),
        (
            "/definition/actions/D/runAfter/Ghost",
            8,
            "not an action in the same scope",
        ),
        (
            "/definition/actions/D/runAfter/A/0",
            8,
            "\"Finished\" is not a status",
        ),
        ("/definition/actions/D/inputs", 8, "`Nowhere`"),
        (
            "/definition/actions/E/timeout",
            9,
            "not an ISO 8601 duration",
        ),
        (
            "/definition/actions/E/inputs/name",
            9,
            "`undeclared` is not initialized",
        ),
        (
            "/definition/actions/F/actions/A",
            11,
            "already used at line 5",
        ),
        (
            "/definition/actions/F/actions/A/inputs",
            11,
            "items('E') at offset 1 must be used inside the Foreach `E`",
        ),
        ("/definition/actions/G/type", 13, "does not run"),
    ];
    for (pointer, line, text) in expect {
        assert!(
            problems
                .iter()
                .any(|p| p.pointer == *pointer && p.line == *line && p.message.contains(text)),
            "no problem at {pointer} (line {line}) saying {text:?}; got:\n{}",
            Problems(problems.clone())
        );
    }
    assert_eq!(
        problems.len(),
        expect.len(),
        "{}",
        Problems(problems.clone())
    );
    // The display form is what `check-workflow` prints.
    let shown = problems
        .iter()
        .find(|p| p.pointer == "/definition/actions/B/type")
        .unwrap()
        .to_string();
    assert!(shown.starts_with("broken/workflow.json:6:"), "{shown}");
    // The expression error says where in the string.
    let a = problems
        .iter()
        .find(|p| p.pointer == "/definition/actions/A/inputs")
        .unwrap();
    assert!(a.message.contains("offset 16"), "{}", a.message);
}

#[test]
fn malformed_files_are_problems_not_panics() {
    let cases: &[(&str, &str)] = &[
        ("{\"definition\": ", "not valid JSON"),
        ("[1, 2]", "must hold an object"),
        ("{\"name\": 1}", "not a workflow definition"),
        (
            "{\"definition\": {\"triggers\": [], \"actions\": 3}}",
            "must be an object",
        ),
        (
            "{\"definition\": {\"triggers\": {\"t\": {\"type\": \"Request\"}}, \"actions\": {\"x\": 5}}}",
            "an action must be an object",
        ),
        (
            "{\"triggers\": {\"t\": {\"type\": \"Recurrence\"}}, \"actions\": {}}",
            "needs `recurrence`",
        ),
        (
            "{\"triggers\": {\"t\": {\"type\": \"Request\"}}, \"actions\": {\"i\": {\"type\": \"If\", \"expression\": {\"xor\": []}}}}",
            "is not a condition",
        ),
        (
            "{\"triggers\": {\"t\": {\"type\": \"Request\"}}, \"actions\": {\"u\": {\"type\": \"Until\", \"expression\": \"@true\", \"limit\": {\"count\": 0}}}}",
            "from 1 to 5000",
        ),
        (
            "{\"triggers\": {\"t\": {\"type\": \"Request\"}}, \"actions\": {\"s\": {\"type\": \"ServiceProvider\", \"inputs\": {}}}}",
            "serviceProviderConfiguration",
        ),
    ];
    for (text, want) in cases {
        let problems = WorkflowFile::parse(text, "x.json", "x").unwrap_err().0;
        assert!(
            problems.iter().any(|p| p.message.contains(want)),
            "{text}: {}",
            Problems(problems.clone())
        );
    }
    let p = &WorkflowFile::parse("{\n\n  \"definition\": ]", "x.json", "x")
        .unwrap_err()
        .0[0];
    assert_eq!(p.line, 3, "{p}");
}

const CONNECTIONS: &str = r#"{
  "serviceProviderConnections": {
    "files": {
      "parameterValues": { "root": "@appsetting('FILES_ROOT')", "token": "Bearer @{appsetting('FILES_TOKEN')}", "retries": 3 },
      "serviceProvider": { "id": "files" },
      "displayName": "Local files"
    }
  },
  "managedApiConnections": {}
}"#;

#[test]
fn connections_resolve_app_settings_without_showing_them() {
    let c = Connections::parse(CONNECTIONS, "connections.json").unwrap();
    let env = |name: &str| match name {
        "FILES_ROOT" => Some("/data".to_string()),
        "FILES_TOKEN" => Some("s3cr3t".to_string()),
        _ => None,
    };
    let r = c.resolve("files", &env).unwrap();
    assert_eq!(r.service_provider_id, "files");
    assert_eq!(
        Value::Object(r.values().clone()),
        json!({"root": "/data", "token": "Bearer s3cr3t", "retries": 3})
    );
    let shown = format!("{r:?}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("/data") && shown.contains("token"),
        "{shown}"
    );

    let missing = |name: &str| (name == "FILES_TOKEN").then(|| "s3cr3t".to_string());
    let err = c.resolve("files", &missing).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("FILES_ROOT")
            && text.contains("connections.json:4")
            && !text.contains("s3cr3t"),
        "{text}"
    );
    assert_eq!(
        c.resolve("nope", &env).unwrap_err(),
        ResolveError::UnknownConnection("nope".into())
    );

    let bad = r#"{"serviceProviderConnections": {"x": {"parameterValues": {"a": "@variables('v')", "b": "@("}}}}"#;
    let problems = Connections::parse(bad, "connections.json").unwrap_err().0;
    assert_eq!(problems.len(), 2, "{}", Problems(problems.clone()));
    let c = Connections::parse(r#"{"serviceProviderConnections": {"x": {"parameterValues": {"a": "@variables('v')"}, "serviceProvider": {"id": "x"}}}}"#, "c.json").unwrap();
    assert!(
        c.resolve("x", &env)
            .unwrap_err()
            .to_string()
            .contains("only appsetting()")
    );
}

/// A project folder under the system temp dir, removed on drop.
struct TempProject(PathBuf);

impl TempProject {
    fn new(files: &[(&str, &str)]) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wf-project-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        for (path, text) in files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        TempProject(dir)
    }
}

impl Drop for TempProject {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The operations the test host "has": the same lists the example connectors declare.
struct Files;

impl Catalog for Files {
    fn operations(&self, id: &str) -> Option<Vec<String>> {
        (id == "files").then(|| {
            ["file-added", "read", "write", "list", "delete"]
                .map(String::from)
                .to_vec()
        })
    }
    fn check_parameters(&self, _: &str, op: &str, params: &Value) -> Vec<String> {
        if op == "read" && params.get("path").is_none() {
            vec!["`path` is required".into()]
        } else {
            Vec::new()
        }
    }
}

#[test]
fn a_project_loads_whole_or_reports_everything() {
    let good = TempProject::new(&[
        ("connections.json", CONNECTIONS),
        ("ingest/workflow.json", STANDARD_EXAMPLE),
        ("until/workflow.json", UNTIL_EXAMPLE),
    ]);
    let p = Project::load(&good.0, Some(&Files)).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = p.workflows.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["ingest", "until"]);

    let wrong_op = STANDARD_EXAMPLE
        .replace("\"operationId\": \"read\"", "\"operationId\": \"slurp\"")
        .replace(
            "\"connectionName\": \"files\", \"operationId\": \"file-added\"",
            "\"connectionName\": \"disk\", \"operationId\": \"file-added\"",
        );
    let bad = TempProject::new(&[
        ("connections.json", CONNECTIONS),
        ("ingest/workflow.json", &wrong_op),
        ("broken/workflow.json", BROKEN),
        ("notes/readme.txt", "not a workflow"),
    ]);
    let problems = Project::load(&bad.0, Some(&Files)).unwrap_err().0;
    assert!(
        problems.iter().any(|p| p.file == "broken/workflow.json"),
        "broken file reported"
    );
    let slurp = problems
        .iter()
        .find(|p| p.message.contains("no operation `slurp`"))
        .expect("unknown operation reported");
    assert_eq!(
        (slurp.file.as_str(), slurp.pointer.as_str()),
        (
            "ingest/workflow.json",
            "/definition/actions/Read/inputs/serviceProviderConfiguration/operationId"
        )
    );
    assert!(problems.iter().any(|p| {
        p.message
            .contains("the connection `disk` is not in connections.json")
    }));

    let no_param = STANDARD_EXAMPLE.replace(
        "\"parameters\": { \"path\": \"@triggerBody()?['name']\" },",
        "",
    );
    let schema = TempProject::new(&[
        ("connections.json", CONNECTIONS),
        ("ingest/workflow.json", &no_param),
    ]);
    let problems = Project::load(&schema.0, Some(&Files)).unwrap_err().0;
    assert!(
        problems
            .iter()
            .any(|p| p.message == "`path` is required"
                && p.pointer.ends_with("/Read/inputs/parameters")),
        "{}",
        Problems(problems.clone())
    );

    let unserved = TempProject::new(&[("ingest/workflow.json", STANDARD_EXAMPLE)]);
    let problems = Project::load(&unserved.0, None).unwrap_err().0;
    assert!(
        problems
            .iter()
            .all(|p| p.message.contains("no connections.json"))
            && problems.len() == 2,
        "{}",
        Problems(problems.clone())
    );

    let empty = TempProject::new(&[("readme.txt", "")]);
    assert!(
        Project::load(&empty.0, None)
            .unwrap_err()
            .to_string()
            .contains("no workflow found")
    );
}
