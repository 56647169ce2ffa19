//! Figure 1: compiling a component versus loading its compiled form.
//!
//! For every example connector that is built (the Rust ones always; the
//! Python and JavaScript ones when `make` has built them), interleaved
//! rounds of: a Cranelift compile (`Component::from_binary`), the host's
//! cache hit (`ComponentCache::load_or_compile`, checksums included), and
//! wasmtime's own `Component::deserialize_file` of the same artifact.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use connector_host::cache::{ComponentCache, Origin};
use serde_json::json;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::Ctx;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, interleave_with, ratio_of_rounds};

/// The examples: (file stem, language).
const EXAMPLES: &[(&str, &str)] = &[
    ("example_files", "Rust"),
    ("example_data", "Rust"),
    ("example_tasks", "Rust"),
    ("example_calendar", "Python"),
    ("example_text", "JavaScript"),
];

pub fn figure1(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let engine = Engine::new(&connector_host::engine::config())?;
    let cache = ComponentCache::new(ctx.scratch("fig1-cache")?);
    let mut guests: Vec<(String, String, PathBuf)> = EXAMPLES
        .iter()
        .map(|(stem, lang)| (stem.to_string(), lang.to_string(), ctx.guest(stem)))
        .collect();
    if let Ok(extra) = std::env::var("CONNECTOR_BENCH_EXTRA_GUESTS") {
        for path in std::env::split_paths(&extra) {
            let stem = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            // Stands in for a missing example of the same name (the Python
            // and JavaScript ones, when this checkout cannot build them).
            match guests
                .iter_mut()
                .find(|(s, _, p)| *s == stem && !p.exists())
            {
                Some(slot) => {
                    slot.1.push_str(", built elsewhere");
                    slot.2 = path;
                }
                None => guests.push((stem, "extra".into(), path)),
            }
        }
    }
    for (stem, lang, path) in guests {
        let what = format!("compile vs cached load: {stem} ({lang})");
        if !path.exists() {
            report.not_measured(
                1,
                &what,
                Target::AtLeast(300.0),
                format!(
                    "{} is not built here (the {lang} toolchain step of `make` did not run)",
                    path.display()
                ),
            );
            continue;
        }
        let bytes = std::fs::read(&path)?;
        // Warm the cache; find its entry for wasmtime's own load.
        let first = cache.load_or_compile(&engine, &bytes)?;
        assert_eq!(first.origin, Origin::Compiled);
        let entry = cache.entry_path(&engine, &bytes);
        // A componentize-py component takes tens of seconds to compile: one
        // compile a round, fewer rounds.
        let big = bytes.len() > 4 << 20;
        let rounds = if big || ctx.quick { 2 } else { 5 };
        let mut contenders: Vec<crate::stats::Contender<'_>> = vec![
            (
                "compile",
                Box::new(|| {
                    Component::from_binary(&engine, &bytes).expect("compile");
                }),
            ),
            (
                "host cache",
                Box::new(|| {
                    let loaded = cache.load_or_compile(&engine, &bytes).expect("load");
                    assert_eq!(loaded.origin, Origin::Cache);
                }),
            ),
            (
                "deserialize_file",
                Box::new(|| {
                    // SAFETY: written by `Component::serialize` on this engine just above.
                    unsafe { Component::deserialize_file(&engine, &entry) }.expect("deserialize");
                }),
            ),
        ];
        let batch_of = |calls| Batch {
            calls,
            max_time: Duration::from_secs(2),
        };
        // One or two compiles a round; up to 50 loads.
        let batches = [
            batch_of(if big { 1 } else { 2 }),
            batch_of(50),
            batch_of(50),
        ];
        let samples = interleave_with(rounds, &batches, false, &mut contenders);
        let (compile, host, raw) = (&samples[0], &samples[1], &samples[2]);
        let ratio = ratio_of_rounds(compile, host);
        report.add(Entry {
            figure: 1,
            what: &what,
            measured: format!(
                "{} KB: compile {}, host cached load {}, `deserialize_file` {}",
                bytes.len() / 1024,
                us(compile.p50()),
                us(host.p50()),
                us(raw.p50())
            ),
            ratio_of: "compile / host cached load",
            ratio,
            target: Target::AtLeast(300.0),
            if_missed: "the host's cache hit hashes the component (its key) and the whole compiled artifact (its checksum) before the mmap load",
            data: json!({
                "bytes": bytes.len(),
                "compile_us": compile.p50(),
                "host_cached_load_us": host.p50(),
                "deserialize_file_us": raw.p50(),
                "compile_over_deserialize_file": ratio_of_rounds(compile, raw),
            }),
        });
    }
    Ok(())
}
