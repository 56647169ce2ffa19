//! The pull cache: blobs and manifests pulled from registries, and local
//! components a policy admitted, each stored under its SHA-256 digest.
//!
//! Only content whose digest was checked is written, so a file here is
//! always what its name says (it is checked again when read, since the
//! compiled-component cache beside it is only as safe as this folder).
//!
//! ```text
//! <dir>/blobs/sha256/<hex>        component bytes
//! <dir>/blobs/sha256/<hex>.sig    its signature bundle, when one was pulled
//! <dir>/manifests/sha256/<hex>    manifests, to resolve `@sha256:` offline
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::statement::is_sha256_digest;

/// Content-addressed files under one folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// A store in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The store beside the compiled-component cache in `cache_dir`.
    pub fn in_cache_dir(cache_dir: &Path) -> Self {
        Self::new(cache_dir.join("oci"))
    }

    /// Its folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob `digest` lives (whether or not it is there).
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        self.path("blobs", digest)
    }

    /// Where the bundle of the blob `digest` lives.
    pub fn bundle_path(&self, digest: &str) -> PathBuf {
        crate::bundle::path_for(&self.blob_path(digest))
    }

    /// Where the manifest `digest` lives.
    pub fn manifest_path(&self, digest: &str) -> PathBuf {
        self.path("manifests", digest)
    }

    fn path(&self, kind: &str, digest: &str) -> PathBuf {
        // Callers pass checked digests; a bad one maps to a name that is
        // never written rather than to a path outside the store.
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|_| is_sha256_digest(digest))
            .unwrap_or("invalid");
        self.dir.join(kind).join("sha256").join(hex)
    }

    /// Reads the blob `digest` if present and intact (`None` otherwise; a
    /// damaged file is removed).
    pub fn read_checked(&self, path: &Path, digest: &str) -> Option<Vec<u8>> {
        let bytes = std::fs::read(path).ok()?;
        if crate::statement::sha256_digest(&bytes) == digest {
            Some(bytes)
        } else {
            tracing::warn!(file = %path.display(), "pull cache entry does not match its digest; removing it");
            let _ = std::fs::remove_file(path);
            None
        }
    }

    /// Writes `bytes`, whose digest the caller checked, to `path`.
    pub fn put(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        write_atomic(path, bytes)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// fsynced and renamed over it: a reader sees the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
