//! Real-shaped definitions imported, validated and run: the OpenAPI 3
//! Petstore (bearer auth, a `$ref` cycle Pet -> Owner -> Pets -> Pet), a
//! Swagger 2.0 API with its key in the query, a path parameter with a
//! space, an internal parameter with a default, a header and a JSON body,
//! and a YAML Swagger 2.0 API with basic auth and a form body. Every
//! operation is invoked against the local API, which checks each request.

use base64::Engine;
use connector_runtime::connection::Connection;
use serde_json::json;

use crate::api::Api;
use crate::support::*;

fn connection(api: &Api, extra: &[(&str, &str)]) -> Connection {
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    for (n, v) in extra {
        conn.set(*n, *v);
    }
    conn
}

#[test]
fn petstore_openapi3_every_operation() {
    let (_, _, pets) = import_and_load("petstore.yaml");
    let ids: Vec<&str> = pets
        .description()
        .operations
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["list-pets", "create-pets", "show-pet-by-id"]);
    assert_eq!(pets.description().service.id, "swagger-petstore");
    let api = Api::start();
    let conn = connection(&api, &[("token", "pet-token")]);

    api.answer(200, r#"[{"id": 1, "name": "Rex", "tag": null, "owner": {"name": "Ann", "pets": [{"id": 2, "name": "Tom"}]}}]"#);
    let listed = pets
        .invoke("list-pets", &conn, &json!({"limit": 5}))
        .unwrap();
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body.to_value().unwrap()[0]["owner"]["pets"][0]["name"],
        "Tom"
    );

    api.answer(201, "");
    let created = pets
        .invoke(
            "create-pets",
            &conn,
            &json!({"body": {"id": 3, "name": "Kit"}}),
        )
        .unwrap();
    assert_eq!(created.status, 201);

    api.answer(200, r#"{"id": 3, "name": "Kit"}"#);
    let shown = pets
        .invoke("show-pet-by-id", &conn, &json!({"petId": "3/../x"}))
        .unwrap();
    assert_eq!(shown.body.to_value().unwrap()["name"], "Kit");

    let seen = api.take();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/v1/pets?limit=5")
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].target.as_str()),
        ("POST", "/v1/pets")
    );
    assert_eq!(seen[1].json(), json!({"id": 3, "name": "Kit"}));
    assert_eq!(seen[1].header("content-type"), Some("application/json"));
    // A path value cannot add segments.
    assert_eq!(seen[2].target, "/v1/pets/3%2F..%2Fx");
    for s in &seen {
        assert_eq!(s.header("authorization"), Some("Bearer pet-token"), "{s:?}");
    }

    // The input schema comes from the definition: `limit` is at most 100.
    let refused = pets.invoke("list-pets", &conn, &json!({"limit": 500}));
    assert!(refused.is_err(), "{refused:?}");
    assert!(
        api.take().is_empty(),
        "an invalid input must not reach the API"
    );
}

#[test]
fn swagger2_api_key_in_query_path_with_space_internal_default() {
    let (_, _, notes) = import_and_load("notes-apikey.json");
    let api = Api::start();
    let conn = connection(&api, &[("api_key", "k-123")]);

    api.answer(
        200,
        r#"{"value": [{"id": 1, "title": "a", "replies": [{"id": 2, "title": "b"}]}]}"#,
    );
    let listed = notes
        .invoke(
            "list-notes",
            &conn,
            &json!({"folder name": "my notes", "tag": ["x", "y z"]}),
        )
        .unwrap();
    assert_eq!(
        listed.body.to_value().unwrap()["value"][0]["replies"][0]["id"],
        2
    );

    api.answer(201, r#"{"id": 7, "title": "New"}"#);
    notes
        .invoke(
            "create-note",
            &conn,
            &json!({"folder name": "my notes", "note": {"title": "New"}, "X-Request-Source": "app"}),
        )
        .unwrap();

    api.answer(204, "");
    let deleted = notes
        .invoke("delete-notes-id", &conn, &json!({"id": 7}))
        .unwrap();
    assert_eq!(deleted.status, 204);

    let seen = api.take();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].target,
        "/api/v2/folders/my%20notes/notes?tag=x&tag=y%20z&api-version=2024-01-01&api_key=k-123"
    );
    assert_eq!(seen[1].method, "POST");
    assert_eq!(
        seen[1].target,
        "/api/v2/folders/my%20notes/notes?api_key=k-123"
    );
    assert_eq!(seen[1].json(), json!({"title": "New"}));
    assert_eq!(seen[1].header("x-request-source"), Some("app"));
    assert_eq!(
        (seen[2].method.as_str(), seen[2].target.as_str()),
        ("DELETE", "/api/v2/notes/7?api_key=k-123")
    );
    assert!(seen.iter().all(|s| s.header("authorization").is_none()));

    // check-connection calls the first GET that needs no input: here none
    // qualifies (ListNotes needs the folder), so it accepts without a call.
    notes.check_connection(&conn).unwrap();
    assert!(api.take().is_empty());

    // Errors map to the contract's kinds.
    api.answer(404, r#"{"message": "no such note"}"#);
    let err = notes
        .invoke("delete-notes-id", &conn, &json!({"id": 8}))
        .unwrap_err();
    assert!(err.to_string().contains("no such note"), "{err}");
}

#[test]
fn swagger2_yaml_basic_auth_and_form_body() {
    let (_, _, ledger) = import_and_load("ledger-basic.yaml");
    let api = Api::start();
    let conn = connection(&api, &[("username", "ann"), ("password", "s3cret")]);

    api.answer(200, r#"[{"amount": 1.5, "memo": "tea"}]"#);
    ledger
        .invoke(
            "get-entries",
            &conn,
            &json!({"account id": "a 1", "since": "2026-01-01"}),
        )
        .unwrap();
    api.answer(201, "");
    ledger
        .invoke(
            "add-entry",
            &conn,
            &json!({"account id": "a 1", "amount": 2.25, "memo": "x&y"}),
        )
        .unwrap();
    // The first GET without required inputs: none, so no call.
    ledger.check_connection(&conn).unwrap();

    let seen = api.take();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].target, "/accounts/a%201/entries?since=2026-01-01");
    assert_eq!(seen[1].method, "POST");
    assert_eq!(
        seen[1].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8_lossy(&seen[1].body),
        "amount=2.25&memo=x%26y"
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ann:s3cret")
    );
    for s in &seen {
        assert_eq!(s.header("authorization"), Some(basic.as_str()));
    }
}
