//! The remaining action types: `Wait` (and a resumed Wait waiting only the rest), `Response`
//! through `on_response`, `ParseJson` with its schema check, and `Http` as a call of the
//! bundled HTTP connector.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_workflows::definition::RunStatus;
use connector_workflows::engine::{Engine, HTTP_SERVICE_PROVIDER, MemoryJournal};
use serde_json::{Value, json};

use crate::support::{Connector, CutJournal, trigger, workflow};

#[test]
fn wait_waits_and_a_resumed_wait_waits_only_the_rest() {
    let w = workflow(json!({
        "Pause": { "type": "Wait", "inputs": { "interval": { "count": 0.6, "unit": "Second" } }, "runAfter": {} }
    }));
    let c = Connector::default();
    let t = Instant::now();
    let r = Engine::new(&w, &c)
        .run("w", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded);
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );

    // The journal fails after the Wait's start (with its wake-up time) was journaled: the
    // wait is cut short, and resumed later it sleeps only what is left.
    let j = CutJournal::new(2);
    let t = Instant::now();
    assert!(
        Engine::new(&w, &c)
            .run("w2", trigger(json!({})), &j)
            .is_err()
    );
    std::thread::sleep(Duration::from_millis(700).saturating_sub(t.elapsed()));
    j.heal();
    let t = Instant::now();
    let r = Engine::new(&w, &c)
        .run("w2", trigger(json!({})), &j)
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded);
    assert!(
        t.elapsed() < Duration::from_millis(400),
        "waited again: {:?}",
        t.elapsed()
    );

    let bad = workflow(
        json!({ "Pause": { "type": "Wait", "inputs": { "interval": { "count": 1, "unit": "Fortnight" } }, "runAfter": {} } }),
    );
    let r = Engine::new(&bad, &c)
        .run("w3", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert!(
        r.action("Pause")
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("`Fortnight`")
    );
}

#[test]
fn response_answers_through_on_response_and_the_run_goes_on() {
    let w = workflow(json!({
        "Reply": { "type": "Response", "inputs": { "statusCode": 201, "headers": { "x-run": "@workflow()['run']['name']" }, "body": { "got": "@triggerBody()" } }, "runAfter": {} },
        "After": { "type": "Compose", "inputs": "@outputs('Reply')['statusCode']", "runAfter": { "Reply": ["Succeeded"] } }
    }));
    let answers: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = answers.clone();
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .on_response(Arc::new(move |v: &Value| {
            sink.lock().unwrap().push(v.clone())
        }))
        .run("resp", trigger(json!("hi")), &MemoryJournal::default())
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded);
    assert_eq!(
        *answers.lock().unwrap(),
        [json!({ "statusCode": 201, "headers": { "x-run": "resp" }, "body": { "got": "hi" } })]
    );
    assert_eq!(r.action("After").unwrap().outputs, Some(json!(201)));
    let bad = workflow(
        json!({ "Reply": { "type": "Response", "inputs": { "statusCode": 42 }, "runAfter": {} } }),
    );
    let r = Engine::new(&bad, &c)
        .run("resp2", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(
        r.action("Reply").unwrap().error.as_ref().unwrap().code,
        "InvalidResponse"
    );
}

#[test]
fn parse_json_checks_its_schema() {
    let schema = json!({ "type": "object", "properties": { "n": { "type": "integer" } }, "required": ["n"] });
    let w = workflow(json!({
        "Good": { "type": "ParseJson", "inputs": { "content": "{\"n\": 3}", "schema": schema }, "runAfter": {} },
        "Bad": { "type": "ParseJson", "inputs": { "content": "{\"n\": \"three\"}", "schema": schema }, "runAfter": {} }
    }));
    let r = Engine::new(&w, &Connector::default())
        .run("p", trigger(json!({})), &MemoryJournal::default())
        .unwrap();
    assert_eq!(
        r.action("Good").unwrap().outputs,
        Some(json!({ "body": { "n": 3 } }))
    );
    let e = r.action("Bad").unwrap().error.clone().unwrap();
    assert_eq!(e.code, "ValidationFailed");
    assert!(e.message.contains("at /n"), "{}", e.message);
}

#[test]
fn http_is_a_call_of_the_bundled_http_connector() {
    let w = workflow(json!({
        "Get": { "type": "Http", "inputs": { "method": "GET", "uri": "http://127.0.0.1:9/x", "queries": { "q": "@triggerBody()" } }, "runAfter": {} }
    }));
    let c = Connector::default();
    let r = Engine::new(&w, &c)
        .run("h", trigger(json!("v")), &MemoryJournal::default())
        .unwrap();
    assert_eq!(r.status, RunStatus::Succeeded, "{r:#?}");
    let s = &c.seen()[0];
    assert_eq!(
        (s.service_provider.as_str(), s.operation.as_str()),
        (HTTP_SERVICE_PROVIDER, "request")
    );
    assert_eq!(
        s.parameters,
        json!({ "method": "GET", "uri": "http://127.0.0.1:9/x", "queries": { "q": "v" } })
    );
    assert_eq!(s.context.idempotency_key, "h/Get");
}
