//! Math functions: add, sub, mul, div, mod, min, max, range, rand.
//!
//! Integers stay integers (with overflow reported, not wrapped) until a float takes part, as
//! in the reference guide (`div(11, 5)` is `2`, `div(11, 5.0)` is `2.2`).

use serde_json::Value;

use super::{Args, Builtin, MANY, count};
use crate::expr::value::{Num, type_name};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "add",
        min: 2,
        max: 2,
        f: add,
    },
    Builtin {
        name: "sub",
        min: 2,
        max: 2,
        f: sub,
    },
    Builtin {
        name: "mul",
        min: 2,
        max: 2,
        f: mul,
    },
    Builtin {
        name: "div",
        min: 2,
        max: 2,
        f: div,
    },
    Builtin {
        name: "mod",
        min: 2,
        max: 2,
        f: modulo,
    },
    Builtin {
        name: "min",
        min: 1,
        max: MANY,
        f: min,
    },
    Builtin {
        name: "max",
        min: 1,
        max: MANY,
        f: max,
    },
    Builtin {
        name: "range",
        min: 2,
        max: 2,
        f: range,
    },
    Builtin {
        name: "rand",
        min: 2,
        max: 2,
        f: rand,
    },
];

fn arith(
    a: &Args<'_, '_>,
    int: fn(i64, i64) -> Option<i64>,
    float: fn(f64, f64) -> f64,
) -> Result<Value, String> {
    let (x, y) = (a.num(0)?, a.num(1)?);
    match (x, y) {
        (Num::Int(x), Num::Int(y)) => int(x, y)
            .map(Value::from)
            .ok_or_else(|| "the result does not fit in a 64-bit integer".into()),
        _ => Num::Float(float(x.as_f64(), y.as_f64())).into_value(),
    }
}

fn add(a: &Args<'_, '_>) -> Result<Value, String> {
    arith(a, i64::checked_add, |x, y| x + y)
}

fn sub(a: &Args<'_, '_>) -> Result<Value, String> {
    arith(a, i64::checked_sub, |x, y| x - y)
}

fn mul(a: &Args<'_, '_>) -> Result<Value, String> {
    arith(a, i64::checked_mul, |x, y| x * y)
}

fn nonzero(a: &Args<'_, '_>) -> Result<(), String> {
    if a.num(1)?.as_f64() == 0.0 {
        return Err("cannot divide by zero".into());
    }
    Ok(())
}

fn div(a: &Args<'_, '_>) -> Result<Value, String> {
    nonzero(a)?;
    arith(a, i64::checked_div, |x, y| x / y)
}

fn modulo(a: &Args<'_, '_>) -> Result<Value, String> {
    nonzero(a)?;
    arith(a, i64::checked_rem, |x, y| x % y)
}

/// The numbers of `min`/`max`: the arguments, or the elements of a single array argument.
fn numbers(a: &Args<'_, '_>) -> Result<Vec<Num>, String> {
    let items: Vec<&Value> = match (a.len(), a.get(0)) {
        (1, Value::Array(v)) => v.iter().collect(),
        _ => a.all().collect(),
    };
    if items.is_empty() {
        return Err("needs at least one number".into());
    }
    items
        .into_iter()
        .map(|v| Num::of(v).ok_or_else(|| format!("expects numbers, got {}", type_name(v))))
        .collect()
}

fn pick(a: &Args<'_, '_>, want_greater: bool) -> Result<Value, String> {
    let nums = numbers(a)?;
    let mut best = nums[0];
    for n in &nums[1..] {
        let greater = n.as_f64() > best.as_f64();
        if greater == want_greater && n.as_f64() != best.as_f64() {
            best = *n;
        }
    }
    best.into_value()
}

fn min(a: &Args<'_, '_>) -> Result<Value, String> {
    pick(a, false)
}

fn max(a: &Args<'_, '_>) -> Result<Value, String> {
    pick(a, true)
}

/// `range(start, count)`, with the reference guide's limit of 100,000 items.
fn range(a: &Args<'_, '_>) -> Result<Value, String> {
    let start = a.int(0)?;
    let n = count(a, 1)?;
    if n > 100_000 {
        return Err(format!("the count {n} is more than 100000"));
    }
    if start
        .checked_add(n as i64)
        .is_none_or(|end| end > i32::MAX as i64 + 1)
    {
        return Err("the start plus the count must not exceed 2147483647".into());
    }
    Ok(Value::Array(
        (0..n as i64).map(|i| Value::from(start + i)).collect(),
    ))
}

/// `rand(min, max)`: an integer in [min, max).
fn rand(a: &Args<'_, '_>) -> Result<Value, String> {
    let (lo, hi) = (a.int(0)?, a.int(1)?);
    if hi <= lo {
        return Err(format!(
            "the maximum {hi} must be greater than the minimum {lo}"
        ));
    }
    let span = (hi as i128 - lo as i128) as u128;
    // 122 random bits from a v4 UUID (the OS generator): the modulo bias over a 64-bit span is
    // below 2^-58.
    let r = uuid::Uuid::new_v4().as_u128() % span;
    Ok(Value::from((lo as i128 + r as i128) as i64))
}
