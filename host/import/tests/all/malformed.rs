//! Malformed definitions: every problem at once, each with its file, JSON
//! pointer and line, never a panic and never a component.

use std::path::Path;

use connector_import::{Import, ImportError, Severity};

use crate::support::*;

#[test]
fn every_problem_with_pointer_and_line() {
    let import = Import::read(&fixture("broken.json"));
    let errors: Vec<String> = import
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| {
            let (line, _) = p.position.expect("a position");
            format!("{}@{line}: {}", p.pointer, p.message)
        })
        .collect();
    let expect = [
        (
            "/paths/~1items~1{itemId}/get/parameters/0@11",
            "\"id\" is not in the path template",
        ),
        (
            "/paths/~1items~1{itemId}/get/parameters/1@12",
            "internal and required but has no default",
        ),
        (
            "/paths/~1items~1{itemId}/get@7",
            "names {itemId}, which no parameter declares",
        ),
        (
            "/paths/~1items~1{itemId}/get/responses/200/schema/$ref@15",
            "points at nothing",
        ),
        (
            "/paths/~1items~1{itemId}/put/operationId@18",
            "is also used at",
        ),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for (at, message) in expect {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(at) && e.contains(message)),
            "no error {at}: {message} in {errors:#?}"
        );
    }
    assert!(
        import
            .problems
            .iter()
            .any(|p| p.severity == Severity::Warning
                && p.message.contains("unknown extension x-ms-dynamic-valuez"))
    );
    let coverage = import.coverage();
    assert_eq!((coverage.found, coverage.imported), (2, 0));
    assert!(matches!(
        import.build(b"not used"),
        Err(ImportError::Invalid(5))
    ));
}

fn read_text(name: &str, text: &str) -> Import {
    let path = scratch("malformed").join(name);
    std::fs::write(&path, text).unwrap();
    Import::read(&path)
}

#[test]
fn syntax_errors_have_line_and_column() {
    let json = read_text(
        "bad.json",
        "{\n  \"swagger\": \"2.0\",\n  \"info\": {\"title\": \"x\",}\n}",
    );
    assert_eq!(json.problems.len(), 1);
    assert!(
        json.problems[0].message.starts_with("invalid JSON"),
        "{:?}",
        json.problems
    );
    assert_eq!(json.problems[0].position.map(|p| p.0), Some(3));

    let yaml = read_text(
        "bad.yaml",
        "openapi: 3.0.0\ninfo:\n  title: [unclosed\npaths: {}\n",
    );
    assert_eq!(yaml.problems.len(), 1);
    assert!(
        yaml.problems[0].message.starts_with("invalid YAML"),
        "{:?}",
        yaml.problems
    );
    assert!(yaml.problems[0].position.is_some());

    let neither = read_text("other.json", "{\"hello\": 1}");
    assert!(neither.problems[0].message.contains("is not a Swagger 2.0"));
    assert!(
        Import::read(Path::new("/nonexistent/def.json")).problems[0]
            .message
            .contains("cannot read")
    );
}

#[test]
fn yaml_problems_point_at_lines() {
    let import = read_text(
        "lines.yaml",
        "openapi: 3.0.0\ninfo:\n  title: T\n  version: '1'\npaths:\n  /a/{b}:\n    get:\n      parameters:\n        - name: c\n          in: path\n          required: true\n      responses: {}\n",
    );
    let p = import
        .problems
        .iter()
        .find(|p| p.message.contains("\"c\" is not in the path template"))
        .expect("the problem");
    assert_eq!(p.position, Some((9, 11)), "{p}");
}

/// Hostile input: deep nesting, a `$ref` loop, odd types. Problems, no panic.
#[test]
fn hostile_shapes_give_problems_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let _ = read_text("deep.json", &deep);
    let loops = read_text(
        "loop.json",
        r##"{"swagger": "2.0", "info": {"title": "L", "version": "1"}, "paths": {"/x": {"get": {
            "parameters": [{"$ref": "#/parameters/a"}], "responses": {"200": {"description": "", "schema": {"$ref": "#/definitions/S"}}}}}},
            "parameters": {"a": {"$ref": "#/parameters/b"}, "b": {"$ref": "#/parameters/a"}},
            "definitions": {"S": {"$ref": "#/definitions/S"}}}"##,
    );
    assert!(
        loops.problems.iter().any(|p| p.message.contains("cycle")),
        "{:#?}",
        loops.problems
    );
    let odd = read_text(
        "odd.json",
        r#"{"swagger": "2.0", "info": 5, "paths": {"/x": {"get": {"parameters": 3, "responses": []}, "post": null}}}"#,
    );
    assert!(!odd.problems.is_empty());
}
