//! `connector-host import` of a Postman collection (v2.1) end to end: the
//! import reports what it did not map, `validate` accepts the component,
//! and the conformance kit passes against a CRM served on 127.0.0.1 that
//! answers only requests made as the collection saved them (the API key
//! of the collection's auth, the Admin folder's bearer token, the query
//! variable's default, the saved JSON, urlencoded and form-data bodies).

use serde_json::Value;

use crate::import_support::*;
use crate::support::*;

/// The CRM: checks each request's credentials and shape like the real API
/// the collection was saved against.
fn crm(seen: &Seen) -> Answer {
    let json = |status: u16, body: &str| (status, vec![], body.to_string());
    let path = seen.path().to_string();
    let admin = path.starts_with("/api/admin/");
    let ok_auth = if admin {
        seen.header("authorization") == Some("Bearer adm-1") && seen.header("x-api-key").is_none()
    } else if path == "/api/ping" || path == "/api/legacy/report" {
        // `noauth`, and digest (not mapped): sent without credentials.
        seen.header("x-api-key").is_none()
    } else {
        seen.header("x-api-key") == Some("k-123")
    };
    if !ok_auth {
        return json(401, r#"{"message": "bad credentials"}"#);
    }
    let body = String::from_utf8_lossy(&seen.body).to_string();
    match (seen.method.as_str(), path.as_str()) {
        ("GET", "/api/contacts")
            if seen.target.contains("limit=20") && seen.header("x-tenant") == Some("acme") =>
        {
            json(200, r#"[{"id": 1, "name": "Ada"}]"#)
        }
        ("GET", "/api/contacts/1") => json(
            200,
            r#"{"id": 1, "name": "Ada", "email": "ada@example.com"}"#,
        ),
        ("POST", "/api/contacts") => match serde_json::from_slice::<Value>(&seen.body) {
            Ok(v) if v["name"].is_string() => {
                json(201, &format!(r#"{{"id": 3, "name": {}}}"#, v["name"]))
            }
            _ => json(400, r#"{"message": "a contact needs a name"}"#),
        },
        ("POST", "/api/admin/keys") if body == "reason=scheduled" => json(204, ""),
        ("POST", "/api/admin/logo") if body.contains("name=\"title\"") => json(204, ""),
        ("GET", "/api/ping") => json(200, r#"{"ok": true}"#),
        ("POST", "/api/graphql") => json(200, r#"{"data": null}"#),
        ("GET", "/api/legacy/report") => json(200, r#"{"rows": []}"#),
        _ => json(404, r#"{"message": "no route"}"#),
    }
}

#[test]
fn a_postman_collection_imports_validates_and_passes_the_conformance_kit() {
    guest("example_openapi");
    let server = RouteServer::start(crm);
    let host = server.host();
    let dir = scratch("import-postman");
    let out = dir.join("crm.wasm");
    let collection = repo().join("host/import/tests/fixtures/postman-crm.json");
    let run = cli(&["import", s(&collection), "-o", s(&out)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("8 of 8 operations imported (4 with something not mapped)"),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains("postman-crm.json:68:13: at /item/0/item/2/event/0"),
        "a warning names its line: {run:?}"
    );
    let run = cli(&["validate", s(&out)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("valid: crm-api 1.0.0 (contract 0.2.0), 8 operations"),
        "{run:?}"
    );

    let spec = dir.join("connector-test.toml");
    std::fs::write(
        &spec,
        format!(
            r#"
[grants]
http = ["http://{host}"]

[connection]
good = {{ host = "{host}", use_tls = "false", api-key = "k-123", admin-token = "adm-1" }}
bad = [{{ host = "{host}", use_tls = "false", api-key = "wrong", admin-token = "adm-1" }}]

[[actions.list-contacts.examples]]
input = {{}}
output = [{{ id = 1, name = "Ada" }}]

[[actions.get-contact.examples]]
input = {{ contactId = "1" }}
output = {{ id = 1, name = "Ada", email = "ada@example.com" }}

[[actions.create-contact.examples]]
input = {{}}
status = 201
output = {{ id = 3, name = "Ada" }}

[[actions.rotate-keys.examples]]
input = {{}}
status = 204

[[actions.upload-logo.examples]]
input = {{ title = "Logo" }}
status = 204

[[actions.ping.examples]]
input = {{}}
output = {{ ok = true }}

[[actions.search.examples]]
input = {{}}

[[actions.legacy-report.examples]]
input = {{}}
"#
        ),
    )
    .unwrap();
    let run = cli(&["test", s(&out), "--spec", s(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("FAIL"), "{run:?}");
    // The API saw the credentials of every level of the collection.
    let seen = server.requests();
    assert!(seen.iter().any(
        |r| r.path() == "/api/admin/keys" && r.header("authorization") == Some("Bearer adm-1")
    ));
    assert!(seen.iter().any(|r| r.header("x-api-key") == Some("wrong")));
}
