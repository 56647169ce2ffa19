//! Postman collections imported and run: a v2.1 collection with folders,
//! `{{variables}}` (in the base URL, the query, a header and a JSON body),
//! `:path` variables, auth at collection, folder and request level (apikey,
//! bearer, noauth, and an unsupported digest), JSON, urlencoded and
//! form-data bodies and saved example responses; and a v2.0 collection
//! with basic auth in v2.0's object shape, `Key: Value` header lines, a
//! literal host with a port, a name used twice, and a request to another
//! host. Every imported request is invoked against the local API, which
//! records what arrives; everything not mapped is a warning at its item.

use base64::Engine;
use connector_import::{Import, Severity};
use connector_runtime::connection::Connection;
use serde_json::{Value, json};

use crate::api::Api;
use crate::support::*;

fn warning_at(import: &Import, pointer: &str, words: &str) {
    assert!(
        import
            .problems
            .iter()
            .any(|p| p.severity == Severity::Warning
                && p.pointer == pointer
                && p.message.contains(words)),
        "no warning at {pointer} saying {words:?}: {:#?}",
        import.problems
    );
}

#[test]
fn a_v21_collection_maps_folders_variables_auth_and_examples() {
    let import = Import::read(&fixture("postman-crm.json"));
    assert_eq!(import.errors(), 0, "{:#?}", import.problems);
    let def = import.definition.as_ref().unwrap();
    let ids: Vec<&str> = def.operations.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "list-contacts",
            "get-contact",
            "create-contact",
            "rotate-keys",
            "upload-logo",
            "ping",
            "search",
            "legacy-report"
        ]
    );
    let param = |name: &str| def.parameters.iter().find(|p| p.name == name).unwrap();
    assert_eq!(param("host").default.as_deref(), Some("crm.example.com"));
    assert_eq!(param("use_tls").default.as_deref(), Some("true"));
    assert_eq!(def.base.path, "/api");
    assert_eq!(param("api-key").kind, "secret");
    assert_eq!(param("page-size").default.as_deref(), Some("20"));
    assert_eq!(param("tenant").default.as_deref(), Some("acme"));
    let admin = param("admin-token");
    assert_eq!(
        (admin.kind.as_str(), admin.default.as_ref()),
        ("secret", None)
    );
    // A secret variable's value never reaches the component.
    assert!(!import.definition_json().unwrap().contains("do-not-ship-me"));

    // Every piece not mapped is a warning at its item.
    warning_at(&import, "/event/0", "prerequest script is not run");
    warning_at(&import, "/item/0/item/2/event/0", "test script is not run");
    warning_at(&import, "/item/1/auth/bearer", "not carried over");
    warning_at(
        &import,
        "/item/1/item/1/request/body/formdata/1",
        "file upload \"file\"",
    );
    warning_at(&import, "/item/3/request/body", "GraphQL body");
    warning_at(&import, "/item/4/request/auth", "\"digest\"");
    let c = import.coverage();
    assert_eq!(
        (c.found, c.imported, c.with_warnings),
        (8, 8, 4),
        "{}",
        import.summary()
    );

    // Folders show in descriptions; examples give the output schema.
    let op = |id: &str| def.operations.iter().find(|o| o.id == id).unwrap();
    assert!(op("rotate-keys").description.contains("Folder: Admin."));
    let list_out = &op("list-contacts").output_schema;
    assert_eq!(
        list_out["items"]["properties"]["email"],
        json!({"type": "string"})
    );
    assert_eq!(list_out["examples"][0][1]["name"], "Bob");
    assert_eq!(
        op("get-contact").output_schema["properties"]["id"],
        json!({"type": "number"})
    );
}

#[test]
fn a_v21_collection_calls_a_local_api_as_the_requests_were_saved() {
    let (_, _, crm) = import_and_load("postman-crm.json");
    let api = Api::start();
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    conn.set("api-key", "k-123");
    conn.set("admin-token", "adm-1");
    let call = |id: &str, input: Value, status: u16, answer: &str| {
        api.answer(status, answer);
        crm.invoke(id, &conn, &input)
            .unwrap_or_else(|e| panic!("{id}: {e}"))
    };

    let listed = call(
        "list-contacts",
        json!({}),
        200,
        r#"[{"id": 1, "name": "Ada"}]"#,
    );
    assert_eq!(listed.body.to_value().unwrap()[0]["name"], "Ada");
    call("list-contacts", json!({"q": "ad b"}), 200, "[]");
    call("get-contact", json!({}), 200, r#"{"id": 1, "name": "Ada"}"#);
    call(
        "get-contact",
        json!({"contactId": "7/x"}),
        200,
        r#"{"id": 7}"#,
    );
    call(
        "create-contact",
        json!({}),
        201,
        r#"{"id": 3, "name": "Ada"}"#,
    );
    call(
        "create-contact",
        json!({"body": {"name": "Eve"}}),
        201,
        r#"{"id": 4}"#,
    );
    call("rotate-keys", json!({}), 204, "");
    call("upload-logo", json!({"title": "New"}), 204, "");
    call("ping", json!({}), 200, r#"{"ok": true}"#);

    let seen = api.take();
    let line = |i: usize| (seen[i].method.as_str(), seen[i].target.as_str());
    assert_eq!(line(0), ("GET", "/api/contacts?limit=20"));
    assert_eq!(seen[0].header("x-tenant"), Some("acme"));
    assert_eq!(line(1), ("GET", "/api/contacts?q=ad%20b&limit=20"));
    assert_eq!(line(2), ("GET", "/api/contacts/1"));
    assert_eq!(line(3), ("GET", "/api/contacts/7%2Fx"));
    assert_eq!(line(4), ("POST", "/api/contacts"));
    assert_eq!(
        seen[4].json(),
        json!({"name": "Ada", "email": "ada@example.com", "tenant": "acme"})
    );
    assert_eq!(seen[4].header("content-type"), Some("application/json"));
    assert_eq!(seen[5].json(), json!({"name": "Eve"}));
    for s in &seen[..6] {
        assert_eq!(s.header("x-api-key"), Some("k-123"), "{s:?}");
        assert_eq!(s.header("authorization"), None, "{s:?}");
    }
    // The Admin folder's bearer token replaces the collection's key.
    assert_eq!(line(6), ("POST", "/api/admin/keys"));
    assert_eq!(seen[6].body, b"reason=scheduled");
    assert_eq!(
        seen[6].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let multipart = String::from_utf8(seen[7].body.clone()).unwrap();
    assert!(
        seen[7]
            .header("content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary="),
        "{:?}",
        seen[7]
    );
    assert!(
        multipart.contains("name=\"title\"\r\n\r\nNew\r\n"),
        "{multipart}"
    );
    for s in &seen[6..8] {
        assert_eq!(s.header("authorization"), Some("Bearer adm-1"), "{s:?}");
        assert_eq!(s.header("x-api-key"), None, "{s:?}");
    }
    // `noauth` on the request: no credentials at all.
    assert_eq!(line(8), ("GET", "/api/ping"));
    assert_eq!(seen[8].header("x-api-key"), None);
    assert_eq!(seen[8].header("authorization"), None);

    // An answer that does not fit the example's schema is bad output.
    api.answer(200, r#"{"not": "a list"}"#);
    assert!(crm.invoke("list-contacts", &conn, &json!({})).is_err());
}

#[test]
fn a_v20_collection_with_basic_auth_header_lines_and_another_host() {
    let import = Import::read(&fixture("postman-notes-v20.json"));
    warning_at(
        &import,
        "/item/2",
        "not imported: the request goes to https://other.example.org",
    );
    warning_at(&import, "/item/1", "imported as \"get-note-2\"");
    warning_at(
        &import,
        "/auth/basic",
        "{{password}} is not defined in the collection",
    );
    // The request not imported counts as found, not as imported.
    let c = import.coverage();
    assert_eq!((c.found, c.imported), (3, 2), "{}", import.summary());
    let def = import.definition.as_ref().unwrap();
    assert_eq!(def.service.version, "2.1.0");
    let param = |name: &str| def.parameters.iter().find(|p| p.name == name).unwrap();
    assert_eq!(
        param("host").default.as_deref(),
        Some("notes.example.com:8080")
    );
    assert_eq!(param("use_tls").default.as_deref(), Some("false"));
    assert_eq!(param("user").default.as_deref(), Some("reader"));
    assert_eq!(param("password").kind, "secret");

    let (_, _, notes) = load(import, "postman-v20");
    let api = Api::start();
    let mut conn = Connection::new();
    conn.set("host", api.host());
    conn.set("use_tls", "false");
    conn.set("password", "pw");
    api.answer(200, r#"{"id": "n1"}"#);
    notes
        .invoke("get-note", &conn, &json!({"id": "n1"}))
        .unwrap();
    api.answer(204, "");
    notes
        .invoke("get-note-2", &conn, &json!({"id": "n1"}))
        .unwrap();
    let seen = api.take();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/v1/notes/n1")
    );
    assert_eq!(seen[0].header("x-trace"), Some("on"));
    let accepts = seen[0]
        .headers
        .iter()
        .filter(|(n, _)| n == "accept")
        .count();
    assert_eq!(accepts, 1, "{:?}", seen[0]);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].target.as_str()),
        ("DELETE", "/v1/notes/n1?hard=true")
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("reader:pw")
    );
    for s in &seen {
        assert_eq!(s.header("authorization"), Some(basic.as_str()), "{s:?}");
    }
}

#[test]
fn malformed_collections_are_errors_with_their_place() {
    let dir = scratch("postman-bad");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Import::read(&path)
    };
    let v1 = write(
        "v1.json",
        r#"{"info": {"name": "Old", "schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}, "requests": []}"#,
    );
    assert_eq!(v1.errors(), 1, "{:#?}", v1.problems);
    assert_eq!(v1.problems[0].pointer, "/info/schema");
    assert!(
        v1.problems[0].message.contains("v2.1"),
        "{:#?}",
        v1.problems
    );
    assert_eq!(v1.problems[0].position.map(|(line, _)| line), Some(1));

    let nameless = write(
        "nameless.json",
        r#"{"info": {"name": "", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "item": [{"name": "x", "request": {"method": "GET", "url": "https://a.example/x"}}, {"name": "odd"}]}"#,
    );
    assert_eq!(nameless.errors(), 1, "{:#?}", nameless.problems);
    assert_eq!(
        nameless
            .problems
            .iter()
            .find(|p| p.severity == Severity::Error)
            .unwrap()
            .pointer,
        "/info/name"
    );
    warning_at(&nameless, "/item/1", "neither a request nor items");
    assert!(nameless.build(&[]).is_err());

    // Values of the wrong type everywhere: problems or defaults, no panic.
    let odd = write(
        "odd.json",
        r#"{"info": {"name": "Odd", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "variable": "x", "auth": [], "event": {"listen": 1},
            "item": [{"name": 5, "request": 7},
                     {"request": {"url": {"host": 3, "path": [1, {"value": "x"}, null], "query": "q", "variable": 2},
                      "header": 9, "method": [], "body": {"mode": "raw", "raw": 5},
                      "auth": {"type": "apikey", "apikey": "x"}}},
                     {"name": "{{", "request": {"url": "{{}}/a/{{b/:c?d={{e"}},
                     {"item": "nope"}]}"#,
    );
    assert_eq!(odd.errors(), 0, "{:#?}", odd.problems);
    assert!(odd.definition_json().is_some());
    let deep = format!(
        r#"{{"info": {{"name": "Deep", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}}, "item": [{}{}]}}"#,
        r#"{"name": "f", "item": ["#.repeat(40),
        "]}".repeat(40)
    );
    let deep = write("deep.json", &deep);
    assert!(
        deep.problems.iter().any(
            |p| p.severity == Severity::Error && p.message.contains("nested more than 32 deep")
        ),
        "{:#?}",
        deep.problems
    );
    // Deeper than the JSON reader nests: an error with its place, not a stack overflow.
    let deeper = format!(
        r#"{{"info": {{"name": "Deep", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}}, "item": [{}{}]}}"#,
        r#"{"name": "f", "item": ["#.repeat(5000),
        "]}".repeat(5000)
    );
    let deeper = write("deeper.json", &deeper);
    assert_eq!(deeper.errors(), 1, "{:#?}", deeper.problems);
    assert!(
        deeper.problems[0].position.is_some(),
        "{:#?}",
        deeper.problems
    );

    let truncated = write(
        "cut.json",
        r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": ["#,
    );
    assert_eq!(truncated.errors(), 1);
    assert!(
        truncated.problems[0].message.contains("invalid JSON"),
        "{:#?}",
        truncated.problems
    );
}
