//! A component that fits the contract's shape but describes itself wrongly:
//! validation lists every broken rule at once, and such a connector cannot
//! be loaded for calls.

use connector_host::{ConnectorOptions, LoadError};

use crate::support::*;

#[test]
fn every_problem_is_listed_at_once() {
    let inspection = runtime()
        .inspect(&guest("test_malformed"), ConnectorOptions::default())
        .unwrap();
    let problems: Vec<String> = inspection
        .problems
        .iter()
        .map(ToString::to_string)
        .collect();
    let expect = [
        "service.id:",
        "service.version:",
        "service.brand-color:",
        "service.connection-parameters[token]: is declared more than once",
        "is a secret with a default value",
        "operations[dup]: id is used by more than one operation",
        "input-schema: is not JSON",
        "output-schema: is not a valid JSON Schema",
        "a polling trigger has no trigger settings",
        "an action has trigger settings",
        "operations[#",
        "operations[ref-bomb].output-schema: expands through $ref to more than 100000 subschemas",
        "operations[typo-keywords].input-schema: does not say \"type\": \"object\"",
        "`type` is \"integr\", which is not a JSON Schema type: use one of array, boolean, integer",
    ];
    for needle in expect {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "no problem mentions {needle:?}; problems:\n{}",
            problems.join("\n")
        );
    }
}

#[test]
fn a_malformed_connector_does_not_load_for_calls() {
    let err = match runtime().load(&guest("test_malformed"), ConnectorOptions::default()) {
        Ok(_) => panic!("malformed connector loaded"),
        Err(e) => e,
    };
    assert!(
        matches!(&err, LoadError::Description { problems, .. } if problems.len() >= 10),
        "{err}"
    );
}

/// `validate` warns of keywords JSON Schema does not define (they check
/// nothing), with the keyword probably meant; `--json` lists them too.
#[test]
fn validate_warns_of_misspelt_schema_keywords() {
    let run = cli(&["validate", s(&guest("test_malformed"))]);
    let warnings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("warning:"))
        .collect();
    for (keyword, meant) in [("tpye", "type"), ("minimun", "minimum")] {
        assert!(
            warnings.iter().any(|w| w
                .contains(&format!("`{keyword}` is not a JSON Schema keyword"))
                && w.contains(&format!("did you mean `{meant}`?"))),
            "{keyword}: {run:?}"
        );
    }
    let json = cli(&["validate", "--json", s(&guest("test_malformed"))]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        value["warnings"].as_array().map(Vec::len),
        Some(2),
        "{value:#}"
    );
}
