//! The rules of the `x-dynamic-values` schema keyword (contract 0.2.0).
//!
//! An input property asks for a dynamic list of choices (a designer's
//! "pick a project" dropdown) with
//! `"x-dynamic-values": {"depends-on": ["workspace"]}` (or `{}`): the host
//! may then call `provider.dynamic-values` for it, with the inputs filled so
//! far; `depends-on` names the other input properties the list needs.
//! The keyword belongs on a top-level input property only, and only a 0.2.0
//! component has the function it names.

use serde_json::Value;

use super::{Operation, Problem};
use crate::bindings::ContractVersion;

/// The keyword, as it appears in an input property's schema.
pub const KEYWORD: &str = "x-dynamic-values";
/// The one key the keyword's object may hold.
const DEPENDS_ON: &str = "depends-on";

/// Keys whose value is a map of names to subschemas: the names are not
/// keywords (a property may be called `x-dynamic-values`).
const SCHEMA_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Keys whose value is data, not a schema.
const DATA_KEYS: &[&str] = &["enum", "const", "default", "examples"];

/// The input properties of `op` that name `x-dynamic-values`, in schema order.
pub fn dynamic_values_properties(op: &Operation) -> Vec<String> {
    let Some(Value::Object(properties)) = op.input_schema.get("properties") else {
        return Vec::new();
    };
    properties
        .iter()
        .filter(|(_, schema)| schema.get(KEYWORD).is_some())
        .map(|(name, _)| name.clone())
        .collect()
}

/// Checks every use of the keyword in `op`'s schemas.
pub(super) fn check(op: &Operation, contract: ContractVersion, problems: &mut Vec<Problem>) {
    let at = format!("operations[{}]", op.id);
    // Misplaced uses: anywhere but directly on a top-level input property.
    let mut misplaced = Vec::new();
    walk(&op.input_schema, "", true, &mut misplaced);
    for pointer in misplaced {
        problems.push(Problem::new(
            format!("{at}.input-schema{pointer}"),
            format!(
                "{KEYWORD} belongs on an input property (/properties/NAME/{KEYWORD}), not here"
            ),
        ));
    }
    let mut in_output = Vec::new();
    walk(&op.output_schema, "", false, &mut in_output);
    for pointer in in_output {
        problems.push(Problem::new(
            format!("{at}.output-schema{pointer}"),
            format!("{KEYWORD} belongs on an input property, not in the output schema"),
        ));
    }

    let Some(Value::Object(properties)) = op.input_schema.get("properties") else {
        return;
    };
    for (name, schema) in properties {
        let Some(keyword) = schema.get(KEYWORD) else {
            continue;
        };
        let here = format!("{at}.input-schema/properties/{}/{KEYWORD}", escape(name));
        if !contract.has_v0_2_features() {
            problems.push(Problem::new(
                &here,
                format!(
                    "needs contract 0.2.0 or later (the component targets {contract}, which has no dynamic-values)"
                ),
            ));
        }
        let Value::Object(settings) = keyword else {
            problems.push(Problem::new(
                &here,
                format!("is not an object (give {{}} or {{\"{DEPENDS_ON}\": [names of input properties]}})"),
            ));
            continue;
        };
        for key in settings.keys().filter(|k| *k != DEPENDS_ON) {
            problems.push(Problem::new(
                &here,
                format!("has an unknown key {key:?} (it takes only \"{DEPENDS_ON}\")"),
            ));
        }
        match settings.get(DEPENDS_ON) {
            None => {}
            Some(Value::Array(names)) => {
                for dep in names {
                    match dep.as_str() {
                        Some(dep) if dep == name => problems.push(Problem::new(
                            &here,
                            format!("{DEPENDS_ON} names the property itself ({dep:?})"),
                        )),
                        Some(dep) if properties.contains_key(dep) => {}
                        Some(dep) => problems.push(Problem::new(
                            &here,
                            format!("{DEPENDS_ON} names {dep:?}, which is not an input property"),
                        )),
                        None => problems.push(Problem::new(
                            &here,
                            format!("{DEPENDS_ON} holds {dep}, which is not a property name"),
                        )),
                    }
                }
            }
            Some(other) => problems.push(Problem::new(
                &here,
                format!("{DEPENDS_ON} is {other}, not a list of property names"),
            )),
        }
    }
}

/// Collects the pointers of misplaced uses of the keyword in `schema`. With
/// `allow_properties`, `schema` is an input schema's root and the keyword is
/// allowed in the subschemas of its `properties`.
fn walk(schema: &Value, pointer: &str, allow_properties: bool, found: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{pointer}/{}", escape(key));
                if key == KEYWORD {
                    found.push(here);
                    continue;
                }
                if DATA_KEYS.contains(&key.as_str()) {
                    continue;
                }
                if SCHEMA_MAPS.contains(&key.as_str()) {
                    if let Value::Object(children) = value {
                        for (name, child) in children {
                            let child_at = format!("{here}/{}", escape(name));
                            if allow_properties && key == "properties" {
                                // The keyword itself is allowed here; what is
                                // below it is not.
                                if let Value::Object(prop) = child {
                                    for (k, v) in prop {
                                        if k != KEYWORD && !DATA_KEYS.contains(&k.as_str()) {
                                            walk_key(k, v, &child_at, found);
                                        }
                                    }
                                }
                            } else {
                                walk(child, &child_at, false, found);
                            }
                        }
                    }
                } else {
                    walk(value, &here, false, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{pointer}/{i}"), false, found);
            }
        }
        _ => {}
    }
}

/// [`walk`] for one key of a property schema (so that a nested schema map
/// keeps its special treatment).
fn walk_key(key: &str, value: &Value, pointer: &str, found: &mut Vec<String>) {
    let mut one = serde_json::Map::new();
    one.insert(key.to_string(), value.clone());
    walk(&Value::Object(one), pointer, false, found);
}

/// A JSON Pointer token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::{OperationKind, Visibility};
    use serde_json::json;

    fn op(input: Value, output: Value) -> Operation {
        Operation {
            id: "pick".into(),
            summary: "Pick".into(),
            description: String::new(),
            visibility: Visibility::Important,
            kind: OperationKind::Action,
            input_schema: input,
            output_schema: output,
            trigger: None,
        }
    }

    fn problems(op: &Operation, contract: ContractVersion) -> Vec<String> {
        let mut found = Vec::new();
        check(op, contract, &mut found);
        found.into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn good_uses_pass_and_are_listed() {
        let op = op(
            json!({"type": "object", "properties": {
                "workspace": {"type": "string", "x-dynamic-values": {}},
                "project": {"type": "string", "x-dynamic-values": {"depends-on": ["workspace"]}},
                "x-dynamic-values": {"type": "string"},
                "plain": {"type": "string"}
            }}),
            json!({"type": "object"}),
        );
        assert_eq!(problems(&op, ContractVersion::V0_2_0), Vec::<String>::new());
        let mut listed = dynamic_values_properties(&op);
        listed.sort();
        assert_eq!(listed, ["project", "workspace"]);
    }

    #[test]
    fn every_broken_rule_is_named() {
        let op = op(
            json!({"type": "object", "x-dynamic-values": {}, "properties": {
                "a": {"type": "string", "x-dynamic-values": true},
                "b": {"type": "string", "x-dynamic-values": {"depends-on": ["nope", "b", 3]}},
                "c": {"type": "string", "x-dynamic-values": {"depends_on": []}},
                "d": {"type": "object", "properties": {"e": {"x-dynamic-values": {}}}}
            }}),
            json!({"type": "object", "properties": {"out": {"x-dynamic-values": {}}}}),
        );
        let found = problems(&op, ContractVersion::V0_2_0).join("\n");
        for expected in [
            "input-schema/x-dynamic-values: x-dynamic-values belongs on an input property",
            "input-schema/properties/d/properties/e/x-dynamic-values: x-dynamic-values belongs",
            "output-schema/properties/out/x-dynamic-values: x-dynamic-values belongs on an input property, not in the output schema",
            "properties/a/x-dynamic-values: is not an object",
            "names \"nope\", which is not an input property",
            "names the property itself (\"b\")",
            "holds 3, which is not a property name",
            "unknown key \"depends_on\"",
        ] {
            assert!(found.contains(expected), "missing {expected:?} in\n{found}");
        }
    }

    #[test]
    fn a_0_1_0_component_cannot_use_it() {
        let op = op(
            json!({"type": "object", "properties": {"p": {"x-dynamic-values": {}}}}),
            json!({}),
        );
        let found = problems(&op, ContractVersion::V0_1_0);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("needs contract 0.2.0"), "{found:?}");
    }
}
