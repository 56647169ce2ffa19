//! The definition and the generic connector as one component, with no
//! compiler: a tiny component is generated (from WAT text) whose only
//! export, `connector:imported/definition@0.1.0`, returns the definition's
//! JSON from a data segment, and `wac-graph` plugs it into the generic
//! component's import of the same name. The result's imports are the
//! generic component's others (WASI, the host's log), its exports the
//! contract's.

use std::fmt::Write;

use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// The interface the generic connector imports.
pub const DEFINITION_INTERFACE: &str = "connector:imported/definition@0.1.0";

/// Why composing failed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The base component is not the generic connector.
    #[error("the base component is not the generic connector (example_openapi.wasm): {0}")]
    Base(String),
    /// Composing failed (an importer bug).
    #[error("composing the connector failed: {0}")]
    Compose(String),
}

/// The WAT of a component exporting `get: func() -> string` that returns
/// `json`.
fn definition_wat(json: &str) -> String {
    // Memory layout: the (pointer, length) pair at 0, the text from 8.
    let len = json.len();
    let pages = (8 + len).div_ceil(65536).max(1);
    let mut data = String::with_capacity(len * 3 + 64);
    for b in (8u32)
        .to_le_bytes()
        .iter()
        .chain((len as u32).to_le_bytes().iter())
    {
        let _ = write!(data, "\\{b:02x}");
    }
    for b in json.bytes() {
        match b {
            b' '..=b'~' if b != b'"' && b != b'\\' => data.push(b as char),
            _ => {
                let _ = write!(data, "\\{b:02x}");
            }
        }
    }
    format!(
        r#"(component
  (core module $m
    (memory (export "memory") {pages})
    (data (i32.const 0) "{data}")
    (func (export "get") (result i32) i32.const 0))
  (core instance $i (instantiate $m))
  (func $get (result string) (canon lift (core func $i "get") (memory (core memory $i "memory"))))
  (instance $def (export "get" (func $get)))
  (export "{DEFINITION_INTERFACE}" (instance $def)))"#
    )
}

/// The component exporting the definition.
pub fn definition_component(json: &str) -> Result<Vec<u8>, ComposeError> {
    wat::parse_str(definition_wat(json)).map_err(|e| ComposeError::Compose(e.to_string()))
}

/// Composes the generic connector `base` with the definition `json`.
pub fn compose(base: &[u8], json: &str) -> Result<Vec<u8>, ComposeError> {
    let definition = definition_component(json)?;
    let mut graph = CompositionGraph::new();
    let base_pkg = Package::from_bytes("connector:generic", None, base.to_vec(), graph.types_mut())
        .map_err(|e| ComposeError::Base(format!("{e:#}")))?;
    if !graph.types()[base_pkg.ty()]
        .imports
        .contains_key(DEFINITION_INTERFACE)
    {
        return Err(ComposeError::Base(format!(
            "it does not import {DEFINITION_INTERFACE}"
        )));
    }
    let base_id = graph
        .register_package(base_pkg)
        .map_err(|e| ComposeError::Compose(e.to_string()))?;
    let def_pkg = Package::from_bytes("connector:definition", None, definition, graph.types_mut())
        .map_err(|e| ComposeError::Compose(format!("{e:#}")))?;
    let def_id = graph
        .register_package(def_pkg)
        .map_err(|e| ComposeError::Compose(e.to_string()))?;
    wac_graph::plug(&mut graph, vec![def_id], base_id)
        .map_err(|e| ComposeError::Compose(format!("{e:#}")))?;
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| ComposeError::Compose(format!("{e:#}")))
}
