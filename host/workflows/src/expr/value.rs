//! How expressions see JSON values: type names, numbers, text, equality and order.

use std::cmp::Ordering;

use serde_json::Value;

/// A JSON number as the functions compute with it: integers stay integers until a float joins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    pub fn of(v: &Value) -> Option<Num> {
        let n = v.as_number()?;
        Some(match n.as_i64() {
            Some(i) => Num::Int(i),
            None => Num::Float(n.as_f64()?),
        })
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    pub fn into_value(self) -> Result<Value, String> {
        match self {
            Num::Int(i) => Ok(Value::from(i)),
            Num::Float(f) if f.is_finite() => Ok(Value::from(f)),
            Num::Float(_) => Err("the result is not a finite number".into()),
        }
    }
}

/// The name of a value's type, as error messages say it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Appends the text form of a value: what `string()` returns and `@{...}` inserts.
///
/// Strings are inserted as they are, null as nothing, booleans as `True`/`False` (the .NET
/// form Logic Apps produces), whole floats without a fraction (`3`, as .NET prints them), and
/// arrays and objects as compact JSON.
pub(crate) fn to_text(v: &Value, out: &mut String) {
    match v {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::Array(_) | Value::Object(_) => out.push_str(&v.to_string()),
    }
}

/// The text of a number: integers as written, floats in their shortest form, whole ones bare.
pub(crate) fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => n.to_string(),
    }
}

/// The text form as an owned string.
pub(crate) fn text_of(v: &Value) -> String {
    let mut s = String::new();
    to_text(v, &mut s);
    s
}

/// Equality as `equals()` decides it: numbers by value (`1` = `1.0`), a boolean equal to the
/// number 1 or 0 (the reference guide's `equals(true, 1)` is true), null equal to the empty
/// string (logical functions read null as `""`), arrays and objects element by element.
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => {
            let (x, y) = (Num::of(a), Num::of(b));
            match (x, y) {
                (Some(Num::Int(x)), Some(Num::Int(y))) => x == y,
                (Some(x), Some(y)) => x.as_f64() == y.as_f64(),
                _ => false,
            }
        }
        (Value::Bool(x), Value::Number(_)) | (Value::Number(_), Value::Bool(x)) => {
            let n = Num::of(if a.is_number() { a } else { b }).map(Num::as_f64);
            n == Some(if *x { 1.0 } else { 0.0 })
        }
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| loose_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Order for `greater`, `less` and friends: numbers with numbers, strings with strings
/// (ordinal), null read as the empty string. Anything else cannot be compared.
pub(crate) fn compare(a: &Value, b: &Value) -> Result<Ordering, String> {
    static EMPTY: Value = Value::String(String::new());
    let a = if a.is_null() { &EMPTY } else { a };
    let b = if b.is_null() { &EMPTY } else { b };
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => {
            let (x, y) = (Num::of(a).expect("number"), Num::of(b).expect("number"));
            match (x, y) {
                (Num::Int(x), Num::Int(y)) => Ok(x.cmp(&y)),
                _ => x
                    .as_f64()
                    .partial_cmp(&y.as_f64())
                    .ok_or_else(|| "cannot order NaN".to_string()),
            }
        }
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        _ => Err(format!(
            "cannot compare {} with {}",
            type_name(a),
            type_name(b)
        )),
    }
}
