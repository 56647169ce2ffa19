//! Evaluation of an [`Expr`] against a [`Scope`].
//!
//! Values are passed as `Cow`: a reference function hands out a borrow of the run's data and an
//! access (`?['items'][0]`) narrows that borrow, so `@body('A')?['items'][0]['name']` copies
//! only the final string, never the body.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ast::{Expr, Func, Key, Kind, RefFn};
use super::error::ExprError;
use super::functions::Args;
use super::value::type_name;

/// Why a [`Scope`] could not answer a reference function.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScopeError {
    /// The named thing does not exist here (`kind` is "action", "variable", "parameter", ...).
    #[error("the {kind} `{name}` does not exist")]
    NotFound {
        /// What was looked up.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The function makes no sense here, e.g. `item()` outside a loop.
    #[error("{0}")]
    Unavailable(String),
}

/// The run state that reference functions read. The run engine implements it; the evaluator
/// needs nothing else, so it can be tested alone (see [`StaticScope`](super::StaticScope)).
///
/// Each method returns the value as the WDL documents it; `triggerBody()`, `body('A')` and the
/// other shorthands are derived from [`trigger`](Scope::trigger) and [`action`](Scope::action).
pub trait Scope {
    /// The trigger's result object (`trigger()`): `{"outputs": {"headers": .., "body": ..}, ...}`.
    fn trigger(&self) -> Result<Cow<'_, Value>, ScopeError>;
    /// An action's result object (`actions('A')`): name, status, inputs, `outputs.body`, ...
    fn action(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError>;
    /// A variable's current value (`variables('v')`).
    fn variable(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError>;
    /// A workflow parameter's value (`parameters('p')`).
    fn parameter(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError>;
    /// The current item of the innermost loop (`item()`).
    fn item(&self) -> Result<Cow<'_, Value>, ScopeError>;
    /// The current item of the named `Foreach` (`items('loop')`).
    fn items(&self, loop_name: &str) -> Result<Cow<'_, Value>, ScopeError>;
    /// The current iteration index of the named `Until` (`iterationIndexes('loop')`).
    fn iteration_index(&self, loop_name: &str) -> Result<i64, ScopeError>;
    /// The results of a scope's top-level actions (`result('scope')`).
    fn result(&self, scope_name: &str) -> Result<Cow<'_, Value>, ScopeError>;
    /// The workflow and run details (`workflow()`).
    fn workflow(&self) -> Result<Cow<'_, Value>, ScopeError>;
    /// An application setting (`appsetting('NAME')`), for `connections.json`; none by default.
    fn app_setting(&self, name: &str) -> Result<Cow<'_, Value>, ScopeError> {
        Err(ScopeError::Unavailable(format!(
            "appsetting('{name}') can be used only in connections.json"
        )))
    }
    /// The clock for `utcNow()`, `getFutureTime()` and `getPastTime()`; injectable for tests.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

impl Expr {
    /// Parses a bare expression (without the leading `@`); offsets count from `source[0]`.
    pub fn parse(source: &str) -> Result<Expr, ExprError> {
        let (e, next) = super::parser::parse_at(source, 0)?;
        if next.kind != super::lexer::TokenKind::End {
            return Err(ExprError::syntax(
                next.offset,
                "unexpected text after the expression",
            ));
        }
        Ok(e)
    }

    /// Evaluates the expression; the result may borrow from the expression or the scope.
    pub fn eval<'a>(&'a self, scope: &'a dyn Scope) -> Result<Cow<'a, Value>, ExprError> {
        match &self.kind {
            Kind::Literal(v) => Ok(Cow::Borrowed(v)),
            Kind::Array(items) => {
                let items = items
                    .iter()
                    .map(|e| e.eval(scope).map(Cow::into_owned))
                    .collect::<Result<_, _>>()?;
                Ok(Cow::Owned(Value::Array(items)))
            }
            Kind::Call {
                func: Func::Ref(f),
                args,
            } => self.reference(*f, args, scope),
            Kind::Call {
                func: Func::Builtin(b),
                args,
            } => {
                let values = args
                    .iter()
                    .map(|e| e.eval(scope))
                    .collect::<Result<Vec<_>, _>>()?;
                let args = Args {
                    values: &values,
                    scope,
                };
                (b.f)(&args)
                    .map(Cow::Owned)
                    .map_err(|message| ExprError::Function {
                        offset: self.offset,
                        function: b.name,
                        message,
                    })
            }
            Kind::Access {
                target,
                key,
                null_safe,
            } => {
                let target = target.eval(scope)?;
                match key {
                    Key::Name(name) => access_name(target, name, *null_safe, self.offset),
                    Key::Index(i) => access_index(target, *i, *null_safe, self.offset),
                    Key::Dynamic(k) => match k.eval(scope)?.as_ref() {
                        Value::String(name) => access_name(target, name, *null_safe, self.offset),
                        Value::Number(n) if n.is_i64() => access_index(
                            target,
                            n.as_i64().unwrap_or_default(),
                            *null_safe,
                            self.offset,
                        ),
                        other => Err(ExprError::Access {
                            offset: self.offset,
                            message: format!(
                                "cannot select with {}: use a property name or an integer index",
                                type_name(other)
                            ),
                        }),
                    },
                }
            }
        }
    }

    fn reference<'a>(
        &'a self,
        f: RefFn,
        args: &'a [Expr],
        scope: &'a dyn Scope,
    ) -> Result<Cow<'a, Value>, ExprError> {
        let name = match args.first() {
            Some(e) => match e.eval(scope)? {
                Cow::Borrowed(Value::String(s)) => Cow::Borrowed(s.as_str()),
                Cow::Owned(Value::String(s)) => Cow::Owned(s),
                other => {
                    return Err(ExprError::Function {
                        offset: self.offset,
                        function: ref_name(f),
                        message: format!("expects a name (a string), got {}", type_name(&other)),
                    });
                }
            },
            None => Cow::Borrowed(""),
        };
        let err = |e: ScopeError| ExprError::Reference {
            offset: self.offset,
            message: format!("{}: {e}", ref_name(f)),
        };
        let value = match f {
            RefFn::Trigger => scope.trigger().map_err(err)?,
            RefFn::TriggerOutputs => project(scope.trigger().map_err(err)?, &["outputs"]),
            RefFn::TriggerBody => project(scope.trigger().map_err(err)?, &["outputs", "body"]),
            RefFn::Actions => scope.action(&name).map_err(err)?,
            RefFn::Outputs => project(scope.action(&name).map_err(err)?, &["outputs"]),
            RefFn::Body => project(scope.action(&name).map_err(err)?, &["outputs", "body"]),
            RefFn::Variables => scope.variable(&name).map_err(err)?,
            RefFn::Parameters => scope.parameter(&name).map_err(err)?,
            RefFn::Item => scope.item().map_err(err)?,
            RefFn::Items => scope.items(&name).map_err(err)?,
            RefFn::IterationIndexes => {
                Cow::Owned(Value::from(scope.iteration_index(&name).map_err(err)?))
            }
            RefFn::Result => scope.result(&name).map_err(err)?,
            RefFn::Workflow => scope.workflow().map_err(err)?,
            RefFn::AppSetting => scope.app_setting(&name).map_err(err)?,
        };
        Ok(value)
    }
}

fn ref_name(f: RefFn) -> &'static str {
    RefFn::ALL
        .iter()
        .find(|(g, ..)| *g == f)
        .map(|(_, n, ..)| *n)
        .unwrap_or("?")
}

/// Follows a path of properties; a missing step is null (an action without a body has
/// `body('A')` = null, as in Logic Apps).
fn project<'a>(v: Cow<'a, Value>, path: &[&str]) -> Cow<'a, Value> {
    match v {
        Cow::Borrowed(mut r) => {
            for p in path {
                r = r.get(p).unwrap_or(&Value::Null);
            }
            Cow::Borrowed(r)
        }
        Cow::Owned(mut o) => {
            for p in path {
                o = match o {
                    Value::Object(mut m) => m.remove(*p).unwrap_or(Value::Null),
                    _ => Value::Null,
                };
            }
            Cow::Owned(o)
        }
    }
}

fn access_name<'a>(
    target: Cow<'a, Value>,
    name: &str,
    null_safe: bool,
    offset: usize,
) -> Result<Cow<'a, Value>, ExprError> {
    let missing = |what: String| -> Result<Cow<'a, Value>, ExprError> {
        if null_safe {
            Ok(Cow::Owned(Value::Null))
        } else {
            Err(ExprError::Access {
                offset,
                message: what,
            })
        }
    };
    match target {
        Cow::Borrowed(Value::Object(m)) => match m.get(name) {
            Some(v) => Ok(Cow::Borrowed(v)),
            None => missing(no_property(name, m)),
        },
        Cow::Owned(Value::Object(mut m)) => match m.remove(name) {
            Some(v) => Ok(Cow::Owned(v)),
            None => missing(no_property(name, &m)),
        },
        other if other.is_null() => missing(format!(
            "cannot select the property '{name}' of null (use ?['{name}'] to allow null)"
        )),
        other => Err(ExprError::Access {
            offset,
            message: format!(
                "cannot select the property '{name}' of {}",
                type_name(&other)
            ),
        }),
    }
}

fn no_property(name: &str, m: &serde_json::Map<String, Value>) -> String {
    let mut keys: Vec<&str> = m.keys().map(String::as_str).take(10).collect();
    keys.sort_unstable();
    format!(
        "the property '{name}' does not exist (available: {}; use ?['{name}'] to allow a missing property)",
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    )
}

fn access_index<'a>(
    target: Cow<'a, Value>,
    index: i64,
    null_safe: bool,
    offset: usize,
) -> Result<Cow<'a, Value>, ExprError> {
    let len = match target.as_ref() {
        Value::Array(a) => a.len(),
        Value::Null if null_safe => return Ok(Cow::Owned(Value::Null)),
        other => {
            return Err(ExprError::Access {
                offset,
                message: format!(
                    "cannot select the element [{index}] of {}",
                    type_name(other)
                ),
            });
        }
    };
    let Some(i) = usize::try_from(index).ok().filter(|i| *i < len) else {
        if null_safe {
            return Ok(Cow::Owned(Value::Null));
        }
        return Err(ExprError::Access {
            offset,
            message: format!("the index {index} is outside the array of {len} elements"),
        });
    };
    Ok(match target {
        Cow::Borrowed(Value::Array(a)) => Cow::Borrowed(&a[i]),
        Cow::Owned(Value::Array(mut a)) => Cow::Owned(a.swap_remove(i)),
        _ => unreachable!("checked to be an array above"),
    })
}
