//! Trigger event handling: `splitOn`, `conditions`, and `Recurrence` schedules (fixed
//! intervals from a start, months, Day and Week schedules, and the errors).

use chrono::{DateTime, Utc};
use connector_workflows::definition::WorkflowFile;
use connector_workflows::trigger::{Recurrence, conditions_hold, split_events};
use serde_json::{Value, json};

fn trigger(t: Value) -> connector_workflows::definition::Trigger {
    let text = json!({ "definition": { "triggers": { "t": t }, "actions": {} } }).to_string();
    let w = WorkflowFile::parse(&text, "w/workflow.json", "w").unwrap_or_else(|e| panic!("{e}"));
    w.workflow.definition.triggers[0].clone()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn split_on_makes_one_event_per_item_and_conditions_filter() {
    let t = trigger(
        json!({ "type": "Request", "kind": "Http", "splitOn": "@triggerBody()?['value']",
        "conditions": [{ "expression": "@not(equals(triggerBody()?['skip'], true))" }] }),
    );
    let events = split_events(
        &t,
        json!({ "headers": { "h": 1 }, "body": { "value": [{ "a": 1 }, { "skip": true }] } }),
    )
    .unwrap();
    assert_eq!(
        events,
        [
            json!({ "headers": { "h": 1 }, "body": { "a": 1 } }),
            json!({ "headers": { "h": 1 }, "body": { "skip": true } })
        ]
    );
    assert!(conditions_hold(&t, &events[0]).unwrap());
    assert!(!conditions_hold(&t, &events[1]).unwrap());
    let e = split_events(&t, json!({ "headers": {}, "body": { "value": 3 } })).unwrap_err();
    assert!(
        e.contains("trigger `t`, splitOn: the expression must give an array, got 3"),
        "{e}"
    );
    assert!(
        split_events(&t, json!({ "headers": {}, "body": {} }))
            .unwrap()
            .is_empty()
    );
    let plain = trigger(
        json!({ "type": "Request", "kind": "Http", "conditions": [{ "expression": "@triggerBody()" }] }),
    );
    assert_eq!(
        split_events(&plain, json!({ "body": 1 })).unwrap(),
        [json!({ "body": 1 })]
    );
    let e = conditions_hold(&plain, &json!({ "body": 1 })).unwrap_err();
    assert!(
        e.contains("conditions/0: the expression must give a boolean, got 1"),
        "{e}"
    );
}

#[test]
fn recurrences_fire_when_logic_apps_would() {
    let r = |v: Value| Recurrence::parse(&v).unwrap_or_else(|e| panic!("{e}"));
    let every15 =
        r(json!({ "frequency": "Minute", "interval": 15, "startTime": "2026-01-01T00:05:00Z" }));
    assert_eq!(
        every15.next_after(at("2025-12-31T00:00:00Z")),
        at("2026-01-01T00:05:00Z")
    );
    assert_eq!(
        every15.next_after(at("2026-01-01T00:05:00Z")),
        at("2026-01-01T00:20:00Z")
    );
    assert_eq!(
        every15.next_after(at("2026-01-01T01:00:01Z")),
        at("2026-01-01T01:05:00Z")
    );
    let free = r(json!({ "frequency": "Second", "interval": 30 }));
    assert_eq!(
        free.next_after(at("2026-01-01T00:00:00Z")),
        at("2026-01-01T00:00:30Z")
    );
    let monthly =
        r(json!({ "frequency": "Month", "interval": 1, "startTime": "2026-01-31T08:00:00Z" }));
    assert_eq!(
        monthly.next_after(at("2026-02-01T00:00:00Z")),
        at("2026-02-28T08:00:00Z")
    );
    let daily = r(
        json!({ "frequency": "Day", "interval": 1, "schedule": { "hours": [9, 17], "minutes": [30] } }),
    );
    assert_eq!(
        daily.next_after(at("2026-03-04T10:00:00Z")),
        at("2026-03-04T17:30:00Z")
    );
    assert_eq!(
        daily.next_after(at("2026-03-04T17:30:00Z")),
        at("2026-03-05T09:30:00Z")
    );
    // Every other week on Monday and Friday at 08:00, counted from the start's week.
    let weekly = r(
        json!({ "frequency": "Week", "interval": 2, "startTime": "2026-01-05T00:00:00Z",
        "schedule": { "weekDays": ["Monday", "Friday"], "hours": [8], "minutes": [0] } }),
    );
    assert_eq!(
        weekly.next_after(at("2026-01-05T09:00:00Z")),
        at("2026-01-09T08:00:00Z")
    );
    assert_eq!(
        weekly.next_after(at("2026-01-09T09:00:00Z")),
        at("2026-01-19T08:00:00Z")
    );
    assert_eq!(
        weekly.next_after(at("2025-06-01T00:00:00Z")),
        at("2026-01-05T08:00:00Z")
    );
}

#[test]
fn bad_recurrences_say_what_is_wrong() {
    for (v, says) in [
        (
            json!({ "frequency": "Minute", "timeZone": "Pacific Standard Time" }),
            "UTC only",
        ),
        (json!({ "frequency": "Fortnight" }), "is not one of Second"),
        (
            json!({ "frequency": "Hour", "interval": 0 }),
            "positive integer",
        ),
        (
            json!({ "frequency": "Hour", "schedule": { "hours": [1] } }),
            "only to the Day and Week",
        ),
        (
            json!({ "frequency": "Day", "schedule": { "hours": [24] } }),
            "from 0 to 23",
        ),
        (
            json!({ "frequency": "Day", "schedule": { "weekDays": ["Monday"] } }),
            "only to the Week",
        ),
        (
            json!({ "frequency": "Week", "schedule": { "weekDays": ["Someday"] } }),
            "is not a day",
        ),
        (
            json!({ "frequency": "Day", "startTime": "tomorrow" }),
            "is not a date-time",
        ),
        (json!({ "interval": 1 }), "frequency` is missing"),
    ] {
        let e = Recurrence::parse(&v).unwrap_err();
        assert!(e.contains(says), "{v}: {e}");
    }
    assert!(Recurrence::parse(&json!({ "frequency": "Day", "timeZone": "UTC" })).is_ok());
}
