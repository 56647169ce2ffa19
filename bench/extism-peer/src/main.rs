//! The peer side of figure 7 of `BENCHMARKS.md`: Extism running the same
//! workload as the host (an `echo` of a JSON document), fresh and live.
//!
//! Usage: `extism-peer PLUGIN.wasm INPUT.json CALLS`. Compiles the plugin
//! once, then times CALLS calls on a fresh plugin instance each
//! (`Plugin::new_from_compiled`, call, drop) and CALLS calls into one live
//! plugin, and prints `{"fresh_us": median, "live_us": median}`. The suite
//! (`bench/suite`) runs it once per round, alternating with its own batch.

use std::time::Instant;

use extism::{CompiledPlugin, Manifest, Plugin, PluginBuilder, Wasm};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), extism::Error> {
    let mut args = std::env::args().skip(1);
    let plugin = args
        .next()
        .expect("usage: extism-peer PLUGIN.wasm INPUT.json CALLS");
    let input = std::fs::read(args.next().expect("input file"))?;
    let calls: usize = args
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
        .max(1);
    // From bytes: file-based loading is a default feature of Extism, off here.
    let wasm = std::fs::read(&plugin)?;
    let compiled = CompiledPlugin::new(
        PluginBuilder::new(Manifest::new([Wasm::data(wasm)])).with_wasi(false),
    )?;

    let call = |plugin: &mut Plugin| -> Result<usize, extism::Error> {
        let out: Vec<u8> = plugin.call("echo", input.as_slice())?;
        assert_eq!(out.len(), input.len());
        Ok(out.len())
    };
    // Warm up both paths.
    for _ in 0..(calls / 10).max(1) {
        call(&mut Plugin::new_from_compiled(&compiled)?)?;
    }
    let mut fresh = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        let mut plugin = Plugin::new_from_compiled(&compiled)?;
        call(&mut plugin)?;
        drop(plugin);
        fresh.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let mut live_plugin = Plugin::new_from_compiled(&compiled)?;
    for _ in 0..(calls / 10).max(1) {
        call(&mut live_plugin)?;
    }
    let mut live = Vec::with_capacity(calls);
    for _ in 0..calls {
        let start = Instant::now();
        call(&mut live_plugin)?;
        live.push(start.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "{}",
        serde_json::json!({"fresh_us": median(fresh), "live_us": median(live), "calls": calls})
    );
    Ok(())
}
