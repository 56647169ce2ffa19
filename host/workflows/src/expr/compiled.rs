//! [`CompiledValue`]: a JSON value (an action's `inputs`, a condition) with every string parsed
//! as a [`Template`], so that a definition is parsed once and its inputs evaluated per run.

use serde_json::{Map, Value};

use super::error::ExprError;
use super::eval::Scope;
use super::template::Template;

/// A JSON value whose strings are templates.
#[derive(Debug, Clone, PartialEq)]
pub enum CompiledValue {
    /// A value with no string in it that holds an expression: evaluates to itself.
    Constant(Value),
    /// A string with an expression.
    Template(Template),
    /// An array with an expression somewhere inside.
    Array(Vec<CompiledValue>),
    /// An object with an expression somewhere inside (keys are not expressions).
    Object(Vec<(String, CompiledValue)>),
}

/// A problem found while compiling: the JSON pointer (relative to the compiled value) of the
/// string, and the parse error within that string.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// JSON pointer of the string value, e.g. `/parameters/path`.
    pub pointer: String,
    /// What is wrong, with the offset inside the string.
    pub error: ExprError,
}

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl CompiledValue {
    /// Compiles `value`, collecting every expression that does not parse (not only the first).
    pub fn compile(value: &Value) -> Result<CompiledValue, Vec<CompileError>> {
        let mut errors = Vec::new();
        let compiled = compile_at(value, &mut String::new(), &mut errors);
        if errors.is_empty() {
            Ok(compiled)
        } else {
            Err(errors)
        }
    }

    /// Every parsed template inside, with its JSON pointer.
    pub fn templates(&self) -> Vec<(String, &Template)> {
        let mut out = Vec::new();
        collect(self, &mut String::new(), &mut out);
        out
    }

    /// Evaluates to a plain JSON value. The error names the pointer of the failing string.
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, CompileError> {
        eval_at(self, scope, &mut String::new())
    }
}

fn compile_at(
    value: &Value,
    pointer: &mut String,
    errors: &mut Vec<CompileError>,
) -> CompiledValue {
    match value {
        Value::String(s) => match Template::parse(s) {
            Ok(Template::Literal(lit)) if lit == *s => CompiledValue::Constant(value.clone()),
            Ok(t) => CompiledValue::Template(t),
            Err(error) => {
                errors.push(CompileError {
                    pointer: pointer.clone(),
                    error,
                });
                CompiledValue::Constant(value.clone())
            }
        },
        Value::Array(items) => {
            let parts: Vec<CompiledValue> = items
                .iter()
                .enumerate()
                .map(|(i, v)| with_token(pointer, &i.to_string(), |p| compile_at(v, p, errors)))
                .collect();
            if parts
                .iter()
                .all(|p| matches!(p, CompiledValue::Constant(_)))
            {
                CompiledValue::Constant(value.clone())
            } else {
                CompiledValue::Array(parts)
            }
        }
        Value::Object(map) => {
            let parts: Vec<(String, CompiledValue)> = map
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        with_token(pointer, &pointer_token(k), |p| compile_at(v, p, errors)),
                    )
                })
                .collect();
            if parts
                .iter()
                .all(|(_, p)| matches!(p, CompiledValue::Constant(_)))
            {
                CompiledValue::Constant(value.clone())
            } else {
                CompiledValue::Object(parts)
            }
        }
        other => CompiledValue::Constant(other.clone()),
    }
}

fn with_token<T>(pointer: &mut String, token: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = pointer.len();
    pointer.push('/');
    pointer.push_str(token);
    let out = f(pointer);
    pointer.truncate(len);
    out
}

fn collect<'a>(v: &'a CompiledValue, pointer: &mut String, out: &mut Vec<(String, &'a Template)>) {
    match v {
        CompiledValue::Constant(_) => {}
        CompiledValue::Template(t) => out.push((pointer.clone(), t)),
        CompiledValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                with_token(pointer, &i.to_string(), |p| collect(item, p, out));
            }
        }
        CompiledValue::Object(props) => {
            for (k, item) in props {
                with_token(pointer, &pointer_token(k), |p| collect(item, p, out));
            }
        }
    }
}

fn eval_at(
    v: &CompiledValue,
    scope: &dyn Scope,
    pointer: &mut String,
) -> Result<Value, CompileError> {
    Ok(match v {
        CompiledValue::Constant(c) => c.clone(),
        CompiledValue::Template(t) => t
            .eval(scope)
            .map_err(|error| CompileError {
                pointer: pointer.clone(),
                error,
            })?
            .into_owned(),
        CompiledValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(with_token(pointer, &i.to_string(), |p| {
                    eval_at(item, scope, p)
                })?);
            }
            Value::Array(out)
        }
        CompiledValue::Object(props) => {
            let mut out = Map::new();
            for (k, item) in props {
                out.insert(
                    k.clone(),
                    with_token(pointer, &pointer_token(k), |p| eval_at(item, scope, p))?,
                );
            }
            Value::Object(out)
        }
    })
}
