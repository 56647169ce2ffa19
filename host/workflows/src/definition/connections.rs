//! `connections.json`: the named connections actions use, with values that may read
//! application settings (`@appsetting('NAME')`, from the environment) so that secrets stay out
//! of the project files.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::lines::LineIndex;
use super::parse::{Ctx, kind};
use super::problem::{Problem, Problems};
use crate::expr::{CompiledValue, Scope, ScopeError, pointer_token};

/// A parsed `connections.json`.
#[derive(Debug, Clone)]
pub struct Connections {
    /// The file name, for messages.
    pub file: String,
    /// `serviceProviderConnections`, by connection name.
    pub service_providers: BTreeMap<String, ServiceProviderConnection>,
    lines: LineIndex,
}

/// One entry of `serviceProviderConnections`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProviderConnection {
    /// The connection's name (what actions put in `connectionName`).
    pub name: String,
    /// JSON pointer of the entry.
    pub pointer: String,
    /// `serviceProvider.id`: which connector serves it.
    pub service_provider_id: String,
    /// `displayName`, if any.
    pub display_name: Option<String>,
    /// `parameterValues`, compiled (values may use `@appsetting('NAME')`).
    pub parameter_values: BTreeMap<String, CompiledValue>,
}

/// A connection's values with the application settings filled in. `Debug` and `Display` show
/// the parameter names only: these values hold secrets.
#[derive(Clone)]
pub struct ResolvedConnection {
    /// The connection's name.
    pub name: String,
    /// Which connector serves it.
    pub service_provider_id: String,
    values: Map<String, Value>,
}

impl ResolvedConnection {
    /// The parameter values, to pass to the connector (and nowhere else).
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }
}

impl fmt::Debug for ResolvedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&String> = self.values.keys().collect();
        f.debug_struct("ResolvedConnection")
            .field("name", &self.name)
            .field("service_provider_id", &self.service_provider_id)
            .field("values", &format_args!("<redacted: {keys:?}>"))
            .finish()
    }
}

/// Why a connection could not be resolved. Messages name settings, never their values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No connection of that name in `connections.json`.
    #[error("there is no connection `{0}` in connections.json")]
    UnknownConnection(String),
    /// A parameter's value could not be evaluated (a missing application setting, usually).
    #[error("connection `{connection}`, parameter `{parameter}` ({file}:{line}): {message}")]
    Value {
        /// The connection.
        connection: String,
        /// The parameter.
        parameter: String,
        /// The file.
        file: String,
        /// The line of the value.
        line: usize,
        /// What went wrong.
        message: String,
    },
}

/// A scope that answers only `appsetting()`, from a lookup (the environment, in the host).
struct SettingsScope<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl SettingsScope<'_> {
    fn only() -> ScopeError {
        ScopeError::Unavailable("connections.json values may use only appsetting()".into())
    }
}

impl Scope for SettingsScope<'_> {
    fn trigger(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn action(&self, _: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn variable(&self, _: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn parameter(&self, _: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn item(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn items(&self, _: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn iteration_index(&self, _: &str) -> Result<i64, ScopeError> {
        Err(Self::only())
    }
    fn result(&self, _: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn workflow(&self) -> Result<Cow<'_, Value>, ScopeError> {
        Err(Self::only())
    }
    fn app_setting(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        (self.lookup)(name)
            .map(|v| Cow::Owned(Value::String(v)))
            .ok_or_else(|| ScopeError::Unavailable(format!("the application setting `{name}` is not set (set the environment variable {name})")))
    }
}

impl Connections {
    /// Parses `connections.json` text, reporting every problem.
    pub fn parse(text: &str, file: &str) -> Result<Connections, Problems> {
        let lines = LineIndex::new(text);
        let mut ctx = Ctx {
            file,
            lines: &lines,
            problems: Vec::new(),
        };
        let root: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return Err(Problems(vec![Problem {
                    file: file.to_owned(),
                    pointer: String::new(),
                    line: e.line(),
                    column: e.column(),
                    message: format!("not valid JSON: {e}"),
                }]));
            }
        };
        let mut service_providers = BTreeMap::new();
        match root.get("serviceProviderConnections") {
            None => {}
            Some(Value::Object(m)) => {
                for (name, c) in m {
                    let p = format!("/serviceProviderConnections/{}", pointer_token(name));
                    if let Some(conn) = parse_connection(name, c, &p, &mut ctx) {
                        service_providers.insert(name.clone(), conn);
                    }
                }
            }
            Some(other) => ctx.problem(
                "/serviceProviderConnections",
                format!("must be an object, not {}", kind(other)),
            ),
        }
        if !root.is_object() {
            ctx.problem(
                "",
                format!("connections.json must hold an object, not {}", kind(&root)),
            );
        }
        if ctx.problems.is_empty() {
            Ok(Connections {
                file: file.to_owned(),
                service_providers,
                lines,
            })
        } else {
            Err(Problems(ctx.problems))
        }
    }

    /// The line of a pointer in this file.
    pub fn line(&self, pointer: &str) -> usize {
        self.lines.line(pointer)
    }

    /// Evaluates a connection's values, reading application settings through `lookup`
    /// (`|name| std::env::var(name).ok()` in the host).
    pub fn resolve(
        &self,
        name: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ResolvedConnection, ResolveError> {
        let conn = self
            .service_providers
            .get(name)
            .ok_or_else(|| ResolveError::UnknownConnection(name.to_owned()))?;
        let scope = SettingsScope { lookup };
        let mut values = Map::new();
        for (param, value) in &conn.parameter_values {
            let v = value.eval(&scope).map_err(|e| ResolveError::Value {
                connection: name.to_owned(),
                parameter: param.clone(),
                file: self.file.clone(),
                line: self.lines.line(&format!(
                    "{}/parameterValues/{}{}",
                    conn.pointer,
                    pointer_token(param),
                    e.pointer
                )),
                message: e.error.to_string(),
            })?;
            values.insert(param.clone(), v);
        }
        Ok(ResolvedConnection {
            name: name.to_owned(),
            service_provider_id: conn.service_provider_id.clone(),
            values,
        })
    }
}

fn parse_connection(
    name: &str,
    c: &Value,
    p: &str,
    ctx: &mut Ctx<'_>,
) -> Option<ServiceProviderConnection> {
    if !c.is_object() {
        ctx.problem(
            p,
            format!("the connection `{name}` must be an object, not {}", kind(c)),
        );
        return None;
    }
    let id = match c.pointer("/serviceProvider/id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            ctx.problem(
                p,
                format!(
                    "the connection `{name}` needs `serviceProvider.id` (which connector serves it)"
                ),
            );
            String::new()
        }
    };
    let mut parameter_values = BTreeMap::new();
    let vp = format!("{p}/parameterValues");
    match c.get("parameterValues") {
        None => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let kp = format!("{vp}/{}", pointer_token(k));
                match CompiledValue::compile(v) {
                    Ok(cv) => {
                        parameter_values.insert(k.clone(), cv);
                    }
                    Err(errors) => {
                        for e in errors {
                            ctx.problem(
                                &format!("{kp}{}", e.pointer),
                                format!("the value does not parse: {}", e.error),
                            );
                        }
                    }
                }
            }
        }
        Some(other) => ctx.problem(
            &vp,
            format!("`parameterValues` must be an object, not {}", kind(other)),
        ),
    }
    Some(ServiceProviderConnection {
        name: name.to_owned(),
        pointer: p.to_owned(),
        service_provider_id: id,
        display_name: c
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        parameter_values,
    })
}
