//! The engine's [`Invoker`] over the loaded wasm connectors: a `ServiceProvider` action (and
//! an `Http` action, as `/serviceProviders/http`) becomes one sandboxed call with the run's
//! 0.2.0 call context, and a failed call becomes an [`InvokeFailure`] whose `kind` the
//! engine's retry policy reads.
//!
//! Kinds: a connector's own error keeps the contract's kind (`invalid-input`,
//! `unauthorized`, `forbidden`, `not-found`, `conflict`, `throttled` with its retry-after,
//! `transient`, `internal`); every other failure is named by `CallError::category` (`trap`,
//! `limit`, `bad-output`, `host`, `invalid-input` when the host refused the input against
//! the schema, `invalid-connection`, `unknown-operation`, `unsupported`). Messages come from
//! the runtime, which has already redacted the connection's secrets from them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use connector_runtime::connection::Connection;
use connector_runtime::connector::{CallContext as RuntimeContext, Connector};
use connector_runtime::error::CallError;
use connector_workflows::definition::ServiceProviderCall;
use connector_workflows::engine::{CallContext, InvokeFailure, Invoker};

/// The loaded connectors and the project's resolved connections.
pub struct ConnectorInvoker {
    /// Service provider id -> the connector serving it.
    pub connectors: BTreeMap<String, Arc<Connector>>,
    /// Connection name (`connections.json`) -> its values, settings filled in.
    pub connections: HashMap<String, Connection>,
}

fn failure(kind: &str, message: String) -> InvokeFailure {
    InvokeFailure {
        kind: kind.to_owned(),
        message,
        retry_after: None,
    }
}

/// The engine's view of a failed call.
pub fn failure_of(e: &CallError) -> InvokeFailure {
    match e {
        CallError::Connector { error, .. } => InvokeFailure {
            kind: error.kind.to_string(),
            message: e.to_string(),
            retry_after: error.retry_after_ms.map(Duration::from_millis),
        },
        other => failure(other.category(), other.to_string()),
    }
}

impl Invoker for ConnectorInvoker {
    fn invoke(
        &self,
        call: &ServiceProviderCall,
        parameters: &Value,
        context: &CallContext,
    ) -> Result<Value, InvokeFailure> {
        let connector = self
            .connectors
            .get(&call.service_provider_id)
            .ok_or_else(|| {
                failure(
                    "unknown-operation",
                    format!(
                        "the host has no connector for `{}` (map one in host.toml with \
                     [[connector]] service_provider)",
                        call.service_provider_id
                    ),
                )
            })?;
        let empty = Connection::new();
        let connection = if call.connection_name.is_empty() {
            &empty
        } else {
            self.connections.get(&call.connection_name).ok_or_else(|| {
                failure(
                    "invalid-connection",
                    format!("there is no connection `{}`", call.connection_name),
                )
            })?
        };
        let ctx = RuntimeContext {
            run_id: context.run_id.clone(),
            step: context.step.clone(),
            attempt: context.attempt,
            idempotency_key: context.idempotency_key.clone(),
        };
        let response = connector
            .invoke_with(&call.operation_id, connection, parameters, &ctx)
            .map_err(|e| failure_of(&e))?;
        response.body.to_value().map_err(|e| {
            failure(
                "bad-output",
                format!("{}: the body is not JSON: {e}", connector.name()),
            )
        })
    }
}
