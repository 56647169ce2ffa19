//! What a component imports and exports, and the contract version it
//! targets: the wasm artifact's config in a registry, and a statement's
//! `contract`.

use connector_runtime::bindings::CONTRACT_PACKAGE;
use connector_runtime::runtime::Runtime;

use crate::oci::ComponentWorld;

/// The interface names of `bytes`, read from the compiled component
/// (through the runtime's cache, so a component compiled before costs a
/// load, not a compile).
pub fn component_world(runtime: &Runtime, bytes: &[u8]) -> anyhow::Result<ComponentWorld> {
    let engine = runtime.engine();
    let component = match runtime.cache() {
        Some(cache) => cache.load_or_compile(engine, bytes)?.component,
        None => wasmtime::component::Component::from_binary(engine, bytes)?,
    };
    let ty = component.component_type();
    Ok(ComponentWorld {
        imports: ty
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect(),
        exports: ty
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect(),
    })
}

/// `connector:provider@VERSION` from the exports, if the component exports
/// the contract's provider interface.
pub fn contract_of(world: &ComponentWorld) -> Option<String> {
    let prefix = format!("{CONTRACT_PACKAGE}/provider@");
    world
        .exports
        .iter()
        .find_map(|name| name.strip_prefix(&prefix))
        .map(|version| format!("{CONTRACT_PACKAGE}@{version}"))
}
