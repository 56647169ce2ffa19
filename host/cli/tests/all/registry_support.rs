//! A real OCI registry for the registry tests: Debian's `docker-registry`
//! (the CNCF distribution registry), started on a free 127.0.0.1 port with
//! its storage in a scratch folder, and stopped (killed by its own pid) when
//! dropped. Also a server that answers garbage, for the failure tests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::*;

/// The registry binary (`$CONNECTOR_HOST_TEST_REGISTRY` overrides).
fn registry_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("CONNECTOR_HOST_TEST_REGISTRY") {
        return PathBuf::from(bin);
    }
    let bin = PathBuf::from("/usr/bin/docker-registry");
    if !bin.exists() {
        // The test setup installs it when it can (root or sudo).
        let _ = Command::new("sh")
            .arg(repo().join("scripts/test-services.sh"))
            .status();
    }
    assert!(
        bin.exists(),
        "docker-registry is not installed; run `sh scripts/test-services.sh` (or `apt-get install -y docker-registry`)"
    );
    bin
}

/// A running registry.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: SocketAddr,
    /// Its storage root (blobs under docker/registry/v2/blobs/sha256/).
    pub storage: PathBuf,
}

impl Registry {
    /// Starts a registry and waits (at most 15 s) until it answers `/v2/`.
    pub fn start(label: &str) -> Self {
        let dir = scratch(label);
        let storage = dir.join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        // A free port: bind, read it, release (the registry binds it next).
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
                storage.display()
            ),
        )
        .unwrap();
        let log = dir.join("registry.log");
        let child = Command::new(registry_binary())
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("registry.err")).unwrap())
            .spawn()
            .expect("start docker-registry");
        let mut registry = Self {
            child,
            addr,
            storage,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if http_status(addr, "/v2/") == Some(200) {
                break;
            }
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!(
                    "docker-registry exited ({status}): {}",
                    std::fs::read_to_string(dir.join("registry.err")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on {addr} within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }

    /// `oci://127.0.0.1:PORT/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.addr)
    }

    /// The stored blob file of `digest` (`sha256:...`).
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a plain GET, or `None` if nothing answers.
fn http_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// A server on 127.0.0.1 that answers every request with `answer`, until dropped.
pub struct Garbage {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Garbage {
    /// Serves `answer` (raw bytes, written as they are) to each connection.
    pub fn start(answer: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // Bounded: at most 60 s and 1000 connections.
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline && served < 1000 {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        served += 1;
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                        let mut buf = [0u8; 4096];
                        let _ = stream.read(&mut buf);
                        let _ = stream.write_all(answer);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Garbage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
