//! The benchmark suite behind `make bench`: the nine figures of issue 6,
//! each measured side by side with what it is compared to, in interleaved
//! rounds, and reported as a ratio against a target.
//!
//! Writes `target/bench/results.json` and the results block of
//! `BENCHMARKS.md` (between its `results:start` and `results:end` markers).
//! Never part of `make test`; every loop is bounded in count and time.
//!
//! Environment:
//! - `CONNECTOR_BENCH_FIGURES=2,4`: run only these figures (2 runs 2-5);
//! - `CONNECTOR_BENCH_QUICK=1`: fewer, shorter rounds (a smoke run);
//! - `CONNECTOR_BENCH_EXTRA_GUESTS=a.wasm:b.wasm`: more components for figure 1;
//! - `CONNECTOR_BENCH_PEER=path`: the Extism peer binary for figure 7
//!   (default `target/release/extism-peer`);
//! - `CONNECTOR_BENCH_LOOP=BYTES:SECONDS[:mmap][:value][:live]`: no figures;
//!   host `echo` invokes of BYTES of JSON in a loop for SECONDS (`mmap`:
//!   pooling off; `value`: through `invoke` with a `Value`, not
//!   `invoke_json`; `live`: with live instances), to profile with `perf record`.

mod compile;
mod import;
mod invoke;
mod memory;
mod observe;
mod peer;
mod pool;
mod raw;
mod report;
mod server;
mod signed;
mod stats;
mod transform;
mod triggers;
mod webhooks;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use report::Report;

/// Where things are, and how long to measure.
pub struct Ctx {
    /// The repository root.
    pub repo: PathBuf,
    /// `target/bench`: scratch space and results.
    pub out: PathBuf,
    /// A smoke run: fewer, shorter rounds.
    pub quick: bool,
}

impl Ctx {
    /// A built component under `target/wasm32-wasip2/release`.
    pub fn guest(&self, name: &str) -> PathBuf {
        self.repo
            .join("target/wasm32-wasip2/release")
            .join(format!("{name}.wasm"))
    }

    /// The bench connector, which must be built.
    pub fn bench_guest(&self) -> Result<PathBuf> {
        let path = self.guest("test_bench");
        anyhow::ensure!(
            path.exists(),
            "{} is not built; run `make bench` (or `make guests`)",
            path.display()
        );
        Ok(path)
    }

    /// Rounds for the per-call figures.
    pub fn rounds(&self) -> usize {
        if self.quick { 3 } else { 9 }
    }

    /// Scales a duration down for a quick run.
    pub fn time(&self, full: Duration) -> Duration {
        if self.quick { full / 4 } else { full }
    }

    /// A fresh scratch directory `target/bench/<name>`.
    pub fn scratch(&self, name: &str) -> Result<PathBuf> {
        let dir = self.out.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }
}

fn main() -> Result<()> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.canonicalize().unwrap_or(repo);
    let ctx = Ctx {
        out: repo.join("target/bench"),
        repo,
        quick: std::env::var_os("CONNECTOR_BENCH_QUICK").is_some_and(|v| v != "0"),
    };
    std::fs::create_dir_all(&ctx.out)?;
    if let Ok(spec) = std::env::var("CONNECTOR_BENCH_LOOP") {
        return invoke::profile_loop(&ctx, &spec);
    }
    let selected: Option<Vec<u8>> = std::env::var("CONNECTOR_BENCH_FIGURES")
        .ok()
        .map(|s| s.split(',').filter_map(|f| f.trim().parse().ok()).collect());
    let wants = |figure: u8| selected.as_ref().is_none_or(|s| s.contains(&figure));

    let mut report = Report::default();
    type Figure = fn(&Ctx, &mut Report) -> Result<()>;
    // A slice, not an array, so that adding a figure is one line.
    let figures: &[(u8, &str, Figure)] = &[
        (1, "compile versus cached load", compile::figure1),
        (
            2,
            "invokes: fresh and live, host and raw, threads, fuel and epoch",
            invoke::figures_2_to_5,
        ),
        (
            6,
            "JSON transform, component versus native",
            transform::figure6,
        ),
        (7, "the Extism peer", peer::figure7),
        (8, "1,000 polling triggers", triggers::figure8),
        (9, "resident memory", memory::figure9),
        (10, "signed load under a trust policy", signed::figure10),
        (
            11,
            "observability: metrics and traces on versus off",
            observe::figure11,
        ),
        (12, "pooling options, raw wasmtime", pool::figure12),
        (
            13,
            "the server: try it through the API, and the page's weight",
            server::figure13,
        ),
        (
            14,
            "webhook events accepted per second, keep-alive",
            webhooks::figure14,
        ),
        (
            15,
            "import: a 1 MB definition, and an imported call versus tasks",
            import::figure15,
        ),
    ];
    for &(figure, name, run) in figures {
        let covers: &[u8] = if figure == 2 {
            &[2, 3, 4, 5]
        } else {
            &[figure]
        };
        if !covers.iter().any(|f| wants(*f)) {
            continue;
        }
        println!("== figure {figure}: {name}");
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&ctx, &mut report)))
                .unwrap_or_else(|_| Err(anyhow::anyhow!("it panicked (see above)")));
        if let Err(e) = outcome {
            println!("figure {figure} failed: {e:#}");
            report.not_measured(
                figure,
                name,
                report::Target::None,
                format!("the run failed: {e:#}"),
            );
        }
    }

    let results = serde_json::json!({
        "machine": machine(),
        "quick": ctx.quick,
        "rows": report.rows,
    });
    let json_path = ctx.out.join("results.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&results)?)?;
    println!("wrote {}", json_path.display());
    if selected.is_none() {
        write_benchmarks_md(
            &ctx.repo.join("BENCHMARKS.md"),
            &report,
            &results["machine"],
        )?;
    } else {
        println!("(a selection of figures: BENCHMARKS.md left as it is)");
    }
    Ok(())
}

/// What the numbers were measured on.
fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    serde_json::json!({
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": cpu,
        "kernel": kernel,
        "load_average_at_end": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
    })
}

const START: &str = "<!-- results:start -->";
const END: &str = "<!-- results:end -->";

/// Replaces the results block of `BENCHMARKS.md` (or writes a bare file).
fn write_benchmarks_md(path: &Path, report: &Report, machine: &serde_json::Value) -> Result<()> {
    let block = format!(
        "{START}\n_Latest `make bench`: {} cores ({}), kernel {}, load average at the end {}. \
         Ratios are medians over interleaved rounds; absolute times are for orientation only._\n\n{}{END}",
        machine["cores"],
        machine["cpu"].as_str().unwrap_or(""),
        machine["kernel"].as_str().unwrap_or(""),
        machine["load_average_at_end"].as_str().unwrap_or(""),
        report.markdown()
    );
    let text = match std::fs::read_to_string(path) {
        Ok(old) => match (old.find(START), old.find(END)) {
            (Some(a), Some(b)) if a < b => format!("{}{block}{}", &old[..a], &old[b + END.len()..]),
            _ => format!("{old}\n{block}\n"),
        },
        Err(_) => format!("# Benchmarks\n\n{block}\n"),
    };
    std::fs::write(path, text)?;
    println!("wrote {}", path.display());
    Ok(())
}
