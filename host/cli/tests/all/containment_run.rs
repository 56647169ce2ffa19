//! Containment under `run` (issue 11): a SIGTERM while a guest waits inside
//! a host call stops the host cleanly (no panic), and `run --once` with a
//! trigger stuck in a host call exits once the call's deadline passes.

use std::time::{Duration, Instant};

use crate::triggers_support::*;

const SOURCE: &str = r#"
[host]
shutdown_grace = "200ms"

[[connector]]
name = "source"
component = "@SOURCE@"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"
"#;

#[test]
fn sigterm_while_a_guest_sleeps_in_a_host_call_does_not_panic() {
    let h = HostDir::new(
        "contain-sigterm",
        &format!(
            r#"{SOURCE}
[[trigger]]
name = "sleepy"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 10, drain = false, counter = "/scratch/sleepy", sleep_ms = 8000 }}
recurrence = "1h"
"#
        ),
    );
    let mut child = h.spawn_run(&[]);
    wait_until(Duration::from_secs(20), "the first poll to start", || {
        h.counter("sleepy") == 1
    });
    let stopping = Instant::now();
    sigterm(&child);
    let code = wait_exit(&mut child, Duration::from_secs(10));
    let log = h.log();
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert!(stopping.elapsed() < Duration::from_secs(5), "{log}");
}

#[test]
fn sigterm_during_run_once_does_not_panic() {
    let h = HostDir::new(
        "contain-sigterm-once",
        &format!(
            r#"{SOURCE}
[[trigger]]
name = "sleepy"
connection = "src"
operation = "sequence"
input = {{ batch = 1, total = 10, drain = false, counter = "/scratch/sleepy", sleep_ms = 8000 }}
recurrence = "1h"
"#
        ),
    );
    let mut child = h.spawn_run(&["--once"]);
    wait_until(Duration::from_secs(20), "the poll to start", || {
        h.counter("sleepy") == 1
    });
    sigterm(&child);
    let _ = wait_exit(&mut child, Duration::from_secs(10));
    let log = h.log();
    assert!(!log.contains("panicked"), "{log}");
}
