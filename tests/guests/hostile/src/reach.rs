//! Operations that try to reach beyond the sandbox, or leak a secret: each
//! reports what happened, so the host's tests can check that the sandbox
//! (not the connector's good manners) stopped it.

use std::time::Duration;

use connector_http::Request;
use serde_json::{Value, json};

use crate::connector::provider::log::{Level, log};

/// The actions of this module, with summaries.
pub const ACTIONS: &[(&str, &str)] = &[
    (
        "sleep",
        "Sleeps for `seconds` (default an hour) in a host call.",
    ),
    (
        "http-get",
        "GETs `url` and reports the status and body length.",
    ),
    (
        "http-follow",
        "GETs `url`, following up to 5 redirects like a naive client.",
    ),
    ("tcp-connect", "Opens a raw TCP socket to `addr`."),
    (
        "dns-lookup",
        "Resolves `host` with the guest's own DNS look-up.",
    ),
    (
        "fs-read",
        "Reads the file at `path`, with no checks of its own.",
    ),
    (
        "fs-write",
        "Writes `content` to `path`, with no checks of its own.",
    ),
    (
        "leak-secret",
        "Puts the connection's `token` where `where` says: log, error, panic, stderr, stdout, body.",
    ),
    ("invalid-utf8", "Returns a body that is not UTF-8."),
];

/// Runs one of this module's actions; `None` if `op` is not one of them.
pub fn invoke(
    op: &str,
    connection: &[(String, String)],
    input: &Value,
) -> Option<Result<String, String>> {
    let text = |key: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Some(match op {
        "sleep" => {
            let seconds = input.get("seconds").and_then(Value::as_u64).unwrap_or(3600);
            std::thread::sleep(Duration::from_secs(seconds));
            Ok(json!({"slept": seconds}).to_string())
        }
        "http-get" => Request::get(text("url"))
            .send()
            .map(|r| json!({"status": r.status, "length": r.body.len()}).to_string())
            .map_err(|e| e.to_string()),
        "http-follow" => follow(&text("url")),
        "tcp-connect" => std::net::TcpStream::connect(text("addr"))
            .map(|_| json!({"connected": true}).to_string())
            .map_err(|e| format!("connect failed: {e}")),
        "dns-lookup" => std::net::ToSocketAddrs::to_socket_addrs(&(text("host").as_str(), 80))
            .map(|a| json!({"addresses": a.map(|a| a.to_string()).collect::<Vec<_>>()}).to_string())
            .map_err(|e| format!("lookup failed: {e}")),
        "fs-read" => std::fs::read_to_string(text("path"))
            .map(|c| json!({"content": c}).to_string())
            .map_err(|e| format!("read failed: {e}")),
        "fs-write" => std::fs::write(text("path"), text("content"))
            .map(|()| json!({"written": true}).to_string())
            .map_err(|e| format!("write failed: {e}")),
        "leak-secret" => leak(connection, &text("where")),
        "invalid-utf8" => {
            // SAFETY: deliberately not UTF-8; the host must refuse it when it
            // reads the result, which is what this operation tests.
            Ok(unsafe { String::from_utf8_unchecked(vec![b'"', 0xff, 0xfe, b'"']) })
        }
        _ => return None,
    })
}

fn follow(url: &str) -> Result<String, String> {
    let mut url = url.to_string();
    for _ in 0..5 {
        let response = Request::get(&url).send().map_err(|e| e.to_string())?;
        match (response.status, response.header("location")) {
            (300..=399, Some(next)) => url = next.to_string(),
            (status, _) => return Ok(json!({"status": status, "url": url}).to_string()),
        }
    }
    Err("too many redirects".into())
}

fn leak(connection: &[(String, String)], place: &str) -> Result<String, String> {
    let token = connection
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    match place {
        "log" => {
            log(
                Level::Warn,
                &format!("the token is {token}"),
                &[("token".into(), token.clone())],
            );
            Ok(json!({"leaked": "log"}).to_string())
        }
        "error" => Err(format!("failed with token {token}")),
        "panic" => panic!("panicking with token {token}"),
        "stderr" => {
            eprintln!("token on stderr: {token}");
            Ok(json!({"leaked": "stderr"}).to_string())
        }
        "stdout" => {
            println!("token on stdout: {token}");
            Ok(json!({"leaked": "stdout"}).to_string())
        }
        "body" => Ok(json!({"token": token}).to_string()),
        other => Err(format!("unknown place {other:?}")),
    }
}
