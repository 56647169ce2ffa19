//! `dynamic-values ID.PROPERTY`: every input property that names
//! `x-dynamic-values` gets a usable answer from `provider.dynamic-values`.
//!
//! The inputs filled so far are the spec's first example input of the
//! action (or the trigger's input), without the property itself: what a
//! designer has when the person opens that property's dropdown.

use std::time::Instant;

use serde_json::{Map, Value};

use super::Kit;
use crate::spec::Spec;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::description::{OperationKind, dynamic_values_properties};

impl Kit {
    pub(crate) fn dynamic_values(&mut self, connector: &Connector, good: &Connection, spec: &Spec) {
        for op in &connector.description().operations {
            let properties = dynamic_values_properties(op);
            if properties.is_empty() {
                continue;
            }
            let (skip, input) = match op.kind {
                OperationKind::Action => {
                    let a = spec.actions.get(&op.id);
                    (
                        a.and_then(|a| a.skip.clone()),
                        a.and_then(|a| a.examples.first()).map(|e| e.input.clone()),
                    )
                }
                _ => {
                    let t = spec.triggers.get(&op.id);
                    (t.and_then(|t| t.skip.clone()), t.map(|t| t.input.clone()))
                }
            };
            for property in properties {
                let name = format!("dynamic-values {}.{property}", op.id);
                if let Some(reason) = &skip {
                    self.skip(name, format!("skipped by the spec: {reason}"));
                    continue;
                }
                let mut so_far = match &input {
                    Some(Value::Object(map)) => map.clone(),
                    _ => Map::new(),
                };
                so_far.remove(&property);
                let so_far = Value::Object(so_far);
                let start = Instant::now();
                let answer = connector.dynamic_values(&op.id, &property, good, &so_far);
                match self.note(&name, answer) {
                    Err(e) => self.fail(name, format!("dynamic-values failed: {e}"), start),
                    Ok(values) => {
                        let schema = op
                            .input_schema
                            .get("properties")
                            .and_then(|p| p.get(&property))
                            .and_then(|s| jsonschema::validator_for(s).ok());
                        let mut wrong = Vec::new();
                        for (i, choice) in values.iter().enumerate() {
                            if choice.title.trim().is_empty() {
                                wrong.push(format!("choice {i} has an empty title"));
                            }
                            match choice.value.to_value() {
                                Err(e) => {
                                    wrong.push(format!("choice {i}'s value is not JSON: {e}"))
                                }
                                Ok(value) => {
                                    if let Some(schema) = &schema
                                        && let Some(e) = schema.iter_errors(&value).next()
                                    {
                                        wrong.push(format!(
                                            "choice {i} ({}) does not fit the property's schema: {e}",
                                            choice.value
                                        ));
                                    }
                                }
                            }
                        }
                        if wrong.is_empty() {
                            let shown: Vec<&str> =
                                values.iter().take(3).map(|v| v.title.as_str()).collect();
                            self.pass(
                                name,
                                format!(
                                    "{} choice(s) with inputs {so_far}{}",
                                    values.len(),
                                    if shown.is_empty() {
                                        String::new()
                                    } else {
                                        format!(", e.g. {}", shown.join(", "))
                                    }
                                ),
                                start,
                            );
                        } else {
                            self.fail(name, wrong.join("; "), start);
                        }
                    }
                }
            }
        }
    }
}
