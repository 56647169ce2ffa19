//! The only `bindgen!` sites on the host side: Rust types for `wit/`, one
//! set per supported contract version.
//!
//! The host works in the types of the latest version (`wit/provider.wit`,
//! this module's [`types`]); each older version has an adapter module
//! ([`since_v0_1_0`]) that converts its records to the latest ones, as Zed
//! does for its extension API. A change to `wit/` shows up as a compile
//! error in the code that must follow it.
//!
//! [`Guest`] and [`GuestPre`] hide the version from the rest of the host:
//! the loader picks the version from the component's export names
//! ([`ContractVersion::of_exports`]) and every call goes through [`Guest`]'s
//! methods, which speak the latest types.

use std::fmt;

use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

use crate::state::HostState;

pub mod since_v0_1_0;

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "connector",
});

pub use connector::provider::log::Level;
pub use connector::provider::types;

/// The contract's package name, without a version.
pub const CONTRACT_PACKAGE: &str = "connector:provider";
/// Versions of the contract whose components this host runs, oldest first.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];
/// The version of `wit/provider.wit`, the one the host works in.
pub const LATEST_VERSION: &str = "0.2.0";
/// The interfaces a connector must export, without the version suffix.
pub const REQUIRED_EXPORTS: &[&str] =
    &["connector:provider/provider", "connector:provider/trigger"];

/// A contract version the host runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractVersion {
    /// `connector:provider@0.1.0`, frozen in `wit/v0.1.0`: no call context,
    /// no dynamic values, no webhook subscriptions.
    V0_1_0,
    /// `connector:provider@0.2.0`, `wit/provider.wit`.
    V0_2_0,
}

impl ContractVersion {
    /// The latest version, the one the host's types come from.
    pub const LATEST: ContractVersion = ContractVersion::V0_2_0;

    /// The version from its semver text (`0.1.0`), if the host runs it.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "0.1.0" => Some(ContractVersion::V0_1_0),
            "0.2.0" => Some(ContractVersion::V0_2_0),
            _ => None,
        }
    }

    /// The semver text, e.g. `0.2.0`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContractVersion::V0_1_0 => "0.1.0",
            ContractVersion::V0_2_0 => "0.2.0",
        }
    }

    /// Whether components of this version export the 0.2.0 additions
    /// (call context, `dynamic-values`, `subscribe`/`unsubscribe`).
    pub fn has_v0_2_features(self) -> bool {
        self >= ContractVersion::V0_2_0
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ContractVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Links the contract's imports (`log`, `types`) of every supported version.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    Connector::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    since_v0_1_0::Connector::add_to_linker::<_, HasSelf<_>>(linker, |state| state)?;
    Ok(())
}

/// A component linked and checked against its version's world, ready to
/// be instantiated.
pub enum GuestPre {
    /// A 0.1.0 component.
    V0_1_0(since_v0_1_0::ConnectorPre<HostState>),
    /// A 0.2.0 component.
    V0_2_0(ConnectorPre<HostState>),
}

impl GuestPre {
    /// Checks `pre`'s exports against the world of `version`.
    pub fn new(version: ContractVersion, pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(match version {
            ContractVersion::V0_1_0 => GuestPre::V0_1_0(since_v0_1_0::ConnectorPre::new(pre)?),
            ContractVersion::V0_2_0 => GuestPre::V0_2_0(ConnectorPre::new(pre)?),
        })
    }

    /// The contract version the component targets.
    pub fn version(&self) -> ContractVersion {
        match self {
            GuestPre::V0_1_0(_) => ContractVersion::V0_1_0,
            GuestPre::V0_2_0(_) => ContractVersion::V0_2_0,
        }
    }

    /// The engine the component was compiled with.
    pub fn engine(&self) -> &wasmtime::Engine {
        match self {
            GuestPre::V0_1_0(pre) => pre.engine(),
            GuestPre::V0_2_0(pre) => pre.engine(),
        }
    }

    /// A new instance in `store`.
    pub fn instantiate(&self, store: &mut Store<HostState>) -> wasmtime::Result<Guest> {
        Ok(match self {
            GuestPre::V0_1_0(pre) => Guest::V0_1_0(pre.instantiate(store)?),
            GuestPre::V0_2_0(pre) => Guest::V0_2_0(pre.instantiate(store)?),
        })
    }
}

/// One instance of a connector, of whatever version; its methods take and
/// give the latest types.
pub enum Guest {
    /// A 0.1.0 instance, adapted by [`since_v0_1_0`].
    V0_1_0(since_v0_1_0::Connector),
    /// A 0.2.0 instance.
    V0_2_0(Connector),
}

/// The result of a guest call: a trap (`Err`) or the contract's `result`.
pub type GuestResult<T> = wasmtime::Result<Result<T, types::ConnectorError>>;

/// A 0.2.0 function called on an instance of an older version. The
/// connector checks the version before it makes an instance, so this is a
/// host bug if it is ever seen.
#[derive(Debug, thiserror::Error)]
#[error("the component targets contract {0}, which has no {1}")]
pub struct NotInVersion(pub ContractVersion, pub &'static str);

impl Guest {
    /// `provider.describe-service`.
    pub fn describe_service(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<types::ServiceDescription> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_provider()
                .call_describe_service(store)
                .map(since_v0_1_0::service),
            Guest::V0_2_0(g) => g.connector_provider_provider().call_describe_service(store),
        }
    }

    /// `provider.list-operations`.
    pub fn list_operations(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Vec<types::Operation>> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_provider()
                .call_list_operations(store)
                .map(|ops| ops.into_iter().map(since_v0_1_0::operation).collect()),
            Guest::V0_2_0(g) => g.connector_provider_provider().call_list_operations(store),
        }
    }

    /// `provider.check-connection`.
    pub fn check_connection(
        &self,
        store: &mut Store<HostState>,
        connection: &types::Connection,
    ) -> GuestResult<()> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_provider()
                .call_check_connection(store, connection)
                .map(|r| r.map_err(since_v0_1_0::error)),
            Guest::V0_2_0(g) => g
                .connector_provider_provider()
                .call_check_connection(store, connection),
        }
    }

    /// `provider.invoke`; a 0.1.0 instance does not receive `context`.
    pub fn invoke(
        &self,
        store: &mut Store<HostState>,
        operation: &str,
        connection: &types::Connection,
        input: &String,
        context: &types::CallContext,
    ) -> GuestResult<types::Response> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_provider()
                .call_invoke(store, operation, connection, input)
                .map(|r| r.map(since_v0_1_0::response).map_err(since_v0_1_0::error)),
            Guest::V0_2_0(g) => g
                .connector_provider_provider()
                .call_invoke(store, operation, connection, input, context),
        }
    }

    /// `provider.dynamic-values` (0.2.0 and later).
    pub fn dynamic_values(
        &self,
        store: &mut Store<HostState>,
        operation: &str,
        property: &str,
        connection: &types::Connection,
        input: &String,
    ) -> GuestResult<Vec<types::DynamicValue>> {
        match self {
            Guest::V0_1_0(_) => Err(NotInVersion(ContractVersion::V0_1_0, "dynamic-values").into()),
            Guest::V0_2_0(g) => g
                .connector_provider_provider()
                .call_dynamic_values(store, operation, property, connection, input),
        }
    }

    /// `trigger.poll`; a 0.1.0 instance does not receive `context`.
    pub fn poll(
        &self,
        store: &mut Store<HostState>,
        trigger: &str,
        connection: &types::Connection,
        input: &String,
        state: Option<&String>,
        context: &types::CallContext,
    ) -> GuestResult<types::PollResult> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_trigger()
                .call_poll(store, trigger, connection, input, state)
                .map(|r| {
                    r.map(since_v0_1_0::poll_result)
                        .map_err(since_v0_1_0::error)
                }),
            Guest::V0_2_0(g) => g
                .connector_provider_trigger()
                .call_poll(store, trigger, connection, input, state, context),
        }
    }

    /// `trigger.push-binding`.
    pub fn push_binding(
        &self,
        store: &mut Store<HostState>,
        trigger: &str,
        connection: &types::Connection,
        input: &String,
    ) -> GuestResult<types::Binding> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_trigger()
                .call_push_binding(store, trigger, connection, input)
                .map(|r| r.map(since_v0_1_0::binding).map_err(since_v0_1_0::error)),
            Guest::V0_2_0(g) => g
                .connector_provider_trigger()
                .call_push_binding(store, trigger, connection, input),
        }
    }

    /// `trigger.handle-event`.
    pub fn handle_event(
        &self,
        store: &mut Store<HostState>,
        trigger: &str,
        connection: &types::Connection,
        input: &String,
        event: &types::RawEvent,
    ) -> GuestResult<Vec<types::TriggerItem>> {
        match self {
            Guest::V0_1_0(g) => g
                .connector_provider_trigger()
                .call_handle_event(
                    store,
                    trigger,
                    connection,
                    input,
                    &since_v0_1_0::raw_event(event),
                )
                .map(|r| {
                    r.map(|items| items.into_iter().map(since_v0_1_0::item).collect())
                        .map_err(since_v0_1_0::error)
                }),
            Guest::V0_2_0(g) => g
                .connector_provider_trigger()
                .call_handle_event(store, trigger, connection, input, event),
        }
    }

    /// `trigger.subscribe` (0.2.0 and later).
    pub fn subscribe(
        &self,
        store: &mut Store<HostState>,
        trigger: &str,
        connection: &types::Connection,
        input: &String,
        callback_url: &str,
    ) -> GuestResult<types::Subscription> {
        match self {
            Guest::V0_1_0(_) => Err(NotInVersion(ContractVersion::V0_1_0, "subscribe").into()),
            Guest::V0_2_0(g) => g.connector_provider_trigger().call_subscribe(
                store,
                trigger,
                connection,
                input,
                callback_url,
            ),
        }
    }

    /// `trigger.unsubscribe` (0.2.0 and later).
    pub fn unsubscribe(
        &self,
        store: &mut Store<HostState>,
        trigger: &str,
        connection: &types::Connection,
        input: &String,
        subscription: &types::Subscription,
    ) -> GuestResult<()> {
        match self {
            Guest::V0_1_0(_) => Err(NotInVersion(ContractVersion::V0_1_0, "unsubscribe").into()),
            Guest::V0_2_0(g) => g.connector_provider_trigger().call_unsubscribe(
                store,
                trigger,
                connection,
                input,
                subscription,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        for text in SUPPORTED_VERSIONS {
            assert_eq!(ContractVersion::parse(text).unwrap().as_str(), *text);
        }
        assert_eq!(ContractVersion::LATEST.as_str(), LATEST_VERSION);
        assert_eq!(ContractVersion::parse("0.3.0"), None);
        assert!(!ContractVersion::V0_1_0.has_v0_2_features());
        assert!(ContractVersion::V0_2_0.has_v0_2_features());
    }
}
