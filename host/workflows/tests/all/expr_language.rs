//! The expression language itself: the string forms (`@expr`, `@{}`, `@@`) with the WDL
//! overview's examples, access and null-safe access, literals, error positions, and hostile
//! input (random text must give an error or a value, never a panic).

use connector_workflows::expr::{CompiledValue, Expr, ExprError, StaticScope, Template, evaluate};
use serde_json::{Value, json};

fn ages() -> StaticScope {
    StaticScope::new()
        .with_parameter("myBirthMonth", json!("January"))
        .with_parameter("myAge", json!(42))
}

#[test]
fn the_wdl_overviews_string_examples() {
    let s = ages();
    let cases = [
        ("Sophia Owen", json!("Sophia Owen")),
        ("array[1]", json!("array[1]")),
        ("@@", json!("@")),
        (" @", json!(" @")),
        ("@parameters('myBirthMonth')", json!("January")),
        ("@{parameters('myBirthMonth')}", json!("January")),
        ("@parameters('myAge')", json!(42)),
        ("@{parameters('myAge')}", json!("42")),
        ("My age is @{parameters('myAge')}", json!("My age is 42")),
        (
            "@concat('My age is ', string(parameters('myAge')))",
            json!("My age is 42"),
        ),
        (
            "My age is @@{parameters('myAge')}",
            json!("My age is @{parameters('myAge')}"),
        ),
        (
            "Azure @{concat('firstName','', 'LastName')}",
            json!("Azure firstNameLastName"),
        ),
    ];
    for (src, want) in cases {
        assert_eq!(
            evaluate(src, &s).unwrap_or_else(|e| panic!("{src}: {e}")),
            want,
            "{src}"
        );
    }
}

#[test]
fn literals_quotes_and_interpolation() {
    let s = StaticScope::new();
    let cases = [
        ("@'it''s'", json!("it's")),
        ("@-5", json!(-5)),
        ("@1.5e2", json!(150.0)),
        ("@null", Value::Null),
        ("@TRUE", json!(true)),
        ("@[1, 'a', [true]]", json!([1, "a", [true]])),
        ("a @{'}'} b @{1}@{null}c", json!("a } b 1c")),
        ("@{createArray(1, 2)}", json!("[1,2]")),
        ("@{true}", json!("True")),
        ("mail@example.com", json!("mail@example.com")),
        ("@@{x}", json!("@{x}")),
    ];
    for (src, want) in cases {
        assert_eq!(
            evaluate(src, &s).unwrap_or_else(|e| panic!("{src}: {e}")),
            want,
            "{src}"
        );
    }
}

#[test]
fn access_and_null_safe_access() {
    let s = StaticScope::new().with_action_body(
        "A",
        json!({"items": [{"name": "n0"}, {"name": "n1"}], "k": null}),
    );
    let ok = [
        ("@body('A')?['items'][0]['name']", json!("n0")),
        ("@body('A').items[1].name", json!("n1")),
        ("@body('A')['items'][add(0, 1)]['name']", json!("n1")),
        ("@body('A')[concat('it', 'ems')][0]?.name", json!("n0")),
        ("@body('A')?['missing']", Value::Null),
        ("@body('A')?['missing']?['deeper']", Value::Null),
        ("@body('A')?['k']?['x']", Value::Null),
        ("@body('A')['items']?[5]", Value::Null),
        ("@length(body('A')['items'])", json!(2)),
    ];
    for (src, want) in ok {
        assert_eq!(
            evaluate(src, &s).unwrap_or_else(|e| panic!("{src}: {e}")),
            want,
            "{src}"
        );
    }
    // Without `?`, a missing property or element is an error that says where and what exists.
    let err = evaluate("@body('A')['missing']", &s).unwrap_err();
    assert!(
        matches!(err, ExprError::Access { offset: 10, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("available: items, k"), "{err}");
    let err = evaluate("@body('A')['items'][5]", &s).unwrap_err();
    assert!(err.to_string().contains("outside the array of 2"), "{err}");
    let err = evaluate("@body('A')['k']['x']", &s).unwrap_err();
    assert!(err.to_string().contains("of null"), "{err}");
    let err = evaluate("@body('A')[true]", &s).unwrap_err();
    assert!(
        err.to_string().contains("cannot select with a boolean"),
        "{err}"
    );
}

#[test]
fn parse_errors_name_the_position() {
    let cases: [(&str, usize, &str); 10] = [
        ("@concat('a', 'b'", 16, "found the end of the expression"),
        ("@concat('a' 'b')", 12, "expected `)` or `,`"),
        ("@'open", 1, "unterminated"),
        ("@nosuch(1)", 1, "does not exist"),
        ("@substring('a')", 1, "takes 2 or 3 arguments"),
        ("@toLower(\"x\")", 9, "single quotes"),
        ("@body('A') extra", 11, "after the expression"),
        ("x @{body('A')", 13, "expected `}`"),
        ("@body('A')?", 11, "after `?`"),
        ("@foo", 1, "is not a value"),
    ];
    for (src, offset, text) in cases {
        let err = Template::parse(src).unwrap_err();
        assert_eq!(err.offset(), offset, "{src}: {err}");
        assert!(err.to_string().contains(text), "{src}: {err}");
    }
    assert!(
        matches!(Template::parse("@nosuch()"), Err(ExprError::UnknownFunction { name, .. }) if name == "nosuch")
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("@{}1{}", "string(".repeat(200), ")".repeat(200));
    let err = Template::parse(&deep).unwrap_err();
    assert!(err.to_string().contains("nested deeper"), "{err}");
    let ok = format!("@{}1{}", "string(".repeat(30), ")".repeat(30));
    assert_eq!(evaluate(&ok, &StaticScope::new()).unwrap(), json!("1"));
}

#[test]
fn references_are_listed_for_validation() {
    let e =
        Expr::parse("concat(body('A')?['x'], outputs('B'), variables('v'), items('L'))").unwrap();
    let actions: Vec<&str> = e.referenced_actions().into_iter().map(|(n, _)| n).collect();
    assert_eq!(actions, ["A", "B", "L"]);
    assert_eq!(e.referenced_variables()[0].0, "v");
}

#[test]
fn compiled_values_report_every_bad_string_with_its_pointer() {
    let inputs = json!({
        "a": "@concat('x', 'y')",
        "list": ["fine", "@nosuch()", {"deep": "@{oops"}],
        "n": 1,
        "k/ey": "@("
    });
    let errors = CompiledValue::compile(&inputs).unwrap_err();
    let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(pointers, ["/k~1ey", "/list/1", "/list/2/deep"]);

    let good = json!({"greeting": "Hello @{parameters('who')}", "n": 1, "raw": "@@x", "list": ["@parameters('who')"]});
    let compiled = CompiledValue::compile(&good).unwrap();
    assert_eq!(compiled.templates().len(), 3);
    let s = StaticScope::new().with_parameter("who", json!("you"));
    assert_eq!(
        compiled.eval(&s).unwrap(),
        json!({"greeting": "Hello you", "n": 1, "raw": "@x", "list": ["you"]})
    );
    let err = compiled.eval(&StaticScope::new()).unwrap_err();
    assert_eq!(err.pointer, "/greeting");
}

/// A small deterministic generator (xorshift), so the hostile-input test needs no extra crate
/// and fails the same way every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_text_never_panics() {
    const PIECES: &[&str] = &[
        "@",
        "@{",
        "}",
        "@@",
        "(",
        ")",
        "[",
        "]",
        "?",
        ".",
        ",",
        "'",
        "''",
        "'a'",
        "1",
        "-2",
        ".5",
        "1e400",
        "body",
        "concat",
        "substring",
        "json",
        "string",
        "createArray",
        "item",
        "variables",
        "null",
        "true",
        " ",
        "x",
        "é",
        "\"",
        "'{\"a\":[1]}'",
        "addDays",
        "'2018-01-01T00:00:00Z'",
        "range",
        "100000",
        "div",
        "0",
        "setProperty",
        "split",
        "''''",
        "9223372036854775807",
        "formatDateTime",
        "'yyyy'",
        "'\\'",
    ];
    let scope = StaticScope::new()
        .with_action_body("x", json!({"a": [1, 2]}))
        .with_variable("x", json!("v"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut parsed, mut evaluated) = (0, 0);
    for _ in 0..20_000 {
        let n = 1 + (rng.next() % 12) as usize;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[(rng.next() % PIECES.len() as u64) as usize]);
        }
        if let Ok(t) = Template::parse(&s) {
            parsed += 1;
            if t.eval(&scope).is_ok() {
                evaluated += 1;
            }
        }
    }
    // The generator must reach the evaluator, or the test proves little.
    assert!(
        parsed > 1_000 && evaluated > 500,
        "parsed {parsed}, evaluated {evaluated}"
    );
}
