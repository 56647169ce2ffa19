//! `connector-host verify`: check a component's signatures and
//! certifications, and optionally that trusted keys made them.

use std::path::{Path, PathBuf};

use clap::Args;

use super::signing::{self, load_failure};
use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime};
use connector_registry::PublicKey;
use connector_registry::policy::{Rules, TrustedKey};
use connector_runtime::runtime::Runtime;

/// Verify the bundle beside a component (COMPONENT.sig): every signature,
/// every statement's digest and times; with --key, that a trusted key signed it.
/// Exit 0 if it verifies (and satisfies the keys given), 1 otherwise.
#[derive(Args, Debug)]
pub struct VerifyCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// A trusted signer: a public key file or an `ed25519:...` id. Repeatable.
    #[arg(long = "key", value_name = "KEY")]
    keys: Vec<String>,
    /// A trusted certifier: a public key file or an `ed25519:...` id. Repeatable.
    #[arg(long = "certifier", value_name = "KEY")]
    certifiers: Vec<String>,
    /// Require a certification by one of the --certifier keys.
    #[arg(long)]
    require_certification: bool,
}

fn read_keys(flag: &str, keys: &[String]) -> Result<Vec<TrustedKey>, Failure> {
    keys.iter()
        .map(|text| {
            let key = if text.starts_with(connector_registry::key::KEY_ID_PREFIX) {
                PublicKey::from_id(text)
            } else {
                PublicKey::read(Path::new(text))
            };
            key.map(|key| TrustedKey {
                key,
                source: text.clone(),
            })
            .map_err(|e| Failure::usage(anyhow::anyhow!("{flag} {e}")))
        })
        .collect()
}

impl VerifyCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let keys = read_keys("--key", &self.keys)?;
        let certifiers = read_keys("--certifier", &self.certifiers)?;
        if self.require_certification && certifiers.is_empty() {
            return Err(Failure::usage(anyhow::anyhow!(
                "--require-certification needs at least one --certifier"
            )));
        }
        let path: &PathBuf = &self.component.component;
        let verification = match signing::bundle_of(path) {
            None => {
                return Err(load_failure(format!(
                    "{}: not signed (no {})",
                    path.display(),
                    connector_registry::bundle::path_for(path).display()
                )));
            }
            Some(Err(e)) => {
                return Err(load_failure(format!(
                    "{}: does not verify: {e}",
                    path.display()
                )));
            }
            Some(Ok(v)) => v,
        };
        if verification.is_empty() {
            return Err(load_failure(format!(
                "{}: its bundle holds no statements",
                path.display()
            )));
        }
        let runtime = make_runtime(runtime)?;
        let connector = runtime.load(path, options)?;
        let service = &connector.description().service;
        verification
            .check_description(&service.id, &service.version)
            .map_err(|e| load_failure(format!("{}: {e}", path.display())))?;
        if !keys.is_empty() || !certifiers.is_empty() {
            let rules = Rules {
                connector: service.id.clone(),
                keys,
                keys_rule: "--key".into(),
                certifiers,
                certifiers_rule: "--certifier".into(),
                allow_unsigned: self.keys.is_empty(),
                allow_unsigned_rule: "--key".into(),
                require_certification: self.require_certification,
                require_certification_rule: "--require-certification".into(),
            };
            rules
                .check(Some(&verification))
                .map_err(|e| load_failure(format!("{}: {e}", path.display())))?;
        }
        println!(
            "{} {} ({}): verified",
            service.id, service.version, verification.digest
        );
        print!("{}", signing::render(&verification));
        Ok(exit::OK)
    }
}
