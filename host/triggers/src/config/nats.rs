//! The NATS parts of the configuration: `[nats]` (the server and how to log in, for the
//! `nats` push binding and the NATS sink) and `[sink] kind = "nats"` (the JetStream stream
//! and the subject each event is published to).
//!
//! Credentials come from an environment variable or a file (as connection secrets do), or a
//! NATS `.creds` file; they are read only when the host connects, and a URL that carries a
//! user or password is refused, so that no secret sits in the file or shows in a log line.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::check::{Checker, RawSecret};
use super::{ConfigProblem, Location, SecretSource};

/// The server `[nats] url` names unless the configuration says otherwise.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

/// How the host logs in to NATS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NatsAuth {
    /// No credentials.
    #[default]
    None,
    /// `token = { env = "..." }` (or `{ file = "..." }`).
    Token(SecretSource),
    /// `user = "..."` with `password = { env = "..." }`.
    UserPassword {
        user: String,
        password: SecretSource,
    },
    /// `credentials = "path/to/user.creds"`: a NATS credentials file (JWT and NKey seed).
    Credentials(PathBuf),
}

/// `[nats]`: a NATS server with JetStream, and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsServer {
    /// `url`: `nats://host:port` or `tls://host:port` (default [`DEFAULT_NATS_URL`]).
    pub url: String,
    /// `token`, `user` + `password`, or `credentials`.
    pub auth: NatsAuth,
    /// `connect_timeout`: how long connecting may take (default 5s).
    pub connect_timeout: Duration,
}

impl Default for NatsServer {
    fn default() -> Self {
        Self {
            url: DEFAULT_NATS_URL.into(),
            auth: NatsAuth::None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// `[sink] kind = "nats"`: publish each event to a JetStream stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsSinkSettings {
    /// The server: `[nats]`, with `[sink] url` in place of its url when given.
    pub server: NatsServer,
    /// `stream` (default `EVENTS`): created with [`SubjectTemplate::filter`] as its subject
    /// when it does not exist.
    pub stream: String,
    /// `subject` (default `events.{trigger}`).
    pub subject: SubjectTemplate,
    /// `timeout`: how long to wait for JetStream's acknowledgement of a publish (default 10s).
    pub ack_timeout: Duration,
    /// `duplicate_window` (default 2m): how long JetStream remembers an event id to drop a
    /// second publish of it; applies to a stream the host creates.
    pub duplicate_window: Duration,
}

/// A subject with placeholders `{trigger}`, `{connector}` and `{operation}`, replaced by each
/// event's values (`events.{trigger}`). Its first token is fixed, so that one wildcard
/// ([`SubjectTemplate::filter`]) covers every subject it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate(String);

/// The placeholders a subject template may hold.
const PLACEHOLDERS: [&str; 3] = ["{trigger}", "{connector}", "{operation}"];

impl SubjectTemplate {
    /// Checks `text`: dot-separated tokens, none empty, no spaces or wildcards, only the known
    /// placeholders, and a first token without one.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > 255 {
            return Err("must be 1-255 characters".into());
        }
        for (i, token) in text.split('.').enumerate() {
            let mut rest = token.to_string();
            for p in PLACEHOLDERS {
                rest = rest.replace(p, "");
            }
            if token.is_empty() {
                return Err(format!(
                    "{text:?} has an empty token (two dots, or one at an end)"
                ));
            }
            if rest.contains(['{', '}']) {
                return Err(format!(
                    "{text:?} has an unknown placeholder (known: {})",
                    PLACEHOLDERS.join(", ")
                ));
            }
            if rest.contains(['*', '>'])
                || rest.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "{text:?} has a wildcard, a space or a control character: events are \
                     published to one subject each"
                ));
            }
            if i == 0 && rest.len() != token.len() {
                return Err(format!(
                    "{text:?} starts with a placeholder; start with a fixed token (e.g. \
                     events.{{trigger}}), so that one stream subject covers every event"
                ));
            }
        }
        Ok(Self(text.to_string()))
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject of an event of `trigger`, `connector` and `operation`. Characters a subject
    /// token cannot hold (space, `*`, `>`) become `_`; a trigger name's dots add tokens.
    pub fn render(&self, trigger: &str, connector: &str, operation: &str) -> String {
        let clean = |v: &str| -> String {
            v.chars()
                .map(|c| match c {
                    '*' | '>' => '_',
                    c if c.is_whitespace() || c.is_control() => '_',
                    c => c,
                })
                .collect()
        };
        self.0
            .replace("{trigger}", &clean(trigger))
            .replace("{connector}", &clean(connector))
            .replace("{operation}", &clean(operation))
    }

    /// The wildcard that covers every subject the template makes: the template itself when it
    /// has no placeholder, else its fixed leading tokens and `>`.
    pub fn filter(&self) -> String {
        if !PLACEHOLDERS.iter().any(|p| self.0.contains(p)) {
            return self.0.clone();
        }
        let fixed: Vec<&str> = self
            .0
            .split('.')
            .take_while(|t| !PLACEHOLDERS.iter().any(|p| t.contains(p)))
            .collect();
        format!("{}.>", fixed.join("."))
    }
}

/// Whether `name` can name a JetStream stream or consumer (letters, digits, `-`, `_`).
pub fn is_jetstream_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// Checks a NATS server URL: `nats://` or `tls://`, a host, an optional port, nothing else
/// (credentials in it would show wherever the URL does).
pub fn check_nats_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("{text:?} is not a URL (nats://host:port)"));
    };
    if !matches!(scheme, "nats" | "tls") {
        return Err(format!(
            "{scheme}:// is not a NATS URL scheme (nats:// or tls://)"
        ));
    }
    if rest.contains('@') {
        return Err(
            "has credentials in it; give them as [nats] token, user and password, or \
                    credentials, so that they are never shown"
                .into(),
        );
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
        return Err(format!(
            "{text:?} has no host, or a path (nats://host:port)"
        ));
    }
    if let Some(p) = port
        && p.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(format!("{p:?} is not a port"));
    }
    Ok(text.to_string())
}

// ---- Raw TOML shapes and their checking ---------------------------------

/// `[nats]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNats {
    url: Option<Spanned<String>>,
    token: Option<Spanned<RawSecret>>,
    user: Option<Spanned<String>>,
    password: Option<Spanned<RawSecret>>,
    credentials: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
}

/// The `[sink]` keys of kind `nats`, as written.
pub(super) struct RawNatsSink<'r> {
    pub(super) url: Option<&'r Spanned<String>>,
    pub(super) stream: Option<&'r Spanned<String>>,
    pub(super) subject: Option<&'r Spanned<String>>,
    pub(super) timeout: Option<&'r Spanned<String>>,
    pub(super) duplicate_window: Option<&'r Spanned<String>>,
}

impl Checker<'_> {
    /// `[nats]`, or the defaults when it is absent.
    pub(super) fn check_nats(&mut self, raw: Option<&Spanned<RawNats>>) -> NatsServer {
        let Some(raw) = raw.map(Spanned::get_ref) else {
            return NatsServer::default();
        };
        let url = match &raw.url {
            None => DEFAULT_NATS_URL.to_string(),
            Some(u) => check_nats_url(u.get_ref()).unwrap_or_else(|e| {
                self.problem(u, "[nats] url", e);
                DEFAULT_NATS_URL.to_string()
            }),
        };
        let token = raw.token.as_ref().map(|t| {
            (
                t,
                self.secret_source(t, "[nats] token")
                    .unwrap_or_else(|| SecretSource::Env(String::new())),
            )
        });
        let password = raw.password.as_ref().map(|p| {
            (
                p,
                self.secret_source(p, "[nats] password")
                    .unwrap_or_else(|| SecretSource::Env(String::new())),
            )
        });
        let auth = match (token, &raw.user, password, &raw.credentials) {
            (None, None, None, None) => NatsAuth::None,
            (Some((_, token)), None, None, None) => NatsAuth::Token(token),
            (None, Some(user), Some((_, password)), None) if !user.get_ref().is_empty() => {
                NatsAuth::UserPassword {
                    user: user.get_ref().clone(),
                    password,
                }
            }
            (None, None, None, Some(creds)) if !creds.get_ref().is_empty() => {
                NatsAuth::Credentials(self.path(creds.get_ref()))
            }
            (_, user, password, creds) => {
                let at: Option<Location> = [
                    raw.token.as_ref().map(|t| self.at(t)),
                    user.as_ref().map(|u| self.at(u)),
                    password.map(|(p, _)| self.at(p)),
                    creds.as_ref().map(|c| self.at(c)),
                ]
                .into_iter()
                .flatten()
                .next()
                .flatten();
                self.problems.push(ConfigProblem::new(
                    at,
                    "[nats]",
                    "give one way to log in: token, or user with password, or credentials \
                     (a non-empty user needs a password, and a password a user)",
                ));
                NatsAuth::None
            }
        };
        NatsServer {
            url,
            auth,
            connect_timeout: self.interval(
                raw.connect_timeout.as_ref(),
                "[nats] connect_timeout",
                Duration::from_secs(5),
            ),
        }
    }

    /// `[sink] kind = "nats"`, on the server of `[nats]` (`nats`).
    pub(super) fn check_nats_sink(
        &mut self,
        raw: RawNatsSink<'_>,
        nats: &NatsServer,
    ) -> NatsSinkSettings {
        let mut server = nats.clone();
        if let Some(u) = raw.url {
            match check_nats_url(u.get_ref()) {
                Ok(url) => server.url = url,
                Err(e) => self.problem(u, "[sink] url", e),
            }
        }
        let stream = match raw.stream {
            None => "EVENTS".to_string(),
            Some(s) if is_jetstream_name(s.get_ref()) => s.get_ref().clone(),
            Some(s) => {
                self.problem(
                    s,
                    "[sink] stream",
                    format!(
                        "{:?} is not a stream name (1-64 letters, digits, '-' or '_')",
                        s.get_ref()
                    ),
                );
                "EVENTS".to_string()
            }
        };
        let default_subject = || SubjectTemplate("events.{trigger}".into());
        let subject = match raw.subject {
            None => default_subject(),
            Some(s) => SubjectTemplate::parse(s.get_ref()).unwrap_or_else(|e| {
                self.problem(s, "[sink] subject", e);
                default_subject()
            }),
        };
        NatsSinkSettings {
            server,
            stream,
            subject,
            ack_timeout: self.interval(raw.timeout, "[sink] timeout", Duration::from_secs(10)),
            duplicate_window: self.interval(
                raw.duplicate_window,
                "[sink] duplicate_window",
                Duration::from_secs(120),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_templates_are_checked_and_rendered() {
        let t = SubjectTemplate::parse("events.{connector}.{trigger}").unwrap();
        assert_eq!(t.render("new.files", "fs", "op"), "events.fs.new.files");
        assert_eq!(t.filter(), "events.>");
        assert_eq!(t.render("a b*", "c>", "x"), "events.c_.a_b_");
        let fixed = SubjectTemplate::parse("all.events").unwrap();
        assert_eq!(fixed.filter(), "all.events");
        for (bad, why) in [
            ("{trigger}.x", "starts with a placeholder"),
            ("events..x", "empty token"),
            ("events.", "empty token"),
            ("events.*", "wildcard"),
            ("events.>", "wildcard"),
            ("events.{name}", "unknown placeholder"),
            ("ev ents", "space"),
            ("", "1-255"),
        ] {
            let e = SubjectTemplate::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
    }

    #[test]
    fn nats_urls_are_checked() {
        assert!(check_nats_url("nats://127.0.0.1:4222").is_ok());
        assert!(check_nats_url("tls://nats.example.com").is_ok());
        for (bad, why) in [
            ("http://x:1", "not a NATS URL scheme"),
            ("nats://user:pw@x:1", "credentials"),
            ("nats://:4222", "no host"),
            ("nats://x:0", "not a port"),
            ("nats://x:port", "not a port"),
            ("x:4222", "not a URL"),
        ] {
            let e = check_nats_url(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
            assert!(!e.contains("pw"), "{e}");
        }
    }

    fn parse(text: &str) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::Config::parse(text, std::path::Path::new("/etc/ch/host.toml"))
    }

    #[test]
    fn a_nats_sink_and_server_parse() {
        let c = parse(
            "[nats]\nurl = \"nats://10.0.0.5:4223\"\nuser = \"host\"\npassword = { env = \"NATS_PW\" }\n\n\
             [sink]\nkind = \"nats\"\nstream = \"ORDERS\"\nsubject = \"orders.{connector}.{trigger}\"\n\
             timeout = \"3s\"\n",
        )
        .unwrap();
        let crate::config::SinkConfig::Nats(sink) = &c.sink else {
            panic!("{:?}", c.sink)
        };
        assert_eq!(sink.server.url, "nats://10.0.0.5:4223");
        assert_eq!(
            sink.server.auth,
            NatsAuth::UserPassword {
                user: "host".into(),
                password: SecretSource::Env("NATS_PW".into())
            }
        );
        assert_eq!(
            (sink.stream.as_str(), sink.subject.filter()),
            ("ORDERS", "orders.>".into())
        );
        assert_eq!(sink.ack_timeout, Duration::from_secs(3));
        assert_eq!(c.nats, sink.server);
        let defaults = parse("[sink]\nkind = \"nats\"\n").unwrap();
        let crate::config::SinkConfig::Nats(d) = defaults.sink else {
            panic!()
        };
        assert_eq!(
            (d.server.url.as_str(), d.stream.as_str()),
            (DEFAULT_NATS_URL, "EVENTS")
        );
        assert_eq!(d.subject.as_str(), "events.{trigger}");
    }

    #[test]
    fn every_nats_problem_is_reported_where_it_is() {
        let text = "[nats]\nurl = \"nats://me:pw@h:1\"\ntoken = { env = \"T\" }\nuser = \"x\"\n\n\
                    [sink]\nkind = \"nats\"\nstream = \"a.b\"\nsubject = \"{trigger}.x\"\n\
                    path = \"e.jsonl\"\n";
        let err = parse(text).unwrap_err();
        let all = err.to_string();
        assert_eq!(err.problems().len(), 5, "{all}");
        for needle in [
            "2:7: [nats] url: has credentials in it",
            "3:9: [nats]: give one way to log in",
            "8:10: [sink] stream: \"a.b\" is not a stream name",
            "9:11: [sink] subject: \"{trigger}.x\" starts with a placeholder",
            "10:8: [sink] path: does not apply to kind \"nats\"",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert!(!all.contains("pw@"), "{all}");
        let err = parse("[sink]\nkind = \"jsonl\"\nstream = \"S\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("3:10: [sink] stream: does not apply to kind \"jsonl\""),
            "{err}"
        );
    }

    #[test]
    fn stream_names_are_single_tokens() {
        assert!(is_jetstream_name("EVENTS_1-a"));
        for bad in ["", "a.b", "a b", "a*", "a>", &"x".repeat(65)] {
            assert!(!is_jetstream_name(bad), "{bad:?}");
        }
    }
}
