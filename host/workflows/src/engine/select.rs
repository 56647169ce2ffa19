//! The data operations that evaluate an expression per item: `Query` and `Select`.

use serde_json::{Value, json};

use super::containers::MAX_FOREACH_ITEMS;
use super::outcome::Outcome;
use super::runner::Runner;
use super::state::Frame;
use crate::definition::{Action, ActionType};
use crate::expr::CompiledValue;

impl Runner<'_, '_> {
    /// `Query` (`from`, `where`) and `Select` (`from`, `select`): `where` and `select` are
    /// evaluated once per item of `from`, with the item as `item()`.
    pub(super) fn query_or_select(&self, a: &Action, frame: &Frame) -> Result<Outcome, Outcome> {
        let field = |key: &str| -> Option<CompiledValue> {
            match &a.inputs {
                CompiledValue::Object(props) => {
                    props.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
                }
                CompiledValue::Constant(Value::Object(m)) => {
                    m.get(key).cloned().map(CompiledValue::Constant)
                }
                _ => None,
            }
        };
        let fail = |m: String| Outcome::failed("InvalidInputs", format!("`{}`: {m}", a.name));
        let from = match self.eval(
            a,
            frame,
            &field("from").unwrap_or(CompiledValue::Constant(Value::Null)),
            "inputs/from",
        )? {
            Value::Array(v) if v.len() <= MAX_FOREACH_ITEMS => v,
            other => {
                return Err(fail(format!(
                    "`from` must be an array (of at most {MAX_FOREACH_ITEMS} items), got {other}"
                )));
            }
        };
        let (key, what) = if a.action_type == ActionType::Query {
            ("where", "inputs/where")
        } else {
            ("select", "inputs/select")
        };
        let per_item = field(key).ok_or_else(|| fail(format!("`inputs.{key}` is missing")))?;
        let mut out = Vec::new();
        for (i, item) in from.iter().enumerate() {
            let mut f = frame.clone();
            f.loops.push(&a.name, item.clone(), i as i64);
            let v = self.eval(a, &f, &per_item, what)?;
            if a.action_type == ActionType::Select {
                out.push(v);
            } else {
                match v {
                    Value::Bool(true) => out.push(item.clone()),
                    Value::Bool(false) => {}
                    other => {
                        return Err(fail(format!(
                            "`where` must give a boolean, got {other} for item {i}"
                        )));
                    }
                }
            }
        }
        let inputs = json!({ "from": from.len() });
        Ok(Outcome::ok(Some(inputs), Some(json!({ "body": out }))))
    }
}
