//! A connection's values, checked against the parameters a connector declares.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::capabilities::Redactor;
use crate::description::{Description, ParameterKind};

/// The values of one connection, by parameter name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connection {
    values: BTreeMap<String, String>,
}

// Values may be secrets: never print them, even in debug output.
impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

impl Connection {
    /// An empty connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.values.insert(name.into(), value.into());
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Parses `name=value`.
    pub fn set_pair(&mut self, pair: &str) -> Result<()> {
        let Some((name, value)) = pair.split_once('=') else {
            bail!(
                "connection value {:?} is not of the form name=value",
                pair.split('=').next().unwrap_or("")
            );
        };
        if name.trim().is_empty() {
            bail!("connection value has an empty name");
        }
        self.set(name.trim(), value);
        Ok(())
    }

    /// Reads values from a JSON object file (`{"name": "value", ...}`);
    /// numbers and booleans are taken as their text.
    pub fn read_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read connection file {}", path.display()))?;
        let value: Value = serde_json::from_str(&text)
            .with_context(|| format!("connection file {} is not JSON", path.display()))?;
        let Value::Object(map) = value else {
            bail!(
                "connection file {} must hold a JSON object of name: value",
                path.display()
            );
        };
        for (name, value) in map {
            let text = match value {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => bail!(
                    "connection file {}: value of {name:?} is {}, expected a string, number or boolean",
                    path.display(),
                    kind_of(&other)
                ),
            };
            self.set(name, text);
        }
        Ok(())
    }

    /// Checks the values against the connector's parameters and fills in
    /// defaults: unknown names, missing required values and values of the
    /// wrong kind are errors, all listed at once.
    pub fn resolve(&self, description: &Description) -> Result<Connection> {
        let mut problems = Vec::new();
        let mut resolved = Connection::new();
        for name in self.values.keys() {
            if description.parameter(name).is_none() {
                let known: Vec<&str> = description
                    .service
                    .connection_parameters
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                problems.push(format!(
                    "{name:?} is not a connection parameter of {} (it has: {})",
                    description.service.id,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
        for p in &description.service.connection_parameters {
            let value = self.values.get(&p.name).or(p.default_value.as_ref());
            match value {
                None if p.required => {
                    problems.push(format!("{:?} is required ({})", p.name, p.display_name))
                }
                None => {}
                Some(v) => {
                    match p.kind {
                        ParameterKind::Integer if v.parse::<i64>().is_err() => {
                            problems.push(format!("{:?} must be an integer", p.name))
                        }
                        ParameterKind::Boolean if v != "true" && v != "false" => {
                            problems.push(format!("{:?} must be true or false", p.name))
                        }
                        _ => {}
                    }
                    resolved.set(p.name.clone(), v.clone());
                }
            }
        }
        if !problems.is_empty() {
            bail!("the connection is not valid: {}", problems.join("; "));
        }
        Ok(resolved)
    }

    /// A redactor for the values that the connector declares secret.
    pub fn redactor(&self, description: &Description) -> Redactor {
        Redactor::new(
            description
                .service
                .connection_parameters
                .iter()
                .filter(|p| p.kind == ParameterKind::Secret)
                .filter_map(|p| self.values.get(&p.name).cloned()),
        )
    }

    /// The values as the guest receives them.
    pub fn to_wit(&self) -> Vec<(String, String)> {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A word for a JSON value's type, for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
