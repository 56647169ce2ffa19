//! Contract 0.1.0 (frozen in `wit/v0.1.0`), adapted onto the latest types.
//!
//! A 0.1.0 component keeps running unchanged: its records are converted to
//! the latest ones (its triggers get `needs-subscription: false`), it is
//! called without the call context (which 0.1.0 does not have), and the
//! 0.2.0 additions (`dynamic-values`, `subscribe`, `unsubscribe`) are
//! refused by the connector before an instance is made.

use super::types as latest;
use crate::state::HostState;

wasmtime::component::bindgen!({
    path: "../../wit/v0.1.0",
    world: "connector",
});

use connector::provider::types as old;

/// The 0.1.0 service description in the latest types (identical fields).
pub fn service(s: old::ServiceDescription) -> latest::ServiceDescription {
    latest::ServiceDescription {
        id: s.id,
        display_name: s.display_name,
        description: s.description,
        version: s.version,
        brand_color: s.brand_color,
        icon_uri: s.icon_uri,
        connection_parameters: s
            .connection_parameters
            .into_iter()
            .map(|p| latest::ConnectionParameter {
                name: p.name,
                display_name: p.display_name,
                description: p.description,
                kind: match p.kind {
                    old::ParameterKind::Text => latest::ParameterKind::Text,
                    old::ParameterKind::Secret => latest::ParameterKind::Secret,
                    old::ParameterKind::Integer => latest::ParameterKind::Integer,
                    old::ParameterKind::Boolean => latest::ParameterKind::Boolean,
                },
                required: p.required,
                default_value: p.default_value,
            })
            .collect(),
        capabilities: latest::Capabilities {
            outbound_hosts: s.capabilities.outbound_hosts,
            directories: s
                .capabilities
                .directories
                .into_iter()
                .map(|d| latest::DirectoryNeed {
                    guest_path: d.guest_path,
                    description: d.description,
                    writable: d.writable,
                })
                .collect(),
        },
    }
}

/// A 0.1.0 operation; its trigger settings gain `needs-subscription: false`
/// (0.1.0 has no subscription lifecycle).
pub fn operation(op: old::Operation) -> latest::Operation {
    latest::Operation {
        id: op.id,
        summary: op.summary,
        description: op.description,
        visibility: match op.visibility {
            old::Visibility::Important => latest::Visibility::Important,
            old::Visibility::Advanced => latest::Visibility::Advanced,
            old::Visibility::Internal => latest::Visibility::Internal,
        },
        kind: match op.kind {
            old::OperationKind::Action => latest::OperationKind::Action,
            old::OperationKind::PollingTrigger => latest::OperationKind::PollingTrigger,
            old::OperationKind::PushTrigger => latest::OperationKind::PushTrigger,
        },
        input_schema: op.input_schema,
        output_schema: op.output_schema,
        trigger: op.trigger.map(|t| latest::TriggerSettings {
            default_recurrence_seconds: t.default_recurrence_seconds,
            item_mode: match t.item_mode {
                old::ItemMode::Single => latest::ItemMode::Single,
                old::ItemMode::Split => latest::ItemMode::Split,
            },
            needs_subscription: false,
        }),
    }
}

/// A 0.1.0 connector error.
pub fn error(e: old::ConnectorError) -> latest::ConnectorError {
    latest::ConnectorError {
        kind: match e.kind {
            old::ErrorKind::InvalidInput => latest::ErrorKind::InvalidInput,
            old::ErrorKind::Unauthorized => latest::ErrorKind::Unauthorized,
            old::ErrorKind::Forbidden => latest::ErrorKind::Forbidden,
            old::ErrorKind::NotFound => latest::ErrorKind::NotFound,
            old::ErrorKind::Conflict => latest::ErrorKind::Conflict,
            old::ErrorKind::Throttled => latest::ErrorKind::Throttled,
            old::ErrorKind::Transient => latest::ErrorKind::Transient,
            old::ErrorKind::Internal => latest::ErrorKind::Internal,
        },
        code: e.code,
        message: e.message,
        retry_after_ms: e.retry_after_ms,
    }
}

/// A 0.1.0 action response.
pub fn response(r: old::Response) -> latest::Response {
    latest::Response {
        status: r.status,
        body: r.body,
    }
}

/// A 0.1.0 trigger item.
pub fn item(i: old::TriggerItem) -> latest::TriggerItem {
    latest::TriggerItem {
        id: i.id,
        body: i.body,
    }
}

/// A 0.1.0 poll result.
pub fn poll_result(r: old::PollResult) -> latest::PollResult {
    latest::PollResult {
        items: r.items.into_iter().map(item).collect(),
        state: r.state,
        poll_again_after_ms: r.poll_again_after_ms,
    }
}

/// A 0.1.0 push binding.
pub fn binding(b: old::Binding) -> latest::Binding {
    latest::Binding {
        binding_type: b.binding_type,
        binding_info: b.binding_info,
    }
}

/// A raw event in the 0.1.0 types, for its `handle-event`.
pub fn raw_event(e: &latest::RawEvent) -> old::RawEvent {
    old::RawEvent {
        method: e.method.clone(),
        path: e.path.clone(),
        headers: e.headers.clone(),
        body: e.body.clone(),
    }
}

impl connector::provider::log::Host for HostState {
    fn log(
        &mut self,
        level: connector::provider::log::Level,
        message: String,
        fields: Vec<(String, String)>,
    ) {
        use super::Level as New;
        use connector::provider::log::Level as Old;
        let level = match level {
            Old::Trace => New::Trace,
            Old::Debug => New::Debug,
            Old::Info => New::Info,
            Old::Warn => New::Warn,
            Old::Error => New::Error,
        };
        self.record_log(level, message, fields);
    }
}

impl connector::provider::types::Host for HostState {}
