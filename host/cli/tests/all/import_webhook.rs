//! A webhook trigger imported from an OpenAPI definition
//! (`x-ms-notification-url`, `x-ms-trigger: single`) run by a whole host:
//! `connector-host import` writes the component, the conformance kit
//! passes on it (its subscription round trip included), and an in-process
//! host subscribes the trigger at start (the orders API on 127.0.0.1
//! receives the host's callback URL in the body property the definition
//! marks), delivers what the API then POSTs to that URL to the sink, and
//! ends the subscription with a DELETE on the `Location` the API answered
//! when the trigger is removed from the configuration.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::import_support::*;
use crate::support::*;
use crate::triggers_support::*;

const KEY: &str = "orders-key";

/// The orders API: `GET /v1/orders`, subscriptions at `POST /v1/hooks`
/// (the callback in `notificationUrl`; answered with a `Location`) and
/// `POST /v1/batch-hooks?callbackUrl=` (answered with an id), and their
/// DELETEs; every call needs `X-Key`. `callbacks` holds the live ones.
fn orders(callbacks: Arc<Mutex<Vec<(String, String)>>>) -> RouteServer {
    let next = Arc::new(Mutex::new(0u32));
    RouteServer::start(move |seen| {
        let answer = |status: u16, body: &str| (status, vec![], body.to_string());
        if seen.header("x-key") != Some(KEY) {
            return answer(401, r#"{"message": "bad key"}"#);
        }
        let path = seen.path().to_string();
        let mut live = callbacks.lock().unwrap();
        match (seen.method.as_str(), path.as_str()) {
            ("GET", "/v1/orders") => answer(200, r#"[{"id": "o-1", "total": 5}]"#),
            ("POST", "/v1/hooks") => {
                let body: Value = serde_json::from_slice(&seen.body).unwrap_or_default();
                let Some(url) = body["notificationUrl"].as_str() else {
                    return answer(400, r#"{"message": "notificationUrl is required"}"#);
                };
                let mut n = next.lock().unwrap();
                *n += 1;
                let id = format!("h-{n}");
                live.push((id.clone(), url.to_string()));
                (
                    201,
                    vec![("location".into(), format!("/v1/hooks/{id}"))],
                    String::new(),
                )
            }
            ("POST", "/v1/batch-hooks") if seen.target.contains("callbackUrl=http") => {
                live.push(("b-1".into(), seen.target.clone()));
                answer(201, r#"{"id": "b-1"}"#)
            }
            ("DELETE", p) if p.starts_with("/v1/hooks/") || p.starts_with("/v1/batch-hooks/") => {
                let id = p.rsplit('/').next().unwrap_or("").to_string();
                let before = live.len();
                live.retain(|(i, _)| *i != id);
                if live.len() < before {
                    answer(204, "")
                } else {
                    answer(404, r#"{"message": "no such hook"}"#)
                }
            }
            _ => answer(404, r#"{"message": "no route"}"#),
        }
    })
}

fn import_orders(dir: &std::path::Path) -> std::path::PathBuf {
    guest("example_openapi");
    let out = dir.join("orders.wasm");
    let def = repo().join("host/import/tests/fixtures/orders-webhooks.json");
    let run = cli(&["import", s(&def), "-o", s(&out)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("5 of 5 operations imported"), "{run:?}");
    out
}

#[test]
fn an_imported_webhook_trigger_passes_the_conformance_kit() {
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    let api = orders(callbacks.clone());
    let host = api.host();
    let dir = scratch("import-webhook-kit");
    let component = import_orders(&dir);
    let spec = dir.join("connector-test.toml");
    std::fs::write(
        &spec,
        format!(
            r#"
[grants]
http = ["http://{host}"]

[connection]
good = {{ host = "{host}", use_tls = "false", api_key = "{KEY}" }}
bad = [{{ host = "{host}", use_tls = "false", api_key = "wrong" }}]

[[actions.list-orders.examples]]
input = {{}}
output = [{{ id = "o-1", total = 5 }}]

[[actions.delete-hook.examples]]
input = {{ hookId = "h-404" }}
error = "not-found"

[[actions.delete-batch-hook.examples]]
input = {{ id = "b-404" }}
error = "not-found"

[triggers.on-new-order]
input = {{ body = {{ minTotal = 1 }} }}

[[triggers.on-new-order.events]]
json = {{ id = "o-7", total = 12 }}
ids = ["o-7"]

[[triggers.on-new-order.bad-events]]
body = "not json"

[triggers.on-orders-shipped]
input = {{ status = "shipped" }}

[[triggers.on-orders-shipped.events]]
json = {{ value = [{{ id = "a" }}, {{ id = "b", total = 2 }}] }}
ids = ["a", "b"]
"#
        ),
    )
    .unwrap();
    let run = cli(&["test", s(&component), "--spec", s(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("FAIL"), "{run:?}");
    assert!(
        run.stdout
            .contains("PASS  trigger on-new-order: subscription"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("PASS  trigger on-orders-shipped: subscription"),
        "{run:?}"
    );
    // Every subscription the kit made was ended.
    assert!(callbacks.lock().unwrap().is_empty());
}

fn config(component: &std::path::Path, api: &str, port: u16, subscribed: bool) -> String {
    let mut text = format!(
        r#"
[webhook]
listen = "127.0.0.1:{port}"

[[connector]]
name = "orders"
component = "{component}"
allow_http = ["http://{{host}} private"]

[[connector]]
name = "source"
component = "@SOURCE@"

[[connection]]
name = "api"
connector = "orders"
values = {{ host = "{api}", use_tls = false, api_key = "{KEY}" }}

[[connection]]
name = "src"
connector = "source"

[[trigger]]
name = "numbers"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 1, drain = false }}
recurrence = "1h"
"#,
        component = component.display()
    );
    if subscribed {
        text.push_str(
            r#"
[[trigger]]
name = "new-orders"
connection = "api"
operation = "on-new-order"
input = { body = { minTotal = 1 } }
"#,
        );
    }
    text
}

#[test]
fn a_host_subscribes_an_imported_webhook_delivers_its_events_and_unsubscribes() {
    let callbacks = Arc::new(Mutex::new(Vec::new()));
    let api = orders(callbacks.clone());
    let port = free_port();
    let scratch_dir = scratch("import-webhook-run");
    let component = import_orders(&scratch_dir);
    let dir = HostDir::new(
        "import-webhook-host",
        &config(&component, &api.host(), port, true),
    );

    let host = InProcess::start(&dir.config);
    wait_until(Duration::from_secs(20), "the trigger is subscribed", || {
        callbacks.lock().unwrap().len() == 1
    });
    let (id, callback) = callbacks.lock().unwrap()[0].clone();
    assert_eq!(id, "h-1");
    let prefix = format!("http://127.0.0.1:{port}/");
    assert!(callback.starts_with(&prefix), "{callback}");
    let stored = host
        .running
        .as_ref()
        .unwrap()
        .store()
        .subscriptions()
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].record.data.contains("/v1/hooks/h-1"),
        "{:?}",
        stored[0].record.data
    );
    assert!(!stored[0].record.data.contains(KEY));

    // The API calls the notification URL, as it would for a new order.
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let path = &callback[prefix.len() - 1..];
    let (status, answer) = http_request(addr, "POST", path, br#"{"id": "o-77", "total": 30}"#);
    assert!((200..300).contains(&status), "{status} {answer}");
    wait_until(
        Duration::from_secs(20),
        "the order reaches the sink",
        || dir.events().iter().any(|e| e["trigger"] == "new-orders"),
    );
    let event = dir
        .events()
        .into_iter()
        .find(|e| e["trigger"] == "new-orders")
        .unwrap();
    assert_eq!(event["body"]["id"], "o-77", "{event}");
    assert_eq!(event["body"]["total"], 30, "{event}");
    assert!(host.shutdown().is_empty());

    // The trigger is removed: the next start DELETEs the Location.
    std::fs::write(
        &dir.config,
        config(&component, &api.host(), port, false).replace("@SOURCE@", s(&guest("test_source"))),
    )
    .unwrap();
    let host = InProcess::start(&dir.config);
    let running = host.running.as_ref().unwrap();
    assert_eq!(running.reconciled().ended, ["new-orders"]);
    assert!(callbacks.lock().unwrap().is_empty());
    assert!(api.requests().iter().any(|r| r.method == "DELETE"
        && r.target == "/v1/hooks/h-1"
        && r.header("x-key") == Some(KEY)));
    assert!(host.shutdown().is_empty());
}
