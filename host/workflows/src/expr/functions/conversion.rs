//! Conversion functions: int, float, string, bool, json, array, base64, data URIs, URI components.
//!
//! Binary results (`binary`, `base64ToBinary`, `dataUriToBinary`, ...) are the Logic Apps
//! content envelope `{"$content-type": .., "$content": <base64>}`, which the text functions
//! accept back.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};

use super::{Args, Builtin, MANY};
use crate::expr::value::{Num, text_of, type_name};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "int",
        min: 1,
        max: 1,
        f: int,
    },
    Builtin {
        name: "float",
        min: 1,
        max: 1,
        f: float,
    },
    Builtin {
        name: "string",
        min: 1,
        max: 1,
        f: string,
    },
    Builtin {
        name: "bool",
        min: 1,
        max: 1,
        f: bool_,
    },
    Builtin {
        name: "json",
        min: 1,
        max: 1,
        f: json_,
    },
    Builtin {
        name: "array",
        min: 1,
        max: 1,
        f: array,
    },
    Builtin {
        name: "createArray",
        min: 1,
        max: MANY,
        f: create_array,
    },
    Builtin {
        name: "isInt",
        min: 1,
        max: 1,
        f: is_int,
    },
    Builtin {
        name: "isFloat",
        min: 1,
        max: 1,
        f: is_float,
    },
    Builtin {
        name: "base64",
        min: 1,
        max: 1,
        f: base64,
    },
    Builtin {
        name: "base64ToString",
        min: 1,
        max: 1,
        f: base64_to_string,
    },
    Builtin {
        name: "decodeBase64",
        min: 1,
        max: 1,
        f: base64_to_string,
    },
    Builtin {
        name: "base64ToBinary",
        min: 1,
        max: 1,
        f: base64_to_binary,
    },
    Builtin {
        name: "binary",
        min: 1,
        max: 1,
        f: binary,
    },
    Builtin {
        name: "dataUri",
        min: 1,
        max: 1,
        f: data_uri,
    },
    Builtin {
        name: "dataUriToString",
        min: 1,
        max: 1,
        f: data_uri_to_string,
    },
    Builtin {
        name: "dataUriToBinary",
        min: 1,
        max: 1,
        f: data_uri_to_binary,
    },
    Builtin {
        name: "decodeDataUri",
        min: 1,
        max: 1,
        f: data_uri_to_binary,
    },
    Builtin {
        name: "encodeUriComponent",
        min: 1,
        max: 1,
        f: uri_component,
    },
    Builtin {
        name: "uriComponent",
        min: 1,
        max: 1,
        f: uri_component,
    },
    Builtin {
        name: "decodeUriComponent",
        min: 1,
        max: 1,
        f: uri_component_to_string,
    },
    Builtin {
        name: "uriComponentToString",
        min: 1,
        max: 1,
        f: uri_component_to_string,
    },
    Builtin {
        name: "uriComponentToBinary",
        min: 1,
        max: 1,
        f: uri_component_to_binary,
    },
];

fn int(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("'{s}' is not an integer")),
        Value::Bool(b) => Ok(Value::from(*b as i64)),
        _ => a.int(0).map(Value::from),
    }
}

fn float(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::from(f)),
            _ => Err(format!("'{s}' is not a floating-point number")),
        },
        _ => Num::Float(a.num(0)?.as_f64()).into_value(),
    }
}

fn string(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(text_of(a.get(0))))
}

/// Non-zero numbers are true; the strings `true` and `false` (any case) are what they say.
fn bool_(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::Number(_) => Ok(Value::Bool(a.num(0)?.as_f64() != 0.0)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        other => Err(format!("cannot convert {} to a boolean", describe(other))),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string '{s}'"),
        other => type_name(other).to_string(),
    }
}

fn json_(a: &Args<'_, '_>) -> Result<Value, String> {
    match a.get(0) {
        Value::String(s) => {
            serde_json::from_str(s).map_err(|e| format!("the text is not JSON: {e}"))
        }
        Value::Null => Ok(Value::Object(Default::default())),
        // Already JSON: json(body('A')) of a parsed body is that body.
        other => Ok(other.clone()),
    }
}

fn array(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Array(vec![a.get(0).clone()]))
}

fn create_array(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Array(a.all().cloned().collect()))
}

fn is_int(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(a.str(0)?.trim().parse::<i64>().is_ok()))
}

fn is_float(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::Bool(
        a.str(0)?.trim().parse::<f64>().is_ok_and(f64::is_finite),
    ))
}

/// The bytes of a text argument, or of a content envelope.
fn bytes_of(a: &Args<'_, '_>, i: usize) -> Result<Vec<u8>, String> {
    match a.get(i) {
        Value::Object(m) if m.contains_key("$content") => {
            let c = m
                .get("$content")
                .and_then(Value::as_str)
                .ok_or("`$content` must be a base64 string")?;
            STANDARD
                .decode(c)
                .map_err(|e| format!("`$content` is not base64: {e}"))
        }
        Value::String(s) => Ok(s.clone().into_bytes()),
        other => Err(format!(
            "argument {} must be a string, got {}",
            i + 1,
            type_name(other)
        )),
    }
}

fn envelope(content_type: &str, bytes: &[u8]) -> Value {
    json!({ "$content-type": content_type, "$content": STANDARD.encode(bytes) })
}

fn utf8(bytes: Vec<u8>) -> Result<Value, String> {
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "the decoded bytes are not UTF-8 text".into())
}

fn base64(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(Value::String(STANDARD.encode(bytes_of(a, 0)?)))
}

fn decode_b64(s: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(s.trim())
        .map_err(|e| format!("'{s}' is not base64: {e}"))
}

fn base64_to_string(a: &Args<'_, '_>) -> Result<Value, String> {
    utf8(decode_b64(a.str(0)?)?)
}

fn base64_to_binary(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(envelope(
        "application/octet-stream",
        &decode_b64(a.str(0)?)?,
    ))
}

fn binary(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(envelope("application/octet-stream", &bytes_of(a, 0)?))
}

fn data_uri(a: &Args<'_, '_>) -> Result<Value, String> {
    let (mime, bytes) = match a.get(0) {
        Value::Object(m) if m.contains_key("$content") => (
            m.get("$content-type")
                .and_then(Value::as_str)
                .unwrap_or("application/octet-stream")
                .to_owned(),
            bytes_of(a, 0)?,
        ),
        _ => (
            "text/plain;charset=utf-8".to_owned(),
            a.str(0)?.as_bytes().to_vec(),
        ),
    };
    Ok(Value::String(format!(
        "data:{mime};base64,{}",
        STANDARD.encode(bytes)
    )))
}

/// Splits `data:[<media type>][;base64],<data>` into the media type and the decoded bytes.
fn parse_data_uri(s: &str) -> Result<(String, Vec<u8>), String> {
    let rest = s
        .strip_prefix("data:")
        .ok_or_else(|| format!("'{s}' is not a data URI (it must start with data:)"))?;
    let (meta, data) = rest
        .split_once(',')
        .ok_or("the data URI has no `,` before its data")?;
    let (mime, b64) = match meta.strip_suffix(";base64") {
        Some(m) => (m, true),
        None => (meta, false),
    };
    let bytes = if b64 {
        decode_b64(data)?
    } else {
        percent_decode_str(data).collect()
    };
    Ok((
        if mime.is_empty() {
            "text/plain;charset=US-ASCII".into()
        } else {
            mime.to_owned()
        },
        bytes,
    ))
}

fn data_uri_to_string(a: &Args<'_, '_>) -> Result<Value, String> {
    utf8(parse_data_uri(a.str(0)?)?.1)
}

fn data_uri_to_binary(a: &Args<'_, '_>) -> Result<Value, String> {
    let (mime, bytes) = parse_data_uri(a.str(0)?)?;
    Ok(envelope(&mime, &bytes))
}

/// What .NET's `Uri.EscapeDataString` leaves alone: letters, digits and `-` `_` `.` `~`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn uri_component(a: &Args<'_, '_>) -> Result<Value, String> {
    let text = match a.get(0) {
        Value::String(s) => s.clone(),
        other if other.is_array() || other.is_object() => {
            return Err(format!(
                "argument 1 must be a string, got {}",
                type_name(other)
            ));
        }
        other => text_of(other),
    };
    Ok(Value::String(
        utf8_percent_encode(&text, COMPONENT).to_string(),
    ))
}

fn uri_component_to_string(a: &Args<'_, '_>) -> Result<Value, String> {
    utf8(percent_decode_str(a.str(0)?).collect())
}

fn uri_component_to_binary(a: &Args<'_, '_>) -> Result<Value, String> {
    Ok(envelope(
        "application/octet-stream",
        &percent_decode_str(a.str(0)?).collect::<Vec<u8>>(),
    ))
}
