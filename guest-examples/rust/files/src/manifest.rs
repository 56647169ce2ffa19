//! What the connector tells the host about itself: the service description
//! and the operations with the JSON Schemas of their inputs and outputs.
//!
//! The schemas are the source of truth for inputs: the host validates every
//! input against them before calling the connector, and a designer builds
//! its forms from them. Keep them in step with the input structs in
//! [`crate::ops`] and [`crate::trigger`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use connector_sdk::{ItemMode, OperationBuilder, Operations, Parameter, Service, Visibility};

use crate::ops;
use crate::paths::{DEFAULT_ROOT, ROOT_PARAMETER};
use crate::trigger::{self, MAX_ITEMS_DEFAULT, MAX_ITEMS_LIMIT};

/// Operation ids.
pub const LIST_FILES: &str = "list-files";
pub const READ_FILE: &str = "read-file";
pub const WRITE_FILE: &str = "write-file";
pub const DELETE_FILE: &str = "delete-file";
pub const FILE_ADDED_OR_CHANGED: &str = "file-added-or-changed";

/// The dialect every schema declares.
const SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// A folder, drawn in the brand colour.
const ICON_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#e8a33d" d="M2 6a2 2 0 0 1 2-2h5l2 2h9a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2z"/></svg>"##;

/// The service description.
pub fn service() -> Service {
    Service::new("files", "Files", "0.1.0")
        .description(
            "Lists, reads, writes and deletes files in a directory that the operator grants, \
             and triggers when a file is added or changed there.",
        )
        .brand_color("#e8a33d")
        .icon_uri(format!(
            "data:image/svg+xml;base64,{}",
            BASE64.encode(ICON_SVG)
        ))
        .parameter(
            Parameter::text(ROOT_PARAMETER, "Root directory")
                .description(
                    "The directory inside the sandbox that the connector works in; every path \
                     is relative to it. The operator must grant it.",
                )
                .default_value(DEFAULT_ROOT),
        )
        .directory(
            DEFAULT_ROOT,
            "The files the connector lists, reads, writes and deletes.",
            true,
        )
}

/// Registers the operations, with their schemas and handlers.
pub fn register(ops: &mut Operations) {
    action(
        ops,
        LIST_FILES,
        "List files",
        "Lists the entries of a folder (or, with `recursive`, of the whole tree below it), \
             sorted by path. Paths in the output are relative to the root.",
        input_schema(
            json!({
                "path": folder_property(),
                "recursive": {
                    "type": "boolean",
                    "default": false,
                    "description": "Whether to list the subfolders' contents too.",
                },
            }),
            &[],
        ),
        output_schema(
            json!({
                "files": {
                    "type": "array",
                    "description": "The entries, sorted by path.",
                    "items": closed_object(
                        json!({
                            "path": {
                                "type": "string",
                                "description": "Path of the entry, relative to the root.",
                            },
                            "size": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "Size in bytes; 0 for a folder.",
                            },
                            "modified": modified_property(),
                            "is_dir": {
                                "type": "boolean",
                                "description": "Whether the entry is a folder.",
                            },
                        }),
                        &["path", "size", "modified", "is_dir"],
                    ),
                },
            }),
            &["files"],
        ),
        ops::list_files,
    );
    action(
        ops,
        READ_FILE,
        "Read a file",
        "Reads a whole file, as UTF-8 text or as base64. Fails with `file-not-found` if \
             the file does not exist and `not-utf8` if text is asked for but the file is not \
             UTF-8.",
        input_schema(
            json!({
                "path": file_property("The file to read, relative to the root."),
                "encoding": encoding_property(
                    "How to return the content: `utf8` text or `base64` bytes."
                ),
            }),
            &["path"],
        ),
        output_schema(
            json!({
                "path": path_out_property(),
                "content": {
                    "type": "string",
                    "description": "The file's content, in the requested encoding.",
                },
                "size": size_property(),
            }),
            &["path", "content", "size"],
        ),
        ops::read_file,
    )
    // A designer offers the granted directory's files for `path`.
    .dynamic_values("path", &[], ops::file_choices);
    action(
        ops,
        WRITE_FILE,
        "Write a file",
        "Writes a whole file, creating its folders. Answers 201 when it created the file \
             and 200 when it replaced one; with `overwrite` false an existing file is a \
             `file-exists` conflict.",
        input_schema(
            json!({
                "path": file_property("The file to write, relative to the root."),
                "content": {
                    "type": "string",
                    "description": "The content to write, in `encoding`.",
                },
                "encoding": encoding_property(
                    "How `content` is given: `utf8` text or `base64` bytes."
                ),
                "overwrite": {
                    "type": "boolean",
                    "default": true,
                    "description": "Whether to replace a file that already exists.",
                },
            }),
            &["path", "content"],
        ),
        output_schema(
            json!({
                "path": path_out_property(),
                "size": size_property(),
            }),
            &["path", "size"],
        ),
        ops::write_file,
    );
    action(
        ops,
        DELETE_FILE,
        "Delete a file",
        "Deletes one file (not a folder). Fails with `file-not-found` if it does not exist.",
        input_schema(
            json!({ "path": file_property("The file to delete, relative to the root.") }),
            &["path"],
        ),
        output_schema(
            json!({
                "path": path_out_property(),
                "deleted": {
                    "const": true,
                    "description": "Always true: a failure is an error, not a body.",
                },
            }),
            &["path", "deleted"],
        ),
        ops::delete_file,
    )
    .visibility(Visibility::Advanced)
    .dynamic_values("path", &[], ops::file_choices);
    ops.polling_trigger_with_schemas(
        FILE_ADDED_OR_CHANGED,
        "When a file is added or changed",
        input_schema(
            json!({
                "path": folder_property(),
                "max_items": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ITEMS_LIMIT,
                    "default": MAX_ITEMS_DEFAULT,
                    "description": "At most this many files per poll; the rest come in \
                                    the next poll, which is asked for at once.",
                },
            }),
            &[],
        ),
        output_schema(
            json!({
                "path": path_out_property(),
                "size": size_property(),
                "modified": modified_property(),
                "change": {
                    "type": "string",
                    "enum": ["added", "changed"],
                    "description": "`added` for a file not delivered before, `changed` \
                                    for a new version of one that was.",
                },
            }),
            &["path", "size", "modified", "change"],
        ),
        trigger::poll,
    )
    .description(
        "Fires once per regular file directly inside the folder (subfolders are not \
         watched) that is new or whose modification time or size changed since it was last \
         delivered, oldest first. On the first poll every existing file counts as added.",
    )
    .visibility(Visibility::Important)
    .every_seconds(30)
    .item_mode(ItemMode::Split);
}

/// Registers one action with its hand-written schemas (visibility:
/// important, unless the caller says otherwise).
fn action<'a, I, O, F>(
    ops: &'a mut Operations,
    id: &str,
    summary: &str,
    description: &str,
    input_schema: Value,
    output_schema: Value,
    handler: F,
) -> OperationBuilder<'a>
where
    I: serde::de::DeserializeOwned + 'static,
    O: connector_sdk::IntoReply + 'static,
    F: Fn(&connector_sdk::Context, I) -> connector_sdk::Result<O> + 'static,
{
    ops.action_with_schemas(id, summary, input_schema, output_schema, handler)
        .description(description)
}

/// An object schema that allows exactly `properties`.
fn closed_object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The schema of an operation's input: closed, so that a misspelt field is
/// an error rather than silently ignored.
fn input_schema(properties: Value, required: &[&str]) -> Value {
    let mut schema = closed_object(properties, required);
    schema["$schema"] = SCHEMA_DIALECT.into();
    schema["description"] = "The operation's input.".into();
    schema
}

/// The schema of an operation's output body (or a trigger item's body).
fn output_schema(properties: Value, required: &[&str]) -> Value {
    let mut schema = closed_object(properties, required);
    schema["$schema"] = SCHEMA_DIALECT.into();
    schema["description"] = "The operation's output.".into();
    schema
}

fn folder_property() -> Value {
    json!({
        "type": "string",
        "default": ".",
        "description": "The folder, relative to the root; `.` is the root itself. Absolute \
                        paths and `..` are refused.",
    })
}

fn file_property(description: &str) -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "description": format!("{description} Absolute paths and `..` are refused."),
    })
}

fn encoding_property(description: &str) -> Value {
    json!({
        "type": "string",
        "enum": ["utf8", "base64"],
        "default": "utf8",
        "description": description,
    })
}

fn path_out_property() -> Value {
    json!({
        "type": "string",
        "description": "The file's path, relative to the root, normalized.",
    })
}

fn size_property() -> Value {
    json!({
        "type": "integer",
        "minimum": 0,
        "description": "Size of the file in bytes.",
    })
}

fn modified_property() -> Value {
    json!({
        "type": "integer",
        "description": "Time of last modification, in seconds since the Unix epoch.",
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

    #[test]
    fn the_file_paths_offer_dynamic_values() {
        let mut ops = Operations::new();
        register(&mut ops);
        for op in ops.manifests() {
            let schema: Value = serde_json::from_str(&op.input_schema).unwrap();
            let dynamic = schema["properties"]["path"].get(connector_sdk::DYNAMIC_VALUES_KEYWORD);
            let expected = [READ_FILE, DELETE_FILE].contains(&op.id.as_str());
            assert_eq!(dynamic.is_some(), expected, "{}", op.id);
        }
    }
}
