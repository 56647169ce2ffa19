//! `ParseJson`'s schema check: the parsed content must fit `inputs.schema` (JSON Schema, as the
//! designer's "use sample payload" writes it), or the action fails naming where.

use serde_json::Value;

/// Checks `value` against `schema`; the error gives the first mismatch's JSON pointer and the
/// number of mismatches.
pub(crate) fn check(schema: &Value, value: &Value) -> Result<(), String> {
    let validator = jsonschema::validator_for(schema)
        .map_err(|e| format!("`schema` is not a valid JSON Schema: {e}"))?;
    let mut errors = validator.iter_errors(value);
    let Some(first) = errors.next() else {
        return Ok(());
    };
    let more = errors.count();
    let at = first.instance_path().to_string();
    let at = if at.is_empty() { "/".to_owned() } else { at };
    let more = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    Err(format!(
        "the content does not fit `schema` at {at}: {first}{more}"
    ))
}
