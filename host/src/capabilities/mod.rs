//! What a guest may reach beyond its own memory. Nothing is reachable unless
//! the operator grants it: directories here, outbound network later.

pub mod dirs;
pub mod secrets;

pub use dirs::DirGrant;
pub use secrets::Redactor;

/// Everything an operator grants one connector.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Host directories preopened for the guest.
    pub dirs: Vec<DirGrant>,
}
