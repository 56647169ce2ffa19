//! Figure 8: 1,000 polling triggers on one host, each polled as fast as the
//! host will take it, with batches of 1, 10 and 100 items a poll.
//!
//! Two ways: first the library call the pollers make, `Connector::poll`,
//! from 1,000 tokio tasks as fast as the host takes them (the connector
//! side's capacity); then the trigger runtime itself (`connector-host run`:
//! pollers, the JSON Lines sink or a webhook, SQLite state), end to end.
//!
//! In the first, each sync call runs as the `Connector` docs recommend: on
//! tokio's blocking pool (`spawn_blocking`) behind a semaphore with one
//! permit per core, so that a thousand due triggers become a queue, not a
//! thousand threads each holding a store. Its latency is from a trigger
//! asking for a permit to its items being back (no sink).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use connector_host::Connection;
use connector_host::engine::EngineOptions;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::Ctx;
use crate::invoke::host;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{median, percentile, rss_bytes};

const TRIGGERS: usize = 1000;

pub fn figure8(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let rss_before = rss_bytes();
    let (_runtime, connector) = host(ctx, EngineOptions::default())?;
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()?;
    let duration = ctx.time(Duration::from_secs(3));
    let mut results: Vec<(usize, Vec<f64>, Vec<f64>, usize)> = [1usize, 10, 100]
        .iter()
        .map(|&b| (b, Vec::new(), Vec::new(), 0))
        .collect();
    let rounds = if ctx.quick { 1 } else { 3 };
    for round in 0..rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            vec![0, 1, 2]
        } else {
            vec![2, 1, 0]
        };
        for i in order {
            let batch = results[i].0;
            let (events, latencies, rss) =
                tokio.block_on(run(connector.clone(), batch, cores, duration));
            results[i].1.push(events);
            results[i].2.extend(latencies);
            results[i].3 = results[i].3.max(rss);
        }
    }
    for (batch, events, latencies, rss) in results {
        let eps = median(&events);
        let p99 = percentile(&latencies, 0.99);
        let p50 = percentile(&latencies, 0.5);
        report.add(Entry {
            figure: 8,
            what: &format!("1,000 polling triggers, batches of {batch}: events per second (library API; no sink)"),
            measured: format!(
                "{eps:.0} events/s; poll p50 {} p99 {} (queueing for a core included); RSS +{} MiB over the process before loading",
                us(p50),
                us(p99),
                rss.saturating_sub(rss_before) >> 20
            ),
            ratio_of: "events/s over 20,000",
            ratio: eps / 20_000.0,
            target: if batch == 10 { Target::AtLeast(1.0) } else { Target::None },
            if_missed: "each poll is a fresh instance plus JSON checks of every item; see figure 2",
            data: json!({"batch": batch, "events_per_s": eps, "poll_p50_us": p50, "poll_p99_us": p99, "rss_bytes": rss, "rss_before_bytes": rss_before, "rounds": events}),
        });
    }
    end_to_end(ctx, report, &tokio)?;
    Ok(())
}

/// Where the end-to-end run delivers its events.
#[derive(Clone, Copy, PartialEq)]
enum Sink {
    /// The embedded default: a JSON Lines file (each batch fsynced).
    Jsonl,
    /// A webhook receiver on 127.0.0.1 in this process.
    Webhook,
}

/// The same 1,000 triggers run by the trigger runtime (`connector-host
/// run`'s `Prepared`/`Running`): pollers on their recurrence, delivery to
/// the sink, state committed to SQLite after each poll's events are
/// delivered. The latency is from the item being made (a wall-clock time
/// the bench connector puts in each item) to the event being seen at the
/// far end of the sink: received by the webhook receiver, or read back
/// from the JSON Lines file by a reader that looks every millisecond (so
/// up to 1 ms is the reader's own).
fn end_to_end(ctx: &Ctx, report: &mut Report, tokio: &tokio::runtime::Runtime) -> Result<()> {
    let runtime = connector_host::Runtime::new(connector_host::RuntimeOptions {
        cache_dir: Some(ctx.out.join("cache")),
        ..connector_host::RuntimeOptions::default()
    })?;
    let component = ctx.bench_guest()?;
    let duration = ctx.time(Duration::from_secs(4));
    let runs = [
        (Sink::Jsonl, 1usize),
        (Sink::Jsonl, 10),
        (Sink::Jsonl, 100),
        (Sink::Webhook, 10),
    ];
    for (sink, batch) in runs {
        let label = if sink == Sink::Jsonl {
            "jsonl"
        } else {
            "webhook"
        };
        let dir = ctx.scratch(&format!("fig8-run-{label}-{batch}"))?;
        let events_path = dir.join("events.jsonl");
        let seen = match sink {
            Sink::Jsonl => tokio.block_on(Seen::tail(events_path.clone()))?,
            Sink::Webhook => tokio.block_on(Seen::receive())?,
        };
        let sink_config = match sink {
            Sink::Jsonl => format!("kind = \"jsonl\"\npath = \"{}\"\n", events_path.display()),
            Sink::Webhook => format!(
                "kind = \"webhook\"\nurl = \"http://127.0.0.1:{}/events\"\nretry_for = \"10s\"\n",
                seen.port
            ),
        };
        let mut config = format!(
            "[host]\nstate = \"state.db\"\nbackoff_initial = \"10ms\"\nbackoff_max = \"100ms\"\n\n\
             [sink]\n{sink_config}\n\
             [[connector]]\nname = \"bench\"\ncomponent = \"{}\"\n\
             [connector.limits]\nmax_concurrency = 128\n\n\
             [[connection]]\nname = \"c\"\nconnector = \"bench\"\n",
            component.display()
        );
        for i in 0..TRIGGERS {
            config.push_str(&format!(
                "\n[[trigger]]\nname = \"t{i}\"\nconnection = \"c\"\noperation = \"source\"\n\
                 input = {{ batch = {batch} }}\nrecurrence = \"10ms\"\n"
            ));
        }
        let config_path = dir.join("host.toml");
        std::fs::write(&config_path, &config)?;
        let config = connector_host::config::Config::parse(&config, &config_path)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let rss_before = rss_bytes();
        let prepared = connector_host::trigger::Prepared::prepare(&config, &runtime)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (events, latencies, rss) = tokio.block_on(async {
            let running = prepared
                .start(connector_host::trigger::RunOptions::default())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // Let every trigger make its first poll, then count a window.
            tokio::time::sleep(duration / 4).await;
            let (first, _) = seen.snapshot();
            let start = Instant::now();
            tokio::time::sleep(duration).await;
            let (last, latencies) = seen.snapshot();
            let elapsed = start.elapsed().as_secs_f64();
            let rss = rss_bytes();
            running.shutdown().await;
            anyhow::Ok(((last - first) as f64 / elapsed, latencies, rss))
        })?;
        seen.stop();
        let p50 = percentile(&latencies, 0.5);
        let p99 = percentile(&latencies, 0.99);
        let (sink_name, target, if_missed) = match sink {
            Sink::Jsonl => (
                "JSON Lines file",
                if batch == 10 {
                    Target::AtLeast(1.0)
                } else {
                    Target::None
                },
                "SQLite and the file share fsyncs across triggers (group commit); what is left is the per-poll work on two cores",
            ),
            Sink::Webhook => (
                "webhook on 127.0.0.1",
                Target::None,
                "one POST per event (connections are kept alive and reused)",
            ),
        };
        report.add(Entry {
            figure: 8,
            what: &format!("1,000 polling triggers, batches of {batch}, end to end through the trigger runtime (poll, {sink_name} sink, state in SQLite)"),
            measured: format!(
                "{events:.0} events/s; item made to delivered p50 {} p99 {}; RSS +{} MiB",
                us(p50),
                us(p99),
                rss.saturating_sub(rss_before) >> 20
            ),
            ratio_of: "events/s over 20,000",
            ratio: events / 20_000.0,
            target,
            if_missed,
            data: json!({"sink": label, "batch": batch, "events_per_s": events, "p50_us": p50, "p99_us": p99, "rss_bytes": rss, "rss_before_bytes": rss_before}),
        });
    }
    Ok(())
}

/// The far end of a sink: counts the events and keeps the latency of each
/// (when it was seen minus the item's `t_us`).
struct Seen {
    /// The webhook receiver's port (0 for a file).
    port: u16,
    seen: Arc<std::sync::Mutex<(usize, Vec<f64>)>>,
    task: tokio::task::JoinHandle<()>,
}

fn now_us() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_micros() as f64)
}

fn count(seen: &std::sync::Mutex<(usize, Vec<f64>)>, event: &[u8], at_us: f64) {
    let made = serde_json::from_slice::<Value>(event)
        .ok()
        .and_then(|e| e["body"]["t_us"].as_f64());
    if let Ok(mut seen) = seen.lock() {
        seen.0 += 1;
        if let Some(made) = made {
            seen.1.push(at_us - made);
        }
    }
}

impl Seen {
    /// A webhook receiver on 127.0.0.1 (axum, keep-alive) that answers 200
    /// to every POST.
    async fn receive() -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let seen = Arc::new(std::sync::Mutex::new((0usize, Vec::new())));
        let counter = seen.clone();
        let app = axum::Router::new().route(
            "/events",
            axum::routing::post(move |body: axum::body::Bytes| async move {
                count(&counter, &body, now_us());
                axum::Json(json!({}))
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { port, seen, task })
    }

    /// A reader of the JSON Lines file at `path` that looks for new lines
    /// every millisecond (a thread of its own, until `stop`).
    async fn tail(path: std::path::PathBuf) -> Result<Self> {
        use std::io::{Read, Seek};
        let seen = Arc::new(std::sync::Mutex::new((0usize, Vec::new())));
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (counter, stop) = (seen.clone(), stopped.clone());
        let running = move || !stop.load(std::sync::atomic::Ordering::Relaxed);
        std::thread::spawn(move || {
            let (mut offset, mut pending) = (0u64, Vec::new());
            let mut chunk = vec![0u8; 1 << 20];
            let mut file = None;
            while running() {
                if file.is_none() {
                    file = std::fs::File::open(&path).ok();
                }
                let Some(f) = file.as_mut() else {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                };
                let read = f
                    .seek(std::io::SeekFrom::Start(offset))
                    .and_then(|_| f.read(&mut chunk));
                match read {
                    Ok(0) | Err(_) => std::thread::sleep(Duration::from_millis(1)),
                    Ok(n) => {
                        offset += n as u64;
                        pending.extend_from_slice(&chunk[..n]);
                        let at = now_us();
                        let complete = pending
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        for line in pending[..complete]
                            .split(|&b| b == b'\n')
                            .filter(|l| !l.is_empty())
                        {
                            count(&counter, line, at);
                        }
                        pending.drain(..complete);
                    }
                }
            }
        });
        let task = tokio::spawn(async move {
            // Stops the reader when the task is aborted (dropped).
            struct Stop(Arc<std::sync::atomic::AtomicBool>);
            impl Drop for Stop {
                fn drop(&mut self) {
                    self.0.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
            let _stop = Stop(stopped);
            std::future::pending::<()>().await;
        });
        Ok(Self {
            port: 0,
            seen,
            task,
        })
    }

    /// Events seen so far, and the latencies since the last snapshot.
    fn snapshot(&self) -> (usize, Vec<f64>) {
        let mut seen = self.seen.lock().expect("receiver lock");
        (seen.0, std::mem::take(&mut seen.1))
    }

    fn stop(self) {
        self.task.abort();
    }
}

/// Polls `TRIGGERS` triggers for `duration`: events per second, the poll
/// latencies in µs, and the resident memory at the end.
async fn run(
    connector: Arc<connector_host::Connector>,
    batch: usize,
    permits: usize,
    duration: Duration,
) -> (f64, Vec<f64>, usize) {
    let gate = Arc::new(Semaphore::new(permits));
    let input = Arc::new(json!({ "batch": batch }));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..TRIGGERS)
        .map(|_| {
            let (connector, gate, input) = (connector.clone(), gate.clone(), input.clone());
            tokio::spawn(async move {
                let mut state: Option<Value> = None;
                let (mut events, mut latencies) = (0usize, Vec::new());
                while Instant::now() < deadline {
                    let asked = Instant::now();
                    let permit = gate.clone().acquire_owned().await.expect("semaphore");
                    let (c, i, s) = (connector.clone(), input.clone(), state.take());
                    let outcome = tokio::task::spawn_blocking(move || {
                        let _permit = permit;
                        c.poll("source", &Connection::new(), &i, s.as_ref())
                    })
                    .await
                    .expect("join")
                    .expect("poll");
                    latencies.push(asked.elapsed().as_secs_f64() * 1e6);
                    events += outcome.items.len();
                    state = outcome.state;
                }
                (events, latencies)
            })
        })
        .collect();
    let (mut events, mut latencies) = (0, Vec::new());
    for task in tasks {
        let (e, l) = task.await.expect("task");
        events += e;
        latencies.extend(l);
    }
    let elapsed = start.elapsed().as_secs_f64();
    (events as f64 / elapsed, latencies, rss_bytes())
}
