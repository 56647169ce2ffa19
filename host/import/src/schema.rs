//! Schemas from a definition to JSON Schema 2020-12, the dialect the host
//! checks with: local `$ref`s become `#/$defs/NAME` with the referenced
//! schemas collected beside them (so a cycle is a cycle of `$ref`s, which
//! the validator follows lazily, not an endless copy), OpenAPI's
//! `nullable` and draft-4 boolean `exclusiveMinimum`/`exclusiveMaximum`
//! rewritten, and `x-` extensions, `discriminator`, `xml` and `example`
//! dropped (annotations the host does not read).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::problem::{Problem, Severity};
use crate::source::Source;

/// Converts the schemas of one operation, collecting the definitions they
/// reference.
pub struct Converter<'a> {
    src: &'a Source,
    /// ref string -> name in `$defs`.
    names: BTreeMap<String, String>,
    pending: Vec<String>,
    done: BTreeSet<String>,
    defs: Map<String, Value>,
}

impl<'a> Converter<'a> {
    /// A converter for schemas of `src`.
    pub fn new(src: &'a Source) -> Self {
        Self {
            src,
            names: BTreeMap::new(),
            pending: Vec::new(),
            done: BTreeSet::new(),
            defs: Map::new(),
        }
    }

    /// Converts the schema at `pointer` (whose value is `schema`).
    pub fn convert(&mut self, schema: &Value, pointer: &str, problems: &mut Vec<Problem>) -> Value {
        let Value::Object(map) = schema else {
            return match schema {
                Value::Bool(_) => schema.clone(),
                _ => json!({}),
            };
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            return match self.reference(reference, pointer, problems) {
                Some(name) => json!({ "$ref": format!("#/$defs/{name}") }),
                None => json!({}),
            };
        }
        let mut out = Map::new();
        for (key, value) in map {
            let at = format!("{pointer}/{}", crate::problem::escape(key));
            match key.as_str() {
                k if k.starts_with("x-") => {
                    if k == "x-ms-summary" && !map.contains_key("title") {
                        out.insert("title".into(), value.clone());
                    }
                }
                "discriminator" | "xml" | "example" | "externalDocs" | "nullable" | "readOnly"
                | "writeOnly" | "collectionFormat" => {}
                "properties" | "patternProperties" => {
                    let mut props = Map::new();
                    for (name, sub) in value.as_object().into_iter().flatten() {
                        let sub_at = format!("{at}/{}", crate::problem::escape(name));
                        props.insert(name.clone(), self.convert(sub, &sub_at, problems));
                    }
                    out.insert(key.clone(), Value::Object(props));
                }
                "items" | "additionalProperties" | "not" => {
                    out.insert(key.clone(), self.convert(value, &at, problems));
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let list = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(|(i, sub)| self.convert(sub, &format!("{at}/{i}"), problems))
                        .collect();
                    out.insert(key.clone(), Value::Array(list));
                }
                "type" if value == "file" => {}
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {
                    let bound = if key == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    if value == true
                        && let Some(limit) = map.get(bound)
                    {
                        out.insert(key.clone(), limit.clone());
                    }
                }
                "minimum" | "maximum" => {
                    let exclusive = if key == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    };
                    if map.get(exclusive) != Some(&Value::Bool(true)) {
                        out.insert(key.clone(), value.clone());
                    }
                }
                "required" if !value.is_array() => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        let nullable = map.get("nullable") == Some(&Value::Bool(true))
            || map.get("x-nullable") == Some(&Value::Bool(true));
        if nullable && let Some(Value::String(t)) = out.get("type").cloned() {
            out.insert("type".into(), json!([t, "null"]));
        }
        Value::Object(out)
    }

    /// Registers a local reference and answers its `$defs` name.
    fn reference(
        &mut self,
        reference: &str,
        pointer: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<String> {
        if let Some(name) = self.names.get(reference) {
            return Some(name.clone());
        }
        let Some(target) = reference.strip_prefix('#') else {
            problems.push(self.src.problem(
                Severity::Error,
                &format!("{pointer}/$ref"),
                format!("the $ref {reference:?} is not local (only #/... references are resolved)"),
            ));
            return None;
        };
        if self.src.value.pointer(target).is_none() {
            problems.push(self.src.problem(
                Severity::Error,
                &format!("{pointer}/$ref"),
                format!("the $ref {reference:?} points at nothing in this file"),
            ));
            return None;
        }
        let last = target.rsplit('/').next().unwrap_or("schema");
        let mut name: String = last
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        while self.names.values().any(|n| *n == name) {
            name.push('_');
        }
        self.names.insert(reference.to_string(), name.clone());
        self.pending.push(reference.to_string());
        Some(name)
    }

    /// Converts every referenced schema (and those they reference) and
    /// answers the `$defs` object.
    pub fn finish(mut self, problems: &mut Vec<Problem>) -> Map<String, Value> {
        while let Some(reference) = self.pending.pop() {
            if !self.done.insert(reference.clone()) {
                continue;
            }
            let target = &reference[1..];
            let Some(schema) = self.src.value.pointer(target).cloned() else {
                continue;
            };
            let converted = self.convert(&schema, target, problems);
            let name = self.names[&reference].clone();
            self.defs.insert(name, converted);
        }
        self.defs
    }
}

/// Follows a `$ref` of a non-schema object (a parameter, a response, a
/// request body) to its target, reporting one that points at nothing.
pub fn deref<'v>(
    src: &'v Source,
    value: &'v Value,
    pointer: &str,
    problems: &mut Vec<Problem>,
) -> Option<(&'v Value, String)> {
    let mut current = value;
    let mut at = pointer.to_string();
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Some((current, at));
        };
        let target = reference
            .strip_prefix('#')
            .and_then(|t| src.value.pointer(t));
        match target {
            Some(next) => {
                current = next;
                at = reference[1..].to_string();
            }
            None => {
                problems.push(src.problem(
                    Severity::Error,
                    &format!("{at}/$ref"),
                    format!("the $ref {reference:?} points at nothing in this file"),
                ));
                return None;
            }
        }
    }
    problems.push(src.problem(
        Severity::Error,
        pointer,
        "a cycle of $refs that never reaches a value",
    ));
    None
}
