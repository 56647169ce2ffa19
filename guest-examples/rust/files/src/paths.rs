//! The root directory and the relative paths that name things inside it.
//!
//! Every path in an input is relative to the root. [`RelPath::parse`]
//! normalizes it and refuses anything that could leave the root, so that the
//! rest of the connector only ever joins checked paths onto the root.

use std::fmt;
use std::fs::{self, Metadata};
use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use connector_sdk::{Connection, Error};

use crate::error::{invalid_input, not_found};

/// The connection parameter that names the root.
pub const ROOT_PARAMETER: &str = "root";

/// The root used when the connection does not name one. It is also the
/// directory the connector asks the operator to grant.
pub const DEFAULT_ROOT: &str = "/data";

/// The directory inside the sandbox that the connector works in.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// The root that a connection names, or [`DEFAULT_ROOT`].
    pub fn from_connection(connection: &Connection) -> Self {
        let dir = connection
            .get(ROOT_PARAMETER)
            .filter(|value| !value.is_empty())
            .unwrap_or(DEFAULT_ROOT);
        Root {
            dir: PathBuf::from(dir),
        }
    }

    /// Checks that the root exists and is a directory: `not-found`
    /// `root-missing` otherwise. A directory that the operator did not grant
    /// does not exist as far as the sandbox is concerned.
    pub fn check(&self) -> Result<(), Error> {
        match fs::metadata(&self.dir) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(not_found(
                "root-missing",
                format!("the root `{}` is not a directory", self.dir.display()),
            )),
            Err(err) => Err(not_found(
                "root-missing",
                format!(
                    "the root `{}` is not available (was it granted?): {err}",
                    self.dir.display()
                ),
            )),
        }
    }

    /// The sandbox path of `path`.
    pub fn join(&self, path: &RelPath) -> PathBuf {
        let mut full = self.dir.clone();
        full.extend(&path.parts);
        full
    }
}

/// A normalized path relative to the root: no `.`, no `..`, no empty parts.
/// The root itself is the empty path, shown as `.`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct RelPath {
    parts: Vec<String>,
}

impl RelPath {
    /// Parses a path from an input. Absolute paths and `..` are refused with
    /// `invalid-input` `path-outside-root`; `.` and repeated slashes are
    /// dropped, so `./a//b/` is `a/b`.
    pub fn parse(input: &str) -> Result<Self, Error> {
        if input.starts_with('/') {
            return Err(outside_root(input, "it is absolute"));
        }
        let mut parts = Vec::new();
        for part in input.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(outside_root(input, "it contains `..`")),
                name => parts.push(name.to_string()),
            }
        }
        Ok(RelPath { parts })
    }

    /// Whether this is the root itself.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The path of the entry `name` inside this directory.
    pub fn child(&self, name: &str) -> RelPath {
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        RelPath { parts }
    }
}

impl fmt::Display for RelPath {
    /// `a/b/c`, or `.` for the root.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str(".")
        } else {
            f.write_str(&self.parts.join("/"))
        }
    }
}

fn outside_root(input: &str, why: &str) -> Error {
    invalid_input(
        "path-outside-root",
        format!("`{input}` is not inside the root: {why}; give a path relative to the root"),
    )
}

/// Time of last modification in nanoseconds since the Unix epoch (negative
/// before it), or 0 when the file system does not record it.
pub fn modified_nanos(meta: &Metadata) -> i128 {
    match meta.modified() {
        Ok(time) => match time.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_nanos() as i128,
            Err(before) => -(before.duration().as_nanos() as i128),
        },
        Err(_) => 0,
    }
}

/// Whole seconds of a time in nanoseconds, rounded down.
pub fn unix_seconds(nanos: i128) -> i64 {
    nanos.div_euclid(1_000_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_relative_paths() {
        assert_eq!(RelPath::parse("./a//b/").unwrap().to_string(), "a/b");
        assert_eq!(RelPath::parse(".").unwrap().to_string(), ".");
        assert_eq!(RelPath::parse("").unwrap().to_string(), ".");
        assert!(RelPath::parse(".").unwrap().is_root());
        assert_eq!(
            RelPath::parse("a").unwrap().child("b.txt").to_string(),
            "a/b.txt"
        );
    }

    #[test]
    fn refuses_paths_outside_the_root() {
        for path in ["/etc/passwd", "..", "a/../b", "a/..", "/"] {
            let err = RelPath::parse(path).unwrap_err();
            assert_eq!(err.code, "path-outside-root", "{path}");
        }
        // A name that merely starts with dots is an ordinary name.
        assert!(RelPath::parse("..hidden/...").is_ok());
    }

    #[test]
    fn root_comes_from_the_connection() {
        let root = Root::from_connection(&Connection::default());
        assert_eq!(
            root.join(&RelPath::parse("a/b").unwrap()),
            PathBuf::from("/data/a/b")
        );
        let root = Root::from_connection(&Connection::new(vec![("root".into(), "/srv".into())]));
        assert_eq!(root.join(&RelPath::default()), PathBuf::from("/srv"));
    }

    #[test]
    fn seconds_round_down() {
        assert_eq!(unix_seconds(1_500_000_000), 1);
        assert_eq!(unix_seconds(-1), -1);
    }
}
