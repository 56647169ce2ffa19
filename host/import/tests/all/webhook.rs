//! Webhook triggers imported from `x-ms-notification-url`: one whose
//! callback is a body property (the subscription answered with a
//! `Location`, ended by DELETE on it), one whose callback is a query
//! parameter with batch items (the subscription answered with an id, ended
//! by the definition's `DELETE /batch-hooks/{id}`). Subscribe, events and
//! unsubscribe run through the real host runtime against the local API;
//! the CLI test `import_webhook` runs one under a whole host.

use connector_import::Import;
use connector_runtime::connection::Connection;
use connector_runtime::connector::RawEvent;
use connector_runtime::description::OperationKind;
use serde_json::{Value, json};

use crate::api::Api;
use crate::support::*;

fn event(body: Value) -> RawEvent {
    RawEvent {
        method: "POST".into(),
        path: "/hooks/x".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

#[test]
fn webhook_triggers_subscribe_deliver_and_unsubscribe() {
    let import = Import::read(&fixture("orders-webhooks.json"));
    assert!(
        !import
            .problems
            .iter()
            .any(|p| p.message.contains("notification")),
        "{:#?}",
        import.problems
    );
    let (_, _, orders) = load(import, "webhooks");
    let op = |id: &str| {
        orders
            .description()
            .operations
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .clone()
    };
    let single = op("on-new-order");
    assert_eq!(single.kind, OperationKind::PushTrigger);
    assert!(orders.needs_subscription("on-new-order"));
    // The callback is the host's to fill, not an input.
    assert_eq!(
        single.input_schema["properties"]["body"]["properties"],
        json!({"minTotal": {"type": "number"}})
    );
    assert_eq!(single.output_schema["$ref"], "#/$defs/Order");
    let batch = op("on-orders-shipped");
    assert!(
        batch.input_schema["properties"]
            .get("callbackUrl")
            .is_none()
    );

    let api = Api::start();
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    conn.set("api_key", "ord-key");
    let callback = "http://127.0.0.1:9/hooks/on-new-order";

    let input = json!({"body": {"minTotal": 10}});
    api.answer_with(201, &[("location", "/v1/hooks/h-1")], "");
    let sub = orders
        .subscribe("on-new-order", &conn, &input, callback)
        .unwrap();
    assert!(sub.data.contains("/v1/hooks/h-1"), "{}", sub.data);
    let items = orders
        .handle_event(
            "on-new-order",
            &conn,
            &input,
            &event(json!({"id": "o-1", "total": 5})),
        )
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, "o-1");
    // An event that is not an order is refused, not delivered.
    assert!(
        orders
            .handle_event("on-new-order", &conn, &input, &event(json!({"total": "x"})))
            .is_err()
    );
    api.answer(204, "");
    orders
        .unsubscribe("on-new-order", &conn, &input, &sub)
        .unwrap();

    let input = json!({"status": "shipped"});
    api.answer(201, r#"{"id": "b-9"}"#);
    let sub = orders
        .subscribe("on-orders-shipped", &conn, &input, callback)
        .unwrap();
    let items = orders
        .handle_event(
            "on-orders-shipped",
            &conn,
            &input,
            &event(json!({"value": [{"id": "a"}, {"id": "b", "total": 2}]})),
        )
        .unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    api.answer(204, "");
    orders
        .unsubscribe("on-orders-shipped", &conn, &input, &sub)
        .unwrap();
    // Already ended at the API: not an error.
    api.answer(404, r#"{"message": "no such hook"}"#);
    orders
        .unsubscribe("on-orders-shipped", &conn, &input, &sub)
        .unwrap();

    let seen = api.take();
    let line = |i: usize| (seen[i].method.as_str(), seen[i].target.as_str());
    assert_eq!(line(0), ("POST", "/v1/hooks"));
    assert_eq!(
        seen[0].json(),
        json!({"minTotal": 10, "notificationUrl": callback})
    );
    assert_eq!(line(1), ("DELETE", "/v1/hooks/h-1"));
    assert_eq!(
        line(2),
        (
            "POST",
            "/v1/batch-hooks?callbackUrl=http%3A%2F%2F127.0.0.1%3A9%2Fhooks%2Fon-new-order&status=shipped"
        )
    );
    assert_eq!(line(3), ("DELETE", "/v1/batch-hooks/b-9"));
    assert_eq!(line(4), ("DELETE", "/v1/batch-hooks/b-9"));
    for s in &seen {
        assert_eq!(s.header("x-key"), Some("ord-key"), "{s:?}");
    }
}
