//! `connector-host pull`: a component (and its signature bundle, verified)
//! from an OCI registry into the pull cache, and optionally to a file.

use std::path::PathBuf;

use clap::Args;

use super::signing::{self, load_failure, store_for};
use super::{CommandResult, Failure, exit, make_runtime};
use connector_registry::OciReference;
use connector_registry::bundle;
use connector_registry::oci::RegistryClient;
use connector_runtime::runtime::Runtime;

/// Pull a component from an OCI registry: every digest checked, its
/// signature bundle verified, nothing stored before its check passed.
#[derive(Args, Debug)]
pub struct PullCommand {
    /// oci://host[:port]/repository[:tag][@sha256:...]
    #[arg(value_name = "REFERENCE")]
    reference: String,
    /// Also copy the component to FILE (and its bundle to FILE.sig).
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

impl PullCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let reference =
            OciReference::parse(&self.reference).map_err(|e| Failure::usage(e.into()))?;
        let runtime = make_runtime(runtime)?;
        let store = store_for(&runtime);
        let client = RegistryClient::new(&reference).map_err(load_failure)?;
        let pulled = client
            .pull(&reference, &store, false)
            .map_err(load_failure)?;
        println!("{}", reference.with_digest(&pulled.manifest_digest));
        eprintln!(
            "component {} ({} bytes) in {}",
            pulled.component.digest,
            pulled.component.size,
            pulled.component_path.display()
        );
        let shown = match &self.out {
            Some(out) => {
                let copy = |from: &std::path::Path, to: &std::path::Path| {
                    std::fs::copy(from, to)
                        .map(|_| ())
                        .map_err(|e| load_failure(format!("cannot copy to {}: {e}", to.display())))
                };
                copy(&pulled.component_path, out)?;
                let out_bundle = bundle::path_for(out);
                match &pulled.bundle_path {
                    Some(b) => copy(b, &out_bundle)?,
                    None => {
                        // An old bundle beside the file must not be taken
                        // for this component's.
                        let _ = std::fs::remove_file(&out_bundle);
                    }
                }
                eprintln!("wrote {}", out.display());
                out.clone()
            }
            None => pulled.component_path.clone(),
        };
        match signing::bundle_of(&shown) {
            None => eprintln!("unsigned"),
            Some(Ok(v)) => eprint!("{}", signing::render(&v)),
            Some(Err(e)) => {
                return Err(load_failure(format!(
                    "its signature bundle does not verify: {e}"
                )));
            }
        }
        Ok(exit::OK)
    }
}
