//! A definition file read into JSON, JSON or YAML, with a map from JSON
//! pointers back to lines and columns for the problems found in it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::problem::{Problem, Severity};

/// A file read and parsed.
pub struct Source {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its content.
    pub value: Value,
    text: String,
    yaml: bool,
    /// JSON only: where each value starts (filled lazily would need
    /// interior mutability; files are small enough to index at once).
    index: HashMap<String, (usize, usize)>,
}

impl Source {
    /// Reads `path`: JSON when it parses as JSON or is named `.json`,
    /// YAML otherwise. A file that does not parse is one problem.
    pub fn read(path: &Path) -> Result<Source, Problem> {
        let problem = |message: String, position| Problem {
            severity: Severity::Error,
            file: path.to_path_buf(),
            pointer: String::new(),
            position,
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| problem(format!("cannot read: {e}"), None))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| problem(format!("is not UTF-8 text: {e}"), None))?;
        Self::parse(path, text).map_err(|(m, pos)| problem(m, pos))
    }

    /// Parses `text` as the content of `path`.
    pub fn parse(path: &Path, text: String) -> Result<Source, (String, Option<(usize, usize)>)> {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        let json_named = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let (value, yaml) = if json_named || trimmed.starts_with('{') || trimmed.starts_with('[') {
            let value: Value = serde_json::from_str(trimmed)
                .map_err(|e| (format!("invalid JSON: {e}"), Some((e.line(), e.column()))))?;
            (value, false)
        } else {
            let value: Value = serde_norway::from_str(&text).map_err(|e| {
                let pos = e.location().map(|l| (l.line(), l.column()));
                (format!("invalid YAML: {e}"), pos)
            })?;
            (value, true)
        };
        let index = if yaml {
            HashMap::new()
        } else {
            json_index(&text)
        };
        Ok(Source {
            path: path.to_path_buf(),
            value,
            text,
            yaml,
            index,
        })
    }

    /// The line and column where the value at `pointer` starts, if found.
    pub fn position(&self, pointer: &str) -> Option<(usize, usize)> {
        if self.yaml {
            return yaml_position(&self.text, pointer);
        }
        // The nearest ancestor that exists (e.g. for a missing key).
        let mut p = pointer;
        loop {
            if let Some(pos) = self.index.get(p) {
                return Some(*pos);
            }
            p = &p[..p.rfind('/')?];
        }
    }

    /// A problem at `pointer` in this file.
    pub fn problem(
        &self,
        severity: Severity,
        pointer: &str,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            severity,
            file: self.path.clone(),
            pointer: pointer.to_string(),
            position: self.position(pointer),
            message: message.into(),
        }
    }
}

/// Indexes every value of a JSON text by its pointer. The text has parsed
/// already, so the scanner may be simple; it stops quietly on surprises.
fn json_index(text: &str) -> HashMap<String, (usize, usize)> {
    struct Scan<'a> {
        bytes: &'a [u8],
        at: usize,
        line: usize,
        line_start: usize,
        out: HashMap<String, (usize, usize)>,
    }
    impl Scan<'_> {
        fn ws(&mut self) {
            while let Some(&b) = self.bytes.get(self.at) {
                match b {
                    b'\n' => {
                        self.at += 1;
                        self.line += 1;
                        self.line_start = self.at;
                    }
                    b' ' | b'\t' | b'\r' | b',' | b':' => self.at += 1,
                    _ => break,
                }
            }
        }
        fn string(&mut self) -> Option<String> {
            let start = self.at;
            self.at += 1;
            while let Some(&b) = self.bytes.get(self.at) {
                self.at += 1;
                match b {
                    b'\\' => self.at += 1,
                    b'"' => {
                        let raw = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
                        return serde_json::from_str(raw).ok();
                    }
                    _ => {}
                }
            }
            None
        }
        fn value(&mut self, pointer: String, depth: usize) -> Option<()> {
            self.ws();
            let column = self.bytes[self.line_start..self.at.min(self.bytes.len())]
                .iter()
                .filter(|b| (**b & 0xc0) != 0x80)
                .count()
                + 1;
            self.out.insert(pointer.clone(), (self.line, column));
            if depth > 200 {
                return None;
            }
            match *self.bytes.get(self.at)? {
                b'{' => {
                    self.at += 1;
                    loop {
                        self.ws();
                        match *self.bytes.get(self.at)? {
                            b'}' => {
                                self.at += 1;
                                return Some(());
                            }
                            b'"' => {
                                let key = self.string()?;
                                let child = format!("{pointer}/{}", crate::problem::escape(&key));
                                self.value(child, depth + 1)?;
                            }
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    self.at += 1;
                    let mut i = 0;
                    loop {
                        self.ws();
                        if *self.bytes.get(self.at)? == b']' {
                            self.at += 1;
                            return Some(());
                        }
                        self.value(format!("{pointer}/{i}"), depth + 1)?;
                        i += 1;
                    }
                }
                b'"' => self.string().map(|_| ()),
                _ => {
                    while let Some(&b) = self.bytes.get(self.at) {
                        if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                            break;
                        }
                        self.at += 1;
                    }
                    Some(())
                }
            }
        }
    }
    let mut scan = Scan {
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        line_start: 0,
        out: HashMap::new(),
    };
    let _ = scan.value(String::new(), 0);
    scan.out
}

/// Finds the line of a pointer in block-style YAML by indentation: each key
/// segment is the next line at a deeper indent that starts with that key,
/// each index the n-th `- ` item. Flow style or anchors give `None`.
fn yaml_position(text: &str, pointer: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut line = 0usize;
    let mut indent: isize = -1;
    let mut found = None;
    let segments = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"));
    for segment in segments {
        let mut hit = None;
        let mut item = 0usize;
        let wanted_item: Option<usize> = segment.parse().ok();
        let mut i = line;
        while i < lines.len() {
            let l = lines[i];
            let trimmed = l.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                i += 1;
                continue;
            }
            let ind = (l.len() - trimmed.len()) as isize;
            if ind <= indent && i > line {
                break;
            }
            if let Some(n) = wanted_item {
                if trimmed.starts_with("- ") || trimmed == "-" {
                    if item == n {
                        // Keys of the item start on its own line.
                        hit = Some((i, ind + 2, i, ind));
                        break;
                    }
                    item += 1;
                }
            } else {
                let key = trimmed.trim_start_matches("- ");
                let bare = key.starts_with(&format!("{segment}:"));
                let quoted = key.starts_with(&format!("\"{segment}\":"))
                    || key.starts_with(&format!("'{segment}':"));
                if bare || quoted {
                    let column = ind + (trimmed.len() - key.len()) as isize;
                    hit = Some((i, column, i + 1, column));
                    break;
                }
            }
            i += 1;
        }
        let (at, column, next_line, next_indent) = hit?;
        found = Some((at + 1, column as usize + 1));
        line = next_line;
        indent = next_indent;
    }
    found.or(Some((1, 1)))
}
