//! What the connector tells the host about itself: the service description
//! and the operations with the JSON Schemas of their inputs and outputs.
//!
//! The schemas are the source of truth for inputs: the host validates every
//! input against them before calling the connector, and a designer builds
//! its forms from them. Keep them in step with the input structs in
//! [`crate::ops`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use connector_sdk::{Operations, Service};

use crate::ops;

/// Operation ids.
pub const JSON_SELECT: &str = "json-select";
pub const RENDER_TEMPLATE: &str = "render-template";
pub const CSV_TO_JSON: &str = "csv-to-json";
pub const HASH: &str = "hash";
pub const BASE64: &str = "base64";

/// The dialect every schema declares.
const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Curly braces, drawn in the brand colour.
const ICON_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="none" stroke="#5b6ee1" stroke-width="2" stroke-linecap="round" d="M8 3H7a2 2 0 0 0-2 2v4a2 2 0 0 1-2 2v2a2 2 0 0 1 2 2v4a2 2 0 0 0 2 2h1M16 3h1a2 2 0 0 1 2 2v4a2 2 0 0 0 2 2v2a2 2 0 0 0-2 2v4a2 2 0 0 1-2 2h-1"/></svg>"##;

/// The service description.
pub fn service() -> Service {
    Service::new("data", "Data Operations", "0.1.0")
        .description(
            "Selects parts of JSON documents, renders text templates, turns CSV into JSON, \
             hashes text and converts base64, all without leaving the sandbox.",
        )
        .brand_color("#5b6ee1")
        .icon_uri(format!(
            "data:image/svg+xml;base64,{}",
            STANDARD.encode(ICON_SVG)
        ))
}

/// Registers the operations, with their schemas and handlers.
pub fn register(ops: &mut Operations) {
    action(
        ops,
        JSON_SELECT,
        "Select from JSON",
        "Selects the part of a JSON document that a JSON Pointer (RFC 6901) names, such \
             as `/items/0/name`; the empty pointer selects the whole document. A pointer \
             that selects nothing gives `found: false`, not an error.",
        schema(
            "The operation's input.",
            json!({
                "document": {
                    "description": "Any JSON value to select from.",
                },
                "pointer": {
                    "type": "string",
                    "pattern": "^(/([^~]|~[01])*)?$",
                    "description": "A JSON Pointer: empty, or `/`-separated reference \
                                    tokens in which `~1` stands for `/` and `~0` for `~`.",
                },
            }),
            &["document", "pointer"],
        ),
        schema(
            "The operation's output.",
            json!({
                "found": {
                    "type": "boolean",
                    "description": "Whether the pointer selects a value.",
                },
                "value": {
                    "description": "The selected value; `null` when nothing was found.",
                },
            }),
            &["found", "value"],
        ),
        ops::json_select,
    );
    action(
        ops,
        RENDER_TEMPLATE,
        "Render a template",
        "Fills the `{{name}}` and `{{a.b}}` placeholders of a text from an object of \
             values; a number in a path indexes an array (`{{items.0}}`). Strings are \
             inserted as they are, `null` as nothing, other values as compact JSON.",
        schema(
            "The operation's input.",
            json!({
                "template": {
                    "type": "string",
                    "description": "The text with `{{placeholders}}`.",
                },
                "values": {
                    "type": "object",
                    "default": {},
                    "description": "The values that the placeholders name.",
                },
                "strict": {
                    "type": "boolean",
                    "default": true,
                    "description": "Whether a placeholder without a value is an error \
                                    (`missing-value`) rather than rendered as nothing.",
                },
            }),
            &["template"],
        ),
        schema(
            "The operation's output.",
            json!({
                "text": { "type": "string", "description": "The rendered text." },
            }),
            &["text"],
        ),
        ops::render_template,
    );
    action(
        ops,
        CSV_TO_JSON,
        "Convert CSV to JSON",
        "Parses CSV text (RFC 4180: quoted fields may hold delimiters, line breaks and \
             `\"\"` for a quote) into rows. With a header, each row is an object keyed by \
             column name; without, an array. Every value is a string. Blank lines are \
             skipped; a row with a different number of fields is a `ragged-row` error that \
             names its line.",
        schema(
            "The operation's input.",
            json!({
                "csv": { "type": "string", "description": "The CSV text." },
                "delimiter": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 1,
                    "default": ",",
                    "description": "The single character between fields, e.g. `;` or a tab.",
                },
                "header": {
                    "type": "boolean",
                    "default": true,
                    "description": "Whether the first row names the columns.",
                },
            }),
            &["csv"],
        ),
        schema(
            "The operation's output.",
            json!({
                "rows": {
                    "type": "array",
                    "description": "The data rows, in order, without the header.",
                    "items": {
                        "anyOf": [
                            {
                                "type": "object",
                                "additionalProperties": { "type": "string" },
                                "description": "A row keyed by column name (with a header).",
                            },
                            {
                                "type": "array",
                                "items": { "type": "string" },
                                "description": "A row of fields (without a header).",
                            },
                        ],
                    },
                },
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The number of rows.",
                },
            }),
            &["rows", "count"],
        ),
        ops::csv_to_json,
    );
    action(
        ops,
        HASH,
        "Hash text",
        "Computes the SHA-256 or SHA-512 digest of a text's UTF-8 bytes.",
        schema(
            "The operation's input.",
            json!({
                "text": { "type": "string", "description": "The text to hash." },
                "algorithm": {
                    "type": "string",
                    "enum": ["sha256", "sha512"],
                    "description": "The hash function.",
                },
                "encoding": {
                    "type": "string",
                    "enum": ["hex", "base64"],
                    "default": "hex",
                    "description": "How to write the digest: lower-case hex or base64.",
                },
            }),
            &["text", "algorithm"],
        ),
        schema(
            "The operation's output.",
            json!({
                "digest": { "type": "string", "description": "The digest, encoded." },
                "algorithm": {
                    "type": "string",
                    "enum": ["sha256", "sha512"],
                    "description": "The hash function used.",
                },
            }),
            &["digest", "algorithm"],
        ),
        ops::hash,
    );
    action(
        ops,
        BASE64,
        "Encode or decode base64",
        "Encodes a text's UTF-8 bytes as standard base64, or decodes standard base64 \
             (spaces and line breaks are ignored) that holds UTF-8 text.",
        schema(
            "The operation's input.",
            json!({
                "text": {
                    "type": "string",
                    "description": "The text to encode, or the base64 to decode.",
                },
                "direction": {
                    "type": "string",
                    "enum": ["encode", "decode"],
                    "description": "Which way to convert.",
                },
            }),
            &["text", "direction"],
        ),
        schema(
            "The operation's output.",
            json!({
                "text": {
                    "type": "string",
                    "description": "The base64, or the decoded text.",
                },
            }),
            &["text"],
        ),
        ops::base64,
    );
}

/// Registers one action with its hand-written schemas.
fn action<I, O, F>(
    ops: &mut Operations,
    id: &str,
    summary: &str,
    description: &str,
    input_schema: Value,
    output_schema: Value,
    handler: F,
) where
    I: serde::de::DeserializeOwned + 'static,
    O: connector_sdk::IntoReply + 'static,
    F: Fn(&connector_sdk::Context, I) -> connector_sdk::Result<O> + 'static,
{
    ops.action_with_schemas(id, summary, input_schema, output_schema, handler)
        .description(description);
}

/// A closed object schema: a misspelt input field is an error rather than
/// silently ignored, and the outputs promise exactly these fields.
fn schema(description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "$schema": SCHEMA_DIALECT,
        "description": description,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_json_with_the_basics() {
        let mut ops = Operations::new();
        register(&mut ops);
        for op in ops.manifests() {
            for schema in [&op.input_schema, &op.output_schema] {
                let schema: Value = serde_json::from_str(schema).unwrap();
                assert_eq!(schema["type"], "object", "{}", op.id);
                assert!(schema["properties"].is_object(), "{}", op.id);
                assert!(schema["required"].is_array(), "{}", op.id);
                assert_eq!(schema["additionalProperties"], false, "{}", op.id);
            }
        }
    }
}
