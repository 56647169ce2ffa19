//! The built-in functions: a table per family, looked up by name (any case) at parse time.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::eval::Scope;
use super::value::{Num, type_name};

mod collection;
mod conversion;
mod datetime;
mod format;
mod logical;
mod manipulation;
mod math;
mod string;
mod uri;

/// A built-in function: its canonical name, how many arguments it takes, and its body.
#[derive(Debug)]
pub(crate) struct Builtin {
    pub name: &'static str,
    pub min: usize,
    pub max: usize,
    pub f: fn(&Args<'_, '_>) -> Result<Value, String>,
}

impl PartialEq for Builtin {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// No upper bound on the number of arguments.
pub(crate) const MANY: usize = usize::MAX;

const TABLES: &[&[Builtin]] = &[
    string::FUNCTIONS,
    collection::FUNCTIONS,
    logical::FUNCTIONS,
    conversion::FUNCTIONS,
    math::FUNCTIONS,
    datetime::FUNCTIONS,
    manipulation::FUNCTIONS,
    uri::FUNCTIONS,
];

/// The built-in function named `name`, ignoring case.
pub(crate) fn lookup(name: &str) -> Option<&'static Builtin> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|b| b.name.eq_ignore_ascii_case(name))
}

/// The canonical names of every function the language has, built-in and reference, sorted.
pub fn function_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TABLES
        .iter()
        .flat_map(|t| t.iter().map(|b| b.name))
        .collect();
    names.extend(super::ast::RefFn::ALL.iter().map(|(_, n, ..)| *n));
    names.sort_unstable_by_key(|n| n.to_ascii_lowercase());
    names.dedup();
    names
}

/// Calls the built-in function `name` (any case) with evaluated arguments: the object form of
/// a condition (`{"equals": [a, b]}`) runs through here.
pub fn call_function(name: &str, args: &[Value], scope: &dyn Scope) -> Result<Value, String> {
    let b = lookup(name).ok_or_else(|| format!("the function `{name}` does not exist"))?;
    if args.len() < b.min || args.len() > b.max {
        return Err(format!(
            "`{}` does not take {} arguments",
            b.name,
            args.len()
        ));
    }
    let values: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
    (b.f)(&Args {
        values: &values,
        scope,
    })
    .map_err(|m| format!("`{}`: {m}", b.name))
}

/// The evaluated arguments of a call, with typed getters whose errors name the argument.
pub(crate) struct Args<'a, 'b> {
    pub values: &'b [Cow<'a, Value>],
    pub scope: &'a dyn Scope,
}

impl<'a, 'b> Args<'a, 'b> {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn get(&self, i: usize) -> &Value {
        self.values
            .get(i)
            .map(|c| c.as_ref())
            .unwrap_or(&Value::Null)
    }

    pub fn all(&self) -> impl Iterator<Item = &Value> {
        self.values.iter().map(|c| c.as_ref())
    }

    fn wrong(&self, i: usize, want: &str) -> String {
        format!(
            "argument {} must be {want}, got {}",
            i + 1,
            type_name(self.get(i))
        )
    }

    pub fn str(&self, i: usize) -> Result<&str, String> {
        self.get(i)
            .as_str()
            .ok_or_else(|| self.wrong(i, "a string"))
    }

    /// An optional trailing string argument (absent or null is `None`).
    pub fn opt_str(&self, i: usize) -> Result<Option<&str>, String> {
        match self.get(i) {
            Value::Null => Ok(None),
            _ => self.str(i).map(Some),
        }
    }

    pub fn num(&self, i: usize) -> Result<Num, String> {
        Num::of(self.get(i)).ok_or_else(|| self.wrong(i, "a number"))
    }

    /// An integer; a float with no fraction counts (JSON does not tell `2` from `2.0`).
    pub fn int(&self, i: usize) -> Result<i64, String> {
        match Num::of(self.get(i)) {
            Some(Num::Int(n)) => Ok(n),
            Some(Num::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
            _ => Err(self.wrong(i, "an integer")),
        }
    }

    pub fn bool(&self, i: usize) -> Result<bool, String> {
        self.get(i)
            .as_bool()
            .ok_or_else(|| self.wrong(i, "a boolean"))
    }

    pub fn array(&self, i: usize) -> Result<&Vec<Value>, String> {
        self.get(i)
            .as_array()
            .ok_or_else(|| self.wrong(i, "an array"))
    }

    pub fn object(&self, i: usize) -> Result<&Map<String, Value>, String> {
        self.get(i)
            .as_object()
            .ok_or_else(|| self.wrong(i, "an object"))
    }
}

/// A count argument as `usize`, refusing negatives.
pub(crate) fn count(args: &Args<'_, '_>, i: usize) -> Result<usize, String> {
    let n = args.int(i)?;
    usize::try_from(n).map_err(|_| format!("argument {} must not be negative, got {n}", i + 1))
}
