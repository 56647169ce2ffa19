//! A real Prometheus server (Debian's `prometheus`, installed by
//! `scripts/test-services.sh`) scrapes a real `connector-host run` on
//! 127.0.0.1 every second, and its query API answers with the host's
//! counters: the target is up and the trigger's three polls are there.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::metrics::metrics_addr;
use crate::triggers_support::*;

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Asks Prometheus for `query`; the first result's value, if any.
fn query(prometheus: SocketAddr, query: &str) -> Option<String> {
    // Not listening yet: no answer (http_request would panic).
    std::net::TcpStream::connect(prometheus).ok()?;
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (status, body) = http_request(
        prometheus,
        "GET",
        &format!("/api/v1/query?query={encoded}"),
        b"",
    );
    if status != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1]
        .as_str()
        .map(str::to_string)
}

#[test]
fn prometheus_scrapes_the_host() {
    assert!(
        std::path::Path::new(PROMETHEUS).exists(),
        "{PROMETHEUS} is missing; install it with `sh scripts/test-services.sh` (apt-get install -y prometheus)"
    );
    let h = HostDir::new(
        "metrics-prometheus",
        r#"
[metrics]
listen = "127.0.0.1:0"

[[connector]]
name = "source"
component = "@SOURCE@"

[[connection]]
name = "src"
connector = "source"

[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = { batch = 2, total = 6 }
recurrence = "1h"
"#,
    );
    let mut host = h.spawn_run(&[]);
    let target = metrics_addr(&h);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let web: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = h.dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: connector-host\n    static_configs:\n      - targets: [\"{target}\"]\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(h.dir.join("prometheus.log")).unwrap();
    let mut prometheus = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            h.dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    let polls = "connector_host_trigger_polls_total{trigger=\"seq\",outcome=\"ok\"}";
    let mut seen = None;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until(
            Duration::from_secs(90),
            "Prometheus to have scraped 3 polls",
            || {
                seen = query(web, polls);
                seen.as_deref() == Some("3")
            },
        );
        assert_eq!(
            query(web, "up{job=\"connector-host\"}").as_deref(),
            Some("1")
        );
        let calls = query(
            web,
            "sum(connector_host_calls_total{connector=\"source\",outcome=\"ok\"})",
        );
        assert_eq!(calls.as_deref(), Some("3"));
    }));
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    sigterm(&host);
    wait_exit(&mut host, Duration::from_secs(20));
    if let Err(e) = result {
        let log = std::fs::read_to_string(h.dir.join("prometheus.log")).unwrap_or_default();
        eprintln!("last answer {seen:?}; prometheus log:\n{log}");
        std::panic::resume_unwind(e);
    }
}
