//! The trust policy of the host configuration (`[trust]` in `host.toml`):
//! which signer keys are trusted (for every connector, or per connector),
//! whether an unsigned component may run, and whether a certification by a
//! certifier key is required.
//!
//! ```toml
//! [trust]
//! keys = ["keys/alice.pub", "ed25519:kq1..."]   # trusted signers: files or key ids
//! allow_unsigned = false                        # [default false once [trust] exists]
//! require_certification = true                  # [default false]
//! certifiers = ["keys/certifier.pub"]
//!
//! [trust.connector.files]                       # per [[connector]] name; replaces what it names
//! keys = ["keys/bob.pub"]
//! ```
//!
//! A setting of a connector's table replaces the global one for that
//! connector. Without `[trust]` nothing is checked (the host as before).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::key::{KEY_ID_PREFIX, PublicKey};
use crate::verify::Verification;

/// A trusted key and where the policy names it.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key.
    pub key: PublicKey,
    /// The file or inline id it came from.
    pub source: String,
}

/// One level of settings (global or one connector's).
#[derive(Debug, Clone, Default)]
struct Settings {
    keys: Option<Vec<TrustedKey>>,
    certifiers: Option<Vec<TrustedKey>>,
    allow_unsigned: Option<bool>,
    require_certification: Option<bool>,
}

/// The trust policy.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    global: Settings,
    connectors: BTreeMap<String, Settings>,
}

/// The settings that apply to one connector, each with the rule it comes from.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The connector's name in the configuration.
    pub connector: String,
    /// Trusted signers.
    pub keys: Vec<TrustedKey>,
    /// `trust.keys` or `trust.connector.NAME.keys`.
    pub keys_rule: String,
    /// Trusted certifiers.
    pub certifiers: Vec<TrustedKey>,
    /// Where they come from.
    pub certifiers_rule: String,
    /// Whether a component without a trusted signature may run.
    pub allow_unsigned: bool,
    /// Where that comes from.
    pub allow_unsigned_rule: String,
    /// Whether a certification by a certifier is required.
    pub require_certification: bool,
    /// Where that comes from.
    pub require_certification_rule: String,
}

/// What the policy accepted a component on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    /// The trusted signer, if signed by one.
    pub signer: Option<String>,
    /// The trusted certifier, if certified by one.
    pub certifier: Option<String>,
}

/// A component the policy refuses: the rule and the keys involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not signed at all.
    #[error("refused by trust policy rule `{rule} = false`: the component is not signed")]
    Unsigned {
        /// The rule.
        rule: String,
    },
    /// Signed, but by no trusted key.
    #[error(
        "refused by trust policy rule `{rule}`: signed by {}, which {} not a trusted key (trusted: {})",
        signers.join(", "), if signers.len() == 1 { "is" } else { "are" }, list(trusted)
    )]
    UntrustedSigner {
        /// The rule.
        rule: String,
        /// Who signed.
        signers: Vec<String>,
        /// Whom the rule trusts.
        trusted: Vec<String>,
    },
    /// Not certified, and certification is required.
    #[error("refused by trust policy rule `{rule} = true`: the component has no certification")]
    NotCertified {
        /// The rule.
        rule: String,
    },
    /// Certified, but by no trusted certifier.
    #[error(
        "refused by trust policy rule `{rule}`: certified by {}, which {} not a trusted certifier (trusted: {})",
        certifiers.join(", "), if certifiers.len() == 1 { "is" } else { "are" }, list(trusted)
    )]
    UntrustedCertifier {
        /// The rule.
        rule: String,
        /// Who certified.
        certifiers: Vec<String>,
        /// Whom the rule trusts.
        trusted: Vec<String>,
    },
}

fn list(keys: &[String]) -> String {
    if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    keys: Option<Vec<String>>,
    certifiers: Option<Vec<String>>,
    allow_unsigned: Option<bool>,
    require_certification: Option<bool>,
    #[serde(default)]
    connector: BTreeMap<String, RawSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    keys: Option<Vec<String>>,
    certifiers: Option<Vec<String>>,
    allow_unsigned: Option<bool>,
    require_certification: Option<bool>,
}

impl TrustPolicy {
    /// Reads the `[trust]` table; key files are relative to `base` (the
    /// configuration's folder). Returns every problem, each naming its key
    /// (`trust.connector.files.keys[0]: ...`).
    pub fn from_toml(value: &toml::Value, base: &Path) -> Result<Self, Vec<String>> {
        let raw: RawTrust = value
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| vec![format!("trust: {}", e.message().trim())])?;
        let mut problems = Vec::new();
        let mut keys = |list: Option<Vec<String>>, at: &str| {
            list.map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(i, text)| match read_trusted(text, base) {
                        Ok(key) => Some(key),
                        Err(e) => {
                            problems.push(format!("{at}[{i}]: {e}"));
                            None
                        }
                    })
                    .collect::<Vec<_>>()
            })
        };
        let global = Settings {
            keys: keys(raw.keys, "trust.keys"),
            certifiers: keys(raw.certifiers, "trust.certifiers"),
            allow_unsigned: raw.allow_unsigned,
            require_certification: raw.require_certification,
        };
        let mut connectors = BTreeMap::new();
        for (name, s) in raw.connector {
            let at = format!("trust.connector.{name}");
            connectors.insert(
                name,
                Settings {
                    keys: keys(s.keys, &format!("{at}.keys")),
                    certifiers: keys(s.certifiers, &format!("{at}.certifiers")),
                    allow_unsigned: s.allow_unsigned,
                    require_certification: s.require_certification,
                },
            );
        }
        let policy = Self { global, connectors };
        // A policy that can admit nothing is a mistake to report now, not
        // at the first load.
        let names: Vec<Option<String>> = std::iter::once(None)
            .chain(policy.connectors.keys().cloned().map(Some))
            .collect();
        for name in names {
            let rules = policy.rules(name.as_deref().unwrap_or("*"));
            let at = name.map_or("trust".to_string(), |n| format!("trust.connector.{n}"));
            if rules.require_certification && rules.certifiers.is_empty() {
                problems.push(format!(
                    "{at}: `{}` is true but no certifier key is trusted (`{}`)",
                    rules.require_certification_rule, rules.certifiers_rule
                ));
            }
        }
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    /// The names of the connectors the policy has a table for.
    pub fn connector_names(&self) -> impl Iterator<Item = &str> {
        self.connectors.keys().map(String::as_str)
    }

    /// The rules for the connector named `connector`.
    pub fn rules(&self, connector: &str) -> Rules {
        let own = self.connectors.get(connector);
        let pick = |field: &str, own: Option<bool>, global: Option<bool>, default: bool| match (
            own, global,
        ) {
            (Some(v), _) => (v, format!("trust.connector.{connector}.{field}")),
            (None, Some(v)) => (v, format!("trust.{field}")),
            (None, None) => (default, format!("trust.{field}")),
        };
        let pick_keys =
            |field: &str, own: Option<&Vec<TrustedKey>>, global: Option<&Vec<TrustedKey>>| match (
                own, global,
            ) {
                (Some(v), _) => (v.clone(), format!("trust.connector.{connector}.{field}")),
                (None, Some(v)) => (v.clone(), format!("trust.{field}")),
                (None, None) => (Vec::new(), format!("trust.{field}")),
            };
        let (keys, keys_rule) = pick_keys(
            "keys",
            own.and_then(|s| s.keys.as_ref()),
            self.global.keys.as_ref(),
        );
        let (certifiers, certifiers_rule) = pick_keys(
            "certifiers",
            own.and_then(|s| s.certifiers.as_ref()),
            self.global.certifiers.as_ref(),
        );
        let (allow_unsigned, allow_unsigned_rule) = pick(
            "allow_unsigned",
            own.and_then(|s| s.allow_unsigned),
            self.global.allow_unsigned,
            false,
        );
        let (require_certification, require_certification_rule) = pick(
            "require_certification",
            own.and_then(|s| s.require_certification),
            self.global.require_certification,
            false,
        );
        Rules {
            connector: connector.to_string(),
            keys,
            keys_rule,
            certifiers,
            certifiers_rule,
            allow_unsigned,
            allow_unsigned_rule,
            require_certification,
            require_certification_rule,
        }
    }
}

impl Rules {
    /// Whether a component with this (verified) bundle may run.
    /// `verification` is `None` when the component has no bundle at all.
    pub fn check(&self, verification: Option<&Verification>) -> Result<Accepted, PolicyError> {
        let empty = Verification::default();
        let v = verification.unwrap_or(&empty);
        let trusted = |keys: &[TrustedKey], id: &str| keys.iter().any(|k| k.key.id() == id);
        let mut accepted = Accepted::default();
        let signers: Vec<String> = v.signatures.iter().map(|s| s.key.id()).collect();
        accepted.signer = signers.iter().find(|id| trusted(&self.keys, id)).cloned();
        if accepted.signer.is_none() && !self.allow_unsigned {
            return Err(if signers.is_empty() {
                PolicyError::Unsigned {
                    rule: self.allow_unsigned_rule.clone(),
                }
            } else {
                PolicyError::UntrustedSigner {
                    rule: self.keys_rule.clone(),
                    signers,
                    trusted: self.keys.iter().map(|k| k.key.id()).collect(),
                }
            });
        }
        let certifiers: Vec<String> = v.certifications.iter().map(|s| s.key.id()).collect();
        accepted.certifier = certifiers
            .iter()
            .find(|id| trusted(&self.certifiers, id))
            .cloned();
        if accepted.certifier.is_none() && self.require_certification {
            return Err(if certifiers.is_empty() {
                PolicyError::NotCertified {
                    rule: self.require_certification_rule.clone(),
                }
            } else {
                PolicyError::UntrustedCertifier {
                    rule: self.certifiers_rule.clone(),
                    certifiers,
                    trusted: self.certifiers.iter().map(|k| k.key.id()).collect(),
                }
            });
        }
        Ok(accepted)
    }
}

/// A key named in the policy: an inline id, or a public key file.
fn read_trusted(text: &str, base: &Path) -> Result<TrustedKey, String> {
    if text.starts_with(KEY_ID_PREFIX) {
        return PublicKey::from_id(text)
            .map(|key| TrustedKey {
                key,
                source: text.to_string(),
            })
            .map_err(|e| e.to_string());
    }
    let path = base.join(text);
    PublicKey::read(&path)
        .map(|key| TrustedKey {
            key,
            source: path.display().to_string(),
        })
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SecretKey;

    fn policy(text: &str) -> Result<TrustPolicy, Vec<String>> {
        let value: toml::Value = toml::from_str(text).unwrap();
        TrustPolicy::from_toml(&value, Path::new("."))
    }

    #[test]
    fn connector_tables_replace_global_settings() {
        let a = SecretKey::generate().unwrap().public().id();
        let b = SecretKey::generate().unwrap().public().id();
        let p = policy(&format!(
            "keys = [\"{a}\"]\n[connector.files]\nkeys = [\"{b}\"]\nallow_unsigned = true\n"
        ))
        .unwrap();
        let files = p.rules("files");
        assert_eq!(files.keys_rule, "trust.connector.files.keys");
        assert_eq!(files.keys[0].key.id(), b);
        assert!(files.allow_unsigned);
        let other = p.rules("other");
        assert_eq!(other.keys_rule, "trust.keys");
        assert!(!other.allow_unsigned);
        assert_eq!(
            other.check(None),
            Err(PolicyError::Unsigned {
                rule: "trust.allow_unsigned".into()
            })
        );
        assert!(files.check(None).is_ok());
    }

    #[test]
    fn bad_policies_name_the_key() {
        let e = policy("keys = [\"ed25519:nope\"]\n").unwrap_err();
        assert!(e[0].starts_with("trust.keys[0]"), "{e:?}");
        let e = policy("require_certification = true\n").unwrap_err();
        assert!(e[0].contains("no certifier"), "{e:?}");
        let e = policy("allow_unsigend = true\n").unwrap_err();
        assert!(e[0].contains("allow_unsigend"), "{e:?}");
    }
}
