//! Bounding the work a guest's JSON Schema can make the host do.
//!
//! A schema is small text, but `$ref` lets it reuse parts of itself: 30
//! levels of `allOf` with two references each to the level below is 2 KB
//! that expands to 2^30 subschemas, and compiling or checking it does not
//! end. Before a schema is compiled, its size as expanded through local
//! references is counted here (each reference target counted once and
//! memoised, so the count itself is linear) and its nesting bounded; a schema
//! past either bound is a problem of the description, with a clear error.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// Deepest nesting of a schema's objects and arrays.
pub const MAX_SCHEMA_DEPTH: usize = 64;
/// Most subschemas a schema may stand for once its `$ref`s are expanded.
pub const MAX_SCHEMA_EXPANSION: u64 = 100_000;

/// Checks `schema` against both bounds; the error says which and where.
pub fn check(schema: &Value) -> Result<(), String> {
    let mut walk = Walk {
        root: schema,
        memo: HashMap::new(),
        visiting: HashSet::new(),
    };
    let size = walk.size(schema, 0, "")?;
    if size > MAX_SCHEMA_EXPANSION {
        return Err(format!(
            "expands through $ref to more than {MAX_SCHEMA_EXPANSION} subschemas; \
             the host does not compile a schema that large"
        ));
    }
    Ok(())
}

struct Walk<'a> {
    root: &'a Value,
    /// Expanded sizes of reference targets, by JSON pointer.
    memo: HashMap<String, u64>,
    /// Targets being expanded now: a reference back to one is recursion,
    /// which a validator follows only as deep as the data, so it counts 1.
    visiting: HashSet<String>,
}

impl Walk<'_> {
    fn size(&mut self, node: &Value, depth: usize, at: &str) -> Result<u64, String> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(format!(
                "is nested more than {MAX_SCHEMA_DEPTH} levels deep (at {at})"
            ));
        }
        let mut total: u64 = 1;
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    total = total.saturating_add(self.size(value, depth + 1, &here)?);
                    if key == "$ref"
                        && let Some(target) = value.as_str().and_then(|r| r.strip_prefix('#'))
                    {
                        total = total.saturating_add(self.target(target, depth)?);
                    }
                    if total > MAX_SCHEMA_EXPANSION {
                        return Ok(total);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    total =
                        total.saturating_add(self.size(item, depth + 1, &format!("{at}/{i}"))?);
                    if total > MAX_SCHEMA_EXPANSION {
                        return Ok(total);
                    }
                }
            }
            _ => {}
        }
        Ok(total)
    }

    fn target(&mut self, pointer: &str, depth: usize) -> Result<u64, String> {
        if let Some(&size) = self.memo.get(pointer) {
            return Ok(size);
        }
        if !self.visiting.insert(pointer.to_string()) {
            return Ok(1);
        }
        let root = self.root;
        let size = match root.pointer(pointer) {
            Some(target) => self.size(target, depth + 1, pointer)?,
            // A reference the validator cannot resolve fails it anyway.
            None => 1,
        };
        self.visiting.remove(pointer);
        self.memo.insert(pointer.to_string(), size);
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `levels` levels of `allOf`, each referring twice to the level below.
    fn doubling(levels: usize) -> Value {
        let mut defs = serde_json::Map::new();
        defs.insert("l0".into(), json!({"type": "string"}));
        for i in 1..=levels {
            let below = format!("#/$defs/l{}", i - 1);
            defs.insert(
                format!("l{i}"),
                json!({"allOf": [{"$ref": below}, {"$ref": below}]}),
            );
        }
        json!({"$defs": defs, "$ref": format!("#/$defs/l{levels}")})
    }

    #[test]
    fn a_doubling_schema_is_refused_and_small_ones_pass() {
        assert!(check(&doubling(8)).is_ok());
        let err = check(&doubling(30)).unwrap_err();
        assert!(err.contains("expands through $ref"), "{err}");
        let recursive = json!({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"});
        assert!(check(&recursive).is_ok());
        assert!(check(&json!({"type": "object"})).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut deep = json!({"type": "string"});
        for _ in 0..70 {
            deep = json!({"items": deep});
        }
        assert!(check(&deep).unwrap_err().contains("nested more than"));
    }
}
