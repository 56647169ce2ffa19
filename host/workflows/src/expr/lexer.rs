//! Tokens of the expression language, read on demand from a byte offset.
//!
//! The lexer runs over the whole JSON string value, not over a cut-out expression, so that
//! every offset it reports is an offset in the value the author wrote, and so that an
//! interpolation `@{ ... }` ends at the first `}` that is not inside a string literal.

use super::error::ExprError;

/// One token and the byte offset it starts at.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub offset: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    RBrace,
    Comma,
    Dot,
    Question,
    End,
}

/// Reads tokens from `source[pos..]`.
pub(crate) struct Lexer<'s> {
    source: &'s str,
    pos: usize,
    /// Whether the previous token ends a value, so that `.5` after it is an access, not a number.
    after_value: bool,
}

impl<'s> Lexer<'s> {
    pub fn new(source: &'s str, pos: usize) -> Self {
        Lexer {
            source,
            pos,
            after_value: false,
        }
    }

    pub fn next_token(&mut self) -> Result<Token, ExprError> {
        let bytes = self.source.as_bytes();
        while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&b) = bytes.get(start) else {
            return Ok(Token {
                kind: TokenKind::End,
                offset: start,
            });
        };
        let simple = match b {
            b'(' => Some(TokenKind::LParen),
            b')' => Some(TokenKind::RParen),
            b'[' => Some(TokenKind::LBracket),
            b']' => Some(TokenKind::RBracket),
            b'}' => Some(TokenKind::RBrace),
            b',' => Some(TokenKind::Comma),
            b'?' => Some(TokenKind::Question),
            b'.' if self.after_value || !bytes.get(start + 1).is_some_and(u8::is_ascii_digit) => {
                Some(TokenKind::Dot)
            }
            _ => None,
        };
        if let Some(kind) = simple {
            self.pos += 1;
            self.after_value = matches!(kind, TokenKind::RParen | TokenKind::RBracket);
            return Ok(Token {
                kind,
                offset: start,
            });
        }
        let kind = if b == b'\'' {
            self.string(start)?
        } else if b.is_ascii_digit()
            || b == b'.'
            || (b == b'-' || b == b'+') && self.digit_follows(start + 1)
        {
            self.number(start)?
        } else if is_ident_start(b) {
            while self.pos < bytes.len() && is_ident_continue(bytes[self.pos]) {
                self.pos += 1;
            }
            TokenKind::Ident(self.source[start..self.pos].to_owned())
        } else {
            let c = self.source[start..].chars().next().unwrap_or('?');
            let hint = if c == '"' {
                " (string literals take single quotes: 'text')"
            } else {
                ""
            };
            return Err(ExprError::syntax(
                start,
                format!("unexpected character `{c}`{hint}"),
            ));
        };
        self.after_value = true;
        Ok(Token {
            kind,
            offset: start,
        })
    }

    fn digit_follows(&self, at: usize) -> bool {
        let bytes = self.source.as_bytes();
        match bytes.get(at) {
            Some(b) if b.is_ascii_digit() => true,
            Some(b'.') => bytes.get(at + 1).is_some_and(u8::is_ascii_digit),
            _ => false,
        }
    }

    fn string(&mut self, start: usize) -> Result<TokenKind, ExprError> {
        let bytes = self.source.as_bytes();
        let mut out = String::new();
        let mut i = start + 1;
        let mut chunk = i;
        loop {
            match bytes.get(i) {
                None => {
                    return Err(ExprError::syntax(
                        start,
                        "unterminated string literal (a `'` is missing)",
                    ));
                }
                Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => {
                    // `''` is one quote inside the literal.
                    out.push_str(&self.source[chunk..=i]);
                    i += 2;
                    chunk = i;
                }
                Some(b'\'') => {
                    out.push_str(&self.source[chunk..i]);
                    self.pos = i + 1;
                    return Ok(TokenKind::Str(out));
                }
                Some(_) => i += 1,
            }
        }
    }

    fn number(&mut self, start: usize) -> Result<TokenKind, ExprError> {
        let bytes = self.source.as_bytes();
        let mut i = start;
        if matches!(bytes[i], b'-' | b'+') {
            i += 1;
        }
        let mut float = false;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            float = true;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                float = true;
                i = j;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
        }
        let text = &self.source[start..i];
        self.pos = i;
        if !float && let Ok(n) = text.parse::<i64>() {
            return Ok(TokenKind::Int(n));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(TokenKind::Float(f)),
            _ => Err(ExprError::syntax(
                start,
                format!("`{text}` is not a number this language can hold"),
            )),
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<TokenKind> {
        let mut lx = Lexer::new(s, 0);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == TokenKind::End {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn quotes_numbers_and_dots() {
        use TokenKind::*;
        assert_eq!(kinds("'it''s'"), vec![Str("it's".into())]);
        assert_eq!(
            kinds("sub(10.3, .3)"),
            vec![
                Ident("sub".into()),
                LParen,
                Float(10.3),
                Comma,
                Float(0.3),
                RParen
            ]
        );
        assert_eq!(
            kinds("a().b"),
            vec![Ident("a".into()), LParen, RParen, Dot, Ident("b".into())]
        );
        assert_eq!(kinds("-5 1e3"), vec![Int(-5), Float(1000.0)]);
    }

    #[test]
    fn errors_have_offsets() {
        let err = Lexer::new("  'abc", 0).next_token().unwrap_err();
        assert_eq!(err.offset(), 2);
        let err = Lexer::new("x \"y\"", 2).next_token().unwrap_err();
        assert!(err.to_string().contains("single quotes"), "{err}");
    }
}
