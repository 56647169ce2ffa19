//! Evaluation of `If` and `Until` conditions, in both WDL forms.

use serde_json::Value;

use crate::definition::Condition;
use crate::expr::{CompiledValue, Scope, call_function};

/// Evaluates a condition to a boolean; the error says where (the pointer suffix) and why.
pub(crate) fn eval(c: &Condition, state: &dyn Scope) -> Result<bool, String> {
    match c {
        Condition::Expression(t) => match t.eval(state).map_err(|e| e.to_string())?.as_ref() {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            other => Err(format!(
                "the condition must evaluate to a boolean, got {other}"
            )),
        },
        Condition::And(parts) => {
            for p in parts {
                if !eval(p, state)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(parts) => {
            for p in parts {
                if eval(p, state)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(inner) => Ok(!eval(inner, state)?),
        Condition::Compare {
            function,
            left,
            right,
        } => {
            let side = |v: &CompiledValue| {
                v.eval(state)
                    .map_err(|e| format!("operand {}: {}", e.pointer, e.error))
            };
            let args = [side(left)?, side(right)?];
            match call_function(function, &args, state)? {
                Value::Bool(b) => Ok(b),
                other => Err(format!("`{function}` gave {other}, not a boolean")),
            }
        }
    }
}
