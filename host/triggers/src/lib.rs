//! connector-triggers: the host side of polling and push triggers, and the
//! host configuration (`host.toml`) that says which connectors and triggers
//! to run.
//!
//! - [`poller`]: one task per polling trigger: poll, deliver, commit, on schedule;
//! - [`webhook`]: the `webhook` binding of push triggers (an HTTP listener);
//! - [`delivery`]: the one path every event takes: dedupe by id, sink, record;
//! - [`store`]: durable state (committed trigger state, delivered ids, status);
//! - [`sink`]: where events go (JSON Lines file, standard output, HTTP webhook);
//! - [`subscription`]: the webhook subscription lifecycle of push triggers (0.2.0);
//! - [`event`]: items into events (split or single);
//! - [`config`]: the host configuration, parsed and checked with every problem listed;
//! - [`host`]: builds all of that from a [`Config`](crate::config::Config) and runs it;
//! - [`backoff`], [`clock`], [`http`]: the small parts they share.
//!
//! Delivery is at least once: a trigger's state is committed only after
//! the sink accepted every event of the poll, and event ids deduplicate
//! what a crash makes the host deliver again.
//!
//! Depends on `connector-runtime` only; the command line builds on it.

pub mod backends;
pub mod backoff;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod event;
pub mod files;
pub mod host;
pub mod http;
pub mod leases;
pub mod poller;
pub mod sink;
pub mod store;
pub mod subscription;
pub mod webhook;

pub use backoff::BackoffPolicy;
pub use clock::{Clock, SystemClock};
pub use delivery::Delivery;
pub use event::{Event, EventSource};
pub use host::{Prepared, RunOptions, Running};
pub use poller::{PollReport, PollSource, Poller, PollerSettings};
pub use sink::{EventSink, JsonLinesSink, PartlyDelivered, StdoutSink, WebhookSink};
pub use store::{SqliteStore, StateStore, TriggerStatus, TriggerStore};
