//! The host configuration of a workflow project: `host.toml` beside `connections.json`.
//!
//! It is today's `host.toml` (see `connector_triggers::config`) with three additions, so
//! that one file format serves both uses:
//!
//! - `[[connector]] service_provider = "/serviceProviders/files"`: the `serviceProvider.id`
//!   the component serves (default `/serviceProviders/<the id its describe-service gives>`);
//! - `[host] run_retention = "90d"`: how long finished runs are kept;
//! - `[workflows]`: `listen` (the `Request` triggers' address, default 127.0.0.1:7072),
//!   `workers` (runs at once, default 4), `max_body` (default 1MiB) and `request_timeout`
//!   (how long a request waits for its `Response`, default 30s).
//!
//! The additions are read here; then they are blanked out of the text (spaces over the same
//! bytes, so lines and columns stay) and the rest goes to `Config::parse`, which checks it as
//! it checks any `host.toml`. Every problem of both passes is reported at once.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use connector_runtime::limits;
use connector_triggers::config::{Config, ConfigError, ConfigProblem, Location, parse_interval};

/// Where `Request` triggers listen unless `[workflows] listen` says otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7072";
/// How long finished runs are kept unless `[host] run_retention` says otherwise.
pub const DEFAULT_RUN_RETENTION: Duration = Duration::from_secs(90 * 86_400);

/// `[workflows]`: how runs are executed and how `Request` triggers are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSettings {
    /// The address of the `Request` triggers (loopback unless the operator says otherwise).
    pub listen: SocketAddr,
    /// How many runs execute at once.
    pub workers: usize,
    /// The largest request body a `Request` trigger accepts.
    pub max_body: usize,
    /// How long a request waits for the run's `Response` before it gets 202 and the run id.
    pub request_timeout: Duration,
}

impl Default for WorkflowSettings {
    fn default() -> Self {
        WorkflowSettings {
            listen: DEFAULT_LISTEN.parse().expect("a valid address"),
            workers: 4,
            max_body: 1 << 20,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A checked project configuration.
#[derive(Debug, Clone)]
pub struct ProjectConfig {
    /// The project folder.
    pub dir: PathBuf,
    /// The trigger host's configuration: `[host]`, the connectors with their grants and
    /// limits, `[trust]`.
    pub base: Config,
    /// Per `[[connector]]` (same order as `base.connectors`): the `service_provider` it
    /// was given, if any.
    pub service_providers: Vec<Option<String>>,
    /// `[host] run_retention`.
    pub run_retention: Duration,
    /// `[workflows]`.
    pub workflows: WorkflowSettings,
}

#[derive(Deserialize, Default)]
struct RawExtensions {
    #[serde(default)]
    host: Option<RawHostExt>,
    #[serde(default)]
    workflows: Option<Spanned<RawWorkflows>>,
    #[serde(default)]
    connector: Vec<RawConnectorExt>,
    #[serde(default)]
    trigger: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    connection: Vec<Spanned<toml::Value>>,
}

#[derive(Deserialize, Default)]
struct RawHostExt {
    run_retention: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWorkflows {
    listen: Option<Spanned<String>>,
    workers: Option<Spanned<i64>>,
    max_body: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
struct RawConnectorExt {
    service_provider: Option<Spanned<String>>,
}

impl ProjectConfig {
    /// Reads `<dir>/host.toml` (a project without one has no connectors and the defaults).
    pub fn load(dir: &Path) -> Result<ProjectConfig, ConfigError> {
        let file = dir.join("host.toml");
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(ConfigError::Read { path: file, source }),
        };
        Self::parse(&text, &file, dir)
    }

    /// Checks the text of a project's `host.toml`, read from `file`.
    pub fn parse(text: &str, file: &Path, dir: &Path) -> Result<ProjectConfig, ConfigError> {
        let mut problems = Vec::new();
        let at = |offset: usize| Some(location(text, offset));
        let raw: RawExtensions = match toml::from_str(text) {
            Ok(r) => r,
            // A syntax error: the base parser reports it, with its position.
            Err(_) if DeTable::parse(text).is_err() => RawExtensions::default(),
            Err(e) => {
                problems.push(ConfigProblem::new(
                    e.span().and_then(|s| at(s.start)),
                    "[workflows]",
                    e.message().trim().to_string(),
                ));
                RawExtensions::default()
            }
        };
        let mut bad = |offset: usize, table: &str, message: String| {
            problems.push(ConfigProblem::new(at(offset), table, message));
        };
        for t in &raw.trigger {
            bad(
                t.span().start,
                "[[trigger]]",
                "a project's triggers are in its workflow.json files; run a trigger-only \
                 configuration with `connector-host run <file>.toml`"
                    .into(),
            );
        }
        for c in &raw.connection {
            bad(
                c.span().start,
                "[[connection]]",
                "a project's connections are in connections.json".into(),
            );
        }
        let mut run_retention = DEFAULT_RUN_RETENTION;
        if let Some(r) = raw.host.as_ref().and_then(|h| h.run_retention.as_ref()) {
            match parse_interval(r.get_ref()) {
                Ok(d) => run_retention = d,
                Err(e) => bad(r.span().start, "[host] run_retention", format!("{e:#}")),
            }
        }
        let mut workflows = WorkflowSettings::default();
        if let Some(w) = &raw.workflows {
            let w = w.get_ref();
            if let Some(l) = &w.listen {
                match l.get_ref().parse::<SocketAddr>() {
                    Ok(a) => workflows.listen = a,
                    Err(_) => bad(
                        l.span().start,
                        "[workflows] listen",
                        format!("{:?} is not an address such as 127.0.0.1:7072", l.get_ref()),
                    ),
                }
            }
            if let Some(n) = &w.workers {
                match usize::try_from(*n.get_ref()) {
                    Ok(n @ 1..=256) => workflows.workers = n,
                    _ => bad(
                        n.span().start,
                        "[workflows] workers",
                        "must be a whole number from 1 to 256".into(),
                    ),
                }
            }
            if let Some(s) = &w.max_body {
                match limits::parse_size(s.get_ref()) {
                    Ok(n) => workflows.max_body = n,
                    Err(e) => bad(s.span().start, "[workflows] max_body", format!("{e:#}")),
                }
            }
            if let Some(t) = &w.request_timeout {
                match parse_interval(t.get_ref()) {
                    Ok(d) => workflows.request_timeout = d,
                    Err(e) => bad(
                        t.span().start,
                        "[workflows] request_timeout",
                        format!("{e:#}"),
                    ),
                }
            }
        }
        let mut service_providers = Vec::new();
        for c in &raw.connector {
            match &c.service_provider {
                Some(sp) if !sp.get_ref().starts_with('/') => {
                    bad(
                        sp.span().start,
                        "[[connector]] service_provider",
                        format!(
                            "{:?} is not a service provider id such as /serviceProviders/files",
                            sp.get_ref()
                        ),
                    );
                    service_providers.push(None);
                }
                sp => service_providers.push(sp.as_ref().map(|s| s.get_ref().clone())),
            }
        }
        let base = Config::parse(&blank_extensions(text), file);
        let base = match base {
            Ok(b) => Some(b),
            Err(ConfigError::Invalid { problems: p, .. }) => {
                problems.extend(p);
                None
            }
            Err(e) => return Err(e),
        };
        match base {
            Some(base) if problems.is_empty() => Ok(ProjectConfig {
                dir: dir.to_path_buf(),
                base,
                service_providers,
                run_retention,
                workflows,
            }),
            _ => {
                problems.sort_by_key(|p| p.location.map(|l| (l.line, l.column)));
                Err(ConfigError::Invalid {
                    file: file.to_path_buf(),
                    problems,
                })
            }
        }
    }
}

/// `text` with the project additions overwritten by spaces (newlines kept), so that the
/// trigger host's parser, which refuses unknown keys, checks the rest at the same positions.
fn blank_extensions(text: &str) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return text.to_owned();
    };
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for (key, value) in doc.get_ref().iter() {
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("workflows", DeValue::Table(t)) => {
                let k = key.span();
                let header_start = text[..k.start].trim_end().ends_with('[');
                if header_start {
                    let open = text[..k.start].rfind('[').unwrap_or(k.start);
                    let close = text[k.end..].find(']').map_or(k.end, |i| k.end + i + 1);
                    ranges.push(open..close);
                    for (ik, iv) in t.iter() {
                        ranges.push(ik.span().start..iv.span().end);
                    }
                } else {
                    ranges.push(k.start..value.span().end);
                }
            }
            ("workflows", _) => ranges.push(key.span().start..value.span().end),
            ("host", DeValue::Table(t)) => {
                for (ik, iv) in t.iter() {
                    if ik.get_ref().as_ref() == "run_retention" {
                        ranges.push(ik.span().start..iv.span().end);
                    }
                }
            }
            ("connector", DeValue::Array(a)) => {
                for item in a.iter() {
                    if let DeValue::Table(t) = item.get_ref() {
                        for (ik, iv) in t.iter() {
                            if ik.get_ref().as_ref() == "service_provider" {
                                ranges.push(ik.span().start..iv.span().end);
                            }
                        }
                    }
                }
            }
            // Refused above with a clearer message than the base parser's; blanked so that
            // it does not report them again.
            ("trigger" | "connection", DeValue::Array(a)) => {
                for item in a.iter() {
                    if let DeValue::Table(t) = item.get_ref() {
                        for (ik, iv) in t.iter() {
                            ranges.push(ik.span().start..iv.span().end);
                        }
                    }
                }
                let header = format!("[[{}]]", key.get_ref());
                let mut offset = 0;
                for line in text.split_inclusive('\n') {
                    if line.trim() == header {
                        ranges.push(offset..offset + line.trim_end().len());
                    }
                    offset += line.len();
                }
            }
            _ => {}
        }
    }
    let mut bytes = text.as_bytes().to_vec();
    for r in ranges {
        for b in &mut bytes[r.start.min(text.len())..r.end.min(text.len())] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Only whole UTF-8 sequences inside the ranges were replaced, by ASCII spaces: every
    // range starts and ends on a token boundary.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ProjectConfig, ConfigError> {
        ProjectConfig::parse(text, Path::new("/p/host.toml"), Path::new("/p"))
    }

    #[test]
    fn the_additions_are_read_and_the_rest_checked_as_host_toml() {
        let c = parse(
            r#"
[host]
state = "runs.db"
run_retention = "7d"

[workflows]
listen = "127.0.0.1:9999"
workers = 2

[[connector]]
name = "files"
component = "files.wasm"
service_provider = "/serviceProviders/files"
dirs = ["./data::/data"]
"#,
        )
        .unwrap();
        assert_eq!(c.base.host.state, PathBuf::from("/p/runs.db"));
        assert_eq!(c.run_retention, Duration::from_secs(7 * 86_400));
        assert_eq!(c.workflows.listen, "127.0.0.1:9999".parse().unwrap());
        assert_eq!(c.workflows.workers, 2);
        assert_eq!(
            c.service_providers,
            vec![Some("/serviceProviders/files".into())]
        );
        assert_eq!(c.base.connectors[0].options.grants.dirs[0].guest, "/data");
    }

    #[test]
    fn every_problem_of_both_passes_is_reported_with_its_line() {
        let err = parse(
            "[workflows]\nworkers = 0\nlisten = \"nowhere\"\n\n[[connector]]\nname = \"a\"\n\
             component = \"a.wasm\"\nservice_provider = \"files\"\nlimits = { timeout = \"soon\" }\n\n\
             [[trigger]]\nname = \"t\"\n",
        )
        .unwrap_err();
        let text = err.to_string();
        for needle in [
            "2:11: [workflows] workers: must be a whole number",
            "3:10: [workflows] listen: \"nowhere\"",
            "8:20: [[connector]] service_provider",
            "9:",
            "[[trigger]]: a project's triggers are in its workflow.json",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
    }

    #[test]
    fn an_unknown_key_in_workflows_is_refused() {
        let err = parse("[workflows]\nlisten_on = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("listen_on"), "{err}");
    }
}
