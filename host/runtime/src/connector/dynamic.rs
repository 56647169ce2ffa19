//! `provider.dynamic-values` (contract 0.2.0): the choices of one input
//! property, e.g. the projects of an account for a designer's dropdown.
//!
//! The host calls it only for properties whose schema names the keyword
//! `x-dynamic-values` (see [`crate::description::dynamic_values_properties`]),
//! and checks the answer like any other guest output: bounded in count and
//! size, every value JSON, no secret of the connection, and titles made
//! safe to show (control and bidirectional-override characters escaped).

use serde::Serialize;
use serde_json::Value;

use super::Connector;
use crate::connection::Connection;
use crate::description::OperationKind;
use crate::error::CallError;
use crate::json::Json;

pub use crate::description::dynamic::KEYWORD as DYNAMIC_VALUES_KEYWORD;

/// Most choices one answer may hold; a longer list is bad output (a
/// dropdown of more is unusable, and a designer should filter first).
pub const MAX_DYNAMIC_VALUES: usize = 1000;
/// Longest title kept, in bytes; a longer one is cut at a char boundary.
pub const MAX_TITLE_BYTES: usize = 512;

/// One choice of a dynamic list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DynamicValue {
    /// The value the property takes when this choice is picked (checked JSON).
    pub value: Json,
    /// What a person sees; control characters escaped, at most
    /// [`MAX_TITLE_BYTES`].
    pub title: String,
}

impl Connector {
    /// The choices for the input property `property` of `operation`, given
    /// the connection and the inputs filled so far (`input_so_far`, a JSON
    /// object, possibly partial: it is not checked against the schema).
    ///
    /// Refused before any call when the component targets 0.1.0
    /// ([`CallError::Unsupported`]), when the operation does not exist, or
    /// when the property does not name `x-dynamic-values`.
    pub fn dynamic_values(
        &self,
        operation: &str,
        property: &str,
        connection: &Connection,
        input_so_far: &Value,
    ) -> Result<Vec<DynamicValue>, CallError> {
        self.expect_v0_2("dynamic-values")?;
        self.expect_kind(
            operation,
            &[
                OperationKind::Action,
                OperationKind::PollingTrigger,
                OperationKind::PushTrigger,
            ],
        )?;
        let op = self.description.operation(operation).expect("checked");
        let named = op
            .input_schema
            .get("properties")
            .and_then(|p| p.get(property))
            .and_then(|p| p.get(DYNAMIC_VALUES_KEYWORD))
            .is_some();
        if !named {
            return Err(CallError::InvalidInput {
                pointer: format!("/{}", property.replace('~', "~0").replace('/', "~1")),
                message: format!(
                    "{operation:?} has no input property {property:?} that names {DYNAMIC_VALUES_KEYWORD}"
                ),
            });
        }
        if !input_so_far.is_object() {
            return Err(CallError::InvalidInput {
                pointer: "/".into(),
                message: "the inputs filled so far must be a JSON object".into(),
            });
        }
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = super::json_text(input_so_far);
        let result = self.run(operation, Some(&connection), &redactor, |store, guest| {
            guest.dynamic_values(
                &mut *store,
                operation,
                property,
                &connection.to_wit(),
                &input_text,
            )
        })?;
        let values = result.map_err(|e| self.connector_error(e, &redactor))?;
        if values.len() > MAX_DYNAMIC_VALUES {
            return Err(self.bad_output(
                format!(
                    "dynamic-values gave {} choices; at most {MAX_DYNAMIC_VALUES} are allowed",
                    values.len()
                ),
                &redactor,
            ));
        }
        self.check_output_size(values.iter().map(|v| v.value.len() + v.title.len()).sum())?;
        let mut checked = Vec::with_capacity(values.len());
        for (i, choice) in values.into_iter().enumerate() {
            self.refuse_secrets("a dynamic value", &choice.value, &redactor)?;
            self.refuse_secrets("a dynamic value's title", &choice.title, &redactor)?;
            let value = Json::from_text(choice.value).map_err(|e| {
                self.bad_output(format!("dynamic value {i} is not JSON: {e}"), &redactor)
            })?;
            checked.push(DynamicValue {
                value,
                title: safe_title(&choice.title),
            });
        }
        Ok(checked)
    }
}

/// `title` cut to [`MAX_TITLE_BYTES`] with control characters and the
/// bidirectional overrides escaped as `\u{..}`, so a title cannot move a
/// terminal's cursor or reorder the text around it in a designer.
pub fn safe_title(title: &str) -> String {
    let title = crate::state::truncate(title, MAX_TITLE_BYTES);
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
        if c.is_control() || bidi {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_made_safe() {
        assert_eq!(safe_title("Project A"), "Project A");
        assert_eq!(safe_title("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\u{a}");
        assert_eq!(safe_title("x\u{202e}y"), "x\\u{202e}y");
        let long = "é".repeat(1000);
        assert!(safe_title(&long).len() <= MAX_TITLE_BYTES);
    }
}
