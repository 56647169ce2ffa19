//! `[sink] kind = "nats"`: each event is published to a JetStream stream, on the subject of
//! its trigger (`events.{trigger}`), as the same JSON object a JSON Lines sink writes, with
//! the event id as `Nats-Msg-Id`.
//!
//! An event counts as delivered only once JetStream acknowledged it: the stream has stored
//! it (and, in a cluster, replicated it). JetStream drops a second publish of an id within
//! the stream's duplicate window, so the event a host publishes again after a crash (its
//! state store had not yet recorded it) is stored once.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage, stream};
use bytes::Bytes;

use crate::background::Background;
use crate::connect::connect;
use crate::subjects::covers;
use connector_triggers::clock::BoxFuture;
use connector_triggers::config::{NatsSinkSettings, SubjectTemplate};
use connector_triggers::event::Event;
use connector_triggers::sink::{EventSink, PartlyDelivered, SinkError};

/// Publishes events to a JetStream stream.
pub struct NatsSink {
    describe: String,
    subject: SubjectTemplate,
    jetstream: jetstream::Context,
    /// Whether the stream held messages when the sink was opened.
    held_messages: bool,
    background: Arc<Background>,
}

impl NatsSink {
    /// Connects to the server, and makes sure the stream exists and takes the sink's
    /// subjects (creating it, with the subject filter and duplicate window of `settings`,
    /// when it does not exist). Blocking: call it outside async code or from a blocking thread.
    pub fn open(settings: &NatsSinkSettings) -> Result<Self, SinkError> {
        let describe = format!(
            "NATS JetStream stream {} at {} (subject {})",
            settings.stream,
            settings.server.url,
            settings.subject.as_str()
        );
        let error = |message: String| SinkError {
            sink: describe.clone(),
            message,
        };
        let background = Background::start("nats-sink")
            .map_err(|e| error(format!("cannot start the NATS client's thread: {e}")))?;
        let s = settings.clone();
        let limit = settings.server.connect_timeout + settings.ack_timeout + Duration::from_secs(5);
        let (jetstream, held_messages) = background
            .wait(async move { prepare(&s).await }, limit)
            .map_err(&error)?
            .map_err(&error)?;
        Ok(Self {
            describe,
            subject: settings.subject.clone(),
            jetstream,
            held_messages,
            background: Arc::new(background),
        })
    }
}

/// Connects and checks (or creates) the stream; returns the context and whether the stream
/// holds messages.
async fn prepare(settings: &NatsSinkSettings) -> Result<(jetstream::Context, bool), String> {
    let client = connect(&settings.server, "connector-host sink").await?;
    let jetstream = jetstream::ContextBuilder::new()
        .timeout(settings.ack_timeout)
        .build(client);
    let filter = settings.subject.filter();
    let mut stream = jetstream
        .get_or_create_stream(stream::Config {
            name: settings.stream.clone(),
            subjects: vec![filter.clone()],
            duplicate_window: settings.duplicate_window,
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("cannot find or create the stream: {e}"))?;
    let info = stream
        .info()
        .await
        .map_err(|e| format!("cannot read the stream's information: {e}"))?;
    if !info.config.subjects.iter().any(|s| covers(s, &filter)) {
        return Err(format!(
            "the stream exists, but its subjects ({}) do not take {filter}: add {filter} to \
             them, or choose another stream or subject",
            info.config.subjects.join(", ")
        ));
    }
    Ok((jetstream, info.state.messages > 0))
}

impl EventSink for NatsSink {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn deliver<'a>(&'a self, event: &'a Event) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move { self.deliver_all(&[event]).await.map_err(|p| p.error) })
    }

    /// Publishes every event at once, then awaits the acknowledgements in order: the
    /// accepted events are the ones up to the first that was not acknowledged.
    fn deliver_all<'a>(
        &'a self,
        events: &'a [&'a Event],
    ) -> BoxFuture<'a, Result<(), PartlyDelivered>> {
        Box::pin(async move {
            let error = |message: String| SinkError {
                sink: self.describe.clone(),
                message,
            };
            let mut messages = Vec::with_capacity(events.len());
            for (accepted, event) in events.iter().enumerate() {
                let payload = serde_json::to_vec(event).map_err(|e| PartlyDelivered {
                    accepted,
                    error: error(format!("cannot serialize event {}: {e}", event.id)),
                })?;
                let subject =
                    self.subject
                        .render(&event.trigger, &event.connector, &event.operation);
                messages.push((subject, event.id.clone(), Bytes::from(payload)));
            }
            let jetstream = self.jetstream.clone();
            let published = self
                .background
                .run(async move { publish_all(&jetstream, messages).await })
                .await;
            match published {
                Ok(Ok(())) => Ok(()),
                Ok(Err((accepted, message))) => Err(PartlyDelivered {
                    accepted,
                    error: error(message),
                }),
                Err(message) => Err(PartlyDelivered {
                    accepted: 0,
                    error: error(message),
                }),
            }
        })
    }

    fn holds_events(&self) -> Result<bool, SinkError> {
        Ok(self.held_messages)
    }
}

/// Publishes `(subject, id, payload)` in order without waiting, then awaits each
/// acknowledgement; on failure, how many were acknowledged before and why.
async fn publish_all(
    jetstream: &jetstream::Context,
    messages: Vec<(String, String, Bytes)>,
) -> Result<(), (usize, String)> {
    let mut acks = Vec::with_capacity(messages.len());
    let mut failed = None;
    for (subject, id, payload) in messages {
        let message = PublishMessage::build().payload(payload).message_id(&id);
        match jetstream.send_publish(subject.clone(), message).await {
            Ok(ack) => acks.push((id, ack)),
            Err(e) => {
                failed = Some(format!(
                    "cannot publish event {id} to {subject}: {}",
                    why(&e)
                ));
                break;
            }
        }
    }
    let published = acks.len();
    for (accepted, (id, ack)) in acks.into_iter().enumerate() {
        if let Err(e) = ack.await {
            return Err((
                accepted,
                format!("JetStream did not acknowledge event {id}: {}", why(&e)),
            ));
        }
    }
    match failed {
        // Every publish before the failed one was acknowledged.
        Some(message) => Err((published, message)),
        None => Ok(()),
    }
}

/// A publish error in words an operator can act on.
fn why(e: &jetstream::context::PublishError) -> String {
    match e.kind() {
        PublishErrorKind::StreamNotFound => {
            "no stream takes this subject (was the stream deleted?)".into()
        }
        PublishErrorKind::TimedOut => "timed out (is the server reachable?)".into(),
        PublishErrorKind::MaxPayloadExceeded => {
            format!("the event is larger than the server's max_payload: {e}")
        }
        _ => e.to_string(),
    }
}
