//! The signature bundle: every signed statement about one component, kept in
//! a file beside it (`<component>.sig`) and, in a registry, as an artifact
//! tagged beside it.
//!
//! Detached rather than embedded in a custom section: the component's bytes,
//! and so its digest, never change when it is signed or later certified by
//! someone else, so a digest-pinned reference, the registry's layer digest
//! and the compiled-component cache's key all stay the same; any number of
//! signers add statements without rewriting a 19 MB file. A component copied
//! without its bundle is unsigned, which a policy that wants signatures refuses.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;

/// The media type of a bundle (the file, and its layer in a registry).
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.connector-host.signatures.v1+json";

/// Bundles larger than this are refused before parsing.
pub const MAX_BUNDLE: u64 = 8 * 1024 * 1024;

/// Envelopes in one bundle, at most.
pub const MAX_ENVELOPES: usize = 64;

/// A bundle that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// It is not a bundle.
    #[error("{what}: not a signature bundle: {message}")]
    Malformed {
        /// The file or artifact.
        what: String,
        /// Why.
        message: String,
    },
}

/// Every signed statement about one component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    /// Always [`BUNDLE_MEDIA_TYPE`].
    pub media_type: String,
    /// The statements, each in its envelope.
    pub envelopes: Vec<Envelope>,
}

/// The bundle file of the component at `component`: `<component>.sig`.
pub fn path_for(component: &Path) -> PathBuf {
    let mut name = component.as_os_str().to_os_string();
    name.push(".sig");
    PathBuf::from(name)
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Self {
            media_type: BUNDLE_MEDIA_TYPE.to_string(),
            envelopes: Vec::new(),
        }
    }

    /// Parses a bundle; `what` names it in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self, BundleError> {
        let malformed = |message: String| BundleError::Malformed {
            what: what.to_string(),
            message,
        };
        if bytes.len() as u64 > MAX_BUNDLE {
            return Err(malformed(format!(
                "{} bytes; a bundle is at most {MAX_BUNDLE}",
                bytes.len()
            )));
        }
        let bundle: Bundle = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if bundle.media_type != BUNDLE_MEDIA_TYPE {
            return Err(malformed(format!(
                "media type {:?}, expected {BUNDLE_MEDIA_TYPE}",
                bundle.media_type
            )));
        }
        if bundle.envelopes.len() > MAX_ENVELOPES {
            return Err(malformed(format!(
                "{} statements; at most {MAX_ENVELOPES}",
                bundle.envelopes.len()
            )));
        }
        Ok(bundle)
    }

    /// Reads the bundle at `path`; `None` if there is no such file.
    pub fn read(path: &Path) -> Result<Option<Self>, BundleError> {
        let io = |e: std::io::Error| BundleError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
        };
        if meta.len() > MAX_BUNDLE {
            return Err(BundleError::Malformed {
                what: path.display().to_string(),
                message: format!("{} bytes; a bundle is at most {MAX_BUNDLE}", meta.len()),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        Self::parse(&bytes, &path.display().to_string()).map(Some)
    }

    /// The bundle as JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Writes the bundle to `path` (a temporary file renamed over it, so a
    /// reader never sees half a bundle).
    pub fn write(&self, path: &Path) -> Result<(), BundleError> {
        crate::store::write_atomic(path, &self.to_bytes()).map_err(|e| BundleError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Adds `envelope`, replacing an earlier statement of the same kind by
    /// the same key (signing again renews a signature instead of piling up).
    pub fn add(&mut self, envelope: Envelope) {
        let new = envelope.statement_unverified();
        self.envelopes
            .retain(|old| match (&new, old.statement_unverified()) {
                (Some(new), Some(old)) => {
                    !(new.kind == old.kind && new.signer.key == old.signer.key)
                }
                _ => true,
            });
        self.envelopes.push(envelope);
    }
}
