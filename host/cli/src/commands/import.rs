//! `connector-host import`: an OpenAPI / Swagger definition, a Postman
//! collection (v2.0, v2.1) or a Power Platform connector folder as a
//! connector component, with no compiler (the generic connector composed
//! with the definition: `connector-import`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::{CommandResult, Failure, exit, make_runtime};
use connector_import::{Import, ImportError, Severity};
use connector_runtime::runtime::{ConnectorOptions, Runtime};

/// The generic connector's file name, as `make guests` builds it.
const BASE_NAME: &str = "example_openapi.wasm";

/// Import an OpenAPI (Swagger 2.0, OpenAPI 3) definition, a Postman
/// collection (v2.0, v2.1) or a Power Platform connector folder as a
/// connector component.
#[derive(Args, Debug)]
pub struct ImportCommand {
    /// The definition file (OpenAPI JSON or YAML, a Postman collection's
    /// JSON), or a Power Platform connector folder.
    #[arg(value_name = "DEFINITION")]
    definition: PathBuf,
    /// Where to write the component.
    #[arg(short, long, value_name = "FILE", default_value = "connector.wasm")]
    output: PathBuf,
    /// Only check: list every problem and the coverage; write nothing.
    #[arg(long)]
    check: bool,
    /// The generic connector component [default: $CONNECTOR_HOST_IMPORT_BASE,
    /// else example_openapi.wasm next to this binary or in
    /// target/wasm32-wasip2/release/].
    #[arg(long, value_name = "FILE")]
    base: Option<PathBuf>,
    /// Also write the normalized definition (JSON) to this file.
    #[arg(long, value_name = "FILE")]
    emit_definition: Option<PathBuf>,
}

/// Where the generic connector is: the flag, the variable, then the places
/// a build leaves it.
fn find_base(flag: Option<&Path>) -> Result<PathBuf, ImportError> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("CONNECTOR_HOST_IMPORT_BASE") {
        return Ok(PathBuf::from(path));
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join(BASE_NAME));
        // target/release/connector-host -> target/wasm32-wasip2/release/.
        if let Some(target) = dir.parent() {
            candidates.push(target.join("wasm32-wasip2/release").join(BASE_NAME));
        }
    }
    candidates.push(PathBuf::from("target/wasm32-wasip2/release").join(BASE_NAME));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| ImportError::NoBase {
            path: candidates.last().cloned().unwrap_or_default(),
            why: format!(
                "was not found (looked in {})",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

impl ImportCommand {
    pub fn execute(&self, runtime: impl FnOnce() -> anyhow::Result<Runtime>) -> CommandResult {
        let import = Import::read(&self.definition);
        for problem in &import.problems {
            eprintln!("{problem}");
        }
        println!("{}: {}", self.definition.display(), import.summary());
        if let (Some(path), Some(json)) = (&self.emit_definition, import.definition_json()) {
            std::fs::write(path, json)
                .with_context(|| format!("cannot write {}", path.display()))
                .map_err(Failure::usage)?;
        }
        let errors = import.errors();
        if self.check || errors > 0 {
            return Ok(if errors > 0 { exit::LOAD } else { exit::OK });
        }
        let fail = |e: ImportError| Failure {
            code: exit::LOAD,
            message: e.to_string(),
        };
        let base_path = find_base(self.base.as_deref()).map_err(fail)?;
        let base = std::fs::read(&base_path).map_err(|e| {
            fail(ImportError::NoBase {
                path: base_path.clone(),
                why: format!("cannot be read: {e}"),
            })
        })?;
        let component = import.build(&base).map_err(fail)?;
        std::fs::write(&self.output, &component)
            .with_context(|| format!("cannot write {}", self.output.display()))
            .map_err(Failure::usage)?;
        // What `validate` would say, so that an import never leaves a
        // component the host refuses without saying so.
        let runtime = make_runtime(runtime)?;
        let problems = match runtime.inspect(&self.output, ConnectorOptions::default()) {
            Ok(inspection) => inspection
                .problems
                .iter()
                .map(ToString::to_string)
                .collect(),
            Err(e) => vec![e.to_string()],
        };
        if !problems.is_empty() {
            for p in &problems {
                eprintln!("error: {}: {p}", self.output.display());
            }
            return Err(Failure {
                code: exit::LOAD,
                message: format!(
                    "the imported component does not validate ({} problems)",
                    problems.len()
                ),
            });
        }
        let warnings = import
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count();
        println!(
            "wrote {} ({} bytes){}",
            self.output.display(),
            component.len(),
            if warnings > 0 {
                format!("; {warnings} warnings above")
            } else {
                String::new()
            }
        );
        Ok(exit::OK)
    }
}
