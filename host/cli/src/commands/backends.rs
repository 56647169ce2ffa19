//! The backends from crates of their own (PostgreSQL state, NATS sink) that
//! `run` and `status` hand to the trigger host, chosen from the configuration.
//!
//! The trigger crate does not depend on them (see
//! `connector_triggers::backends`); this file is where the command line,
//! which links them, says which configuration value opens which.

use std::sync::Arc;

use connector_triggers::backends::{Backends, StoreUse};
use connector_triggers::config::{Config, HostSettings};
use connector_triggers::store::{StoreError, TriggerStore};

/// The backends the configuration `config` may need, ready to be opened by
/// `Prepared::prepare_with`.
pub fn backends(config: &Config) -> anyhow::Result<Backends> {
    let mut backends = Backends {
        store: Some(Arc::new(open_store)),
        ..Backends::default()
    };
    // NATS JetStream: `[sink] kind = "nats"`, and push triggers that bind `nats`
    // (on the server of `[nats]`; connecting waits until a trigger needs it).
    backends.sink = Some(Arc::new(connector_nats::open_sink));
    let (binding_type, nats) = connector_nats::push_binding(&config.nats);
    backends.push.insert(binding_type, nats);
    Ok(backends)
}

/// Opens `[host] state = "postgres://..."` (the only URL state there is).
fn open_store(host: &HostSettings, usage: StoreUse) -> Result<Arc<dyn TriggerStore>, StoreError> {
    let Some(url) = &host.state_url else {
        return Err(StoreError::Backend {
            store: "[host] state".into(),
            message: "is a file, not a URL".into(),
        });
    };
    Ok(Arc::new(connector_postgres::PostgresStore::open(
        url, usage,
    )?))
}
