//! Figure 6: the same connector logic, a JSON transform
//! (`tests/guests/bench-transform`), as a component and compiled natively,
//! both with `dlmalloc` as the global allocator.
//!
//! The native side runs in a process of its own
//! (`target/release/bench-transform-native`), so that its allocator is not
//! this suite's; rounds alternate between it and the component, which is
//! called through a live instance (so that the figure is the code, not
//! instantiation).

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use connector_host::engine::{self, EngineOptions};
use serde_json::json;

use crate::Ctx;
use crate::raw::Raw;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, interleave, median};

/// Orders in the transform's input (about 40 KB of JSON).
const ORDERS: usize = 200;
const CALLS: usize = 200;

pub fn figure6(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let native = ctx.repo.join("target/release/bench-transform-native");
    anyhow::ensure!(
        native.exists(),
        "{} is not built (`make bench` builds it)",
        native.display()
    );
    let path = ctx.bench_guest()?;
    let text = bench_transform::sample_input(ORDERS);
    let config = |fuel: bool, epoch: bool| {
        let mut c = engine::config_for(&EngineOptions {
            fuel,
            pooling: None,
            ..EngineOptions::default()
        });
        c.epoch_interruption(epoch);
        c
    };
    let epoch_only = Raw::new(&config(false, true), &path, false, true)?;
    let plain = Raw::new(&config(false, false), &path, false, false)?;
    let metered = Raw::new(&config(true, true), &path, true, true)?;
    let (mut l_epoch, mut l_plain, mut l_metered) =
        (epoch_only.live(), plain.live(), metered.live());
    let run_native = || -> Result<f64> {
        let out = Command::new(&native)
            .args([ORDERS.to_string(), CALLS.to_string()])
            .output()
            .with_context(|| format!("running {}", native.display()))?;
        anyhow::ensure!(out.status.success(), "{} failed", native.display());
        let text = String::from_utf8_lossy(&out.stdout);
        let ns: f64 = text.split_whitespace().next().unwrap_or("").parse()?;
        Ok(ns / 1000.0)
    };
    let mut native_us = Vec::new();
    let (mut epoch_us, mut plain_us, mut metered_us) = (Vec::new(), Vec::new(), Vec::new());
    let (mut r_epoch, mut r_plain, mut r_metered) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ctx.rounds() {
        let n = run_native()?;
        let s = interleave(
            1,
            Batch {
                calls: CALLS,
                max_time: ctx.time(Duration::from_secs(2)),
            },
            &mut [
                (
                    "epoch",
                    Box::new(|| {
                        l_epoch.invoke("transform", &text);
                    }),
                ),
                (
                    "plain",
                    Box::new(|| {
                        l_plain.invoke("transform", &text);
                    }),
                ),
                (
                    "metered",
                    Box::new(|| {
                        l_metered.invoke("transform", &text);
                    }),
                ),
            ],
        );
        let (e, p, m) = (s[0].p50(), s[1].p50(), s[2].p50());
        native_us.push(n);
        epoch_us.push(e);
        plain_us.push(p);
        metered_us.push(m);
        r_epoch.push(e / n);
        r_plain.push(p / n);
        r_metered.push(m / n);
    }
    let data = json!({
        "orders": ORDERS,
        "input_bytes": text.len(),
        "native_us": median(&native_us),
        "component_plain_us": median(&plain_us),
        "component_epoch_only_us": median(&epoch_us),
        "component_fuel_and_epoch_us": median(&metered_us),
    });
    report.add(Entry {
        figure: 6,
        what: "JSON transform (40 KB), component in the host's epoch-only mode vs native, same allocator",
        measured: format!("component {}; native {}", us(median(&epoch_us)), us(median(&native_us))),
        ratio_of: "component / native",
        ratio: median(&r_epoch),
        target: Target::AtMost(1.4),
        if_missed: "Cranelift's code for wasm32 (bounds-check-free but with 32-bit addressing and no SIMD in the guest build) against LLVM's native code; the epoch check at every loop head",
        data: data.clone(),
    });
    report.add(Entry {
        figure: 6,
        what: "JSON transform, component with no fuel or epoch checks vs native",
        measured: format!(
            "component {}; native {}",
            us(median(&plain_us)),
            us(median(&native_us))
        ),
        ratio_of: "component / native",
        ratio: median(&r_plain),
        target: Target::AtMost(1.4),
        if_missed: "Cranelift's code for wasm32 against LLVM's native code",
        data: data.clone(),
    });
    report.add(Entry {
        figure: 6,
        what: "JSON transform, component with fuel and epoch (the host's defaults) vs native",
        measured: format!(
            "component {}; native {}",
            us(median(&metered_us)),
            us(median(&native_us))
        ),
        ratio_of: "component / native",
        ratio: median(&r_metered),
        target: Target::None,
        if_missed: "",
        data,
    });
    Ok(())
}
