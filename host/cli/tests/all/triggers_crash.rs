//! The crash test: `connector-host run` on a source of known items, killed
//! with SIGKILL at random moments and restarted, over and over; then every
//! item must be in the JSON Lines sink (0 lost), each once (0 duplicates).
//!
//! Bounded in kills and wall time. The defaults keep it to seconds in the
//! suite; `scripts/crash-test.sh` runs a longer one through these variables:
//! `CRASH_TEST_ITEMS` (3000), `CRASH_TEST_BATCH` (3), `CRASH_TEST_MAX_KILLS`
//! (80), `CRASH_TEST_SECONDS` (40, for the killing phase), `CRASH_TEST_SEED`
//! (random), `CRASH_TEST_REPORT` (a file to append the figures to).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;
use crate::triggers_support::*;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        })
        .unwrap_or(default)
}

/// A small xorshift generator: kill moments need spread, not quality, and a
/// seed that reproduces a failing run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let total = env_u64("CRASH_TEST_ITEMS", 3000);
    let batch = env_u64("CRASH_TEST_BATCH", 3);
    let max_kills = env_u64("CRASH_TEST_MAX_KILLS", 80);
    let max_wall = Duration::from_secs(env_u64("CRASH_TEST_SECONDS", 40));
    let seed = env_u64(
        "CRASH_TEST_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1,
    );
    let mut rng = Rng(seed | 1);
    let h = HostDir::new(
        "crash",
        &format!(
            r#"
[[connector]]
name = "source"
component = "@SOURCE@"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"

[[trigger]]
name = "seq"
connection = "src"
operation = "sequence"
input = {{ batch = {batch}, total = {total}, counter = "/scratch/polls" }}
recurrence = "50ms"
"#
        ),
    );
    let committed = || h.state("seq").map_or(0, |s| s["next"].as_u64().unwrap());
    // Compile the component into the shared cache first: otherwise every
    // early kill would land in the compiler, and the test would mostly
    // measure how often the host is killed before it is up.
    let warm = cli(&["validate", s(&guest("test_source"))]);
    assert_eq!(warm.code, 0, "{warm:?}");

    // Kill the host at random moments: during start, polls, deliveries, commits.
    let started = Instant::now();
    let (mut kills, mut kills_mid_run) = (0u64, 0u64);
    // Kills that found nothing committed since the spawn in a row: on a
    // loaded machine the host takes longer to start, and kills drawn from
    // the first 220 ms all land before its first commit. Each such miss
    // widens the window by 40 ms (up to 800 ms more), so that kills still
    // land during polls and commits; a hit narrows it again.
    let mut misses = 0u64;
    while kills < max_kills && started.elapsed() < max_wall && committed() < total {
        let before = committed();
        let mut child = h.spawn_run(&[]);
        let spread = 200 + 40 * misses.min(20);
        std::thread::sleep(Duration::from_millis(20 + rng.below(spread)));
        child.kill().expect("SIGKILL the host");
        child.wait().unwrap();
        kills += 1;
        let after = committed();
        if after > before {
            misses = misses.saturating_sub(1);
        } else {
            misses += 1;
        }
        if after > before && after < total {
            kills_mid_run += 1;
        }
    }
    let killing = started.elapsed();

    // Then let one host finish the sequence, and stop it cleanly.
    let starts = || h.log().matches("connector-host: running").count();
    let started_before = starts();
    let mut child = h.spawn_run(&[]);
    wait_until(
        Duration::from_secs(60),
        "the last items to be committed",
        || committed() == total && starts() > started_before,
    );
    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(15)),
        0,
        "{}",
        h.log()
    );

    // Every line must be whole JSON (read_events panics otherwise).
    let events = h.events();
    let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let distinct: HashSet<&str> = ids.iter().copied().collect();
    let expected = items("seq", 0..total);
    let lost: Vec<&String> = expected
        .iter()
        .filter(|id| !distinct.contains(id.as_str()))
        .collect();
    let unexpected = distinct.len() - (expected.len() - lost.len());
    let duplicates = ids.len() - distinct.len();
    let polls = h.counter("polls");
    // Restarts that found events in the sink the store had not recorded:
    // each is a crash between delivering and recording, which without the
    // sink's dedupe on start would have been a duplicate.
    let caught: usize = h
        .log()
        .lines()
        .filter_map(|l| l.strip_prefix("connector-host: the sink already held "))
        .map(|rest| rest.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    let report = format!(
        "crash test: {polls} polls, {kills} SIGKILLs ({kills_mid_run} with the sequence half done), \
         {total} items, {lost} lost, {duplicates} delivered twice in the sink (so {duplicates} to drop \
         by id), {unexpected} unexpected; {caught} redeliveries after a crash between delivering \
         and recording avoided by the sink's dedupe on start; killing phase {killing:.1?}, total {:.1?}; seed {seed}",
        started.elapsed(),
        lost = lost.len(),
    );
    println!("{report}");
    if let Ok(path) = std::env::var("CRASH_TEST_REPORT") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{report}").unwrap();
    }

    assert!(lost.is_empty(), "{report}; lost {lost:?}");
    assert_eq!(unexpected, 0, "{report}");
    // The JSON Lines sink is deduplicated on restart (the events it holds
    // are recorded before polling again), so not even the raw file repeats.
    assert_eq!(duplicates, 0, "{report}");
    assert_eq!(h.state("seq"), Some(json!({"next": total})));
    assert!(
        polls >= 200 || total / batch < 200,
        "{report}: fewer than 200 polls"
    );
    assert!(
        kills_mid_run >= 5.min(max_kills),
        "{report}: too few kills landed mid-run"
    );
    // The order of first deliveries is the sequence's order.
    let mut seen = HashSet::new();
    let first: Vec<&str> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    assert_eq!(
        first,
        expected.iter().map(String::as_str).collect::<Vec<_>>(),
        "{report}"
    );
}
