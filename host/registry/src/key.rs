//! Ed25519 keys: a signer's secret key (PKCS#8 PEM, created 0600) and the
//! public key an operator trusts (SPKI PEM, or its one-line id).
//!
//! A public key's id is the key itself, `ed25519:` and the 32 bytes in
//! unpadded base64url, so that an envelope names the key that verifies it
//! and a policy can list keys inline without a file.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// The prefix of a public key's id.
pub const KEY_ID_PREFIX: &str = "ed25519:";

/// Key files larger than this are not keys.
const MAX_KEY_FILE: u64 = 16 * 1024;

/// A key that could not be made, read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The file or text is not a key of the expected kind.
    #[error("{what}: {message}")]
    Invalid {
        /// The file or text.
        what: String,
        /// Why it is not a key.
        message: String,
    },
    /// The system's random source failed.
    #[error("cannot generate a key: the system's random source failed: {0}")]
    Random(String),
}

/// A signer's secret key.
pub struct SecretKey(SigningKey);

/// A public key: what verifies a signature, and what a policy trusts.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl SecretKey {
    /// A new key from the system's random source.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        let key = SigningKey::from_bytes(&seed);
        seed.fill(0);
        Ok(Self(key))
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// Writes the key as PKCS#8 PEM to a new file that only its owner can
    /// read (mode 0600 from the start, so it is never readable by others,
    /// not even for a moment). Refuses to overwrite a file.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let pem = self
            .0
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| KeyError::Invalid {
                what: path.display().to_string(),
                message: format!("cannot encode the key: {e}"),
            })?;
        let io = |e: std::io::Error| KeyError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        file.write_all(pem.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Reads a key written by [`SecretKey::write_new`]. Refuses a file that
    /// others can read or write, as ssh does: such a key may be known to
    /// someone else.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|e| KeyError::Io {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Invalid {
                    what: path.display().to_string(),
                    message: format!(
                        "the secret key is accessible to others (mode {mode:04o}); \
                         restrict it with `chmod 600 {}`",
                        path.display()
                    ),
                });
            }
        }
        let text = read_small(path)?;
        let key = SigningKey::from_pkcs8_pem(&text).map_err(|e| KeyError::Invalid {
            what: path.display().to_string(),
            message: format!("not an Ed25519 secret key (PKCS#8 PEM): {e}"),
        })?;
        Ok(Self(key))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret itself.
        write!(f, "SecretKey({})", self.public().id())
    }
}

impl PublicKey {
    /// The key's id: `ed25519:` and the key in unpadded base64url.
    pub fn id(&self) -> String {
        format!(
            "{KEY_ID_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(self.0.to_bytes())
        )
    }

    /// Parses an id made by [`PublicKey::id`].
    pub fn from_id(id: &str) -> Result<Self, KeyError> {
        let invalid = |message: String| KeyError::Invalid {
            what: format!("key id {id:?}"),
            message,
        };
        let b64 = id
            .strip_prefix(KEY_ID_PREFIX)
            .ok_or_else(|| invalid(format!("does not start with `{KEY_ID_PREFIX}`")))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|e| invalid(format!("not base64url: {e}")))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| invalid(format!("{} bytes, not 32", b.len())))?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| invalid(format!("not a valid Ed25519 point: {e}")))
    }

    /// Reads a public key file: SPKI PEM, or one line holding a key id.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = read_small(path)?;
        let trimmed = text.trim();
        if trimmed.starts_with(KEY_ID_PREFIX) {
            return Self::from_id(trimmed).map_err(|e| KeyError::Invalid {
                what: path.display().to_string(),
                message: e.to_string(),
            });
        }
        VerifyingKey::from_public_key_pem(trimmed)
            .map(Self)
            .map_err(|e| KeyError::Invalid {
                what: path.display().to_string(),
                message: format!("not an Ed25519 public key (SPKI PEM or `ed25519:...`): {e}"),
            })
    }

    /// Writes the key as SPKI PEM (a new file; refuses to overwrite).
    pub fn write_new(&self, path: &Path) -> Result<(), KeyError> {
        let pem = self
            .0
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map_err(|e| KeyError::Invalid {
                what: path.display().to_string(),
                message: format!("cannot encode the key: {e}"),
            })?;
        let io = |e: std::io::Error| KeyError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        file.write_all(pem.as_bytes()).map_err(io)
    }

    /// Whether `signature` is this key's signature of `message`. Strict
    /// verification: no malleable or small-order forms.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        let signature = Signature::from_bytes(&bytes);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

fn read_small(path: &Path) -> Result<String, KeyError> {
    let io = |e: std::io::Error| KeyError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_KEY_FILE {
        return Err(KeyError::Invalid {
            what: path.display().to_string(),
            message: format!("{} bytes; a key file is at most {MAX_KEY_FILE}", meta.len()),
        });
    }
    std::fs::read_to_string(path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_signatures_verify() {
        let key = SecretKey::generate().unwrap();
        let public = key.public();
        assert_eq!(PublicKey::from_id(&public.id()).unwrap(), public);
        let sig = key.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellp", &sig));
        assert!(!public.verify(b"hello", &sig[..63]));
        assert!(PublicKey::from_id("ed25519:abc").is_err());
        assert!(PublicKey::from_id("rsa:abc").is_err());
    }
}
