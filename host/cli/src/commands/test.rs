//! `connector-host test`: the conformance kit. Runs every check on a
//! connector, prints one line per check, and exits 0 only if all pass.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime};
use connector_conformance::{self as conformance, SPEC_FILE, Spec};
use connector_runtime::runtime::Runtime;

/// Certify a connector: contract, description, schemas, connections,
/// example calls, refused inputs, trigger states and limits.
#[derive(Args, Debug)]
pub struct TestCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// The conformance spec (connection values, example inputs, bad states)
    /// [default: ./connector-test.toml if it exists].
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// Also write the report as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

impl TestCommand {
    /// Exit code 0 if every check passed, 1 if one failed (or the
    /// connector could not be loaded), 2 for a bad spec or bad flags.
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let spec_path = match &self.spec {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from(SPEC_FILE)).filter(|p| p.exists()),
        };
        let spec = spec_path
            .as_deref()
            .map(Spec::read)
            .transpose()
            .map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let report = conformance::run(
            &runtime,
            &self.component.component,
            spec_path.as_deref().zip(spec.as_ref()),
            options,
        )
        .map_err(Failure::usage)?;
        print!("{}", report.to_text());
        if let Some(path) = &self.junit {
            std::fs::write(path, report.to_junit())
                .with_context(|| format!("cannot write the JUnit report to {}", path.display()))
                .map_err(Failure::usage)?;
        }
        Ok(if report.is_pass() {
            exit::OK
        } else {
            exit::LOAD
        })
    }
}
