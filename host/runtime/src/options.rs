//! What an operator decides for one connector, and how its load went.
//!
//! Kept apart from [`crate::runtime`] so that [`crate::connector`] can name
//! these types without depending on the runtime that makes connectors.

use std::time::Duration;

use crate::cache::Origin;
use crate::capabilities::Grants;
use crate::limits::Limits;

/// What an operator decides for one connector.
#[derive(Debug, Clone, Default)]
pub struct ConnectorOptions {
    pub limits: Limits,
    pub grants: Grants,
    /// Keep live instances between calls (`None`, the default: a fresh
    /// instance per call). See [`crate::connector::Reuse`] for the trade-off.
    pub reuse: Option<crate::connector::Reuse>,
}

/// How a load went: where the compiled code came from and how long it took.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub origin: Origin,
    pub elapsed: Duration,
    pub cache_warnings: Vec<String>,
}
