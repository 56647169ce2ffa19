//! The connectors the server knows: the `[[connector]]` tables of the
//! configuration, loaded in the background at start, and their views as
//! JSON for the API.
//!
//! A connector that fails to load stays in the catalog with why, so the page
//! shows it instead of silently leaving it out; readiness reports it too.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use connector_runtime::connector::Connector;
use connector_runtime::description::{Operation, dynamic_values_properties};
use connector_runtime::runtime::Runtime;
use connector_triggers::config::Config;

/// One `[[connector]]` of the configuration.
pub struct Entry {
    /// Its name in the configuration (what connections refer to).
    pub name: String,
    /// The loaded connector, or why it could not be loaded.
    pub loaded: Result<Arc<Connector>, String>,
}

/// Every configured connector, by name.
#[derive(Default)]
pub struct Catalog {
    entries: BTreeMap<String, Entry>,
}

impl Catalog {
    /// Loads every connector of `config`. Blocking: it may compile components.
    pub fn load(config: &Config, runtime: &Runtime) -> Self {
        let mut entries = BTreeMap::new();
        for c in &config.connectors {
            let loaded = runtime
                .load(&c.component, c.options.clone())
                .map(Arc::new)
                .map_err(|e| e.to_string());
            if let Err(e) = &loaded {
                tracing::error!("connector {:?} could not be loaded: {e}", c.name);
            }
            entries.insert(
                c.name.clone(),
                Entry {
                    name: c.name.clone(),
                    loaded,
                },
            );
        }
        Self { entries }
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Every entry, in name order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The names of the connectors that could not be loaded.
    pub fn failed(&self) -> Vec<&str> {
        self.entries
            .values()
            .filter(|e| e.loaded.is_err())
            .map(|e| e.name.as_str())
            .collect()
    }
}

/// The summary of a connector in the list: its service without the
/// operations' schemas.
pub fn summary(entry: &Entry) -> Value {
    match &entry.loaded {
        Err(why) => json!({"name": entry.name, "loaded": false, "error": why}),
        Ok(c) => {
            let d = c.description();
            let count = |kind| d.operations.iter().filter(|o| o.kind == kind).count();
            use connector_runtime::description::OperationKind::*;
            json!({
                "name": entry.name,
                "loaded": true,
                "contract": d.contract.to_string(),
                "service": service_json(c),
                "actions": count(Action),
                "triggers": count(PollingTrigger) + count(PushTrigger),
            })
        }
    }
}

fn service_json(c: &Connector) -> Value {
    let s = &c.description().service;
    json!({
        "id": s.id,
        "displayName": s.display_name,
        "description": s.description,
        "version": s.version,
        "brandColor": s.brand_color,
        // Only data: images reach the page: a remote icon would make the
        // browser fetch from wherever the connector says (and the CSP
        // would block it anyway).
        "iconUri": if s.icon_uri.starts_with("data:image/") { s.icon_uri.as_str() } else { "" },
        "connectionParameters": s.connection_parameters,
        "capabilities": s.capabilities,
    })
}

/// One operation with its schemas, and which input properties have
/// dynamic values.
pub fn operation_json(op: &Operation) -> Value {
    let mut value = serde_json::to_value(op).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("dynamicValues".into(), json!(dynamic_values_properties(op)));
    }
    value
}

/// A connector in full: service, contract version and every operation
/// with its schemas (internal ones included; the page hides them).
pub fn detail(entry: &Entry, c: &Connector) -> Value {
    let d = c.description();
    json!({
        "name": entry.name,
        "loaded": true,
        "contract": d.contract.to_string(),
        "service": service_json(c),
        "operations": d.operations.iter().map(operation_json).collect::<Vec<_>>(),
    })
}
