//! String functions: concat, substring, replace, split, indexOf, ...

use serde_json::Value;

use super::{Args, Builtin, MANY, count};
use crate::expr::value::{text_of, type_name};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "concat",
        min: 1,
        max: MANY,
        f: concat,
    },
    Builtin {
        name: "substring",
        min: 2,
        max: 3,
        f: substring,
    },
    Builtin {
        name: "slice",
        min: 2,
        max: 3,
        f: slice,
    },
    Builtin {
        name: "replace",
        min: 3,
        max: 3,
        f: replace,
    },
    Builtin {
        name: "split",
        min: 2,
        max: 2,
        f: split,
    },
    Builtin {
        name: "toLower",
        min: 1,
        max: 1,
        f: to_lower,
    },
    Builtin {
        name: "toUpper",
        min: 1,
        max: 1,
        f: to_upper,
    },
    Builtin {
        name: "trim",
        min: 1,
        max: 1,
        f: trim,
    },
    Builtin {
        name: "indexOf",
        min: 2,
        max: 2,
        f: index_of,
    },
    Builtin {
        name: "lastIndexOf",
        min: 2,
        max: 2,
        f: last_index_of,
    },
    Builtin {
        name: "nthIndexOf",
        min: 3,
        max: 3,
        f: nth_index_of,
    },
    Builtin {
        name: "startsWith",
        min: 2,
        max: 2,
        f: starts_with,
    },
    Builtin {
        name: "endsWith",
        min: 2,
        max: 2,
        f: ends_with,
    },
    Builtin {
        name: "guid",
        min: 0,
        max: 1,
        f: guid,
    },
];

/// Joins the text forms of its arguments (numbers and booleans are converted, as Logic Apps does).
fn concat(a: &Args<'_, '_>) -> Result<Value, String> {
    let mut out = String::new();
    for v in a.all() {
        if v.is_array() || v.is_object() {
            return Err(format!("expects strings, got {}", type_name(v)));
        }
        out.push_str(&text_of(v));
    }
    Ok(Value::String(out))
}

/// Indexes count characters, as .NET counts them in the common (BMP) case.
fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn substring(a: &Args<'_, '_>) -> Result<Value, String> {
    let s = chars(a.str(0)?);
    let start = count(a, 1)?;
    if start > s.len() {
        return Err(format!(
            "the start index {start} is past the end of the string ({} characters)",
            s.len()
        ));
    }
    let len = if a.len() > 2 {
        count(a, 2)?
    } else {
        s.len() - start
    };
    if start + len > s.len() {
        return Err(format!(
            "the start index {start} plus the length {len} is past the end of the string ({} characters)",
            s.len()
        ));
    }
    Ok(Value::String(s[start..start + len].iter().collect()))
}

/// `slice(text, start, end?)`: negative indexes count from the end; out-of-range indexes clamp.
fn slice(a: &Args<'_, '_>) -> Result<Value, String> {
    let s = chars(a.str(0)?);
    let n = s.len() as i64;
    let clamp = |i: i64| if i < 0 { (n + i).max(0) } else { i.min(n) } as usize;
    let start = clamp(a.int(1)?);
    let end = if a.len() > 2 {
        clamp(a.int(2)?)
    } else {
        s.len()
    };
    Ok(Value::String(if start < end {
        s[start..end].iter().collect()
    } else {
        String::new()
    }))
}

fn replace(a: &Args<'_, '_>) -> Result<Value, String> {
    let (s, old, new) = (a.str(0)?, a.str(1)?, a.str(2)?);
    if old.is_empty() {
        return Err("the text to replace must not be empty".into());
    }
    Ok(Value::String(s.replace(old, new)))
}

fn split(a: &Args<'_, '_>) -> Result<Value, String> {
    let (s, d) = (a.str(0)?, a.str(1)?);
    if d.is_empty() {
        return Ok(Value::Array(vec![Value::String(s.to_owned())]));
    }
    Ok(Value::Array(
        s.split(d).map(|p| Value::String(p.to_owned())).collect(),
    ))
}

fn to_lower(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.to_lowercase()))
}

fn to_upper(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.to_uppercase()))
}

fn trim(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.trim().to_owned()))
}

/// Characters folded for the case-insensitive searches (indexOf, startsWith, endsWith), one
/// char per char so that positions stay positions in the original.
fn folded(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

fn find_all(hay: &[char], needle: &[char]) -> Vec<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - needle.len())
        .filter(|&i| hay[i..i + needle.len()] == *needle)
        .collect()
}

fn index_of(a: &Args<'_, '_>) -> Result<Value, String> {
    let (hay, needle) = (folded(a.str(0)?), folded(a.str(1)?));
    if needle.is_empty() {
        return Ok(Value::from(0));
    }
    Ok(Value::from(
        find_all(&hay, &needle).first().map_or(-1, |&i| i as i64),
    ))
}

/// The empty-string cases follow the reference guide: empty text gives -1, both empty 0, an
/// empty search text the text's length minus one.
fn last_index_of(a: &Args<'_, '_>) -> Result<Value, String> {
    let (hay, needle) = (folded(a.str(0)?), folded(a.str(1)?));
    let r = match (hay.is_empty(), needle.is_empty()) {
        (true, true) => 0,
        (true, false) => -1,
        (false, true) => hay.len() as i64 - 1,
        (false, false) => find_all(&hay, &needle).last().map_or(-1, |&i| i as i64),
    };
    Ok(Value::from(r))
}

/// `nthIndexOf(text, search, n)`: the n-th occurrence (1-based); a negative n counts from the end.
fn nth_index_of(a: &Args<'_, '_>) -> Result<Value, String> {
    let (hay, needle, n) = (folded(a.str(0)?), folded(a.str(1)?), a.int(2)?);
    if n == 0 {
        return Err("the occurrence number must not be 0".into());
    }
    let found = find_all(&hay, &needle);
    let pick = if n > 0 {
        found.get(n as usize - 1)
    } else {
        found
            .len()
            .checked_sub(n.unsigned_abs() as usize)
            .and_then(|i| found.get(i))
    };
    Ok(Value::from(pick.map_or(-1, |&i| i as i64)))
}

fn starts_with(a: &Args<'_, '_>) -> Result<Value, String> {
    let (hay, needle) = (folded(a.str(0)?), folded(a.str(1)?));
    Ok(Value::Bool(hay.starts_with(&needle)))
}

fn ends_with(a: &Args<'_, '_>) -> Result<Value, String> {
    let (hay, needle) = (folded(a.str(0)?), folded(a.str(1)?));
    Ok(Value::Bool(hay.ends_with(&needle)))
}

/// `guid(format?)` in the .NET formats: N (32 digits), D (hyphens, the default), B (braces),
/// P (parentheses), X (hexadecimal groups in braces).
fn guid(a: &Args<'_, '_>) -> Result<Value, String> {
    let id = uuid::Uuid::new_v4();
    let d = id.hyphenated().to_string();
    let text = match a.opt_str(0)?.unwrap_or("D") {
        "N" | "n" => id.simple().to_string(),
        "D" | "d" => d,
        "B" | "b" => format!("{{{d}}}"),
        "P" | "p" => format!("({d})"),
        "X" | "x" => {
            let b = id.as_bytes();
            let tail: Vec<String> = b[8..].iter().map(|x| format!("0x{x:02x}")).collect();
            format!(
                "{{0x{:08x},0x{:04x},0x{:04x},{{{}}}}}",
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                u16::from_be_bytes([b[4], b[5]]),
                u16::from_be_bytes([b[6], b[7]]),
                tail.join(",")
            )
        }
        other => {
            return Err(format!(
                "unknown GUID format '{other}' (use N, D, B, P or X)"
            ));
        }
    };
    Ok(Value::String(text))
}
