//! Admission: from a `component` setting (a path or `oci://...`) to the
//! verified local file the runtime loads, with the trust policy applied
//! before any of the component's code runs.

use std::path::{Path, PathBuf};

use crate::bundle::{self, Bundle, BundleError};
use crate::oci::{MAX_COMPONENT, OciError, RegistryClient};
use crate::policy::{Accepted, PolicyError, Rules};
use crate::reference::{OciReference, ReferenceError, is_oci};
use crate::store::Store;
use crate::verify::{ComponentDigest, Verification, VerifyError, verify};

/// A component the policy admitted.
#[derive(Debug, Clone)]
pub struct Admitted {
    /// The file to load: exactly the bytes that were checked.
    pub path: PathBuf,
    /// Their digest.
    pub digest: ComponentDigest,
    /// What its bundle says, verified (`None`: no bundle, or no policy).
    pub verification: Option<Verification>,
    /// What the policy accepted it on (`None`: no policy).
    pub accepted: Option<Accepted>,
}

/// Why a component was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// A bad `oci://` reference.
    #[error("connector {connector}: {error}")]
    Reference {
        /// The connector's name.
        connector: String,
        /// What is wrong.
        error: ReferenceError,
    },
    /// The registry failed or answered wrongly.
    #[error("connector {connector}: {error}")]
    Oci {
        /// The connector's name.
        connector: String,
        /// What went wrong (boxed: it is large, and rare).
        error: Box<OciError>,
    },
    /// The component could not be read.
    #[error("connector {connector}: {path}: {message}")]
    Read {
        /// The connector's name.
        connector: String,
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The bundle could not be read.
    #[error("connector {connector}: {error}")]
    Bundle {
        /// The connector's name.
        connector: String,
        /// What is wrong.
        error: BundleError,
    },
    /// A statement does not verify.
    #[error(
        "connector {connector} ({component}, {digest}): its signatures do not verify: {error}; nothing of it runs"
    )]
    Verify {
        /// The connector's name.
        connector: String,
        /// Where the component is.
        component: String,
        /// Its digest.
        digest: String,
        /// What is wrong.
        error: VerifyError,
    },
    /// The policy refuses it.
    #[error("connector {connector} ({component}, {digest}): {error}; nothing of it runs")]
    Policy {
        /// The connector's name.
        connector: String,
        /// Where the component is.
        component: String,
        /// Its digest.
        digest: String,
        /// Which rule, which key.
        error: PolicyError,
    },
}

/// Resolves `component` (a path, or `oci://...` pulled into `store`),
/// verifies its bundle and applies `rules` (`None`: no `[trust]`, nothing
/// is checked but the registry's digests).
///
/// Under a policy, a local file is copied into the store once admitted, and
/// that copy is what the runtime loads, so that the file cannot change
/// between the check and the load.
// Once per connector at start: the error's size does not matter, its detail does.
#[allow(clippy::result_large_err)]
pub fn admit(
    connector: &str,
    component: &Path,
    store: &Store,
    rules: Option<&Rules>,
) -> Result<Admitted, AdmitError> {
    let text = component.to_string_lossy();
    let (path, bundle_path, expected, from_store) = if is_oci(&text) {
        let reference = OciReference::parse(&text).map_err(|error| AdmitError::Reference {
            connector: connector.to_string(),
            error,
        })?;
        let oci = |error| AdmitError::Oci {
            connector: connector.to_string(),
            error: Box::new(error),
        };
        let pulled = RegistryClient::new(&reference)
            .and_then(|client| client.pull(&reference, store, true))
            .map_err(oci)?;
        let bundle_path = store.bundle_path(&pulled.component.digest);
        (
            pulled.component_path,
            bundle_path,
            Some(pulled.component),
            true,
        )
    } else {
        (
            component.to_path_buf(),
            bundle::path_for(component),
            None,
            false,
        )
    };
    let Some(rules) = rules else {
        let digest = match expected {
            Some(d) => d,
            None => ComponentDigest {
                digest: String::new(),
                size: 0,
            },
        };
        return Ok(Admitted {
            path,
            digest,
            verification: None,
            accepted: None,
        });
    };
    let bytes = read_component(connector, &path)?;
    let digest = ComponentDigest::of(&bytes);
    if let Some(expected) = &expected
        && *expected != digest
    {
        return Err(AdmitError::Read {
            connector: connector.to_string(),
            path,
            message: format!(
                "the pull cache holds {} but the registry's manifest names {}; remove the file and pull again",
                digest.digest, expected.digest
            ),
        });
    }
    let bundle = Bundle::read(&bundle_path).map_err(|error| AdmitError::Bundle {
        connector: connector.to_string(),
        error,
    })?;
    let shown = text.to_string();
    let verification = bundle
        .as_ref()
        .map(|b| verify(b, &digest, chrono::Utc::now()))
        .transpose()
        .map_err(|error| AdmitError::Verify {
            connector: connector.to_string(),
            component: shown.clone(),
            digest: digest.digest.clone(),
            error,
        })?;
    let accepted = rules
        .check(verification.as_ref())
        .map_err(|error| AdmitError::Policy {
            connector: connector.to_string(),
            component: shown.clone(),
            digest: digest.digest.clone(),
            error,
        })?;
    let path = if from_store {
        path
    } else {
        let copy = store.blob_path(&digest.digest);
        // A copy of the same size is the same bytes: the store only ever
        // holds content under its own digest (see `Store`).
        let same = std::fs::metadata(&copy).is_ok_and(|m| m.len() == digest.size);
        if !same {
            store.put(&copy, &bytes).map_err(|e| AdmitError::Read {
                connector: connector.to_string(),
                path: copy.clone(),
                message: format!("cannot copy the admitted component into the pull cache: {e}"),
            })?;
        }
        copy
    };
    Ok(Admitted {
        path,
        digest,
        verification,
        accepted: Some(accepted),
    })
}

#[allow(clippy::result_large_err)]
fn read_component(connector: &str, path: &Path) -> Result<Vec<u8>, AdmitError> {
    let err = |message: String| AdmitError::Read {
        connector: connector.to_string(),
        path: path.to_path_buf(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > MAX_COMPONENT {
        return Err(err(format!(
            "{} bytes; a component is at most {MAX_COMPONENT}",
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| err(e.to_string()))
}
