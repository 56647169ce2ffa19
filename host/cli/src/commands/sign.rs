//! `connector-host sign`: sign a component; the statement goes into the
//! bundle beside it (`<component>.sig`).

use std::path::PathBuf;

use clap::Args;

use super::signing::{claim_for, read_secret_key};
use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime};
use connector_registry::StatementKind;
use connector_registry::sign::{add_to_bundle, statement};
use connector_runtime::runtime::Runtime;

/// Sign a component: a statement of its digest, connector id and version,
/// contract, signer and time, added to COMPONENT.sig.
#[derive(Args, Debug)]
pub struct SignCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// The secret key (made by `connector-host key new`).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// A name for the signer, shown beside the key (trust is in the key).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// How long the signature holds, e.g. 90d [default: no end].
    #[arg(long, value_name = "DURATION")]
    expires: Option<String>,
}

impl SignCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let key = read_secret_key(&self.key)?;
        let runtime = make_runtime(runtime)?;
        let path = &self.component.component;
        let (claim, _) = claim_for(
            &runtime,
            path,
            options,
            StatementKind::Signature,
            self.expires.as_deref(),
        )?;
        let statement = statement(&claim, &key, self.name.clone());
        let bundle = add_to_bundle(path, &statement, &key).map_err(|e| Failure::usage(e.into()))?;
        eprintln!(
            "signed {} {} ({}, {}) as {}; wrote {}",
            claim.connector.id,
            claim.connector.version,
            claim.contract,
            claim.component.digest,
            key.public().id(),
            bundle.display()
        );
        Ok(exit::OK)
    }
}
