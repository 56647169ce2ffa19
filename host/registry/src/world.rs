//! What a component imports and exports: the wasm artifact's config in a
//! registry. (The contract version a statement names comes from the loaded
//! connector, whose loader already read it from the export names.)

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
