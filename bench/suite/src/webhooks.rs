//! Figure 14: webhook events accepted per second by the push-trigger
//! listener (`connector-host run`'s, on hyper), each event durably in the
//! JSON Lines sink (written and fsynced) before its 202.
//!
//! Clients on 127.0.0.1 post one event a request, as fast as the answers
//! come, in two ways measured in interleaved rounds: kept-alive connections
//! (the target: at least 20,000 events/s, p99 at most 50 ms), and one
//! connection per request (`Connection: close`), which is what the old
//! hand-written listener allowed; the old listener itself is gone, so it
//! cannot be measured in the same run. Latency is from sending a request to
//! reading its answer. After each run every 202 is checked against the
//! file: an accepted event that is not in it fails the figure.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::json;

use crate::Ctx;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{median, percentile};

/// Clients posting at once.
const CLIENTS: usize = 64;
/// Most requests one client sends in one run (the time bound comes first
/// on any machine that meets the target).
const MAX_REQUESTS_PER_CLIENT: u64 = 200_000;

/// What one run measured.
struct Run {
    events_per_s: f64,
    latencies_us: Vec<f64>,
    accepted: u64,
}

pub fn figure14(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let component = ctx.guest("test_source");
    anyhow::ensure!(
        component.exists(),
        "{} is not built; run `make guests`",
        component.display()
    );
    let runtime = connector_host::Runtime::new(connector_host::RuntimeOptions {
        cache_dir: Some(ctx.out.join("cache")),
        ..connector_host::RuntimeOptions::default()
    })?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .enable_all()
        .build()?;
    let duration = ctx.time(Duration::from_secs(3));
    let rounds = if ctx.quick { 1 } else { 3 };
    let (mut kept, mut closed): (Vec<Run>, Vec<Run>) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for keep_alive in [round % 2 == 0, round % 2 != 0] {
            let label = if keep_alive { "keepalive" } else { "close" };
            let dir = ctx.scratch(&format!("fig14-{label}-{round}"))?;
            let run = tokio.block_on(run(&runtime, &component, &dir, keep_alive, duration))?;
            println!(
                "  round {round} {label}: {:.0} events/s, p99 {}",
                run.events_per_s,
                us(percentile(&run.latencies_us, 0.99))
            );
            if keep_alive {
                kept.push(run)
            } else {
                closed.push(run)
            }
        }
    }
    let summary = |runs: &[Run]| {
        let eps = median(&runs.iter().map(|r| r.events_per_s).collect::<Vec<_>>());
        let all: Vec<f64> = runs.iter().flat_map(|r| r.latencies_us.clone()).collect();
        let accepted: u64 = runs.iter().map(|r| r.accepted).sum();
        (eps, percentile(&all, 0.5), percentile(&all, 0.99), accepted)
    };
    let (k_eps, k_p50, k_p99, k_n) = summary(&kept);
    let (c_eps, c_p50, c_p99, c_n) = summary(&closed);
    let data = json!({
        "clients": CLIENTS,
        "keep_alive": {"events_per_s": k_eps, "p50_us": k_p50, "p99_us": k_p99, "accepted": k_n},
        "one_connection_per_request": {"events_per_s": c_eps, "p50_us": c_p50, "p99_us": c_p99, "accepted": c_n},
    });
    let measured = format!(
        "{CLIENTS} kept-alive clients: {k_eps:.0} events/s, p50 {} p99 {}; one connection per request: \
         {c_eps:.0} events/s, p50 {} p99 {}; every 202 found in the file",
        us(k_p50),
        us(k_p99),
        us(c_p50),
        us(c_p99)
    );
    let if_missed = "each request is a fresh instance of the connector (handle-event) plus an fsync \
                     shared with the requests in flight, on two shared cores";
    report.add(Entry {
        figure: 14,
        what: "webhook events accepted per second, keep-alive, each in the JSON Lines sink before its 202",
        measured: measured.clone(),
        ratio_of: "events/s over 20,000",
        ratio: k_eps / 20_000.0,
        target: Target::AtLeast(1.0),
        if_missed,
        data: data.clone(),
    });
    report.add(Entry {
        figure: 14,
        what: "webhook answer latency, keep-alive: p99",
        measured,
        ratio_of: "p99 over 50 ms",
        ratio: k_p99 / 50_000.0,
        target: Target::AtMost(1.0),
        if_missed,
        data: data.clone(),
    });
    report.add(Entry {
        figure: 14,
        what: "webhook events per second, keep-alive against one connection per request",
        measured: format!("{k_eps:.0} against {c_eps:.0} events/s"),
        ratio_of: "keep-alive / one per request",
        ratio: k_eps / c_eps,
        target: Target::None,
        if_missed: "",
        data,
    });
    Ok(())
}

/// One host with one push trigger, `CLIENTS` clients for `duration`.
async fn run(
    runtime: &connector_host::Runtime,
    component: &std::path::Path,
    dir: &std::path::Path,
    keep_alive: bool,
    duration: Duration,
) -> Result<Run> {
    let events_path = dir.join("events.jsonl");
    let config = format!(
        "[host]\nstate = \"state.db\"\n\n\
         [sink]\nkind = \"jsonl\"\npath = \"{}\"\n\n\
         [webhook]\nlisten = \"127.0.0.1:0\"\n\n\
         [[connector]]\nname = \"source\"\ncomponent = \"{}\"\n\
         [connector.limits]\nmax_concurrency = 512\n\n\
         [[connection]]\nname = \"src\"\nconnector = \"source\"\n\n\
         [[trigger]]\nname = \"hook\"\nconnection = \"src\"\noperation = \"webhook\"\n\
         input = {{ name = \"bench\" }}\n",
        events_path.display(),
        component.display()
    );
    let config_path = dir.join("host.toml");
    std::fs::write(&config_path, &config)?;
    let config = connector_host::config::Config::parse(&config, &config_path)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let prepared = connector_host::trigger::Prepared::prepare(&config, runtime)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let running = prepared
        .start(connector_host::trigger::RunOptions::default())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let addr = running
        .webhook_addr()
        .context("the webhook listener runs")?;
    let accepted = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + duration;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(client(addr, c, keep_alive, until, accepted.clone())))
        .collect();
    let mut latencies_us = Vec::new();
    let mut failure = None;
    for c in clients {
        match c.await? {
            Ok(l) => latencies_us.extend(l),
            Err(e) => failure = Some(e),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    running.shutdown().await;
    if let Some(e) = failure {
        return Err(e);
    }
    let accepted = accepted.load(Ordering::SeqCst);
    let lines = std::fs::read_to_string(&events_path)?.lines().count() as u64;
    if lines != accepted {
        bail!("{accepted} events were answered 202 but the file holds {lines}");
    }
    Ok(Run {
        events_per_s: accepted as f64 / elapsed,
        latencies_us,
        accepted,
    })
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Posts events `c-0`, `c-1`, ... until `until`; every answer must be 202.
async fn client(
    addr: SocketAddr,
    c: usize,
    keep_alive: bool,
    until: Instant,
    accepted: Arc<AtomicU64>,
) -> Result<Vec<f64>> {
    let mut latencies = Vec::new();
    let mut sender = None;
    for i in 0..MAX_REQUESTS_PER_CLIENT {
        if Instant::now() >= until {
            break;
        }
        let sent = Instant::now();
        let mut s = match sender.take() {
            Some(s) => s,
            None => connect(addr).await?,
        };
        let mut request = hyper::Request::post("/hooks/bench")
            .header("host", addr.to_string())
            .header("content-type", "application/json");
        if !keep_alive {
            request = request.header("connection", "close");
        }
        let body = format!(r#"{{"id": "c{c}-{i}", "n": {i}}}"#);
        let response = s
            .send_request(request.body(Full::new(Bytes::from(body)))?)
            .await?;
        let status = response.status();
        let text = response.into_body().collect().await?.to_bytes();
        if status != hyper::StatusCode::ACCEPTED {
            bail!("answered {status}: {}", String::from_utf8_lossy(&text));
        }
        latencies.push(sent.elapsed().as_secs_f64() * 1e6);
        accepted.fetch_add(1, Ordering::Relaxed);
        if keep_alive {
            sender = Some(s);
        }
    }
    Ok(latencies)
}
