//! Imports API definitions as connector components: Swagger 2.0 and
//! OpenAPI 3.0 / 3.1 (JSON or YAML), Power Platform connector folders
//! (`apiDefinition.swagger.json` with `apiProperties.json`), and Postman
//! collections v2.0 / v2.1 ([`postman`]).
//!
//! # Design
//!
//! Every imported connector is the same component,
//! `guest-examples/rust/openapi` (built to `example_openapi.wasm` by
//! `make guests`), which runs a *normalized definition* ([`model`]): the
//! operations with where each input goes, their schemas, the
//! authentication, the base URL template, the triggers. Importing reads a
//! definition ([`openapi`], [`power`], [`postman`]), checks it completely (every problem
//! at once, with file, JSON pointer and line/column: [`problem`]), writes
//! the normalized JSON, and composes ([`compose`]) the generic component
//! with a generated component that exports that JSON: one self-contained
//! `.wasm`, and no compiler at import time. Why so:
//! - a generated Rust crate per API would need a toolchain at import time;
//! - patching a data segment of the generic component in place would need
//!   a reserved size (a component cannot read its own bytes or custom
//!   sections at run time), so a large definition would not fit;
//! - composition keeps the generic connector an ordinary component, tested
//!   like every example, and the definition component is 10 lines of WAT.
//!
//! The base component is found at run time (the CLI's `--base`, else next
//! to the binary or in `target/wasm32-wasip2/release/`), not embedded with
//! `include_bytes!`: the guests are built after the host.
//!
//! Each call runs in a fresh instance, so the connector parses the
//! definition on each call; an OAuth 2 client-credentials token is fetched
//! for each call and again once on a 401.

pub mod compose;
mod extensions;
mod infer;
pub mod model;
pub mod openapi;
mod operation;
mod operation_body;
pub mod postman;
mod postman_auth;
mod postman_body;
mod postman_request;
pub mod power;
pub mod problem;
mod schema;
mod security;
pub mod source;
mod webhook;

use std::path::{Path, PathBuf};

pub use compose::{ComposeError, compose};
pub use model::Definition;
pub use problem::{Problem, Severity};

/// The result of reading a definition: what was understood and every
/// problem found.
#[derive(Debug)]
pub struct Import {
    /// The definition, when the file could be read as one.
    pub definition: Option<Definition>,
    /// Every problem, errors and warnings, in the order found.
    pub problems: Vec<Problem>,
}

/// How many operations made it, and why the others did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Operations found in the definition.
    pub found: usize,
    /// Operations with no error (each is in the component when it is
    /// written).
    pub imported: usize,
    /// Of those, operations with warnings (something in them not mapped).
    pub with_warnings: usize,
}

impl Import {
    /// Reads a definition file (OpenAPI, Swagger or a Postman collection,
    /// told apart by their content), or a Power Platform connector folder.
    pub fn read(path: &Path) -> Import {
        let mut problems = Vec::new();
        let definition = if path.is_dir() {
            power::read(path, &mut problems)
        } else {
            match source::Source::read(path) {
                Ok(src) if postman::detect(&src.value).is_some() => {
                    postman::read(&src, &mut problems)
                }
                Ok(src) => openapi::read(&src, &mut problems),
                Err(p) => {
                    problems.push(p);
                    None
                }
            }
        };
        Import {
            definition,
            problems,
        }
    }

    /// The number of errors.
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// The operations' coverage.
    pub fn coverage(&self) -> Coverage {
        let ops = self
            .definition
            .as_ref()
            .map(|d| d.operations.as_slice())
            .unwrap_or_default();
        let hits = |op: &model::Operation, severity| {
            self.problems.iter().any(|p| {
                p.severity == severity
                    && (p.pointer == op.source || p.pointer.starts_with(&format!("{}/", op.source)))
            })
        };
        let failed = ops.iter().filter(|op| hits(op, Severity::Error)).count();
        let skipped = self.definition.as_ref().map_or(0, |d| d.not_imported);
        Coverage {
            found: ops.len() + skipped,
            imported: ops.len() - failed,
            with_warnings: ops
                .iter()
                .filter(|op| !hits(op, Severity::Error) && hits(op, Severity::Warning))
                .count(),
        }
    }

    /// One line: "31 of 34 operations imported; 2 with warnings; 3 errors".
    pub fn summary(&self) -> String {
        let c = self.coverage();
        let warnings = self.problems.len() - self.errors();
        format!(
            "{} of {} operations imported ({} with something not mapped); {} errors, {} warnings",
            c.imported,
            c.found,
            c.with_warnings,
            self.errors(),
            warnings
        )
    }

    /// The normalized definition as the JSON the connector embeds.
    pub fn definition_json(&self) -> Option<String> {
        self.definition
            .as_ref()
            .and_then(|d| serde_json::to_string(d).ok())
    }

    /// The component: the definition composed with the generic connector
    /// `base`. Refused while the definition has errors.
    pub fn build(&self, base: &[u8]) -> Result<Vec<u8>, ImportError> {
        let (Some(json), 0) = (self.definition_json(), self.errors()) else {
            return Err(ImportError::Invalid(self.errors()));
        };
        Ok(compose(base, &json)?)
    }
}

/// Why an import produced no component.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The definition has errors (listed in [`Import::problems`]).
    #[error("the definition has {0} errors; no component was written")]
    Invalid(usize),
    /// The generic connector could not be found or read.
    #[error(
        "the generic connector component {path} {why}; build it with `make guests` (or `cargo build --release --target wasm32-wasip2 -p example-openapi`), or name it with --base"
    )]
    NoBase {
        /// Where it was looked for.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// Composing failed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
}
