//! Figure 8: 1,000 polling triggers on one host, each polled as fast as the
//! host will take it, with batches of 1, 10 and 100 items a poll.
//!
//! The trigger runtime (`connector-host run`: schedules, sinks, durable
//! state) is not on this branch yet; this drives the same library call its
//! pollers make, `Connector::poll`, from 1,000 tokio tasks. Each sync call
//! runs on tokio's blocking pool (`spawn_blocking`) behind a semaphore with
//! one permit per core, so that a thousand due triggers become a queue,
//! not a thousand threads each holding a store. The latency is from a
//! trigger asking for a permit to its items being back (the poll part of
//! end to end; there is no sink here).

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
    report.not_measured(
        8,
        "1,000 triggers end to end (poll, deliver to a sink, commit state): p99",
        Target::None,
        "waits for the trigger runtime (`run`, pollers, sinks), which is on another branch".into(),
    );
    Ok(())
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
