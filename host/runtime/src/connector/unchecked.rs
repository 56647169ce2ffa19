//! Calls that bypass the host's own checks, for the conformance kit
//! (`connector-host test`): it must see how a connector answers input that
//! the host would have refused, and whether describing it twice in one
//! instance gives the same answer. Limits, grants, redaction and trap
//! classification are those of every other call.

use serde_json::Value;

use super::Connector;
use crate::connection::Connection;
use crate::description::Description;
use crate::error::CallError;

impl Connector {
    /// Runs the action `operation` with `input` exactly as given, without
    /// checking it against the input schema first. The connector's answer is
    /// returned as it came (status and body text, unchecked); its errors,
    /// traps and limits as from [`Connector::invoke`].
    ///
    /// Only for testing connectors: a runtime must call [`Connector::invoke`].
    pub fn invoke_unchecked(
        &self,
        operation: &str,
        connection: &Connection,
        input: &str,
    ) -> Result<(u16, String), CallError> {
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input = input.to_string();
        let result = self.run(operation, Some(&connection), &redactor, |store, guest| {
            let context = super::CallContext::default().to_wit(store.data().deadline);
            guest.invoke(
                &mut *store,
                operation,
                &connection.to_wit(),
                &input,
                &context,
            )
        })?;
        let response = result.map_err(|e| self.connector_error(e, &redactor))?;
        Ok((response.status, response.body))
    }

    /// Polls the trigger `trigger` with `input` exactly as given, without
    /// checking it against the input schema first. Returns how many items
    /// the connector found (unchecked).
    ///
    /// Only for testing connectors: a runtime must call [`Connector::poll`].
    pub fn poll_unchecked(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &str,
        state: Option<&str>,
    ) -> Result<usize, CallError> {
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input = input.to_string();
        let state = state.map(str::to_string);
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            let context = super::CallContext::for_trigger(trigger).to_wit(store.data().deadline);
            guest.poll(
                &mut *store,
                trigger,
                &connection.to_wit(),
                &input,
                state.as_ref(),
                &context,
            )
        })?;
        let outcome = result.map_err(|e| self.connector_error(e, &redactor))?;
        Ok(outcome.items.len())
    }

    /// Asks the push trigger `trigger` for its binding with `input` exactly
    /// as given, without checking it against the input schema first. Returns
    /// the binding type the connector answered (unchecked, secrets redacted).
    ///
    /// Only for testing connectors: a runtime must call [`Connector::push_binding`].
    pub fn push_binding_unchecked(
        &self,
        trigger: &str,
        connection: &Connection,
        input: &str,
    ) -> Result<String, CallError> {
        let connection = self.resolve(connection)?;
        let redactor = connection.redactor(&self.description);
        let input = input.to_string();
        let result = self.run(trigger, Some(&connection), &redactor, |store, guest| {
            guest.push_binding(&mut *store, trigger, &connection.to_wit(), &input)
        })?;
        let binding = result.map_err(|e| self.connector_error(e, &redactor))?;
        Ok(redactor.redact(&binding.binding_type))
    }

    /// Calls describe-service and list-operations twice in one fresh
    /// instance and returns both descriptions as JSON, so that a caller can
    /// check that a connector describes itself the same way every time.
    pub fn describe_twice(&self) -> Result<(Value, Value), CallError> {
        let redactor = crate::capabilities::Redactor::default();
        let (first, second) = self.run("describe", None, &redactor, |store, guest| {
            let mut answers = Vec::with_capacity(2);
            for _ in 0..2 {
                let service = guest.describe_service(&mut *store)?;
                let operations = guest.list_operations(&mut *store)?;
                answers.push((service, operations));
            }
            let second = answers.pop().expect("two answers");
            let first = answers.pop().expect("two answers");
            Ok((first, second))
        })?;
        let to_json = |(service, operations)| {
            let (description, _) = Description::from_guest(service, operations, self.version);
            serde_json::to_value(&description).unwrap_or(Value::Null)
        };
        Ok((to_json(first), to_json(second)))
    }
}
