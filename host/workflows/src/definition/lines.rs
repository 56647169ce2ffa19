//! [`LineIndex`]: where each value of a JSON text starts, by JSON pointer, so that a problem
//! found in the parsed value can name the line an author sees in an editor.
//!
//! A small scanner over the text (run only on text that `serde_json` already accepted); it
//! stops quietly at anything unexpected rather than failing, since the index only adds
//! positions to messages that stand without them.

use std::collections::HashMap;

use crate::expr::pointer_token;

/// Maps JSON pointers (`/definition/actions/Compose/inputs`) to 1-based (line, column).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    positions: HashMap<String, (usize, usize)>,
}

impl LineIndex {
    /// Indexes every value in `text`.
    pub fn new(text: &str) -> Self {
        let mut s = Scanner {
            b: text.as_bytes(),
            i: 0,
            line: 1,
            line_start: 0,
            out: HashMap::new(),
            depth: 0,
        };
        let mut pointer = String::new();
        s.value(&mut pointer);
        LineIndex { positions: s.out }
    }

    /// The position of the value at `pointer`, or of its nearest ancestor that exists (a
    /// missing property is reported at the object that lacks it).
    pub fn position(&self, pointer: &str) -> (usize, usize) {
        let mut p = pointer;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return (1, 1),
            }
        }
    }

    /// The line of the value at `pointer` (see [`position`](Self::position)).
    pub fn line(&self, pointer: &str) -> usize {
        self.position(pointer).0
    }
}

struct Scanner<'t> {
    b: &'t [u8],
    i: usize,
    line: usize,
    line_start: usize,
    out: HashMap<String, (usize, usize)>,
    depth: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'\n' => {
                    self.i += 1;
                    self.line += 1;
                    self.line_start = self.i;
                }
                b' ' | b'\t' | b'\r' => self.i += 1,
                _ => break,
            }
        }
    }

    fn value(&mut self, pointer: &mut String) -> Option<()> {
        self.ws();
        // Columns count characters, not bytes.
        let col = String::from_utf8_lossy(&self.b[self.line_start..self.i])
            .chars()
            .count()
            + 1;
        self.out.insert(pointer.clone(), (self.line, col));
        self.depth += 1;
        if self.depth > 512 {
            return None;
        }
        let r = match *self.b.get(self.i)? {
            b'{' => self.object(pointer),
            b'[' => self.array(pointer),
            b'"' => self.string().map(drop),
            _ => {
                while self.b.get(self.i).is_some_and(|c| {
                    !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                }) {
                    self.i += 1;
                }
                Some(())
            }
        };
        self.depth -= 1;
        r
    }

    fn object(&mut self, pointer: &mut String) -> Option<()> {
        self.i += 1;
        loop {
            self.ws();
            match *self.b.get(self.i)? {
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => self.i += 1,
                b'"' => {
                    let key = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&pointer_token(&key));
                    let r = self.value(pointer);
                    pointer.truncate(len);
                    r?;
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, pointer: &mut String) -> Option<()> {
        self.i += 1;
        let mut index = 0;
        loop {
            self.ws();
            match *self.b.get(self.i)? {
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                b',' => self.i += 1,
                _ => {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                    let r = self.value(pointer);
                    pointer.truncate(len);
                    r?;
                    index += 1;
                }
            }
        }
    }

    /// Reads a string literal and returns its value (via serde_json, for the escapes).
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        loop {
            match *self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        let raw = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
        serde_json::from_str(raw).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_to_lines() {
        let text = "{\n  \"a\": {\n    \"b/c\": [1,\n      \"x\"]\n  },\n  \"d\": \"\\\"q\\\"\"\n}";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(""), (1, 1));
        assert_eq!(idx.line("/a"), 2);
        assert_eq!(idx.position("/a/b~1c"), (3, 12));
        assert_eq!(idx.line("/a/b~1c/1"), 4);
        assert_eq!(idx.line("/d"), 6);
        assert_eq!(idx.line("/a/missing/deeper"), 2);
        // Garbage never panics.
        let _ = LineIndex::new("{\"a\": [1, {\"b\"");
        let _ = LineIndex::new(&"[".repeat(10_000));
    }
}
