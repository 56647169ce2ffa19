//! JSON manipulation: coalesce, addProperty, setProperty, removeProperty.

use serde_json::Value;

use super::{Args, Builtin, MANY};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "coalesce",
        min: 1,
        max: MANY,
        f: coalesce,
    },
    Builtin {
        name: "addProperty",
        min: 3,
        max: 3,
        f: add_property,
    },
    Builtin {
        name: "setProperty",
        min: 3,
        max: 3,
        f: set_property,
    },
    Builtin {
        name: "removeProperty",
        min: 2,
        max: 2,
        f: remove_property,
    },
];

fn coalesce(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(a.all()
        .find(|v| !v.is_null())
        .cloned()
        .unwrap_or(Value::Null))
}

fn add_property(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut obj = a.object(0)?.clone();
    let name = a.str(1)?;
    if obj.contains_key(name) {
        return Err(format!(
            "the property '{name}' already exists (use setProperty to change it)"
        ));
    }
    obj.insert(name.to_owned(), a.get(2).clone());
    Ok(Value::Object(obj))
}

fn set_property(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut obj = a.object(0)?.clone();
    obj.insert(a.str(1)?.to_owned(), a.get(2).clone());
    Ok(Value::Object(obj))
}

fn remove_property(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut obj = a.object(0)?.clone();
    obj.remove(a.str(1)?);
    Ok(Value::Object(obj))
}
