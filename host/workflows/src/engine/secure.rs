//! `runtimeConfiguration.secureData.properties`: the parts of an action's record (`inputs`,
//! `outputs`) that run history must not hold. They are replaced before the record is
//! journaled, so they are never stored; the run itself still uses the real values.

use serde_json::Value;

use super::record::ActionRecord;
use crate::definition::Action;

/// What a redacted part reads as.
pub const REDACTED: &str = "<redacted: secureData>";

/// Redacts the parts `a`'s `secureData` names.
pub(crate) fn redact(a: &Action, record: &mut ActionRecord) {
    let Some(props) = a
        .runtime_configuration
        .as_ref()
        .and_then(|r| r.pointer("/secureData/properties"))
        .and_then(Value::as_array)
    else {
        return;
    };
    for p in props.iter().filter_map(Value::as_str) {
        let part = match p {
            "inputs" => &mut record.inputs,
            "outputs" => &mut record.outputs,
            _ => continue,
        };
        if part.is_some() {
            *part = Some(Value::String(REDACTED.into()));
        }
    }
}
