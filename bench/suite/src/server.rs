//! Figure 13: the server (issue 14).
//!
//! - "Try it" through the API against the library call: the bench
//!   connector's `echo` with a 1 KB input, `POST
//!   /api/connectors/bench/operations/echo/invoke` on one kept-alive
//!   connection to a `connector_server::Server` on 127.0.0.1 in this
//!   process, against `Connector::invoke_json` on a connector loaded with
//!   the same options. Rounds interleave the two; the ratio is of the
//!   pooled medians (target at most 1.3). Both make a fresh instance per
//!   call, as the server does.
//! - The page's weight: every asset the binary serves (the page and its
//!   scripts, style and icon), each gzipped at level 9 as a compressing
//!   proxy would send it, summed (target at most 200 KB).
//!
//! Not measured here: the first render of a catalog of 50 connectors in the
//! headless browser (the browser tests run the page; timing it needs the
//! WebDriver client in this crate, which it does not have yet).

use std::io::Write;
use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::json;

use connector_host::config::Config;
use connector_host::server::{Catalog, ListenOptions, Server, ServerOptions};
use connector_host::{Connection, Json, Runtime, RuntimeOptions};

use crate::Ctx;
use crate::invoke::input_of;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{load_average, percentile};

/// Calls per round and side.
const CALLS: usize = 300;

pub fn figure13(ctx: &Ctx, report: &mut Report) -> Result<()> {
    page_weight(report)?;
    api_against_library(ctx, report)
}

fn page_weight(report: &mut Report) -> Result<()> {
    let mut raw = connector_host::server::assets::INDEX.len();
    let mut gzipped = gzip_len(connector_host::server::assets::INDEX.as_bytes())?;
    for (_, _, bytes) in connector_host::server::assets::ASSETS {
        raw += bytes.len();
        gzipped += gzip_len(bytes)?;
    }
    let files = connector_host::server::assets::ASSETS.len() + 1;
    println!("  page: {files} files, {raw} bytes, {gzipped} bytes gzipped");
    report.add(Entry {
        figure: 13,
        what: "the page's weight: every asset, each gzipped (level 9)",
        measured: format!(
            "{files} files: {:.1} KB, {:.1} KB gzipped",
            raw as f64 / 1000.0,
            gzipped as f64 / 1000.0
        ),
        ratio_of: "gzipped KB over 200 KB",
        ratio: gzipped as f64 / 200_000.0,
        target: Target::AtMost(1.0),
        if_missed: "the assets grew past the budget",
        data: json!({"files": files, "bytes": raw, "gzip_bytes": gzipped}),
    });
    Ok(())
}

fn gzip_len(bytes: &[u8]) -> Result<usize> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?.len())
}

fn api_against_library(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let dir = ctx.scratch("server")?;
    let guest = ctx.bench_guest()?;
    let text = format!(
        "[[connector]]\nname = \"bench\"\ncomponent = \"{}\"\n",
        guest.display()
    );
    let config_path = dir.join("host.toml");
    std::fs::write(&config_path, &text)?;
    let config = Config::parse(&text, &config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(ctx.out.join("cache")),
        ..RuntimeOptions::default()
    })?;
    // The library side: the same connector with the configuration's options.
    let connector = runtime.load(
        &config.connectors[0].component,
        config.connectors[0].options.clone(),
    )?;
    let (value, input_text) = input_of(1024);
    let input = Json::from_text(input_text)?;
    let conn = Connection::new();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let server = rt.block_on(Server::bind(
        &config,
        ServerOptions {
            listen: ListenOptions {
                addr: "127.0.0.1:0".parse()?,
                public: false,
                tls: None,
            },
            allow_hosts: Vec::new(),
            state_dir: dir.join("state"),
        },
    ))?;
    server.app().set_catalog(Catalog::load(&config, &runtime));
    let addr = server.local_addr();
    let token = server
        .url_with_token()
        .split("#token=")
        .nth(1)
        .context("the page's address carries the token")?
        .to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = rt.spawn(server.serve(async {
        let _ = stopped.await;
    }));
    let body = Bytes::from(json!({ "input": value }).to_string());
    let mut sender = rt.block_on(connect(addr))?;
    // Warm both sides (the first call of each compiles nothing: the cache is
    // warm, but the first instance maps its pool slot).
    for _ in 0..20 {
        rt.block_on(api_call(&mut sender, addr, &token, body.clone()))?;
        connector.invoke_json("echo", &conn, &input)?;
    }
    let rounds = ctx.rounds();
    let (mut api, mut lib) = (Vec::new(), Vec::new());
    let (mut api_rounds, mut lib_rounds) = (Vec::new(), Vec::new());
    let mut floor = Vec::new();
    for _ in 0..rounds {
        let mut round = Vec::with_capacity(CALLS);
        for _ in 0..CALLS {
            let t = Instant::now();
            let r = connector.invoke_json("echo", &conn, &input)?;
            round.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(r);
        }
        lib_rounds.push(percentile(&round, 0.5));
        lib.extend(round);
        let round = rt.block_on(async {
            let mut round = Vec::with_capacity(CALLS);
            for _ in 0..CALLS {
                let t = Instant::now();
                api_call(&mut sender, addr, &token, body.clone()).await?;
                round.push(t.elapsed().as_secs_f64() * 1e6);
            }
            Ok::<_, anyhow::Error>(round)
        })?;
        api_rounds.push(percentile(&round, 0.5));
        api.extend(round);
        // The HTTP floor: the same connection, token check and JSON answer, no call.
        let round = rt.block_on(async {
            let mut round = Vec::with_capacity(CALLS);
            for _ in 0..CALLS {
                let t = Instant::now();
                health_call(&mut sender, addr, &token).await?;
                round.push(t.elapsed().as_secs_f64() * 1e6);
            }
            Ok::<_, anyhow::Error>(round)
        })?;
        floor.extend(round);
    }
    let _ = stop.send(());
    let _ = rt.block_on(serving);
    let (api_p50, lib_p50) = (percentile(&api, 0.5), percentile(&lib, 0.5));
    let (api_p99, lib_p99) = (percentile(&api, 0.99), percentile(&lib, 0.99));
    let floor_p50 = percentile(&floor, 0.5);
    let load = load_average();
    println!(
        "  echo 1 KB p50: API {} library {} (ratio {:.2}); GET /api/health {}; load {load:.1}",
        us(api_p50),
        us(lib_p50),
        api_p50 / lib_p50,
        us(floor_p50)
    );
    report.add(Entry {
        figure: 13,
        what: "try it through the API against the library call (echo, 1 KB, keep-alive, fresh instances)",
        measured: format!(
            "p50 API {} against library {} (p99 {} and {}); GET /api/health on the same connection {}; {rounds} rounds of {CALLS} calls each, load {load:.1}",
            us(api_p50),
            us(lib_p50),
            us(api_p99),
            us(lib_p99),
            us(floor_p50)
        ),
        ratio_of: "API p50 / library p50",
        ratio: api_p50 / lib_p50,
        target: Target::AtMost(1.3),
        if_missed: "HTTP, the token check, the JSON envelope and the blocking-pool hop cost more than a third of a fresh 1 KB call",
        data: json!({
            "api_us": {"p50": api_p50, "p99": api_p99, "round_medians": api_rounds},
            "library_us": {"p50": lib_p50, "p99": lib_p99, "round_medians": lib_rounds},
            "health_us": {"p50": floor_p50},
            "load_average": load,
        }),
    });
    Ok(())
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

/// One invoke; the answer must be 200 with `"ok": true`.
async fn api_call(sender: &mut Sender, addr: SocketAddr, token: &str, body: Bytes) -> Result<()> {
    let request = hyper::Request::post("/api/connectors/bench/operations/echo/invoke")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(body))?;
    sender
        .ready()
        .await
        .context("the kept-alive connection closed")?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let text = response.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK || !text.starts_with(b"{") {
        bail!("answered {status}: {}", String::from_utf8_lossy(&text));
    }
    let v: serde_json::Value = serde_json::from_slice(&text)?;
    if v["ok"] != true {
        bail!("the invoke failed: {v}");
    }
    Ok(())
}

/// `GET /api/health` with the token; the answer must be 200.
async fn health_call(sender: &mut Sender, addr: SocketAddr, token: &str) -> Result<()> {
    let request = hyper::Request::get("/api/health")
        .header("host", addr.to_string())
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))?;
    sender
        .ready()
        .await
        .context("the kept-alive connection closed")?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let text = response.into_body().collect().await?.to_bytes();
    if status != hyper::StatusCode::OK {
        bail!("answered {status}: {}", String::from_utf8_lossy(&text));
    }
    Ok(())
}
