//! Bytes -> a compiled component that fits the contract.
//!
//! Each step gives its own error, so that a text file, a core module, a
//! truncated component and a component of another world are each told
//! apart in one line.

use std::path::Path;

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::bindings::{CONTRACT_PACKAGE, ContractVersion, REQUIRED_EXPORTS, SUPPORTED_VERSIONS};
use crate::description::Problem;
use crate::error::LoadError;

const WASM_MAGIC: &[u8; 4] = b"\0asm";
const CORE_MODULE_VERSION: [u8; 4] = [1, 0, 0, 0];
const COMPONENT_VERSION: [u8; 4] = [0x0d, 0, 1, 0];

/// WASI packages whose 0.2 interfaces the host links (wasmtime-wasi p2 and
/// wasi:http; sockets are linked but every address is refused).
const WASI_PACKAGES: &[&str] = &[
    "cli",
    "clocks",
    "filesystem",
    "http",
    "io",
    "random",
    "sockets",
];

/// Reads a component file.
pub fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Tells a component from a core module, a text file and random bytes by
/// the header alone, before wasmtime sees the bytes.
pub fn check_header(path: &Path, bytes: &[u8]) -> Result<(), LoadError> {
    let not_wasm = |what: String| LoadError::NotWasm {
        path: path.to_path_buf(),
        what,
    };
    if bytes.is_empty() {
        return Err(not_wasm("the file is empty".into()));
    }
    if bytes.len() < 8 || &bytes[..4] != WASM_MAGIC {
        if bytes.len() >= 4 && &bytes[..4] == WASM_MAGIC {
            return Err(not_wasm("the file is truncated inside its header".into()));
        }
        let what = if looks_like_text(bytes) {
            if std::str::from_utf8(bytes).is_ok_and(|t| {
                t.trim_start().starts_with("(component") || t.trim_start().starts_with("(module")
            }) {
                "it is WebAssembly text (WAT); compile it to binary first".to_string()
            } else {
                "it is a text file".to_string()
            }
        } else {
            format!(
                "it does not start with the WebAssembly magic bytes (found {})",
                hex::encode(&bytes[..bytes.len().min(4)])
            )
        };
        return Err(not_wasm(what));
    }
    let version: [u8; 4] = bytes[4..8].try_into().expect("slice of 4");
    if version == CORE_MODULE_VERSION {
        return Err(LoadError::CoreModule {
            path: path.to_path_buf(),
        });
    }
    if version != COMPONENT_VERSION {
        return Err(not_wasm(format!(
            "unknown WebAssembly version/layer {} (a component has 0d000100)",
            hex::encode(version)
        )));
    }
    Ok(())
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(512)];
    std::str::from_utf8(sample).is_ok_and(|t| {
        t.chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
    })
}

/// Checks that a compiled component exports a supported contract version and
/// imports only what the host provides. Returns the version it targets, or
/// every problem found.
///
/// The version comes from the export names (`connector:provider/provider@0.1.0`):
/// both required interfaces must be exported at the same supported version.
pub fn check_contract(
    engine: &Engine,
    component: &Component,
) -> Result<ContractVersion, Vec<Problem>> {
    let ty = component.component_type();
    let mut problems = Vec::new();

    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let mut versions = Vec::new();
    for required in REQUIRED_EXPORTS {
        let found = exports.iter().find_map(|name| {
            let (iface, version) = split_version(name);
            (iface == *required).then_some(version)
        });
        match found {
            Some(Some(text)) if ContractVersion::parse(text).is_some() => {
                versions.push(ContractVersion::parse(text).expect("checked"));
            }
            Some(version) => problems.push(Problem::new(
                format!("exports.{required}"),
                format!(
                    "contract version {} is not supported by this host (it supports {})",
                    version.unwrap_or("(none)"),
                    SUPPORTED_VERSIONS.join(", ")
                ),
            )),
            None => problems.push(Problem::new(
                format!("exports.{required}"),
                format!(
                    "is not exported; is the component built for the `connector` world of {CONTRACT_PACKAGE} (wit/)? It exports: {}",
                    if exports.is_empty() {
                        "nothing".to_string()
                    } else {
                        exports.join(", ")
                    }
                ),
            )),
        }
    }
    if let [first, rest @ ..] = versions.as_slice()
        && rest.iter().any(|v| v != first)
    {
        problems.push(Problem::new(
            "exports",
            format!(
                "exports interfaces of different contract versions ({}); a component targets one version",
                versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ));
    }

    for (name, _) in ty.imports(engine) {
        if let Some(reason) = unsupported_import(name) {
            problems.push(Problem::new(format!("imports.{name}"), reason));
        }
    }
    match versions.first() {
        Some(version) if problems.is_empty() => Ok(*version),
        _ => Err(problems),
    }
}

/// Why the host does not provide an import, or `None` if it does.
fn unsupported_import(name: &str) -> Option<String> {
    let (iface, version) = split_version(name);
    let Some((package, _interface)) = iface.split_once('/') else {
        return Some("is a bare function or instance import; the host provides only WASI 0.2 (with wasi:http) and the contract's log interface".into());
    };
    if package == CONTRACT_PACKAGE {
        return match version {
            Some(v) if SUPPORTED_VERSIONS.contains(&v) => None,
            other => Some(format!(
                "contract version {} is not supported (this host supports {})",
                other.unwrap_or("(none)"),
                SUPPORTED_VERSIONS.join(", ")
            )),
        };
    }
    if let Some(wasi) = package.strip_prefix("wasi:") {
        if !WASI_PACKAGES.contains(&wasi) {
            return Some(format!(
                "the host does not provide wasi:{wasi} (it provides wasi:{{{}}} 0.2)",
                WASI_PACKAGES.join(", ")
            ));
        }
        return match version {
            Some(v) if v.starts_with("0.2.") => None,
            other => Some(format!(
                "WASI version {} is not supported (the host provides 0.2.x)",
                other.unwrap_or("(none)")
            )),
        };
    }
    Some(
        "is not provided by the host (it provides WASI 0.2, wasi:http and the contract's log interface)"
            .into(),
    )
}

/// `pkg:ns/iface@1.2.3` -> (`pkg:ns/iface`, Some(`1.2.3`)).
fn split_version(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((iface, version)) => (iface, Some(version)),
        None => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_classified() {
        assert_eq!(unsupported_import("wasi:cli/environment@0.2.6"), None);
        assert_eq!(unsupported_import("connector:provider/log@0.1.0"), None);
        assert_eq!(unsupported_import("connector:provider/log@0.2.0"), None);
        assert_eq!(unsupported_import("wasi:http/outgoing-handler@0.2.6"), None);
        assert!(unsupported_import("wasi:keyvalue/store@0.2.0").is_some());
        assert!(unsupported_import("wasi:cli/environment@0.3.0").is_some());
        assert!(unsupported_import("connector:provider/log@0.9.0").is_some());
        assert!(unsupported_import("evil:backdoor/shell@1.0.0").is_some());
        assert!(unsupported_import("my-func").is_some());
    }

    /// A component exporting empty instances under the contract's names at
    /// `provider` and `trigger` versions.
    fn exporting(provider: &str, trigger: &str) -> (Engine, Component) {
        let wat = format!(
            r#"(component
                (instance $p)
                (export "connector:provider/provider@{provider}" (instance $p))
                (instance $t)
                (export "connector:provider/trigger@{trigger}" (instance $t)))"#
        );
        let engine = Engine::default();
        let component = Component::new(&engine, wat::parse_str(&wat).unwrap()).unwrap();
        (engine, component)
    }

    #[test]
    fn the_version_comes_from_the_export_names() {
        for (text, version) in [
            ("0.1.0", ContractVersion::V0_1_0),
            ("0.2.0", ContractVersion::V0_2_0),
        ] {
            let (engine, component) = exporting(text, text);
            assert_eq!(check_contract(&engine, &component), Ok(version));
        }
        let (engine, component) = exporting("0.9.0", "0.9.0");
        let problems = check_contract(&engine, &component).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].message.contains(
                "contract version 0.9.0 is not supported by this host (it supports 0.1.0, 0.2.0)"
            ),
            "{problems:?}"
        );
        let (engine, component) = exporting("0.1.0", "0.2.0");
        let problems = check_contract(&engine, &component).unwrap_err();
        assert!(
            problems.iter().any(|p| p
                .message
                .contains("different contract versions (0.1.0, 0.2.0)")),
            "{problems:?}"
        );
    }

    #[test]
    fn headers_are_told_apart() {
        let p = Path::new("x.wasm");
        assert!(matches!(
            check_header(p, b""),
            Err(LoadError::NotWasm { .. })
        ));
        assert!(
            matches!(check_header(p, b"hello world\n"), Err(LoadError::NotWasm { what, .. }) if what.contains("text"))
        );
        assert!(matches!(
            check_header(p, b"\0asm\x01\0\0\0"),
            Err(LoadError::CoreModule { .. })
        ));
        assert!(
            matches!(check_header(p, b"\0asm\x0d\0"), Err(LoadError::NotWasm { what, .. }) if what.contains("truncated"))
        );
        assert!(check_header(p, b"\0asm\x0d\0\x01\0").is_ok());
        assert!(
            matches!(check_header(p, &[0xff, 0xfe, 0x00, 0x17, 1, 2, 3, 4]), Err(LoadError::NotWasm { what, .. }) if what.contains("magic"))
        );
    }
}
