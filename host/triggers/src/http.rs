//! The small HTTP parts the webhook sink and the webhook listener share: the
//! sink's URL (`https://`, or `http://` to a loopback address) and the
//! listener's limits. The protocol itself is hyper's (the listener) and
//! reqwest's (the sink); nothing here reads or writes HTTP.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

/// Most bytes of a request head (request line and headers) the listener
/// takes; a larger head is answered 431.
pub const MAX_HEAD_BYTES: usize = 64 << 10;

/// Most header fields of a request the listener takes; more are answered 431.
pub const MAX_HEADERS: usize = 128;

/// The longest a client may take to send a request head, however long
/// `request_timeout` is: a head is small, and a client that trickles it in
/// holds a connection for nothing (issue 12 #5).
pub const MAX_HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// The URL of the webhook sink: `https://` to anywhere, or `http://` to a
/// loopback address (events carry business data; plain text stays on the
/// machine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// Whether the scheme is `https`.
    pub https: bool,
    /// Host name or IP address (without brackets for IPv6).
    pub host: String,
    /// The port (default 80 for http, 443 for https).
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// Whether `host` names this machine: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl FromStr for HttpUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, String> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(format!("{url:?} is not an http:// or https:// URL"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            // They would end up in error messages and logs.
            return Err(format!("{url:?}: credentials in the URL are not supported"));
        }
        if path.contains('#') || path.chars().any(|c| c.is_control() || c == ' ') {
            return Err(format!(
                "{url:?}: the path may not hold a fragment, spaces or control characters"
            ));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let Some((host, after)) = v6.split_once(']') else {
                return Err(format!("{url:?} has an unclosed '[' in its host"));
            };
            (host.to_string(), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host.to_string(), Some(port)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        let port = match port {
            None | Some("") => {
                if https {
                    443
                } else {
                    80
                }
            }
            Some(p) => p
                .parse()
                .map_err(|_| format!("{url:?} has an invalid port {p:?}"))?,
        };
        if !https && !is_loopback_host(&host) {
            return Err(format!(
                "{url:?}: plain http:// is allowed only to this machine (localhost, 127.0.0.1, \
                 [::1]); use https:// for {host}"
            ));
        }
        Ok(Self {
            https,
            host,
            port,
            path,
        })
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}{}", self.host, self.port, self.path)
        } else {
            write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.path)
        }
    }
}

/// Limits of the webhook listener.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Most bytes of a request body.
    pub max_body: usize,
    /// Time to receive the request head, from its first byte (and how long
    /// an idle keep-alive connection stays open).
    pub head_timeout: Duration,
    /// Time to receive the body, once the head is in.
    pub body_timeout: Duration,
}

impl ServerLimits {
    /// The limits of `[webhook]`: the body gets the whole `request_timeout`,
    /// the head the same but never more than [`MAX_HEAD_TIMEOUT`].
    pub fn new(max_body: usize, request_timeout: Duration) -> Self {
        Self {
            max_body,
            head_timeout: request_timeout.min(MAX_HEAD_TIMEOUT),
            body_timeout: request_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u: HttpUrl = "http://127.0.0.1:9000/events?x=1".parse().unwrap();
        assert_eq!(
            (u.https, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 9000, "/events?x=1")
        );
        let u: HttpUrl = "http://localhost".parse().unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/"));
        let u: HttpUrl = "http://[::1]:8080/e".parse().unwrap();
        assert_eq!(u.host, "::1");
        assert_eq!(u.to_string(), "http://[::1]:8080/e");
        let u: HttpUrl = "http://127.0.0.2?q".parse().unwrap();
        assert_eq!(u.path, "/?q");
        let u: HttpUrl = "https://hooks.example.com/in".parse().unwrap();
        assert_eq!((u.https, u.port), (true, 443));
        assert_eq!(u.to_string(), "https://hooks.example.com:443/in");
        let err = "http://example.com/x".parse::<HttpUrl>().unwrap_err();
        assert!(err.contains("use https:// for example.com"), "{err}");
        assert!("ftp://x".parse::<HttpUrl>().is_err());
        assert!("http://:80/".parse::<HttpUrl>().is_err());
        assert!("http://127.0.0.1:port/".parse::<HttpUrl>().is_err());
        assert!("https://u:p@h/".parse::<HttpUrl>().is_err());
        assert!("https://h/a b".parse::<HttpUrl>().is_err());
    }

    #[test]
    fn the_head_gets_a_short_time_of_its_own() {
        let l = ServerLimits::new(1024, Duration::from_secs(30));
        assert_eq!(l.head_timeout, MAX_HEAD_TIMEOUT);
        assert_eq!(l.body_timeout, Duration::from_secs(30));
        let l = ServerLimits::new(1024, Duration::from_secs(2));
        assert_eq!(l.head_timeout, Duration::from_secs(2));
    }
}
