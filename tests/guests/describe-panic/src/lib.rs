//! A connector that panics while describing itself: the host must report a
//! typed error at load time and go on serving other connectors.

// Built against the frozen 0.1.0 contract on purpose: this guest checks that
// the host still runs components of the previous version.
wit_bindgen::generate!({
    path: "../../../wit/v0.1.0",
    world: "connector",
});

use connector::provider::types::{
    Binding, ConnectorError, Operation, PollResult, RawEvent, Response, ServiceDescription,
    TriggerItem,
};

struct Component;

impl exports::connector::provider::provider::Guest for Component {
    fn describe_service() -> ServiceDescription {
        panic!("describe-service panicked on purpose")
    }

    fn list_operations() -> Vec<Operation> {
        panic!("list-operations panicked on purpose")
    }

    fn check_connection(_: Vec<(String, String)>) -> Result<(), ConnectorError> {
        unreachable!("never loaded far enough to be called")
    }

    fn invoke(_: String, _: Vec<(String, String)>, _: String) -> Result<Response, ConnectorError> {
        unreachable!("never loaded far enough to be called")
    }
}

impl exports::connector::provider::trigger::Guest for Component {
    fn poll(
        _: String,
        _: Vec<(String, String)>,
        _: String,
        _: Option<String>,
    ) -> Result<PollResult, ConnectorError> {
        unreachable!("never loaded far enough to be called")
    }

    fn push_binding(
        _: String,
        _: Vec<(String, String)>,
        _: String,
    ) -> Result<Binding, ConnectorError> {
        unreachable!("never loaded far enough to be called")
    }

    fn handle_event(
        _: String,
        _: Vec<(String, String)>,
        _: String,
        _: RawEvent,
    ) -> Result<Vec<TriggerItem>, ConnectorError> {
        unreachable!("never loaded far enough to be called")
    }
}

export!(Component);
