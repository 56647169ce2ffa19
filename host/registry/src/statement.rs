//! The signed statement: what a signer says about one component.
//!
//! A statement names the component by its SHA-256 digest and size, the
//! connector it describes itself as (id and version), the contract it
//! targets, who signed it and when, until when it holds, and, for a
//! certification, the conformance report it passed. The signature covers the
//! statement's exact bytes (see [`crate::envelope`]), and the statement
//! covers the component through its digest.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The `_type` of every statement this crate writes and reads.
pub const STATEMENT_TYPE: &str = "connector-host.statement/v1";

/// What a statement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatementKind {
    /// "I built (or vouch for) this component": an author's signature.
    Signature,
    /// "This component passed the conformance kit": a certifier's signature,
    /// carrying the report.
    Certification,
}

impl StatementKind {
    /// `signature` or `certification`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatementKind::Signature => "signature",
            StatementKind::Certification => "certification",
        }
    }
}

/// The connector a component describes itself as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorId {
    /// Its service id (`describe-service`).
    pub id: String,
    /// Its version.
    pub version: String,
}

/// The component a statement is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// `sha256:` and 64 lower-case hex digits.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Who signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    /// The signing key's id (`ed25519:...`); must be the key that verifies.
    pub key: String,
    /// A name the signer gave (informative; trust is in the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The conformance run a certification vouches for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Conformance {
    /// `sha256:` of the report's JSON as it appears here (`report`
    /// serialized compactly), so that a report stored elsewhere can be
    /// matched to it.
    pub digest: String,
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed (a certification needs 0).
    pub failed: usize,
    /// Checks skipped (with the spec's reason).
    pub skipped: usize,
    /// The report itself (`connector-host test`'s checks).
    pub report: serde_json::Value,
}

/// A statement about one component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Statement {
    /// Always [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What it says.
    pub kind: StatementKind,
    /// The connector the component describes itself as.
    pub connector: ConnectorId,
    /// The contract it exports, e.g. `connector:provider@0.1.0`.
    pub contract: String,
    /// The component.
    pub component: Subject,
    /// Who signed.
    pub signer: Signer,
    /// When (RFC 3339, UTC).
    pub signed_at: String,
    /// Until when the statement holds (RFC 3339); none: no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// For a certification: the report it passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conformance: Option<Conformance>,
}

impl Statement {
    /// When it was signed, if the text is RFC 3339.
    pub fn signed_at(&self) -> Option<DateTime<Utc>> {
        parse_time(&self.signed_at)
    }

    /// When it ends, if it has an end (`Err` if the text is not RFC 3339).
    pub fn expires_at(&self) -> Result<Option<DateTime<Utc>>, String> {
        match &self.expires_at {
            None => Ok(None),
            Some(text) => parse_time(text)
                .map(Some)
                .ok_or_else(|| format!("expiresAt {text:?} is not an RFC 3339 time")),
        }
    }
}

/// `time` as RFC 3339 in UTC, to the second.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `sha256:` and the lower-case hex SHA-256 of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Whether `text` is `sha256:` and 64 lower-case hex digits.
pub fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}
