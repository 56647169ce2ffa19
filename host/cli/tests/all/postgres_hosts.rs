//! Trigger hosts on a real PostgreSQL: one `connector-host run` delivering
//! events with its state in the database (and `status` showing which host
//! owns each trigger); then three hosts on one database with 20 triggers,
//! the busiest SIGKILLed mid-run: within the lease TTL (plus one heartbeat)
//! every trigger is owned by a live host, every item is delivered (0 lost),
//! and an item is delivered twice only if the killed host's sink had it
//! (a delivery it had not committed when it died), at most one per trigger
//! it held. Bounded: a few seconds of polling, every wait with a limit.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::postgres_support::*;
use crate::support::*;
use crate::triggers_support::{items, sigterm, wait_exit, wait_until};

/// A folder with one configuration per host, all on database `db`.
struct Hosts {
    dir: PathBuf,
}

impl Hosts {
    fn new(label: &str, url: &str, hosts: usize, triggers: usize, total: u64) -> Self {
        let dir = scratch(label);
        std::fs::create_dir_all(dir.join("scratch")).unwrap();
        for i in 0..hosts {
            let mut toml = format!(
                r#"
[host]
state = "{url}"
lease_ttl = "2s"
shutdown_grace = "2s"

[sink]
kind = "jsonl"
path = "events-{i}.jsonl"

[[connector]]
name = "source"
component = "{source}"
dirs = ["./scratch::/scratch"]

[[connection]]
name = "src"
connector = "source"
"#,
                source = s(&guest("test_source")),
            );
            for t in 0..triggers {
                toml.push_str(&format!(
                    "\n[[trigger]]\nname = \"seq-{t}\"\nconnection = \"src\"\noperation = \
                     \"sequence\"\ninput = {{ batch = 1, total = {total} }}\nrecurrence = \"100ms\"\n"
                ));
            }
            std::fs::write(dir.join(format!("host-{i}.toml")), toml).unwrap();
        }
        Self { dir }
    }

    fn config(&self, i: usize) -> PathBuf {
        self.dir.join(format!("host-{i}.toml"))
    }

    fn spawn(&self, i: usize) -> Child {
        let log = std::fs::File::create(self.dir.join(format!("host-{i}.log"))).unwrap();
        Command::new(env!("CARGO_BIN_EXE_connector-host"))
            .arg("run")
            .arg(self.config(i))
            .env("CONNECTOR_HOST_CACHE_DIR", shared_cache_dir())
            .env("PGPASSWORD", PG_PASSWORD)
            .env_remove("PGPASSFILE")
            .env_remove("CONNECTOR_HOST_LOG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start connector-host run")
    }

    fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.dir.join(format!("host-{i}.log"))).unwrap_or_default()
    }

    /// The host id host `i` said it runs as.
    fn host_id(&self, i: usize) -> Option<String> {
        self.log(i).lines().find_map(|l| {
            l.strip_prefix("connector-host: this host is ")
                .and_then(|rest| rest.split(':').next())
                .map(str::to_string)
        })
    }

    /// The event ids in host `i`'s sink. A last line that is not whole JSON
    /// (the host was killed while writing it) is not an accepted event.
    fn event_ids(&self, i: usize) -> Vec<String> {
        event_ids(&self.dir.join(format!("events-{i}.jsonl")))
    }
}

fn event_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut ids = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        match serde_json::from_str::<Value>(line) {
            Ok(event) => ids.push(event["id"].as_str().unwrap().to_string()),
            Err(e) if n + 1 == lines.len() && !text.ends_with('\n') => {
                eprintln!("{}: a torn last line ({e})", path.display());
            }
            Err(e) => panic!("line {} of {} is not JSON: {e}", n + 1, path.display()),
        }
    }
    ids
}

/// `trigger name -> owner` of the leases that have not expired.
fn live_owners(pg: &PgCluster, db: &str) -> HashMap<String, String> {
    // Before the first host migrated, there is no table: no owners.
    pg.try_query(
        db,
        "SELECT trigger_name, owner FROM trigger_lease WHERE expires_at > now()",
    )
    .unwrap_or_default()
    .into_iter()
    .map(|row| {
        let (t, o) = row.split_once('|').unwrap();
        (t.to_string(), o.to_string())
    })
    .collect()
}

#[test]
fn run_on_postgres_delivers_events_and_status_names_the_owner() {
    let pg = PgCluster::start("run");
    let url = pg.database("state");
    let hosts = Hosts::new("pg-run", &url, 1, 3, 6);
    let mut child = hosts.spawn(0);
    wait_until(Duration::from_secs(60), "18 events", || {
        hosts.event_ids(0).len() >= 18
    });
    let id = hosts.host_id(0).expect("the host says who it is");
    let config = hosts.config(0);
    let status = cli_with_env(
        &["status", "--json", s(&config)],
        &[("PGPASSWORD", PG_PASSWORD)],
    );
    assert_eq!(status.code, 0, "{status:?}");
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(report["state"], url.as_str());
    for t in report["triggers"].as_array().unwrap() {
        assert_eq!(t["lease"]["host"], id.as_str(), "{t}");
        assert_eq!(t["lease"]["live"], true, "{t}");
    }
    wait_until(Duration::from_secs(30), "every state committed", || {
        pg.query(
            "state",
            "SELECT count(*) FROM trigger_state WHERE state = '{\"next\":6}'",
        ) == ["3"]
    });
    let text = cli_with_env(&["status", s(&config)], &[("PGPASSWORD", PG_PASSWORD)]);
    assert!(
        text.stdout
            .contains(&format!("owner         host {id} (lease until")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("delivered     6 event(s)"),
        "{}",
        text.stdout
    );

    // A clean stop gives the leases up at once.
    sigterm(&child);
    assert_eq!(
        wait_exit(&mut child, Duration::from_secs(15)),
        0,
        "{}",
        hosts.log(0)
    );
    assert_eq!(
        pg.query("state", "SELECT count(*) FROM trigger_lease"),
        ["0"]
    );
    let after = cli_with_env(&["status", s(&config)], &[("PGPASSWORD", PG_PASSWORD)]);
    assert!(
        after.stdout.contains("no host holds its lease"),
        "{}",
        after.stdout
    );
    let mut all = hosts.event_ids(0);
    all.sort();
    let mut expected: Vec<String> = (0..3)
        .flat_map(|t| items(&format!("seq-{t}"), 0..6))
        .collect();
    expected.sort();
    assert_eq!(all, expected, "each item once");
    for out in [hosts.log(0), status.stdout, status.stderr, text.stdout] {
        assert!(!out.contains(PG_PASSWORD), "the password leaked: {out}");
    }

    // Without a password the host says why, naming the URL only.
    let no_password = cli_with_env(&["status", s(&config)], &[("PGPASSWORD", "wrong")]);
    assert_ne!(no_password.code, 0);
    assert!(
        no_password
            .stderr
            .contains("password authentication failed"),
        "{no_password:?}"
    );
}

#[test]
fn three_hosts_one_killed_lose_nothing_and_its_triggers_move_within_the_ttl() {
    const HOSTS: usize = 3;
    const TRIGGERS: usize = 20;
    const TOTAL: u64 = 30;
    let ttl = Duration::from_secs(2);
    let pg = PgCluster::start("three");
    let url = pg.database("state");
    let hosts = Hosts::new("pg-three", &url, HOSTS, TRIGGERS, TOTAL);
    // Compiled into the shared cache first, so that the hosts start together.
    let warm = cli(&["validate", s(&guest("test_source"))]);
    assert_eq!(warm.code, 0, "{warm:?}");
    let mut children: Vec<Option<Child>> = (0..HOSTS).map(|i| Some(hosts.spawn(i))).collect();
    wait_until(Duration::from_secs(60), "every trigger leased", || {
        live_owners(&pg, "state").len() == TRIGGERS
    });
    wait_until(Duration::from_secs(30), "every host up", || {
        (0..HOSTS).all(|i| hosts.host_id(i).is_some())
    });
    let ids: Vec<String> = (0..HOSTS).map(|i| hosts.host_id(i).unwrap()).collect();
    // The first host up takes every trigger; the others get their share as
    // it drains the surplus between polls.
    let share = TRIGGERS.div_ceil(HOSTS);
    wait_until(
        Duration::from_secs(20),
        "the triggers shared fairly",
        || {
            let owners = live_owners(&pg, "state");
            owners.len() == TRIGGERS
                && ids
                    .iter()
                    .all(|id| (1..=share).contains(&owners.values().filter(|o| *o == id).count()))
        },
    );
    // Let some polls happen, then kill the host that holds the most.
    std::thread::sleep(Duration::from_millis(800));
    let owners = live_owners(&pg, "state");
    let victim = (0..HOSTS)
        .max_by_key(|i| owners.values().filter(|o| **o == ids[*i]).count())
        .unwrap();
    let held_by_victim = owners.values().filter(|o| **o == ids[victim]).count();
    let mut child = children[victim].take().unwrap();
    child.kill().expect("SIGKILL the host");
    child.wait().unwrap();
    let killed_at = Instant::now();

    // Every trigger owned by a live host within the TTL and one heartbeat.
    let live: HashSet<&String> = (0..HOSTS)
        .filter(|i| *i != victim)
        .map(|i| &ids[i])
        .collect();
    wait_until(ttl * 3, "every trigger owned by a live host", || {
        let owners = live_owners(&pg, "state");
        owners.len() == TRIGGERS && owners.values().all(|o| live.contains(o))
    });
    let failover = killed_at.elapsed();
    assert!(
        failover <= ttl + ttl / 3 + Duration::from_millis(1500),
        "failover took {failover:?}"
    );

    let done = format!("SELECT count(*) FROM trigger_state WHERE state = '{{\"next\":{TOTAL}}}'");
    wait_until(Duration::from_secs(90), "every trigger done", || {
        pg.try_query("state", &done).unwrap_or_default() == [TRIGGERS.to_string()]
    });
    for (i, child) in children.iter_mut().enumerate() {
        if let Some(child) = child {
            sigterm(child);
            assert_eq!(
                wait_exit(child, Duration::from_secs(15)),
                0,
                "{}",
                hosts.log(i)
            );
        }
    }

    // 0 lost; a duplicate only of what the killed host's sink held.
    let per_host: Vec<Vec<String>> = (0..HOSTS).map(|i| hosts.event_ids(i)).collect();
    let victim_ids: HashSet<&String> = per_host[victim].iter().collect();
    let mut seen: HashMap<&String, usize> = HashMap::new();
    for id in per_host.iter().flatten() {
        *seen.entry(id).or_default() += 1;
    }
    let expected: Vec<String> = (0..TRIGGERS)
        .flat_map(|t| items(&format!("seq-{t}"), 0..TOTAL))
        .collect();
    let lost: Vec<&String> = expected
        .iter()
        .filter(|id| !seen.contains_key(id))
        .collect();
    let twice: Vec<&&String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| id)
        .collect();
    let report = format!(
        "{HOSTS} hosts, {TRIGGERS} triggers x {TOTAL} items; killed host {victim} holding \
         {held_by_victim}; failover {failover:?}; {} events in the sinks, {} lost, {} twice",
        per_host.iter().map(Vec::len).sum::<usize>(),
        lost.len(),
        twice.len()
    );
    println!("{report}");
    assert!(lost.is_empty(), "{report}: lost {lost:?}");
    assert_eq!(seen.len(), expected.len(), "{report}: unexpected ids");
    for id in &twice {
        assert_eq!(seen[**id], 2, "{report}: {id} more than twice");
        assert!(
            victim_ids.contains(**id),
            "{report}: {id} twice, not from the killed host"
        );
    }
    assert!(twice.len() <= held_by_victim, "{report}");
    // Each live host's own sink holds each id once.
    for (i, ids) in per_host.iter().enumerate() {
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "{report}: host {i} delivered an id twice"
        );
    }
    // The store counted each item once.
    let counted = pg.query("state", "SELECT sum(events_delivered) FROM trigger_status");
    assert_eq!(counted, [expected.len().to_string()], "{report}");
}
