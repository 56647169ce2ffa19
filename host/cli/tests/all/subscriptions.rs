//! The webhook subscription lifecycle of push triggers (contract 0.2.0),
//! end to end: the `tasks` example's `task-changed` trigger against the
//! real task API on 127.0.0.1, in an in-process host. The host subscribes
//! the trigger when it starts (the API then POSTs task changes to the
//! host's webhook listener, and they reach the sink), stores the
//! subscription durably, reuses it after a restart instead of subscribing
//! again, and ends it when the trigger is removed from the configuration;
//! a failing subscribe is retried with backoff, and a failing unsubscribe
//! keeps the record for the next start.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;
use crate::taskapi::TaskApi;
use crate::triggers_support::*;

const TOKEN: &str = "subscription-test-token";

/// A host configuration with the `tasks` connector talking to `api_host`,
/// the webhook listener on `port`, and, with `subscribed`, the push trigger
/// `changes`; a polling trigger of the source connector is always there
/// (a configuration needs one trigger).
fn config(api_host: &str, port: u16, subscribed: bool) -> String {
    let tasks = guest("example_tasks");
    let mut text = format!(
        r#"
[host]
backoff_initial = "100ms"
backoff_max = "400ms"

[webhook]
listen = "127.0.0.1:{port}"

[[connector]]
name = "tasks"
component = "{tasks}"
allow_http = ["http://{{host}} private"]

[[connector]]
name = "source"
component = "@SOURCE@"

[[connection]]
name = "api"
connector = "tasks"
values = {{ host = "{api_host}", use_tls = false, token = "{TOKEN}" }}

[[connection]]
name = "src"
connector = "source"

[[trigger]]
name = "numbers"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 1, drain = false }}
recurrence = "1h"
"#,
        tasks = tasks.display()
    );
    if subscribed {
        text.push_str(
            r#"
[[trigger]]
name = "changes"
connection = "api"
operation = "task-changed"
"#,
        );
    }
    text
}

/// Creates a task through the API, as another client of it would.
fn create_task(api: &TaskApi, title: &str) {
    let body = json!({ "title": title }).to_string();
    let mut stream = TcpStream::connect(api.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /tasks HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        api.host(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

fn posts_to_subscriptions(api: &TaskApi) -> usize {
    api.seen
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("POST /subscriptions"))
        .count()
}

#[test]
fn subscribed_at_start_reused_after_a_restart_and_ended_on_removal() {
    let api = TaskApi::start(TOKEN);
    let port = free_port();
    let dir = HostDir::new("subs-lifecycle", &config(&api.host(), port, true));

    // First start: subscribed, stored, and events flow to the sink.
    let host = InProcess::start(&dir.config);
    wait_until(Duration::from_secs(20), "the trigger is subscribed", || {
        api.subscribers().len() == 1
    });
    let store = host.running.as_ref().unwrap().store();
    wait_until(Duration::from_secs(5), "the subscription is stored", || {
        store.subscriptions().unwrap().len() == 1
    });
    let stored = store.subscriptions().unwrap().remove(0);
    assert_eq!(stored.record.trigger, "changes");
    assert_eq!(
        api.subscribers(),
        std::slice::from_ref(&stored.record.callback_url)
    );
    assert!(
        stored
            .record
            .callback_url
            .starts_with(&format!("http://127.0.0.1:{port}/")),
        "{}",
        stored.record.callback_url
    );
    assert!(!stored.record.data.contains(TOKEN));
    create_task(&api, "Write docs");
    wait_until(
        Duration::from_secs(20),
        "the change reaches the sink",
        || dir.events().iter().any(|e| e["trigger"] == "changes"),
    );
    let event = dir
        .events()
        .into_iter()
        .find(|e| e["trigger"] == "changes")
        .unwrap();
    assert_eq!(event["body"]["task"]["title"], "Write docs", "{event}");
    assert!(host.shutdown().is_empty());

    // `status` shows the stored subscription.
    let out = cli(&["status", dir.config_arg()]);
    let text = &out.stdout;
    assert!(
        text.contains(&format!("subscription  {}", stored.record.callback_url)),
        "{text}"
    );
    let out = cli(&["status", dir.config_arg(), "--json"]);
    let status: Value = serde_json::from_str(&out.stdout).unwrap();
    let changes = status["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trigger"] == "changes")
        .unwrap();
    assert_eq!(
        changes["subscriptions"][0]["callbackUrl"],
        stored.record.callback_url.as_str()
    );

    // Restart: the stored subscription is reused, not made again.
    let host = InProcess::start(&dir.config);
    let running = host.running.as_ref().unwrap();
    assert_eq!(running.reconciled().reused, ["changes"]);
    assert!(running.subscribing().is_empty());
    assert_eq!(posts_to_subscriptions(&api), 1);
    assert_eq!(api.subscribers().len(), 1);
    assert!(host.shutdown().is_empty());

    // The trigger is removed: the next start ends its subscription.
    std::fs::write(&dir.config, {
        let text = config(&api.host(), port, false);
        text.replace("@SOURCE@", guest("test_source").to_str().unwrap())
    })
    .unwrap();
    let host = InProcess::start(&dir.config);
    let running = host.running.as_ref().unwrap();
    assert_eq!(running.reconciled().ended, ["changes"]);
    assert!(api.subscribers().is_empty());
    assert!(running.store().subscriptions().unwrap().is_empty());
    assert!(host.shutdown().is_empty());
}

/// A front for the task API that answers `503` to the first `failures`
/// connections, then forwards each connection to the API (one request per
/// connection, as the API serves them).
struct FlakyFront {
    addr: SocketAddr,
    refused: Arc<AtomicUsize>,
}

impl FlakyFront {
    fn start(api: SocketAddr, failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let refused = Arc::new(AtomicUsize::new(0));
        let count = refused.clone();
        std::thread::spawn(move || {
            // Bounded: the test makes a handful of requests.
            for stream in listener.incoming().take(200) {
                let Ok(mut client) = stream else { continue };
                if count.load(Ordering::SeqCst) < failures {
                    count.fetch_add(1, Ordering::SeqCst);
                    let mut head = [0u8; 4096];
                    let _ = client.set_read_timeout(Some(Duration::from_secs(2)));
                    let _ = client.read(&mut head);
                    let _ = client.write_all(
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                    continue;
                }
                std::thread::spawn(move || {
                    let Ok(mut upstream) = TcpStream::connect(api) else {
                        return;
                    };
                    let (mut c2, mut u2) =
                        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let _ = c2.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = u2.set_read_timeout(Some(Duration::from_secs(10)));
                    let up = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut c2, &mut u2);
                    });
                    let _ = std::io::copy(&mut upstream, &mut client);
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    let _ = up.join();
                });
            }
        });
        FlakyFront { addr, refused }
    }
}

#[test]
fn a_failing_subscribe_is_retried_with_backoff_without_holding_up_other_triggers() {
    let api = TaskApi::start(TOKEN);
    let front = FlakyFront::start(api.addr, 2);
    let dir = HostDir::new(
        "subs-retry",
        &config(&front.addr.to_string(), free_port(), true),
    );
    let started = std::time::Instant::now();
    let host = InProcess::start(&dir.config);
    // The polling trigger runs while the subscription is being retried.
    wait_until(
        Duration::from_secs(20),
        "the polling trigger delivers",
        || dir.events().iter().any(|e| e["trigger"] == "numbers"),
    );
    wait_until(Duration::from_secs(20), "the trigger is subscribed", || {
        api.subscribers().len() == 1
    });
    assert_eq!(front.refused.load(Ordering::SeqCst), 2);
    // Two failures at 100 ms doubling (with jitter: at least 50 + 100 ms).
    assert!(started.elapsed() >= Duration::from_millis(150));
    let store = host.running.as_ref().unwrap().store();
    wait_until(Duration::from_secs(5), "the subscription is stored", || {
        store.subscriptions().unwrap().len() == 1
    });
    let status = dir.status("changes");
    assert_eq!(status.failures, 2, "{status:?}");
    let error = status.last_error.unwrap_or_default();
    assert!(error.contains("subscribe failed"), "{error}");
    assert!(!error.contains(TOKEN), "{error}");
    assert!(host.shutdown().is_empty());
}

#[test]
fn a_failed_unsubscribe_keeps_the_subscription_for_the_next_start() {
    let api = TaskApi::start(TOKEN);
    let port = free_port();
    let dir = HostDir::new("subs-keep", &config(&api.host(), port, true));
    let host = InProcess::start(&dir.config);
    wait_until(Duration::from_secs(20), "the trigger is subscribed", || {
        host.running
            .as_ref()
            .unwrap()
            .store()
            .subscriptions()
            .unwrap()
            .len()
            == 1
    });
    assert!(host.shutdown().is_empty());

    // The trigger is removed while the API is down: unsubscribe fails, and
    // the record stays, with why.
    let api_host = api.host();
    drop(api);
    let write = |api_host: &str| {
        let text = config(api_host, port, false);
        std::fs::write(
            &dir.config,
            text.replace("@SOURCE@", guest("test_source").to_str().unwrap()),
        )
        .unwrap();
    };
    write(&api_host);
    let host = InProcess::start(&dir.config);
    let running = host.running.as_ref().unwrap();
    assert_eq!(
        running.reconciled().kept.len(),
        1,
        "{:?}",
        running.reconciled()
    );
    let kept = running.store().subscriptions().unwrap();
    assert_eq!(kept.len(), 1);
    let why = kept[0].last_error.clone().unwrap_or_default();
    assert!(why.contains("unsubscribe failed"), "{why}");
    assert!(!why.contains(TOKEN), "{why}");
    assert!(host.shutdown().is_empty());
    let out = cli(&["status", dir.config_arg()]);
    assert!(out.stdout.contains("unsubscribe failed"), "{out:?}");

    // Next start, the API is back (it lost its subscriptions, so the
    // connector finds it already ended): the record is gone.
    let api = TaskApi::start(TOKEN);
    write(&api.host());
    let host = InProcess::start(&dir.config);
    let running = host.running.as_ref().unwrap();
    assert_eq!(running.reconciled().ended, ["changes"]);
    assert!(running.store().subscriptions().unwrap().is_empty());
    assert!(host.shutdown().is_empty());
}
