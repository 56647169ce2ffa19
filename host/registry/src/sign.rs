//! Making statements and adding them to a component's bundle.

use std::path::Path;

use chrono::{Duration, Utc};

use crate::bundle::{self, Bundle, BundleError};
use crate::envelope::Envelope;
use crate::key::SecretKey;
use crate::statement::{
    Conformance, ConnectorId, STATEMENT_TYPE, Signer, Statement, StatementKind, Subject,
    format_time, sha256_digest,
};
use crate::verify::ComponentDigest;

/// What a signer states, besides who and when.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Signature or certification.
    pub kind: StatementKind,
    /// The connector the component describes itself as.
    pub connector: ConnectorId,
    /// Its contract, e.g. `connector:provider@0.1.0`.
    pub contract: String,
    /// The component.
    pub component: ComponentDigest,
    /// How long the statement holds (none: no end).
    pub valid_for: Option<Duration>,
    /// For a certification: the report, as JSON.
    pub report: Option<ReportSummary>,
}

/// A conformance report and its counts.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The report (the kit's JSON).
    pub report: serde_json::Value,
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Checks skipped.
    pub skipped: usize,
}

/// The statement `key` makes of `claim`, now.
pub fn statement(claim: &Claim, key: &SecretKey, signer_name: Option<String>) -> Statement {
    let now = Utc::now();
    Statement {
        statement_type: STATEMENT_TYPE.to_string(),
        kind: claim.kind,
        connector: claim.connector.clone(),
        contract: claim.contract.clone(),
        component: Subject {
            digest: claim.component.digest.clone(),
            size: claim.component.size,
        },
        signer: Signer {
            key: key.public().id(),
            name: signer_name,
        },
        signed_at: format_time(now),
        expires_at: claim
            .valid_for
            // An end past chrono's range is written as its last instant,
            // which a verifier refuses as unreadable: never "no end".
            .map(|d| {
                format_time(
                    now.checked_add_signed(d)
                        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC),
                )
            }),
        conformance: claim.report.as_ref().map(|r| Conformance {
            digest: sha256_digest(&serde_json::to_vec(&r.report).unwrap_or_default()),
            passed: r.passed,
            failed: r.failed,
            skipped: r.skipped,
            report: r.report.clone(),
        }),
    }
}

/// Signs `statement` and adds it to the bundle beside `component`
/// (`<component>.sig`, created if missing). Returns the bundle's path.
pub fn add_to_bundle(
    component: &Path,
    statement: &Statement,
    key: &SecretKey,
) -> Result<std::path::PathBuf, BundleError> {
    let path = bundle::path_for(component);
    let mut bundle = Bundle::read(&path)?.unwrap_or_else(Bundle::new);
    bundle.add(Envelope::sign(statement, key));
    bundle.write(&path)?;
    Ok(path)
}
