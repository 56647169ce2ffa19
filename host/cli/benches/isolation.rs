//! Isolation: does a well-behaved connector keep answering, and how fast,
//! while hostile connectors run beside it in the same host process?
//!
//! Measures the p50/p99 latency of a well-behaved invoke alone, then again
//! while one thread keeps calling hostile operations (loops, memory bombs,
//! panics, stack overflows, huge outputs, log floods, stuck sleeps), and
//! reports the ratio. Also counts hostile behaviours contained: each must
//! end in its own typed error (or a normal answer for the log flood) with
//! the well-behaved connector answering right after. Bounded in count and
//! time; results go to stdout and `target/bench/isolation.json`.
//!
//! Run: `make bench` (or `cargo bench --profile release -p connector-host --bench isolation`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use connector_host::{
    CallError, Connection, Connector, ConnectorOptions, LimitKind, Limits, Runtime, RuntimeOptions,
    TrapKind,
};
use serde_json::{Value, json};

fn guest(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is not built; run `make guests`",
        path.display()
    );
    path
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Latencies of `n` well-behaved calls (bounded by `max_time`).
fn measure(data: &Connector, n: usize, max_time: Duration) -> Vec<Duration> {
    let input = json!({"text": "x".repeat(1024), "algorithm": "sha256"});
    let conn = Connection::new();
    let start = Instant::now();
    let mut v = Vec::with_capacity(n);
    while v.len() < n && start.elapsed() < max_time {
        let t = Instant::now();
        data.invoke("hash", &conn, &input)
            .expect("well-behaved call");
        v.push(t.elapsed());
    }
    v.sort();
    v
}

/// The hostile behaviours and the error each must end in.
fn expected(op: &str, result: &Result<connector_host::Response, CallError>) -> bool {
    matches!(
        (op, result),
        (
            "spin",
            Err(CallError::Limit {
                limit: LimitKind::Fuel | LimitKind::Time,
                ..
            })
        ) | (
            "grow-memory",
            Err(CallError::Limit {
                limit: LimitKind::Memory,
                ..
            })
        ) | (
            "recurse",
            Err(CallError::Trap {
                kind: TrapKind::StackOverflow,
                ..
            })
        ) | (
            "panic",
            Err(CallError::Trap {
                kind: TrapKind::Panic(_),
                ..
            })
        ) | (
            "huge-output",
            Err(CallError::Limit {
                limit: LimitKind::Output | LimitKind::Memory,
                ..
            })
        ) | (
            "invalid-json" | "wrong-shape" | "invalid-utf8",
            Err(CallError::BadOutput { .. })
        ) | (
            "sleep",
            Err(CallError::Limit {
                limit: LimitKind::Time,
                ..
            })
        ) | ("log-flood", Ok(_))
    )
}

const HOSTILE: &[&str] = &[
    "spin",
    "grow-memory",
    "recurse",
    "panic",
    "huge-output",
    "invalid-json",
    "wrong-shape",
    "invalid-utf8",
    "sleep",
    "log-flood",
];

fn main() {
    let rt = Runtime::new(RuntimeOptions::default()).expect("runtime");
    let data = rt
        .load(&guest("example_data"), ConnectorOptions::default())
        .expect("data");
    let hostile_limits = Limits {
        fuel: Some(200_000_000),
        timeout: Duration::from_millis(200),
        max_memory_bytes: 64 << 20,
        ..Limits::default()
    };
    let hostile = Arc::new(
        rt.load(
            &guest("test_hostile"),
            ConnectorOptions {
                limits: hostile_limits,
                ..ConnectorOptions::default()
            },
        )
        .expect("hostile"),
    );

    // Containment: every behaviour once, the well-behaved connector right after.
    let mut contained = 0;
    for op in HOSTILE {
        let result = hostile.invoke(op, &Connection::new(), &json!({"seconds": 3600}));
        let ok_after = measure(&data, 1, Duration::from_secs(5)).len() == 1;
        if expected(op, &result) && ok_after {
            contained += 1;
        } else {
            println!("NOT contained: {op}: {:?}", result.map(|r| r.status));
        }
    }

    // Warm up, then alone vs alongside, interleaved in rounds so drift hits both.
    measure(&data, 200, Duration::from_secs(5));
    let rounds = 5;
    let (mut alone, mut beside) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        alone.extend(measure(&data, 400, Duration::from_secs(10)));
        let stop = Arc::new(AtomicBool::new(false));
        let noise = {
            let (hostile, stop) = (hostile.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) && i < 10_000 {
                    let _ = hostile.invoke(
                        HOSTILE[i % HOSTILE.len()],
                        &Connection::new(),
                        &json!({"seconds": 3600}),
                    );
                    i += 1;
                }
                i
            })
        };
        beside.extend(measure(&data, 400, Duration::from_secs(10)));
        stop.store(true, Ordering::Relaxed);
        noise.join().unwrap();
    }
    alone.sort();
    beside.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let (a50, a99, b50, b99) = (
        percentile(&alone, 0.5),
        percentile(&alone, 0.99),
        percentile(&beside, 0.5),
        percentile(&beside, 0.99),
    );
    let report = json!({
        "hostile_contained": contained,
        "hostile_total": HOSTILE.len(),
        "well_behaved_alone_us": {"p50": us(a50), "p99": us(a99), "calls": alone.len()},
        "well_behaved_beside_hostile_us": {"p50": us(b50), "p99": us(b99), "calls": beside.len()},
        "p99_ratio_beside_over_alone": us(b99) / us(a99),
        "p50_ratio_beside_over_alone": us(b50) / us(a50),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    });
    println!(
        "hostile behaviours contained: {contained} of {}",
        HOSTILE.len()
    );
    println!(
        "well-behaved invoke alone:          p50 {:8.1} us  p99 {:8.1} us  ({} calls)",
        us(a50),
        us(a99),
        alone.len()
    );
    println!(
        "well-behaved invoke beside hostile: p50 {:8.1} us  p99 {:8.1} us  ({} calls)",
        us(b50),
        us(b99),
        beside.len()
    );
    println!("p99 ratio (beside / alone): {:.2}", us(b99) / us(a99));
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(
        out.join("isolation.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    );
    let _: Value = report;
}
