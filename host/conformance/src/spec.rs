//! The conformance spec, `connector-test.toml`: the connection values,
//! grants, example inputs (with their expected outputs or errors), inputs
//! that must be refused and trigger states that must be refused, for one
//! connector.
//!
//! ```toml
//! [grants]
//! dirs = ["{scratch}::/data"]          # {scratch}: a fresh empty directory per run
//! scratch-files = { "hello.txt" = "Hello" }   # written into {scratch} first
//! http = ["https://api.example.com"]   # outbound HTTP origins, as for --allow-http
//!
//! [connection]
//! good = { root = "/data" }            # must pass check-connection (default: no values)
//! # good = { host = "127.0.0.1:${PORT}", token = { env = "API_TOKEN" } }
//! #   ${NAME}: the environment variable, put into the text before it is read;
//! #   { env = "NAME" }: a value read from the environment (for secrets)
//! bad = [{ root = "/no/such/dir" }]    # each must fail with a connector error
//!
//! [[actions.hash.examples]]
//! input = { text = "hello", algorithm = "sha256" }
//! output = { digest = "2cf2...", algorithm = "sha256" }   # optional: the exact body
//!
//! [[actions.base64.examples]]
//! input = { text = "%%%", direction = "decode" }
//! error = "invalid-input"              # the connector must refuse it with this kind
//! code = "bad-base64"                  # ... and this code (optional)
//!
//! [actions.hash]
//! invalid = [{ text = "x", algorithm = "md5" }]   # more inputs the schema must refuse
//!
//! [triggers.file-added-or-changed]
//! input = {}
//! bad-states = ["garbage", { files = 12 }]        # each must be an invalid-input error
//!
//! [triggers.order-created]                        # a push trigger
//! input = { name = "orders" }
//!
//! [[triggers.order-created.events]]               # an example event: valid items
//! name = "one order"
//! method = "POST"                      # default POST
//! path = "/hooks/orders"               # default: the webhook binding's path
//! headers = { "x-signature" = "abc" }
//! json = { id = "o-1", total = 12 }    # or body = "raw text"
//! ids = ["o-1"]                        # optional: the item ids it must give (or items = 1)
//!
//! [[triggers.order-created.bad-events]]           # each must be an invalid-input error
//! body = "not json"
//! code = "bad-json"                    # optional
//!
//! [actions.format-disk]
//! skip = "destroys the disk"           # not tested; the report says why
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use connector_runtime::capabilities::{DirGrant, GrantTemplate};
use connector_runtime::connection::Connection;
use connector_runtime::connector::RawEvent;
use connector_runtime::error::ErrorKind;

/// The file name `connector-host test` and `new` use for a spec.
pub const SPEC_FILE: &str = "connector-test.toml";

/// A parsed spec.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Spec {
    /// What the operator grants the connector for the run.
    #[serde(default)]
    pub grants: GrantsSpec,
    /// Connection values to check.
    #[serde(default)]
    pub connection: ConnectionSpec,
    /// Per action id.
    #[serde(default)]
    pub actions: BTreeMap<String, ActionSpec>,
    /// Per trigger id.
    #[serde(default)]
    pub triggers: BTreeMap<String, TriggerSpec>,
    /// Where the spec was read from (relative grant paths start there).
    #[serde(skip)]
    pub dir: PathBuf,
}

/// `[grants]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GrantsSpec {
    /// Directory grants as for `--dir`; `{scratch}` is a fresh empty
    /// directory, and a relative host path is relative to the spec file.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Files to write into `{scratch}` before the run: relative path to
    /// UTF-8 content.
    #[serde(default)]
    pub scratch_files: BTreeMap<String, String>,
    /// Outbound HTTP origins as for `--allow-http`.
    #[serde(default)]
    pub http: Vec<String>,
}

/// `[connection]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConnectionSpec {
    /// The connection every call uses; it must pass check-connection.
    #[serde(default)]
    pub good: BTreeMap<String, Value>,
    /// Connections check-connection must refuse with a connector error.
    #[serde(default)]
    pub bad: Vec<BTreeMap<String, Value>>,
}

/// `[actions.<id>]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ActionSpec {
    /// Example inputs and what they must give.
    #[serde(default)]
    pub examples: Vec<Example>,
    /// More inputs that break the input schema and must be refused.
    #[serde(default)]
    pub invalid: Vec<Value>,
    /// Why the action is not tested (it is reported as skipped).
    pub skip: Option<String>,
}

/// One example call of an action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Example {
    /// A name for the report.
    pub name: Option<String>,
    /// The input.
    #[serde(default = "empty_object")]
    pub input: Value,
    /// The exact body it must give.
    pub output: Option<Value>,
    /// The status it must give.
    pub status: Option<u16>,
    /// The kind of connector error it must give instead of a body.
    pub error: Option<String>,
    /// The code of that error.
    pub code: Option<String>,
}

/// `[triggers.<id>]`, for polling and push triggers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TriggerSpec {
    /// The trigger's input for every poll, or for push-binding and every event.
    #[serde(default = "empty_object")]
    pub input: Value,
    /// Polling triggers: states that are stale or malformed; each must be an
    /// invalid-input error.
    #[serde(default)]
    pub bad_states: Vec<Value>,
    /// Push triggers: example events; each must give items valid against
    /// the output schema (or the error it names).
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Push triggers: malformed events; each must be an invalid-input error.
    #[serde(default)]
    pub bad_events: Vec<EventSpec>,
    /// More inputs that break the input schema and must be refused.
    #[serde(default)]
    pub invalid: Vec<Value>,
    /// Push triggers that need a subscription: the connection of the
    /// subscribe/unsubscribe round trip (default: `[connection] good`),
    /// e.g. one that points at a test event source.
    pub connection: Option<BTreeMap<String, Value>>,
    /// Why the trigger is not tested.
    pub skip: Option<String>,
}

impl TriggerSpec {
    /// The connection of the subscription round trip, if the spec names one.
    pub fn subscription_connection(&self, id: &str) -> Result<Option<Connection>> {
        self.connection
            .as_ref()
            .map(|values| {
                to_connection(values).with_context(|| format!("[triggers.{id}] connection"))
            })
            .transpose()
    }
}

/// One event for a push trigger's handle-event, as the host would receive
/// it from the trigger's event source (for a webhook: an HTTP request).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EventSpec {
    /// A name for the report.
    pub name: Option<String>,
    /// The method (for a webhook, the HTTP method); default POST.
    pub method: Option<String>,
    /// The path and query; default: the webhook binding's path, else `/`.
    pub path: Option<String>,
    /// Headers; names are lower-cased, as the host passes them.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The payload as text.
    pub body: Option<String>,
    /// Or the payload as a JSON value (sent as its text, with
    /// `content-type: application/json` unless `headers` name one).
    pub json: Option<Value>,
    /// Example events: how many items it must give.
    pub items: Option<usize>,
    /// Example events: the ids of the items it must give, in order.
    pub ids: Option<Vec<String>>,
    /// Example events: the kind of connector error it must give instead.
    pub error: Option<String>,
    /// The code of that error (for bad events: of the invalid-input error).
    pub code: Option<String>,
}

impl EventSpec {
    /// The raw event: `default_path` when the spec gives none.
    pub fn raw_event(&self, default_path: &str) -> RawEvent {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect();
        let body = match (&self.body, &self.json) {
            (Some(text), _) => text.clone().into_bytes(),
            (None, Some(value)) => {
                if !headers.iter().any(|(name, _)| name == "content-type") {
                    headers.push(("content-type".into(), "application/json".into()));
                }
                value.to_string().into_bytes()
            }
            (None, None) => Vec::new(),
        };
        RawEvent {
            method: self.method.clone().unwrap_or_else(|| "POST".into()),
            path: self
                .path
                .clone()
                .unwrap_or_else(|| default_path.to_string()),
            headers,
            body,
        }
    }
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl Spec {
    /// Reads and checks a spec file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the spec {}", path.display()))?;
        let text = substitute_env(&text, |name| std::env::var(name).ok())
            .with_context(|| format!("the spec {} is not valid", path.display()))?;
        let mut spec: Spec = toml::from_str(&text)
            .with_context(|| format!("the spec {} is not valid", path.display()))?;
        spec.dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        spec.check()
            .with_context(|| format!("the spec {} is not valid", path.display()))?;
        Ok(spec)
    }

    fn check(&self) -> Result<()> {
        for (id, trigger) in &self.triggers {
            trigger.subscription_connection(id)?;
            for (i, event) in trigger.events.iter().enumerate() {
                let at = format!("triggers.{id}.events[{}]", i + 1);
                event.check(&at)?;
                if let Some(kind) = &event.error {
                    parse_kind(kind).with_context(|| format!("{at}.error"))?;
                    if event.items.is_some() || event.ids.is_some() {
                        bail!("{at} expects both an error and items; give one");
                    }
                } else if event.code.is_some() {
                    bail!("{at} gives an error code but no error kind");
                }
            }
            for (i, event) in trigger.bad_events.iter().enumerate() {
                let at = format!("triggers.{id}.bad-events[{}]", i + 1);
                event.check(&at)?;
                if event.error.is_some() || event.items.is_some() || event.ids.is_some() {
                    bail!("{at}: a bad event must be an invalid-input error; give only its `code`");
                }
            }
        }
        for (id, action) in &self.actions {
            for (i, example) in action.examples.iter().enumerate() {
                let at = format!("actions.{id}.examples[{}]", i + 1);
                if let Some(kind) = &example.error {
                    parse_kind(kind).with_context(|| format!("{at}.error"))?;
                    if example.output.is_some() || example.status.is_some() {
                        bail!("{at} expects both an error and an output; give one");
                    }
                } else if example.code.is_some() {
                    bail!("{at} gives an error code but no error kind");
                }
            }
        }
        Ok(())
    }

    /// The good connection.
    pub fn good_connection(&self) -> Result<Connection> {
        to_connection(&self.connection.good).context("[connection] good")
    }

    /// The bad connections.
    pub fn bad_connections(&self) -> Result<Vec<Connection>> {
        self.connection
            .bad
            .iter()
            .enumerate()
            .map(|(i, values)| {
                to_connection(values).with_context(|| format!("[connection] bad[{}]", i + 1))
            })
            .collect()
    }

    /// The directory grants, with `{scratch}` replaced by `scratch` and
    /// relative host paths made relative to the spec's directory.
    pub fn dir_grants(&self, scratch: &Path) -> Result<Vec<DirGrant>> {
        self.grants
            .dirs
            .iter()
            .map(|text| {
                let text = text.replace("{scratch}", &scratch.display().to_string());
                let mut grant: DirGrant = text
                    .parse()
                    .with_context(|| format!("[grants] dirs: {text:?}"))?;
                if grant.host.is_relative() {
                    grant.host = self.dir.join(&grant.host);
                }
                Ok(grant)
            })
            .collect()
    }

    /// The outbound HTTP grants.
    pub fn http_grants(&self) -> Result<Vec<GrantTemplate>> {
        self.grants
            .http
            .iter()
            .map(|text| {
                text.parse()
                    .with_context(|| format!("[grants] http: {text:?}"))
            })
            .collect()
    }

    /// Whether the grants use a scratch directory.
    pub fn needs_scratch(&self) -> bool {
        self.grants.dirs.iter().any(|d| d.contains("{scratch}"))
    }

    /// Writes `scratch-files` into the scratch directory.
    pub fn fill_scratch(&self, scratch: &Path) -> Result<()> {
        for (name, content) in &self.grants.scratch_files {
            let relative = Path::new(name);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                bail!("[grants] scratch-files: {name:?} must be a relative path without `..`");
            }
            let path = scratch.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(&path, content)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

impl EventSpec {
    fn check(&self, at: &str) -> Result<()> {
        if self.body.is_some() && self.json.is_some() {
            bail!("{at} gives both `body` and `json`; give one");
        }
        if let (Some(n), Some(ids)) = (self.items, &self.ids)
            && n != ids.len()
        {
            bail!("{at} expects {n} items but lists {} ids", ids.len());
        }
        Ok(())
    }
}

/// An error kind by its contract name, e.g. `invalid-input`.
pub fn parse_kind(name: &str) -> Result<ErrorKind> {
    Ok(match name {
        "invalid-input" => ErrorKind::InvalidInput,
        "unauthorized" => ErrorKind::Unauthorized,
        "forbidden" => ErrorKind::Forbidden,
        "not-found" => ErrorKind::NotFound,
        "conflict" => ErrorKind::Conflict,
        "throttled" => ErrorKind::Throttled,
        "transient" => ErrorKind::Transient,
        "internal" => ErrorKind::Internal,
        _ => bail!(
            "{name:?} is not an error kind (invalid-input, unauthorized, forbidden, not-found, \
             conflict, throttled, transient, internal)"
        ),
    })
}

/// Replaces each `${NAME}` in the spec's text with the environment variable
/// `NAME` (a server's port a test started, say), before the text is read as
/// TOML; `$${` stands for a literal `${`. Every variable that is not set is
/// reported at once, with its line. Secrets belong in `{ env = "NAME" }`
/// connection values instead: those are never substituted into the text.
pub fn substitute_env(text: &str, var: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("${") {
            if rest[..at].ends_with('$') {
                out.push_str(&rest[..at - 1]);
                out.push_str("${");
                rest = &rest[at + 2..];
                continue;
            }
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            let Some(end) = after.find('}') else {
                bail!("line {}: `${{` without its closing `}}`", n + 1);
            };
            let name = &after[..end];
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                bail!("line {}: `${{{name}}}` is not a variable name", n + 1);
            }
            match var(name) {
                Some(value) => out.push_str(&value),
                None => missing.push(format!("line {}: ${{{name}}}", n + 1)),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
    }
    if !missing.is_empty() {
        bail!(
            "environment variables that are not set: {}",
            missing.join(", ")
        );
    }
    Ok(out)
}

fn to_connection(values: &BTreeMap<String, Value>) -> Result<Connection> {
    let mut connection = Connection::new();
    for (name, value) in values {
        let text = match value {
            Value::Object(o) if o.len() == 1 && o.contains_key("env") => {
                let Some(Value::String(var)) = o.get("env") else {
                    bail!("the value of {name:?}: `env` must name an environment variable");
                };
                std::env::var(var).map_err(|_| {
                    anyhow::anyhow!(
                        "the value of {name:?} comes from the environment variable {var}, which \
                         is not set (or not UTF-8)"
                    )
                })?
            }
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => bail!(
                "the value of {name:?} is {}, expected a string, number, boolean or \
                 {{ env = \"VARIABLE\" }}",
                connector_runtime::connection::kind_of(other)
            ),
        };
        connection.set(name.clone(), text);
    }
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "PORT" => Some("40123".into()),
            "HOST_1" => Some("127.0.0.1".into()),
            _ => None,
        }
    }

    #[test]
    fn variables_are_substituted_and_escapes_kept() {
        let text = "good = { host = \"${HOST_1}:${PORT}\" }\nnote = \"$${PORT} stays\"\n";
        assert_eq!(
            substitute_env(text, vars).unwrap(),
            "good = { host = \"127.0.0.1:40123\" }\nnote = \"${PORT} stays\"\n"
        );
    }

    #[test]
    fn every_missing_variable_is_named_with_its_line() {
        let e = substitute_env("a = \"${NOPE}\"\nb = 1\nc = \"${ALSO_NOT}\"\n", vars)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 1: ${NOPE}") && e.contains("line 3: ${ALSO_NOT}"),
            "{e}"
        );
        let e = substitute_env("a = \"${1x}\"", vars)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a variable name"), "{e}");
        let e = substitute_env("a = \"${PORT\"", vars)
            .unwrap_err()
            .to_string();
        assert!(e.contains("closing"), "{e}");
    }

    #[test]
    fn a_connection_value_can_come_from_the_environment() {
        // The test process's own environment: PATH is always set.
        let path = std::env::var("PATH").unwrap();
        let values: BTreeMap<String, Value> =
            [("token".to_string(), serde_json::json!({ "env": "PATH" }))].into();
        let c = to_connection(&values).unwrap();
        assert_eq!(c.get("token"), Some(path.as_str()));
        let values: BTreeMap<String, Value> = [(
            "token".to_string(),
            serde_json::json!({ "env": "CONNECTOR_HOST_SURELY_UNSET_VARIABLE" }),
        )]
        .into();
        let e = to_connection(&values).unwrap_err().to_string();
        assert!(
            e.contains("CONNECTOR_HOST_SURELY_UNSET_VARIABLE") && e.contains("not set"),
            "{e}"
        );
    }
}
