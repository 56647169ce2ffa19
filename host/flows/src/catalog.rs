//! What the loaded connectors offer, as the workflow validator asks for it: the operations of
//! each `serviceProvider.id`, and whether constant `parameters` fit an operation's input schema.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use connector_runtime::connector::Connector;
use connector_runtime::description::OperationKind;
use connector_runtime::schema::Schema;
use connector_workflows::definition::Catalog;

/// The loaded connectors by the service provider id they serve.
pub struct ConnectorCatalog<'a> {
    /// Service provider id -> connector.
    pub connectors: &'a BTreeMap<String, Arc<Connector>>,
}

impl Catalog for ConnectorCatalog<'_> {
    fn operations(&self, service_provider_id: &str) -> Option<Vec<String>> {
        let c = self.connectors.get(service_provider_id)?;
        Some(
            c.description()
                .operations
                .iter()
                .filter(|o| o.kind != OperationKind::PushTrigger)
                .map(|o| o.id.clone())
                .collect(),
        )
    }

    fn check_parameters(
        &self,
        service_provider_id: &str,
        operation_id: &str,
        parameters: &Value,
    ) -> Vec<String> {
        let Some(op) = self
            .connectors
            .get(service_provider_id)
            .and_then(|c| c.description().operation(operation_id))
        else {
            return Vec::new();
        };
        let Some(schema) = Schema::compile(&op.input_schema) else {
            return Vec::new();
        };
        match schema.check_value(parameters) {
            Ok(()) => Vec::new(),
            Err(m) => vec![format!(
                "the parameters do not fit the input schema of `{operation_id}`: {m}"
            )],
        }
    }
}
