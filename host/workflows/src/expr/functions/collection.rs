//! Collection functions over arrays, strings and objects: length, contains, first, union, ...

use serde_json::{Map, Value};

use super::{Args, Builtin, MANY, count};
use crate::expr::value::{loose_eq, text_of, type_name};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "length",
        min: 1,
        max: 1,
        f: length,
    },
    Builtin {
        name: "contains",
        min: 2,
        max: 2,
        f: contains,
    },
    Builtin {
        name: "empty",
        min: 1,
        max: 1,
        f: empty,
    },
    Builtin {
        name: "first",
        min: 1,
        max: 1,
        f: first,
    },
    Builtin {
        name: "last",
        min: 1,
        max: 1,
        f: last,
    },
    Builtin {
        name: "join",
        min: 2,
        max: 2,
        f: join,
    },
    Builtin {
        name: "union",
        min: 1,
        max: MANY,
        f: union,
    },
    Builtin {
        name: "intersection",
        min: 1,
        max: MANY,
        f: intersection,
    },
    Builtin {
        name: "take",
        min: 2,
        max: 2,
        f: take,
    },
    Builtin {
        name: "skip",
        min: 2,
        max: 2,
        f: skip,
    },
    Builtin {
        name: "reverse",
        min: 1,
        max: 1,
        f: reverse,
    },
    Builtin {
        name: "chunk",
        min: 2,
        max: 2,
        f: chunk,
    },
    Builtin {
        name: "sort",
        min: 1,
        max: 2,
        f: sort,
    },
];

fn length(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => Ok(Value::from(s.chars().count())),
        Value::Array(v) => Ok(Value::from(v.len())),
        Value::Object(m) => Ok(Value::from(m.len())),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

/// Case-sensitive: a substring of a string, an element of an array, a key of an object.
fn contains(a: &Args<'_, '_>) -> Result<Value, String> {
    let needle = a.get(1);
    Ok(Value::Bool(match a.get(0) {
        Value::String(s) => s.contains(a.str(1)?),
        Value::Array(v) => v.iter().any(|x| loose_eq(x, needle)),
        Value::Object(m) => m.contains_key(a.str(1)?),
        Value::Null => false,
        other => {
            return Err(format!(
                "expects a string, an array or an object, got {}",
                type_name(other)
            ));
        }
    }))
}

fn empty(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(match a.get(0) {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(v) => v.is_empty(),
        Value::Object(m) => m.is_empty(),
        other => {
            return Err(format!(
                "expects a string, an array or an object, got {}",
                type_name(other)
            ));
        }
    }))
}

fn first(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => Ok(s
            .chars()
            .next()
            .map_or(Value::Null, |c| Value::String(c.to_string()))),
        Value::Array(v) => Ok(v.first().cloned().unwrap_or(Value::Null)),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

fn last(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => Ok(s
            .chars()
            .next_back()
            .map_or(Value::Null, |c| Value::String(c.to_string()))),
        Value::Array(v) => Ok(v.last().cloned().unwrap_or(Value::Null)),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

fn join(a: &Args<'_, '_>) -> Result<Value, String> {
    let items = a.array(0)?;
    let sep = a.str(1)?;
    let parts: Vec<String> = items.iter().map(text_of).collect();
    Ok(Value::String(parts.join(sep)))
}

/// All collections must be arrays, or all objects.
fn same_kind(a: &Args<'_, '_>) -> Result<bool, String> {
    let arrays = a.get(0).is_array();
    for (i, v) in a.all().enumerate() {
        if !(v.is_array() && arrays || v.is_object() && !arrays) {
            return Err(format!(
                "argument {} must be {}, got {}",
                i + 1,
                if arrays {
                    "an array like the first"
                } else {
                    "an object like the first"
                },
                type_name(v)
            ));
        }
    }
    Ok(arrays)
}

fn push_unique(out: &mut Vec<Value>, v: &Value) {
    if !out.iter().any(|x| loose_eq(x, v)) {
        out.push(v.clone());
    }
}

/// Every item once, in first-seen order; for objects, a later property wins.
fn union(a: &Args<'_, '_>) -> Result<Value, String> {
    if same_kind(a)? {
        let mut out = Vec::new();
        for v in a.all() {
            v.as_array()
                .into_iter()
                .flatten()
                .for_each(|x| push_unique(&mut out, x));
        }
        Ok(Value::Array(out))
    } else {
        let mut out = Map::new();
        for v in a.all() {
            for (k, x) in v.as_object().into_iter().flatten() {
                out.insert(k.clone(), x.clone());
            }
        }
        Ok(Value::Object(out))
    }
}

/// Items found in every collection; for objects, properties present in all (the last value wins).
fn intersection(a: &Args<'_, '_>) -> Result<Value, String> {
    let rest: Vec<&Value> = a.all().skip(1).collect();
    if same_kind(a)? {
        let mut out = Vec::new();
        for x in a.array(0)? {
            if rest.iter().all(|r| {
                r.as_array()
                    .is_some_and(|r| r.iter().any(|y| loose_eq(x, y)))
            }) {
                push_unique(&mut out, x);
            }
        }
        Ok(Value::Array(out))
    } else {
        let mut out = Map::new();
        for (k, x) in a.object(0)? {
            if rest.iter().all(|r| r.get(k).is_some()) {
                let v = rest.last().and_then(|r| r.get(k)).unwrap_or(x);
                out.insert(k.clone(), v.clone());
            }
        }
        Ok(Value::Object(out))
    }
}

fn take(a: &Args<'_, '_>) -> Result<Value, String> {
    let n = count(a, 1)?;
    match a.get(0) {
        Value::String(s) => Ok(Value::String(s.chars().take(n).collect())),
        Value::Array(v) => Ok(Value::Array(v.iter().take(n).cloned().collect())),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

fn skip(a: &Args<'_, '_>) -> Result<Value, String> {
    let n = count(a, 1)?;
    match a.get(0) {
        Value::String(s) => Ok(Value::String(s.chars().skip(n).collect())),
        Value::Array(v) => Ok(Value::Array(v.iter().skip(n).cloned().collect())),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

fn reverse(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Array(a.array(0)?.iter().rev().cloned().collect()))
}

/// `chunk(collection, size)`: a string or array cut into pieces of `size`.
fn chunk(a: &Args<'_, '_>) -> Result<Value, String> {
    let n = count(a, 1)?;
    if n == 0 {
        return Err("the chunk size must be at least 1".into());
    }
    match a.get(0) {
        Value::String(s) => {
            let cs: Vec<char> = s.chars().collect();
            Ok(Value::Array(
                cs.chunks(n)
                    .map(|c| Value::String(c.iter().collect()))
                    .collect(),
            ))
        }
        Value::Array(v) => Ok(Value::Array(
            v.chunks(n).map(|c| Value::Array(c.to_vec())).collect(),
        )),
        other => Err(format!(
            "expects a string or an array, got {}",
            type_name(other)
        )),
    }
}

/// `sort(array, key?)`: numbers and strings in ascending order; with a key, objects by that property.
fn sort(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut items = a.array(0)?.clone();
    let key = a.opt_str(1)?;
    let pick = |v: &Value| -> Value {
        match key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let keys: Vec<Value> = items.iter().map(pick).collect();
    for k in &keys {
        crate::expr::value::compare(k, &keys[0])?;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        crate::expr::value::compare(&keys[i], &keys[j]).unwrap_or(std::cmp::Ordering::Equal)
    });
    let sorted = order
        .into_iter()
        .map(|i| std::mem::take(&mut items[i]))
        .collect();
    Ok(Value::Array(sorted))
}
