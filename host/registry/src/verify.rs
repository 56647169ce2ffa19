//! Checks a bundle against the component it is beside: every envelope's
//! signature, and every statement's digest, size, times and report.
//!
//! One bad envelope refuses the whole bundle: a flipped byte anywhere in a
//! signature or a statement is an error, never a statement quietly dropped.

use chrono::{DateTime, Duration, Utc};

use crate::bundle::Bundle;
use crate::envelope::EnvelopeError;
use crate::key::PublicKey;
use crate::statement::{Statement, StatementKind, is_sha256_digest, sha256_digest};

/// How far in the future a statement's signing time may be (clock skew).
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// A statement whose signature verified and which holds for the component.
#[derive(Debug, Clone)]
pub struct Verified {
    /// What it says.
    pub statement: Statement,
    /// The key that signed it.
    pub key: PublicKey,
}

/// What a bundle says about a component, all of it verified.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// The component's digest (`sha256:...`).
    pub digest: String,
    /// Authors' signatures.
    pub signatures: Vec<Verified>,
    /// Certifications (each carries a passing report).
    pub certifications: Vec<Verified>,
}

/// Why a bundle does not hold for a component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// An envelope's signature or shape is wrong.
    #[error("statement {index}: {error}")]
    Envelope {
        /// 1-based position in the bundle.
        index: usize,
        /// What is wrong.
        error: EnvelopeError,
    },
    /// A statement is about other bytes.
    #[error(
        "statement {index} (signed by {key}) is for component {expected} ({expected_size} bytes), \
         but this component is {actual} ({actual_size} bytes): the component was altered or the \
         signature belongs to another one"
    )]
    Mismatch {
        /// 1-based position in the bundle.
        index: usize,
        /// The signer.
        key: String,
        /// The digest the statement names.
        expected: String,
        /// The size it names.
        expected_size: u64,
        /// The component's digest.
        actual: String,
        /// The component's size.
        actual_size: u64,
    },
    /// A statement's validity ended.
    #[error("statement {index} (signed by {key}) expired at {expired_at}")]
    Expired {
        /// 1-based position in the bundle.
        index: usize,
        /// The signer.
        key: String,
        /// When it ended.
        expired_at: String,
    },
    /// A statement is not usable for another reason (times, report).
    #[error("statement {index} (signed by {key}): {message}")]
    Invalid {
        /// 1-based position in the bundle.
        index: usize,
        /// The signer.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The digest and size of a component's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentDigest {
    /// `sha256:...`.
    pub digest: String,
    /// Bytes.
    pub size: u64,
}

impl ComponentDigest {
    /// Hashes `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            digest: sha256_digest(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// Verifies every statement of `bundle` against `component` at time `now`.
pub fn verify(
    bundle: &Bundle,
    component: &ComponentDigest,
    now: DateTime<Utc>,
) -> Result<Verification, VerifyError> {
    let mut verification = Verification {
        digest: component.digest.clone(),
        ..Verification::default()
    };
    for (i, envelope) in bundle.envelopes.iter().enumerate() {
        let index = i + 1;
        let (statement, key) = envelope
            .open()
            .map_err(|error| VerifyError::Envelope { index, error })?;
        let key_id = key.id();
        let invalid = |message: String| VerifyError::Invalid {
            index,
            key: key_id.clone(),
            message,
        };
        if !is_sha256_digest(&statement.component.digest) {
            return Err(invalid(format!(
                "component digest {:?} is not sha256:<64 hex digits>",
                statement.component.digest
            )));
        }
        if statement.component.digest != component.digest
            || statement.component.size != component.size
        {
            return Err(VerifyError::Mismatch {
                index,
                key: key_id,
                expected: statement.component.digest.clone(),
                expected_size: statement.component.size,
                actual: component.digest.clone(),
                actual_size: component.size,
            });
        }
        let signed_at = statement.signed_at().ok_or_else(|| {
            invalid(format!(
                "signedAt {:?} is not an RFC 3339 time",
                statement.signed_at
            ))
        })?;
        if signed_at > now + MAX_CLOCK_SKEW {
            return Err(invalid(format!(
                "signed at {}, which is in the future",
                statement.signed_at
            )));
        }
        if let Some(expires_at) = statement.expires_at().map_err(&invalid)? {
            if expires_at <= signed_at {
                return Err(invalid("expires before it was signed".into()));
            }
            if expires_at <= now {
                return Err(VerifyError::Expired {
                    index,
                    key: key_id,
                    expired_at: statement.expires_at.clone().unwrap_or_default(),
                });
            }
        }
        match statement.kind {
            StatementKind::Signature => {
                if statement.conformance.is_some() {
                    return Err(invalid("a signature carries no conformance report".into()));
                }
                verification.signatures.push(Verified { statement, key });
            }
            StatementKind::Certification => {
                let Some(conformance) = &statement.conformance else {
                    return Err(invalid(
                        "a certification without its conformance report".into(),
                    ));
                };
                let digest =
                    sha256_digest(&serde_json::to_vec(&conformance.report).unwrap_or_default());
                if digest != conformance.digest {
                    return Err(invalid(format!(
                        "the report's digest is {digest}, the statement says {}",
                        conformance.digest
                    )));
                }
                if conformance.failed > 0 || conformance.passed == 0 {
                    return Err(invalid(format!(
                        "certifies a report with {} passed and {} failed checks",
                        conformance.passed, conformance.failed
                    )));
                }
                verification
                    .certifications
                    .push(Verified { statement, key });
            }
        }
    }
    Ok(verification)
}

impl Verification {
    /// The first statement whose connector id or version differs from what
    /// the component describes itself as (checked once it is loaded; the
    /// contract was checked when it was signed, and the digest binds it).
    pub fn check_description(&self, id: &str, version: &str) -> Result<(), String> {
        for v in self.signatures.iter().chain(&self.certifications) {
            let s = &v.statement;
            if s.connector.id != id || s.connector.version != version {
                return Err(format!(
                    "the {} by {} is for {} {}, but the component describes itself as {id} {version}",
                    s.kind.as_str(),
                    v.key,
                    s.connector.id,
                    s.connector.version,
                ));
            }
        }
        Ok(())
    }

    /// Whether nothing is signed.
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty() && self.certifications.is_empty()
    }
}
