//! A Power Platform connector folder: `apiProperties.json`'s connection
//! parameters, brand colour and policies (`dynamichosturl` from the
//! connection, `setheader`, `setqueryparameter`) applied to every request,
//! what is not mapped (`script.csx`, `routerequesttoendpoint`) reported
//! without dropping an operation, and the `x-ms-trigger` polling protocol
//! (202 with `Location` and `Retry-After`, then 200 with items) run
//! against the local API.

use std::time::Duration;

use connector_import::{Import, Severity};
use connector_runtime::connection::Connection;
use connector_runtime::description::OperationKind;
use serde_json::json;

use crate::api::Api;
use crate::support::*;

#[test]
fn folder_with_policies_and_polling_trigger() {
    let import = Import::read(&fixture("power-tickets"));
    let warnings: Vec<String> = import
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .map(|p| format!("{} {}", p.file.display(), p.message))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("script.csx") && w.contains("not run")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("routerequesttoendpoint")),
        "{warnings:#?}"
    );
    let coverage = import.coverage();
    assert_eq!((coverage.found, coverage.imported), (2, 2));

    let (_, _, tickets) = load(import, "power-tickets");
    let d = tickets.description();
    assert_eq!(d.service.brand_color, "#da3b01");
    let params: Vec<&str> = d
        .service
        .connection_parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(params, ["use_tls", "api_token", "site"]);
    let trigger = d
        .operations
        .iter()
        .find(|o| o.id == "on-new-ticket")
        .unwrap();
    assert_eq!(trigger.kind, OperationKind::PollingTrigger);
    assert!(trigger.description.contains("create a ticket"));

    let api = Api::start();
    let mut conn = Connection::new();
    conn.set("site", api.host());
    conn.set("use_tls", "false");
    conn.set("api_token", "tk");

    api.answer(200, r#"{"value": [{"id": 1, "title": "Printer"}]}"#);
    tickets
        .invoke("list-tickets", &conn, &json!({"status": "open"}))
        .unwrap();

    // Nothing new yet: 202, poll the Location after Retry-After.
    let next = format!("http://{}/api/tickets/new?after=1", api.host());
    api.answer_with(202, &[("location", &next), ("retry-after", "7")], "");
    let first = tickets
        .poll("on-new-ticket", &conn, &json!({}), None)
        .unwrap();
    assert!(first.items.is_empty());
    assert_eq!(first.poll_again_after, Some(Duration::from_secs(7)));
    let state = first.state.expect("the Location is the state");
    api.answer(
        200,
        r#"{"value": [{"id": 2, "title": "Screen"}, {"id": 3}]}"#,
    );
    let second = tickets
        .poll("on-new-ticket", &conn, &json!({}), Some(&state))
        .unwrap();
    let ids: Vec<&str> = second.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["2", "3"]);

    let seen = api.take();
    assert_eq!(seen.len(), 3);
    let site = api.host().replace(':', "%3A");
    assert_eq!(
        seen[0].target,
        format!("/api/tickets?status=open&site={site}")
    );
    assert_eq!(seen[1].target, format!("/api/tickets/new?site={site}"));
    // The Location is polled as given.
    assert_eq!(seen[2].target, "/api/tickets/new?after=1");
    for s in &seen {
        assert_eq!(s.header("x-api-key"), Some("tk"), "{s:?}");
    }
    assert_eq!(seen[0].header("x-api-version"), Some("2024-05"));
}
