//! On-disk cache of compiled components.
//!
//! Compiling a component with Cranelift takes from a tenth of a second (a
//! small Rust guest) to tens of seconds (a Python or JavaScript guest);
//! loading the compiled artifact takes well under a millisecond to a few
//! tens of milliseconds. Entries are keyed by the SHA-256 of the component's
//! bytes and by a hash of the engine's version and settings, so a change of
//! either misses instead of loading code compiled for another engine.
//!
//! An entry is only trusted if its own checksum (CRC-32 and length), kept
//! beside it, matches: a truncated or corrupted artifact is recompiled, never
//! deserialized. The checksum guards against corruption, not against someone
//! who can write the cache directory (they could rewrite the checksum too),
//! so it need not be cryptographic: CRC-32 checks a megabyte in tens of
//! microseconds where SHA-256 took most of a cache hit's time (`BENCHMARKS.md`,
//! figure 1). The key stays SHA-256, so that no component can be made to
//! find another's compiled code. Entries are written to a temporary file and
//! renamed into place, so a crash or a concurrent writer never leaves a
//! half-written entry under the real name.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Compiled now (and stored in the cache if there is one).
    Compiled,
    /// Loaded from a cache entry.
    Cache,
}

/// A compiled component and how it was obtained.
pub struct Loaded {
    pub component: Component,
    pub origin: Origin,
    pub elapsed: Duration,
    /// Problems with the cache that did not stop the load (a corrupt entry,
    /// a read-only directory); worth a warning, not a failure.
    pub cache_warnings: Vec<String>,
}

/// The compiled-component cache in one directory.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

impl ComponentCache {
    /// A cache in `dir`, created on first write.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default cache directory: `$CONNECTOR_HOST_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/connector-host`, else `~/.cache/connector-host`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("CONNECTOR_HOST_CACHE_DIR") {
            return Some(PathBuf::from(dir));
        }
        if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(dir).join("connector-host"));
        }
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/connector-host"))
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the entry for `bytes` compiled by `engine`.
    pub fn entry_path(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let content = hex::encode(Sha256::digest(bytes));
        self.dir
            .join(format!("{content}-{:016x}.cwasm", engine_key(engine)))
    }

    /// Loads the component for `bytes` from the cache, or compiles it and
    /// stores it. Compile errors are returned; cache trouble is not.
    pub fn load_or_compile(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Loaded> {
        let start = Instant::now();
        let path = self.entry_path(engine, bytes);
        let mut warnings = Vec::new();
        match self.try_load(engine, &path) {
            Ok(Some(component)) => {
                return Ok(Loaded {
                    component,
                    origin: Origin::Cache,
                    elapsed: start.elapsed(),
                    cache_warnings: warnings,
                });
            }
            Ok(None) => {}
            Err(problem) => {
                warnings.push(format!(
                    "cache entry {} is unusable ({problem}); recompiling",
                    path.display()
                ));
                let _ = fs::remove_file(&path);
                let _ = fs::remove_file(checksum_path(&path));
            }
        }
        let component = Component::from_binary(engine, bytes)?;
        if let Err(e) = self.store(&path, &component) {
            warnings.push(format!(
                "could not write cache entry {}: {e:#}",
                path.display()
            ));
        }
        Ok(Loaded {
            component,
            origin: Origin::Compiled,
            elapsed: start.elapsed(),
            cache_warnings: warnings,
        })
    }

    /// `Ok(None)` when there is no entry; `Err` when there is one that cannot be trusted.
    fn try_load(&self, engine: &Engine, path: &Path) -> Result<Option<Component>, String> {
        let artifact = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read it: {e}")),
        };
        let expected = fs::read_to_string(checksum_path(path))
            .map_err(|e| format!("cannot read its checksum: {e}"))?;
        if expected.trim() != checksum(&artifact) {
            return Err("its checksum does not match".into());
        }
        // SAFETY: the artifact was produced by `Component::serialize` with an
        // engine of the same version and settings (both are in the file
        // name), and the checksum written beside it proves it is unchanged
        // since. wasmtime checks its own header and version on top of that.
        // It is loaded from the file (mmap) rather than from `artifact`, so
        // the code is mapped, not copied.
        unsafe { Component::deserialize_file(engine, path) }
            .map(Some)
            .map_err(|e| format!("wasmtime refused it: {e}"))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        let artifact = component
            .serialize()
            .map_err(|e| anyhow::anyhow!("serialize: {e}"))?;
        // Owner-only: the cache holds native code the host will run.
        let mut dirs = fs::DirBuilder::new();
        dirs.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
        dirs.create(&self.dir)?;
        // The checksum goes first: an artifact is never visible without it.
        write_atomically(&checksum_path(path), checksum(&artifact).as_bytes())?;
        write_atomically(path, &artifact)?;
        Ok(())
    }
}

/// The path of the checksum kept beside `entry`.
pub fn checksum_path(entry: &Path) -> PathBuf {
    entry.with_extension("cwasm.crc32")
}

/// The checksum of an artifact as kept beside it: its CRC-32 and length.
pub fn checksum(artifact: &[u8]) -> String {
    format!(
        "crc32:{:08x} len:{}",
        crc32fast::hash(artifact),
        artifact.len()
    )
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    fs::rename(&tmp.0, path)
}

/// A uniquely named temporary file in `dir` (the std library has none).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let name = format!(
            ".tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        let mut options = fs::OpenOptions::new();
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// A hash of what makes compiled code valid for an engine: wasmtime's own
/// compatibility hash (its version and every setting that affects codegen)
/// plus this crate's version.
fn engine_key(engine: &Engine) -> u64 {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    hasher.finish()
}
