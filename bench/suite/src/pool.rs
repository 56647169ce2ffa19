//! Figure 12: the pooling allocator's options, measured side by side on
//! raw wasmtime (the host's `Config` with one thing changed each): the cost
//! of a fresh-instance call on one thread, how it scales to two threads,
//! and what the option costs guest code (a JSON transform in a live
//! instance). Issue 19 asks for these before a default changes.
//!
//! The options: explicit bounds checks with no guard region (signal-based
//! traps off, guard size 0: wasmtime then never shrinks a slot back with
//! `mprotect`, as no guard protects it; the host's default since issue 19)
//! against guard regions, keep-resident sizes (0 resets a slot with
//! `madvise` alone; larger sizes reset by writing zeros), and memory
//! protection keys where the CPU has them.

use std::time::Duration;

use anyhow::Result;
use connector_host::engine::{self, EngineOptions, PoolingOptions};
use serde_json::json;
use wasmtime::Config;

use crate::Ctx;
use crate::invoke::{MakeCall, input_of, scaling};
use crate::raw::Raw;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, Contender, interleave, load_average};

/// One candidate: a name and its `Config`.
struct Candidate {
    name: &'static str,
    config: Config,
}

fn config(guard_pages: bool, keep_resident_bytes: usize) -> Config {
    engine::config_for(&EngineOptions {
        pooling: Some(PoolingOptions {
            keep_resident_bytes,
            ..PoolingOptions::default()
        }),
        guard_pages,
        ..EngineOptions::default()
    })
}

fn candidates() -> Vec<Candidate> {
    let default_keep = PoolingOptions::default().keep_resident_bytes;
    vec![
        Candidate {
            name: "host default (pooling, keep-resident 1 MiB, pagemap_scan auto, explicit bounds checks with no guard region)",
            config: config(false, default_keep),
        },
        Candidate {
            name: "guard regions and signal-based traps (wasmtime's default; the host's before issue 19)",
            config: config(true, default_keep),
        },
        Candidate {
            name: "keep-resident 0 (every dirty page reset by madvise)",
            config: config(false, 0),
        },
        Candidate {
            name: "keep-resident 64 KiB",
            config: config(false, 64 << 10),
        },
        Candidate {
            name: "keep-resident 8 MiB (reset by writing)",
            config: config(false, 8 << 20),
        },
        Candidate {
            name: "guard regions and keep-resident 0 (madvise)",
            config: config(true, 0),
        },
    ]
}

pub fn figure12(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let path = ctx.bench_guest()?;
    let mut raws = Vec::new();
    for c in candidates() {
        raws.push((c.name, Raw::new(&c.config, &path, true, true)?));
    }
    let (_, small) = input_of(1024);
    let transform_input = bench_transform::sample_input(200);
    let rounds = ctx.rounds();

    // One thread: fresh-instance calls, every candidate in each round.
    let mut contenders: Vec<Contender<'_>> = raws
        .iter()
        .map(|(name, raw)| {
            let small = &small;
            let call: Box<dyn FnMut() + '_> = Box::new(move || {
                raw.fresh_invoke("echo", small);
            });
            (*name, call)
        })
        .collect();
    let fresh = interleave(
        rounds,
        Batch {
            calls: 400,
            max_time: ctx.time(Duration::from_millis(300)),
        },
        &mut contenders,
    );
    drop(contenders);

    // Guest code: the transform in a live instance of each.
    let mut lives: Vec<_> = raws.iter().map(|(_, raw)| raw.live()).collect();
    let mut contenders: Vec<Contender<'_>> = lives
        .iter_mut()
        .zip(&raws)
        .map(|(live, (name, _))| {
            let input = &transform_input;
            let call: Box<dyn FnMut() + '_> = Box::new(move || {
                live.invoke("transform", input);
            });
            (*name, call)
        })
        .collect();
    let transform = interleave(
        rounds,
        Batch {
            calls: 100,
            max_time: ctx.time(Duration::from_millis(300)),
        },
        &mut contenders,
    );
    drop(contenders);
    drop(lives);

    let each = ctx.time(Duration::from_millis(800));
    for (k, (name, raw)) in raws.iter().enumerate() {
        let load = load_average();
        let make: &MakeCall<'_> = &|| {
            let small = &small;
            Box::new(move || {
                raw.fresh_invoke("echo", small);
            })
        };
        let (one, two, ratio) = scaling(rounds.min(5), each, make);
        let cost = crate::stats::ratio_of_rounds(&fresh[k], &fresh[0]);
        let guest = crate::stats::ratio_of_rounds(&transform[k], &transform[0]);
        report.add(Entry {
            figure: 12,
            what: &format!("pooling option, raw wasmtime, fresh instance per 1 KB call: {name}"),
            measured: format!(
                "1 thread p50 {} ({cost:.2}x the default), transform in a live instance {} ({guest:.2}x); {one:.0}/s on 1 thread, {two:.0}/s on 2; load average {load:.1} on 2 cores before",
                us(fresh[k].p50()),
                us(transform[k].p50()),
            ),
            ratio_of: "2 threads / 1 thread",
            ratio,
            target: Target::None,
            if_missed: "",
            data: json!({
                "fresh_p50_us": fresh[k].p50(),
                "fresh_over_default": cost,
                "transform_p50_us": transform[k].p50(),
                "transform_over_default": guest,
                "one_thread_per_s": one,
                "two_threads_per_s": two,
            }),
        });
    }
    // wasmtime's own check needs its `memory-protection-keys` feature,
    // which the host is built without; the CPU flag says as much here.
    let mpk = std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| {
        c.lines()
            .find(|l| l.starts_with("flags"))
            .is_some_and(|l| l.split_whitespace().any(|f| f == "pku"))
    });
    report.not_measured(
        12,
        "pooling option: memory protection keys (PKU)",
        Target::None,
        if mpk {
            "this CPU has them, but the host's wasmtime is built without its `memory-protection-keys` feature".to_string()
        } else {
            "this CPU (or its hypervisor) does not offer PKU (no `pku` flag in /proc/cpuinfo); wasmtime would fall back to no keys".to_string()
        },
    );
    Ok(())
}
