//! The `[host] state = "postgres://..."` URL: parsed for the client, shown
//! without its password, and given a password from `PGPASSWORD` or
//! `.pgpass` when it has none (the usual places of libpq, so that no
//! password need be written in `host.toml`).

use std::path::PathBuf;

use tokio_postgres::config::Host;

/// `url` with any password (`user:PASSWORD@`, `?password=`) replaced by `***`,
/// for every message, log line and status output.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), url),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{hosts}"),
            None => format!("{userinfo}@{hosts}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

/// Parses `url` and, if it names no password, takes one from `PGPASSWORD`
/// or the `.pgpass` file (`PGPASSFILE`, else `~/.pgpass`). Errors name the
/// URL only redacted.
pub fn client_config(url: &str) -> Result<tokio_postgres::Config, String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("is not a PostgreSQL URL ({e})"))?;
    if config.get_user().is_none() {
        return Err("names no user (postgres://USER@HOST:PORT/DATABASE)".into());
    }
    if config.get_password().is_none() {
        if let Ok(password) = std::env::var("PGPASSWORD") {
            config.password(password);
        } else if let Some(password) = from_pgpass(&config) {
            config.password(password);
        }
    }
    Ok(config)
}

fn pgpass_file() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(file));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pgpass"))
}

/// The password of the first `.pgpass` line that matches (libpq's format:
/// `host:port:database:user:password`, `*` matching anything, `\` escaping).
fn from_pgpass(config: &tokio_postgres::Config) -> Option<String> {
    let text = std::fs::read_to_string(pgpass_file()?).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(_)) | None => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user()?;
    let database = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), database, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(pgpass_fields)
        .find(|fields| {
            fields.len() == 5
                && fields[..4]
                    .iter()
                    .zip(wanted)
                    .all(|(field, want)| field == "*" || field == want)
        })
        .map(|mut fields| fields.swap_remove(4))
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    fields.last_mut().expect("never empty").push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().expect("never empty").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_wherever_the_url_has_them() {
        assert_eq!(
            redact("postgres://ch:s3cret@127.0.0.1:5432/db"),
            "postgres://ch:***@127.0.0.1:5432/db"
        );
        assert_eq!(
            redact("postgresql://ch@127.0.0.1/db?sslmode=disable&password=s3cret"),
            "postgresql://ch@127.0.0.1/db?sslmode=disable&password=***"
        );
        assert_eq!(redact("postgres://ch@h/db"), "postgres://ch@h/db");
        // A password with '@' and ':' in it: everything up to the last '@'.
        assert_eq!(redact("postgres://ch:a:b@c@h/db"), "postgres://ch:***@h/db");
    }

    #[test]
    fn pgpass_lines_are_split_with_escapes() {
        assert_eq!(
            pgpass_fields(r"127.0.0.1:5432:*:ch:pa\:ss\\word"),
            ["127.0.0.1", "5432", "*", "ch", r"pa:ss\word"]
        );
    }

    #[test]
    fn a_url_without_a_user_is_refused() {
        let err = client_config("postgres://127.0.0.1:5432/db").unwrap_err();
        assert!(err.contains("no user"), "{err}");
        assert!(client_config("not a url at all").is_err());
    }
}
