//! DSSE envelopes (the Dead Simple Signing Envelope of in-toto and Sigstore):
//! a payload, its type, and signatures over the pre-authentication encoding
//! `PAE(type, payload)`, so that a signature over one type of payload can
//! never be read as a signature over another, and the signed bytes are the
//! payload's own bytes (no JSON canonicalization to get wrong).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::key::{PublicKey, SecretKey};
use crate::statement::{STATEMENT_TYPE, Statement};

/// The payload type of a [`Statement`].
pub const PAYLOAD_TYPE: &str = "application/vnd.connector-host.statement.v1+json";

/// Statements larger than this are refused before parsing (a certification
/// carries its report, which is a few KiB to a few hundred).
pub const MAX_PAYLOAD: usize = 1024 * 1024;

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// The key's id (`ed25519:...`).
    pub keyid: String,
    /// The signature, base64.
    pub sig: String,
}

/// A signed statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Envelope {
    /// Always [`PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The statement's JSON, base64.
    pub payload: String,
    /// Exactly one signature (by the statement's signer).
    pub signatures: Vec<EnvelopeSignature>,
}

/// An envelope that does not verify, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// It is not of the shape this host writes.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The signature is not the named key's signature of the payload.
    #[error("the signature by {key} does not verify (the statement or the signature was altered)")]
    BadSignature {
        /// The key it claims.
        key: String,
    },
}

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Signs `statement` with `key`.
    pub fn sign(statement: &Statement, key: &SecretKey) -> Self {
        // Serializing our own struct to JSON cannot fail.
        let payload = serde_json::to_vec(statement).unwrap_or_default();
        let sig = key.sign(&pae(PAYLOAD_TYPE, &payload));
        Self {
            payload_type: PAYLOAD_TYPE.to_string(),
            payload: STANDARD.encode(&payload),
            signatures: vec![EnvelopeSignature {
                keyid: key.public().id(),
                sig: STANDARD.encode(sig),
            }],
        }
    }

    /// Checks the signature and returns the statement and its key. The
    /// statement's signer must be the key that signed it.
    pub fn open(&self) -> Result<(Statement, PublicKey), EnvelopeError> {
        let malformed = |m: String| EnvelopeError::Malformed(m);
        if self.payload_type != PAYLOAD_TYPE {
            return Err(malformed(format!(
                "payload type {:?}, expected {PAYLOAD_TYPE}",
                self.payload_type
            )));
        }
        let [signature] = self.signatures.as_slice() else {
            return Err(malformed(format!(
                "{} signatures, expected exactly one",
                self.signatures.len()
            )));
        };
        if self.payload.len() > MAX_PAYLOAD * 4 / 3 + 4 {
            return Err(malformed(format!(
                "the statement is larger than {MAX_PAYLOAD} bytes"
            )));
        }
        let key = PublicKey::from_id(&signature.keyid).map_err(|e| malformed(e.to_string()))?;
        let payload = STANDARD
            .decode(&self.payload)
            .map_err(|e| malformed(format!("payload is not base64: {e}")))?;
        let sig = STANDARD
            .decode(&signature.sig)
            .map_err(|e| malformed(format!("signature is not base64: {e}")))?;
        // Verify before parsing: nothing of an unsigned payload is read.
        if !key.verify(&pae(&self.payload_type, &payload), &sig) {
            return Err(EnvelopeError::BadSignature {
                key: signature.keyid.clone(),
            });
        }
        let statement: Statement = serde_json::from_slice(&payload)
            .map_err(|e| malformed(format!("the signed statement is not a statement: {e}")))?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(malformed(format!(
                "statement type {:?}, expected {STATEMENT_TYPE}",
                statement.statement_type
            )));
        }
        if statement.signer.key != signature.keyid {
            return Err(malformed(format!(
                "the statement names signer {} but is signed by {}",
                statement.signer.key, signature.keyid
            )));
        }
        Ok((statement, key))
    }

    /// The statement without checking the signature, for display of a
    /// broken envelope only.
    pub fn statement_unverified(&self) -> Option<Statement> {
        let payload = STANDARD.decode(&self.payload).ok()?;
        serde_json::from_slice(&payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
