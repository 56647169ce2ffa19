//! `connector-host describe`: the service and its operations, for a person or as JSON.

use std::fmt::Write;

use clap::Args;
use serde_json::Value;

use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime, print_json};
use connector_runtime::description::{
    Description, ItemMode, OperationKind, ParameterKind, Visibility,
};
use connector_runtime::runtime::Runtime;

/// Show what a connector offers: its service, connection parameters and operations.
#[derive(Args, Debug)]
pub struct DescribeCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// Print the description as JSON (the service and every operation with its schemas).
    #[arg(long)]
    json: bool,
}

impl DescribeCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let connector = runtime.load(&self.component.component, options)?;
        // Signer and certification, from the bundle beside the component.
        let signatures = super::signing::bundle_of(&self.component.component);
        if self.json {
            let mut value = serde_json::to_value(connector.description()).unwrap_or_default();
            if let Some(s) = &signatures {
                value["signatures"] = match s {
                    Ok(v) => super::signing::to_json(v),
                    Err(e) => serde_json::json!({ "error": e }),
                };
            }
            print_json(&value);
        } else {
            print!("{}", render(connector.description()));
            match &signatures {
                None => print!("\nSignatures:\n  (unsigned)\n"),
                Some(Ok(v)) => print!("\nSignatures:\n{}", super::signing::render(v)),
                Some(Err(e)) => print!("\nSignatures:\n  DO NOT VERIFY: {e}\n"),
            }
        }
        // A bundle that does not verify means altered bytes: say so in the
        // exit code too.
        Ok(match signatures {
            Some(Err(_)) => exit::LOAD,
            _ => exit::OK,
        })
    }
}

/// The description as text for a person.
pub fn render(d: &Description) -> String {
    let s = &d.service;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}) {}", s.display_name, s.id, s.version);
    let _ = writeln!(out, "  {}", s.description);
    let _ = writeln!(out, "  brand colour {}", s.brand_color);
    let _ = writeln!(out, "  contract connector:provider@{}", d.contract);
    out.push_str("\nConnection parameters:\n");
    if s.connection_parameters.is_empty() {
        out.push_str("  (none)\n");
    }
    for p in &s.connection_parameters {
        let kind = match p.kind {
            ParameterKind::Text => "text",
            ParameterKind::Secret => "secret",
            ParameterKind::Integer => "integer",
            ParameterKind::Boolean => "boolean",
        };
        let mut line = format!(
            "  {}: {kind}, {}",
            p.name,
            if p.required { "required" } else { "optional" }
        );
        if let Some(default) = &p.default_value {
            let _ = write!(line, ", default {default:?}");
        }
        let _ = writeln!(out, "{line}\n      {}: {}", p.display_name, p.description);
    }
    let caps = &s.capabilities;
    out.push_str("\nNeeds from the operator:\n");
    if caps.outbound_hosts.is_empty() && caps.directories.is_empty() {
        out.push_str("  (nothing)\n");
    }
    for host in &caps.outbound_hosts {
        let _ = writeln!(out, "  outbound HTTP to {host}");
    }
    for dir in &caps.directories {
        let _ = writeln!(
            out,
            "  directory {} ({}): {}",
            dir.guest_path,
            if dir.writable {
                "read-write"
            } else {
                "read-only"
            },
            dir.description
        );
    }
    out.push_str("\nOperations:\n");
    for op in &d.operations {
        let visibility = match op.visibility {
            Visibility::Important => "important",
            Visibility::Advanced => "advanced",
            Visibility::Internal => "internal",
        };
        let mut kind = op.kind.to_string();
        if let (Some(t), OperationKind::PollingTrigger) = (&op.trigger, op.kind) {
            let _ = write!(kind, ", every {} s", t.default_recurrence_seconds);
        }
        if let Some(t) = &op.trigger {
            kind.push_str(match t.item_mode {
                ItemMode::Single => ", items together",
                ItemMode::Split => ", one event per item",
            });
            if t.needs_subscription {
                kind.push_str(", subscribed at its source");
            }
        }
        let _ = writeln!(out, "  {}: {} [{kind}; {visibility}]", op.id, op.summary);
        if !op.description.is_empty() {
            let _ = writeln!(out, "      {}", op.description);
        }
        let _ = writeln!(out, "      input:  {}", summarize_schema(&op.input_schema));
        let _ = writeln!(out, "      output: {}", summarize_schema(&op.output_schema));
        let dynamic = connector_runtime::description::dynamic_values_properties(op);
        if !dynamic.is_empty() {
            let _ = writeln!(out, "      dynamic values: {}", dynamic.join(", "));
        }
    }
    out
}

/// `name: type` for each top-level property, `?` marking optional ones.
fn summarize_schema(schema: &Value) -> String {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("any")
            .to_string();
    };
    if props.is_empty() {
        return "(nothing)".into();
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    props
        .iter()
        .map(|(name, p)| {
            let ty = match p.get("type") {
                Some(Value::String(t)) => t.clone(),
                Some(Value::Array(ts)) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("|"),
                _ => "any".into(),
            };
            let opt = if required.contains(&name.as_str()) {
                ""
            } else {
                "?"
            };
            format!("{name}{opt}: {ty}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::summarize_schema;
    use serde_json::json;

    #[test]
    fn schemas_summarize_to_fields() {
        let s = json!({"type": "object", "properties": {"path": {"type": "string"}, "n": {"type": ["integer", "null"]}}, "required": ["path"]});
        assert_eq!(summarize_schema(&s), "n?: integer|null, path: string");
        assert_eq!(
            summarize_schema(&json!({"type": "object", "properties": {}})),
            "(nothing)"
        );
        assert_eq!(summarize_schema(&json!(true)), "any");
    }
}
