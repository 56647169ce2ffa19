//! The API token: created at first start in the state directory (0600),
//! required on every API call as `Authorization: Bearer <token>`.
//!
//! The page receives it once in the URL's fragment (`#token=...`), which
//! browsers never send to a server or put in a `Referer`, and keeps it in
//! `sessionStorage`; it is never a cookie, so a cross-site request cannot
//! carry it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::files;

/// The token file's name in the state directory.
pub const TOKEN_FILE: &str = "token";

/// The server's API token.
#[derive(Clone)]
pub struct Token {
    value: String,
    /// SHA-256 of the value: comparisons are made on digests, so their
    /// time does not depend on how much of a guess matched.
    digest: [u8; 32],
}

// Never print the token by accident.
impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([hidden])")
    }
}

/// The token and whether this start created it.
pub struct LoadedToken {
    pub token: Token,
    pub created: bool,
    pub path: PathBuf,
}

impl Token {
    fn from_value(value: String) -> Self {
        let digest = Sha256::digest(value.as_bytes()).into();
        Self { value, digest }
    }

    /// Reads the token of `state_dir`, creating it (32 random bytes, hex)
    /// if there is none.
    pub fn load_or_create(state_dir: &Path) -> Result<LoadedToken> {
        files::ensure_private_dir(state_dir)?;
        let path = state_dir.join(TOKEN_FILE);
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| anyhow::anyhow!("no randomness for the token: {e}"))?;
        let fresh = hex::encode(bytes);
        let created = files::create_private_once(&path, fresh.as_bytes())?;
        files::check_private(&path)?;
        let value = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the token {}", path.display()))?
            .trim()
            .to_string();
        if value.len() < 32 || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            anyhow::bail!(
                "the token file {} does not hold a token (at least 32 letters or digits); \
                 delete it and start again to make a new one",
                path.display()
            );
        }
        Ok(LoadedToken {
            token: Self::from_value(value),
            created,
            path,
        })
    }

    /// The token's text, to print once or give to a test.
    pub fn reveal(&self) -> &str {
        &self.value
    }

    /// Whether `candidate` is the token, in time independent of where the
    /// two differ.
    pub fn matches(&self, candidate: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        let mut diff = 0u8;
        for (a, b) in self.digest.iter().zip(other.iter()) {
            diff |= a ^ b;
        }
        diff == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_read_back() {
        let dir = std::env::temp_dir().join(format!("cs-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = Token::load_or_create(&dir).unwrap();
        assert!(first.created);
        let second = Token::load_or_create(&dir).unwrap();
        assert!(!second.created);
        assert_eq!(first.token.reveal(), second.token.reveal());
        assert!(first.token.matches(second.token.reveal()));
        assert!(!first.token.matches("nope"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&first.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
