//! Making text that came from a guest safe to print: control characters
//! and bidirectional overrides escaped as `\u{..}`, so a guest's text cannot
//! clear a terminal (`\x1b[2J`), start a line that looks like the host's own
//! (`\n`), or reorder the text around it.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a page as it is.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `text` with every control character (newlines too) and bidirectional
/// override escaped; borrowed when there was nothing to escape.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape_where(text, unsafe_char)
}

/// [`escape_controls`], but keeping newlines and tabs: for multi-line
/// descriptions, where a line break is part of the text.
pub fn escape_controls_keep_lines(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && unsafe_char(c))
}

fn escape_where(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped() {
        assert_eq!(escape_controls("plain"), "plain");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("a\x1b[2Jb\n"), "a\\u{1b}[2Jb\\u{a}");
        assert_eq!(escape_controls("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_controls_keep_lines("a\nb\x1bc"), "a\nb\\u{1b}c");
    }
}
