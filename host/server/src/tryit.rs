//! "Try it": invoke an action, poll a trigger once, test a connection, or
//! ask for dynamic values, from the page or a script.
//!
//! A call that ran answers 200 with `{"ok": true, ...}` or `{"ok": false,
//! "error": {...}}`: the connector's typed error (kind, code, retry-after),
//! the host's refusal of the input (with the JSON pointer, for the page to
//! show beside the field), a limit or a trap. Only a request that cannot be
//! made (no such connector, operation or connection) is an HTTP error.
//!
//! Calls run on blocking threads behind a semaphore (one call per core,
//! twice over), never on the async workers. Everything sent back passes
//! through a redactor holding every secret of the connection: the runtime
//! already refuses outputs holding a secret and redacts errors, and this is
//! the second lock on the same door (it also catches a secret spelled with
//! JSON escapes, since strings are redacted after parsing).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use connector_runtime::capabilities::Redactor;
use connector_runtime::connection::Connection;
use connector_runtime::connector::Connector;
use connector_runtime::description::ParameterKind;
use connector_runtime::error::CallError;
use connector_runtime::observe::{Usage, take_last_call_usage};

use crate::app::App;
use crate::error::ApiError;

/// The body of invoke, poll and dynamic-values.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TryRequest {
    /// The connection's name; none calls with an empty connection.
    pub connection: Option<String>,
    /// The operation's input (default `{}`), kept as the request's text: an
    /// action gets it as it came, with no `Value` built beyond what its
    /// input schema reads.
    #[serde(default)]
    pub input: Option<Box<serde_json::value::RawValue>>,
    /// poll: the trigger state to poll from (default: none, a first poll).
    #[serde(default)]
    pub state: Option<Value>,
    /// dynamic-values: the input property whose choices are wanted.
    #[serde(default)]
    pub property: Option<String>,
}

impl TryRequest {
    /// The input as text (`{}` when none was given).
    fn input_text(&self) -> &str {
        self.input.as_deref().map_or("{}", |raw| raw.get())
    }

    /// The input as a value, for calls that take one.
    fn input_value(&self) -> Result<Value, ApiError> {
        serde_json::from_str(self.input_text())
            .map_err(|e| ApiError::bad_request("/input", format!("the input is not JSON: {e}")))
    }
}

/// How long a call took and what it used of its sandbox.
struct Measured {
    ms: f64,
    usage: Option<Usage>,
}

/// What the runtime reports of the call's metering: the fuel it burned and
/// its instance's linear memory at the peak (invoke and poll; null for
/// other calls, and fuel null when the engine does not meter it).
fn metering(usage: Option<Usage>) -> Value {
    json!({
        "fuelUsed": usage.and_then(|u| u.fuel_consumed),
        "memoryUsed": usage.map(|u| u.peak_memory_bytes),
    })
}

/// The connector and connection of a try.
struct Target {
    connector: Arc<Connector>,
    connection: Connection,
    redactor: Redactor,
}

fn target(app: &App, name: &str, connection: Option<&str>) -> Result<Target, ApiError> {
    let connector = app.connector(name)?;
    let (connection, mut secrets) = match connection {
        None => (Connection::new(), Vec::new()),
        Some(c) => {
            let call = app.connections.for_call(c)?;
            if call.connector != name {
                return Err(ApiError::bad_request(
                    "/connection",
                    format!(
                        "the connection {c:?} belongs to the connector {:?}, not {name:?}",
                        call.connector
                    ),
                ));
            }
            (call.connection, call.secrets)
        }
    };
    // Declared secrets wherever the values came from (a configuration may
    // put one in `values`).
    for p in &connector.description().service.connection_parameters {
        if p.kind == ParameterKind::Secret
            && let Some(v) = connection.get(&p.name)
        {
            secrets.push(v.to_string());
        }
    }
    Ok(Target {
        connector,
        connection,
        redactor: Redactor::new(secrets),
    })
}

/// Runs `f` on a blocking thread behind the server's call semaphore, and
/// times it (the wait for a permit is not counted).
async fn run_call<R: Send + 'static>(
    app: &App,
    f: impl FnOnce() -> R + Send + 'static,
) -> Result<(R, Measured), ApiError> {
    let _permit = app
        .calls
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::unavailable("the server is stopping"))?;
    tokio::task::spawn_blocking(move || {
        let _stale = take_last_call_usage();
        let started = Instant::now();
        let r = f();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let usage = take_last_call_usage();
        (r, Measured { ms, usage })
    })
    .await
    .map_err(|e| ApiError::internal(format!("the call's thread failed: {e}")))
}

/// A call's error as JSON: its category, message, and what the page
/// needs to act on it.
pub fn call_error_json(e: &CallError, redactor: &Redactor) -> Value {
    let mut v = json!({"category": e.category(), "message": redactor.redact(&e.to_string())});
    match e {
        CallError::InvalidInput { pointer, .. } => v["pointer"] = json!(pointer),
        CallError::Connector { error, .. } => {
            v["kind"] = json!(error.kind);
            v["code"] = json!(redactor.redact(&error.code));
            v["connectorMessage"] = json!(redactor.redact(&error.message));
            v["retryable"] = json!(error.kind.is_retryable());
            if let Some(ms) = error.retry_after_ms {
                v["retryAfterMs"] = json!(ms);
            }
        }
        CallError::Limit { limit, .. } => v["limit"] = json!(limit),
        _ => {}
    }
    v
}

/// Every string of `value` (keys too) with the secrets replaced.
fn redact_value(value: Value, redactor: &Redactor) -> Value {
    if redactor.is_empty() {
        return value;
    }
    match value {
        Value::String(s) => Value::String(redactor.redact(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| redact_value(v, redactor)).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (redactor.redact(&k), redact_value(v, redactor)))
                .collect(),
        ),
        other => other,
    }
}

fn outcome(
    result: Result<Value, CallError>,
    measured: Measured,
    redactor: &Redactor,
) -> Json<Value> {
    let mut v = match result {
        Ok(v) => {
            let mut v = redact_value(v, redactor);
            v["ok"] = json!(true);
            v
        }
        Err(e) => json!({"ok": false, "error": call_error_json(&e, redactor)}),
    };
    v["durationMs"] = json!((measured.ms * 1000.0).round() / 1000.0);
    v["metering"] = metering(measured.usage);
    Json(v)
}

fn body(payload: Result<Json<TryRequest>, JsonRejection>) -> Result<TryRequest, ApiError> {
    Ok(payload?.0)
}

/// `POST /api/connectors/{name}/operations/{op}/invoke`
pub async fn invoke(
    State(app): State<Arc<App>>,
    Path((name, op)): Path<(String, String)>,
    payload: Result<Json<TryRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = body(payload)?;
    let t = target(&app, &name, request.connection.as_deref())?;
    app.operation_of_kind(&t.connector, &op, "action")?;
    let input = connector_runtime::json::Json::from_text(request.input_text())
        .map_err(|e| ApiError::bad_request("/input", format!("the input is not JSON: {e}")))?;
    let (connector, connection) = (t.connector.clone(), t.connection);
    let (result, ms) = run_call(&app, move || {
        connector.invoke_json(&op, &connection, &input)
    })
    .await?;
    let result = result.and_then(|r| {
        let body = r.body.to_value().map_err(|e| CallError::BadOutput {
            connector: name.clone(),
            problem: format!("the body cannot be read back: {e}"),
        })?;
        Ok(json!({"status": r.status, "body": body}))
    });
    Ok(outcome(result, ms, &t.redactor))
}

/// `POST /api/connectors/{name}/operations/{op}/poll`
pub async fn poll(
    State(app): State<Arc<App>>,
    Path((name, op)): Path<(String, String)>,
    payload: Result<Json<TryRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = body(payload)?;
    let t = target(&app, &name, request.connection.as_deref())?;
    app.operation_of_kind(&t.connector, &op, "polling-trigger")?;
    let (connector, connection) = (t.connector.clone(), t.connection);
    let (input, state) = (request.input_value()?, request.state);
    let (result, ms) = run_call(&app, move || {
        connector.poll(&op, &connection, &input, state.as_ref())
    })
    .await?;
    let result = result.and_then(|outcome| {
        serde_json::to_value(&outcome).map_err(|e| CallError::BadOutput {
            connector: name.clone(),
            problem: format!("the poll's outcome cannot be read back: {e}"),
        })
    });
    Ok(outcome(result, ms, &t.redactor))
}

/// `POST /api/connectors/{name}/operations/{op}/dynamic-values`
pub async fn dynamic_values(
    State(app): State<Arc<App>>,
    Path((name, op)): Path<(String, String)>,
    payload: Result<Json<TryRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = body(payload)?;
    let property = request.property.clone().ok_or_else(|| {
        ApiError::bad_request("/property", "name the input property whose values you want")
    })?;
    let t = target(&app, &name, request.connection.as_deref())?;
    if t.connector.description().operation(&op).is_none() {
        return Err(ApiError::not_found(format!(
            "{name:?} has no operation {op:?}"
        )));
    }
    let (connector, connection, input) =
        (t.connector.clone(), t.connection, request.input_value()?);
    let (result, ms) = run_call(&app, move || {
        connector.dynamic_values(&op, &property, &connection, &input)
    })
    .await?;
    let result = result.map(|values| {
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| json!({"value": v.value.to_value().unwrap_or(Value::Null), "title": v.title}))
            .collect();
        json!({ "values": values })
    });
    Ok(outcome(result, ms, &t.redactor))
}

/// `POST /api/connections/{name}/test`: check-connection.
pub async fn test_connection(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let call = app.connections.for_call(&name)?;
    let t = target(&app, &call.connector, Some(&name))?;
    let (connector, connection) = (t.connector.clone(), t.connection);
    let (result, ms) = run_call(&app, move || connector.check_connection(&connection)).await?;
    Ok(outcome(result.map(|()| json!({})), ms, &t.redactor))
}
