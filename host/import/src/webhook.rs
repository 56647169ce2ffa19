//! Webhook triggers as Power Platform connectors declare them: an
//! operation with `x-ms-trigger` whose request carries the callback URL in
//! a property or parameter marked `x-ms-notification-url: true`. The
//! importer takes that property out of the input (the host fills it with
//! its callback URL when the trigger starts: contract 0.2.0's
//! `subscribe`), and finds the operation that ends a subscription when the
//! API answers no `Location`: a `DELETE` on the subscription path plus one
//! `{id}` segment.

use serde_json::Value;

use crate::model::{Kind, Operation, Webhook};
use crate::source::Source;

/// Whether a parameter or property is marked as the callback URL.
pub fn is_callback(value: &Value) -> bool {
    value.get("x-ms-notification-url") == Some(&Value::Bool(true))
        || value.get("x-ms-notification-url") == Some(&Value::String("true".into()))
}

/// A body schema (following local `$ref`s) with its callback property
/// taken out: the property's name and the schema without it, or `None`
/// when no top-level property is the callback.
pub fn strip_callback(src: &Source, schema: &Value) -> Option<(String, Value)> {
    let mut current = schema;
    for _ in 0..32 {
        match current.get("$ref").and_then(Value::as_str) {
            Some(r) => current = src.value.pointer(r.strip_prefix('#')?)?,
            None => break,
        }
    }
    let props = current.get("properties")?.as_object()?;
    let (name, _) = props.iter().find(|(_, p)| is_callback(p))?;
    let name = name.clone();
    let mut stripped = current.clone();
    if let Some(p) = stripped
        .get_mut("properties")
        .and_then(Value::as_object_mut)
    {
        p.remove(&name);
    }
    if let Some(r) = stripped.get_mut("required").and_then(Value::as_array_mut) {
        r.retain(|n| n.as_str() != Some(&name));
    }
    Some((name, stripped))
}

/// The callback of a webhook in the body property `name`.
pub fn in_body(name: String) -> Webhook {
    Webhook {
        location: "body".into(),
        name,
        delete: None,
    }
}

/// Links each webhook trigger to the `DELETE {path}/{id}` operation that
/// ends its subscriptions, when there is one.
pub fn link_deletes(ops: &mut [Operation]) {
    let deletes: Vec<(String, String, String)> = ops
        .iter()
        .filter(|o| o.kind == Kind::Action && o.method == "DELETE")
        .filter_map(|o| {
            let (parent, last) = o.path.rsplit_once('/')?;
            let name = last.strip_prefix('{')?.strip_suffix('}')?;
            let param = o
                .params
                .iter()
                .find(|p| p.location == "path" && p.name == name)?;
            Some((parent.to_string(), o.id.clone(), param.prop.clone()))
        })
        .collect();
    for op in ops.iter_mut().filter(|o| o.kind == Kind::Webhook) {
        let path = op.path.trim_end_matches('/').to_string();
        if let (Some(hook), Some((_, id, prop))) = (
            op.webhook.as_mut(),
            deletes.iter().find(|(parent, _, _)| *parent == path),
        ) {
            hook.delete = Some((id.clone(), prop.clone()));
        }
    }
}
