//! Shared helpers: where the built guests are, a runtime with the shared
//! compiled-component cache, the CLI binary, and scratch directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use connector_host::{Runtime, RuntimeOptions};

/// The repository root.
pub fn repo() -> PathBuf {
    // host/cli -> the repository root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

/// A guest component built by `make guests`, e.g. `guest("example_files")`.
/// Fails with the command that builds it when it is missing.
pub fn guest(name: &str) -> PathBuf {
    let path = repo()
        .join("target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is not built; run `make guests` in {}",
        path.display(),
        repo().display()
    );
    path
}

/// The compiled-component cache shared by every test of a run, so each
/// guest is compiled once (the Makefile sets it; plain `cargo test` uses target/).
pub fn shared_cache_dir() -> PathBuf {
    std::env::var_os("CONNECTOR_HOST_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/component-cache"))
}

/// A runtime using the shared cache.
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir: Some(shared_cache_dir()),
        ..RuntimeOptions::default()
    })
    .expect("runtime")
}

/// A runtime with its own, empty cache in `dir`.
pub fn runtime_with_cache(dir: &Path) -> Runtime {
    Runtime::new(RuntimeOptions {
        cache_dir: Some(dir.to_path_buf()),
        ..RuntimeOptions::default()
    })
    .expect("runtime")
}

/// A new, empty scratch directory under target/test-scratch.
pub fn scratch(label: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = repo().join("target/test-scratch").join(format!(
        "{label}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `bytes` to a scratch file and returns its path.
pub fn write_scratch_file(label: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch(label).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Compiles WAT text to a binary in a scratch file.
pub fn wat_file(label: &str, wat: &str) -> PathBuf {
    let bytes = wat::parse_str(wat).expect("test WAT is valid");
    write_scratch_file(label, "component.wasm", &bytes)
}

/// The result of one CLI run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the `connector-host` binary with the shared cache.
pub fn cli(args: &[&str]) -> Run {
    cli_with_cache(&shared_cache_dir(), args)
}

/// Runs the `connector-host` binary with the cache in `cache`.
pub fn cli_with_cache(cache: &Path, args: &[&str]) -> Run {
    cli_full(cache, args, &[])
}

/// Runs the `connector-host` binary with the shared cache and extra environment.
pub fn cli_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    cli_full(&shared_cache_dir(), args, env)
}

fn cli_full(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_connector-host"));
    command
        .args(args)
        .env("CONNECTOR_HOST_CACHE_DIR", cache)
        .env_remove("CONNECTOR_HOST_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run connector-host").into()
}

/// `path` as &str.
pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A port on 127.0.0.1 that was free a moment ago (bound and released: a server binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
