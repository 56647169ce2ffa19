//! `connector-host certify`: run the conformance kit and, only if every
//! check passes, sign a certification that carries the report.

use std::path::PathBuf;

use clap::Args;

use super::signing::{claim_for, read_secret_key};
use super::{CommandResult, ComponentArgs, Failure, exit, make_runtime};
use connector_conformance::Spec;
use connector_registry::StatementKind;
use connector_registry::sign::{ReportSummary, add_to_bundle, statement};
use connector_runtime::runtime::Runtime;

/// Certify a component: run the conformance kit with SPEC; if every check
/// passes, add a certification signed by the certifier's key (with the
/// report) to COMPONENT.sig. Exit 0 if certified, 1 if a check failed.
#[derive(Args, Debug)]
pub struct CertifyCommand {
    #[command(flatten)]
    component: ComponentArgs,
    /// The conformance spec (connector-test.toml).
    #[arg(long, value_name = "FILE")]
    spec: PathBuf,
    /// The certifier's secret key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// A name for the certifier, shown beside the key.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// How long the certification holds, e.g. 365d [default: no end].
    #[arg(long, value_name = "DURATION")]
    expires: Option<String>,
}

impl CertifyCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let options = self.component.options().map_err(Failure::usage)?;
        let key = read_secret_key(&self.key)?;
        let spec = Spec::read(&self.spec).map_err(Failure::usage)?;
        let runtime = make_runtime(runtime)?;
        let path = &self.component.component;
        let (mut claim, _) = claim_for(
            &runtime,
            path,
            options.clone(),
            StatementKind::Certification,
            self.expires.as_deref(),
        )?;
        let report = connector_conformance::run(&runtime, path, Some((&self.spec, &spec)), options)
            .map_err(Failure::usage)?;
        print!("{}", report.to_text());
        if !report.is_pass() {
            eprintln!(
                "not certified: {} of {} checks failed; nothing was signed",
                report.failed(),
                report.checks.len()
            );
            return Ok(exit::LOAD);
        }
        let mut json = serde_json::to_value(&report).map_err(|e| Failure::usage(e.into()))?;
        // The report travels with the component: name files, not this
        // machine's folders.
        let file_name = |p: &std::path::Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        json["component"] = serde_json::Value::String(file_name(path));
        json["spec"] = serde_json::Value::String(file_name(&self.spec));
        claim.report = Some(ReportSummary {
            report: json,
            passed: report.passed(),
            failed: report.failed(),
            skipped: report.skipped(),
        });
        let statement = statement(&claim, &key, self.name.clone());
        let bundle = add_to_bundle(path, &statement, &key).map_err(|e| Failure::usage(e.into()))?;
        eprintln!(
            "certified {} {} ({}) as {}: {} checks passed, {} skipped; wrote {}",
            claim.connector.id,
            claim.connector.version,
            claim.component.digest,
            key.public().id(),
            report.passed(),
            report.skipped(),
            bundle.display()
        );
        Ok(exit::OK)
    }
}
