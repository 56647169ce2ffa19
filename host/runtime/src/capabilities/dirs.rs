//! Directory grants: `HOST_PATH[::GUEST_PATH][:ro]`.
//!
//! A grant preopens one host directory at a path inside the guest. The guest
//! sees nothing else of the host file system; wasmtime-wasi resolves every
//! path through cap-std, so `..`, absolute paths and symlinks cannot leave
//! the granted directory.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// One directory granted to a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it.
    pub guest: String,
    /// Whether the guest may only read.
    pub read_only: bool,
}

impl FromStr for DirGrant {
    type Err = anyhow::Error;

    fn from_str(spec: &str) -> Result<Self> {
        let (rest, read_only) = match spec.strip_suffix(":ro") {
            Some(rest) => (rest, true),
            None => (spec.strip_suffix(":rw").unwrap_or(spec), false),
        };
        let (host, guest) = match rest.split_once("::") {
            Some((host, guest)) => (host, guest.to_string()),
            None => (rest, rest.to_string()),
        };
        if host.is_empty() {
            bail!(
                "directory grant {spec:?} names no host directory (expected HOST_PATH[::GUEST_PATH][:ro])"
            );
        }
        if guest.is_empty() {
            bail!("directory grant {spec:?} names an empty guest path");
        }
        Ok(Self {
            host: PathBuf::from(host),
            guest,
            read_only,
        })
    }
}

impl fmt::Display for DirGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}", self.host.display(), self.guest)?;
        if self.read_only {
            f.write_str(":ro")?;
        }
        Ok(())
    }
}

impl DirGrant {
    /// Checks that the host directory exists, so a mistyped grant fails
    /// when the connector is loaded rather than on its first file access.
    pub fn check(&self) -> Result<()> {
        let meta = std::fs::metadata(&self.host).with_context(|| {
            format!("granted directory {} cannot be opened", self.host.display())
        })?;
        if !meta.is_dir() {
            bail!("granted path {} is not a directory", self.host.display());
        }
        Ok(())
    }

    /// Preopens the directory in a WASI context.
    pub fn apply(&self, wasi: &mut WasiCtxBuilder) -> Result<()> {
        let perms = if self.read_only {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        wasi.preopened_dir(&self.host, &self.guest, perms)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("cannot grant directory {self}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_forms_parse() {
        let g: DirGrant = "/srv/in::/data:ro".parse().unwrap();
        assert_eq!(g.host, PathBuf::from("/srv/in"));
        assert_eq!(g.guest, "/data");
        assert!(g.read_only);
        let g: DirGrant = "/tmp/x".parse().unwrap();
        assert_eq!(g.guest, "/tmp/x");
        assert!(!g.read_only);
        let g: DirGrant = "./out::/data:rw".parse().unwrap();
        assert!(!g.read_only);
        assert!("::/data".parse::<DirGrant>().is_err());
        assert!("/tmp::".parse::<DirGrant>().is_err());
    }
}
