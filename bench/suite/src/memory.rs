//! Figure 9: resident memory per loaded connector and per idle instance.
//!
//! Resident set size (`VmRSS`) before and after loading many connectors, or
//! creating many instances that have each served one call and then sit
//! idle, divided by their number.

use anyhow::Result;
use connector_host::engine::EngineOptions;
use connector_host::{ConnectorOptions, Runtime, RuntimeOptions};
use serde_json::json;

use crate::Ctx;
use crate::invoke::{input_of, on_demand, raw};
use crate::report::{Entry, Report, Target};
use crate::stats::{median, rss_bytes};

const CONNECTORS: usize = 50;
/// Below the default pool's 128 instances: idle instances hold pool slots.
const INSTANCES: usize = 100;

pub fn figure9(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let path = ctx.bench_guest()?;
    let new_runtime = || {
        Runtime::new(RuntimeOptions {
            cache_dir: Some(ctx.out.join("cache")),
            ..RuntimeOptions::default()
        })
    };
    // Warm the on-disk cache, so that no figure below includes a compile.
    new_runtime()?.load(&path, ConnectorOptions::default())?;
    new_runtime()?.load(&ctx.guest("example_data"), ConnectorOptions::default())?;
    for (name, file) in [("bench", path.clone()), ("data", ctx.guest("example_data"))] {
        // The first load of a component in a runtime maps its compiled code;
        // later loads of the same bytes share it (the runtime keeps loaded
        // components by content hash) and cost the description, the
        // compiled schemas and the pre-instantiation only. Heap that earlier
        // figures freed is reused, so small allocations may be undercounted;
        // mappings are not.
        let runtime = new_runtime()?;
        let before = rss_bytes();
        let first = runtime.load(&file, ConnectorOptions::default())?;
        let first_kib = rss_bytes().saturating_sub(before) as f64 / 1024.0;
        let before = rss_bytes();
        let more: Vec<_> = (0..CONNECTORS)
            .map(|_| runtime.load(&file, ConnectorOptions::default()))
            .collect::<Result<_, _>>()?;
        let more_kib = rss_bytes().saturating_sub(before) as f64 / 1024.0 / CONNECTORS as f64;
        drop((first, more));
        report.add(Entry {
            figure: 9,
            what: &format!("resident memory per loaded connector ({name}): first load (compiled code mapped), then each further load of the same component"),
            measured: format!("first {first_kib:.0} KiB; each of {CONNECTORS} more {more_kib:.1} KiB"),
            ratio_of: "KiB per further load",
            ratio: more_kib,
            target: Target::None,
            if_missed: "",
            data: json!({"first_load_kib": first_kib, "further_load_kib": more_kib}),
        });
    }

    let (_, text) = input_of(1024);
    for (name, options) in [
        ("default settings: pooling", EngineOptions::default()),
        ("on-demand allocation", on_demand()),
    ] {
        let mut per = Vec::new();
        for _ in 0..3 {
            // A new engine each round: a pool keeps the pages its slots
            // touched, so a second round in the same pool would find them
            // resident already and count nothing.
            let raw = raw(&path, &options)?;
            let before = rss_bytes();
            let mut live: Vec<_> = (0..INSTANCES).map(|_| raw.live()).collect();
            for l in &mut live {
                l.invoke("echo", &text);
            }
            per.push((rss_bytes().saturating_sub(before)) as f64 / INSTANCES as f64);
            drop(live);
        }
        let kib = median(&per) / 1024.0;
        report.add(Entry {
            figure: 9,
            what: &format!("resident memory per idle instance after one 1 KB call ({name})"),
            measured: format!("{kib:.0} KiB each over {INSTANCES} instances"),
            ratio_of: "KiB per idle instance",
            ratio: kib,
            target: Target::AtMost(64.0),
            if_missed: "the guest's stack and heap pages touched by one call stay resident while the instance lives (a Rust guest's shadow stack and dlmalloc's first chunk), plus the store's own data",
            data: json!({"kib_per_instance": kib, "rounds_kib": per.iter().map(|b| b / 1024.0).collect::<Vec<_>>()}),
        });
    }
    Ok(())
}
