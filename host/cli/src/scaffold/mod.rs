//! `connector-host new`: the project templates, and writing them out.
//!
//! Every template is a file in `host/cli/templates/` (or a file of the
//! repository it copies: the contract and the helper modules), embedded in
//! the binary, so `new` works anywhere the binary is. A project gets its
//! own copy of the contract (`wit/`) and of its language's helper, so it
//! builds on its own, inside or outside this repository; the copies match
//! the host that wrote them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use connector_conformance::SPEC_FILE;

/// The languages `new` writes projects in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// Rust, with the connector-sdk crate, built for wasm32-wasip2.
    Rust,
    /// Python, with connector_sdk.py, built with componentize-py.
    Python,
    /// JavaScript, with connector-sdk.js, built with componentize-js.
    Js,
}

/// Versions written into templates; the Rust ones must match the workspace
/// (a unit test checks that).
pub const WIT_BINDGEN_VERSION: &str = "0.61.1";
/// The schemars requirement of the Rust helper crate.
pub const SCHEMARS_VERSION: &str = "1.2";
/// The componentize-py the Python template installs.
pub const COMPONENTIZE_PY_VERSION: &str = "0.25.1";
/// The componentize-js the JavaScript template installs.
pub const COMPONENTIZE_JS_VERSION: &str = "0.23.0";
/// componentize-js imports it at run time but lists it only as a
/// development dependency, so projects name it too.
pub const PREVIEW2_SHIM_VERSION: &str = "0.25.0";

const CONTRACT: &str = include_str!("../../../../wit/provider.wit");
const SPEC: &str = include_str!("../../templates/connector-test.toml.tmpl");

/// Whether a file is a template with placeholders, or copied as it is (the
/// contract and the helper modules).
const FILL: bool = true;
const COPY: bool = false;

/// `(path in the project, text, FILL or COPY)` for each language.
type Files = &'static [(&'static str, &'static str, bool)];

const RUST: Files = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml.tmpl"),
        FILL,
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/lib.rs.tmpl"),
        FILL,
    ),
    (
        "Makefile",
        include_str!("../../templates/rust/Makefile.tmpl"),
        FILL,
    ),
    (
        "README.md",
        include_str!("../../templates/rust/README.md.tmpl"),
        FILL,
    ),
    (
        ".gitignore",
        include_str!("../../templates/rust/gitignore.tmpl"),
        FILL,
    ),
    (
        "connector-sdk/Cargo.toml",
        include_str!("../../templates/rust/connector-sdk.Cargo.toml.tmpl"),
        FILL,
    ),
    (
        "connector-sdk/src/lib.rs",
        include_str!("../../../../guest-sdk/rust/src/lib.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/context.rs",
        include_str!("../../../../guest-sdk/rust/src/context.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/error.rs",
        include_str!("../../../../guest-sdk/rust/src/error.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/dynamic.rs",
        include_str!("../../../../guest-sdk/rust/src/dynamic.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/export.rs",
        include_str!("../../../../guest-sdk/rust/src/export.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/input.rs",
        include_str!("../../../../guest-sdk/rust/src/input.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/log.rs",
        include_str!("../../../../guest-sdk/rust/src/log.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/operations.rs",
        include_str!("../../../../guest-sdk/rust/src/operations.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/push.rs",
        include_str!("../../../../guest-sdk/rust/src/push.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/reply.rs",
        include_str!("../../../../guest-sdk/rust/src/reply.rs"),
        COPY,
    ),
    (
        "connector-sdk/src/service.rs",
        include_str!("../../../../guest-sdk/rust/src/service.rs"),
        COPY,
    ),
    ("connector-sdk/wit/provider.wit", CONTRACT, COPY),
];

const PYTHON: Files = &[
    (
        "app.py",
        include_str!("../../templates/python/app.py.tmpl"),
        FILL,
    ),
    (
        "connector_sdk.py",
        include_str!("../../../../guest-sdk/python/connector_sdk.py"),
        COPY,
    ),
    (
        "Makefile",
        include_str!("../../templates/python/Makefile.tmpl"),
        FILL,
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md.tmpl"),
        FILL,
    ),
    (
        ".gitignore",
        include_str!("../../templates/python/gitignore.tmpl"),
        FILL,
    ),
    ("wit/provider.wit", CONTRACT, COPY),
];

const JS: Files = &[
    (
        "connector.js",
        include_str!("../../templates/js/connector.js.tmpl"),
        FILL,
    ),
    (
        "connector-sdk.js",
        include_str!("../../../../guest-sdk/js/connector-sdk.js"),
        COPY,
    ),
    (
        "package.json",
        include_str!("../../templates/js/package.json.tmpl"),
        FILL,
    ),
    (
        "Makefile",
        include_str!("../../templates/js/Makefile.tmpl"),
        FILL,
    ),
    (
        "README.md",
        include_str!("../../templates/js/README.md.tmpl"),
        FILL,
    ),
    (
        ".gitignore",
        include_str!("../../templates/js/gitignore.tmpl"),
        FILL,
    ),
    ("wit/provider.wit", CONTRACT, COPY),
];

/// Names that would clash with something the project's build uses.
const RESERVED: &[&str] = &[
    "std",
    "core",
    "alloc",
    "test",
    "proc-macro",
    "connector-sdk",
    "app",
    "wit",
];

/// Checks a connector name: it becomes the service id, the package name and
/// the component's file name, so it is lower case letters, digits and
/// single hyphens, starting with a letter.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_lowercase()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !ok {
        bail!(
            "{name:?} is not a connector name: use lower-case letters, digits and single \
             hyphens, starting with a letter (e.g. `my-service`)"
        );
    }
    if RESERVED.contains(&name) {
        bail!("{name:?} is reserved (it clashes with a name the build uses); pick another");
    }
    Ok(())
}

/// The connector's name and its project's directory, from the argument of
/// `new` (a name, `my-service`, or a path ending in one, `./dir/my-service`)
/// and `--dir`. A name alone is written to `--dir`, or to `./NAME`; a path
/// is the directory, and its last component the name.
pub fn resolve_target(arg: &str, dir: Option<&Path>) -> Result<(String, PathBuf)> {
    let is_path = arg.contains('/') || arg.contains(std::path::MAIN_SEPARATOR);
    if !is_path {
        check_name(arg)?;
        let dir = dir.map_or_else(|| PathBuf::from(arg), Path::to_path_buf);
        return Ok((arg.to_string(), dir));
    }
    if dir.is_some() {
        bail!(
            "{arg:?} is a path and --dir names a directory too; give the project's directory once: `connector-host new {arg}` or `connector-host new NAME --dir DIR`"
        );
    }
    let path = PathBuf::from(arg);
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        bail!(
            "{arg:?} does not end in a connector name; pass a path whose last part is the name, e.g. `connector-host new ./connectors/my-service`"
        );
    };
    check_name(name).with_context(|| {
        format!("{name:?}, the last part of the path {arg:?}, is the connector's name")
    })?;
    Ok((name.to_string(), path))
}

/// Writes a new project for `name` in `language` into `dir`, which must
/// not exist or be empty. Returns the files written, relative to `dir`.
pub fn write_project(name: &str, language: Language, dir: &Path) -> Result<Vec<PathBuf>> {
    check_name(name)?;
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} already exists and is not empty; choose another --dir",
                dir.display()
            );
        }
    }
    let files = match language {
        Language::Rust => RUST,
        Language::Python => PYTHON,
        Language::Js => JS,
    };
    let mut written = Vec::new();
    for (path, template, kind) in files
        .iter()
        .copied()
        .chain(std::iter::once((SPEC_FILE, SPEC, FILL)))
    {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let text = if kind == FILL {
            fill(template, name)
        } else {
            template.to_string()
        };
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push(PathBuf::from(path));
    }
    Ok(written)
}

/// Fills a template's `{{placeholders}}`.
fn fill(template: &str, name: &str) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{crate_name}}", &name.replace('-', "_"))
        .replace("{{type_name}}", &type_name(name))
        .replace("{{display_name}}", &display_name(name))
        .replace("{{wit_bindgen_version}}", WIT_BINDGEN_VERSION)
        .replace("{{schemars_version}}", SCHEMARS_VERSION)
        .replace("{{componentize_py_version}}", COMPONENTIZE_PY_VERSION)
        .replace("{{componentize_js_version}}", COMPONENTIZE_JS_VERSION)
        .replace("{{preview2_shim_version}}", PREVIEW2_SHIM_VERSION)
}

/// `my-service` -> `MyService`.
fn type_name(name: &str) -> String {
    name.split('-').map(capitalize).collect()
}

/// `my-service` -> `My Service`.
fn display_name(name: &str) -> String {
    name.split('-')
        .map(capitalize)
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["hello", "my-service", "s3", "a-b-c"] {
            check_name(good).unwrap();
        }
        for bad in [
            "", "Hello", "-x", "x-", "a--b", "a_b", "a.b", "1abc", "std", "app",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_target_is_a_name_or_a_path_ending_in_one() {
        let (name, dir) = resolve_target("hello", None).unwrap();
        assert_eq!((name.as_str(), dir), ("hello", PathBuf::from("hello")));
        let (name, dir) = resolve_target("hello", Some(Path::new("out/x"))).unwrap();
        assert_eq!((name.as_str(), dir), ("hello", PathBuf::from("out/x")));
        let (name, dir) = resolve_target("./dir/my-service", None).unwrap();
        assert_eq!(
            (name.as_str(), dir),
            ("my-service", PathBuf::from("./dir/my-service"))
        );
        let (name, _) = resolve_target("dir/my-service/", None).unwrap();
        assert_eq!(name, "my-service");
        for (bad, says) in [
            ("./dir/My_Service", "the last part of the path"),
            ("dir/..", "does not end in a connector name"),
            ("/", "does not end in a connector name"),
        ] {
            let err = format!("{:#}", resolve_target(bad, None).unwrap_err());
            assert!(err.contains(says), "{bad}: {err}");
        }
        let err = resolve_target("./dir/x", Some(Path::new("y"))).unwrap_err();
        assert!(err.to_string().contains("once"), "{err}");
    }

    #[test]
    fn placeholders_are_filled() {
        let text = fill(
            "{{name}} {{crate_name}} {{type_name}} {{display_name}}",
            "my-service",
        );
        assert_eq!(text, "my-service my_service MyService My Service");
        for (_, template, _) in RUST.iter().chain(PYTHON).chain(JS) {
            let filled = fill(template, "x");
            assert!(!filled.contains("{{name}}") && !filled.contains("_version}}"));
        }
    }

    /// The helper crate a Rust project gets must use the workspace's
    /// wit-bindgen and schemars, or projects would build against others.
    #[test]
    fn template_versions_match_the_workspace() {
        let workspace = include_str!("../../../../Cargo.toml");
        assert!(
            workspace.contains(&format!("wit-bindgen = \"={WIT_BINDGEN_VERSION}\"")),
            "update WIT_BINDGEN_VERSION to the workspace's wit-bindgen"
        );
        assert!(
            workspace.contains(&format!("schemars = \"{SCHEMARS_VERSION}\"")),
            "update SCHEMARS_VERSION to the workspace's schemars"
        );
        let makefile = include_str!("../../../../Makefile");
        assert!(
            makefile.contains(&format!(
                "COMPONENTIZE_PY_VERSION := {COMPONENTIZE_PY_VERSION}"
            )),
            "update COMPONENTIZE_PY_VERSION to the Makefile's"
        );
        let tools = include_str!("../../../../tools/js/package.json");
        assert!(
            tools.contains(&format!(
                "\"@bytecodealliance/componentize-js\": \"{COMPONENTIZE_JS_VERSION}\""
            )) && tools.contains(&format!(
                "\"@bytecodealliance/preview2-shim\": \"{PREVIEW2_SHIM_VERSION}\""
            )),
            "update the componentize-js versions to tools/js/package.json's"
        );
    }

    /// Every file of the Rust helper crate is in the template (a new
    /// module would otherwise be missing from new projects).
    #[test]
    fn the_rust_template_has_every_helper_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guest-sdk/rust/src");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let path = format!("connector-sdk/src/{name}");
            assert!(
                RUST.iter().any(|(p, _, _)| *p == path),
                "{path} is not in the Rust template"
            );
        }
    }
}
