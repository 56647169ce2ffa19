//! The only `bindgen!` site on the host side: Rust types for `wit/`.
//!
//! Everything the host knows about the contract comes from here, so a change
//! to `wit/` shows up as a compile error in the code that must follow it.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "connector",
});

pub use connector::provider::log::Level;
pub use connector::provider::types;

/// The contract version this host was built against.
pub const CONTRACT_PACKAGE: &str = "connector:provider";
/// Versions of the contract whose components this host runs.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0"];
/// The interfaces a connector must export, without the version suffix.
pub const REQUIRED_EXPORTS: &[&str] =
    &["connector:provider/provider", "connector:provider/trigger"];
