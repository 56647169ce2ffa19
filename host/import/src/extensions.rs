//! `x-ms-*` extensions: the ones this importer maps, the ones it knows but
//! does not map (reported so nothing is lost silently), and unknown ones
//! (reported, since they are usually typos).

use serde_json::Value;

use crate::problem::{Problem, Severity, escape};
use crate::source::Source;

/// Extensions the importer maps.
const MAPPED: &[&str] = &[
    "x-ms-summary",
    "x-ms-visibility",
    "x-ms-trigger",
    "x-ms-trigger-hint",
    "x-ms-notification-url",
    "x-ms-notification-content",
];

/// Extensions of the Power Platform format that change nothing here, or
/// that are not mapped yet.
const KNOWN: &[(&str, &str)] = &[
    (
        "x-ms-dynamic-values",
        "not mapped: the property is a plain input without dynamic choices",
    ),
    (
        "x-ms-dynamic-list",
        "not mapped: the property is a plain input without dynamic choices",
    ),
    (
        "x-ms-dynamic-schema",
        "not mapped: the static schema is used",
    ),
    (
        "x-ms-dynamic-properties",
        "not mapped: the static schema is used",
    ),
    (
        "x-ms-dynamic-tree",
        "not mapped: the property is a plain input",
    ),
    (
        "x-ms-pageable",
        "not mapped: only the first page is returned",
    ),
    ("x-ms-url-encoding", ""),
    ("x-ms-connector-metadata", ""),
    ("x-ms-capabilities", ""),
    ("x-ms-api-annotation", ""),
    ("x-ms-test-value", ""),
    ("x-ms-no-generic-test", ""),
    ("x-ms-openai-data", ""),
    ("x-ms-editor", ""),
    ("x-ms-editor-options", ""),
    ("x-ms-property-name-alias", ""),
    ("x-ms-safe-operation", ""),
    ("x-ms-trigger-metadata", ""),
    ("x-ms-media-kind", ""),
    ("x-ms-enum-values", ""),
    ("x-ms-enum", ""),
    ("x-ms-explicit-only", ""),
    ("x-ms-sort", ""),
    ("x-ms-short-summary", ""),
    ("x-ms-detail", ""),
    ("x-ms-permission", ""),
    ("x-ms-content-hint", ""),
    ("x-ms-pagination", ""),
];

/// Reports every `x-ms-*` key of the document that is not mapped.
pub fn check(src: &Source, problems: &mut Vec<Problem>) {
    walk(src, &src.value, String::new(), problems, 0);
}

fn walk(src: &Source, value: &Value, at: String, problems: &mut Vec<Problem>, depth: usize) {
    if depth > 128 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, sub) in map {
                let sub_at = format!("{at}/{}", escape(key));
                if key.starts_with("x-ms-") && !MAPPED.contains(&key.as_str()) {
                    match KNOWN.iter().find(|(k, _)| k == key) {
                        Some((_, "")) => {}
                        Some((_, why)) => problems.push(src.problem(
                            Severity::Warning,
                            &sub_at,
                            format!("{key}: {why}"),
                        )),
                        None => problems.push(src.problem(
                            Severity::Warning,
                            &sub_at,
                            format!("unknown extension {key} (a typo?); ignored"),
                        )),
                    }
                }
                walk(src, sub, sub_at, problems, depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                walk(src, sub, format!("{at}/{i}"), problems, depth + 1);
            }
        }
        _ => {}
    }
}
