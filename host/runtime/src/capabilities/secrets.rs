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

/// The shortest piece of a secret that is redacted on its own where a text
/// starts or ends (a message cut at its size limit, a secret split across two
/// log records). Shorter pieces say too little to be worth the text they
/// would hide.
pub const MIN_SECRET_PIECE: usize = 8;

/// Replaces known secret values in text.
///
/// Besides a secret's own text it finds the secret's base64 spellings (at
/// any alignment inside a longer base64 text, so `Basic base64(user:token)`
/// too), a piece of at least [`MIN_SECRET_PIECE`] bytes of a secret where a
/// text is cut, and (in [`Redactor::finds_secret_in`]) a secret spelled with
/// escapes inside a JSON string. What it cannot find: a secret the guest
/// transforms in any other way (encrypts, reverses, splits into pieces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redactor {
    secrets: Vec<String>,
    /// The secrets and their encodings, longest first.
    spellings: Vec<String>,
}

impl Redactor {
    /// A redactor for these secret values. Empty values are ignored (they
    /// would match everywhere and hide nothing).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Longest first, so a secret that contains another is removed whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let mut spellings = secrets.clone();
        for secret in &secrets {
            spellings.extend(base64_cores(secret.as_bytes()));
        }
        spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
        spellings.dedup();
        Self { secrets, spellings }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` contains any secret, in its own spelling, base64, or
    /// (when `text` is JSON) escaped inside a string: `"\u0073ecret"` is
    /// the same string as `"secret"` to whoever parses it.
    pub fn finds_secret_in(&self, text: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        if self.spellings.iter().any(|s| text.contains(s.as_str())) {
            return true;
        }
        // Without a backslash every JSON string is spelled as it reads.
        if !text.contains('\\') {
            return false;
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => self.finds_secret_in_value(&value),
            Err(_) => false,
        }
    }

    fn finds_secret_in_value(&self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        let hit = |s: &str| self.spellings.iter().any(|p| s.contains(p.as_str()));
        match value {
            Value::String(s) => hit(s),
            Value::Array(items) => items.iter().any(|v| self.finds_secret_in_value(v)),
            Value::Object(map) => map
                .iter()
                .any(|(k, v)| hit(k) || self.finds_secret_in_value(v)),
            _ => false,
        }
    }

    /// `text` with every secret replaced by [`REDACTED`], and a piece of a
    /// secret at its start or end too.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.spellings {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        for secret in &self.secrets {
            out = redact_edges(out, secret);
        }
        out
    }

    /// `text` redacted and then cut to at most `max` bytes: redacting first,
    /// so the cut cannot leave a secret's prefix that no longer matches.
    pub fn redact_truncated(&self, text: &str, max: usize) -> String {
        let redacted = self.redact(text);
        let cut = crate::state::truncate(&redacted, max);
        // The cut may have split a `[redacted]` marker; that hides nothing.
        cut.to_string()
    }
}

/// `text` with a piece of `secret` of at least [`MIN_SECRET_PIECE`] bytes
/// replaced where `text` ends (a prefix of the secret) or starts (a suffix).
fn redact_edges(mut text: String, secret: &str) -> String {
    if secret.len() <= MIN_SECRET_PIECE {
        return text;
    }
    // The longest prefix of the secret that ends the text.
    let tail = (MIN_SECRET_PIECE..secret.len())
        .rev()
        .filter(|&k| secret.is_char_boundary(k))
        .find(|&k| text.ends_with(&secret[..k]));
    if let Some(k) = tail {
        text.truncate(text.len() - k);
        text.push_str(REDACTED);
    }
    // The longest suffix of the secret that starts the text.
    let head = (MIN_SECRET_PIECE..secret.len())
        .rev()
        .filter(|&k| secret.is_char_boundary(secret.len() - k))
        .find(|&k| text.starts_with(&secret[secret.len() - k..]));
    if let Some(k) = head {
        text.replace_range(..k, REDACTED);
    }
    text
}

/// The parts of `secret`'s base64 spellings (standard and URL-safe, padded
/// or not) that stay the same wherever the secret sits inside a longer
/// encoded text: one per alignment (0, 1 or 2 bytes before it), without the
/// characters that mix in bits of the neighbouring bytes.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let mut cores = Vec::new();
    for shift in 0..3usize {
        let mut bytes = vec![0u8; shift];
        bytes.extend_from_slice(secret);
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&bytes);
            // Characters before the secret's first fully owned one.
            let skip = [0, 2, 3][shift];
            // A last partial group mixes the secret's last bits with what
            // follows it.
            let drop = usize::from(bytes.len() % 3 != 0);
            if encoded.len() >= skip + drop + MIN_SECRET_PIECE {
                cores.push(encoded[skip..encoded.len() - drop].to_string());
            }
        }
    }
    cores
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

    #[test]
    fn escaped_json_strings_are_found() {
        let r = Redactor::new(vec!["s3cr3t-token-value".into()]);
        assert!(r.finds_secret_in(r#"{"t":"\u0073\u0033cr3t-token-value"}"#));
        assert!(r.finds_secret_in(r#"{"s3cr3t-token-\u0076alue":1}"#));
        assert!(r.finds_secret_in(r#"["a", {"b": ["s3cr3t\u002dtoken-value"]}]"#));
        assert!(!r.finds_secret_in(r#"{"t":"\u0073afe"}"#));
    }

    #[test]
    fn base64_at_any_alignment_is_found() {
        use base64::Engine;
        let secret = "s3cr3t-token-value";
        let r = Redactor::new(vec![secret.into()]);
        for prefix in ["", "u:", "ab:", "user:"] {
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ] {
                let encoded = engine.encode(format!("{prefix}{secret}!!"));
                assert!(r.finds_secret_in(&encoded), "{prefix:?} {encoded}");
                assert!(!r.redact(&encoded).contains(&encoded[8..16]), "{encoded}");
            }
        }
    }

    #[test]
    fn pieces_at_a_cut_are_redacted() {
        let secret = "abcdefghijklmnop";
        let r = Redactor::new(vec![secret.into()]);
        assert_eq!(r.redact("token abcdefghij"), "token [redacted]");
        assert_eq!(r.redact("ijklmnop rest"), "[redacted] rest");
        // Short pieces stay: they say nothing about the secret.
        assert_eq!(r.redact("token abcdefg"), "token abcdefg");
        let long = format!("{}{secret}", "x".repeat(4090));
        let cut = r.redact_truncated(&long, 4096);
        assert!(!cut.contains("abcdef"), "{cut}");
    }
}
