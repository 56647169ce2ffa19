//! What a guest may reach beyond its own memory. Nothing is reachable unless
//! the operator grants it: directories, outbound HTTP origins, and (rarely
//! needed) raw TCP addresses and DNS look-ups.

pub mod dirs;
pub mod http;
pub mod secrets;
pub mod sockets;
pub mod symlinks;

pub use dirs::DirGrant;
pub use http::{GrantTemplate, HttpGrant};
pub use secrets::Redactor;
pub use sockets::TcpGrant;

/// Everything an operator grants one connector.
#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// Host directories preopened for the guest.
    pub dirs: Vec<DirGrant>,
    /// Origins the guest may send HTTP requests to.
    pub http: Vec<GrantTemplate>,
    /// Exact addresses the guest may open raw TCP connections to.
    pub tcp: Vec<TcpGrant>,
    /// Whether the guest may resolve names itself.
    pub dns: bool,
}
