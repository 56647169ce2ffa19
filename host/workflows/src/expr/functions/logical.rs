//! Logical comparison functions: equals, and, or, not, if, greater, less, ...

use std::cmp::Ordering;

use serde_json::Value;

use super::{Args, Builtin, MANY};
use crate::expr::value::{compare, loose_eq};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "equals",
        min: 2,
        max: 2,
        f: equals,
    },
    Builtin {
        name: "and",
        min: 1,
        max: MANY,
        f: and,
    },
    Builtin {
        name: "or",
        min: 1,
        max: MANY,
        f: or,
    },
    Builtin {
        name: "not",
        min: 1,
        max: 1,
        f: not,
    },
    Builtin {
        name: "if",
        min: 3,
        max: 3,
        f: if_,
    },
    Builtin {
        name: "greater",
        min: 2,
        max: 2,
        f: greater,
    },
    Builtin {
        name: "greaterOrEquals",
        min: 2,
        max: 2,
        f: greater_or_equals,
    },
    Builtin {
        name: "less",
        min: 2,
        max: 2,
        f: less,
    },
    Builtin {
        name: "lessOrEquals",
        min: 2,
        max: 2,
        f: less_or_equals,
    },
];

fn equals(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(loose_eq(a.get(0), a.get(1))))
}

fn and(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut all = true;
    for i in 0..a.len() {
        all &= a.bool(i)?;
    }
    Ok(Value::Bool(all))
}

fn or(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut any = false;
    for i in 0..a.len() {
        any |= a.bool(i)?;
    }
    Ok(Value::Bool(any))
}

fn not(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(!a.bool(0)?))
}

/// Both branches are evaluated before the choice (arguments are evaluated left to right, as
/// the reference guide says), so a branch that fails fails the call even when not chosen.
fn if_(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(if a.bool(0)? {
        a.get(1).clone()
    } else {
        a.get(2).clone()
    })
}

fn ord(a: &Args<'_, '_>) -> Result<Ordering, String> {
    compare(a.get(0), a.get(1))
}

fn greater(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(ord(a)? == Ordering::Greater))
}

fn greater_or_equals(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(ord(a)? != Ordering::Less))
}

fn less(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(ord(a)? == Ordering::Less))
}

fn less_or_equals(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(ord(a)? != Ordering::Greater))
}
