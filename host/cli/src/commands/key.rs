//! `connector-host key`: make an Ed25519 signing key, or show a key's id.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CommandResult, Failure, exit};
use connector_registry::{PublicKey, SecretKey};

/// Make or inspect signing keys.
#[derive(Args, Debug)]
pub struct KeyCommand {
    #[command(subcommand)]
    action: KeyAction,
}

#[derive(Subcommand, Debug)]
enum KeyAction {
    /// Make a key pair: NAME.key (the secret key, PKCS#8 PEM, mode 0600) and
    /// NAME.pub (the public key, SPKI PEM, to give to operators).
    New {
        /// The files' name, without extension.
        name: String,
        /// The folder to write them to [default: .].
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
    },
    /// Print the id (`ed25519:...`) of a public key file, or of the public
    /// half of a secret key file.
    Id {
        /// The .pub or .key file.
        file: PathBuf,
    },
}

impl KeyCommand {
    pub fn execute(&self) -> CommandResult {
        match &self.action {
            KeyAction::New { name, dir } => {
                if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                    return Err(Failure::usage(anyhow::anyhow!(
                        "key name {name:?}: give a plain file name (use --dir for the folder)"
                    )));
                }
                let secret_path = dir.join(format!("{name}.key"));
                let public_path = dir.join(format!("{name}.pub"));
                if public_path.exists() {
                    return Err(Failure::usage(anyhow::anyhow!(
                        "{} exists; not overwriting a key",
                        public_path.display()
                    )));
                }
                let key = SecretKey::generate().map_err(|e| Failure::usage(e.into()))?;
                key.write_new(&secret_path)
                    .map_err(|e| Failure::usage(e.into()))?;
                key.public()
                    .write_new(&public_path)
                    .map_err(|e| Failure::usage(e.into()))?;
                eprintln!(
                    "wrote {} (secret, mode 0600: keep it) and {} (public: give it to operators)",
                    secret_path.display(),
                    public_path.display()
                );
                println!("{}", key.public().id());
                Ok(exit::OK)
            }
            KeyAction::Id { file } => {
                let public = match PublicKey::read(file) {
                    Ok(key) => key,
                    Err(_) => SecretKey::read(file)
                        .map_err(|e| Failure::usage(e.into()))?
                        .public(),
                };
                println!("{}", public.id());
                Ok(exit::OK)
            }
        }
    }
}
