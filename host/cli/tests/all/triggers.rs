//! Triggers end to end, with the test-source connector (a known sequence
//! of items) and the files example: restarts resume from committed state,
//! a trapping trigger keeps its state while the others keep their
//! schedule, a sink that is down loses nothing, the webhook push binding
//! answers for what it stored, shutdown finishes or abandons polls cleanly,
//! and configurations that do not fit their connectors are refused.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use connector_host::trigger::clock::parse_rfc3339;
use serde_json::{Value, json};

use crate::support::*;
use crate::triggers_support::*;

#[test]
fn a_restart_resumes_from_the_last_committed_state() {
    let h = HostDir::new(
        "resume",
        &format!(
            r#"{SOURCE}
[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = {{ batch = 3, total = 8, drain = false }}
"#
        ),
    );
    let once = || {
        let r = cli(&["run", h.config_arg(), "--once"]);
        assert_eq!(r.code, 0, "{r:?}");
        r
    };
    once();
    assert_eq!(h.event_ids("seq"), items("seq", 0..3));
    assert_eq!(h.state("seq"), Some(json!({"next": 3})));
    // A new process: had it started from the beginning, it would have found
    // item-0..2 again (deduplicated away) and nothing new.
    once();
    assert_eq!(h.event_ids("seq"), items("seq", 0..6));
    once();
    assert_eq!(h.event_ids("seq"), items("seq", 0..8));
    let r = once();
    assert!(r.stderr.contains("seq: delivered 0 event(s)"), "{r:?}");
    assert_eq!(h.event_ids("seq"), items("seq", 0..8));

    let status = cli(&["status", h.config_arg(), "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    let seq = &status["triggers"][0];
    assert_eq!(seq["trigger"], "seq");
    assert_eq!(seq["state"], json!({"next": 8}));
    assert_eq!(seq["polls"], 4);
    assert_eq!(seq["eventsDelivered"], 8);
    assert_eq!(seq["lastError"], Value::Null);
    assert!(parse_rfc3339(seq["lastPollAt"].as_str().unwrap()).is_some());
}

#[test]
fn status_shows_progress_and_hides_secrets() {
    let h = HostDir::new(
        "status-secrets",
        r#"
[[connector]]
name = "source"
component = "@SOURCE@"

[[connection]]
name = "src"
connector = "source"
secrets = { token = { file = "token.txt" } }

[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = { batch = 2, total = 4, drain = false }

[[trigger]]
name = "leaky"
connection = "src"
operation = "sequence"
input = { batch = 2, total = 4, drain = false, echo_token = true }
"#,
    );
    let secret = "tok-3f9a-very-secret";
    std::fs::write(h.dir.join("token.txt"), format!("{secret}\n")).unwrap();
    let r = cli(&["run", h.config_arg(), "--once"]);
    // The connector tried to put the secret into the leaky trigger's state:
    // the host refused that poll, so nothing of it was delivered or committed.
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        !r.stdout.contains(secret) && !r.stderr.contains(secret),
        "{r:?}"
    );
    assert!(r.stderr.contains("contains a secret value"), "{r:?}");
    assert_eq!(h.state("leaky"), None);
    assert_eq!(h.state("seq").unwrap()["next"], 2);
    let events = std::fs::read_to_string(h.dir.join("events.jsonl")).unwrap();
    assert!(!events.contains(secret));
    assert!(!events.contains("leaky/"), "{events}");
    for args in [
        &["status", h.config_arg()][..],
        &["status", h.config_arg(), "--json"],
    ] {
        let s = cli(args);
        assert_eq!(s.code, 0, "{s:?}");
        assert!(
            !s.stdout.contains(secret) && !s.stderr.contains(secret),
            "{s:?}"
        );
        assert!(
            s.stdout.contains("contains a secret value"),
            "the refusal is the leaky trigger's last error: {s:?}"
        );
    }
    let text = cli(&["status", h.config_arg()]).stdout;
    assert!(
        text.contains("delivered     2 event(s), 2 item(s)"),
        "{text}"
    );
    assert!(text.contains("\"next\":2"), "{text}");
    // Without the secret's file, the state cannot be checked for it: it is hidden.
    std::fs::remove_file(h.dir.join("token.txt")).unwrap();
    let json: Value =
        serde_json::from_str(&cli(&["status", h.config_arg(), "--json"]).stdout).unwrap();
    let seq = json["triggers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trigger"] == "seq")
        .unwrap()
        .clone();
    assert_eq!(seq["state"], Value::Null);
    assert!(seq["stateHidden"].as_str().unwrap().contains("hidden"));
}

#[test]
fn a_trapping_trigger_keeps_its_state_and_the_others_keep_their_schedule() {
    let h = HostDir::new(
        "trap-every-third",
        &format!(
            r#"
[host]
backoff_initial = "40ms"
backoff_max = "80ms"
{SOURCE}
[[trigger]]
name = "flaky"
connection = "src"
operation = "sequence"
input = {{ batch = 2, total = 100000, drain = false, counter = "/scratch/flaky", trap_every = 3 }}
recurrence = "100ms"

[[trigger]]
name = "steady"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 100000, drain = false, counter = "/scratch/steady" }}
recurrence = "200ms"
"#
        ),
    );
    let host = InProcess::start(&h.config);
    let ran = Instant::now();
    std::thread::sleep(Duration::from_millis(2500));
    let abandoned = host.shutdown();
    let ran = ran.elapsed();
    assert!(abandoned.is_empty(), "abandoned {abandoned:?}");

    // The flaky trigger: every poll it started finished (trapped or committed).
    let polls = h.counter("flaky");
    let traps = polls / 3;
    let successes = polls - traps;
    assert!(polls >= 6, "only {polls} polls of flaky in {ran:?}");
    let flaky = h.status("flaky");
    assert_eq!((flaky.polls, flaky.failures), (polls, traps), "{flaky:?}");
    assert!(
        flaky
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("trapping on poll"),
        "{flaky:?}"
    );
    // A trapped poll commits nothing: the state moved exactly once per
    // successful poll, and the events are the sequence without gaps or repeats.
    assert_eq!(h.state("flaky"), Some(json!({"next": 2 * successes})));
    assert_eq!(h.event_ids("flaky"), items("flaky", 0..2 * successes));

    // The steady trigger never failed and kept its 200 ms schedule.
    let steady = h.status("steady");
    assert_eq!(steady.failures, 0, "{steady:?}");
    let steady_polls = h.counter("steady");
    assert_eq!(steady.polls, steady_polls);
    assert_eq!(h.event_ids("steady"), items("steady", 0..steady_polls));
    assert!(
        steady_polls >= 7,
        "only {steady_polls} polls of steady in {ran:?}"
    );
    let times: Vec<Duration> = h
        .events()
        .iter()
        .filter(|e| e["trigger"] == "steady")
        .map(|e| {
            parse_rfc3339(e["polled_at"].as_str().unwrap())
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
        })
        .collect();
    let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    assert!(
        gaps[0] >= Duration::from_millis(199),
        "polled faster than its recurrence: {gaps:?}"
    );
    let median = gaps[gaps.len() / 2];
    assert!(
        median <= Duration::from_millis(400),
        "schedule drifted: {gaps:?}"
    );
}

/// A webhook receiver on 127.0.0.1 for the sink tests: refuses the first
/// `refuse` events with 503, then accepts, recording each accepted id.
struct Receiver {
    accepted: Arc<Mutex<Vec<String>>>,
    refused: Arc<AtomicU64>,
    bad_keys: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start(addr: SocketAddr, refuse: u64, accepted: Arc<Mutex<Vec<String>>>) -> Self {
        let listener = TcpListener::bind(addr).expect("bind the receiver's port again");
        listener.set_nonblocking(true).unwrap();
        let refused = Arc::new(AtomicU64::new(0));
        let bad_keys = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, r, b, s) = (
            accepted.clone(),
            refused.clone(),
            bad_keys.clone(),
            stop.clone(),
        );
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            while !s.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(60) {
                match listener.accept() {
                    Ok((stream, _)) => Self::serve(stream, refuse, &a, &r, &b),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            accepted,
            refused,
            bad_keys,
            stop,
            thread: Some(thread),
        }
    }

    fn serve(
        stream: TcpStream,
        refuse: u64,
        accepted: &Mutex<Vec<String>>,
        refused: &AtomicU64,
        bad_keys: &AtomicU64,
    ) {
        stream.set_nonblocking(false).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let (mut length, mut key) = (0usize, String::new());
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "idempotency-key" => key = value.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let event: Value = serde_json::from_slice(&body).unwrap();
        let id = event["id"].as_str().unwrap().to_string();
        if key != id {
            bad_keys.fetch_add(1, Ordering::SeqCst);
        }
        let status = if refused.load(Ordering::SeqCst) < refuse {
            refused.fetch_add(1, Ordering::SeqCst);
            "503 Service Unavailable"
        } else {
            // Recorded before answering: the host may commit once it reads 200.
            accepted.lock().unwrap().push(id);
            "200 OK"
        };
        let mut stream = stream;
        let _ =
            stream.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes());
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

#[test]
fn a_sink_that_is_down_loses_nothing_and_the_state_never_passes_undelivered_items() {
    // A port that nothing listens on, until the receiver starts on it.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let h = HostDir::new(
        "sink-down",
        &format!(
            r#"
[host]
backoff_initial = "50ms"
backoff_max = "200ms"

[sink]
kind = "webhook"
url = "http://{addr}/events"
timeout = "1s"
retry_for = "300ms"
backoff_initial = "20ms"
backoff_max = "50ms"
{SOURCE}
[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = {{ batch = 4, total = 20 }}
"#
        ),
    );
    let host = InProcess::start(&h.config);
    let accepted: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));

    // Watch the committed state the whole time: every item below `next`
    // must already be in the receiver's hands.
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (h_dir, watching, accepted) = (h.dir.clone(), watching.clone(), accepted.clone());
        std::thread::spawn(move || {
            let store_path = h_dir.join("state.db");
            let mut samples = 0u64;
            while watching.load(Ordering::SeqCst) {
                let next = connector_host::trigger::store::SqliteStore::open_existing(&store_path)
                    .ok()
                    .flatten()
                    .and_then(|s| {
                        use connector_host::trigger::store::StateStore;
                        s.load_state("seq").ok().flatten()
                    })
                    .map_or(0, |s| s["next"].as_u64().unwrap());
                let held: HashSet<String> = accepted.lock().unwrap().iter().cloned().collect();
                for i in 0..next {
                    assert!(
                        held.contains(&format!("seq/item-{i}")),
                        "state committed next={next} but item-{i} was never accepted by the sink"
                    );
                }
                samples += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            samples
        })
    };

    // Down: nothing listens. The poll fails, the state stays unset.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(h.state("seq"), None);
    assert!(h.status("seq").failures >= 1);

    // Up, but refusing the next 6 events with 503; then accepting.
    let mut receiver = Receiver::start(addr, 6, accepted.clone());
    wait_until(
        Duration::from_secs(20),
        "all 20 items to be committed",
        || h.state("seq") == Some(json!({"next": 20})),
    );
    let abandoned = host.shutdown();
    watching.store(false, Ordering::SeqCst);
    let samples = watcher
        .join()
        .expect("the state never passed an undelivered item");
    receiver.stop();

    assert!(abandoned.is_empty());
    assert!(samples > 50, "the watcher looked only {samples} times");
    let got = receiver.accepted.lock().unwrap().clone();
    let distinct: HashSet<&String> = got.iter().collect();
    assert_eq!(distinct.len(), 20, "lost items: {got:?}");
    assert_eq!(got.len(), 20, "items accepted twice: {got:?}");
    assert!(items("seq", 0..20).iter().all(|id| distinct.contains(id)));
    assert_eq!(receiver.refused.load(Ordering::SeqCst), 6);
    assert_eq!(
        receiver.bad_keys.load(Ordering::SeqCst),
        0,
        "Idempotency-Key is not the event id"
    );
    let status = h.status("seq");
    assert!(status.failures >= 2, "{status:?}");
    assert_eq!(status.events_delivered, 20);
}

#[test]
fn the_webhook_push_trigger_answers_for_what_it_stored() {
    let h = HostDir::new(
        "webhook",
        &format!(
            r#"{SOURCE}
[webhook]
listen = "127.0.0.1:0"
max_body = "1KiB"

[[trigger]]
name = "hook"
connection = "src"
operation = "webhook"
input = {{ name = "orders" }}
"#
        ),
    );
    let host = InProcess::start(&h.config);
    let addr = host.webhook_addr();
    assert!(addr.ip().is_loopback());
    let post = |path: &str, body: &str| http_request(addr, "POST", path, body.as_bytes());

    let (status, body) = post("/hooks/orders", r#"[{"id": "a", "qty": 1}, {"id": "b"}]"#);
    assert_eq!(status, 202, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["accepted"], 2);
    // 202 means stored: the events are in the file when the answer arrives.
    assert_eq!(h.event_ids("hook"), ["hook/a", "hook/b"]);
    let first = &h.events()[0];
    assert_eq!(first["body"], json!({"id": "a", "qty": 1}));
    assert_eq!(first["source"], "push");
    assert!(first["received_at"].is_string());

    let (status, body) = post("/hooks/orders", r#"{"id": "#);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("bad-json") && body.contains("invalid-input"),
        "{body}"
    );
    let (status, body) = post("/hooks/orders", r#"[{"qty": 1}]"#);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("missing-id"), "{body}");
    let (status, _) = http_request(addr, "GET", "/hooks/orders", b"");
    assert_eq!(status, 400);
    assert_eq!(h.events().len(), 2, "a refused request stored something");

    // The same items again: accepted (the caller may stop retrying), not stored twice.
    let (status, body) = post(
        "/hooks/orders?retry=1",
        r#"[{"id": "a", "qty": 1}, {"id": "b"}]"#,
    );
    assert_eq!(status, 202, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (body["accepted"].as_u64(), body["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(h.events().len(), 2);

    let (status, _) = post("/hooks/orders", r#"{"id": 7}"#);
    assert_eq!(status, 202);
    assert_eq!(h.event_ids("hook"), ["hook/a", "hook/b", "hook/7"]);

    let (status, _) = post("/hooks/elsewhere", "{}");
    assert_eq!(status, 404);
    let big = format!(r#"{{"id": "x", "pad": "{}"}}"#, "x".repeat(2048));
    let (status, _) = post("/hooks/orders", &big);
    assert_eq!(status, 413);
    assert_eq!(h.events().len(), 3);

    assert!(host.shutdown().is_empty());
    let status = h.status("hook");
    assert_eq!(
        (status.events_delivered, status.failures),
        (3, 3),
        "{status:?}"
    );
}

#[test]
fn sigterm_lets_a_poll_in_progress_finish_and_commit() {
    let h = HostDir::new(
        "sigterm-finish",
        &format!(
            r#"{SOURCE}
[[trigger]]
name = "slow"
connection = "src"
operation = "sequence"
input = {{ batch = 2, total = 10, drain = false, counter = "/scratch/slow", sleep_ms = 1200 }}
recurrence = "1h"
"#
        ),
    );
    let mut child = h.spawn_run(&[]);
    wait_until(Duration::from_secs(20), "the first poll to start", || {
        h.counter("slow") == 1
    });
    sigterm(&child);
    let code = wait_exit(&mut child, Duration::from_secs(15));
    assert_eq!(code, 0, "{}", h.log());
    assert_eq!(h.event_ids("slow"), items("slow", 0..2));
    assert_eq!(h.state("slow"), Some(json!({"next": 2})));
    let log = h.log();
    assert!(
        log.contains("SIGTERM: stopping") && log.contains("connector-host: stopped"),
        "{log}"
    );
    assert!(!log.contains("abandoned"), "{log}");
}

#[test]
fn sigterm_abandons_a_poll_that_outlasts_the_grace_period_without_committing() {
    let h = HostDir::new(
        "sigterm-abandon",
        &format!(
            r#"
[host]
shutdown_grace = "200ms"
{SOURCE}
[[trigger]]
name = "slow"
connection = "src"
operation = "sequence"
input = {{ batch = 2, total = 10, drain = false, counter = "/scratch/slow", sleep_ms = 3000 }}
recurrence = "1h"
"#
        ),
    );
    let mut child = h.spawn_run(&[]);
    wait_until(Duration::from_secs(20), "the first poll to start", || {
        h.counter("slow") == 1
    });
    let stopping = Instant::now();
    sigterm(&child);
    let code = wait_exit(&mut child, Duration::from_secs(10));
    assert_eq!(code, 0, "{}", h.log());
    assert!(
        stopping.elapsed() < Duration::from_millis(2500),
        "waited for the poll"
    );
    assert!(
        h.log().contains("abandoned without committing: slow"),
        "{}",
        h.log()
    );
    assert_eq!(h.event_ids("slow"), Vec::<String>::new());
    assert_eq!(h.state("slow"), None);
    // The next start polls from the same (empty) state.
    let r = cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(h.event_ids("slow"), items("slow", 0..2));
}

#[test]
fn a_second_host_on_the_same_state_is_refused() {
    let h = HostDir::new(
        "second-host",
        &format!(
            r#"{SOURCE}
[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 3, drain = false }}
recurrence = "1h"
"#
        ),
    );
    let mut first = h.spawn_run(&[]);
    wait_until(
        Duration::from_secs(20),
        "the first host's first commit",
        || h.state("seq").is_some(),
    );
    let second = cli(&["run", h.config_arg(), "--once"]);
    assert_eq!(second.code, 1, "{second:?}");
    assert!(
        second.stderr.contains("another connector-host is running"),
        "{second:?}"
    );
    sigterm(&first);
    assert_eq!(wait_exit(&mut first, Duration::from_secs(15)), 0);
    assert_eq!(h.event_ids("seq"), items("seq", 0..1));
}

#[test]
fn triggers_that_do_not_fit_their_connectors_are_refused_at_start_all_at_once() {
    let h = HostDir::new(
        "refused",
        &format!(
            r#"{SOURCE}
[[connector]]
name = "files"
component = "@FILES@"
dirs = ["./scratch::/data"]

[[connection]]
name = "fs"
connector = "files"

[[trigger]]
name = "pigeons"
connection = "src"
operation = "pigeon"

[[trigger]]
name = "typo"
connection = "src"
operation = "sequense"

[[trigger]]
name = "an-action"
connection = "fs"
operation = "read-file"

[[trigger]]
name = "bad-input"
connection = "src"
operation = "sequence"
input = {{ batch = 0 }}

[[trigger]]
name = "push-on-a-schedule"
connection = "src"
operation = "webhook"
input = {{ name = "x" }}
recurrence = "5s"
"#
        ),
    );
    let r = cli(&["run", h.config_arg()]);
    assert_eq!(r.code, 2, "{r:?}");
    for needle in [
        "has 5 problems",
        ":20:1: [[trigger]] pigeons: the connector asks for a \"carrier-pigeon\" binding; this host supports only \"webhook\"",
        ":25:1: [[trigger]] typo: connector \"source\" has no operation \"sequense\" (its triggers: sequence, sequence-batch, webhook, pigeon)",
        ":30:1: [[trigger]] an-action: operation \"read-file\" of connector \"files\" is an action, not a trigger",
        ":35:1: [[trigger]] bad-input: input does not fit the input schema of \"sequence\": at /batch: 0 is less than the minimum of 1",
        ":41:1: [[trigger]] push-on-a-schedule: recurrence does not apply to a push trigger",
    ] {
        assert!(
            r.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            r.stderr
        );
    }
    assert!(
        !h.dir.join("state.db").exists(),
        "a refused configuration created state"
    );
    assert!(!h.dir.join("events.jsonl").exists());
}

#[test]
fn the_files_example_trigger_runs_under_run() {
    let h = HostDir::new(
        "files-trigger",
        r#"
[[connector]]
name = "files"
component = "@FILES@"
dirs = ["./inbox::/data"]

[[connection]]
name = "local"
connector = "files"

[[trigger]]
name = "new-files"
connection = "local"
operation = "file-added-or-changed"
input = { path = "." }
recurrence = "1s"
"#,
    );
    let inbox = h.dir.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let once = || {
        let r = cli(&["run", h.config_arg(), "--once"]);
        assert_eq!(r.code, 0, "{r:?}");
    };
    let bodies = || -> Vec<(String, String)> {
        h.events()
            .iter()
            .map(|e| {
                (
                    e["body"]["path"].as_str().unwrap().to_string(),
                    e["body"]["change"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    std::fs::write(inbox.join("a.txt"), "first").unwrap();
    once();
    assert_eq!(bodies(), [("a.txt".into(), "added".into())]);
    std::fs::write(inbox.join("b.txt"), "second").unwrap();
    once();
    assert_eq!(bodies()[1..], [("b.txt".into(), "added".into())]);
    std::fs::write(inbox.join("a.txt"), "first, longer").unwrap();
    once();
    assert_eq!(bodies()[2..], [("a.txt".into(), "changed".into())]);
    once();
    assert_eq!(bodies().len(), 3, "an unchanged folder fired again");
}

#[test]
fn the_readme_configuration_example_is_valid() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("### The configuration")
        .nth(1)
        .expect("the README has a configuration section");
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a TOML example");
    let config = connector_host::config::Config::parse(example, &repo().join("host.toml"))
        .unwrap_or_else(|e| panic!("the README's example does not parse: {e}"));
    assert_eq!(config.connectors.len(), 1);
    assert_eq!(config.connections[0].secrets.len(), 1);
    assert_eq!(config.triggers[0].recurrence, Some(Duration::from_secs(5)));
}
