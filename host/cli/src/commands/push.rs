//! `connector-host push`: a component (and its signature bundle) to an OCI
//! registry.

use clap::Args;

use super::signing::load_failure;
use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime};
use connector_registry::OciReference;
use connector_registry::bundle::{self, Bundle};
use connector_registry::oci::RegistryClient;
use connector_runtime::runtime::Runtime;

/// Push a component to an OCI registry (CNCF wasm artifact layout), with the
/// signature bundle beside it (COMPONENT.sig) when it exists.
#[derive(Args, Debug)]
pub struct PushCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// Where: oci://host[:port]/repository:tag (plain HTTP only on loopback).
    #[arg(value_name = "REFERENCE")]
    reference: String,
}

impl PushCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let reference =
            OciReference::parse(&self.reference).map_err(|e| Failure::usage(e.into()))?;
        let path = &self.component.component;
        let bundle = Bundle::read(&bundle::path_for(path)).map_err(load_failure)?;
        let runtime = make_runtime(runtime)?;
        // Only connectors go to the registry: load it (contract, description).
        let connector = runtime.load(path, options)?;
        let bytes =
            std::fs::read(path).map_err(|e| load_failure(format!("{}: {e}", path.display())))?;
        let world = connector_registry::world::component_world(&runtime, &bytes)
            .map_err(|e| load_failure(format!("{}: {e:#}", path.display())))?;
        let service = &connector.description().service;
        let mut annotations = serde_json::Map::new();
        for (k, v) in [
            ("org.opencontainers.image.title", service.id.clone()),
            ("org.opencontainers.image.version", service.version.clone()),
            (
                "org.opencontainers.image.description",
                service.description.clone(),
            ),
        ] {
            annotations.insert(k.into(), v.into());
        }
        let client = RegistryClient::new(&reference).map_err(load_failure)?;
        let pushed = client
            .push(&reference, &bytes, &world, annotations, bundle.as_ref())
            .map_err(load_failure)?;
        eprintln!(
            "pushed {} {} ({}){}",
            service.id,
            service.version,
            pushed.component_digest,
            match &pushed.bundle_tag {
                Some(tag) => format!(", signatures at tag {tag}"),
                None => ", unsigned".to_string(),
            }
        );
        // The pinned reference, for a configuration: by digest alone it
        // loads from the pull cache without asking the registry again.
        println!("{}", reference.with_digest(&pushed.manifest_digest));
        Ok(exit::OK)
    }
}
