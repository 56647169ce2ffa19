//! `secureData`: the named parts of a record are redacted before they are journaled, so
//! neither the journal nor the record holds them; the run still uses the real values.

use connector_workflows::engine::{Engine, JournalEntry, MemoryJournal, REDACTED, RunJournal};
use serde_json::json;

use crate::support::{Connector, call, trigger, workflow};

#[test]
fn secure_inputs_and_outputs_never_reach_the_journal() {
    let mut secret = call("echo", json!({ "password": "@triggerBody()" }), json!({}));
    secret["runtimeConfiguration"] =
        json!({ "secureData": { "properties": ["inputs", "outputs"] } });
    let w = workflow(json!({
        "Login": secret,
        "Use": { "type": "Compose", "inputs": "@length(body('Login')['echo']['password'])", "runAfter": { "Login": ["Succeeded"] } }
    }));
    let j = MemoryJournal::default();
    let r = Engine::new(&w, &Connector::default())
        .run("s", trigger(json!("hunter2-secret")), &j)
        .unwrap();
    let login = r.action("Login").unwrap();
    assert_eq!(login.inputs, Some(json!(REDACTED)));
    assert_eq!(login.outputs, Some(json!(REDACTED)));
    assert_eq!(
        r.action("Use").unwrap().outputs,
        Some(json!(14)),
        "the run used the real value"
    );
    let steps: Vec<String> = j
        .entries("s")
        .unwrap()
        .iter()
        .filter(|e| matches!(e, JournalEntry::StepFinished { .. }))
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_eq!(steps.len(), 2);
    assert!(
        steps.iter().all(|s| !s.contains("hunter2-secret")),
        "{steps:?}"
    );
}
