//! Helpers of the trigger tests: a scratch folder with a configuration,
//! the events a JSON Lines sink received, the state a host committed, an
//! in-process host, and a tiny HTTP client and server on 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use connector_host::config::Config;
use connector_host::trigger::store::{SqliteStore, StateStore, TriggerStatus};
use connector_host::trigger::{Prepared, RunOptions, Running};
use serde_json::Value;

use crate::support::*;

/// A scratch folder holding `host.toml`, its state and its events.
pub struct HostDir {
    pub dir: PathBuf,
    pub config: PathBuf,
}

impl HostDir {
    /// Writes `toml` as the configuration, with `@SOURCE@` and `@FILES@`
    /// replaced by the paths of the built test-source and files components.
    pub fn new(label: &str, toml: &str) -> Self {
        let dir = scratch(label);
        std::fs::create_dir_all(dir.join("scratch")).unwrap();
        let text = toml
            .replace("@SOURCE@", s(&guest("test_source")))
            .replace("@FILES@", s(&guest("example_files")));
        let config = dir.join("host.toml");
        std::fs::write(&config, text).unwrap();
        Self { dir, config }
    }

    /// The configuration file, as a CLI argument.
    pub fn config_arg(&self) -> &str {
        s(&self.config)
    }

    /// Every event in `events.jsonl`, in order. Panics on a line that is
    /// not JSON: a torn line would be a bug of the sink.
    pub fn events(&self) -> Vec<Value> {
        read_events(&self.dir.join("events.jsonl"))
    }

    /// The ids of the events of `trigger`, in order.
    pub fn event_ids(&self, trigger: &str) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e["trigger"] == trigger)
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// The committed state of `trigger`, read as another process would.
    pub fn state(&self, trigger: &str) -> Option<Value> {
        SqliteStore::open_existing(&self.dir.join("state.db"))
            .unwrap()?
            .load_state(trigger)
            .unwrap()
    }

    /// What the store knows about `trigger`.
    pub fn status(&self, trigger: &str) -> TriggerStatus {
        let store = SqliteStore::open_existing(&self.dir.join("state.db"))
            .unwrap()
            .expect("the host created its state");
        store
            .statuses()
            .unwrap()
            .into_iter()
            .find(|s| s.trigger == trigger)
            .unwrap_or_else(|| panic!("no status for {trigger}"))
    }

    /// The number in a counter file the source guest keeps in `scratch/`.
    pub fn counter(&self, name: &str) -> u64 {
        std::fs::read_to_string(self.dir.join("scratch").join(name))
            .map(|t| t.trim().parse().unwrap())
            .unwrap_or(0)
    }

    /// Starts `connector-host run` on this configuration in the background;
    /// its standard error is appended to `host.log` (see [`Self::log`]).
    pub fn spawn_run(&self, extra_args: &[&str]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("host.log"))
            .unwrap();
        Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .arg("run")
            .arg(&self.config)
            .args(extra_args)
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .env_remove("CONNECTOR_HOST_LOG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start connector-host run")
    }

    /// What the hosts started by [`Self::spawn_run`] wrote to standard error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("host.log")).unwrap_or_default()
    }
}

/// A source connector with a connection, for configurations to add triggers to.
pub const SOURCE: &str = r#"
[[connector]]
name = "source"
component = "@SOURCE@"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"
"#;

/// Every event of a JSON Lines file (none if it does not exist).
pub fn read_events(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| {
                panic!(
                    "line {} of {} is not JSON ({e}): {line}",
                    i + 1,
                    path.display()
                )
            })
        })
        .collect()
}

/// `item-<from>` .. `item-<to - 1>`, prefixed with `trigger/`.
pub fn items(trigger: &str, range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("{trigger}/item-{i}")).collect()
}

/// A host running inside the test process, with its own tokio runtime.
pub struct InProcess {
    pub rt: tokio::runtime::Runtime,
    pub running: Option<Running>,
}

impl InProcess {
    /// Loads the configuration and starts it.
    pub fn start(config: &Path) -> Self {
        let config = Config::load(config).unwrap_or_else(|e| panic!("{e}"));
        let prepared = Prepared::prepare(&config, &runtime()).unwrap_or_else(|e| panic!("{e}"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = rt
            .block_on(prepared.start(RunOptions::default()))
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            rt,
            running: Some(running),
        }
    }

    /// Where the webhook listener listens.
    pub fn webhook_addr(&self) -> SocketAddr {
        self.running
            .as_ref()
            .unwrap()
            .webhook_addr()
            .expect("the webhook listener runs")
    }

    /// Shuts the host down; returns the tasks it abandoned.
    pub fn shutdown(mut self) -> Vec<String> {
        let running = self.running.take().unwrap();
        self.rt.block_on(running.shutdown()).abandoned
    }
}

/// Waits until `done` holds, checking every 20 ms, for at most `limit`.
pub fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends one HTTP request to `addr` and returns the status and body.
pub fn http_request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Sends SIGTERM to a child process.
pub fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
}

/// Waits for a child to exit, for at most `limit`, and returns its exit
/// code; kills it and fails if it does not exit in time.
pub fn wait_exit(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("connector-host did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
