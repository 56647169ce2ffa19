//! `connector-host import` end to end: the OpenAPI 3 Petstore imported
//! into a component, which `validate` accepts and the conformance kit
//! (`connector-host test`) passes against a Petstore served on 127.0.0.1
//! that answers only requests with the right method, path and bearer
//! token; `import --check` on a broken definition lists every problem and
//! writes nothing; a missing generic connector is named with its fix.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use crate::support::*;

fn fixture(name: &str) -> PathBuf {
    repo().join("host/import/tests/fixtures").join(name)
}

/// A Petstore on 127.0.0.1: `GET /v1/pets`, `POST /v1/pets`, `GET
/// /v1/pets/ID`, each only with `Authorization: Bearer pet-token` (else
/// 401), anything else 404. Serves at most 200 connections.
fn petstore() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    guest("example_openapi");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(200) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (method, target, auth, done) = loop {
                let Ok(n) = stream.read(&mut chunk) else {
                    break Default::default();
                };
                if n == 0 {
                    break Default::default();
                }
                buf.extend_from_slice(&chunk[..n]);
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut req = httparse::Request::new(&mut headers);
                if let Ok(httparse::Status::Complete(len)) = req.parse(&buf) {
                    let find = |name: &str| {
                        req.headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case(name))
                            .map(|h| String::from_utf8_lossy(h.value).into_owned())
                    };
                    let want: usize = find("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let auth = find("authorization").unwrap_or_default();
                    let (m, t) = (
                        req.method.unwrap_or("").to_string(),
                        req.path.unwrap_or("").to_string(),
                    );
                    while buf.len() < len + want {
                        match stream.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    break (m, t, auth, true);
                }
            };
            if !done {
                continue;
            }
            let path = target.split('?').next().unwrap_or("");
            let (status, body) = if auth != "Bearer pet-token" {
                (401, r#"{"code": 401, "message": "bad token"}"#.to_string())
            } else if method == "GET" && path == "/v1/pets" {
                (200, r#"[{"id": 1, "name": "Rex"}]"#.to_string())
            } else if method == "POST" && path == "/v1/pets" {
                (201, String::new())
            } else if method == "GET" && path.starts_with("/v1/pets/") {
                (200, r#"{"id": 1, "name": "Rex", "tag": "dog"}"#.to_string())
            } else {
                (404, r#"{"code": 404, "message": "no route"}"#.to_string())
            };
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    host
}

#[test]
fn petstore_imports_validates_and_passes_the_conformance_kit() {
    let host = petstore();
    let dir = scratch("import-petstore");
    let out = dir.join("petstore.wasm");
    let run = cli(&["import", s(&fixture("petstore.yaml")), "-o", s(&out)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 of 3 operations imported"), "{run:?}");
    let run = cli(&["validate", s(&out)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("valid: swagger-petstore 1.0.0 (contract 0.2.0), 3 operations"),
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
good = {{ host = "{host}", use_tls = "false", token = "pet-token" }}
bad = [{{ host = "{host}", use_tls = "false", token = "wrong" }}]

[[actions.list-pets.examples]]
input = {{ limit = 5 }}
output = [{{ id = 1, name = "Rex" }}]

[[actions.create-pets.examples]]
input = {{ body = {{ id = 2, name = "Kit" }} }}

[[actions.show-pet-by-id.examples]]
input = {{ petId = "1" }}
output = {{ id = 1, name = "Rex", tag = "dog" }}
"#
        ),
    )
    .unwrap();
    let run = cli(&["test", s(&out), "--spec", s(&spec)]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("FAIL"), "{run:?}");
}

#[test]
fn check_lists_every_problem_and_writes_nothing() {
    let dir = scratch("import-check");
    let out = dir.join("broken.wasm");
    let run = cli(&[
        "import",
        "--check",
        s(&fixture("broken.json")),
        "-o",
        s(&out),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stderr.matches("error: ").count(), 5, "{run:?}");
    assert!(
        run.stderr
            .contains("broken.json:11:11: at /paths/~1items~1{itemId}/get/parameters/0"),
        "{run:?}"
    );
    assert!(run.stdout.contains("0 of 2 operations imported"), "{run:?}");
    assert!(!out.exists());
    // Without --check, the errors refuse the import too.
    let run = cli(&["import", s(&fixture("broken.json")), "-o", s(&out)]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!out.exists());
}

#[test]
fn a_missing_generic_connector_names_its_fix() {
    let dir = scratch("import-nobase");
    let run = cli(&[
        "import",
        s(&fixture("petstore.yaml")),
        "-o",
        s(&dir.join("x.wasm")),
        "--base",
        s(&dir.join("missing.wasm")),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("make guests"), "{run:?}");
}
