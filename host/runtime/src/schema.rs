//! An operation's compiled JSON Schema, and checking JSON text against it
//! without building more of a [`Value`] than the schema reads.
//!
//! A schema only looks so deep into an instance. `{"type": "object"}` reads
//! the root's type; `{"properties": {"orders": {"type": "array",
//! "minItems": 1}}}` reads the root's keys, and the type and length of
//! `orders`, and nothing inside the orders. [`reach`] works out that depth
//! from the schema once, when the connector loads; checking a body then
//! parses its text into a `Value` only that deep (deeper values are checked
//! for syntax and skipped, standing in as `null` one level down so that
//! keys and lengths stay right) and validates that. A schema whose depth
//! cannot be bounded (a `$ref` cycle, `enum` or `const` on a container,
//! a keyword this module does not know) is checked on the whole `Value`,
//! as before.
//!
//! When the shallow check fails, the text is parsed whole and validated
//! again, so that the error a connector author reads shows the real
//! instance, not the stand-ins.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::description::pointer_or_root;

/// A compiled schema and how deep into an instance it reads.
pub struct Schema {
    validator: jsonschema::Validator,
    /// Levels below the root that must be parsed for `validator` to give
    /// the answer it would give on the whole instance; `None`: all of them.
    reach: Option<usize>,
    /// For a schema that reads nothing but the root's type (`{"type":
    /// "object"}`, common for bodies): the types it allows, told from the
    /// text's first byte without parsing anything.
    root_types: Option<Vec<String>>,
}

/// Why an instance does not fit a schema: the first problem, where it is,
/// and how many there are.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// A JSON pointer to the failing part, `/` for the whole.
    pub pointer: String,
    pub message: String,
    /// How many problems the validator found in all.
    pub count: usize,
}

impl Schema {
    /// Compiles `schema`; `None` if it does not compile (the description
    /// checks report that when the connector loads).
    pub fn compile(schema: &Value) -> Option<Schema> {
        let validator = jsonschema::validator_for(schema).ok()?;
        Some(Schema {
            validator,
            reach: reach(schema),
            root_types: root_types(schema),
        })
    }

    /// How many levels below the root this schema reads; `None`: all.
    pub fn reach(&self) -> Option<usize> {
        self.reach
    }

    /// Checks a value already in memory.
    pub fn check_value(&self, instance: &Value) -> Result<(), Mismatch> {
        let mut errors = self.validator.iter_errors(instance);
        let Some(first) = errors.next() else {
            return Ok(());
        };
        Err(Mismatch {
            pointer: pointer_or_root(&first.instance_path().to_string()),
            message: first.to_string(),
            count: 1 + errors.count(),
        })
    }

    /// Checks JSON `text`, which must already be known to be JSON (a
    /// [`crate::json::Json`]): parses only as deep as the schema reads.
    pub fn check_text(&self, text: &str) -> Result<(), TextMismatch> {
        if let Some(types) = &self.root_types {
            let kind = match text.trim_start().as_bytes().first() {
                Some(b'{') => Some("object"),
                Some(b'[') => Some("array"),
                Some(b'"') => Some("string"),
                Some(b't' | b'f') => Some("boolean"),
                Some(b'n') => Some("null"),
                // A number may be an integer or not: the parse below tells.
                _ => None,
            };
            if kind.is_some_and(|kind| types.iter().any(|t| t == kind)) {
                return Ok(());
            }
        }
        let shallow = match self.reach {
            Some(reach) => {
                let mut de = serde_json::Deserializer::from_str(text);
                Shallow { left: reach + 1 }
                    .deserialize(&mut de)
                    .map_err(TextMismatch::NotJson)?
            }
            None => serde_json::from_str(text).map_err(TextMismatch::NotJson)?,
        };
        if self.validator.is_valid(&shallow) {
            return Ok(());
        }
        drop(shallow);
        // Report on the whole instance, not on the stand-ins.
        let whole: Value = serde_json::from_str(text).map_err(TextMismatch::NotJson)?;
        self.check_value(&whole).map_err(TextMismatch::Schema)
    }
}

/// Why JSON text does not fit a schema.
#[derive(Debug)]
pub enum TextMismatch {
    /// The text is not JSON after all.
    NotJson(serde_json::Error),
    Schema(Mismatch),
}

impl Mismatch {
    /// The first problem's message, with how many more there are.
    pub fn summary(&self) -> String {
        match self.count {
            0 | 1 => self.message.clone(),
            2 => format!("{} (and 1 more problem)", self.message),
            n => format!("{} (and {} more problems)", self.message, n - 1),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.pointer, self.summary())
    }
}

/// The types a schema allows if it reads nothing but the root's type
/// (`type` and annotations only); `None` otherwise. `{}` and `true` allow
/// every type.
fn root_types(schema: &Value) -> Option<Vec<String>> {
    const ALL: [&str; 7] = [
        "object", "array", "string", "boolean", "null", "number", "integer",
    ];
    let object = match schema {
        Value::Bool(true) => return Some(ALL.map(String::from).to_vec()),
        Value::Object(object) => object,
        _ => return None,
    };
    let mut types = ALL.map(String::from).to_vec();
    for (keyword, value) in object {
        match keyword.as_str() {
            "type" => {
                types = match value {
                    Value::String(t) => vec![t.clone()],
                    Value::Array(list) => list
                        .iter()
                        .map(|t| t.as_str().map(String::from))
                        .collect::<Option<_>>()?,
                    _ => return None,
                }
            }
            "$schema" | "$comment" | "title" | "description" | "default" | "examples"
            | "deprecated" | "readOnly" | "writeOnly" => {}
            k if k.starts_with("x-") => {}
            _ => return None,
        }
    }
    Some(types)
}

/// How many levels below the node it applies to `schema` reads, or `None`
/// if that cannot be bounded. A level is read if the schema looks at a node
/// there at all (its type, its length, its keys): the node's own children
/// are then parsed as stand-ins, so keys and counts stay right.
pub fn reach(schema: &Value) -> Option<usize> {
    Reach {
        root: schema,
        refs: Vec::new(),
    }
    .of(schema)
}

struct Reach<'a> {
    root: &'a Value,
    /// The `$ref`s being followed, to stop at a cycle.
    refs: Vec<&'a str>,
}

impl<'a> Reach<'a> {
    fn of(&mut self, schema: &'a Value) -> Option<usize> {
        let object = match schema {
            Value::Bool(_) => return Some(0),
            Value::Object(object) => object,
            // Not a schema: the validator did not compile it anyway.
            _ => return None,
        };
        let mut deepest = 0usize;
        for (keyword, sub) in object {
            let here = match keyword.as_str() {
                // Read the node itself, its scalar value, or its keys and
                // length: the node's level, with stand-ins for its children.
                "type" | "minLength" | "maxLength" | "pattern" | "format" | "minimum"
                | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" | "multipleOf"
                | "minItems" | "maxItems" | "minProperties" | "maxProperties" | "required"
                | "dependentRequired" | "minContains" | "maxContains" | "contentMediaType"
                | "contentEncoding" => 0,
                // Annotations, and definitions used only through `$ref`.
                "$schema" | "$comment" | "title" | "description" | "default" | "examples"
                | "deprecated" | "readOnly" | "writeOnly" | "$defs" | "definitions" => 0,
                // Subschemas applied to the same node.
                "allOf" | "anyOf" | "oneOf" => self.all(sub)?,
                "not" | "if" | "then" | "else" => self.of(sub)?,
                "dependentSchemas" => self.values(sub)?,
                // Draft 4-7: a list of keys (the node's level) or a schema.
                "dependencies" => match sub {
                    Value::Object(deps) => {
                        let mut d = 0;
                        for dep in deps.values() {
                            if !dep.is_array() {
                                d = d.max(self.of(dep)?);
                            }
                        }
                        d
                    }
                    _ => return None,
                },
                // Property names are strings the node's own level holds.
                "propertyNames" => self.of(sub)?,
                // Subschemas applied to the node's children.
                "properties" | "patternProperties" => 1 + self.values(sub)?,
                "additionalProperties"
                | "unevaluatedProperties"
                | "contains"
                | "additionalItems"
                | "unevaluatedItems" => 1 + self.of(sub)?,
                "items" | "prefixItems" => {
                    1 + match sub {
                        Value::Array(_) => self.all(sub)?,
                        _ => self.of(sub)?,
                    }
                }
                "$ref" => self.reference(sub)?,
                // Vendor extensions (`x-ms-summary`, ...) are annotations.
                k if k.starts_with("x-") => 0,
                // `enum`, `const` and `uniqueItems` compare whole subtrees;
                // `$id`, `$anchor` and dynamic references change what a
                // `$ref` means; anything else is unknown here. Read it all.
                _ => return None,
            };
            deepest = deepest.max(here);
        }
        Some(deepest)
    }

    fn all(&mut self, list: &'a Value) -> Option<usize> {
        let Value::Array(list) = list else {
            return None;
        };
        let mut d = 0;
        for s in list {
            d = d.max(self.of(s)?);
        }
        Some(d)
    }

    fn values(&mut self, map: &'a Value) -> Option<usize> {
        let Value::Object(map) = map else {
            return None;
        };
        let mut d = 0;
        for s in map.values() {
            d = d.max(self.of(s)?);
        }
        Some(d)
    }

    /// A `$ref` within the document (`#/...`), followed; a cycle or any
    /// other reference cannot be bounded.
    fn reference(&mut self, target: &'a Value) -> Option<usize> {
        let target = target.as_str()?;
        let pointer = target.strip_prefix('#')?;
        if self.refs.contains(&target) || self.refs.len() >= 32 {
            return None;
        }
        let schema = self.root.pointer(&decode_fragment(pointer)?)?;
        self.refs.push(target);
        let d = self.of(schema);
        self.refs.pop();
        d
    }
}

/// A URI fragment's percent-escapes decoded (JSON pointers in `$ref`s are
/// URI fragments). Only ASCII escapes are taken; anything else is refused.
fn decode_fragment(fragment: &str) -> Option<String> {
    if !fragment.contains('%') {
        return Some(fragment.to_string());
    }
    let bytes = fragment.as_bytes();
    let mut out = String::with_capacity(fragment.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = fragment.get(i + 1..i + 3)?;
            let byte = u8::from_str_radix(hex, 16).ok()?;
            if !byte.is_ascii() {
                return None;
            }
            out.push(byte as char);
            i += 3;
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    Some(out)
}

/// Parses a value `left` levels deep: at `left == 0` the value is checked
/// and skipped, standing in as `null`.
struct Shallow {
    left: usize,
}

impl<'de> DeserializeSeed<'de> for Shallow {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.left == 0 {
            deserializer.deserialize_ignored_any(IgnoredAny)?;
            return Ok(Value::Null);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Shallow {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Shallow {
            left: self.left - 1,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Shallow {
                left: self.left - 1,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reach_follows_the_applicators() {
        let cases = [
            (json!(true), Some(0)),
            (json!({}), Some(0)),
            (
                json!({"type": "object", "title": "x", "x-ms-summary": "y"}),
                Some(0),
            ),
            (json!({"required": ["a"], "minProperties": 2}), Some(0)),
            (json!({"properties": {"a": {"type": "string"}}}), Some(1)),
            (
                json!({"properties": {"a": {"items": {"type": "integer"}}}}),
                Some(2),
            ),
            (
                json!({"items": [{}, {"properties": {"b": false}}]}),
                Some(2),
            ),
            (
                json!({"anyOf": [{"type": "null"}, {"properties": {"a": {}}}]}),
                Some(1),
            ),
            (json!({"additionalProperties": {"type": "number"}}), Some(1)),
            (json!({"propertyNames": {"pattern": "^a"}}), Some(0)),
            (
                json!({"dependencies": {"a": ["b"], "c": {"properties": {"d": {}}}}}),
                Some(1),
            ),
            (json!({"enum": [{"a": 1}]}), None),
            (json!({"properties": {"a": {"const": [1]}}}), None),
            (json!({"uniqueItems": true}), None),
            (json!({"$id": "https://example.com/s"}), None),
            (json!({"unknownKeyword": 1}), None),
            (json!({"$ref": "https://example.com/s"}), None),
        ];
        for (schema, expected) in cases {
            assert_eq!(reach(&schema), expected, "{schema}");
        }
    }

    #[test]
    fn schemas_that_read_only_the_root_type_are_told_apart() {
        let types = |s: Value| root_types(&s);
        assert_eq!(
            types(json!({"type": "object", "x-ms-summary": "s"})),
            Some(vec!["object".into()])
        );
        assert_eq!(
            types(json!({"type": ["string", "null"]})).map(|t| t.len()),
            Some(2)
        );
        assert_eq!(types(json!({})).map(|t| t.len()), Some(7));
        assert_eq!(types(json!({"type": "object", "required": ["a"]})), None);
        assert_eq!(types(json!(false)), None);
        assert_eq!(types(json!({"type": 3})), None);
    }

    #[test]
    fn local_references_are_followed_and_cycles_read_everything() {
        let schema = json!({
            "$defs": {"order": {"properties": {"items": {"items": {"type": "object"}}}}},
            "properties": {"orders": {"items": {"$ref": "#/$defs/order"}}}
        });
        assert_eq!(reach(&schema), Some(4));
        let cyclic = json!({
            "$defs": {"node": {"properties": {"next": {"$ref": "#/$defs/node"}}}},
            "$ref": "#/$defs/node"
        });
        assert_eq!(reach(&cyclic), None);
        let escaped = json!({"$defs": {"a b": {"type": "string"}}, "$ref": "#/$defs/a%20b"});
        assert_eq!(reach(&escaped), Some(0));
        assert_eq!(reach(&json!({"$ref": "#/$defs/missing"})), None);
    }

    /// The shallow check agrees with a check of the whole instance, for
    /// every pair of these schemas and instances.
    #[test]
    fn shallow_checks_agree_with_whole_checks() {
        let schemas = [
            json!({"type": "object"}),
            json!({"type": ["array", "null"], "title": "t"}),
            json!({"type": "integer"}),
            json!({"type": "number"}),
            json!(true),
            json!({}),
            json!({"type": "array", "minItems": 2}),
            json!({"type": "object", "required": ["a", "b"], "maxProperties": 3}),
            json!({"properties": {"a": {"type": "array", "maxItems": 1}}}),
            json!({"properties": {"a": {"items": {"type": "integer"}}}}),
            json!({"properties": {"a": false}}),
            json!({"additionalProperties": {"type": ["object", "string"]}}),
            json!({"patternProperties": {"^a": {"minLength": 2}}}),
            json!({"items": {"required": ["id"]}}),
            json!({"prefixItems": [{"type": "string"}, {"type": "object"}]}),
            json!({"contains": {"type": "null"}, "minContains": 2}),
            json!({"oneOf": [{"type": "array"}, {"properties": {"a": {"type": "object"}}}]}),
            json!({"if": {"required": ["a"]}, "then": {"properties": {"a": {"items": false}}}}),
            json!({"propertyNames": {"maxLength": 1}}),
            json!({"$defs": {"n": {"type": "number"}}, "items": {"items": {"$ref": "#/$defs/n"}}}),
            json!({"enum": [{"a": [1, 2]}, [1]]}),
        ];
        let instances = [
            json!({"a": [1, 2], "b": {"c": {"d": null}}}),
            json!({"a": [1]}),
            json!({"a": [], "bb": "x", "c": null, "d": 1}),
            json!({"a": {"x": [1, {"y": 2}]}, "ab": "yy"}),
            json!({"a": [1, 2]}),
            json!([1]),
            json!([[1, 2], [3.5]]),
            json!([null, null, {"id": 1}]),
            json!(["s", {"id": "x"}]),
            json!([{"id": 1}, {"ID": 2}]),
            json!("text"),
            json!(12.5),
            json!(12),
            json!(-3),
            json!(true),
            json!(null),
            json!({}),
            json!([]),
        ];
        for schema in &schemas {
            let compiled = Schema::compile(schema).expect("the schema compiles");
            for instance in &instances {
                let whole = compiled.check_value(instance);
                let text = compiled.check_text(&instance.to_string());
                match (&whole, &text) {
                    (Ok(()), Ok(())) => {}
                    (Err(a), Err(TextMismatch::Schema(b))) => assert_eq!(a, b),
                    _ => panic!("{schema} on {instance}: whole {whole:?}, shallow {text:?}"),
                }
            }
        }
    }

    #[test]
    fn errors_show_the_real_instance_and_count_the_problems() {
        let compiled = Schema::compile(&json!({"type": "array"})).unwrap();
        assert_eq!(compiled.reach(), Some(0));
        let Err(TextMismatch::Schema(m)) = compiled.check_text(r#"{"orders": [1, 2]}"#) else {
            panic!("an object passed as an array");
        };
        assert_eq!(m.pointer, "/");
        assert!(m.message.contains("[1,2]"), "{}", m.message);
        let two = Schema::compile(&json!({"required": ["a", "b"]})).unwrap();
        let Err(TextMismatch::Schema(m)) = two.check_text("{}") else {
            panic!("missing properties passed");
        };
        assert_eq!(m.count, 2);
        assert!(m.to_string().ends_with("(and 1 more problem)"), "{m}");
    }
}
