//! `trigger ID: subscription`: a push trigger that says `needs-subscription`
//! subscribes its event source to a callback URL on a webhook listener the
//! kit runs (127.0.0.1), unsubscribes, and unsubscribing the ended
//! subscription again is not an error (the contract asks that of it).

use std::time::Instant;

use serde_json::{Map, Value};

use super::Kit;
use super::listener::Listener;
use crate::spec::Spec;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::connector::push::webhook_path;
use connector_runtime::description::OperationKind;

impl Kit {
    pub(crate) fn subscriptions(&mut self, connector: &Connector, good: &Connection, spec: &Spec) {
        let ids: Vec<String> = connector
            .description()
            .operations
            .iter()
            .filter(|op| {
                op.kind == OperationKind::PushTrigger && connector.needs_subscription(&op.id)
            })
            .map(|op| op.id.clone())
            .collect();
        if ids.is_empty() {
            return;
        }
        let listener = match Listener::start() {
            Ok(l) => l,
            Err(e) => {
                for id in ids {
                    self.fail(
                        format!("trigger {id}: subscription"),
                        format!("the kit could not start its webhook listener: {e:#}"),
                        Instant::now(),
                    );
                }
                return;
            }
        };
        for id in ids {
            self.subscription_round_trip(connector, good, spec, &id, &listener);
        }
    }

    fn subscription_round_trip(
        &mut self,
        connector: &Connector,
        good: &Connection,
        spec: &Spec,
        id: &str,
        listener: &Listener,
    ) {
        let name = format!("trigger {id}: subscription");
        let trigger = spec.triggers.get(id);
        if let Some(reason) = trigger.and_then(|t| t.skip.as_deref()) {
            self.skip(name, format!("skipped by the spec: {reason}"));
            return;
        }
        let start = Instant::now();
        let connection = match trigger.map(|t| t.subscription_connection(id)) {
            Some(Err(e)) => {
                self.fail(name, format!("{e:#}"), start);
                return;
            }
            Some(Ok(Some(c))) => c,
            _ => good.clone(),
        };
        let empty = Value::Object(Map::new());
        let input = trigger.map_or(&empty, |t| &t.input);
        let path = connector
            .push_binding(id, &connection, input)
            .ok()
            .and_then(|b| webhook_path(&b).ok())
            .unwrap_or_else(|| format!("/hooks/{id}"));
        let url = format!("{}{path}", listener.base_url());
        let before = listener.requests();
        let subscription = match self.note(id, connector.subscribe(id, &connection, input, &url)) {
            Ok(s) => s,
            Err(e) => {
                self.fail(name, format!("subscribe to {url} failed: {e}"), start);
                return;
            }
        };
        if let Err(e) = self.note(
            id,
            connector.unsubscribe(id, &connection, input, &subscription),
        ) {
            self.fail(
                name,
                format!("subscribed to {url}, but unsubscribe failed: {e}"),
                start,
            );
            return;
        }
        if let Err(e) = self.note(
            id,
            connector.unsubscribe(id, &connection, input, &subscription),
        ) {
            self.fail(
                name,
                format!(
                    "subscribed and unsubscribed, but unsubscribing the ended subscription again \
                     failed (it must not be an error): {e}"
                ),
                start,
            );
            return;
        }
        self.pass(
            name,
            format!(
                "subscribed to {url} ({} byte(s) of subscription), unsubscribed, and a second \
                 unsubscribe is not an error; the source sent {} request(s) to the callback",
                subscription.data.len(),
                listener.requests() - before
            ),
            start,
        );
    }
}
