//! The webhook subscription lifecycle of push triggers (contract 0.2.0):
//! `trigger.subscribe` tells the event source where to send events (the
//! host's callback URL), `trigger.unsubscribe` ends it.
//!
//! The subscription the connector answers is opaque to the host, which
//! stores it durably (the trigger host's state store) and gives it back to
//! `unsubscribe`. So it is bounded in size, and one that holds a secret of
//! the connection is refused: stored state never holds secrets.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Connector, check_input};
use crate::bindings::types as wit;
use crate::connection::Connection;
use crate::description::OperationKind;
use crate::error::CallError;

/// Largest subscription a connector may answer, in bytes.
pub const MAX_SUBSCRIPTION_BYTES: usize = 16 << 10;
/// Longest callback URL the host passes.
const MAX_CALLBACK_URL: usize = 2048;

/// A subscription at the event source, as the connector made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Opaque to the host (e.g. the source's subscription id).
    pub data: String,
}

impl Connector {
    /// Whether the push trigger `trigger` says the host must subscribe it
    /// (`needs-subscription`; never for a 0.1.0 component).
    pub fn needs_subscription(&self, trigger: &str) -> bool {
        self.description
            .operation(trigger)
            .and_then(|op| op.trigger.as_ref())
            .is_some_and(|t| t.needs_subscription)
    }

    /// Asks the push trigger `trigger` to subscribe its event source to
    /// `callback_url` (`http://` or `https://`), with the trigger's input.
    pub fn subscribe(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        callback_url: &str,
    ) -> Result<Subscription, CallError> {
        self.expect_subscribable(trigger, "subscribe")?;
        check_input(self.schemas[trigger].input.as_ref(), input)?;
        if !(callback_url.starts_with("http://") || callback_url.starts_with("https://"))
            || callback_url.len() > MAX_CALLBACK_URL
            || callback_url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(CallError::InvalidInput {
                pointer: "/".into(),
                message: format!(
                    "the callback URL {callback_url:?} is not an http(s) URL of at most {MAX_CALLBACK_URL} bytes"
                ),
            });
        }
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = super::json_text(input);
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            guest.subscribe(
                &mut *store,
                trigger,
                &connection.to_wit(),
                &input_text,
                callback_url,
            )
        })?;
        let subscription = result.map_err(|e| self.connector_error(e, &redactor))?;
        if subscription.data.len() > MAX_SUBSCRIPTION_BYTES {
            return Err(self.bad_output(
                format!(
                    "the subscription is {} bytes; at most {MAX_SUBSCRIPTION_BYTES} are stored",
                    subscription.data.len()
                ),
                &redactor,
            ));
        }
        self.refuse_secrets("the subscription", &subscription.data, &redactor)?;
        Ok(Subscription {
            data: subscription.data,
        })
    }

    /// Ends `subscription` (what [`Connector::subscribe`] answered for the
    /// trigger with this input). An already ended one is not an error, as
    /// the contract asks of the connector.
    pub fn unsubscribe(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &Value,
        subscription: &Subscription,
    ) -> Result<(), CallError> {
        self.expect_subscribable(trigger, "unsubscribe")?;
        check_input(self.schemas[trigger].input.as_ref(), input)?;
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input_text = super::json_text(input);
        let wit_subscription = wit::Subscription {
            data: subscription.data.clone(),
        };
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            guest.unsubscribe(
                &mut *store,
                trigger,
                &connection.to_wit(),
                &input_text,
                &wit_subscription,
            )
        })?;
        result.map_err(|e| self.connector_error(e, &redactor))
    }

    /// A 0.2.0 push trigger that says `needs-subscription`.
    fn expect_subscribable(&self, trigger: &str, function: &'static str) -> Result<(), CallError> {
        self.expect_v0_2(function)?;
        self.expect_kind(trigger, &[OperationKind::PushTrigger])?;
        if !self.needs_subscription(trigger) {
            return Err(CallError::UnknownOperation {
                connector: self.name.to_string(),
                message: format!(
                    "{trigger:?} does not say needs-subscription; the host does not subscribe it"
                ),
            });
        }
        Ok(())
    }
}
