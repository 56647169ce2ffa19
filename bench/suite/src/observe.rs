//! Figure 11 (issue 17): what observability costs a fresh-instance 1 KB
//! invoke. Three contenders, interleaved: metrics off (no observer), metrics
//! on (the connector-metrics observer counting every call), and metrics on
//! with traces exported to an OTLP/HTTP receiver on 127.0.0.1 (a thread of
//! this process that answers 200 to every export). A contender switches
//! the mode on the first call of its batch, so one call in a batch pays
//! for the switch.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use anyhow::Result;
use connector_host::metrics::{calls, telemetry};
use connector_host::{Connection, Json};
use serde_json::json;

use crate::Ctx;
use crate::invoke::{host, input_of};
use crate::report::{Entry, Report, Target, us};
use crate::stats::{Batch, Samples, interleave, ratio_of_rounds};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Off,
    Metrics,
    Traces,
}

/// An OTLP/HTTP receiver that accepts and drops every export (at most
/// 100,000 requests, then it stops answering).
fn sink() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(100_000).flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(clone);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length.min(64 << 20)];
            let _ = reader.read_exact(&mut body);
            let mut stream = stream;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    Ok(url)
}

fn switch(current: &Cell<Mode>, want: Mode) {
    if current.get() == want {
        return;
    }
    match want {
        Mode::Off => calls::uninstall(),
        _ => calls::install(),
    }
    telemetry::set_exporting(want == Mode::Traces);
    current.set(want);
}

/// Figure 11.
pub fn figure11(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let (_rt, connector) = host(ctx, Default::default())?;
    // No log lines: only the OpenTelemetry layer, when exporting.
    telemetry::init_subscriber(tracing_subscriber::EnvFilter::new("off"));
    let url = telemetry::start_otlp(&sink()?)?;
    let (_, text) = input_of(1024);
    let input = Json::from_text(text)?;
    let mode = Cell::new(Mode::Traces);
    let call = |want: Mode| {
        let (mode, connector, input) = (&mode, &connector, &input);
        let conn = Connection::new();
        Box::new(move || {
            switch(mode, want);
            let r = connector
                .invoke_json("echo", &conn, input)
                .expect("host invoke");
            std::hint::black_box(r);
        }) as Box<dyn FnMut() + '_>
    };
    let batch = Batch {
        calls: 400,
        max_time: ctx.time(Duration::from_millis(400)),
    };
    let s = interleave(
        ctx.rounds(),
        batch,
        &mut [
            ("off", call(Mode::Off)),
            ("metrics", call(Mode::Metrics)),
            ("traces", call(Mode::Traces)),
        ],
    );
    switch(&mode, Mode::Off);
    telemetry::flush();
    let (off, on, traced) = (&s[0], &s[1], &s[2]);
    let pct = |x: &Samples| format!("p50 {} p99 {}", us(x.p50()), us(x.p99()));
    let data = |x: &Samples| json!({"p50_us": x.p50(), "p99_us": x.p99(), "calls": x.all_us.len()});
    report.add(Entry {
        figure: 11,
        what: "fresh-instance invoke, 1 KB JSON: metrics on (every call counted: outcome, latency, fuel, memory) vs off",
        measured: format!("on {}; off {}", pct(on), pct(off)),
        ratio_of: "on / off (p50)",
        ratio: ratio_of_rounds(on, off),
        target: Target::AtMost(1.05),
        if_missed: "the label sets built per call (strings for connector and operation) and the histogram updates",
        data: json!({"on": data(on), "off": data(off)}),
    });
    report.add(Entry {
        figure: 11,
        what: "fresh-instance invoke, 1 KB JSON: metrics and OTLP traces on (a span per call, exported in batches to a receiver on 127.0.0.1) vs off",
        measured: format!("traced {}; off {}", pct(traced), pct(off)),
        ratio_of: "traced / off (p50)",
        ratio: ratio_of_rounds(traced, off),
        target: Target::AtMost(1.10),
        if_missed: "building the OpenTelemetry span (attributes, ids) and handing it to the batch processor on every call",
        data: json!({"traced": data(traced), "off": data(off), "endpoint": url}),
    });
    Ok(())
}
