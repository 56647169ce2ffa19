//! `connector-host new`: scaffold a connector project that builds and
//! passes `connector-host test` out of the box.

use std::path::PathBuf;

use clap::Args;

use super::{CommandResult, Failure, exit};
use crate::scaffold::{self, Language};

/// Make a new connector project: source using the language's helper, a
/// Makefile, a conformance spec (connector-test.toml) and a README.
#[derive(Args, Debug)]
pub struct NewCommand {
    /// The connector's name: its service id, package and component name
    /// (lower-case letters, digits and hyphens); or a path ending in it,
    /// `./dir/my-service`, which is then the project's directory.
    #[arg(value_name = "NAME|PATH/NAME")]
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Language,
    /// Where to write it [default: ./NAME, or the PATH given]; must not exist
    /// or be empty.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// A connector that calls an HTTP API: the language's HTTP helper, a
    /// build that imports wasi:http, and example actions that GET and POST
    /// JSON on the API named by the connection (`host`, `use_tls`, `token`).
    #[arg(long)]
    http: bool,
}

impl NewCommand {
    pub fn execute(&self) -> CommandResult {
        let (name, dir) =
            scaffold::resolve_target(&self.name, self.dir.as_deref()).map_err(Failure::usage)?;
        let files =
            scaffold::write_project(&name, self.lang, self.http, &dir).map_err(Failure::usage)?;
        println!(
            "wrote a {}{} connector `{}` in {}:",
            match self.lang {
                Language::Rust => "Rust",
                Language::Python => "Python",
                Language::Js => "JavaScript",
            },
            if self.http { " HTTP" } else { "" },
            name,
            dir.display()
        );
        for file in &files {
            println!("  {}", file.display());
        }
        let test = if self.http {
            "API_HOST=HOST:PORT make test   # run the conformance kit against your API"
        } else {
            "make test   # run the conformance kit (connector-host test)"
        };
        println!(
            "\nnext:\n  cd {}\n  make        # build {}.wasm\n  {test}",
            dir.display(),
            name
        );
        Ok(exit::OK)
    }
}
