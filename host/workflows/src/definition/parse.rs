//! From the text of a `workflow.json` to the [`Workflow`] model, collecting every problem.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::action::parse_actions;
use super::lines::LineIndex;
use super::model::*;
use super::problem::Problem;
use crate::expr::{CompiledValue, Template, pointer_token};

/// Collects problems for one file; every helper reports and returns a usable default, so one
/// pass finds everything.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub lines: &'a LineIndex,
    pub problems: Vec<Problem>,
}

impl Ctx<'_> {
    pub fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        let (line, column) = self.lines.position(pointer);
        self.problems.push(Problem {
            file: self.file.to_owned(),
            pointer: pointer.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    pub(crate) fn compile(&mut self, value: Option<&Value>, pointer: &str) -> CompiledValue {
        let Some(value) = value else {
            return CompiledValue::Constant(Value::Null);
        };
        match CompiledValue::compile(value) {
            Ok(c) => c,
            Err(errors) => {
                for e in errors {
                    let at = format!("{pointer}{}", e.pointer);
                    let text = lookup(value, &e.pointer)
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    self.problem(
                        &at,
                        format!("the expression {} does not parse: {}", quote(text), e.error),
                    );
                }
                CompiledValue::Constant(value.clone())
            }
        }
    }

    pub(crate) fn template(&mut self, value: &Value, pointer: &str) -> Option<Template> {
        let Some(s) = value.as_str() else {
            self.problem(
                pointer,
                format!("must be a string expression, not {}", kind(value)),
            );
            return None;
        };
        match Template::parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(
                    pointer,
                    format!("the expression {} does not parse: {e}", quote(s)),
                );
                None
            }
        }
    }

    pub(crate) fn object<'v>(
        &mut self,
        value: Option<&'v Value>,
        pointer: &str,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                self.problem(
                    pointer,
                    format!("{what} must be an object, not {}", kind(other)),
                );
                None
            }
        }
    }

    pub(crate) fn string(&mut self, parent: Option<&Value>, key: &str, pointer: &str) -> String {
        match parent.and_then(|p| p.get(key)) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(other) => {
                self.problem(
                    &format!("{pointer}/{key}"),
                    format!("`{key}` must be a non-empty string, not {}", kind(other)),
                );
                String::new()
            }
            None => {
                self.problem(pointer, format!("`{key}` is missing"));
                String::new()
            }
        }
    }
}

fn lookup<'v>(v: &'v Value, pointer: &str) -> Option<&'v Value> {
    if pointer.is_empty() {
        Some(v)
    } else {
        v.pointer(pointer)
    }
}

/// A string shortened for a message (long expressions would bury the message).
fn quote(s: &str) -> String {
    if s.chars().count() > 80 {
        format!("`{}...`", s.chars().take(77).collect::<String>())
    } else {
        format!("`{s}`")
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses `workflow.json` text (`{"definition": {...}, "kind": ...}` or the bare definition).
/// Returns the workflow and the pointer of its definition (`/definition` or `""`).
pub(crate) fn parse_workflow(text: &str, ctx: &mut Ctx<'_>) -> Option<(Workflow, &'static str)> {
    let root: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            ctx.problems.push(Problem {
                file: ctx.file.to_owned(),
                pointer: String::new(),
                line: e.line(),
                column: e.column(),
                message: format!("not valid JSON: {e}"),
            });
            return None;
        }
    };
    let Some(top) = root.as_object() else {
        ctx.problem(
            "",
            format!("a workflow file must hold an object, not {}", kind(&root)),
        );
        return None;
    };
    let (def, prefix, kind_name) = match top.get("definition") {
        Some(def) => {
            let kind_name = match top.get("kind") {
                None => None,
                Some(Value::String(k))
                    if k.eq_ignore_ascii_case("stateful")
                        || k.eq_ignore_ascii_case("stateless") =>
                {
                    Some(k.clone())
                }
                Some(other) => {
                    ctx.problem(
                        "/kind",
                        format!("`kind` must be \"Stateful\" or \"Stateless\", not {other}"),
                    );
                    None
                }
            };
            (def, "/definition", kind_name)
        }
        None if top.contains_key("triggers") || top.contains_key("actions") => (&root, "", None),
        None => {
            ctx.problem("", "this is not a workflow definition: expected `definition`, or `triggers` and `actions`");
            return None;
        }
    };
    let definition = parse_definition(def, prefix, ctx)?;
    Some((
        Workflow {
            kind: kind_name,
            definition,
        },
        prefix,
    ))
}

fn parse_definition(def: &Value, prefix: &str, ctx: &mut Ctx<'_>) -> Option<Definition> {
    ctx.object(Some(def), prefix, "the definition")?;
    let mut parameters = BTreeMap::new();
    let pp = format!("{prefix}/parameters");
    for (name, p) in ctx
        .object(def.get("parameters"), &pp, "`parameters`")
        .into_iter()
        .flatten()
    {
        parameters.insert(
            name.clone(),
            Parameter {
                type_name: p
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("Object")
                    .to_owned(),
                default_value: p.get("defaultValue").cloned(),
            },
        );
    }
    let tp = format!("{prefix}/triggers");
    let mut triggers = Vec::new();
    for (name, t) in ctx
        .object(def.get("triggers"), &tp, "`triggers`")
        .into_iter()
        .flatten()
    {
        if let Some(t) = parse_trigger(name, t, &format!("{tp}/{}", pointer_token(name)), ctx) {
            triggers.push(t);
        }
    }
    let actions = parse_actions(def.get("actions"), &format!("{prefix}/actions"), ctx);
    Some(Definition {
        parameters,
        triggers,
        actions,
        outputs: def.get("outputs").cloned().unwrap_or(Value::Null),
    })
}

pub(crate) fn service_provider(
    inputs: Option<&Value>,
    pointer: &str,
    ctx: &mut Ctx<'_>,
) -> ServiceProviderCall {
    let config = inputs.and_then(|i| i.get("serviceProviderConfiguration"));
    let cp = format!("{pointer}/inputs/serviceProviderConfiguration");
    if config.is_none() {
        ctx.problem(
            &format!("{pointer}/inputs"),
            "`inputs.serviceProviderConfiguration` is missing",
        );
        return ServiceProviderCall {
            connection_name: String::new(),
            operation_id: String::new(),
            service_provider_id: String::new(),
        };
    }
    ServiceProviderCall {
        connection_name: ctx.string(config, "connectionName", &cp),
        operation_id: ctx.string(config, "operationId", &cp),
        service_provider_id: ctx.string(config, "serviceProviderId", &cp),
    }
}

fn parse_trigger(name: &str, t: &Value, pointer: &str, ctx: &mut Ctx<'_>) -> Option<Trigger> {
    ctx.object(Some(t), pointer, "a trigger")?;
    let type_name = t.get("type").and_then(Value::as_str).unwrap_or_default();
    let trigger_type = match type_name.to_ascii_lowercase().as_str() {
        "request" => TriggerType::Request,
        "recurrence" => TriggerType::Recurrence,
        "serviceprovider" => TriggerType::ServiceProvider,
        "" => {
            ctx.problem(pointer, format!("the trigger `{name}` has no `type`"));
            return None;
        }
        _ => {
            ctx.problem(
                &format!("{pointer}/type"),
                format!("the trigger type `{type_name}` is not one this host runs (Request, Recurrence, ServiceProvider)"),
            );
            return None;
        }
    };
    let inputs = t.get("inputs");
    let service_provider = (trigger_type == TriggerType::ServiceProvider)
        .then(|| service_provider(inputs, pointer, ctx));
    let recurrence = t.get("recurrence").cloned();
    if trigger_type == TriggerType::Recurrence && recurrence.is_none() {
        ctx.problem(pointer, "a Recurrence trigger needs `recurrence` ({\"frequency\": \"Minute\", \"interval\": 1})");
    }
    let split_on = t
        .get("splitOn")
        .and_then(|s| ctx.template(s, &format!("{pointer}/splitOn")));
    let mut conditions = Vec::new();
    if let Some(cs) = t.get("conditions") {
        match cs.as_array() {
            Some(list) => {
                for (i, c) in list.iter().enumerate() {
                    let cp = format!("{pointer}/conditions/{i}/expression");
                    match c.get("expression") {
                        Some(e) => conditions.extend(ctx.template(e, &cp)),
                        None => ctx.problem(
                            &format!("{pointer}/conditions/{i}"),
                            "a condition needs `expression`",
                        ),
                    }
                }
            }
            None => ctx.problem(
                &format!("{pointer}/conditions"),
                "`conditions` must be an array",
            ),
        }
    }
    Some(Trigger {
        name: name.to_owned(),
        pointer: pointer.to_owned(),
        trigger_type,
        inputs: ctx.compile(inputs, &format!("{pointer}/inputs")),
        service_provider,
        recurrence,
        split_on,
        conditions,
    })
}
