//! JSON Pointers (RFC 6901).
//!
//! `serde_json::Value::pointer` evaluates pointers but is lenient about
//! their syntax: it treats `~2` as two literal characters and a pointer
//! without a leading `/` as "not found". A workflow author who writes such a
//! pointer has made a mistake that "not found" would hide, so the syntax is
//! checked here first.

use serde_json::Value;

/// Why a pointer is not a valid RFC 6901 pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerError {
    /// A non-empty pointer must start with `/`.
    NoLeadingSlash,
    /// `~` must be followed by `0` (for `~`) or `1` (for `/`).
    BadEscape { offset: usize },
}

impl std::fmt::Display for PointerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointerError::NoLeadingSlash => {
                f.write_str("a JSON Pointer is empty or starts with `/`")
            }
            PointerError::BadEscape { offset } => write!(
                f,
                "`~` at offset {offset} must be followed by `0` or `1` (`~0` is `~`, `~1` is `/`)"
            ),
        }
    }
}

/// Checks that `pointer` is a valid RFC 6901 pointer.
pub fn validate(pointer: &str) -> Result<(), PointerError> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(PointerError::NoLeadingSlash);
    }
    let bytes = pointer.as_bytes();
    for (offset, &byte) in bytes.iter().enumerate() {
        if byte == b'~' && !matches!(bytes.get(offset + 1), Some(b'0' | b'1')) {
            return Err(PointerError::BadEscape { offset });
        }
    }
    Ok(())
}

/// The value that `pointer` selects in `document`, if any. The empty
/// pointer selects the whole document.
pub fn select<'a>(document: &'a Value, pointer: &str) -> Result<Option<&'a Value>, PointerError> {
    validate(pointer)?;
    Ok(document.pointer(pointer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_as_rfc_6901_says() {
        // The examples of RFC 6901, section 5.
        let doc = json!({
            "foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3,
            "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8
        });
        assert_eq!(select(&doc, "").unwrap(), Some(&doc));
        assert_eq!(select(&doc, "/foo").unwrap(), Some(&json!(["bar", "baz"])));
        assert_eq!(select(&doc, "/foo/0").unwrap(), Some(&json!("bar")));
        assert_eq!(select(&doc, "/").unwrap(), Some(&json!(0)));
        assert_eq!(select(&doc, "/a~1b").unwrap(), Some(&json!(1)));
        assert_eq!(select(&doc, "/ ").unwrap(), Some(&json!(7)));
        assert_eq!(select(&doc, "/m~0n").unwrap(), Some(&json!(8)));
        assert_eq!(select(&doc, "/foo/2").unwrap(), None);
        assert_eq!(select(&doc, "/nope").unwrap(), None);
    }

    #[test]
    fn refuses_bad_syntax() {
        assert_eq!(validate("foo"), Err(PointerError::NoLeadingSlash));
        assert_eq!(validate("/a~2"), Err(PointerError::BadEscape { offset: 2 }));
        assert_eq!(validate("/a~"), Err(PointerError::BadEscape { offset: 2 }));
    }
}
