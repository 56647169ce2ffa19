//! Connector calls (`ServiceProvider`, and `Http` as a call of the bundled HTTP connector) with
//! their retries and `timeout`, and `Wait`. Every attempt is journaled before it starts; waits
//! between attempts and `Wait` itself sleep in short slices so that `runs cancel` stops them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::CallContext;
use super::outcome::Outcome;
use super::record::{ActionError, Attempt};
use super::retry::{RetryPolicy, is_retryable, jitter};
use super::runner::{Runner, now_rfc3339};
use super::state::Frame;
use crate::definition::{Action, ActionBody, ActionType, RunStatus, ServiceProviderCall};

/// The service provider id an `Http` action is invoked as.
pub const HTTP_SERVICE_PROVIDER: &str = "/serviceProviders/http";

/// How often a sleeping step looks for a cancellation.
const SLICE: Duration = Duration::from_millis(20);

/// How a sleep ended.
enum Slept {
    Done,
    Deadline,
    Stopped,
}

impl Runner<'_, '_> {
    /// Sleeps until `until`, or the `deadline` if sooner, or the run stops.
    fn sleep_until(&self, until: Instant, deadline: Option<Instant>) -> Slept {
        loop {
            if self.stopped() {
                return Slept::Stopped;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d && d <= until) {
                return Slept::Deadline;
            }
            if now >= until {
                return Slept::Done;
            }
            let end = deadline.map_or(until, |d| d.min(until));
            std::thread::sleep(SLICE.min(end.saturating_duration_since(now)));
        }
    }

    pub(super) fn call(&self, a: &Action, frame: &Frame, key: &str) -> Outcome {
        let (mut attempts, mut number) = self.replay.interrupted(key);
        let deadline = a.timeout.map(|t| Instant::now() + t);
        let inputs = match self.inputs(a, frame) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let field = |k: &str| inputs.as_ref().and_then(|i| i.get(k)).cloned();
        let http;
        let (call, parameters) = match &a.body {
            ActionBody::ServiceProvider(call) => {
                (call, field("parameters").unwrap_or_else(|| json!({})))
            }
            _ => {
                http = ServiceProviderCall {
                    connection_name: String::new(),
                    operation_id: "request".into(),
                    service_provider_id: HTTP_SERVICE_PROVIDER.into(),
                };
                let mut p = serde_json::Map::new();
                for k in ["method", "uri", "headers", "queries", "body"] {
                    if let Some(v) = field(k) {
                        p.insert(k.into(), v);
                    }
                }
                (&http, Value::Object(p))
            }
        };
        let policy = match RetryPolicy::parse(a.retry_policy.as_ref()) {
            Ok(p) => p,
            Err(m) => {
                return Outcome::failed("InvalidRetryPolicy", format!("`{}`: {m}", a.name))
                    .with_inputs(inputs);
            }
        };
        // A resumed step has used some of its attempts; it always gets at least one more.
        let last = (policy.retries() + 1).max(number);
        loop {
            if !self.start_attempt(key, number, None) {
                return Outcome::stopped();
            }
            let context = CallContext {
                run_id: self.run_id.to_owned(),
                step: key.to_owned(),
                attempt: number,
                idempotency_key: format!("{}/{key}", self.run_id),
                deadline,
            };
            let start = (now_rfc3339(), Instant::now());
            let result = self.engine.invoker.invoke(call, &parameters, &context);
            let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
            let error = match &result {
                Ok(_) if !timed_out => None,
                Ok(_) => Some(timeout_error(a)),
                Err(e) => Some(ActionError {
                    code: e.kind.clone(),
                    message: format!(
                        "{} {}: {}",
                        call.service_provider_id, call.operation_id, e.message
                    ),
                }),
            };
            attempts.push(Attempt {
                number,
                start: start.0,
                duration_ms: start.1.elapsed().as_millis() as u64,
                error: error.clone(),
            });
            let ended = |mut o: Outcome, attempts| {
                o.attempts = attempts;
                o.with_inputs(inputs.clone())
            };
            let failure = match result {
                Ok(body) if !timed_out => {
                    let outputs =
                        if a.action_type == ActionType::Http && body.get("statusCode").is_some() {
                            body
                        } else {
                            json!({ "body": body })
                        };
                    return ended(Outcome::ok(None, Some(outputs)), attempts);
                }
                Ok(_) => return ended(timed_out_outcome(a), attempts),
                Err(e) => e,
            };
            let error = error.expect("a failure has an error");
            let failed = Outcome {
                error: Some(error),
                ..Outcome::with_status(RunStatus::Failed, None)
            };
            if !is_retryable(&failure.kind) || number >= last {
                return ended(failed, attempts);
            }
            let mut wait = policy.delay(number, jitter());
            if failure.kind == "throttled"
                && let Some(after) = failure.retry_after
            {
                wait = wait.max(after);
            }
            match self.sleep_until(Instant::now() + wait, deadline) {
                Slept::Done => number += 1,
                Slept::Deadline => return ended(timed_out_outcome(a), attempts),
                Slept::Stopped => return Outcome::stopped(),
            }
        }
    }

    /// `Wait`: `interval` `{count, unit}` or `until` `{timestamp}`. The wake-up time is
    /// journaled, so a resumed Wait sleeps only what is left.
    pub(super) fn wait(&self, a: &Action, frame: &Frame, key: &str) -> Outcome {
        let (mut attempts, number) = self.replay.interrupted(key);
        let inputs = match self.inputs(a, frame) {
            Ok(i) => i,
            Err(o) => return o,
        };
        let deadline = a.timeout.map(|t| Instant::now() + t);
        let start = (now_rfc3339(), Instant::now());
        let wake = match self.replay.decisions.get(key) {
            Some(d) => d["until"].as_str().map(str::to_owned).ok_or_else(|| {
                Outcome::failed("InvalidJournal", "the journaled wake-up time is missing")
            }),
            None => wake_time(inputs.as_ref())
                .map_err(|m| Outcome::failed("InvalidWait", format!("`{}`: {m}", a.name))),
        };
        let wake = match wake {
            Ok(w) => w,
            Err(o) => return o.with_inputs(inputs),
        };
        if !self.replay.decisions.contains_key(key)
            && !self.start_attempt(key, number, Some(json!({ "until": wake })))
        {
            return Outcome::stopped();
        }
        let left = chrono::DateTime::parse_from_rfc3339(&wake)
            .map(|t| {
                (t.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        let mut o = match self.sleep_until(Instant::now() + left, deadline) {
            Slept::Done => Outcome::ok(inputs, None),
            Slept::Deadline => timed_out_outcome(a).with_inputs(inputs),
            Slept::Stopped => return Outcome::stopped(),
        };
        attempts.push(Attempt {
            number,
            start: start.0,
            duration_ms: start.1.elapsed().as_millis() as u64,
            error: o.error.clone(),
        });
        o.attempts = attempts;
        o
    }
}

fn timeout_error(a: &Action) -> ActionError {
    ActionError {
        code: "ActionTimedOut".into(),
        message: format!(
            "`{}` did not end within its timeout of {:?}",
            a.name,
            a.timeout.unwrap_or_default()
        ),
    }
}

fn timed_out_outcome(a: &Action) -> Outcome {
    Outcome {
        error: Some(timeout_error(a)),
        ..Outcome::with_status(RunStatus::TimedOut, None)
    }
}

/// The RFC 3339 time a `Wait` ends, from its inputs.
fn wake_time(inputs: Option<&Value>) -> Result<String, String> {
    let i = inputs.ok_or("a Wait needs `inputs`")?;
    if let Some(t) = i.pointer("/until/timestamp") {
        let s = t.as_str().ok_or("`until.timestamp` must be a string")?;
        let t = chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|e| format!("`until.timestamp` '{s}' is not an RFC 3339 time: {e}"))?;
        return Ok(t.with_timezone(&chrono::Utc).to_rfc3339());
    }
    let interval = i
        .get("interval")
        .ok_or("a Wait needs `interval` or `until`")?;
    let count = interval
        .get("count")
        .and_then(|c| {
            c.as_f64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })
        .filter(|c| *c >= 0.0 && c.is_finite())
        .ok_or("`interval.count` must be a number of at least 0")?;
    let unit = interval
        .get("unit")
        .and_then(Value::as_str)
        .unwrap_or("Second");
    let secs = match unit.to_ascii_lowercase().as_str() {
        "second" => 1.0,
        "minute" => 60.0,
        "hour" => 3_600.0,
        "day" => 86_400.0,
        "week" => 7.0 * 86_400.0,
        "month" => 30.0 * 86_400.0,
        _ => {
            return Err(format!(
                "`interval.unit` `{unit}` is not Second, Minute, Hour, Day, Week or Month"
            ));
        }
    };
    let ms = (count * secs * 1000.0).min(1.0e13) as i64;
    Ok((chrono::Utc::now() + chrono::Duration::milliseconds(ms)).to_rfc3339())
}
