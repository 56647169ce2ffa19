//! What the registry commands share, and what `run` and `describe` use of
//! connector-registry: the pull store, the trust policy applied to a
//! configuration before any connector is loaded, and signatures shown.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{Failure, exit};
use connector_registry::bundle::{self, Bundle};
use connector_registry::policy::TrustPolicy;
use connector_registry::reference::is_oci;
use connector_registry::store::Store;
use connector_registry::verify::{ComponentDigest, Verification, verify};
use connector_runtime::runtime::Runtime;
use connector_triggers::config::Config;

/// The pull store beside the runtime's compiled-component cache; with
/// `--no-cache`, a folder of this process in the temporary directory.
pub fn store_for(runtime: &Runtime) -> Store {
    match runtime.cache() {
        Some(cache) => Store::in_cache_dir(cache.dir()),
        None => Store::new(
            std::env::temp_dir().join(format!("connector-host-pull-{}", std::process::id())),
        ),
    }
}

/// A load failure with `message`.
pub fn load_failure(message: impl std::fmt::Display) -> Failure {
    Failure {
        code: exit::LOAD,
        message: message.to_string(),
    }
}

/// Applies the configuration's `[trust]` policy and pulls `oci://`
/// components, before the trigger host loads anything: each connector's
/// `component` becomes the verified local file. Returns a line per
/// connector that was checked.
pub fn admit_config(config: &mut Config, runtime: &Runtime) -> Result<Vec<String>, Failure> {
    let base = config
        .file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let file = config.file.display().to_string();
    let policy = match &config.trust {
        None => None,
        Some(table) => Some(
            TrustPolicy::from_toml(table, &base).map_err(|problems| Failure {
                code: exit::USAGE,
                message: format!("{file}: [trust]:\n  {}", problems.join("\n  ")),
            })?,
        ),
    };
    if let Some(policy) = &policy {
        let unknown: Vec<&str> = policy
            .connector_names()
            .filter(|n| config.connector(n).is_none())
            .collect();
        if !unknown.is_empty() {
            return Err(Failure {
                code: exit::USAGE,
                message: format!(
                    "{file}: [trust.connector.{}] names no [[connector]]",
                    unknown.join("], [trust.connector.")
                ),
            });
        }
    }
    let store = store_for(runtime);
    let mut lines = Vec::new();
    for connector in &mut config.connectors {
        let rules = policy.as_ref().map(|p| p.rules(&connector.name));
        if rules.is_none() && !is_oci(&connector.component.to_string_lossy()) {
            continue;
        }
        let original = connector.component.display().to_string();
        let admitted = connector_registry::admit(
            &connector.name,
            &connector.component,
            &store,
            rules.as_ref(),
        )
        .map_err(load_failure)?;
        if let Some(v) = admitted.verification.as_ref().filter(|v| !v.is_empty()) {
            // The id and version a statement names must be what the
            // component says it is; this runs describe-service, in the
            // sandbox, only now that the signatures and the policy passed.
            let loaded = runtime.load(&admitted.path, connector.options.clone())?;
            let service = &loaded.description().service;
            v.check_description(&service.id, &service.version)
                .map_err(|e| {
                    load_failure(format!(
                        "connector {} ({original}): {e}; refusing it",
                        connector.name
                    ))
                })?;
        }
        let mut line = format!("{}: {original}", connector.name);
        if let Some(accepted) = &admitted.accepted {
            match &accepted.signer {
                Some(key) => {
                    let _ = write!(line, ", signed by {key}");
                }
                None => line.push_str(", unsigned (allowed)"),
            }
            if let Some(key) = &accepted.certifier {
                let _ = write!(line, ", certified by {key}");
            }
        }
        lines.push(line);
        connector.component = admitted.path;
    }
    Ok(lines)
}

/// The bundle beside `component`, verified, for display: `None` without a
/// bundle, `Err` with why it does not verify.
pub fn bundle_of(component: &Path) -> Option<Result<Verification, String>> {
    let bundle = match Bundle::read(&bundle::path_for(component)) {
        Ok(None) => return None,
        Ok(Some(bundle)) => bundle,
        Err(e) => return Some(Err(e.to_string())),
    };
    let bytes = match std::fs::read(component) {
        Ok(bytes) => bytes,
        Err(e) => return Some(Err(format!("{}: {e}", component.display()))),
    };
    Some(verify(&bundle, &ComponentDigest::of(&bytes), Utc::now()).map_err(|e| e.to_string()))
}

/// Signatures and certifications as text for a person.
pub fn render(verification: &Verification) -> String {
    let mut out = String::new();
    for s in &verification.signatures {
        let st = &s.statement;
        let _ = write!(out, "  signed by {}", s.key);
        if let Some(name) = &st.signer.name {
            let _ = write!(out, " ({name})");
        }
        let _ = write!(out, " at {}", st.signed_at);
        if let Some(end) = &st.expires_at {
            let _ = write!(out, ", valid until {end}");
        }
        out.push('\n');
    }
    for s in &verification.certifications {
        let st = &s.statement;
        let _ = write!(out, "  certified by {}", s.key);
        if let Some(name) = &st.signer.name {
            let _ = write!(out, " ({name})");
        }
        let _ = write!(out, " at {}", st.signed_at);
        if let Some(c) = &st.conformance {
            let _ = write!(
                out,
                ": conformance kit passed ({} checks passed, {} skipped; report {})",
                c.passed, c.skipped, c.digest
            );
        }
        if let Some(end) = &st.expires_at {
            let _ = write!(out, ", valid until {end}");
        }
        out.push('\n');
    }
    if verification.is_empty() {
        out.push_str("  (the bundle holds no statements)\n");
    }
    out
}

/// Signatures and certifications as JSON (for `describe --json`).
pub fn to_json(verification: &Verification) -> serde_json::Value {
    let entry = |v: &connector_registry::verify::Verified| {
        let st = &v.statement;
        serde_json::json!({
            "key": v.key.id(),
            "name": st.signer.name,
            "signedAt": st.signed_at,
            "expiresAt": st.expires_at,
            "connector": st.connector,
            "contract": st.contract,
            "conformance": st.conformance.as_ref().map(|c| serde_json::json!({
                "digest": c.digest, "passed": c.passed, "failed": c.failed, "skipped": c.skipped,
            })),
        })
    };
    serde_json::json!({
        "digest": verification.digest,
        "signatures": verification.signatures.iter().map(entry).collect::<Vec<_>>(),
        "certifications": verification.certifications.iter().map(entry).collect::<Vec<_>>(),
    })
}

/// What a signature or certification of the component at `path` claims:
/// the connector it describes itself as (loaded, and its description
/// checked), its contract (from its exports) and its digest.
pub fn claim_for(
    runtime: &Runtime,
    path: &Path,
    options: connector_runtime::runtime::ConnectorOptions,
    kind: connector_registry::StatementKind,
    valid_for: Option<&str>,
) -> Result<(connector_registry::sign::Claim, Vec<u8>), Failure> {
    let valid_for = valid_for
        .map(|text| {
            connector_triggers::config::parse_interval(text)
                .map_err(|e| Failure::usage(e.context(format!("--expires {text:?}"))))
                .and_then(|d| {
                    chrono::Duration::from_std(d)
                        .ok()
                        // Refused here rather than past chrono's range later.
                        .filter(|d| Utc::now().checked_add_signed(*d).is_some())
                        .ok_or_else(|| {
                            Failure::usage(anyhow::anyhow!(
                                "--expires {text:?} is too far in the future"
                            ))
                        })
                })
        })
        .transpose()?;
    let connector = runtime.load(path, options)?;
    let bytes =
        std::fs::read(path).map_err(|e| load_failure(format!("{}: {e}", path.display())))?;
    // The load above checked the contract and read its version from the
    // export names; the statement names the same version.
    let contract = format!(
        "{}@{}",
        connector_runtime::bindings::CONTRACT_PACKAGE,
        connector.contract_version()
    );
    let service = &connector.description().service;
    Ok((
        connector_registry::sign::Claim {
            kind,
            connector: connector_registry::statement::ConnectorId {
                id: service.id.clone(),
                version: service.version.clone(),
            },
            contract,
            component: ComponentDigest::of(&bytes),
            valid_for,
            report: None,
        },
        bytes,
    ))
}

/// Reads a secret key for `--key`.
pub fn read_secret_key(path: &Path) -> Result<connector_registry::SecretKey, Failure> {
    connector_registry::SecretKey::read(path)
        .map_err(|e| Failure::usage(anyhow::anyhow!("--key {e}")))
}
