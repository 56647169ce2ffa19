//! Reading the configuration: the raw TOML shapes (with each value's
//! position) and the checks that turn them into a [`Config`], collecting
//! every problem instead of stopping at the first.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::{
    Config, ConfigProblem, ConnectionConfig, ConnectorConfig, DEFAULT_WEBHOOK_LISTEN, HostSettings,
    Location, SecretSource, SinkConfig, TriggerConfig, WebhookSettings, location, parse_interval,
};
use crate::backoff::BackoffPolicy;
use crate::http::HttpUrl;
use connector_runtime::capabilities::{DirGrant, GrantTemplate, Grants, TcpGrant};
use connector_runtime::connector::Reuse;
use connector_runtime::limits::{self, Limits};
use connector_runtime::runtime::ConnectorOptions;

// ---- Raw TOML shapes --------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    host: Option<Spanned<RawHost>>,
    #[serde(default)]
    sink: Option<Spanned<RawSink>>,
    #[serde(default, rename = "connector")]
    connectors: Vec<Spanned<RawConnector>>,
    #[serde(default, rename = "connection")]
    connections: Vec<Spanned<RawConnection>>,
    #[serde(default, rename = "trigger")]
    triggers: Vec<Spanned<RawTrigger>>,
    #[serde(default)]
    webhook: Option<Spanned<RawWebhook>>,
    #[serde(default)]
    nats: Option<Spanned<super::nats::RawNats>>,
    /// `[trust]`: read by connector-registry, not here (see `Config::trust`).
    #[serde(default)]
    trust: Option<toml::Value>,
    /// `[metrics]`, `[telemetry]`: read by connector-metrics.
    #[serde(default)]
    metrics: Option<toml::Value>,
    #[serde(default)]
    telemetry: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    state: Option<Spanned<String>>,
    shutdown_grace: Option<Spanned<String>>,
    backoff_initial: Option<Spanned<String>>,
    backoff_max: Option<Spanned<String>>,
    dedupe_retention: Option<Spanned<String>>,
    lease_ttl: Option<Spanned<String>>,
}

// A flat struct rather than an enum tagged by `kind`: serde's tagged enums
// lose the positions that the error messages need.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    kind: Spanned<String>,
    path: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    retry_for: Option<Spanned<String>>,
    backoff_initial: Option<Spanned<String>>,
    backoff_max: Option<Spanned<String>>,
    // kind = "nats" (see `super::nats`).
    stream: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    duplicate_window: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnector {
    name: Spanned<String>,
    component: Spanned<String>,
    #[serde(default)]
    dirs: Vec<Spanned<String>>,
    #[serde(default)]
    allow_http: Vec<Spanned<String>>,
    #[serde(default)]
    allow_tcp: Vec<Spanned<String>>,
    #[serde(default)]
    allow_dns: bool,
    live_instances: Option<Spanned<u64>>,
    limits: Option<Spanned<RawLimits>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    fuel: Option<Spanned<toml::Value>>,
    timeout: Option<Spanned<String>>,
    max_memory: Option<Spanned<String>>,
    max_output: Option<Spanned<String>>,
    max_http_response: Option<Spanned<String>>,
    max_table_elements: Option<Spanned<u64>>,
    max_instances: Option<Spanned<u64>>,
    max_concurrency: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnection {
    name: Spanned<String>,
    connector: Spanned<String>,
    #[serde(default)]
    values: BTreeMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    secrets: BTreeMap<String, Spanned<RawSecret>>,
}

/// Where a secret comes from, as written: `{ env = "..." }` or `{ file = "...", key = "..." }`
/// (a connection's secrets, and `[nats]` credentials).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecret {
    env: Option<String>,
    file: Option<String>,
    key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    name: Spanned<String>,
    connection: Spanned<String>,
    operation: Spanned<String>,
    input: Option<Spanned<toml::Value>>,
    recurrence: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    listen: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
}

// ---- Checking ----------------------------------------------------------

pub(super) struct Checker<'a> {
    pub(super) text: &'a str,
    pub(super) base: PathBuf,
    pub(super) problems: Vec<ConfigProblem>,
}

impl Checker<'_> {
    pub(super) fn at<T>(&self, spanned: &Spanned<T>) -> Option<Location> {
        Some(location(self.text, spanned.span().start))
    }

    pub(super) fn problem<T>(
        &mut self,
        spanned: &Spanned<T>,
        at: impl Into<String>,
        message: impl Into<String>,
    ) {
        let location = self.at(spanned);
        self.problems
            .push(ConfigProblem::new(location, at, message));
    }

    pub(super) fn path(&self, text: &str) -> PathBuf {
        let path = Path::new(text);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base.join(path)
        }
    }

    /// An interval value, or `default` (with a problem recorded) if it is bad.
    pub(super) fn interval(
        &mut self,
        value: Option<&Spanned<String>>,
        at: &str,
        default: Duration,
    ) -> Duration {
        match value {
            None => default,
            Some(v) => match parse_interval(v.get_ref()) {
                Ok(d) => d,
                Err(e) => {
                    self.problem(v, at, format!("{e:#}"));
                    default
                }
            },
        }
    }

    pub(super) fn check(&mut self, raw: RawConfig, file: &Path) -> Config {
        let host = self.check_host(raw.host.as_ref());
        let nats = self.check_nats(raw.nats.as_ref());
        let sink = self.check_sink(raw.sink.as_ref(), &nats);
        let webhook = self.check_webhook(raw.webhook.as_ref());
        let connectors: Vec<ConnectorConfig> = raw
            .connectors
            .iter()
            .map(|c| self.check_connector(c))
            .collect();
        let connections: Vec<ConnectionConfig> = raw
            .connections
            .iter()
            .map(|c| self.check_connection(c))
            .collect();
        let triggers: Vec<TriggerConfig> =
            raw.triggers.iter().map(|t| self.check_trigger(t)).collect();

        self.unique(
            "[[connector]]",
            raw.connectors.iter().map(|c| &c.get_ref().name),
        );
        self.unique(
            "[[connection]]",
            raw.connections.iter().map(|c| &c.get_ref().name),
        );
        self.unique(
            "[[trigger]]",
            raw.triggers.iter().map(|t| &t.get_ref().name),
        );

        let connector_names: Vec<&str> = connectors.iter().map(|c| c.name.as_str()).collect();
        for c in &raw.connections {
            let c = c.get_ref();
            if !connector_names.contains(&c.connector.get_ref().as_str()) {
                self.problem(
                    &c.connector,
                    format!("[[connection]] {}: connector", c.name.get_ref()),
                    format!(
                        "there is no [[connector]] named {:?} (defined: {})",
                        c.connector.get_ref(),
                        listed(&connector_names)
                    ),
                );
            }
        }
        let connection_names: Vec<&str> = connections.iter().map(|c| c.name.as_str()).collect();
        for t in &raw.triggers {
            let t = t.get_ref();
            if !connection_names.contains(&t.connection.get_ref().as_str()) {
                self.problem(
                    &t.connection,
                    format!("[[trigger]] {}: connection", t.name.get_ref()),
                    format!(
                        "there is no [[connection]] named {:?} (defined: {})",
                        t.connection.get_ref(),
                        listed(&connection_names)
                    ),
                );
            }
        }
        Config {
            file: file.to_path_buf(),
            host,
            sink,
            connectors,
            connections,
            triggers,
            webhook,
            nats,
            trust: raw.trust,
            metrics: raw.metrics,
            telemetry: raw.telemetry,
        }
    }

    fn unique<'n>(&mut self, table: &str, names: impl Iterator<Item = &'n Spanned<String>>) {
        let mut seen: HashMap<&str, Option<Location>> = HashMap::new();
        for name in names {
            let location = self.at(name);
            if let Some(first) = seen.get(name.get_ref().as_str()) {
                let first = first.map_or(String::new(), |l| format!(" (first at line {})", l.line));
                self.problems.push(ConfigProblem::new(
                    location,
                    format!("{table} {}: name", name.get_ref()),
                    format!("the name {:?} is used twice{first}", name.get_ref()),
                ));
            } else {
                seen.insert(name.get_ref(), location);
            }
        }
    }

    fn name(&mut self, name: &Spanned<String>, table: &str) -> String {
        let n = name.get_ref();
        let ok = !n.is_empty()
            && n.len() <= 64
            && n.as_bytes()[0].is_ascii_alphanumeric()
            && n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            self.problem(
                name,
                format!("{table}: name"),
                format!(
                    "{n:?} is not a name (1-64 letters, digits, '-', '_' or '.', starting with a \
                     letter or digit)"
                ),
            );
        }
        n.clone()
    }

    fn check_host(&mut self, raw: Option<&Spanned<RawHost>>) -> HostSettings {
        let defaults = BackoffPolicy::default();
        let Some(raw) = raw.map(Spanned::get_ref) else {
            return HostSettings {
                state: self.path("state.db"),
                shutdown_grace: Duration::from_secs(10),
                backoff: defaults,
                dedupe_retention: Duration::from_secs(7 * 86_400),
                state_url: None,
                lease_ttl: DEFAULT_LEASE_TTL,
            };
        };
        let state = match &raw.state {
            Some(s) if s.get_ref().trim().is_empty() => {
                self.problem(
                    s,
                    "[host] state",
                    "is empty (give a file name, e.g. state.db)",
                );
                self.path("state.db")
            }
            Some(s) if is_postgres_url(s.get_ref()) => self.path("state.db"),
            Some(s) => self.path(s.get_ref()),
            None => self.path("state.db"),
        };
        let state_url = raw
            .state
            .as_ref()
            .map(|s| s.get_ref().trim())
            .filter(|s| is_postgres_url(s))
            .map(str::to_string);
        let lease_ttl = self.interval(
            raw.lease_ttl.as_ref(),
            "[host] lease_ttl",
            DEFAULT_LEASE_TTL,
        );
        if lease_ttl < Duration::from_secs(1)
            && let Some(v) = &raw.lease_ttl
        {
            self.problem(
                v,
                "[host] lease_ttl",
                "is shorter than 1s (hosts renew a third of the way in)",
            );
        }
        let backoff = BackoffPolicy {
            initial: self.interval(
                raw.backoff_initial.as_ref(),
                "[host] backoff_initial",
                defaults.initial,
            ),
            max: self.interval(raw.backoff_max.as_ref(), "[host] backoff_max", defaults.max),
        };
        if backoff.initial > backoff.max
            && let Some(v) = &raw.backoff_initial
        {
            self.problem(v, "[host] backoff_initial", "is longer than backoff_max");
        }
        HostSettings {
            state,
            shutdown_grace: self.interval(
                raw.shutdown_grace.as_ref(),
                "[host] shutdown_grace",
                Duration::from_secs(10),
            ),
            backoff,
            dedupe_retention: self.interval(
                raw.dedupe_retention.as_ref(),
                "[host] dedupe_retention",
                Duration::from_secs(7 * 86_400),
            ),
            state_url,
            lease_ttl,
        }
    }

    fn check_sink(
        &mut self,
        raw: Option<&Spanned<RawSink>>,
        nats: &super::NatsServer,
    ) -> SinkConfig {
        let Some(raw) = raw.map(Spanned::get_ref) else {
            return SinkConfig::JsonLines {
                path: self.path("events.jsonl"),
            };
        };
        let kind = raw.kind.get_ref().as_str();
        let not_for = |checker: &mut Self, key: &str, value: Option<&Spanned<String>>| {
            if let Some(v) = value {
                checker.problem(
                    v,
                    format!("[sink] {key}"),
                    format!("does not apply to kind {kind:?}"),
                );
            }
        };
        if kind != "nats" {
            for (key, v) in [
                ("stream", &raw.stream),
                ("subject", &raw.subject),
                ("duplicate_window", &raw.duplicate_window),
            ] {
                not_for(self, key, v.as_ref());
            }
        }
        match kind {
            "nats" => {
                not_for(self, "path", raw.path.as_ref());
                for (key, v) in [
                    ("retry_for", &raw.retry_for),
                    ("backoff_initial", &raw.backoff_initial),
                    ("backoff_max", &raw.backoff_max),
                ] {
                    not_for(self, key, v.as_ref());
                }
                let sink = super::nats::RawNatsSink {
                    url: raw.url.as_ref(),
                    stream: raw.stream.as_ref(),
                    subject: raw.subject.as_ref(),
                    timeout: raw.timeout.as_ref(),
                    duplicate_window: raw.duplicate_window.as_ref(),
                };
                SinkConfig::Nats(self.check_nats_sink(sink, nats))
            }
            "jsonl" => {
                not_for(self, "url", raw.url.as_ref());
                for (key, v) in [
                    ("timeout", &raw.timeout),
                    ("retry_for", &raw.retry_for),
                    ("backoff_initial", &raw.backoff_initial),
                    ("backoff_max", &raw.backoff_max),
                ] {
                    not_for(self, key, v.as_ref());
                }
                SinkConfig::JsonLines {
                    path: self.path(raw.path.as_ref().map_or("events.jsonl", |p| p.get_ref())),
                }
            }
            "stdout" => {
                not_for(self, "path", raw.path.as_ref());
                not_for(self, "url", raw.url.as_ref());
                SinkConfig::Stdout
            }
            "webhook" => {
                not_for(self, "path", raw.path.as_ref());
                let url = match &raw.url {
                    None => {
                        self.problem(
                            &raw.kind,
                            "[sink] url",
                            "a webhook sink needs a url (https://host/path, or http://127.0.0.1:port/path)",
                        );
                        None
                    }
                    Some(u) => match u.get_ref().parse::<HttpUrl>() {
                        Ok(url) => Some(url),
                        Err(e) => {
                            self.problem(u, "[sink] url", e);
                            None
                        }
                    },
                };
                let settings = crate::sink::WebhookSinkSettings {
                    url: url.unwrap_or_else(|| HttpUrl {
                        https: false,
                        host: "invalid".into(),
                        port: 80,
                        path: "/".into(),
                    }),
                    request_timeout: self.interval(
                        raw.timeout.as_ref(),
                        "[sink] timeout",
                        Duration::from_secs(10),
                    ),
                    retry_for: self.interval(
                        raw.retry_for.as_ref(),
                        "[sink] retry_for",
                        Duration::from_secs(60),
                    ),
                    backoff: BackoffPolicy {
                        initial: self.interval(
                            raw.backoff_initial.as_ref(),
                            "[sink] backoff_initial",
                            Duration::from_millis(200),
                        ),
                        max: self.interval(
                            raw.backoff_max.as_ref(),
                            "[sink] backoff_max",
                            Duration::from_secs(5),
                        ),
                    },
                };
                SinkConfig::Webhook(settings)
            }
            other => {
                self.problem(
                    &raw.kind,
                    "[sink] kind",
                    format!("{other:?} is not a sink kind (jsonl, stdout, webhook or nats)"),
                );
                SinkConfig::Stdout
            }
        }
    }

    fn check_webhook(&mut self, raw: Option<&Spanned<RawWebhook>>) -> WebhookSettings {
        let default_listen: SocketAddr = DEFAULT_WEBHOOK_LISTEN.parse().expect("a valid address");
        let raw = raw.map(Spanned::get_ref);
        let listen = match raw.and_then(|r| r.listen.as_ref()) {
            None => default_listen,
            Some(v) => v.get_ref().parse().unwrap_or_else(|_| {
                self.problem(
                    v,
                    "[webhook] listen",
                    format!(
                        "{:?} is not an address of the form IP:PORT (e.g. 127.0.0.1:8089)",
                        v.get_ref()
                    ),
                );
                default_listen
            }),
        };
        let max_body = match raw.and_then(|r| r.max_body.as_ref()) {
            None => 1 << 20,
            Some(v) => limits::parse_size(v.get_ref()).unwrap_or_else(|e| {
                self.problem(v, "[webhook] max_body", format!("{e:#}"));
                1 << 20
            }),
        };
        let public_url =
            raw.and_then(|r| r.public_url.as_ref()).and_then(|v| {
                match check_public_url(v.get_ref()) {
                    Ok(url) => Some(url),
                    Err(why) => {
                        self.problem(v, "[webhook] public_url", why);
                        None
                    }
                }
            });
        WebhookSettings {
            listen,
            public_url,
            max_body,
            request_timeout: self.interval(
                raw.and_then(|r| r.request_timeout.as_ref()),
                "[webhook] request_timeout",
                Duration::from_secs(30),
            ),
        }
    }

    fn check_connector(&mut self, raw: &Spanned<RawConnector>) -> ConnectorConfig {
        let location = self.at(raw);
        let raw = raw.get_ref();
        let name = self.name(&raw.name, "[[connector]]");
        let table = format!("[[connector]] {name}");
        let mut dirs = Vec::new();
        for spec in &raw.dirs {
            match spec.get_ref().parse::<DirGrant>() {
                Ok(mut grant) => {
                    grant.host = self.path(&grant.host.to_string_lossy());
                    dirs.push(grant);
                }
                Err(e) => self.problem(spec, format!("{table}: dirs"), format!("{e:#}")),
            }
        }
        let mut http = Vec::new();
        for spec in &raw.allow_http {
            match spec.get_ref().parse::<GrantTemplate>() {
                Ok(grant) => http.push(grant),
                Err(e) => self.problem(spec, format!("{table}: allow_http"), format!("{e:#}")),
            }
        }
        let mut tcp = Vec::new();
        for spec in &raw.allow_tcp {
            match spec.get_ref().parse::<TcpGrant>() {
                Ok(grant) => tcp.push(grant),
                Err(e) => self.problem(spec, format!("{table}: allow_tcp"), format!("{e:#}")),
            }
        }
        let limits = match &raw.limits {
            None => Limits::default(),
            Some(l) => self.check_limits(l.get_ref(), &table),
        };
        if raw.component.get_ref().trim().is_empty() {
            self.problem(
                &raw.component,
                format!("{table}: component"),
                "is empty (give the .wasm file)",
            );
        }
        let reuse = match &raw.live_instances {
            None => None,
            Some(n) => match usize::try_from(*n.get_ref()) {
                Ok(0) => None,
                Ok(max_idle) if max_idle <= 64 => Some(Reuse {
                    max_idle,
                    ..Reuse::default()
                }),
                _ => {
                    self.problem(
                        n,
                        format!("{table}: live_instances"),
                        "must be a whole number from 0 (a fresh instance per call) to 64",
                    );
                    None
                }
            },
        };
        ConnectorConfig {
            name,
            // A registry reference (`oci://...`) is not a path: the CLI
            // pulls it (connector-registry) before the host loads it.
            component: if raw.component.get_ref().starts_with("oci://") {
                PathBuf::from(raw.component.get_ref())
            } else {
                self.path(raw.component.get_ref())
            },
            options: ConnectorOptions {
                limits,
                grants: Grants {
                    dirs,
                    http,
                    tcp,
                    dns: raw.allow_dns,
                },
                reuse,
            },
            location,
        }
    }

    fn check_limits(&mut self, raw: &RawLimits, table: &str) -> Limits {
        let mut limits = Limits::default();
        if let Some(fuel) = &raw.fuel {
            match fuel.get_ref() {
                toml::Value::Integer(n) if *n > 0 => limits.fuel = Some(*n as u64),
                toml::Value::String(s) if s == "unlimited" => limits.fuel = None,
                _ => self.problem(
                    fuel,
                    format!("{table}: limits.fuel"),
                    "must be a positive whole number or \"unlimited\"",
                ),
            }
        }
        if let Some(t) = &raw.timeout {
            match limits::parse_duration(t.get_ref())
                .and_then(|d| crate::config::check_bound(t.get_ref(), d))
            {
                Ok(d) => limits.timeout = d,
                Err(e) => self.problem(t, format!("{table}: limits.timeout"), format!("{e:#}")),
            }
        }
        for (key, value, slot) in [
            ("max_memory", &raw.max_memory, &mut limits.max_memory_bytes),
            ("max_output", &raw.max_output, &mut limits.max_output_bytes),
            (
                "max_http_response",
                &raw.max_http_response,
                &mut limits.max_http_response_bytes,
            ),
        ] {
            if let Some(v) = value {
                match limits::parse_size(v.get_ref()) {
                    Ok(n) => *slot = n,
                    Err(e) => {
                        let location = self.at(v);
                        self.problems.push(ConfigProblem::new(
                            location,
                            format!("{table}: limits.{key}"),
                            format!("{e:#}"),
                        ));
                    }
                }
            }
        }
        for (key, value, slot) in [
            (
                "max_table_elements",
                &raw.max_table_elements,
                &mut limits.max_table_elements,
            ),
            (
                "max_instances",
                &raw.max_instances,
                &mut limits.max_instances,
            ),
            (
                "max_concurrency",
                &raw.max_concurrency,
                &mut limits.max_concurrency,
            ),
        ] {
            if let Some(v) = value {
                match usize::try_from(*v.get_ref()) {
                    Ok(n) if n > 0 => *slot = n,
                    _ => self.problem(
                        v,
                        format!("{table}: limits.{key}"),
                        "must be a whole number above 0",
                    ),
                }
            }
        }
        limits
    }

    fn check_connection(&mut self, raw: &Spanned<RawConnection>) -> ConnectionConfig {
        let location = self.at(raw);
        let raw = raw.get_ref();
        let name = self.name(&raw.name, "[[connection]]");
        let table = format!("[[connection]] {name}");
        let mut values = BTreeMap::new();
        for (key, value) in &raw.values {
            let text = match value.get_ref() {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(n) => Some(n.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                toml::Value::Boolean(b) => Some(b.to_string()),
                _ => None,
            };
            match text {
                Some(text) => {
                    values.insert(key.clone(), text);
                }
                None => self.problem(
                    value,
                    format!("{table}: values.{key}"),
                    "must be a string, a number or a boolean",
                ),
            }
        }
        let mut secrets = BTreeMap::new();
        for (key, source) in &raw.secrets {
            let at = format!("{table}: secrets.{key}");
            if values.contains_key(key) {
                self.problem(source, &at, "is also given in values; give it once");
            }
            if let Some(p) = self.secret_source(source, &at) {
                secrets.insert(key.clone(), p);
            }
        }
        ConnectionConfig {
            name,
            connector: raw.connector.get_ref().clone(),
            values,
            secrets,
            location,
        }
    }

    /// The source a secret is read from; `None`, with a problem at `at`, when it names none
    /// or both.
    pub(super) fn secret_source(
        &mut self,
        raw: &Spanned<RawSecret>,
        at: &str,
    ) -> Option<SecretSource> {
        let s = raw.get_ref();
        match (&s.env, &s.file, &s.key) {
            (Some(var), None, None) if !var.is_empty() => Some(SecretSource::Env(var.clone())),
            (None, Some(file), key) if !file.is_empty() => Some(SecretSource::File {
                path: self.path(file),
                key: key.clone(),
            }),
            _ => {
                self.problem(
                    raw,
                    at,
                    "must be { env = \"VARIABLE\" } or { file = \"path\" } (with key = \"name\" for \
                     a JSON object file)",
                );
                None
            }
        }
    }

    fn check_trigger(&mut self, raw: &Spanned<RawTrigger>) -> TriggerConfig {
        let location = self.at(raw);
        let raw = raw.get_ref();
        let name = self.name(&raw.name, "[[trigger]]");
        let table = format!("[[trigger]] {name}");
        let input = match &raw.input {
            None => Value::Object(Default::default()),
            Some(v) => match v.get_ref() {
                toml::Value::Table(_) => toml_to_json(v.get_ref()),
                _ => {
                    self.problem(
                        v,
                        format!("{table}: input"),
                        "must be a table (the operation's input object)",
                    );
                    Value::Null
                }
            },
        };
        if raw.operation.get_ref().trim().is_empty() {
            self.problem(&raw.operation, format!("{table}: operation"), "is empty");
        }
        let recurrence = raw
            .recurrence
            .as_ref()
            .and_then(|r| match parse_interval(r.get_ref()) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.problem(r, format!("{table}: recurrence"), format!("{e:#}"));
                    None
                }
            });
        TriggerConfig {
            name,
            connection: raw.connection.get_ref().clone(),
            operation: raw.operation.get_ref().clone(),
            input,
            recurrence,
            location,
        }
    }
}

fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// TOML to JSON; dates and times become their RFC 3339 text.
fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => Value::from(*n),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// `[webhook] public_url`: an `http(s)://` URL with a host and no query or
/// fragment; returned without a trailing `/` (webhook paths start with one).
fn check_public_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("{text:?} has no host"));
    }
    if text.contains(['?', '#']) || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{text:?} must have no query, fragment or spaces"));
    }
    if text.len() > 1024 {
        return Err("is longer than 1024 bytes".into());
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// The default `[host] lease_ttl`.
const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(15);

/// Whether `[host] state` names a PostgreSQL database rather than a file.
fn is_postgres_url(state: &str) -> bool {
    let state = state.trim();
    state.starts_with("postgres://") || state.starts_with("postgresql://")
}

#[cfg(test)]
mod public_url_tests {
    use super::check_public_url;

    #[test]
    fn public_urls_are_checked() {
        assert_eq!(
            check_public_url("https://hooks.example.com/base/").unwrap(),
            "https://hooks.example.com/base"
        );
        assert!(check_public_url("http://127.0.0.1:9000").is_ok());
        assert!(check_public_url("ftp://x").is_err());
        assert!(check_public_url("https://").is_err());
        assert!(check_public_url("https://x/?a=1").is_err());
    }
}
