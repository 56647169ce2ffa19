//! The compiled-component cache: a second load comes from disk, and an entry
//! that is corrupt or not wasmtime's is recompiled rather than trusted.

use connector_host::ConnectorOptions;
use connector_host::cache::Origin;

use crate::support::*;

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn second_load_comes_from_the_cache() {
    // A folder the cache creates itself, so that its mode is the cache's.
    let dir = scratch("cache-hit").join("cache");
    let path = guest("example_data");
    let first = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(first.load_report().origin, Origin::Compiled);
    assert_eq!(entries(&dir).len(), 1);
    // Native code the host will run: owner-only, whatever the umask.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&entries(&dir)[0]), 0o600);
    }
    // A new runtime (a new engine), as a second process would have.
    let second = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(second.load_report().origin, Origin::Cache);
    assert_eq!(
        first.description().operations.len(),
        second.description().operations.len()
    );
}

#[test]
fn a_corrupt_entry_is_recompiled_not_trusted() {
    let dir = scratch("cache-corrupt");
    let path = guest("example_data");
    runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    let entry = entries(&dir).pop().unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();

    let reloaded = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(reloaded.load_report().origin, Origin::Compiled);
    assert!(
        reloaded.load_report().cache_warnings[0].contains("checksum does not match"),
        "{:?}",
        reloaded.load_report().cache_warnings
    );
    // It works, and the entry was rewritten whole.
    let out = reloaded
        .invoke(
            "base64",
            &Default::default(),
            &serde_json::json!({"text": "hi", "direction": "encode"}),
        )
        .unwrap();
    assert_eq!(out.body.to_value().unwrap()["text"], "aGk=");
    let again = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(again.load_report().origin, Origin::Cache);
}

#[test]
fn an_entry_with_a_matching_checksum_but_foreign_bytes_is_refused_by_wasmtime() {
    let dir = scratch("cache-foreign");
    let path = guest("example_data");
    runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    let entry = entries(&dir).pop().unwrap();
    let garbage = b"\x7fELF definitely not a wasmtime artifact".to_vec();
    std::fs::write(&entry, &garbage).unwrap();
    std::fs::write(
        connector_host::cache::checksum_path(&entry),
        connector_host::cache::checksum(&garbage),
    )
    .unwrap();

    let reloaded = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(reloaded.load_report().origin, Origin::Compiled);
    assert!(reloaded.load_report().cache_warnings[0].contains("wasmtime refused it"));
}

#[test]
fn a_missing_checksum_is_not_trusted() {
    let dir = scratch("cache-nosum");
    let path = guest("example_data");
    runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    let entry = entries(&dir).pop().unwrap();
    std::fs::remove_file(connector_host::cache::checksum_path(&entry)).unwrap();
    let reloaded = runtime_with_cache(&dir)
        .load(&path, ConnectorOptions::default())
        .unwrap();
    assert_eq!(reloaded.load_report().origin, Origin::Compiled);
    assert!(reloaded.load_report().cache_warnings[0].contains("checksum"));
}
