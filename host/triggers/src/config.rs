//! The runtime configuration of `connector-host run` and `status`: a TOML
//! file naming the connectors, their connections, the triggers to run and
//! where their events go.
//!
//! Parsing is in two steps. [`Config::parse`] reads the TOML into raw serde
//! types (keeping each value's position), then checks it: every value's
//! form, every cross reference, every duplicate name, all reported at once
//! with line and column. What needs the connectors themselves (does the
//! operation exist, is it a trigger, does the input fit its schema) is
//! checked when the host loads them ([`crate::host`]).
//!
//! Secret values are read from environment variables or files only when a
//! connection is resolved, and never appear in an error.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::backoff::BackoffPolicy;
use connector_runtime::connection::Connection;
use connector_runtime::limits;
use connector_runtime::runtime::ConnectorOptions;

mod check;
mod nats;

pub use nats::{
    DEFAULT_NATS_URL, NatsAuth, NatsServer, NatsSinkSettings, SubjectTemplate, check_nats_url,
    is_jetstream_name,
};

use check::{Checker, RawConfig};

/// Where the webhook listener listens unless the configuration says otherwise.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "127.0.0.1:8089";

/// A position in the configuration file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One thing wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// Which table and key, e.g. `[[trigger]] new-files: connection`.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `location`.
    pub fn new(
        location: Option<Location>,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            location,
            at: at.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.location {
            write!(f, "{}:{}: ", l.line, l.column)?;
        }
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid: every problem found.
    #[error("{}", problems_text(file, problems))]
    Invalid {
        file: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

impl ConfigError {
    /// The problems, if the file was read.
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems, .. } => problems,
        }
    }
}

fn problems_text(file: &Path, problems: &[ConfigProblem]) -> String {
    let line = |p: &ConfigProblem| format!("{}:{p}", file.display());
    match problems {
        [one] => line(one),
        many => {
            let mut text = format!("{} has {} problems:", file.display(), many.len());
            for p in many {
                text.push_str("\n  ");
                text.push_str(&line(p));
            }
            text
        }
    }
}

/// A checked configuration. Relative paths in the file are relative to the
/// file's folder; here they are already joined to it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration file.
    pub file: PathBuf,
    pub host: HostSettings,
    pub sink: SinkConfig,
    pub connectors: Vec<ConnectorConfig>,
    pub connections: Vec<ConnectionConfig>,
    pub triggers: Vec<TriggerConfig>,
    pub webhook: WebhookSettings,
    /// `[nats]`: the NATS server of `nats` push bindings and of the NATS sink.
    pub nats: NatsServer,
    /// The `[trust]` table as written: the trust policy, which
    /// connector-registry reads and the CLI enforces before any connector is
    /// loaded (this crate does not depend on the registry).
    pub trust: Option<toml::Value>,
    /// `[metrics]` and `[telemetry]` as written: read by connector-metrics
    /// (the `/metrics` address of `run`, the OTLP endpoint), not here.
    pub metrics: Option<toml::Value>,
    /// See [`Config::metrics`].
    pub telemetry: Option<toml::Value>,
}

/// `[host]`: the host's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSettings {
    /// The SQLite file of trigger state (`state`, default `state.db`).
    pub state: PathBuf,
    /// How long in-flight polls may finish at shutdown (`shutdown_grace`, default 10s).
    pub shutdown_grace: Duration,
    /// Backoff of failing triggers (`backoff_initial` 1s, `backoff_max` 5m).
    pub backoff: BackoffPolicy,
    /// How long delivered ids are kept for deduplication (`dedupe_retention`, default 7d).
    pub dedupe_retention: Duration,
    /// `state = "postgres://user@host:port/db"`: the state is in PostgreSQL,
    /// shared by every host given the same URL (then [`HostSettings::state`]
    /// is unused). The password comes from `PGPASSWORD` or `.pgpass`.
    pub state_url: Option<String>,
    /// How long a host's lease on a trigger lasts unless renewed
    /// (`lease_ttl`, default 15s; only with a shared `postgres://` state).
    pub lease_ttl: Duration,
}

/// `[sink]`: where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkConfig {
    /// `kind = "jsonl"`: append to a JSON Lines file (`path`, default `events.jsonl`).
    JsonLines { path: PathBuf },
    /// `kind = "stdout"`: one JSON line per event on standard output.
    Stdout,
    /// `kind = "webhook"`: POST each event to `url`.
    Webhook(crate::sink::WebhookSinkSettings),
    /// `kind = "nats"`: publish each event to a NATS JetStream stream (opened by the
    /// `connector-nats` backend).
    Nats(NatsSinkSettings),
}

/// `[[connector]]`: a component and what the operator grants it.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub name: String,
    pub component: PathBuf,
    pub options: ConnectorOptions,
    pub location: Option<Location>,
}

/// Where a secret value comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file: with `key`, a JSON object file's string value; without, the
    /// whole file (one trailing newline removed).
    File { path: PathBuf, key: Option<String> },
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(var) => write!(f, "env {var}"),
            SecretSource::File { path, key: None } => write!(f, "file {}", path.display()),
            SecretSource::File {
                path,
                key: Some(key),
            } => write!(f, "file {} key {key}", path.display()),
        }
    }
}

/// `[[connection]]`: the values a connector is called with.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    pub name: String,
    pub connector: String,
    /// Plain values.
    pub values: BTreeMap<String, String>,
    /// Secret values, by where they come from.
    pub secrets: BTreeMap<String, SecretSource>,
    pub location: Option<Location>,
}

/// A connection with its secrets read.
#[derive(Debug, Clone)]
pub struct ResolvedConnection {
    pub connection: Connection,
    /// The secret values, to redact wherever they might show.
    pub secret_values: Vec<String>,
}

impl ConnectionConfig {
    /// Reads the secrets and returns the whole connection. Every secret
    /// that cannot be read is reported, by name and source, never by value.
    pub fn resolve(&self) -> Result<ResolvedConnection, Vec<String>> {
        let mut connection = Connection::new();
        for (name, value) in &self.values {
            connection.set(name.clone(), value.clone());
        }
        let mut problems = Vec::new();
        let mut secret_values = Vec::new();
        for (name, source) in &self.secrets {
            match read_secret(source) {
                Ok(value) => {
                    secret_values.push(value.clone());
                    connection.set(name.clone(), value);
                }
                Err(why) => problems.push(format!("secret {name:?}: {why}")),
            }
        }
        if problems.is_empty() {
            Ok(ResolvedConnection {
                connection,
                secret_values,
            })
        } else {
            Err(problems)
        }
    }
}

impl SecretSource {
    /// Reads the secret; the error names the source, never the value.
    pub fn read(&self) -> Result<String, String> {
        read_secret(self)
    }
}

fn read_secret(source: &SecretSource) -> Result<String, String> {
    match source {
        SecretSource::Env(var) => std::env::var(var).map_err(|e| match e {
            std::env::VarError::NotPresent => format!("environment variable {var} is not set"),
            std::env::VarError::NotUnicode(_) => {
                format!("environment variable {var} is not valid UTF-8")
            }
        }),
        SecretSource::File { path, key } => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let Some(key) = key else {
                let text = text.strip_suffix('\n').unwrap_or(&text);
                return Ok(text.strip_suffix('\r').unwrap_or(text).to_string());
            };
            // The parse error of serde_json quotes no input, so it cannot leak a secret.
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| format!("{} is not a JSON object: {e}", path.display()))?;
            match value.get(key) {
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(format!(
                    "{} has {key:?}, but not as a string",
                    path.display()
                )),
                None => Err(format!("{} has no key {key:?}", path.display())),
            }
        }
    }
}

/// `[[trigger]]`: a trigger operation to run with a connection and an input.
#[derive(Debug, Clone)]
pub struct TriggerConfig {
    pub name: String,
    pub connection: String,
    pub operation: String,
    /// The input object (default `{}`).
    pub input: Value,
    /// How often to poll; `None` for the operation's default.
    pub recurrence: Option<Duration>,
    pub location: Option<Location>,
}

/// `[webhook]`: the listener of push triggers bound to `webhook`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The address to listen on (`listen`, default 127.0.0.1:8089).
    pub listen: SocketAddr,
    /// The base URL under which event sources reach the listener
    /// (`public_url`, e.g. `https://hooks.example.com`; default
    /// `http://` and the address the listener is bound to). A subscribed
    /// push trigger's callback URL is this plus its webhook path.
    pub public_url: Option<String>,
    /// The largest request body (`max_body`, default 1MiB).
    pub max_body: usize,
    /// Time a client has to send a whole request (`request_timeout`, default 30s).
    pub request_timeout: Duration,
}

impl Config {
    /// Reads and checks the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Checks the configuration `text`, read from `file` (relative paths in
    /// it are relative to the file's folder).
    pub fn parse(text: &str, file: &Path) -> Result<Self, ConfigError> {
        let (raw, unknown) = read_raw(text).map_err(|problems| ConfigError::Invalid {
            file: file.to_path_buf(),
            problems,
        })?;
        let base = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut checker = Checker {
            text,
            base,
            problems: unknown,
        };
        let config = checker.check(raw, file);
        if checker.problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                file: file.to_path_buf(),
                problems: checker.problems,
            })
        }
    }

    /// The connector named `name`.
    pub fn connector(&self, name: &str) -> Option<&ConnectorConfig> {
        self.connectors.iter().find(|c| c.name == name)
    }

    /// The connection named `name`.
    pub fn connection(&self, name: &str) -> Option<&ConnectionConfig> {
        self.connections.iter().find(|c| c.name == name)
    }

    /// The trigger named `name`.
    pub fn trigger(&self, name: &str) -> Option<&TriggerConfig> {
        self.triggers.iter().find(|t| t.name == name)
    }
}

/// How many unknown keys one reading reports before it gives up.
const MAX_UNKNOWN_KEYS: usize = 32;

/// Deserialises `text`, and reports every unknown key, not only the first: each one the
/// reader stops at is blanked out (its line from the key on, replaced by as many spaces,
/// so that every later position is still the file's) and the text read again. Returns
/// the configuration with the unknown keys' problems, for the checker to add its own to;
/// or every problem found, when the file cannot be read past them.
fn read_raw(text: &str) -> Result<(RawConfig, Vec<ConfigProblem>), Vec<ConfigProblem>> {
    let problem = |e: &toml::de::Error| {
        ConfigProblem::new(
            e.span().map(|s| location(text, s.start)),
            "TOML",
            e.message().trim().to_string(),
        )
    };
    // In the file's order, not the order the reader met them in.
    let in_order = |mut problems: Vec<ConfigProblem>| {
        problems.sort_by_key(|p| p.location.map(|l| (l.line, l.column)));
        problems
    };
    let mut current = text.to_string();
    let mut unknown: Vec<ConfigProblem> = Vec::new();
    loop {
        let e = match toml::from_str::<RawConfig>(&current) {
            Ok(raw) => return Ok((raw, in_order(unknown))),
            Err(e) => e,
        };
        if !unknown.is_empty() && toml::from_str::<toml::Table>(&current).is_err() {
            // Blanking the key's line broke the syntax (its value went on over more
            // lines): what was found so far is all that can be said.
            return Err(in_order(unknown));
        }
        let blankable = e.message().starts_with("unknown field")
            && unknown.len() < MAX_UNKNOWN_KEYS
            && e.span().is_some_and(|s| current.is_char_boundary(s.start));
        unknown.push(problem(&e));
        if !blankable {
            return Err(in_order(unknown));
        }
        let start = e.span().map_or(0, |s| s.start);
        let end = current[start..]
            .find('\n')
            .map_or(current.len(), |i| start + i);
        let blanks = " ".repeat(end - start);
        current.replace_range(start..end, &blanks);
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn location(text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    Location { line, column }
}

/// The longest duration a configuration may give (ten years): longer ones
/// are mistakes, and would overflow the clock arithmetic of deadlines.
pub const MAX_INTERVAL: Duration = Duration::from_secs(3650 * 86_400);

/// Parses an interval: `500ms`, `10s`, `5m`, `2h`, `7d`, or a number of
/// milliseconds; at most [`MAX_INTERVAL`].
pub fn parse_interval(text: &str) -> anyhow::Result<Duration> {
    let t = text.trim();
    let mut parsed = None;
    for (unit, secs) in [("h", 3600u64), ("d", 86_400)] {
        if let Some(n) = t.strip_suffix(unit)
            && let Ok(n) = n.trim().parse::<u64>()
        {
            anyhow::ensure!(n > 0, "{t:?} is zero");
            parsed = Some(Duration::from_secs(n.saturating_mul(secs)));
        }
    }
    let d = match parsed {
        Some(d) => d,
        None => {
            limits::parse_duration(t).map_err(|e| anyhow::anyhow!("{e} (units: ms, s, m, h, d)"))?
        }
    };
    check_bound(t, d)
}

/// Refuses a duration longer than [`MAX_INTERVAL`], naming it.
pub fn check_bound(text: &str, d: Duration) -> anyhow::Result<Duration> {
    anyhow::ensure!(
        d <= MAX_INTERVAL,
        "{text:?} is longer than the longest duration allowed ({} days)",
        MAX_INTERVAL.as_secs() / 86_400
    );
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FULL: &str = r#"
[host]
state = "var/state.db"
shutdown_grace = "3s"
backoff_initial = "250ms"
backoff_max = "1m"

[sink]
kind = "jsonl"
path = "out/events.jsonl"

[[connector]]
name = "files"
component = "/abs/example_files.wasm"
dirs = ["./inbox::/data"]
[connector.limits]
fuel = "unlimited"
timeout = "5s"
max_memory = "64MiB"

[[connection]]
name = "local-files"
connector = "files"
values = { root = "/data", retries = 3, verbose = true }
secrets = { token = { env = "CONFIG_TEST_TOKEN_UNSET_42" } }

[[trigger]]
name = "new-files"
connection = "local-files"
operation = "file-added-or-changed"
input = { path = ".", max_items = 10 }
recurrence = "5s"

[webhook]
listen = "127.0.0.1:9001"
max_body = "64KiB"
"#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("/etc/ch/host.toml"))
    }

    #[test]
    fn a_full_configuration_parses() {
        let c = parse(FULL).unwrap();
        assert_eq!(c.host.state, PathBuf::from("/etc/ch/var/state.db"));
        assert_eq!(c.host.shutdown_grace, Duration::from_secs(3));
        assert_eq!(c.host.backoff.initial, Duration::from_millis(250));
        assert_eq!(
            c.sink,
            SinkConfig::JsonLines {
                path: "/etc/ch/out/events.jsonl".into()
            }
        );
        let files = &c.connectors[0];
        assert_eq!(files.component, PathBuf::from("/abs/example_files.wasm"));
        assert_eq!(
            files.options.grants.dirs[0].host,
            PathBuf::from("/etc/ch/./inbox")
        );
        assert_eq!(files.options.grants.dirs[0].guest, "/data");
        assert_eq!(files.options.limits.fuel, None);
        assert_eq!(files.options.limits.max_memory_bytes, 64 << 20);
        let conn = c.connection("local-files").unwrap();
        assert_eq!(conn.values["retries"], "3");
        assert_eq!(conn.values["verbose"], "true");
        let t = c.trigger("new-files").unwrap();
        assert_eq!(t.input, json!({"path": ".", "max_items": 10}));
        assert_eq!(t.recurrence, Some(Duration::from_secs(5)));
        assert_eq!(c.webhook.listen, "127.0.0.1:9001".parse().unwrap());
        assert_eq!(c.webhook.max_body, 64 << 10);
    }

    #[test]
    fn a_postgres_state_is_a_url_with_a_lease_ttl() {
        let c = parse("[host]\nstate = \"postgres://ch@127.0.0.1:5432/db\"\nlease_ttl = \"4s\"\n")
            .unwrap();
        assert_eq!(
            c.host.state_url.as_deref(),
            Some("postgres://ch@127.0.0.1:5432/db")
        );
        assert_eq!(c.host.lease_ttl, Duration::from_secs(4));
        let file = parse("[host]\nstate = \"var/state.db\"\n").unwrap();
        assert_eq!(
            (file.host.state_url, file.host.lease_ttl),
            (None, Duration::from_secs(15))
        );
        let err = parse("[host]\nlease_ttl = \"200ms\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("[host] lease_ttl") && err.contains("shorter than 1s"),
            "{err}"
        );
    }

    #[test]
    fn defaults_fill_in_a_minimal_configuration() {
        let c = parse(
            r#"
[[connector]]
name = "c"
component = "c.wasm"
"#,
        )
        .unwrap();
        assert_eq!(c.host.state, PathBuf::from("/etc/ch/state.db"));
        assert_eq!(
            c.sink,
            SinkConfig::JsonLines {
                path: "/etc/ch/events.jsonl".into()
            }
        );
        assert_eq!(c.webhook.listen, DEFAULT_WEBHOOK_LISTEN.parse().unwrap());
        assert_eq!(c.host.backoff, BackoffPolicy::default());
        assert_eq!(c.connectors[0].component, PathBuf::from("/etc/ch/c.wasm"));
    }

    #[test]
    fn toml_syntax_errors_have_a_line_and_column() {
        let err = parse("[host]\nstate = \n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/etc/ch/host.toml:2:"), "{text}");
        let err = parse("[host]\nstat = \"x\"\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("2:1") && text.contains("unknown field `stat`"),
            "{text}"
        );
    }

    #[test]
    fn every_unknown_key_is_reported_with_the_other_problems() {
        let text = "[host]\nstat = \"x\"\nbackoff_max = \"forever\"\n\n\
                    [[connector]]\nname = \"files\"\ncomponent = \"f.wasm\"\ndirz = [\"a\"]\n\n\
                    [[trigger]]\nname = \"t\"\nconnection = \"nope\"\noperation = \"x\"\n\
                    intput = { a = 1 }\n";
        let err = parse(text).unwrap_err();
        let ConfigError::Invalid { problems, .. } = &err else {
            panic!("{err}")
        };
        let text = err.to_string();
        // Three unknown keys, each at its own line, and the checker's problems besides.
        let lines: Vec<usize> = problems
            .iter()
            .filter(|p| p.message.starts_with("unknown field"))
            .map(|p| p.location.unwrap().line)
            .collect();
        assert_eq!(lines, [2, 8, 14], "{text}");
        assert!(text.contains("unknown field `dirz`"), "{text}");
        assert!(text.contains("unknown field `intput`"), "{text}");
        assert!(text.contains("forever"), "{text}");
        assert!(text.contains("nope"), "{text}");
    }

    #[test]
    fn an_unknown_key_with_a_value_over_several_lines_is_reported_alone() {
        let text = "[host]\nstat = [\n  \"x\",\n]\nbackoff_max = \"forever\"\n";
        let err = parse(text).unwrap_err();
        let ConfigError::Invalid { problems, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 1, "{err}");
        assert!(
            problems[0].message.contains("unknown field `stat`"),
            "{err}"
        );
    }

    #[test]
    fn every_cross_reference_problem_is_reported_at_once() {
        let text = r#"
[sink]
kind = "carrier-pigeon"

[[connector]]
name = "files"
component = "f.wasm"

[[connector]]
name = "files"
component = "g.wasm"

[[connection]]
name = "a"
connector = "nope"

[[trigger]]
name = "t1"
connection = "missing"
operation = "x"
recurrence = "often"

[[trigger]]
name = "bad/name"
connection = "a"
operation = "x"
input = 5
"#;
        let err = parse(text).unwrap_err();
        let problems = err.problems();
        let all = err.to_string();
        assert_eq!(problems.len(), 7, "{all}");
        for needle in [
            "3:8: [sink] kind: \"carrier-pigeon\" is not a sink kind",
            "10:8: [[connector]] files: name: the name \"files\" is used twice (first at line 6)",
            "15:13: [[connection]] a: connector: there is no [[connector]] named \"nope\" (defined: files, files)",
            "19:14: [[trigger]] t1: connection: there is no [[connection]] named \"missing\" (defined: a)",
            "21:14: [[trigger]] t1: recurrence:",
            "24:8: [[trigger]]: name: \"bad/name\" is not a name",
            "27:9: [[trigger]] bad/name: input: must be a table",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
    }

    #[test]
    fn webhook_sinks_need_an_http_url() {
        let err =
            parse("[sink]\nkind = \"webhook\"\nurl = \"http://example.com/x\"\n").unwrap_err();
        assert!(err.to_string().contains("use https://"), "{err}");
        let c = parse("[sink]\nkind = \"webhook\"\nurl = \"https://example.com/x\"\n").unwrap();
        assert!(matches!(c.sink, SinkConfig::Webhook(s) if s.url.https));
        let err = parse("[sink]\nkind = \"webhook\"\n").unwrap_err();
        assert!(err.to_string().contains("needs a url"), "{err}");
        let c = parse(
            "[sink]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/e\"\nretry_for = \"2s\"\n",
        )
        .unwrap();
        let SinkConfig::Webhook(s) = c.sink else {
            panic!()
        };
        assert_eq!(s.url.port, 9);
        assert_eq!(s.retry_for, Duration::from_secs(2));
    }

    #[test]
    fn secrets_come_from_the_environment_or_files_and_never_show() {
        let dir =
            std::env::temp_dir().join(format!("connector-host-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("secrets.json"), r#"{"token": "s3cr3t-from-file"}"#).unwrap();
        std::fs::write(dir.join("token.txt"), "s3cr3t-plain\n").unwrap();
        let text = r#"
[[connector]]
name = "c"
component = "c.wasm"

[[connection]]
name = "ok"
connector = "c"
secrets = { a = { file = "secrets.json", key = "token" }, b = { file = "token.txt" } }

[[connection]]
name = "broken"
connector = "c"
secrets = { a = { env = "CONNECTOR_HOST_TEST_SURELY_UNSET" }, b = { file = "secrets.json", key = "nope" } }
"#;
        let c = Config::parse(text, &dir.join("host.toml")).unwrap();
        let ok = c.connection("ok").unwrap().resolve().unwrap();
        assert_eq!(ok.connection.get("a"), Some("s3cr3t-from-file"));
        assert_eq!(ok.connection.get("b"), Some("s3cr3t-plain"));
        assert_eq!(ok.secret_values.len(), 2);
        assert!(!format!("{:?}", ok.connection).contains("s3cr3t"));
        let problems = c.connection("broken").unwrap().resolve().unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("CONNECTOR_HOST_TEST_SURELY_UNSET is not set"));
        assert!(problems[1].contains("no key \"nope\""));
        assert!(!problems.join(" ").contains("s3cr3t"));
        let bad = parse("[[connection]]\nname = \"x\"\nconnector = \"c\"\nsecrets = { t = { env = \"A\", file = \"b\" } }\n")
            .unwrap_err();
        assert!(
            bad.to_string().contains("secrets.t: must be { env"),
            "{bad}"
        );
    }

    #[test]
    fn intervals_take_units_up_to_days() {
        assert_eq!(parse_interval("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_interval("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(
            parse_interval("7d").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert!(parse_interval("0h").is_err());
        assert!(parse_interval("soon").is_err());
        // Large enough to overflow an `Instant` when added to one (issue 12 #4).
        let e = parse_interval("18446744073709551615s").unwrap_err();
        assert!(e.to_string().contains("longest duration allowed"), "{e}");
        assert!(parse_interval("3651d").is_err());
        assert_eq!(parse_interval("3650d").unwrap(), MAX_INTERVAL);
    }

    #[test]
    fn locations_count_from_one() {
        assert_eq!(location("ab\ncd", 0), Location { line: 1, column: 1 });
        assert_eq!(location("ab\ncd", 4), Location { line: 2, column: 2 });
    }

    #[test]
    fn live_instances_are_opt_in_and_bounded() {
        let with = |n: &str| {
            parse(&format!(
                "[[connector]]\nname = \"c\"\ncomponent = \"c.wasm\"\nlive_instances = {n}\n"
            ))
        };
        let c = with("3").unwrap();
        let reuse = c.connectors[0].options.reuse.expect("reuse asked for");
        assert_eq!(reuse.max_idle, 3);
        assert_eq!(with("0").unwrap().connectors[0].options.reuse, None);
        for bad in ["65", "-1", "\"many\""] {
            let err = with(bad).unwrap_err().to_string();
            assert!(
                err.contains("live_instances") || err.contains("invalid"),
                "{bad}: {err}"
            );
        }
        assert_eq!(parse(FULL).unwrap().connectors[0].options.reuse, None);
    }
}
