//! NATS JetStream for the trigger host, as two backends the command line hands to it
//! (`connector_triggers::backends`):
//!
//! - [`sink::NatsSink`], `[sink] kind = "nats"`: every event published to a JetStream
//!   stream with its id as `Nats-Msg-Id`, delivered once JetStream acknowledged it.
//! - [`push::NatsPush`], the `nats` push binding: a push trigger whose binding names
//!   `nats` is fed by a durable JetStream consumer, each message acknowledged only after
//!   its items are in the sink.
//!
//! Both reach the server of `[nats]` (see `connector_triggers::config::NatsServer`).

mod background;
pub mod connect;
pub mod push;
pub mod sink;
mod subjects;

use std::sync::Arc;

use connector_runtime::connector::push::NATS_BINDING;
use connector_triggers::backends::PushBinding;
use connector_triggers::config::{NatsServer, SinkConfig};
use connector_triggers::sink::{EventSink, SinkError};

/// Opens a `[sink] kind = "nats"`; any other kind is refused (the host opens those itself).
pub fn open_sink(config: &SinkConfig) -> Result<Arc<dyn EventSink>, SinkError> {
    match config {
        SinkConfig::Nats(settings) => Ok(Arc::new(sink::NatsSink::open(settings)?)),
        other => Err(SinkError {
            sink: "[sink]".into(),
            message: format!("the NATS backend opens only kind \"nats\", not {other:?}"),
        }),
    }
}

/// The `nats` push binding on `server`, with its binding type.
pub fn push_binding(server: &NatsServer) -> (String, Arc<dyn PushBinding>) {
    (
        NATS_BINDING.to_string(),
        Arc::new(push::NatsPush::new(server.clone())),
    )
}
