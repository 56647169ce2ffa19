//! The `nats` push binding: a push trigger whose `push-binding` is
//! `{"binding-type": "nats", "binding-info": {"subject": ..., "queue": ...}}` is fed by a
//! JetStream durable consumer. Each message goes to the connector's `handle-event` (as a
//! raw event whose method is `NATS`, path the message's subject, headers its headers in
//! lower case, body its payload), its items through the host's one delivery path, and the
//! message is acknowledged only after the sink took them.
//!
//! So a host that dies with a message in hand leaves it unacknowledged, and JetStream
//! delivers it again (to this host when it is back, or to another that binds the same
//! queue); the event ids, from the items' ids, keep a second delivery out of the sink. A
//! message the sink could not take is redelivered later (negatively acknowledged, with a
//! growing delay); one the connector refuses as wrong (`invalid-input` and the like, which
//! fail again however often tried) is terminated and recorded as the trigger's failure.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use futures_util::StreamExt;

use crate::connect::connect;
use connector_runtime::connector::RawEvent;
use connector_runtime::connector::push::{Binding, NATS_BINDING, NatsBinding, nats_binding};
use connector_runtime::error::{CallError, ErrorKind};
use connector_triggers::backends::{PushBinding, PushContext};
use connector_triggers::clock::BoxFuture;
use connector_triggers::config::NatsServer;
use connector_triggers::delivery::blocking;
use connector_triggers::event::{EventSource, Origin, events_from_items};
use connector_triggers::store::Activity;

/// How long JetStream waits for a message's acknowledgement before it delivers the message
/// again: longer than a connector call and a sink's retries take.
const ACK_WAIT: Duration = Duration::from_secs(60);

/// The longest wait before a message the sink could not take is delivered again.
const MAX_REDELIVERY_DELAY: Duration = Duration::from_secs(60);

/// The `nats` binding, on the server of `[nats]`.
pub struct NatsPush {
    server: NatsServer,
}

impl NatsPush {
    /// The binding on `server`.
    pub fn new(server: NatsServer) -> Self {
        Self { server }
    }
}

/// The stream and durable consumer a trigger's binding uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub subject: String,
    /// The binding's `stream`, or `PUSH_<trigger>`.
    pub stream: String,
    /// The binding's `durable`, else its `queue`, else `connector-host-<trigger>`: hosts
    /// with the same durable share its messages.
    pub durable: String,
}

impl Plan {
    /// The plan of `trigger`'s binding.
    pub fn of(trigger: &str, binding: &NatsBinding) -> Self {
        // Trigger names are letters, digits, '-', '_' and '.'; stream names cannot hold '.'.
        let token: String = trigger
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            subject: binding.subject.clone(),
            stream: binding
                .stream
                .clone()
                .unwrap_or_else(|| format!("PUSH_{token}")),
            durable: binding
                .durable
                .clone()
                .or_else(|| binding.queue.clone())
                .unwrap_or_else(|| format!("connector-host-{token}")),
        }
    }
}

fn read(info: &serde_json::Value) -> Result<NatsBinding, String> {
    nats_binding(&Binding {
        binding_type: NATS_BINDING.into(),
        binding_info: info.clone(),
    })
}

impl PushBinding for NatsPush {
    fn check(&self, trigger: &str, info: &serde_json::Value) -> Result<String, String> {
        let plan = Plan::of(trigger, &read(info)?);
        Ok(format!(
            "NATS subject {} at {} (stream {}, durable consumer {})",
            plan.subject, self.server.url, plan.stream, plan.durable
        ))
    }

    fn serve(&self, push: PushContext) -> BoxFuture<'static, ()> {
        Box::pin(serve(self.server.clone(), push))
    }
}

/// Consumes until shutdown; reconnects after an outage with a growing delay (1s to 30s).
async fn serve(server: NatsServer, push: PushContext) {
    let name = push.trigger.name.clone();
    let plan = match read(&push.info) {
        Ok(binding) => Plan::of(&name, &binding),
        Err(why) => {
            // Checked at prepare, so only a connector that answers differently now.
            tracing::error!(trigger = %name, "the nats binding is wrong: {why}");
            let mut stop = push.shutdown.clone();
            let _ = stop.wait_for(|s| *s).await;
            return;
        }
    };
    let mut delay = Duration::from_secs(1);
    let mut stop = push.shutdown.clone();
    loop {
        match consume(&server, &plan, &push).await {
            Ok(()) => return,
            Err(why) => {
                tracing::warn!(trigger = %name, "NATS binding: {why}; retrying in {delay:?}");
                record_failure(&push, &format!("NATS binding: {why}")).await;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

/// Connects, makes sure of the stream and the durable consumer, and handles messages one
/// after another until shutdown (`Ok`) or a failure of the connection (`Err`).
async fn consume(server: &NatsServer, plan: &Plan, push: &PushContext) -> Result<(), String> {
    let trigger = &push.trigger.name;
    let client = connect(server, &format!("connector-host push trigger {trigger}")).await?;
    let js = jetstream::new(client);
    let stream = js
        .get_or_create_stream(stream::Config {
            name: plan.stream.clone(),
            subjects: vec![plan.subject.clone()],
            storage: stream::StorageType::File,
            ..Default::default()
        })
        .await
        .map_err(|e| format!("cannot find or create stream {}: {e}", plan.stream))?;
    let consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &plan.durable,
            pull::Config {
                durable_name: Some(plan.durable.clone()),
                filter_subject: plan.subject.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: ACK_WAIT,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("cannot find or create consumer {}: {e}", plan.durable))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| format!("cannot consume from {}: {e}", plan.durable))?;
    tracing::info!(%trigger, "consuming NATS subject {} (stream {}, consumer {})", plan.subject, plan.stream, plan.durable);
    let mut stop = push.shutdown.clone();
    loop {
        let message = tokio::select! {
            m = messages.next() => m,
            _ = stop.wait_for(|s| *s) => return Ok(()),
        };
        match message {
            None => return Err("the consumer's message stream ended".into()),
            Some(Err(e)) => return Err(format!("receiving from {}: {e}", plan.durable)),
            Some(Ok(message)) => handle(push, message).await,
        }
    }
}

/// One message: handle-event, deliver, then acknowledge (or ask for it again later).
async fn handle(push: &PushContext, message: jetstream::Message) {
    let trigger = push.trigger.clone();
    let received_at = push.clock.now();
    let delivered = message.info().map_or(1, |i| i.delivered.max(1));
    let event = RawEvent {
        method: "NATS".into(),
        path: message.subject.to_string(),
        headers: message
            .headers
            .as_ref()
            .map(|h| {
                h.iter()
                    .flat_map(|(name, values)| {
                        let name = name.to_string().to_ascii_lowercase();
                        values.iter().map(move |v| (name.clone(), v.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        body: message.payload.to_vec(),
    };
    let t = trigger.clone();
    let handled = tokio::task::spawn_blocking(move || {
        t.connector
            .handle_event(&t.operation, &t.connection, &t.input, &event)
    })
    .await;
    let outcome = match handled {
        Ok(Ok(items)) => {
            let origin = Origin {
                trigger: &trigger.name,
                connector: &trigger.connector_name,
                operation: &trigger.operation,
                source: EventSource::Push,
                at: received_at,
            };
            let events = events_from_items(&origin, trigger.item_mode, items);
            match push.delivery.deliver(&trigger.name, &events).await {
                Ok(_) => AckKind::Ack,
                Err(e) => {
                    let message = trigger.redactor.redact(&e.to_string());
                    tracing::warn!(trigger = %trigger.name, "NATS message not delivered, to be redelivered: {message}");
                    record_failure(push, &message).await;
                    AckKind::Nak(Some(redelivery_delay(delivered, None)))
                }
            }
        }
        Ok(Err(e)) => {
            let message = trigger.redactor.redact(&e.to_string());
            record_failure(push, &message).await;
            match refusal(&e) {
                Refusal::Final => {
                    tracing::warn!(trigger = %trigger.name, "NATS message refused by the connector, dropped: {message}");
                    AckKind::Term
                }
                Refusal::Later(after) => {
                    tracing::warn!(trigger = %trigger.name, "NATS message failed, to be redelivered: {message}");
                    AckKind::Nak(Some(redelivery_delay(delivered, after)))
                }
            }
        }
        Err(e) => {
            let message = format!("the event handler crashed: {e}");
            record_failure(push, &message).await;
            AckKind::Nak(Some(redelivery_delay(delivered, None)))
        }
    };
    let acked = match outcome {
        // Confirmed by the server: a lost acknowledgement would mean a redelivery, which
        // the event ids absorb, but the confirmation keeps that rare.
        AckKind::Ack => message.double_ack().await,
        other => message.ack_with(other).await,
    };
    if let Err(e) = acked {
        tracing::warn!(trigger = %trigger.name, "cannot acknowledge a NATS message (it will come again): {e}");
    }
}

/// Whether a failed `handle-event` is worth trying again.
enum Refusal {
    /// The event is wrong and fails again however often tried.
    Final,
    /// A passing failure, after the connector's `retry-after`, if any.
    Later(Option<Duration>),
}

fn refusal(e: &CallError) -> Refusal {
    let CallError::Connector { error, .. } = e else {
        // A trap or a limit: perhaps a passing state of the connector; try again later.
        return Refusal::Later(None);
    };
    match error.kind {
        ErrorKind::InvalidInput
        | ErrorKind::Unauthorized
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::Conflict => Refusal::Final,
        ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::Internal => {
            Refusal::Later(error.retry_after_ms.map(Duration::from_millis))
        }
    }
}

/// 1s, 2s, 4s, ... by delivery count, at most [`MAX_REDELIVERY_DELAY`]; the connector's
/// `retry-after` when longer.
fn redelivery_delay(delivered: i64, retry_after: Option<Duration>) -> Duration {
    let exp = u32::try_from(delivered.saturating_sub(1).clamp(0, 6)).unwrap_or(6);
    let backoff = Duration::from_secs(1u64 << exp).min(MAX_REDELIVERY_DELAY);
    retry_after.map_or(backoff, |r| r.max(backoff))
}

async fn record_failure(push: &PushContext, message: &str) {
    let (store, trigger, message, at) = (
        push.store.clone(),
        push.trigger.name.clone(),
        message.to_string(),
        push.clock.now(),
    );
    if let Err(e) =
        blocking(move || store.record_failure(&trigger, Activity::Event, &message, at)).await
    {
        tracing::error!("cannot record a NATS binding failure: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_default_from_the_trigger_name() {
        let b = NatsBinding {
            subject: "orders.>".into(),
            queue: None,
            stream: None,
            durable: None,
        };
        let p = Plan::of("new.orders", &b);
        assert_eq!(p.stream, "PUSH_new_orders");
        assert_eq!(p.durable, "connector-host-new_orders");
        let q = Plan::of(
            "t",
            &NatsBinding {
                queue: Some("workers".into()),
                stream: Some("ORDERS".into()),
                ..b
            },
        );
        assert_eq!(
            (q.stream.as_str(), q.durable.as_str()),
            ("ORDERS", "workers")
        );
    }

    #[test]
    fn redelivery_backs_off_and_honours_retry_after() {
        assert_eq!(redelivery_delay(1, None), Duration::from_secs(1));
        assert_eq!(redelivery_delay(3, None), Duration::from_secs(4));
        assert_eq!(redelivery_delay(100, None), MAX_REDELIVERY_DELAY);
        assert_eq!(
            redelivery_delay(1, Some(Duration::from_secs(9))),
            Duration::from_secs(9)
        );
    }
}
