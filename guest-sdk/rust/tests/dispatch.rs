//! The helper's dispatch, called natively the way the bindings call it: a
//! small connector with an action, a polling trigger and a push trigger with
//! a subscription, and the errors for what it does not have. (No host
//! import is called, so these run without a component.)

use connector_sdk::bindings::connector::provider::types::{
    CallContext, ErrorKind, OperationKind, RawEvent, Subscription,
};
use connector_sdk::bindings::exports::connector::provider::{provider, trigger};
use connector_sdk::prelude::*;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CountInput {
    /// How many.
    #[schemars(range(min = 1, max = 10))]
    n: u32,
    /// A project, offered by dynamic values.
    #[serde(default)]
    project: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct Counted {
    n: u32,
    step: String,
    attempt: u32,
    key: String,
    has_deadline: bool,
    project: Option<String>,
}

fn count(ctx: &Context, input: CountInput) -> Result<Counted> {
    Ok(Counted {
        n: input.n,
        step: ctx.step().into(),
        attempt: ctx.attempt(),
        key: ctx.idempotency_key().into(),
        has_deadline: ctx.remaining().is_some(),
        project: input.project,
    })
}

fn projects(ctx: &Context, input: &Value) -> Result<Vec<Choice>> {
    assert!(
        ctx.remaining().is_none(),
        "dynamic values carry no call context"
    );
    let prefix = input.get("n").and_then(Value::as_u64).unwrap_or(0);
    Ok(vec![
        Choice::new(format!("p{prefix}-a"), "Project A"),
        Choice::new(format!("p{prefix}-b"), "Project B"),
    ])
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoInput {}

#[derive(Serialize, JsonSchema)]
struct Hook {
    value: i64,
}

#[derive(Serialize, Deserialize)]
struct Sub {
    id: String,
}

fn hook(_ctx: &Context, _input: NoInput, event: &Event) -> Result<Vec<Item<Hook>>> {
    #[derive(Deserialize)]
    struct Body {
        value: i64,
    }
    let body: Body = event.json()?;
    Ok(vec![Item::new(
        format!("v{}", body.value),
        Hook { value: body.value },
    )])
}

fn subscribe(_ctx: &Context, _input: NoInput, callback: &str) -> Result<Sub> {
    Ok(Sub {
        id: format!("sub-for-{callback}"),
    })
}

fn unsubscribe(_ctx: &Context, _input: NoInput, sub: Sub) -> Result<()> {
    if sub.id.starts_with("sub-for-") {
        Ok(())
    } else {
        Err(Error::not_found("no-such-subscription", "unknown"))
    }
}

fn ticks(_ctx: &Context, _input: NoInput, state: Option<u64>) -> Result<Poll<Hook, u64>> {
    let next = state.unwrap_or(0) + 1;
    Ok(Poll::new(vec![Item::new(
        next.to_string(),
        Hook { value: next as i64 },
    )])
    .state(next))
}

struct Sample;

impl Connector for Sample {
    fn service() -> Service {
        Service::new("sample", "Sample", "0.1.0")
    }

    fn operations(ops: &mut Operations) {
        ops.action("count", "Count", count)
            .dynamic_values("project", &["n"], projects);
        ops.polling_trigger("ticks", "Ticks", ticks);
        ops.push_trigger("hooked", "Hooked", hook)
            .webhook_path("/hooks/sample")
            .subscription(subscribe, unsubscribe);
        ops.push_trigger("plain", "Plain", hook);
    }
}

type Exports = connector_sdk::Exports<Sample>;

fn context() -> CallContext {
    CallContext {
        run_id: "run-1".into(),
        step: "Count_items".into(),
        attempt: 2,
        idempotency_key: "run-1/Count_items".into(),
        remaining_ms: 9000,
    }
}

fn no_connection() -> Vec<(String, String)> {
    Vec::new()
}

#[test]
fn an_action_sees_the_call_context() {
    let response = <Exports as provider::Guest>::invoke(
        "count".into(),
        no_connection(),
        r#"{"n": 3}"#.into(),
        context(),
    )
    .unwrap();
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(
        body,
        json!({"n": 3, "step": "Count_items", "attempt": 2, "key": "run-1/Count_items", "has_deadline": true, "project": null})
    );
}

#[test]
fn range_bounds_are_enforced_when_called_directly() {
    for input in [r#"{"n": 0}"#, r#"{"n": 11}"#] {
        let err = <Exports as provider::Guest>::invoke(
            "count".into(),
            no_connection(),
            input.into(),
            context(),
        )
        .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.code, "bad-input", "{input}");
        assert!(err.message.contains("at /n"), "{}", err.message);
    }
}

#[test]
fn dynamic_values_are_answered_and_marked_in_the_schema() {
    let choices = <Exports as provider::Guest>::dynamic_values(
        "count".into(),
        "project".into(),
        no_connection(),
        r#"{"n": 4}"#.into(),
    )
    .unwrap();
    let values: Vec<(&str, &str)> = choices
        .iter()
        .map(|c| (c.value.as_str(), c.title.as_str()))
        .collect();
    assert_eq!(
        values,
        [(r#""p4-a""#, "Project A"), (r#""p4-b""#, "Project B")]
    );

    let operations = <Exports as provider::Guest>::list_operations();
    let count = operations.iter().find(|o| o.id == "count").unwrap();
    let schema: Value = serde_json::from_str(&count.input_schema).unwrap();
    assert_eq!(
        schema["properties"]["project"]["x-dynamic-values"],
        json!({"depends-on": ["n"]})
    );
    assert!(schema["properties"]["n"].get("x-dynamic-values").is_none());

    for (op, property, code) in [
        ("count", "n", "no-dynamic-values"),
        ("nope", "project", "unknown-operation"),
    ] {
        let err = <Exports as provider::Guest>::dynamic_values(
            op.into(),
            property.into(),
            no_connection(),
            "{}".into(),
        )
        .unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::InvalidInput, code)
        );
    }
    let err = <Exports as provider::Guest>::dynamic_values(
        "count".into(),
        "project".into(),
        no_connection(),
        "[1]".into(),
    )
    .unwrap_err();
    assert_eq!(err.code, "bad-input");
}

#[test]
fn a_push_trigger_with_a_subscription() {
    let operations = <Exports as provider::Guest>::list_operations();
    let hooked = operations.iter().find(|o| o.id == "hooked").unwrap();
    assert_eq!(hooked.kind, OperationKind::PushTrigger);
    let settings = hooked.trigger.unwrap();
    assert!(settings.needs_subscription);
    assert_eq!(settings.default_recurrence_seconds, 0);
    let plain = operations.iter().find(|o| o.id == "plain").unwrap();
    assert!(!plain.trigger.unwrap().needs_subscription);
    let ticks = operations.iter().find(|o| o.id == "ticks").unwrap();
    assert!(!ticks.trigger.unwrap().needs_subscription);

    let binding =
        <Exports as trigger::Guest>::push_binding("hooked".into(), no_connection(), "{}".into())
            .unwrap();
    assert_eq!(binding.binding_type, "webhook");
    assert_eq!(binding.binding_info, r#"{"path":"/hooks/sample"}"#);
    let binding =
        <Exports as trigger::Guest>::push_binding("plain".into(), no_connection(), "{}".into())
            .unwrap();
    assert_eq!(binding.binding_info, r#"{"path":"/hooks/plain"}"#);

    let sub = <Exports as trigger::Guest>::subscribe(
        "hooked".into(),
        no_connection(),
        "{}".into(),
        "http://127.0.0.1:1/cb".into(),
    )
    .unwrap();
    assert_eq!(sub.data, r#"{"id":"sub-for-http://127.0.0.1:1/cb"}"#);
    <Exports as trigger::Guest>::unsubscribe("hooked".into(), no_connection(), "{}".into(), sub)
        .unwrap();

    let err = <Exports as trigger::Guest>::unsubscribe(
        "hooked".into(),
        no_connection(),
        "{}".into(),
        Subscription {
            data: "not json".into(),
        },
    )
    .unwrap_err();
    assert_eq!(err.code, "bad-subscription");
    for (id, code) in [
        ("plain", "no-subscription"),
        ("ticks", "not-a-push-trigger"),
        ("count", "not-a-push-trigger"),
    ] {
        let err = <Exports as trigger::Guest>::subscribe(
            id.into(),
            no_connection(),
            "{}".into(),
            "x".into(),
        )
        .unwrap_err();
        assert_eq!(
            (err.kind, err.code.as_str()),
            (ErrorKind::InvalidInput, code),
            "{id}"
        );
    }

    let event = |body: &str| RawEvent {
        method: "POST".into(),
        path: "/hooks/sample".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    };
    let items = <Exports as trigger::Guest>::handle_event(
        "hooked".into(),
        no_connection(),
        "{}".into(),
        event(r#"{"value": 7}"#),
    )
    .unwrap();
    assert_eq!(
        (items[0].id.as_str(), items[0].body.as_str()),
        ("v7", r#"{"value":7}"#)
    );
    for (body, code) in [("nope", "bad-json"), (r#"{"value": "x"}"#, "bad-event")] {
        let err = <Exports as trigger::Guest>::handle_event(
            "hooked".into(),
            no_connection(),
            "{}".into(),
            event(body),
        )
        .unwrap_err();
        assert_eq!(err.code, code, "{body}");
    }
    let err = <Exports as trigger::Guest>::handle_event(
        "hooked".into(),
        no_connection(),
        r#"{"extra": 1}"#.into(),
        event(r#"{"value": 7}"#),
    )
    .unwrap_err();
    assert_eq!(err.code, "bad-input");
}

#[test]
fn a_poll_sees_the_call_context_and_reads_its_state() {
    let poll = <Exports as trigger::Guest>::poll(
        "ticks".into(),
        no_connection(),
        "{}".into(),
        Some("4".into()),
        context(),
    )
    .unwrap();
    assert_eq!(poll.state.as_deref(), Some("5"));
    let err = <Exports as trigger::Guest>::poll(
        "ticks".into(),
        no_connection(),
        "{}".into(),
        Some("\"x\"".into()),
        context(),
    )
    .unwrap_err();
    assert_eq!(err.code, "bad-state");
    let err = <Exports as trigger::Guest>::poll(
        "hooked".into(),
        no_connection(),
        "{}".into(),
        None,
        context(),
    )
    .unwrap_err();
    assert_eq!(err.code, "unknown-operation");
}
