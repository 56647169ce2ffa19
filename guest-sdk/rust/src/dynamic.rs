//! Dynamic values: the choices a designer offers for one input property
//! (the projects of an account, the files of a folder), asked of the
//! connector with the connection and the inputs filled so far.
//!
//! The host asks only for properties whose schema carries the keyword
//! `x-dynamic-values`, whose value is an object: `{"depends-on": ["a", ...]}`
//! names the inputs the list is computed from (a designer asks again when
//! they change), `{}` when it needs none. Registering a handler with
//! [`crate::OperationBuilder::dynamic_values`] writes the keyword into the
//! property's schema, so the two cannot disagree.

use serde::Serialize;
use serde_json::Value;

use crate::bindings::connector::provider::types as wit;
use crate::context::Context;
use crate::error::Result;
use crate::input::to_json;

/// The keyword that marks a property with dynamic values.
pub const KEYWORD: &str = "x-dynamic-values";

/// One choice for a property: the value it takes and what a person sees.
/// The contract's `dynamic-value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The value the property takes when this choice is picked.
    pub value: Value,
    /// What a person sees, e.g. a project's name.
    pub title: String,
}

impl Choice {
    /// A choice of `value`, shown as `title`.
    pub fn new(value: impl Into<Value>, title: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            title: title.into(),
        }
    }

    /// A choice whose value is any serializable value.
    pub fn of<T: Serialize>(value: &T, title: impl Into<String>) -> Result<Self> {
        let value = serde_json::to_value(value).map_err(|e| {
            crate::Error::internal("serialize", format!("cannot serialize the choice: {e}"))
        })?;
        Ok(Self::new(value, title))
    }

    pub(crate) fn into_wit(self) -> Result<wit::DynamicValue> {
        Ok(wit::DynamicValue {
            value: to_json(&self.value, "choice")?,
            title: self.title,
        })
    }
}

/// A handler of dynamic values: the context and the inputs filled so far
/// (a JSON object, possibly partial and not checked against the schema).
pub(crate) type DynamicFn = Box<dyn Fn(&Context, &Value) -> Result<Vec<Choice>>>;

/// One property's dynamic values.
pub(crate) struct Dynamic {
    pub(crate) property: String,
    pub(crate) depends_on: Vec<String>,
    pub(crate) handler: DynamicFn,
}

/// Writes `x-dynamic-values` into the schema of each property that has
/// dynamic values. A property the schema does not list is left alone (and
/// its handler is still answered): adding it would change what the schema
/// accepts.
pub(crate) fn annotate(schema: &mut Value, dynamics: &[Dynamic]) {
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for dynamic in dynamics {
        if let Some(Value::Object(property)) = properties.get_mut(&dynamic.property) {
            let keyword = if dynamic.depends_on.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::json!({ "depends-on": dynamic.depends_on })
            };
            property.insert(KEYWORD.into(), keyword);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_keyword_goes_into_the_property() {
        let mut schema = json!({"type": "object", "properties": {
            "project": {"type": "string"}, "status": {"type": "string"}}});
        let none: DynamicFn = Box::new(|_, _| Ok(Vec::new()));
        let also: DynamicFn = Box::new(|_, _| Ok(Vec::new()));
        annotate(
            &mut schema,
            &[
                Dynamic {
                    property: "project".into(),
                    depends_on: vec![],
                    handler: none,
                },
                Dynamic {
                    property: "status".into(),
                    depends_on: vec!["project".into()],
                    handler: also,
                },
            ],
        );
        assert_eq!(schema["properties"]["project"][KEYWORD], json!({}));
        assert_eq!(
            schema["properties"]["status"][KEYWORD],
            json!({"depends-on": ["project"]})
        );
    }
}
