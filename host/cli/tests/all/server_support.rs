//! Helpers of the server tests: a `connector-host serve` process on
//! 127.0.0.1 (a free port), and a small HTTP/1.1 client that sets every
//! header itself (the tests need wrong `Host` and `Origin` headers, which
//! ordinary clients do not send).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// A configuration with the data, files and hostile connectors; `@DIR@` is
/// the scratch folder.
pub const CONFIG: &str = r#"
[[connector]]
name = "data"
component = "@DATA@"

[[connector]]
name = "files"
component = "@FILES@"
dirs = ["@DIR@/inbox::/data"]

[[connector]]
name = "hostile"
component = "@HOSTILE@"
[connector.limits]
timeout = "1s"

[[connection]]
name = "inbox"
connector = "files"
values = { root = "/data" }
"#;

/// A running server.
pub struct ServerProc {
    child: Child,
    pub addr: SocketAddr,
    pub token: String,
    pub dir: PathBuf,
    pub state: PathBuf,
    /// Everything the server wrote to stderr so far.
    pub stderr: Arc<Mutex<String>>,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// A header's value (names are matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl ServerProc {
    /// Starts `serve` on the standard configuration.
    pub fn start(label: &str) -> Self {
        Self::start_with(label, CONFIG, &[])
    }

    /// Starts `serve` on `toml` (with `@DATA@`, `@FILES@`, `@HOSTILE@` and
    /// `@DIR@` replaced) and waits until it is ready (at most 3 minutes: a
    /// cold cache compiles the components).
    pub fn start_with(label: &str, toml: &str, extra: &[&str]) -> Self {
        let dir = scratch(label);
        std::fs::create_dir_all(dir.join("inbox")).unwrap();
        let text = toml
            .replace("@DATA@", s(&guest("example_data")))
            .replace("@FILES@", s(&guest("example_files")))
            .replace("@HOSTILE@", s(&guest("test_hostile")))
            .replace("@DIR@", s(&dir));
        std::fs::write(dir.join("host.toml"), text).unwrap();
        Self::start_in(dir, extra)
    }

    /// Starts `serve` on the `host.toml` already in `dir`.
    pub fn start_in(dir: PathBuf, extra: &[&str]) -> Self {
        let config = dir.join("host.toml");
        Self::spawn(dir, &config, extra, &[])
    }

    /// Starts `serve <project dir>` on the workflow project in `dir`, with `env` (its
    /// application settings), and waits until it is ready.
    pub fn start_project(dir: PathBuf, env: &[(&str, &str)]) -> Self {
        let project = dir.clone();
        Self::spawn(dir, &project, &[], env)
    }

    fn spawn(dir: PathBuf, arg: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        // A project keeps its run store in its own `state/`; the server's token beside it.
        let state = if arg == dir {
            dir.join("server-state")
        } else {
            dir.join("state")
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .arg("serve")
            .arg(arg)
            .args(["--listen", "127.0.0.1:0", "--state-dir", s(&state)])
            .args(extra)
            .envs(env.iter().copied())
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .env_remove("CONNECTOR_HOST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start connector-host serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let pipe = child.stderr.take().unwrap();
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("serving on http://").nth(1) {
                        let _ = tx.send(rest.trim().to_string());
                    }
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let addr: SocketAddr = match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(a) => a.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start:\n{}", stderr.lock().unwrap());
            }
        };
        let token = std::fs::read_to_string(state.join("token"))
            .unwrap()
            .trim()
            .to_string();
        let server = Self {
            child,
            addr,
            token,
            dir,
            state,
            stderr,
        };
        let started = Instant::now();
        loop {
            let r = server.get("/api/ready");
            if r.status == 200 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "not ready after 3 minutes: {} {}\n{}",
                r.status,
                r.body,
                server.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Starts `serve` over TLS on 127.0.0.1 with `cert` and `key` (PEM) and
    /// waits until it prints its address (readiness is checked by the test,
    /// over TLS).
    pub fn start_tls(dir: PathBuf, cert: &std::path::Path, key: &std::path::Path) -> Self {
        let state = dir.join("state");
        let mut child = Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .arg("serve")
            .arg(dir.join("host.toml"))
            .args(["--listen", "127.0.0.1:0", "--state-dir", s(&state)])
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start connector-host serve");
        let pipe = child.stderr.take().unwrap();
        let mut lines = BufReader::new(pipe).lines();
        let started = Instant::now();
        let addr = loop {
            let line = lines.next().and_then(Result::ok).unwrap_or_default();
            if let Some(rest) = line.split("serving on https://").nth(1) {
                break rest.trim().parse().unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no https address printed: {line}"
            );
        };
        std::thread::spawn(move || for _ in lines {});
        let token = std::fs::read_to_string(state.join("token"))
            .unwrap()
            .trim()
            .to_string();
        Self {
            child,
            addr,
            token,
            dir,
            state,
            stderr: Arc::new(Mutex::new(String::new())),
        }
    }

    /// The Host header of the server's own address.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    /// The page's address with the token.
    pub fn url_with_token(&self) -> String {
        format!("http://{}/#token={}", self.host(), self.token)
    }

    /// GET with the token.
    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, &self.auth())
    }

    /// POST JSON with the token.
    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.send("POST", path, Some(&body.to_string()), &self.auth())
    }

    /// PUT JSON with the token.
    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.send("PUT", path, Some(&body.to_string()), &self.auth())
    }

    /// The token's header.
    pub fn auth(&self) -> Vec<(String, String)> {
        vec![("Authorization".into(), format!("Bearer {}", self.token))]
    }

    /// A request with `headers` (a `Host` of the server's own unless one
    /// is given).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(String, String)],
    ) -> Resp {
        let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            head.push_str(&format!("Host: {}\r\n", self.host()));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let body = body.unwrap_or("");
        if !body.is_empty() || method != "GET" {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        parse_response(&raw)
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Where a project's `Request` triggers listen (from the server's log).
    pub fn request_addr(&self) -> SocketAddr {
        let log = self.log();
        let rest = log
            .split("Request triggers listening on http://")
            .nth(1)
            .unwrap_or_else(|| panic!("no Request listener in the log:\n{log}"));
        rest.lines().next().unwrap().trim().parse().unwrap()
    }

    /// Stops the server with SIGTERM and waits (at most 20 s).
    pub fn stop(mut self) -> i32 {
        crate::triggers_support::sigterm(&self.child);
        crate::triggers_support::wait_exit(&mut self.child, Duration::from_secs(20))
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
    out
}

/// The secret of the hostile connection `h1`.
pub const SECRET: &str = "tok-5ecr3t-value-0f-the-hostile-connection";

/// Creates the hostile connection `h1` holding [`SECRET`].
pub fn hostile_connection(server: &ServerProc) {
    let r = server.post(
        "/api/connections",
        &serde_json::json!({"name": "h1", "connector": "hostile", "secrets": {"token": SECRET}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}
