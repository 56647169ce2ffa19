//! Shared helpers: the fixtures, the generic connector, a runtime, and an
//! import written to a scratch file and loaded.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use connector_import::Import;
use connector_runtime::capabilities::Grants;
use connector_runtime::connector::Connector;
use connector_runtime::runtime::{ConnectorOptions, Runtime, RuntimeOptions};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// A fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The generic connector; fails with the command that builds it.
pub fn base() -> Vec<u8> {
    let path = repo().join("target/wasm32-wasip2/release/example_openapi.wasm");
    assert!(
        path.exists(),
        "{} is not built; run `make guests` (or `cargo build --release --target wasm32-wasip2 -p example-openapi`) in {}",
        path.display(),
        repo().display()
    );
    std::fs::read(path).unwrap()
}

/// A new scratch directory under target/test-scratch.
pub fn scratch(label: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = repo().join("target/test-scratch").join(format!(
        "import-{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A runtime with the shared compiled-component cache.
pub fn runtime() -> Runtime {
    let cache = std::env::var_os("CONNECTOR_HOST_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/component-cache"));
    Runtime::new(RuntimeOptions {
        cache_dir: Some(cache),
        ..RuntimeOptions::default()
    })
    .unwrap()
}

/// Imports `fixture`, which must have no errors, writes the component and
/// loads it with `http://{host} private` granted (the API is on loopback); answers the import too.
pub fn import_and_load(fixture_name: &str) -> (Import, PathBuf, Connector) {
    let import = Import::read(&fixture(fixture_name));
    load(import, fixture_name)
}

/// Builds `import`, which must have no errors, validates and loads it.
pub fn load(import: Import, label: &str) -> (Import, PathBuf, Connector) {
    let fixture_name = label;
    assert_eq!(import.errors(), 0, "{:#?}", import.problems);
    let bytes = import.build(&base()).expect("composes");
    let path = scratch(fixture_name).join("connector.wasm");
    std::fs::write(&path, bytes).unwrap();
    let inspection = runtime()
        .inspect(&path, ConnectorOptions::default())
        .expect("the imported component loads");
    assert!(
        inspection.problems.is_empty(),
        "validate: {:#?}",
        inspection.problems
    );
    let options = ConnectorOptions {
        grants: Grants {
            http: vec![
                "http://{host} private".parse().unwrap(),
                "http://{site} private".parse().unwrap(),
            ],
            ..Grants::default()
        },
        ..ConnectorOptions::default()
    };
    let connector = runtime()
        .load(&path, options)
        .expect("loads with the grant");
    (import, path, connector)
}
