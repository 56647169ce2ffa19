//! URI parsing functions: uriHost, uriPath, uriPathAndQuery, uriPort, uriQuery, uriScheme.

use serde_json::Value;

use super::{Args, Builtin};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "uriHost",
        min: 1,
        max: 1,
        f: host,
    },
    Builtin {
        name: "uriPath",
        min: 1,
        max: 1,
        f: path,
    },
    Builtin {
        name: "uriPathAndQuery",
        min: 1,
        max: 1,
        f: path_and_query,
    },
    Builtin {
        name: "uriPort",
        min: 1,
        max: 1,
        f: port,
    },
    Builtin {
        name: "uriQuery",
        min: 1,
        max: 1,
        f: query,
    },
    Builtin {
        name: "uriScheme",
        min: 1,
        max: 1,
        f: scheme,
    },
];

fn parse(a: &Args<'_, '_>) -> Result<url::Url, String> {
    let s = a.str(0)?;
    url::Url::parse(s).map_err(|e| format!("'{s}' is not an absolute URI: {e}"))
}

fn host(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(
        parse(a)?.host_str().unwrap_or_default().to_owned(),
    ))
}

fn path(a: &Args<'_, '_>) -> Result<Value, String> {
    let u = parse(a)?;
    Ok(Value::String(if u.path().is_empty() {
        "/".into()
    } else {
        u.path().to_owned()
    }))
}

fn path_and_query(a: &Args<'_, '_>) -> Result<Value, String> {
    let u = parse(a)?;
    let p = if u.path().is_empty() { "/" } else { u.path() };
    Ok(Value::String(match u.query() {
        Some(q) => format!("{p}?{q}"),
        None => p.to_owned(),
    }))
}

/// The port, or the scheme's default port when none is written.
fn port(a: &Args<'_, '_>) -> Result<Value, String> {
    let u = parse(a)?;
    u.port_or_known_default()
        .map(Value::from)
        .ok_or_else(|| format!("the scheme '{}' has no default port", u.scheme()))
}

/// The query with its leading `?`, as the reference guide shows (`"?date=today"`).
fn query(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(
        parse(a)?
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
    ))
}

fn scheme(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(parse(a)?.scheme().to_owned()))
}
