//! The PostgreSQL state store against a real PostgreSQL started for each
//! test (see `postgres_support`): the store keeps the SQLite store's
//! contract (a poll's ids and state in one transaction, dedupe, counts,
//! prune, subscriptions), migrations run once even when two hosts start at
//! once, leases are exclusive and pass on after their TTL, and the password
//! shows nowhere. The host-level scenarios (a real `run`, three hosts with
//! one killed) are in `postgres_hosts`.

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

use serde_json::json;

use connector_host::trigger::backends::StoreUse;
use connector_host::trigger::store::{
    Activity, StateStore, StoreError, SubscriptionRecord, TriggerStore,
};
use connector_postgres::PostgresStore;

use crate::postgres_support::*;

/// The URL of `database` with the password in it (the tests of the store
/// run in this process, where `PGPASSWORD` is not set).
fn with_password(cluster: &PgCluster, database: &str) -> String {
    cluster
        .url(database)
        .replace(&format!("{PG_USER}@"), &format!("{PG_USER}:{PG_PASSWORD}@"))
}

fn open(cluster: &PgCluster, database: &str) -> PostgresStore {
    PostgresStore::open(&with_password(cluster, database), StoreUse::Host)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn events(ids: &[&str]) -> Vec<(String, u64)> {
    ids.iter().map(|id| (id.to_string(), 2)).collect()
}

#[test]
fn postgres_store_keeps_the_contract_of_the_sqlite_store() {
    let pg = PgCluster::start("contract");
    pg.database("state");
    let store = open(&pg, "state");
    let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    assert!(store.is_blank().unwrap());
    assert_eq!(store.load_state("a").unwrap(), None);

    // A poll's events and state together; a redelivered id counts nothing.
    let new = store
        .commit_poll("a", &events(&["a/1", "a/2"]), Some(&json!({"n": 2})), t)
        .unwrap();
    assert_eq!(new, 2);
    assert!(!store.is_blank().unwrap());
    let new = store
        .commit_poll(
            "a",
            &events(&["a/2", "a/3", "a/3"]),
            Some(&json!({"n": 3})),
            t,
        )
        .unwrap();
    assert_eq!(new, 1);
    assert_eq!(
        store.delivered_among("a", &["a/1", "a/9", "a/3"]).unwrap(),
        [true, false, true]
    );
    assert!(!store.is_delivered("b", "a/1").unwrap());
    assert!(store.is_delivered_anywhere("a/2").unwrap());
    assert!(!store.is_delivered_anywhere("a/9").unwrap());
    assert_eq!(store.load_state("a").unwrap(), Some(json!({"n": 3})));
    // Events without a poll (push) move neither the state nor the polls.
    assert_eq!(
        store
            .record_delivered_all("a", &events(&["a/3", "a/4"]), t)
            .unwrap(),
        1
    );
    assert!(!store.record_delivered("a", "a/4", 1, t).unwrap());
    // Failures keep the state; a poll failure counts as a poll, an event's does not.
    store
        .record_failure("a", Activity::Poll, "boom", t)
        .unwrap();
    store
        .record_failure("a", Activity::Event, "bad event", t)
        .unwrap();
    let s = &store.statuses().unwrap()[0];
    assert_eq!(s.trigger, "a");
    assert_eq!((s.polls, s.failures, s.consecutive_failures), (3, 2, 2));
    assert_eq!((s.events_delivered, s.items_delivered), (4, 8));
    assert_eq!(s.last_error.as_deref(), Some("bad event"));
    assert_eq!(s.last_success_at, Some(t));
    assert_eq!(s.state, Some(json!({"n": 3})));
    store.commit("a", None, t).unwrap();
    assert_eq!(store.statuses().unwrap()[0].consecutive_failures, 0);
    assert_eq!(store.load_state("a").unwrap(), Some(json!({"n": 3})));

    // Prune forgets old ids, then they count as new again.
    assert_eq!(
        store.prune_delivered(t + Duration::from_secs(1)).unwrap(),
        4
    );
    assert!(!store.is_delivered("a", "a/1").unwrap());

    // Subscriptions: stored, failure recorded, deleted.
    let record = SubscriptionRecord {
        trigger: "push".into(),
        connector: "c".into(),
        connection: "conn".into(),
        operation: "changed".into(),
        input: json!({"project": "x"}),
        callback_url: "http://127.0.0.1:1/hooks/push".into(),
        data: "sub-1".into(),
    };
    let id = store.insert_subscription(&record, t).unwrap();
    store.record_unsubscribe_failure(id, "gone", t).unwrap();
    let subs = store.subscriptions().unwrap();
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].record, record);
    assert_eq!(subs[0].last_error.as_deref(), Some("gone"));
    store.delete_subscription(id).unwrap();
    assert!(store.subscriptions().unwrap().is_empty());

    // Everything is in the database, not in the client: a new store sees it.
    drop(store);
    let again = open(&pg, "state");
    assert_eq!(again.load_state("a").unwrap(), Some(json!({"n": 3})));
    assert_eq!(again.statuses().unwrap()[0].events_delivered, 4);
}

#[test]
fn a_poll_whose_commit_fails_records_none_of_its_events() {
    let pg = PgCluster::start("atomic");
    pg.database("state");
    let store = open(&pg, "state");
    let t = SystemTime::now();
    store
        .commit_poll("a", &events(&["a/1"]), Some(&json!({"n": 1})), t)
        .unwrap();
    // The database refuses the state write, the last step of the commit.
    pg.query(
        "state",
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql;
         CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON trigger_state FOR EACH ROW EXECUTE FUNCTION refuse();",
    );
    let err = store
        .commit_poll("a", &events(&["a/2", "a/3"]), Some(&json!({"n": 3})), t)
        .unwrap_err();
    assert!(err.to_string().contains("refused by the test"), "{err}");
    // Nothing of that poll took effect: not its ids, not its counts.
    assert_eq!(
        store.delivered_among("a", &["a/1", "a/2", "a/3"]).unwrap(),
        [true, false, false]
    );
    let s = &store.statuses().unwrap()[0];
    assert_eq!((s.polls, s.events_delivered), (1, 1));
    assert_eq!(store.load_state("a").unwrap(), Some(json!({"n": 1})));
    pg.query("state", "DROP TRIGGER refuse ON trigger_state");
    assert_eq!(
        store
            .commit_poll("a", &events(&["a/2", "a/3"]), Some(&json!({"n": 3})), t)
            .unwrap(),
        2
    );
}

#[test]
fn migrations_run_once_even_when_two_hosts_start_at_once() {
    let pg = PgCluster::start("migrate");
    pg.database("state");
    // A reader finds no state before any host ran, and creates nothing.
    let err = PostgresStore::open(&with_password(&pg, "state"), StoreUse::Read).unwrap_err();
    assert!(
        err.to_string().contains("no connector-host state yet"),
        "{err}"
    );
    assert_eq!(
        pg.query("state", "SELECT to_regclass('trigger_state') IS NULL"),
        ["t"]
    );
    let url = with_password(&pg, "state");
    let barrier = Arc::new(Barrier::new(4));
    let hosts: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                PostgresStore::open(&url, StoreUse::Host).map(drop)
            })
        })
        .collect();
    for h in hosts {
        h.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
    }
    let versions = pg.query(
        "state",
        "SELECT version FROM connector_schema_migrations ORDER BY version",
    );
    assert_eq!(versions, ["1", "2"], "each migration applied once");
    // Opening again changes nothing; a reader now opens.
    open(&pg, "state");
    PostgresStore::open(&url, StoreUse::Read).unwrap();
    assert_eq!(
        pg.query("state", "SELECT count(*) FROM connector_schema_migrations"),
        ["2"]
    );
    // A database migrated by a newer host is refused, by both kinds of open.
    pg.query(
        "state",
        "INSERT INTO connector_schema_migrations (version) VALUES (99)",
    );
    for usage in [StoreUse::Host, StoreUse::Read] {
        let err = PostgresStore::open(&url, usage).unwrap_err();
        assert!(
            err.to_string().contains("newer connector-host (schema 99"),
            "{err}"
        );
    }
}

#[test]
fn leases_are_exclusive_renewed_and_taken_over_after_the_ttl() {
    let pg = PgCluster::start("leases");
    pg.database("state");
    let (a, b) = (open(&pg, "state"), open(&pg, "state"));
    let (la, lb) = (a.leases().unwrap(), b.leases().unwrap());
    assert_ne!(la.host_id(), lb.host_id());
    let names = vec!["t1".to_string(), "t2".to_string()];
    let ttl = Duration::from_millis(1500);
    assert_eq!(la.acquire(&names, ttl).unwrap().held, names);
    assert!(lb.acquire(&names, ttl).unwrap().held.is_empty());
    // A renewal keeps them; B still gets none, though its fair share of
    // two live hosts is one: A gives a lease up only when it drains it.
    let renewed = la.acquire(&names, ttl).unwrap();
    assert_eq!((renewed.held, renewed.share), (names.clone(), 1));
    assert!(lb.acquire(&names, ttl).unwrap().held.is_empty());
    la.release(&names[1..]).unwrap();
    assert_eq!(lb.acquire(&names, ttl).unwrap().held, ["t2"]);
    assert_eq!(la.acquire(&names, ttl).unwrap().held, ["t1"]);
    lb.release(&names[1..]).unwrap();
    assert_eq!(
        la.acquire(&names, ttl).unwrap().held,
        ["t1"],
        "no more than its share"
    );
    // B stops cleanly: A, alone again, takes both.
    lb.release_all().unwrap();
    assert_eq!(
        la.acquire(&names, ttl).unwrap().held,
        names,
        "alone again: both"
    );
    let t = SystemTime::now();
    a.commit_poll("t1", &events(&["t1/1"]), Some(&json!(1)), t)
        .unwrap();
    // B may not commit what A holds: refused, nothing recorded.
    let err = b
        .commit_poll("t1", &events(&["t1/2"]), Some(&json!(2)), t)
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::LeaseLost { owner, .. } if owner == la.host_id()),
        "{err}"
    );
    assert!(!a.is_delivered("t1", "t1/2").unwrap());
    // Recording ids a sink accepted is not fenced (a restarted host's sink
    // recovery): it only keeps the holder from delivering them again.
    assert_eq!(
        b.record_delivered_all("t1", &events(&["t1/9"]), t).unwrap(),
        1
    );
    assert!(a.is_delivered("t1", "t1/9").unwrap());
    let leases = la.list().unwrap();
    assert_eq!(leases.len(), 2);
    assert!(leases.iter().all(|l| l.owner == la.host_id()));

    // A stops renewing (it died): after the TTL, B (alone now) takes both over.
    std::thread::sleep(ttl + Duration::from_millis(300));
    assert_eq!(lb.acquire(&names, ttl).unwrap().held, names);
    assert!(la.acquire(&names, ttl).unwrap().held.is_empty());
    // A's late commit is refused; B's goes through from A's last state.
    assert!(matches!(
        a.commit_poll("t1", &events(&["t1/3"]), Some(&json!(3)), t),
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(b.load_state("t1").unwrap(), Some(json!(1)));
    b.commit_poll("t1", &events(&["t1/2"]), Some(&json!(2)), t)
        .unwrap();
    // A clean stop releases at once.
    lb.release_all().unwrap();
    assert_eq!(la.acquire(&names, ttl).unwrap().held, names);
}

#[test]
fn the_password_is_in_no_error_and_no_description() {
    let pg = PgCluster::start("password");
    pg.database("state");
    let store = open(&pg, "state");
    assert!(
        !store.describe().contains(PG_PASSWORD),
        "{}",
        store.describe()
    );
    assert!(
        store.describe().contains(":***@127.0.0.1"),
        "{}",
        store.describe()
    );
    let wrong = pg.url("state").replace(
        &format!("{PG_USER}@"),
        &format!("{PG_USER}:not-{PG_PASSWORD}@"),
    );
    let err = PostgresStore::open(&wrong, StoreUse::Host).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(!text.contains(PG_PASSWORD), "{text}");
    assert!(text.contains(":***@127.0.0.1"), "{text}");
    let missing = PostgresStore::open(&with_password(&pg, "nope"), StoreUse::Host).unwrap_err();
    assert!(
        missing.to_string().contains("\"nope\" does not exist"),
        "{missing}"
    );
}
