//! The run engine on whole workflows: runAfter with every status (and the reason a skipped
//! action gives), variables, If in both condition forms, Switch, Foreach, Until (the
//! reference guide's own example), Scope with `result()`, Terminate, and connector calls with
//! their call context. The connector here is a small in-process task store that does real
//! work (it keeps tasks, assigns ids, refuses bad input); the wasm-backed invoker is the host's.

use std::sync::Mutex;

use connector_workflows::definition::{RunStatus, ServiceProviderCall, WorkflowFile};
use connector_workflows::engine::{
    CallContext, Engine, InvokeFailure, Invoker, MemoryJournal, RunRecord,
};
use serde_json::{Value, json};

/// Tasks kept in memory: `create` (needs a non-empty `title`), `get` (by `id`), `list`.
#[derive(Default)]
struct TaskStore {
    tasks: Mutex<Vec<Value>>,
    calls: Mutex<Vec<CallContext>>,
}

impl Invoker for TaskStore {
    fn invoke(
        &self,
        call: &ServiceProviderCall,
        p: &Value,
        cx: &CallContext,
    ) -> Result<Value, InvokeFailure> {
        self.calls.lock().unwrap().push(cx.clone());
        let invalid = |m: &str| InvokeFailure {
            kind: "invalid-input".into(),
            message: m.into(),
            retry_after: None,
        };
        match call.operation_id.as_str() {
            "create" => {
                let title = p
                    .get("title")
                    .and_then(Value::as_str)
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| invalid("`title` is required"))?;
                let mut tasks = self.tasks.lock().unwrap();
                let task = json!({ "id": tasks.len() + 1, "title": title, "done": false });
                tasks.push(task.clone());
                Ok(task)
            }
            "get" => {
                let id = p
                    .get("id")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| invalid("`id` must be a number"))?;
                self.tasks
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|t| t["id"] == id)
                    .cloned()
                    .ok_or(InvokeFailure {
                        kind: "not-found".into(),
                        message: format!("no task {id}"),
                        retry_after: None,
                    })
            }
            "list" => Ok(json!({ "items": self.tasks.lock().unwrap().clone() })),
            other => Err(InvokeFailure {
                kind: "invalid-input".into(),
                message: format!("unknown operation {other}"),
                retry_after: None,
            }),
        }
    }
}

fn workflow(actions: Value) -> WorkflowFile {
    let text = json!({
        "definition": { "triggers": { "manual": { "type": "Request", "kind": "Http" } }, "actions": actions },
        "kind": "Stateful"
    })
    .to_string();
    WorkflowFile::parse(&text, "t/workflow.json", "t").unwrap_or_else(|e| panic!("{e}"))
}

fn tasks(op: &str, parameters: Value, run_after: Value) -> Value {
    json!({
        "type": "ServiceProvider",
        "inputs": { "parameters": parameters, "serviceProviderConfiguration": { "connectionName": "tasks", "operationId": op, "serviceProviderId": "tasks" } },
        "runAfter": run_after
    })
}

fn run(w: &WorkflowFile, store: &TaskStore, body: Value) -> RunRecord {
    Engine::new(w, store)
        .run(
            "run-1",
            json!({ "headers": {}, "body": body }),
            &MemoryJournal::default(),
        )
        .expect("the memory journal does not fail")
}

fn status(r: &RunRecord, name: &str) -> RunStatus {
    r.action(name)
        .unwrap_or_else(|| panic!("no record of {name}"))
        .status
}

#[test]
fn trigger_to_connector_to_compose() {
    let w = workflow(json!({
        "Create": tasks("create", json!({ "title": "@triggerBody()?['title']" }), json!({})),
        "Fetch": tasks("get", json!({ "id": "@body('Create')['id']" }), json!({ "Create": ["Succeeded"] })),
        "Reply": { "type": "Compose", "inputs": { "made": "@{body('Fetch')['title']} #@{body('Fetch')?['id']}" }, "runAfter": { "Fetch": ["Succeeded"] } }
    }));
    let store = TaskStore::default();
    let r = run(&w, &store, json!({ "title": "Write docs" }));
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    assert_eq!(
        r.action("Reply").unwrap().outputs,
        Some(json!({ "made": "Write docs #1" }))
    );
    let names: Vec<&str> = r.actions.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["Create", "Fetch", "Reply"]);
    let calls = store.calls.lock().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        (
            calls[0].run_id.as_str(),
            calls[0].step.as_str(),
            calls[0].attempt
        ),
        ("run-1", "Create", 1)
    );
    assert_eq!(calls[1].idempotency_key, "run-1/Fetch");
}

#[test]
fn run_after_statuses_and_why_an_action_was_skipped() {
    let actions = json!({
        "Bad": tasks("create", json!({ "title": "" }), json!({})),
        "OnSuccess": { "type": "Compose", "inputs": "no", "runAfter": { "Bad": ["Succeeded"] } },
        "OnFailure": { "type": "Compose", "inputs": "@body('Bad')", "runAfter": { "Bad": ["failed"] } },
        "AfterSkip": { "type": "Compose", "inputs": "@actions('OnSuccess')['status']", "runAfter": { "OnSuccess": ["Skipped"] } }
    });
    let store = TaskStore::default();
    let r = run(&workflow(actions), &store, json!({}));
    assert_eq!(status(&r, "Bad"), RunStatus::Failed);
    let bad = r.action("Bad").unwrap();
    assert_eq!(bad.error.as_ref().unwrap().code, "invalid-input");
    assert!(
        bad.error
            .as_ref()
            .unwrap()
            .message
            .contains("`title` is required")
    );
    let skipped = r.action("OnSuccess").unwrap();
    assert_eq!(skipped.status, RunStatus::Skipped);
    assert_eq!(
        skipped.skipped_because.as_deref(),
        Some("skipped because `Bad` was `Failed` and runAfter asks for [Succeeded]")
    );
    assert_eq!(status(&r, "OnFailure"), RunStatus::Succeeded);
    assert_eq!(
        r.action("AfterSkip").unwrap().outputs,
        Some(json!("Skipped"))
    );
    // The failure was handled by OnFailure, and the skipped branch ended in AfterSkip: the run succeeds.
    assert_eq!(r.status, RunStatus::Succeeded);

    // Without a handler, a failure ending a branch fails the run, even through skipped actions.
    let unhandled = json!({
        "Bad": tasks("create", json!({}), json!({})),
        "Next": { "type": "Compose", "inputs": 1, "runAfter": { "Bad": ["Succeeded"] } },
        "Other": { "type": "Compose", "inputs": 2, "runAfter": {} }
    });
    let r = run(&workflow(unhandled), &TaskStore::default(), json!({}));
    assert_eq!(
        (status(&r, "Next"), status(&r, "Other"), r.status),
        (RunStatus::Skipped, RunStatus::Succeeded, RunStatus::Failed)
    );
}

#[test]
fn expression_errors_name_the_action_the_input_and_the_offset() {
    let w = workflow(json!({
        "Make": tasks("create", json!({ "title": "t" }), json!({})),
        "Use": { "type": "Compose", "inputs": { "deep": ["ok", "@body('Make')['missing']"] }, "runAfter": { "Make": ["Succeeded"] } }
    }));
    let r = run(&w, &TaskStore::default(), json!({}));
    let e = r.action("Use").unwrap().error.clone().unwrap();
    assert_eq!(e.code, "ExpressionError");
    assert!(
        e.message.starts_with(
            "`Use`, inputs/deep/1: at offset 13: the property 'missing' does not exist"
        ),
        "{}",
        e.message
    );
    assert_eq!(r.status, RunStatus::Failed);
}

#[test]
fn variables_loops_and_conditions() {
    let w = workflow(json!({
        "Init": { "type": "InitializeVariable", "inputs": { "variables": [
            { "name": "total", "type": "Integer", "value": 0 },
            { "name": "names", "type": "Array", "value": [] },
            { "name": "log", "type": "String", "value": "" }
        ] }, "runAfter": {} },
        "Each": {
            "type": "Foreach", "foreach": "@triggerBody()?['items']", "operationOptions": "Sequential",
            "actions": {
                "Add": { "type": "IncrementVariable", "inputs": { "name": "total", "value": "@items('Each')['n']" }, "runAfter": {} },
                "Big": {
                    "type": "If",
                    "expression": { "and": [ { "greater": ["@item()['n']", 2] }, { "not": { "equals": ["@item()['name']", "skip"] } } ] },
                    "actions": { "Keep": { "type": "AppendToArrayVariable", "inputs": { "name": "names", "value": "@item()['name']" }, "runAfter": {} } },
                    "else": { "actions": { "Note": { "type": "AppendToStringVariable", "inputs": { "name": "log", "value": "@{item()['name']};" }, "runAfter": {} } } },
                    "runAfter": { "Add": ["Succeeded"] }
                }
            },
            "runAfter": { "Init": ["Succeeded"] }
        },
        "Kind": {
            "type": "Switch", "expression": "@if(greater(variables('total'), 10), 'many', 'few')",
            "cases": { "Many": { "case": "many", "actions": { "SaidMany": { "type": "Compose", "inputs": "many", "runAfter": {} } } } },
            "default": { "actions": { "SaidFew": { "type": "Compose", "inputs": "few", "runAfter": {} } } },
            "runAfter": { "Each": ["Succeeded"] }
        },
        "Check": { "type": "If", "expression": "@equals(length(variables('names')), 2)", "actions": {}, "runAfter": { "Kind": ["Succeeded"] } },
        "Half": { "type": "DecrementVariable", "inputs": { "name": "total", "value": 5 }, "runAfter": { "Check": ["Succeeded"] } }
    }));
    let items = json!([{ "n": 1, "name": "a" }, { "n": 5, "name": "b" }, { "n": 3, "name": "skip" }, { "n": 4, "name": "c" }]);
    let r = run(&w, &TaskStore::default(), json!({ "items": items }));
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    assert_eq!(r.variables["names"], json!(["b", "c"]));
    assert_eq!(r.variables["log"], json!("a;skip;"));
    assert_eq!(r.variables["total"], json!(8));
    assert_eq!(status(&r, "SaidMany"), RunStatus::Succeeded);
    assert!(
        r.action("SaidFew").is_none(),
        "the default branch did not run"
    );
    assert_eq!(
        r.action("Check").unwrap().inputs,
        Some(json!({ "expressionResult": true }))
    );
    // Loop iterations are recorded with their path.
    assert_eq!(r.actions.iter().filter(|a| a.name == "Add").count(), 4);
    assert_eq!(
        r.actions.iter().find(|a| a.name == "Keep").unwrap().path,
        vec!["Each[1]".to_string()]
    );

    // A value of the wrong type for the variable fails the action, naming the variable.
    let bad = workflow(json!({
        "Init": { "type": "InitializeVariable", "inputs": { "variables": [ { "name": "n", "type": "Integer", "value": "ten" } ] }, "runAfter": {} }
    }));
    let r = run(&bad, &TaskStore::default(), json!({}));
    assert!(
        r.action("Init")
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("the variable `n`"),
        "{r:#?}"
    );
}

#[test]
fn the_reference_guides_until_example_runs() {
    let w = WorkflowFile::parse(
        super::definition::UNTIL_EXAMPLE,
        "until/workflow.json",
        "until",
    )
    .unwrap();
    let store = TaskStore::default();
    let r = Engine::new(&w, &store)
        .run(
            "run-u",
            json!({ "headers": {}, "body": null }),
            &MemoryJournal::default(),
        )
        .expect("the memory journal does not fail");
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    assert_eq!(r.variables["myCounter"], json!(5));
    assert_eq!(r.variables["myCurrentLoopIndex"], json!(5));
    assert_eq!(r.actions.iter().filter(|a| a.name == "Compose").count(), 5);
    assert_eq!(
        r.action("Compose").unwrap().outputs,
        Some(json!("'Current index: ' 4"))
    );
    assert_eq!(
        r.action("Until_Max_Increment").unwrap().inputs,
        Some(json!({ "iterations": 5 }))
    );
}

#[test]
fn scopes_results_and_terminate() {
    let w = workflow(json!({
        "Try": { "type": "Scope", "actions": {
            "Make": tasks("create", json!({ "title": "x" }), json!({})),
            "Lookup": tasks("get", json!({ "id": 99 }), json!({ "Make": ["Succeeded"] }))
        }, "runAfter": {} },
        "Catch": { "type": "Compose",
            "inputs": "@first(intersection(createArray('Failed'), createArray(result('Try')[1]['status'])))",
            "runAfter": { "Try": ["Failed", "TimedOut"] } },
        "Stop": { "type": "Terminate", "inputs": { "runStatus": "Failed", "runError": { "message": "lookup failed" } }, "runAfter": { "Catch": ["Succeeded"] } },
        "Never": { "type": "Compose", "inputs": 1, "runAfter": { "Stop": ["Succeeded"] } }
    }));
    let r = run(&w, &TaskStore::default(), json!({}));
    assert_eq!(status(&r, "Lookup"), RunStatus::Failed);
    assert_eq!(
        r.action("Lookup").unwrap().error.as_ref().unwrap().code,
        "not-found"
    );
    assert_eq!(status(&r, "Try"), RunStatus::Failed);
    assert_eq!(r.action("Catch").unwrap().outputs, Some(json!("Failed")));
    let never = r.action("Never").unwrap();
    assert_eq!(
        never.skipped_because.as_deref(),
        Some("skipped because the run was terminated by `Stop`")
    );
    assert_eq!(r.terminated, Some(("Stop".into(), "Failed".into())));
    assert_eq!(r.status, RunStatus::Failed);
}

#[test]
fn query_select_and_parse_json() {
    let w = workflow(json!({
        "Parse": { "type": "ParseJson", "inputs": { "content": "@triggerBody()", "schema": { "type": "array" } }, "runAfter": {} },
        "Filter": { "type": "Query", "inputs": { "from": "@body('Parse')", "where": "@greater(item()['n'], 1)" }, "runAfter": { "Parse": ["Succeeded"] } },
        "Shape": { "type": "Select", "inputs": { "from": "@body('Filter')", "select": { "label": "@toUpper(item()['name'])", "double": "@mul(item()['n'], 2)" } }, "runAfter": { "Filter": ["Succeeded"] } },
        "BadWhere": { "type": "Query", "inputs": { "from": [1, 2], "where": "@item()" }, "runAfter": { "Shape": ["Succeeded"] } }
    }));
    let r = run(
        &w,
        &TaskStore::default(),
        json!("[{\"n\": 1, \"name\": \"a\"}, {\"n\": 3, \"name\": \"b\"}]"),
    );
    assert_eq!(
        r.action("Filter").unwrap().outputs,
        Some(json!({ "body": [{ "n": 3, "name": "b" }] }))
    );
    assert_eq!(
        r.action("Shape").unwrap().outputs,
        Some(json!({ "body": [{ "label": "B", "double": 6 }] }))
    );
    let bad = r.action("BadWhere").unwrap();
    assert!(
        bad.error
            .as_ref()
            .unwrap()
            .message
            .contains("`where` must give a boolean"),
        "{bad:?}"
    );
    assert_eq!(r.status, RunStatus::Failed);
    let broken = workflow(
        json!({ "P": { "type": "ParseJson", "inputs": { "content": "{nope", "schema": {} }, "runAfter": {} } }),
    );
    let r = run(&broken, &TaskStore::default(), json!({}));
    assert_eq!(
        r.action("P").unwrap().error.as_ref().unwrap().code,
        "InvalidJSON"
    );
}
