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
