//! A private `nats-server` with JetStream for the NATS tests: listening on 127.0.0.1 only,
//! on a free port, with token authentication and its store in a temporary folder; stopped
//! and deleted when dropped. Also a small JetStream client to publish and to read streams
//! back, on a tokio runtime of its own.
//!
//! Debian's `nats-server` package gives the binary (`scripts/test-services.sh` installs it).

use crate::support::free_port;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

/// The token the test server requires.
pub const NATS_TOKEN: &str = "nats-test-Token-5521";

/// A running test server.
pub struct NatsServer {
    pub port: u16,
    dir: PathBuf,
    server: Option<Child>,
    rt: tokio::runtime::Runtime,
    js: jetstream::Context,
}

fn binary() -> PathBuf {
    ["/usr/bin/nats-server", "/usr/sbin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| {
            panic!(
                "nats-server is not installed; run scripts/test-services.sh (it installs \
                 Debian's nats-server)"
            )
        })
}

impl NatsServer {
    /// Starts a server; waits (at most 20 s) until it accepts connections.
    pub fn start(label: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "connector-nats-{label}-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let server = Command::new(binary())
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "--auth",
                NATS_TOKEN,
            ])
            .arg("-sd")
            .arg(dir.join("store"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "nats-server did not listen on {port} within 20s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // A worker of its own, so that the client's connection runs between calls too.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let js = rt.block_on(async {
            let client = async_nats::ConnectOptions::with_token(NATS_TOKEN.into())
                .connect(format!("nats://127.0.0.1:{port}"))
                .await
                .expect("connect to the test nats-server");
            jetstream::new(client)
        });
        Self {
            port,
            dir,
            server: Some(server),
            rt,
            js,
        }
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// How many messages `stream` holds (0 if it does not exist).
    pub fn count(&self, stream: &str) -> u64 {
        self.rt.block_on(async {
            match self.js.get_stream(stream).await {
                Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages),
                Err(_) => 0,
            }
        })
    }

    /// Every message of `stream`, in order: (subject, Nats-Msg-Id, payload as JSON).
    pub fn read_all(&self, stream: &str) -> Vec<(String, String, Value)> {
        let expected = self.count(stream);
        self.rt.block_on(async {
            let s = self.js.get_stream(stream).await.expect("the stream exists");
            let reader = s
                .create_consumer(consumer::pull::OrderedConfig::default())
                .await
                .expect("an ordered consumer");
            let mut messages = reader.messages().await.unwrap();
            let mut out = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            while (out.len() as u64) < expected {
                let next = tokio::time::timeout_at(deadline, messages.next())
                    .await
                    .expect("reading the stream back took over 20s")
                    .expect("the stream ended early")
                    .expect("a message");
                let id = next
                    .headers
                    .as_ref()
                    .and_then(|h| h.get("Nats-Msg-Id"))
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let body = serde_json::from_slice(&next.payload).expect("a JSON payload");
                out.push((next.subject.to_string(), id, body));
            }
            out
        })
    }

    /// Publishes `payload` to `subject` with the message id `id` (if any), retrying for up
    /// to 20 s while no stream takes the subject yet; returns whether JetStream found it a
    /// duplicate.
    pub fn publish(&self, subject: &str, id: Option<&str>, payload: &[u8]) -> bool {
        self.rt.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let mut message = jetstream::message::PublishMessage::build()
                    .payload(Bytes::copy_from_slice(payload));
                if let Some(id) = id {
                    message = message.message_id(id);
                }
                let acked = match self.js.send_publish(subject.to_string(), message).await {
                    Ok(ack) => ack.await,
                    Err(e) => Err(e),
                };
                match acked {
                    Ok(ack) => return ack.duplicate,
                    Err(e) if Instant::now() < deadline => {
                        let _ = e;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => panic!("cannot publish to {subject}: {e}"),
                }
            }
        })
    }

    /// Deletes `stream`.
    pub fn delete_stream(&self, stream: &str) {
        self.rt
            .block_on(self.js.delete_stream(stream))
            .expect("delete the stream");
    }

    /// Creates `stream` taking `subject`.
    pub fn create_stream(&self, stream: &str, subject: &str) {
        self.rt
            .block_on(self.js.create_stream(stream::Config {
                name: stream.into(),
                subjects: vec![subject.into()],
                ..Default::default()
            }))
            .expect("create the stream");
    }

    /// How many messages the durable consumer `name` of `stream` has delivered but not yet
    /// seen acknowledged, and how many wait to be delivered.
    pub fn pending(&self, stream: &str, name: &str) -> (u64, u64) {
        self.rt.block_on(async {
            let s = self.js.get_stream(stream).await.expect("the stream exists");
            let mut c: consumer::PullConsumer = s.get_consumer(name).await.expect("the consumer");
            let info = c.info().await.expect("consumer info");
            (info.num_ack_pending as u64, info.num_pending)
        })
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
