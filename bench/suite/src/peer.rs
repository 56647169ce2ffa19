//! Figure 7: the peer plugin host, Extism, on the same workload.
//!
//! Extism brings its own wasmtime (another major version), so it runs as a
//! binary of its own (`bench/extism-peer`, built by `make bench-peer`), with
//! a plugin built from `bench/extism-peer/plugin` whose `echo` does what the
//! bench connector's `echo` does. Each round runs the peer's batch (a
//! process) and then ours, alternating, and compares medians.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use connector_host::engine::EngineOptions;
use serde_json::{Value, json};

use crate::Ctx;
use crate::invoke::{host, host_with, input_of, live_options};
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, interleave, median};

pub fn figure7(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let peer = std::env::var_os("CONNECTOR_BENCH_PEER")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| ctx.repo.join("target/release/extism-peer"));
    let plugin = ctx
        .repo
        .join("target/wasm32-unknown-unknown/release/extism_bench_plugin.wasm");
    if !peer.exists() || !plugin.exists() {
        report.not_measured(
            7,
            "the same workload in Extism",
            Target::AtLeast(10.0),
            format!(
                "{} or {} is not built (`make bench-peer`)",
                peer.display(),
                plugin.display()
            ),
        );
        return Ok(());
    }
    let (_runtime, connector) = host(ctx, EngineOptions::default())?;
    let (_runtime_live, live_connector) = host_with(ctx, EngineOptions::default(), live_options())?;
    // The component transport alone: raw wasmtime with the host's Config,
    // bytes in and out as Extism does, no JSON checks.
    let raw = crate::invoke::raw(&ctx.bench_guest()?, &EngineOptions::default())?;
    let conn = connector_host::Connection::new();
    let sizes = [("1 KB", 1024usize), ("1 MB", 1 << 20)];
    for (label, size) in sizes {
        let (_, text) = input_of(size);
        // Text in, text out: what Extism is given and gives back.
        let input = connector_host::Json::from_text(text.clone())?;
        let input_file = ctx.out.join(format!("peer-input-{size}.json"));
        std::fs::write(&input_file, &text)?;
        let calls = if size > 4096 { 40 } else { 400 };
        let mut live_raw = raw.live();
        let (mut raw_fresh_us, mut raw_live_us, mut rr_fresh, mut rr_live) =
            (vec![], vec![], vec![], vec![]);
        let (mut ours, mut fresh, mut live, mut r_fresh, mut r_live) =
            (vec![], vec![], vec![], vec![], vec![]);
        let (mut ours_live, mut r_live_live) = (vec![], vec![]);
        for _ in 0..ctx.rounds().min(5) {
            let out = Command::new(&peer)
                .arg(&plugin)
                .arg(&input_file)
                .arg(calls.to_string())
                .output()
                .with_context(|| format!("running {}", peer.display()))?;
            anyhow::ensure!(
                out.status.success(),
                "extism-peer failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let theirs: Value = serde_json::from_slice(&out.stdout)?;
            let (f, l) = (
                theirs["fresh_us"].as_f64().unwrap_or(f64::NAN),
                theirs["live_us"].as_f64().unwrap_or(f64::NAN),
            );
            let s = interleave(
                1,
                Batch {
                    calls,
                    max_time: ctx.time(Duration::from_secs(1)),
                },
                &mut [
                    (
                        "host",
                        Box::new(|| {
                            connector.invoke_json("echo", &conn, &input).unwrap();
                        }),
                    ),
                    (
                        "raw fresh",
                        Box::new(|| {
                            raw.fresh_invoke("echo", &text);
                        }),
                    ),
                    (
                        "raw live",
                        Box::new(|| {
                            live_raw.invoke("echo", &text);
                        }),
                    ),
                    (
                        "host live",
                        Box::new(|| {
                            live_connector.invoke_json("echo", &conn, &input).unwrap();
                        }),
                    ),
                ],
            );
            ours_live.push(s[3].p50());
            r_live_live.push(l / s[3].p50());
            let (rf, rl) = (s[1].p50(), s[2].p50());
            raw_fresh_us.push(rf);
            raw_live_us.push(rl);
            rr_fresh.push(f / rf);
            rr_live.push(l / rl);
            let o = s[0].p50();
            ours.push(o);
            fresh.push(f);
            live.push(l);
            r_fresh.push(f / o);
            r_live.push(l / o);
        }
        let (o, f, l) = (median(&ours), median(&fresh), median(&live));
        let mib = text.len() as f64 / (1 << 20) as f64;
        let data = json!({"bytes": text.len(), "host_fresh_us": o, "extism_fresh_us": f, "extism_live_us": l});
        report.add(Entry {
            figure: 7,
            what: &format!("{label} echo: host (fresh instance) vs Extism fresh plugin instance"),
            measured: format!("host {} ({:.0} MiB/s); Extism fresh {} ({:.0} MiB/s)", us(o), mib / o * 1e6, us(f), mib / f * 1e6),
            ratio_of: "Extism time / host time",
            ratio: median(&r_fresh),
            target: if size > 4096 { Target::AtLeast(10.0) } else { Target::AtLeast(1.0) },
            if_missed: "the host checks that the output is JSON (one pass over the body), which Extism (bytes in, bytes out) does not",
            data: data.clone(),
        });
        let (rf, rl) = (median(&raw_fresh_us), median(&raw_live_us));
        report.add(Entry {
            figure: 7,
            what: &format!("{label} echo, transport only: component with the host's Config (raw, fresh instance) vs Extism fresh"),
            measured: format!("component {} ({:.0} MiB/s); Extism fresh {}", us(rf), mib / rf * 1e6, us(f)),
            ratio_of: "Extism time / component time",
            ratio: median(&rr_fresh),
            target: if size > 4096 { Target::AtLeast(10.0) } else { Target::AtLeast(1.0) },
            if_missed: "Extism's fresh plugin is one core module; a component instance has several, with its WASI state",
            data: json!({"component_fresh_us": rf, "extism_fresh_us": f}),
        });
        report.add(Entry {
            figure: 7,
            what: &format!("{label} echo, transport only: live component instance (raw, the host's Config) vs Extism live"),
            measured: format!("component {} ({:.0} MiB/s); Extism live {}", us(rl), mib / rl * 1e6, us(l)),
            ratio_of: "Extism time / component time",
            ratio: median(&rr_live),
            target: if size > 4096 { Target::AtLeast(10.0) } else { Target::None },
            if_missed: "",
            data: json!({"component_live_us": rl, "extism_live_us": l}),
        });
        report.add(Entry {
            figure: 7,
            what: &format!("{label} echo: host (fresh instance) vs Extism live plugin"),
            measured: format!("host {}; Extism live {} ({:.0} MiB/s)", us(o), us(l), mib / l * 1e6),
            ratio_of: "Extism time / host time",
            ratio: median(&r_live),
            target: if size > 4096 { Target::AtLeast(10.0) } else { Target::None },
            if_missed: "the host checks that the output is JSON (one pass over the body), which Extism (bytes in, bytes out) does not; the row below compares live with live",
            data,
        });
        let ol = median(&ours_live);
        report.add(Entry {
            figure: 7,
            what: &format!("{label} echo: host (live instance, opt-in) vs Extism live plugin"),
            measured: format!("host live {} ({:.0} MiB/s); Extism live {}", us(ol), mib / ol * 1e6, us(l)),
            ratio_of: "Extism time / host time",
            ratio: median(&r_live_live),
            target: if size > 4096 { Target::AtLeast(10.0) } else { Target::AtLeast(1.0) },
            if_missed: "the host checks that the output is JSON (one pass over the body, about 1.4 GB/s), which Extism does not",
            data: json!({"host_live_us": ol, "extism_live_us": l}),
        });
    }
    Ok(())
}
