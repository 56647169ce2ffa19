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

/// The `wasi` crate (wasi:http bindings) of the Rust HTTP helper; must match
/// the workspace (a unit test checks that).
pub const WASI_VERSION: &str = "0.14";

const CONTRACT: &str = include_str!("../../../../wit/provider.wit");
const SPEC: &str = include_str!("../../templates/connector-test.toml.tmpl");
const SPEC_HTTP: &str = include_str!("../../templates/connector-test-http.toml.tmpl");

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

/// What `--http` changes or adds: files of the same path replace the plain
/// project's (the example connector); the others are added (the HTTP helper
/// and, for Python, the world with wasi:http and its WASI interfaces).
const RUST_HTTP: Files = &[
    (
        "src/lib.rs",
        include_str!("../../templates/rust/lib_http.rs.tmpl"),
        FILL,
    ),
    (
        "connector-http/Cargo.toml",
        include_str!("../../templates/rust/connector-http.Cargo.toml.tmpl"),
        FILL,
    ),
    (
        "connector-http/src/lib.rs",
        include_str!("../../../../guest-sdk/http/src/lib.rs"),
        COPY,
    ),
];

const PYTHON_HTTP: Files = &[
    (
        "app.py",
        include_str!("../../templates/python/app_http.py.tmpl"),
        FILL,
    ),
    (
        "connector_http.py",
        include_str!("../../../../guest-sdk/python/connector_http.py"),
        COPY,
    ),
    // The contract moves under deps/: the project's own package is the
    // world `connector-http` (the contract plus outbound HTTP). Real copies,
    // not the links of guest-sdk/wit-http, so the project builds anywhere.
    (
        "wit/world.wit",
        include_str!("../../../../guest-sdk/wit-http/world.wit"),
        COPY,
    ),
    ("wit/deps/provider.wit", CONTRACT, COPY),
    (
        "wit/deps/wasi-cli.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-cli.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-clocks.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-clocks.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-filesystem.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-filesystem.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-http.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-http.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-io.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-io.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-random.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-random.wit"),
        COPY,
    ),
    (
        "wit/deps/wasi-sockets.wit",
        include_str!("../../../../guest-sdk/wit-http/deps/wasi-sockets.wit"),
        COPY,
    ),
];

const JS_HTTP: Files = &[(
    "connector.js",
    include_str!("../../templates/js/connector_http.js.tmpl"),
    FILL,
)];

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
/// not exist or be empty; with `http`, a connector that calls an HTTP API
/// (the language's HTTP helper, and a build that imports wasi:http).
/// Returns the files written, relative to `dir`.
pub fn write_project(
    name: &str,
    language: Language,
    http: bool,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
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
    let vars = Vars { name, http };
    let mut written = Vec::new();
    for (path, template, kind) in project_files(language, http) {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let text = if kind == FILL {
            fill(template, &vars)
        } else {
            template.to_string()
        };
        std::fs::write(&target, text)
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push(PathBuf::from(path));
    }
    Ok(written)
}

/// Every file of a project: `(path, text, FILL or COPY)`. The `--http` files
/// replace the plain ones of the same path, and the spec is the HTTP one.
fn project_files(language: Language, http: bool) -> Vec<(&'static str, &'static str, bool)> {
    let (plain, with_http) = match language {
        Language::Rust => (RUST, RUST_HTTP),
        Language::Python => (PYTHON, PYTHON_HTTP),
        Language::Js => (JS, JS_HTTP),
    };
    let extra: Files = if http { with_http } else { &[] };
    let mut files: Vec<_> = plain
        .iter()
        .copied()
        .filter(|(path, _, _)| !extra.iter().any(|(p, _, _)| p == path))
        // A Python HTTP project's contract lives under wit/deps/.
        .filter(|(path, _, _)| {
            !(http && language == Language::Python && *path == "wit/provider.wit")
        })
        .collect();
    files.extend(extra.iter().copied());
    files.push((SPEC_FILE, if http { SPEC_HTTP } else { SPEC }, FILL));
    files
}

/// What a template is filled with.
struct Vars<'a> {
    name: &'a str,
    http: bool,
}

/// Fills a template's `{{placeholders}}`.
fn fill(template: &str, vars: &Vars) -> String {
    let name = vars.name;
    let (py_sources, py_world) = if vars.http {
        (
            " connector_http.py wit/world.wit wit/deps/provider.wit",
            "connector-http",
        )
    } else {
        (" wit/provider.wit", "connector")
    };
    let (js_disable, js_comment) = if vars.http {
        (
            "-d fetch-event",
            "`-d fetch-event` keeps the engine's fetch (this connector calls HTTP APIs, so the\n\
             # component imports wasi:http) and leaves out serving incoming requests. The host\n\
             # lets it reach only the origins the operator grants with --allow-http (and\n\
             # `[grants] http` in connector-test.toml).",
        )
    } else {
        (
            "-d http fetch-event",
            "`-d http fetch-event` leaves the engine's fetch support out, so the component\n\
             # imports no wasi:http: this connector makes no HTTP calls. To use fetch(),\n\
             # drop `http` (keep `fetch-event`: a connector serves no incoming requests),\n\
             # declare the origins in `outbound-hosts`, and grant them with --allow-http\n\
             # (and `[grants] http` in connector-test.toml), or start from `new --http`.",
        )
    };
    let http_dependency = if vars.http {
        "\n# The blocking HTTP client over wasi:http, copied into this project.\n\
         connector-http = { path = \"connector-http\" }\n\
         serde_json = \"1\""
    } else {
        ""
    };
    template
        .replace("{{name}}", name)
        .replace("{{py_sources}}", py_sources)
        .replace("{{py_world}}", py_world)
        .replace("{{js_disable}}", js_disable)
        .replace("{{js_features_comment}}", js_comment)
        .replace("{{http_dependency}}", http_dependency)
        .replace("{{wasi_version}}", WASI_VERSION)
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
        let vars = Vars {
            name: "my-service",
            http: false,
        };
        let text = fill(
            "{{name}} {{crate_name}} {{type_name}} {{display_name}}",
            &vars,
        );
        assert_eq!(text, "my-service my_service MyService My Service");
        for http in [false, true] {
            let vars = Vars { name: "x", http };
            for language in [Language::Rust, Language::Python, Language::Js] {
                for (path, template, _) in project_files(language, http)
                    .into_iter()
                    .filter(|(_, _, kind)| *kind == FILL)
                {
                    let filled = fill(template, &vars);
                    assert!(!filled.contains("{{"), "{language:?} {path}: {filled}");
                }
            }
        }
    }

    #[test]
    fn an_http_project_replaces_the_example_and_adds_the_helper() {
        let paths = |language, http| -> Vec<&str> {
            project_files(language, http)
                .into_iter()
                .map(|(p, _, _)| p)
                .collect()
        };
        let rust = paths(Language::Rust, true);
        assert!(rust.contains(&"connector-http/src/lib.rs"));
        assert_eq!(rust.iter().filter(|p| **p == "src/lib.rs").count(), 1);
        let python = paths(Language::Python, true);
        assert!(
            python.contains(&"connector_http.py") && python.contains(&"wit/deps/wasi-http.wit")
        );
        assert!(!python.contains(&"wit/provider.wit"), "{python:?}");
        assert!(paths(Language::Python, false).contains(&"wit/provider.wit"));
        let js = paths(Language::Js, true);
        assert_eq!(js.iter().filter(|p| **p == "connector.js").count(), 1);
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
        assert!(
            workspace.contains(&format!("wasi = \"{WASI_VERSION}\"")),
            "update WASI_VERSION to the workspace's wasi"
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
