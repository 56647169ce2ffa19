//! Keeping secret connection values out of everything the host writes.
//!
//! A connection parameter of kind `secret` reaches the guest and nothing
//! else. The guest itself may echo a secret into a log record, an error
//! message or a panic message; every such text passes through a
//! [`Redactor`] before the host prints or stores it. Output that the host
//! passes on as data (a response body, trigger items, trigger state) is not
//! edited: a call whose output contains a secret fails instead, so a secret
//! never reaches a sink, a state store or a caller.

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Replaces known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values. Empty values are ignored (they
    /// would match everywhere and hide nothing).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` contains any secret.
    pub fn finds_secret_in(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_longest_first() {
        let r = Redactor::new(vec!["abc".into(), "abcdef".into(), String::new()]);
        assert_eq!(r.redact("x abcdef y abc"), "x [redacted] y [redacted]");
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert!(Redactor::new(vec![String::new()]).is_empty());
        assert!(r.finds_secret_in("..abc.."));
        assert!(!r.finds_secret_in("ab c"));
    }
}
