//! The actions: each takes its input as a struct that mirrors the input
//! schema in [`crate::manifest`] (the helper crate parses it, and answers
//! `invalid-input` `bad-input` for an input that does not fit), computes,
//! and answers with a body that mirrors the output schema.
//!
//! Every failure of this connector is the input's fault (the computations
//! are pure), so almost everything is `invalid-input`: retrying the same
//! input would fail again, and the code tells the workflow author why.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha512};

use connector_sdk::{Context, Error, Result};

use crate::csv::{self, CsvError};
use crate::pointer;
use crate::template::{self, TemplateError};

fn yes() -> bool {
    true
}

/// Input of `json-select`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JsonSelectInput {
    document: Value,
    pointer: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct JsonSelectOutput {
    found: bool,
    /// The selected value, or `null` when nothing was found.
    value: Value,
}

/// Selects a part of a JSON document with a JSON Pointer.
pub(crate) fn json_select(_: &Context, input: JsonSelectInput) -> Result<JsonSelectOutput> {
    let selected = pointer::select(&input.document, &input.pointer)
        .map_err(|e| invalid_input("bad-pointer", e.to_string()))?;
    Ok(JsonSelectOutput {
        found: selected.is_some(),
        value: selected.cloned().unwrap_or(Value::Null),
    })
}

/// Input of `render-template`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenderTemplateInput {
    template: String,
    #[serde(default)]
    values: Map<String, Value>,
    #[serde(default = "yes")]
    strict: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct TextOutput {
    text: String,
}

/// Fills a template's `{{placeholders}}` from an object of values.
pub(crate) fn render_template(_: &Context, input: RenderTemplateInput) -> Result<TextOutput> {
    let text = template::render(&input.template, &input.values, input.strict).map_err(|e| {
        let code = match e {
            TemplateError::Missing { .. } => "missing-value",
            TemplateError::Unclosed { .. } | TemplateError::BadPlaceholder { .. } => "bad-template",
        };
        invalid_input(code, e.to_string())
    })?;
    Ok(TextOutput { text })
}

/// Input of `csv-to-json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvToJsonInput {
    csv: String,
    #[serde(default = "comma")]
    delimiter: String,
    #[serde(default = "yes")]
    header: bool,
}

fn comma() -> String {
    ",".into()
}

#[derive(Debug, Serialize)]
pub(crate) struct CsvToJsonOutput {
    /// Objects keyed by the header's names, or arrays without a header.
    rows: Vec<Value>,
    count: usize,
}

/// Turns CSV text into rows: objects keyed by the header's column names, or
/// arrays of strings when there is no header. Every value is a string: CSV
/// does not say whether `007` is a number.
pub(crate) fn csv_to_json(_: &Context, input: CsvToJsonInput) -> Result<CsvToJsonOutput> {
    let delimiter = single_delimiter(&input.delimiter)?;
    let records = csv::parse(&input.csv, delimiter).map_err(|e| {
        let code = match e {
            CsvError::UnterminatedQuote { .. } => "unterminated-quote",
            CsvError::TextAfterQuote { .. } => "bad-quote",
        };
        invalid_input(code, e.to_string())
    })?;

    // Every record must have as many fields as the first.
    if let Some(first) = records.first() {
        let width = first.fields.len();
        if let Some(ragged) = records.iter().find(|r| r.fields.len() != width) {
            return Err(invalid_input(
                "ragged-row",
                format!(
                    "line {} has {} field(s), but the first row (line {}) has {width}",
                    ragged.line,
                    ragged.fields.len(),
                    first.line
                ),
            ));
        }
    }

    let mut records = records.into_iter();
    let rows: Vec<Value> = if input.header {
        let Some(header) = records.next() else {
            return Ok(CsvToJsonOutput {
                rows: Vec::new(),
                count: 0,
            });
        };
        let mut seen = BTreeSet::new();
        if let Some(name) = header.fields.iter().find(|name| !seen.insert(*name)) {
            return Err(invalid_input(
                "duplicate-header",
                format!("the header names the column `{name}` twice"),
            ));
        }
        records
            .map(|record| {
                let row: Map<String, Value> = header
                    .fields
                    .iter()
                    .cloned()
                    .zip(record.fields.into_iter().map(Value::String))
                    .collect();
                Value::Object(row)
            })
            .collect()
    } else {
        records
            .map(|record| Value::Array(record.fields.into_iter().map(Value::String).collect()))
            .collect()
    };
    Ok(CsvToJsonOutput {
        count: rows.len(),
        rows,
    })
}

/// The delimiter must be one character, and not one that CSV itself uses.
fn single_delimiter(text: &str) -> Result<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !matches!(c, '"' | '\r' | '\n') => Ok(c),
        _ => Err(invalid_input(
            "bad-delimiter",
            format!(
                "the delimiter must be a single character other than a quote or a line \
                 break, not {text:?}"
            ),
        )),
    }
}

/// The hash functions `hash` offers.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    Sha256,
    Sha512,
}

/// How `hash` writes the digest.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum DigestEncoding {
    #[default]
    Hex,
    Base64,
}

/// Input of `hash`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HashInput {
    text: String,
    algorithm: Algorithm,
    #[serde(default)]
    encoding: DigestEncoding,
}

#[derive(Debug, Serialize)]
pub(crate) struct HashOutput {
    digest: String,
    algorithm: Algorithm,
}

/// Hashes the UTF-8 bytes of a text.
pub(crate) fn hash(_: &Context, input: HashInput) -> Result<HashOutput> {
    let bytes = input.text.as_bytes();
    let digest = match input.algorithm {
        Algorithm::Sha256 => Sha256::digest(bytes).to_vec(),
        Algorithm::Sha512 => Sha512::digest(bytes).to_vec(),
    };
    let digest = match input.encoding {
        DigestEncoding::Hex => hex::encode(digest),
        DigestEncoding::Base64 => BASE64.encode(digest),
    };
    Ok(HashOutput {
        digest,
        algorithm: input.algorithm,
    })
}

/// Which way `base64` converts.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Direction {
    Encode,
    Decode,
}

/// Input of `base64`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Base64Input {
    text: String,
    direction: Direction,
}

/// Encodes a text's UTF-8 bytes as standard base64, or decodes base64 that
/// holds UTF-8 text. Line breaks and spaces in the input to decode are
/// ignored, as e-mail and PEM files wrap base64 over lines.
pub(crate) fn base64(_: &Context, input: Base64Input) -> Result<TextOutput> {
    let text = match input.direction {
        Direction::Encode => BASE64.encode(input.text.as_bytes()),
        Direction::Decode => {
            let compact: String = input
                .text
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let bytes = BASE64
                .decode(compact.as_bytes())
                .map_err(|e| invalid_input("bad-base64", format!("the text is not base64: {e}")))?;
            String::from_utf8(bytes).map_err(|_| {
                invalid_input(
                    "not-utf8",
                    "the decoded bytes are not UTF-8 text, so they cannot be returned as a string",
                )
            })?
        }
    };
    Ok(TextOutput { text })
}

/// An `invalid-input` error: the input is wrong, and the same input fails again.
fn invalid_input(code: &str, message: impl Into<String>) -> Error {
    Error::invalid_input(code, message)
}
