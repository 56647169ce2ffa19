//! What a guest may reach beyond its own memory. Nothing is reachable unless
//! the operator grants it: directories, outbound HTTP origins. Raw sockets
//! and DNS look-ups are never granted to guests.

pub mod dirs;
pub mod http;
pub mod secrets;

pub use dirs::DirGrant;
pub use http::{GrantTemplate, HttpGrant};
pub use secrets::Redactor;

/// Everything an operator grants one connector.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Host directories preopened for the guest.
    pub dirs: Vec<DirGrant>,
    /// Origins the guest may send HTTP requests to.
    pub http: Vec<GrantTemplate>,
}
