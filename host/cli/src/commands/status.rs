//! `connector-host status`: what each trigger of a configuration did last.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use serde_json::{Value, json};

use super::run::config_failure;
use super::{CommandResult, Failure, exit, print_json};
use connector_runtime::capabilities::Redactor;
use connector_runtime::runtime::Runtime;
use connector_triggers::backends::StoreUse;
use connector_triggers::clock::{human_duration, parse_rfc3339, rfc3339};
use connector_triggers::config::Config;
use connector_triggers::store::{
    LeaseInfo, SqliteStore, StoredSubscription, TriggerStatus, TriggerStore,
};

/// Show each trigger's last poll, last error, deliveries and committed state.
///
/// Reads the state database of the configuration (while the host runs, or
/// after). Secret values of the trigger's connection are hidden.
#[derive(Args, Debug)]
pub struct StatusCommand {
    /// The runtime configuration (TOML).
    #[arg(value_name = "CONFIG")]
    config: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

impl StatusCommand {
    pub fn execute(&self, _runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let config = Config::load(&self.config).map_err(config_failure)?;
        let store_error = |e: connector_triggers::store::StoreError| Failure {
            code: exit::LOAD,
            message: e.to_string(),
        };
        let store: Option<Arc<dyn TriggerStore>> = match &config.host.state_url {
            Some(_) => {
                let backends = super::backends::backends(&config).map_err(|e| Failure {
                    code: exit::LOAD,
                    message: format!("{e:#}"),
                })?;
                Some(
                    backends
                        .open_store(&config.host, StoreUse::Read)
                        .map_err(store_error)?,
                )
            }
            None => SqliteStore::open_existing(&config.host.state)
                .map_err(store_error)?
                .map(|s| Arc::new(s) as Arc<dyn TriggerStore>),
        };
        let (statuses, subscriptions, leases) = match &store {
            Some(store) => (
                store.statuses().map_err(store_error)?,
                store.subscriptions().map_err(store_error)?,
                match store.leases() {
                    Some(l) => Some(l.list().map_err(store_error)?),
                    None => None,
                },
            ),
            None => (Vec::new(), Vec::new(), None),
        };
        let lease_of = |name: &str| -> Value {
            match &leases {
                None => Value::Null,
                Some(all) => lease_json(all.iter().find(|l| l.trigger == name), SystemTime::now()),
            }
        };
        let subs_of = |name: &str| -> Vec<&StoredSubscription> {
            subscriptions
                .iter()
                .filter(|s| s.record.trigger == name)
                .collect()
        };
        let now = SystemTime::now();
        let mut rows = Vec::new();
        for trigger in &config.triggers {
            let status = statuses.iter().find(|s| s.trigger == trigger.name).cloned();
            let redactor = config
                .connection(&trigger.connection)
                .map(|c| c.resolve().map(|r| Redactor::new(r.secret_values)));
            let mut r = row(
                &trigger.name,
                Some((&trigger.connection, &trigger.operation)),
                status,
                redactor,
                &subs_of(&trigger.name),
            );
            r["lease"] = lease_of(&trigger.name);
            rows.push(r);
        }
        let mut unconfigured: Vec<String> = statuses
            .iter()
            .map(|s| s.trigger.clone())
            .chain(subscriptions.iter().map(|s| s.record.trigger.clone()))
            .filter(|name| config.trigger(name).is_none())
            .collect();
        unconfigured.sort();
        unconfigured.dedup();
        for name in unconfigured {
            // No connection to redact with: hide the state rather than risk a secret.
            let status = statuses.iter().find(|s| s.trigger == name).cloned();
            let mut r = row(&name, None, status, None, &subs_of(&name));
            r["lease"] = lease_of(&name);
            rows.push(r);
        }
        if self.json {
            print_json(&json!({
                "state": state_label(&config),
                "triggers": rows,
            }));
        } else {
            print_text(&config, &rows, now);
        }
        Ok(exit::OK)
    }
}

/// One trigger's status as JSON, with secrets hidden.
fn row(
    name: &str,
    configured: Option<(&str, &str)>,
    status: Option<TriggerStatus>,
    redactor: Option<Result<Redactor, Vec<String>>>,
    subscriptions: &[&StoredSubscription],
) -> Value {
    let s = status.unwrap_or_default();
    let time = |t: Option<SystemTime>| t.map(rfc3339);
    let (state, state_hidden) = match (&s.state, &redactor) {
        (None, _) => (Value::Null, None),
        (Some(state), Some(Ok(r))) => (redact_value(state, r), None),
        (Some(_), Some(Err(why))) => (
            Value::Null,
            Some(format!(
                "hidden: the connection's secrets cannot be read to redact it ({})",
                why.join("; ")
            )),
        ),
        (Some(_), None) => (
            Value::Null,
            Some(
                "hidden: the trigger is not in the configuration, so its secrets are unknown"
                    .into(),
            ),
        ),
    };
    let last_error = match (&s.last_error, &redactor) {
        (Some(e), Some(Ok(r))) => Some(r.redact(e)),
        // Errors were redacted by the host that recorded them.
        (e, _) => e.clone(),
    };
    // The subscription's data was refused by the host if it held a secret;
    // it is redacted again with the connection's secrets when they are known.
    let subscriptions: Vec<Value> = subscriptions
        .iter()
        .map(|sub| {
            let redact = |text: &str| match &redactor {
                Some(Ok(r)) => r.redact(text),
                _ => text.to_string(),
            };
            json!({
                "connector": sub.record.connector,
                "connection": sub.record.connection,
                "callbackUrl": sub.record.callback_url,
                "subscription": redact(&sub.record.data),
                "subscribedAt": rfc3339(sub.subscribed_at),
                "unsubscribeError": sub.last_error.as_deref().map(redact),
                "unsubscribeErrorAt": time(sub.last_error_at),
            })
        })
        .collect();
    json!({
        "trigger": name,
        "subscriptions": subscriptions,
        "configured": configured.is_some(),
        "connection": configured.map(|c| c.0),
        "operation": configured.map(|c| c.1),
        "lastPollAt": time(s.last_poll_at),
        "lastSuccessAt": time(s.last_success_at),
        "lastError": last_error,
        "lastErrorAt": time(s.last_error_at),
        "consecutiveFailures": s.consecutive_failures,
        "polls": s.polls,
        "failures": s.failures,
        "eventsDelivered": s.events_delivered,
        "itemsDelivered": s.items_delivered,
        "lastDeliveryAt": time(s.last_delivery_at),
        "state": state,
        "stateHidden": state_hidden,
        "committedAt": time(s.committed_at),
    })
}

/// `value` with every secret replaced in its strings (keys included).
/// Done on the JSON tree, not its text, so a secret with quotes or
/// backslashes in it is found too.
fn redact_value(value: &Value, redactor: &Redactor) -> Value {
    match value {
        Value::String(s) => Value::String(redactor.redact(s)),
        Value::Array(a) => Value::Array(a.iter().map(|v| redact_value(v, redactor)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (redactor.redact(k), redact_value(v, redactor)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Who holds a trigger's lease on a shared store, as JSON: `{host, expiresAt,
/// live}`, or `{host: null}` for a trigger no host holds.
fn lease_json(lease: Option<&LeaseInfo>, now: SystemTime) -> Value {
    match lease {
        None => json!({"host": null, "expiresAt": null, "live": false}),
        Some(l) => json!({
            "host": l.owner,
            "expiresAt": rfc3339(l.expires_at),
            "live": l.expires_at > now,
        }),
    }
}

/// The state store as shown: the file, or the URL without its password.
fn state_label(config: &Config) -> String {
    match &config.host.state_url {
        Some(url) => connector_postgres::url::redact(url),
        None => config.host.state.display().to_string(),
    }
}

fn print_text(config: &Config, rows: &[Value], now: SystemTime) {
    println!("state: {}", state_label(config));
    if rows.is_empty() {
        println!("no triggers");
    }
    let ago = |v: &Value| -> String {
        let Some(text) = v.as_str() else {
            return "never".into();
        };
        let age = parse_age(text, now).map(|d| format!(" ({} ago)", human_duration(d)));
        format!("{text}{}", age.unwrap_or_default())
    };
    for r in rows {
        let name = r["trigger"].as_str().unwrap_or("?");
        println!();
        match (r["connection"].as_str(), r["operation"].as_str()) {
            (Some(c), Some(o)) => println!("{name}  (connection {c}, operation {o})"),
            _ => println!("{name}  (not in the configuration)"),
        }
        let failing = r["consecutiveFailures"].as_u64().unwrap_or(0);
        let outcome = if r["lastPollAt"].is_null() {
            String::new()
        } else if failing > 0 {
            format!(", failing ({failing} in a row)")
        } else {
            ", ok".into()
        };
        println!("  last poll     {}{outcome}", ago(&r["lastPollAt"]));
        match r["lastError"].as_str() {
            None => println!("  last error    none"),
            Some(e) => println!("  last error    {} at {}", e, ago(&r["lastErrorAt"])),
        }
        println!(
            "  delivered     {} event(s), {} item(s); last {}",
            r["eventsDelivered"],
            r["itemsDelivered"],
            ago(&r["lastDeliveryAt"])
        );
        println!("  polls         {} ({} failed)", r["polls"], r["failures"]);
        let lease = &r["lease"];
        if let Some(host) = lease["host"].as_str() {
            let until = lease["expiresAt"].as_str().unwrap_or("?");
            if lease["live"].as_bool() == Some(true) {
                println!("  owner         host {host} (lease until {until})");
            } else {
                println!("  owner         none (the lease of host {host} expired at {until})");
            }
        } else if lease.is_object() {
            println!("  owner         none (no host holds its lease)");
        }
        for sub in r["subscriptions"].as_array().into_iter().flatten() {
            let pending = match sub["unsubscribeError"].as_str() {
                Some(e) => format!(
                    "; unsubscribe failed at {}: {e} (retried at the next start)",
                    ago(&sub["unsubscribeErrorAt"])
                ),
                None if r["connection"].is_null() => "; to be ended at the next start".into(),
                None => String::new(),
            };
            println!(
                "  subscription  {} since {}{pending}",
                sub["callbackUrl"].as_str().unwrap_or("?"),
                ago(&sub["subscribedAt"])
            );
        }
        match (&r["state"], r["stateHidden"].as_str()) {
            (_, Some(why)) => println!("  state         ({why})"),
            (Value::Null, None) => println!("  state         none committed"),
            (state, None) => println!(
                "  state         {state} (committed {})",
                ago(&r["committedAt"])
            ),
        }
    }
}

/// How long ago an RFC 3339 time written by this host was.
fn parse_age(text: &str, now: SystemTime) -> Option<std::time::Duration> {
    now.duration_since(parse_rfc3339(text)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ages_are_read_back_from_rfc3339() {
        let then = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let now = then + Duration::from_secs(90);
        assert_eq!(
            parse_age(&rfc3339(then), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_age("garbage", now), None);
    }

    #[test]
    fn secrets_are_redacted_in_keys_and_values() {
        let r = Redactor::new(vec!["hunter\"2".to_string()]);
        let v = json!({"token": "hunter\"2", "hunter\"2": [1, "x hunter\"2 y"]});
        let out = redact_value(&v, &r);
        assert!(!out.to_string().contains("hunter"), "{out}");
        assert_eq!(out["token"], "[redacted]");
    }
}
