//! The webhook subscription lifecycle of push triggers (contract 0.2.0).
//!
//! A push trigger whose settings say `needs-subscription` must tell its
//! event source where to send events. At start the host:
//!
//! 1. ends the stored subscriptions that no configured trigger matches any
//!    more (the trigger was removed, or its connector, connection,
//!    operation, input or callback URL changed): `unsubscribe`, then the
//!    record is deleted; a failed `unsubscribe` keeps the record, with its
//!    error, for the next start, so a stored subscription is never lost;
//! 2. reuses the stored subscription of every trigger that still matches
//!    one, instead of subscribing again;
//! 3. subscribes the others, each in its own task, with the callback URL
//!    (the listener's public base URL and the trigger's webhook path),
//!    retrying a failure with the trigger backoff; a failing source delays
//!    only its own trigger. A subscription is stored before it counts.
//!
//! A crash between a source's answer and the store's commit leaves a
//! subscription at the source that the host does not know; the next start
//! subscribes again (connectors should make `subscribe` idempotent for one
//! callback URL where the source allows it).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::backoff::{Backoff, BackoffPolicy, seed_for};
use super::clock::Clock;
use super::delivery::blocking;
use super::store::{Activity, StoredSubscription, SubscriptionRecord, TriggerStore};
use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::{Connector, Subscription};
use connector_runtime::error::CallError;

/// A configured push trigger that needs a subscription.
#[derive(Clone)]
pub struct WantedSubscription {
    /// The trigger's name in the configuration.
    pub trigger: String,
    /// Its connector's name in the configuration.
    pub connector_name: String,
    /// Its connection's name in the configuration.
    pub connection_name: String,
    pub connector: Arc<Connector>,
    pub operation: String,
    pub connection: Connection,
    pub input: Value,
    /// The webhook path its binding asked for.
    pub path: String,
    pub redactor: Redactor,
}

/// The connectors and connections of the configuration, by name, to end
/// subscriptions of triggers that are gone.
#[derive(Clone, Default)]
pub struct Configured {
    pub connectors: HashMap<String, Arc<Connector>>,
    /// Connection name -> (its connector's name, the connection, its redactor).
    pub connections: HashMap<String, (String, Connection, Redactor)>,
}

/// What [`reconcile`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Triggers whose stored subscription is reused.
    pub reused: Vec<String>,
    /// Stored subscriptions ended (their trigger names).
    pub ended: Vec<String>,
    /// Stored subscriptions that could not be ended and are kept, with why.
    pub kept: Vec<(String, String)>,
}

impl WantedSubscription {
    /// The record a subscription of this trigger with `callback_url` has.
    fn record(&self, callback_url: &str, data: String) -> SubscriptionRecord {
        SubscriptionRecord {
            trigger: self.trigger.clone(),
            connector: self.connector_name.clone(),
            connection: self.connection_name.clone(),
            operation: self.operation.clone(),
            input: self.input.clone(),
            callback_url: callback_url.to_string(),
            data,
        }
    }
}

/// The callback URL of a trigger: `base` (no trailing `/`) and its path.
pub fn callback_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Steps 1 and 2 above: ends the stored subscriptions no wanted trigger
/// matches (blocking calls into connectors, made on the blocking pool) and
/// returns, with what it did, the wanted triggers that still need a
/// subscription.
pub async fn reconcile(
    store: Arc<dyn TriggerStore>,
    wanted: Vec<WantedSubscription>,
    configured: Configured,
    base_url: Option<String>,
    clock: Arc<dyn Clock>,
) -> Result<(Reconciled, Vec<WantedSubscription>), super::store::StoreError> {
    let stored = {
        let store = store.clone();
        blocking(move || store.subscriptions()).await?
    };
    let mut report = Reconciled::default();
    let mut to_subscribe = Vec::new();
    let mut matched = vec![false; stored.len()];
    for w in wanted {
        let found = base_url.as_ref().and_then(|base| {
            let probe = w.record(&callback_url(base, &w.path), String::new());
            stored
                .iter()
                .enumerate()
                .find(|(i, s)| !matched[*i] && s.record.same_trigger(&probe))
                .map(|(i, _)| i)
        });
        match found {
            Some(i) => {
                matched[i] = true;
                tracing::info!(trigger = %w.trigger, "reusing its stored webhook subscription");
                report.reused.push(w.trigger);
            }
            None => to_subscribe.push(w),
        }
    }
    for (stored, _) in stored.into_iter().zip(matched).filter(|(_, m)| !m) {
        let name = stored.record.trigger.clone();
        let store = store.clone();
        let configured = configured.clone();
        let now = clock.now();
        let outcome = blocking(move || end_one(store.as_ref(), &configured, &stored, now)).await;
        match outcome {
            Ok(()) => {
                tracing::info!(trigger = %name, "ended a stored webhook subscription that no configured trigger matches any more");
                report.ended.push(name);
            }
            Err(why) => {
                tracing::warn!(trigger = %name, "cannot end a stored webhook subscription (kept; retried at the next start): {why}");
                report.kept.push((name, why));
            }
        }
    }
    Ok((report, to_subscribe))
}

/// Ends one stored subscription, deleting its record only on success; on
/// failure records why on the record and returns it.
fn end_one(
    store: &dyn TriggerStore,
    configured: &Configured,
    stored: &StoredSubscription,
    now: std::time::SystemTime,
) -> Result<(), String> {
    let r = &stored.record;
    let attempt = || -> Result<(), String> {
        let connector = configured
            .connectors
            .get(&r.connector)
            .ok_or_else(|| format!("its connector {:?} is no longer configured", r.connector))?;
        let (connection_connector, connection, redactor) = configured
            .connections
            .get(&r.connection)
            .ok_or_else(|| format!("its connection {:?} is no longer configured", r.connection))?;
        if *connection_connector != r.connector {
            return Err(format!(
                "its connection {:?} now belongs to connector {connection_connector:?}",
                r.connection
            ));
        }
        connector
            .unsubscribe(
                &r.operation,
                connection,
                &r.input,
                &Subscription {
                    data: r.data.clone(),
                },
            )
            .map_err(|e| format!("unsubscribe failed: {}", redactor.redact(&e.to_string())))
    };
    match attempt() {
        Ok(()) => store.delete_subscription(stored.id).map_err(|e| {
            format!("unsubscribed, but the record could not be deleted (it is ended again next start): {e}")
        }),
        Err(why) => {
            if let Err(e) = store.record_unsubscribe_failure(stored.id, &why, now) {
                tracing::warn!("cannot record an unsubscribe failure: {e}");
            }
            Err(why)
        }
    }
}

/// Step 3 above: one task per trigger that subscribes it, retrying with
/// `backoff` until it succeeds and the subscription is stored, or the host
/// stops.
pub fn spawn_subscribers(
    wanted: Vec<WantedSubscription>,
    base_url: String,
    store: Arc<dyn TriggerStore>,
    backoff: BackoffPolicy,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
) -> Vec<(String, JoinHandle<()>)> {
    wanted
        .into_iter()
        .map(|w| {
            let name = w.trigger.clone();
            let task = subscribe_until_done(
                w,
                base_url.clone(),
                store.clone(),
                backoff,
                clock.clone(),
                shutdown.clone(),
            );
            (name, tokio::spawn(task))
        })
        .collect()
}

async fn subscribe_until_done(
    w: WantedSubscription,
    base_url: String,
    store: Arc<dyn TriggerStore>,
    policy: BackoffPolicy,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    let url = callback_url(&base_url, &w.path);
    let mut backoff = Backoff::new(policy, seed_for(&w.trigger));
    let w = Arc::new(w);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let attempt = {
            let (w, url, store, now) = (w.clone(), url.clone(), store.clone(), clock.now());
            blocking(move || subscribe_and_store(&w, &url, store.as_ref(), now)).await
        };
        let retry_after = match attempt {
            Ok(()) => {
                tracing::info!(trigger = %w.trigger, callback = %url, "subscribed at the event source");
                return;
            }
            Err((message, retry_after)) => {
                let store = store.clone();
                let (trigger, now) = (w.trigger.clone(), clock.now());
                let text = message.clone();
                if let Err(e) = blocking(move || {
                    store.record_failure(&trigger, Activity::Subscription, &text, now)
                })
                .await
                {
                    tracing::warn!("cannot record a subscribe failure: {e}");
                }
                tracing::warn!(trigger = %w.trigger, "{message}");
                retry_after
            }
        };
        let delay = backoff.next_delay(retry_after);
        tokio::select! {
            () = clock.sleep(delay) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

/// One attempt: `subscribe`, then store what it answered. The error says
/// why (secrets redacted) and how long the source asked to wait.
fn subscribe_and_store(
    w: &WantedSubscription,
    url: &str,
    store: &dyn TriggerStore,
    now: std::time::SystemTime,
) -> Result<(), (String, Option<std::time::Duration>)> {
    let subscription = w
        .connector
        .subscribe(&w.operation, &w.connection, &w.input, url)
        .map_err(|e| {
            let retry_after = match &e {
                CallError::Connector { error, .. } => {
                    error.retry_after_ms.map(std::time::Duration::from_millis)
                }
                _ => None,
            };
            (
                format!("subscribe failed: {}", w.redactor.redact(&e.to_string())),
                retry_after,
            )
        })?;
    let record = w.record(url, subscription.data.clone());
    match store.insert_subscription(&record, now) {
        Ok(_) => Ok(()),
        Err(e) => {
            // Not stored: end it rather than leave a subscription the host
            // does not know, and try again later.
            let ended = w
                .connector
                .unsubscribe(&w.operation, &w.connection, &w.input, &subscription)
                .is_ok();
            Err((
                format!(
                    "subscribed, but the subscription could not be stored ({e}); {}",
                    if ended {
                        "ended it again"
                    } else {
                        "ending it failed too"
                    }
                ),
                None,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::callback_url;

    #[test]
    fn callback_urls_join_base_and_path() {
        assert_eq!(
            callback_url("http://127.0.0.1:8089", "/hooks/a"),
            "http://127.0.0.1:8089/hooks/a"
        );
        assert_eq!(
            callback_url("https://h.example.com/base/", "/hooks/a"),
            "https://h.example.com/base/hooks/a"
        );
    }
}
