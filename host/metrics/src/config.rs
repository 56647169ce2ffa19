//! `[metrics]` and `[telemetry]` of the host configuration, which
//! connector-triggers keeps as written and this crate reads.
//!
//! ```toml
//! [metrics]
//! listen = "127.0.0.1:9464"     # run only: serve /metrics here (serve has it on its own address)
//!
//! [telemetry]
//! otlp_endpoint = "http://127.0.0.1:4318"   # OTLP/HTTP collector; else OTEL_EXPORTER_OTLP_ENDPOINT
//! ```

use std::net::SocketAddr;

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Where `run` serves `/metrics`; none: not served (by `run`).
    pub listen: Option<SocketAddr>,
}

/// `[telemetry]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// The OTLP/HTTP collector, e.g. `http://127.0.0.1:4318`.
    pub otlp_endpoint: Option<String>,
}

/// Reads `[metrics]` from its TOML value; an error names the table and
/// the key (`[metrics] listen: "everywhere" is not an address ...`).
pub fn metrics(value: Option<&toml::Value>) -> Result<MetricsConfig, String> {
    let Some(listen) = string_keys(value, "[metrics]", "listen")? else {
        return Ok(MetricsConfig::default());
    };
    let addr = listen.parse::<SocketAddr>().map_err(|e| {
        format!("[metrics] listen: {listen:?} is not an address such as \"127.0.0.1:9464\" ({e})")
    })?;
    Ok(MetricsConfig { listen: Some(addr) })
}

/// Reads `[telemetry]` like [`metrics`].
pub fn telemetry(value: Option<&toml::Value>) -> Result<TelemetryConfig, String> {
    Ok(TelemetryConfig {
        otlp_endpoint: string_keys(value, "[telemetry]", "otlp_endpoint")?,
    })
}

/// The table's one key `key`, a string; any other key is a mistake.
fn string_keys(
    value: Option<&toml::Value>,
    table: &str,
    key: &str,
) -> Result<Option<String>, String> {
    let Some(value) = value else {
        return Ok(None);
    };
    let toml::Value::Table(t) = value else {
        return Err(format!("{table} must be a table"));
    };
    if let Some(other) = t.keys().find(|k| k.as_str() != key) {
        return Err(format!("{table}: unknown key {other:?} (it takes {key:?})"));
    }
    match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{table} {key}: expected a string, found a {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_read_and_mistakes_named() {
        let v: toml::Value = toml::from_str("listen = \"127.0.0.1:9464\"").unwrap();
        assert_eq!(
            metrics(Some(&v)).unwrap().listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(metrics(None).unwrap(), MetricsConfig::default());
        let bad: toml::Value = toml::from_str("listen = \"nowhere\"").unwrap();
        let e = metrics(Some(&bad)).unwrap_err();
        assert!(e.starts_with("[metrics] listen:"), "{e}");
        let unknown: toml::Value = toml::from_str("endpoint = \"x\"").unwrap();
        let e = telemetry(Some(&unknown)).unwrap_err();
        assert!(e.contains("endpoint"), "{e}");
    }
}
