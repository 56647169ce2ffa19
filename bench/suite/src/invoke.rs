//! Figures 2-5: one invoke through the host's public API against raw
//! wasmtime doing the same call with the same `Config`, fresh and live,
//! from one and two threads, with and without fuel and epoch checks.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use connector_host::connector::Reuse;
use connector_host::engine::{self, EngineOptions, PoolingOptions};
use connector_host::{Connection, Connector, ConnectorOptions, Json, Runtime, RuntimeOptions};
use serde_json::{Value, json};

use crate::Ctx;
use crate::raw::Raw;
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, Samples, interleave, load_average, median, ratio_of_rounds, throughput};

/// A JSON input of about `bytes` bytes: a list of orders, as a workflow
/// step would pass (see `bench_transform::sample_input`).
pub fn input_of(bytes: usize) -> (Value, String) {
    let orders = (bytes / 190).max(1);
    let text = bench_transform::sample_input(orders);
    (serde_json::from_str(&text).unwrap(), text)
}

/// The host with `engine` options, and the bench connector loaded into it.
pub fn host(ctx: &Ctx, engine: EngineOptions) -> Result<(Runtime, Arc<Connector>)> {
    host_with(ctx, engine, ConnectorOptions::default())
}

/// The host with `engine` options, and the bench connector loaded into it
/// with `options`.
pub fn host_with(
    ctx: &Ctx,
    engine: EngineOptions,
    options: ConnectorOptions,
) -> Result<(Runtime, Arc<Connector>)> {
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(ctx.out.join("cache")),
        engine,
        ..RuntimeOptions::default()
    })?;
    let connector = runtime.load(&ctx.bench_guest()?, options)?;
    Ok((runtime, Arc::new(connector)))
}

/// The bench connector with live instances (the opt-in reuse mode), one
/// idle instance per thread that calls it.
pub fn live_options() -> ConnectorOptions {
    ConnectorOptions {
        reuse: Some(Reuse {
            max_idle: 4,
            max_calls: u32::MAX,
        }),
        ..ConnectorOptions::default()
    }
}

/// The host's defaults with the pooling allocator turned off: on-demand
/// (mmap) allocation of every instance.
pub fn on_demand() -> EngineOptions {
    EngineOptions {
        pooling: None,
        ..EngineOptions::default()
    }
}

/// The best raw settings found: the pooling allocator with keep-resident and
/// `pagemap_scan`, `concurrency_support(false)`, fuel and epoch as the host
/// needs them. This is what the host's defaults are.
pub fn best() -> EngineOptions {
    EngineOptions {
        pooling: Some(PoolingOptions::default()),
        ..EngineOptions::default()
    }
}

/// A raw side for `options`' `Config`.
pub fn raw(path: &Path, options: &EngineOptions) -> Result<Raw> {
    Raw::new(&engine::config_for(options), path, options.fuel, true)
}

/// A host invoke with JSON text in and out (`Connector::invoke_json`): the
/// path of a caller that holds JSON text (a request body, another step's
/// output), and the host's fastest.
fn host_call<'a>(c: &'a Connector, input: &'a Json) -> Box<dyn FnMut() + 'a> {
    let conn = Connection::new();
    Box::new(move || {
        let r = c.invoke_json("echo", &conn, input).expect("host invoke");
        std::hint::black_box(r);
    })
}

/// A host invoke with a `Value` in (`Connector::invoke`): the input is
/// checked as a `Value` and serialised to text for the connector.
fn host_value_call<'a>(c: &'a Connector, input: &'a Value) -> Box<dyn FnMut() + 'a> {
    let conn = Connection::new();
    Box::new(move || {
        let r = c.invoke("echo", &conn, input).expect("host invoke");
        std::hint::black_box(r);
    })
}

pub fn figures_2_to_5(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let path = ctx.bench_guest()?;
    let (_rt, host_default) = host(ctx, EngineOptions::default())?;
    let (_rt_od, host_od) = host(ctx, on_demand())?;
    let (_rt_live, host_live) = host_with(ctx, EngineOptions::default(), live_options())?;
    let raw_same = raw(&path, &EngineOptions::default())?;
    let raw_od = raw(&path, &on_demand())?;
    let raw_best = raw(&path, &best())?;
    let rounds = ctx.rounds();

    // Figure 2, 1 KB.
    let (small_value, small_text) = input_of(1024);
    let small = Json::from_text(small_text.clone())?;
    let batch = Batch {
        calls: 400,
        max_time: ctx.time(Duration::from_millis(400)),
    };
    let s = interleave(
        rounds,
        batch,
        &mut [
            ("host", host_call(&host_default, &small)),
            (
                "raw",
                Box::new(|| {
                    raw_same.fresh_invoke("echo", &small_text);
                }),
            ),
            (
                "raw best",
                Box::new(|| {
                    raw_best.fresh_invoke("echo", &small_text);
                }),
            ),
            ("host on-demand", host_call(&host_od, &small)),
            (
                "raw on-demand",
                Box::new(|| {
                    raw_od.fresh_invoke("echo", &small_text);
                }),
            ),
            ("json", Box::new(|| json_work(&small, &small_text))),
            ("host value", host_value_call(&host_default, &small_value)),
        ],
    );
    let (host_s, raw_s, best_s, od_s, raw_od_s) = (&s[0], &s[1], &s[2], &s[3], &s[4]);
    let (json_s, value_s) = (&s[5], &s[6]);
    let pct = |x: &Samples| format!("p50 {} p99 {}", us(x.p50()), us(x.p99()));
    let data = |x: &Samples| json!({"p50_us": x.p50(), "p99_us": x.p99(), "calls": x.all_us.len()});
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 KB JSON: host (JSON text in and out, `invoke_json`) vs raw wasmtime, same settings",
        measured: format!("host {}; raw {}", pct(host_s), pct(raw_s)),
        ratio_of: "host / raw (p50)",
        ratio: ratio_of_rounds(host_s, raw_s),
        target: Target::AtMost(1.15),
        if_missed: "the contract's check of the output's JSON syntax (next row) and the per-call store set-up (WASI context, pipes, outbound policy, limiter) that raw wasmtime does not do",
        data: json!({"host": data(host_s), "raw": data(raw_s), "p99_ratio": host_s.p99() / raw_s.p99()}),
    });
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 KB JSON: host with a `Value` in (`invoke`: checked as a `Value`, serialised) vs raw wasmtime",
        measured: format!("host {}; raw {}", pct(value_s), pct(raw_s)),
        ratio_of: "host / raw (p50)",
        ratio: ratio_of_rounds(value_s, raw_s),
        target: Target::None,
        if_missed: "",
        data: json!({"host_value": data(value_s), "raw": data(raw_s), "value_over_text": ratio_of_rounds(value_s, host_s)}),
    });
    let json_part = json_s.p50() / host_s.p50();
    report.add(Entry {
        figure: 2,
        what: "the same, less the contract's JSON work (check the output's syntax: what raw does not do)",
        measured: format!(
            "JSON work {} ({:.0}% of the host's call)",
            us(json_s.p50()),
            json_part * 100.0
        ),
        ratio_of: "(host - JSON work) / raw",
        ratio: (host_s.p50() - json_s.p50()) / raw_s.p50(),
        target: Target::AtMost(1.15),
        if_missed: "per-call set-up of the store (WASI context, pipes, outbound policy, limiter)",
        data: json!({"json_us": json_s.p50()}),
    });
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 KB: host defaults vs best raw settings (pooling, keep-resident, pagemap_scan)",
        measured: format!("host {}; raw best {}", pct(host_s), pct(best_s)),
        ratio_of: "host default / raw best",
        ratio: ratio_of_rounds(host_s, best_s),
        target: Target::AtMost(1.2),
        if_missed: "the best raw settings are the host's defaults: the difference is the host's per-call work, mostly the contract's JSON work (row above)",
        data: json!({"host": data(host_s), "raw_best": data(best_s)}),
    });
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 KB: host vs raw, both with on-demand allocation (the pooling allocator off)",
        measured: format!("host {}; raw {}", pct(od_s), pct(raw_od_s)),
        ratio_of: "host / raw",
        ratio: ratio_of_rounds(od_s, raw_od_s),
        target: Target::AtMost(1.15),
        if_missed: "the host's per-call work, mostly the contract's JSON work, on top of a slower (on-demand) instantiation",
        data: json!({"host": data(od_s), "raw": data(raw_od_s), "host_on_demand_over_host_pooling": ratio_of_rounds(od_s, host_s)}),
    });

    // Figure 2, 1 MB, and the floor of a 1 MB round trip.
    let (big_value, big_text) = input_of(1 << 20);
    let big = Json::from_text(big_text.clone())?;
    let big_batch = Batch {
        calls: 40,
        max_time: ctx.time(Duration::from_millis(600)),
    };
    let mut live_same = raw_same.live();
    let floor = Floor::new(big_text.len());
    let s = interleave(
        rounds,
        big_batch,
        &mut [
            ("host", host_call(&host_default, &big)),
            (
                "raw",
                Box::new(|| {
                    raw_same.fresh_invoke("echo", &big_text);
                }),
            ),
            (
                "raw live",
                Box::new(|| {
                    live_same.invoke("echo", &big_text);
                }),
            ),
            ("floor", Box::new(|| floor.run(big_text.as_bytes()))),
            ("host value", host_value_call(&host_default, &big_value)),
            ("json", Box::new(|| json_work(&big, &big_text))),
        ],
    );
    let (host_b, raw_b, live_b, floor_b) = (&s[0], &s[1], &s[2], &s[3]);
    let (value_b, json_b) = (&s[4], &s[5]);
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 MB JSON: host (JSON text in and out, `invoke_json`) vs raw wasmtime, same settings",
        measured: format!(
            "host {}; raw {}; the host's JSON work alone (check the output's syntax) {}",
            pct(host_b),
            pct(raw_b),
            us(json_b.p50())
        ),
        ratio_of: "host / raw (p50)",
        ratio: ratio_of_rounds(host_b, raw_b),
        target: Target::AtMost(1.15),
        if_missed: "the host checks that the output is JSON (one pass over 1 MB with serde_json, about 1.2 GB/s) and fits the output schema; raw wasmtime moves the bytes only",
        data: json!({"host": data(host_b), "raw": data(raw_b), "json_us": json_b.p50(), "bytes": big_text.len()}),
    });
    report.add(Entry {
        figure: 2,
        what: "fresh-instance invoke, 1 MB JSON: host with a `Value` in (`invoke`) vs raw wasmtime",
        measured: format!("host {}; raw {}", pct(value_b), pct(raw_b)),
        ratio_of: "host / raw (p50)",
        ratio: ratio_of_rounds(value_b, raw_b),
        target: Target::None,
        if_missed: "",
        data: json!({"host_value": data(value_b), "raw": data(raw_b), "value_over_text": ratio_of_rounds(value_b, host_b)}),
    });
    let mb = big_text.len() as f64 / (1 << 20) as f64;
    report.add(Entry {
        figure: 2,
        what: "1 MB round trip (echo) through the host vs the floor (two copies + one UTF-8 check)",
        measured: format!("host {} ({:.0} MiB/s); floor {}", us(host_b.p50()), mb / host_b.p50() * 1e6, us(floor_b.p50())),
        ratio_of: "host / floor",
        ratio: ratio_of_rounds(host_b, floor_b),
        target: Target::AtMost(1.3),
        if_missed: "the host checks the output's JSON syntax (a pass that costs about fifteen times the floor's three); raw wasmtime is the row below",
        data: json!({"host_us": host_b.p50(), "floor_us": floor_b.p50()}),
    });
    report.add(Entry {
        figure: 2,
        what: "1 MB round trip (echo) into a live instance, raw wasmtime vs the floor",
        measured: format!("raw live {} ({:.0} MiB/s); floor {}", us(live_b.p50()), mb / live_b.p50() * 1e6, us(floor_b.p50())),
        ratio_of: "raw live / floor",
        ratio: ratio_of_rounds(live_b, floor_b),
        target: Target::AtMost(1.3),
        if_missed: "the canonical ABI's own copies plus the guest's realloc of the 1 MB argument (memory growth in a fresh region)",
        data: json!({"raw_live_us": live_b.p50(), "floor_us": floor_b.p50()}),
    });
    drop(live_same);

    // Figure 3: a live instance.
    let mut live = raw_same.live();
    let mut live_best = raw_best.live();
    let s = interleave(
        rounds,
        Batch {
            calls: 2000,
            max_time: ctx.time(Duration::from_millis(200)),
        },
        &mut [
            ("host live", host_call(&host_live, &small)),
            (
                "raw live",
                Box::new(|| {
                    live.invoke("echo", &small_text);
                }),
            ),
            (
                "raw best live",
                Box::new(|| {
                    live_best.invoke("echo", &small_text);
                }),
            ),
            ("json", Box::new(|| json_work(&small, &small_text))),
        ],
    );
    let (host_l, raw_l, json_l) = (&s[0], &s[1], &s[3]);
    report.add(Entry {
        figure: 3,
        what: "invoke into a live instance, 1 KB: host (opt-in reuse, `invoke_json`) vs raw wasmtime live, same settings",
        measured: format!(
            "host live {}; raw live {}; raw best live p50 {}; the host's fresh-instance invoke is {:.0}x its live one",
            pct(host_l),
            pct(raw_l),
            us(s[2].p50()),
            host_s.p50() / host_l.p50()
        ),
        ratio_of: "host / raw (p50)",
        ratio: ratio_of_rounds(host_l, raw_l),
        target: Target::AtMost(1.15),
        if_missed: "per call the host re-arms the store (outbound policy, limiter), resolves the connection and its redactor, looks up its live instance and checks the output's syntax (next row); raw wasmtime only moves the strings",
        data: json!({"host_live": data(host_l), "raw_live": data(raw_l), "raw_best_live_us": s[2].p50()}),
    });
    report.add(Entry {
        figure: 3,
        what: "the same, less the contract's JSON work (check the output's syntax)",
        measured: format!("JSON work {}", us(json_l.p50())),
        ratio_of: "(host live - JSON work) / raw live",
        ratio: (host_l.p50() - json_l.p50()) / raw_l.p50(),
        target: Target::AtMost(1.15),
        if_missed: "per-call re-arming of the store and the live-instance bookkeeping",
        data: json!({"json_us": json_l.p50()}),
    });
    drop((live, live_best));

    // Figure 4: invokes per second from one and two threads.
    let threads_round = ctx.time(Duration::from_millis(800));
    let scaling = |make: &MakeCall<'_>| scaling(rounds.min(5), threads_round, make);
    let cases: [(&str, Box<MakeCall<'_>>, Target, &str); 5] = [
        (
            "host, fresh instance per call (default settings: pooling)",
            Box::new(|| host_call(&host_default, &small)),
            Target::AtLeast(1.5),
            "two mprotect calls per call (the guest's first memory.grow, and the slot shrunk back at the next instantiation): each a TLB shootdown that stalls the other core; and no free second core (see the load average)",
        ),
        (
            "host, fresh instance per call (on-demand allocation)",
            Box::new(|| host_call(&host_od, &small)),
            Target::AtLeast(1.5),
            "every instance maps and unmaps its memory (mmap/munmap, page faults): the process's mm lock and TLB shootdowns serialise the threads; and no free second core (see the load average)",
        ),
        (
            "host, live instances (opt-in reuse; warm invokes)",
            Box::new(|| host_call(&host_live, &small)),
            Target::AtLeast(1.8),
            "the two threads share the engine's epoch and pool state and the connector's concurrency gate and metrics (the idle instances are in per-thread slots, each with its own lock); and no free second core (see the load average)",
        ),
        (
            "raw wasmtime, fresh instance per call (same settings as the host)",
            Box::new(|| {
                let r = &raw_same;
                let t = &small_text;
                Box::new(move || {
                    r.fresh_invoke("echo", t);
                })
            }),
            Target::None,
            "",
        ),
        (
            "raw wasmtime, live instance (warm invokes)",
            Box::new(|| {
                let mut l = raw_same.live();
                let t = &small_text;
                Box::new(move || {
                    l.invoke("echo", t);
                })
            }),
            Target::AtLeast(1.8),
            "no free second core: warm calls make no syscalls, so they scale only as far as the machine lets them (see the load average; 1.95 in a quieter run)",
        ),
    ];
    for (what, make, target, why) in cases {
        let load = load_average();
        let (one, two, ratio) = scaling(&*make);
        report.add(Entry {
            figure: 4,
            what: &format!("invokes/s with 2 threads vs 1: {what}"),
            measured: format!("1 thread {one:.0}/s; 2 threads {two:.0}/s; load average {load:.1} on 2 cores before"),
            ratio_of: "2 threads / 1 thread",
            ratio,
            target,
            if_missed: why,
            data: json!({"one_thread_per_s": one, "two_threads_per_s": two}),
        });
    }

    // Figure 5: fuel and epoch checks, on JSON work (the transform).
    figure5(ctx, report, &path)?;
    Ok(())
}

/// The JSON work `invoke_json` does on every call and raw wasmtime does
/// not, for the echo (whose schemas read only the root's type): the
/// output's syntax checked. (The input is no longer copied for the
/// binding; the copy here stands for the output's lift, which raw wasmtime
/// makes too.)
fn json_work(_input: &Json, output_text: &str) {
    let body = Json::from_text(output_text.to_owned()).unwrap();
    std::hint::black_box(body);
}

/// Makes the call one thread repeats (each thread its own).
pub(crate) type MakeCall<'a> = dyn Fn() -> Box<dyn FnMut() + 'a> + Sync + 'a;

/// Calls per second from one and from two threads, in alternating rounds:
/// the medians and the median of the per-round ratios.
pub(crate) fn scaling(rounds: usize, each: Duration, make: &MakeCall<'_>) -> (f64, f64, f64) {
    let (mut one, mut two, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (a, b) = if round % 2 == 0 {
            let a = throughput(1, each, make);
            (a, throughput(2, each, make))
        } else {
            let b = throughput(2, each, make);
            (throughput(1, each, make), b)
        };
        one.push(a);
        two.push(b);
        ratios.push(b / a);
    }
    (median(&one), median(&two), median(&ratios))
}

/// The floor of a round trip of `n` bytes of text: copy in, copy out, one
/// UTF-8 check, into buffers that are already resident.
struct Floor {
    bufs: std::cell::RefCell<(Vec<u8>, Vec<u8>)>,
}

impl Floor {
    fn new(n: usize) -> Self {
        Self {
            bufs: std::cell::RefCell::new((vec![1; n], vec![1; n])),
        }
    }

    fn run(&self, src: &[u8]) {
        let mut bufs = self.bufs.borrow_mut();
        let (a, b) = &mut *bufs;
        a.copy_from_slice(src);
        std::str::from_utf8(a).expect("utf-8");
        b.copy_from_slice(a);
        std::hint::black_box(b);
    }
}

fn figure5(ctx: &Ctx, report: &mut Report, path: &Path) -> Result<()> {
    let text = bench_transform::sample_input(200);
    let input: Value = serde_json::from_str(&text)?;
    let config = |fuel: bool, epoch: bool| {
        let mut c = engine::config_for(&EngineOptions {
            fuel,
            pooling: None,
            ..EngineOptions::default()
        });
        c.epoch_interruption(epoch);
        c
    };
    let none = Raw::new(&config(false, false), path, false, false)?;
    let fuel = Raw::new(&config(true, false), path, true, false)?;
    let epoch = Raw::new(&config(false, true), path, false, true)?;
    let both = Raw::new(&config(true, true), path, true, true)?;
    let (mut l_none, mut l_fuel, mut l_epoch, mut l_both) =
        (none.live(), fuel.live(), epoch.live(), both.live());
    let (_rt, host_default) = host(ctx, EngineOptions::default())?;
    let (_rt2, host_epoch) = host(
        ctx,
        EngineOptions {
            fuel: false,
            ..EngineOptions::default()
        },
    )?;
    let conn = Connection::new();
    let s = interleave(
        ctx.rounds(),
        Batch {
            calls: 100,
            max_time: ctx.time(Duration::from_millis(300)),
        },
        &mut [
            (
                "none",
                Box::new(|| {
                    l_none.invoke("transform", &text);
                }),
            ),
            (
                "fuel",
                Box::new(|| {
                    l_fuel.invoke("transform", &text);
                }),
            ),
            (
                "epoch",
                Box::new(|| {
                    l_epoch.invoke("transform", &text);
                }),
            ),
            (
                "both",
                Box::new(|| {
                    l_both.invoke("transform", &text);
                }),
            ),
            (
                "host",
                Box::new(|| {
                    host_default.invoke("transform", &conn, &input).unwrap();
                }),
            ),
            (
                "host epoch-only",
                Box::new(|| {
                    host_epoch.invoke("transform", &conn, &input).unwrap();
                }),
            ),
        ],
    );
    let raw_fuel = ratio_of_rounds(&s[3], &s[2]);
    let host_fuel = ratio_of_rounds(&s[4], &s[5]);
    report.add(Entry {
        figure: 5,
        what: "fuel on vs off, raw wasmtime, JSON transform (epoch on in both)",
        measured: format!("fuel+epoch {}; epoch only {}; fuel only {}; neither {}", us(s[3].p50()), us(s[2].p50()), us(s[1].p50()), us(s[0].p50())),
        ratio_of: "fuel+epoch / epoch only",
        ratio: raw_fuel,
        target: Target::None,
        if_missed: "",
        data: json!({"none_us": s[0].p50(), "fuel_us": s[1].p50(), "epoch_us": s[2].p50(), "both_us": s[3].p50(), "fuel_only_over_none": ratio_of_rounds(&s[1], &s[0])}),
    });
    report.add(Entry {
        figure: 5,
        what: "epoch checks on vs off, raw wasmtime, JSON transform (fuel off)",
        measured: format!("epoch {}; neither {}", us(s[2].p50()), us(s[0].p50())),
        ratio_of: "epoch / neither",
        ratio: ratio_of_rounds(&s[2], &s[0]),
        target: Target::None,
        if_missed: "",
        data: json!({}),
    });
    report.add(Entry {
        figure: 5,
        what: "fuel overhead in the host (default vs its epoch-only mode, fresh instance) over raw wasmtime's own",
        measured: format!("host default {}; host epoch-only {}; host fuel ratio {host_fuel:.2}, raw {raw_fuel:.2}", us(s[4].p50()), us(s[5].p50())),
        ratio_of: "host fuel ratio / raw fuel ratio",
        ratio: host_fuel / raw_fuel,
        target: Target::AtMost(1.0),
        if_missed: "within noise: the host adds no fuel work of its own (one `set_fuel` per call); its ratio is diluted by the fixed per-call cost",
        data: json!({"host_default_us": s[4].p50(), "host_epoch_only_us": s[5].p50(), "host_fuel_ratio": host_fuel, "raw_fuel_ratio": raw_fuel}),
    });
    Ok(())
}

/// `CONNECTOR_BENCH_LOOP=BYTES:SECONDS[:mmap]`: host invokes in a loop, for
/// a profiler.
pub fn profile_loop(ctx: &Ctx, spec: &str) -> Result<()> {
    let parts: Vec<&str> = spec.split(':').collect();
    let bytes: usize = parts.first().and_then(|b| b.parse().ok()).unwrap_or(1024);
    let seconds: f64 = parts.get(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let options = if parts.contains(&"mmap") {
        on_demand()
    } else {
        EngineOptions::default()
    };
    let connector_options = if parts.contains(&"live") {
        live_options()
    } else {
        ConnectorOptions::default()
    };
    let (_rt, connector) = host_with(ctx, options, connector_options)?;
    let (value, text) = input_of(bytes);
    let input = Json::from_text(text)?;
    let mut call = if parts.contains(&"value") {
        host_value_call(&connector, &value)
    } else {
        host_call(&connector, &input)
    };
    let start = std::time::Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        call();
        n += 1;
    }
    println!(
        "{n} calls, {:.1} µs each",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}
