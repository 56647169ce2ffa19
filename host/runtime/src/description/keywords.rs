//! Keywords a connector's schema uses that JSON Schema does not define.
//!
//! JSON Schema ignores keywords it does not know, so a typo such as
//! `"tpye": "object"` makes a schema that accepts anything: the host's input
//! check silently shrinks, and the connector later fails on input it never
//! expected. [`unknown_keywords`] finds such keywords in every subschema and
//! suggests the keyword that was probably meant. They are warnings, not
//! problems: vendor extensions exist (`x-...` ones are never reported).

use serde_json::Value;

use super::Problem;

/// Every keyword of JSON Schema 2020-12 (core, applicator, validation,
/// meta-data, format, content, unevaluated), those of drafts 4-7 that
/// validators still read, and the few the contract's tools add.
const KNOWN: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "$defs",
    "$recursiveRef",
    "$recursiveAnchor",
    "definitions",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "prefixItems",
    "items",
    "additionalItems",
    "contains",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
    "format",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    // OpenAPI's additions to the schemas it embeds (imported connectors).
    "nullable",
    "discriminator",
    "example",
    "xml",
    "externalDocs",
];

/// Keywords whose value is one subschema.
const ONE: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
    "contentSchema",
];
/// Keywords whose value is an array of subschemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value is an object of subschemas.
const MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Subschemas looked into at most, so a huge schema costs a bounded walk.
const MAX_VISITS: usize = 10_000;

/// Appends a warning for each unknown keyword in `schema` and its
/// subschemas; `at` names the schema (`operations[x].input-schema`).
pub fn unknown_keywords(schema: &Value, at: &str, warnings: &mut Vec<Problem>) {
    let mut visits = 0;
    walk(schema, "", at, warnings, &mut visits);
}

fn walk(schema: &Value, pointer: &str, at: &str, warnings: &mut Vec<Problem>, visits: &mut usize) {
    *visits += 1;
    let Value::Object(map) = schema else { return };
    if *visits > MAX_VISITS {
        return;
    }
    for (key, value) in map {
        let here = format!("{pointer}/{}", escape(key));
        if !KNOWN.contains(&key.as_str()) && !key.starts_with("x-") {
            let hint = match suggest(key) {
                Some(known) => format!("; did you mean `{known}`?"),
                None => String::new(),
            };
            warnings.push(Problem::new(
                format!("{at} (at {here})"),
                format!(
                    "`{key}` is not a JSON Schema keyword, so it checks nothing{hint} (vendor \
                     extensions start with `x-`)"
                ),
            ));
            continue;
        }
        match key.as_str() {
            k if ONE.contains(&k) => walk(value, &here, at, warnings, visits),
            k if LIST.contains(&k) => {
                for (i, sub) in value.as_array().into_iter().flatten().enumerate() {
                    walk(sub, &format!("{here}/{i}"), at, warnings, visits);
                }
            }
            k if MAP.contains(&k) => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    walk(
                        sub,
                        &format!("{here}/{}", escape(name)),
                        at,
                        warnings,
                        visits,
                    );
                }
            }
            // `items`: one schema, or (before 2020-12) an array of them.
            "items" => match value {
                Value::Array(list) => {
                    for (i, sub) in list.iter().enumerate() {
                        walk(sub, &format!("{here}/{i}"), at, warnings, visits);
                    }
                }
                other => walk(other, &here, at, warnings, visits),
            },
            // `dependencies`: each value a schema or a list of names.
            "dependencies" => {
                for (name, sub) in value.as_object().into_iter().flatten() {
                    walk(
                        sub,
                        &format!("{here}/{}", escape(name)),
                        at,
                        warnings,
                        visits,
                    );
                }
            }
            _ => {}
        }
    }
}

/// The known keyword closest to `key`, if it is close enough to be a typo.
fn suggest(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    KNOWN
        .iter()
        .map(|k| (distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, k)| *d <= 2.min(k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Optimal string alignment distance: edits, with a swap of two neighbours
/// counting as one (`tpye` is one edit from `type`).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 2 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// A JSON Pointer token: `~` as `~0`, `/` as `~1`.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn warnings(schema: Value) -> Vec<String> {
        let mut out = Vec::new();
        unknown_keywords(&schema, "s", &mut out);
        out.into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn typos_are_found_at_any_depth_with_a_suggestion() {
        let w = warnings(json!({
            "tpye": "object",
            "properties": {
                "a": {"type": "string", "maxLenght": 3},
                "b": {"items": {"minimun": 1}},
                "c/d": {"anyOf": [{"enun": [1]}]}
            },
            "additionalProperties": {"patern": "x"}
        }));
        let want = [
            ("/tpye", "`type`"),
            ("/properties/a/maxLenght", "`maxLength`"),
            ("/properties/b/items/minimun", "`minimum`"),
            ("/properties/c~1d/anyOf/0/enun", "`enum`"),
            ("/additionalProperties/patern", "`pattern`"),
        ];
        assert_eq!(w.len(), want.len(), "{w:#?}");
        for (pointer, suggestion) in want {
            assert!(
                w.iter()
                    .any(|m| m.contains(&format!("(at {pointer})")) && m.contains(suggestion)),
                "{pointer}: {w:#?}"
            );
        }
    }

    #[test]
    fn known_keywords_extensions_and_property_names_pass() {
        let w = warnings(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "x-ms-visibility": "important",
            "properties": {"tpye": {"type": "string", "format": "date-time", "x-anything": 1}},
            "required": ["tpye"],
            "$defs": {"n": {"type": "integer", "exclusiveMinimum": 0}}
        }));
        assert!(w.is_empty(), "{w:#?}");
    }

    #[test]
    fn a_far_off_keyword_gets_no_guess() {
        let w = warnings(json!({"type": "object", "widgetColour": "red"}));
        assert_eq!(w.len(), 1);
        assert!(!w[0].contains("did you mean"), "{w:?}");
    }
}
