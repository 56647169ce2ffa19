//! A JSON string value as WDL reads it: a literal, a whole-value `@expression`, or text with
//! `@{expression}` interpolations.
//!
//! The rules, as the Workflow Definition Language documents them: a string that starts with `@`
//! (and not `@@` or `@{`) is one expression whose result is any JSON value; `@{...}` anywhere
//! evaluates to text inside the string; a leading `@@` is a literal `@`, and `@@{` is a literal
//! `@{`; any other `@` is just a character.

use std::borrow::Cow;

use serde_json::Value;

use super::ast::Expr;
use super::error::ExprError;
use super::eval::Scope;
use super::lexer::TokenKind;
use super::parser::{describe_token, parse_at};
use super::value::to_text;

/// A parsed string value.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// No expression: the string as it evaluates (escapes already resolved).
    Literal(String),
    /// `@expr`: the expression's value, of any JSON type.
    Expression(Expr),
    /// Text and `@{expr}` parts: always evaluates to a string.
    Interpolated(Vec<Part>),
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// An `@{expr}`, rendered as text.
    Expr(Expr),
}

impl Template {
    /// Parses a JSON string value. The error's offset is a byte offset into `s`.
    pub fn parse(s: &str) -> Result<Template, ExprError> {
        let bytes = s.as_bytes();
        if bytes.first() == Some(&b'@') && !matches!(bytes.get(1), Some(b'@' | b'{')) {
            let (expr, next) = parse_at(s, 1)?;
            if next.kind != TokenKind::End {
                return Err(ExprError::syntax(
                    next.offset,
                    format!(
                        "unexpected {} after the expression",
                        describe_token(&next.kind)
                    ),
                ));
            }
            return Ok(Template::Expression(expr));
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        if s.starts_with("@@") {
            text.push('@');
            i = 2;
        }
        let mut chunk = i;
        while let Some(at) = s[i..].find('@').map(|k| k + i) {
            if s[at..].starts_with("@@{") {
                text.push_str(&s[chunk..at]);
                text.push_str("@{");
                i = at + 3;
                chunk = i;
            } else if s[at..].starts_with("@{") {
                text.push_str(&s[chunk..at]);
                let (expr, next) = parse_at(s, at + 2)?;
                if next.kind != TokenKind::RBrace {
                    return Err(ExprError::syntax(
                        next.offset,
                        format!(
                            "expected `}}` to close the `@{{` at offset {at}, found {}",
                            describe_token(&next.kind)
                        ),
                    ));
                }
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Expr(expr));
                i = next.offset + 1;
                chunk = i;
            } else {
                i = at + 1;
            }
        }
        text.push_str(&s[chunk..]);
        if parts.is_empty() {
            return Ok(Template::Literal(text));
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template::Interpolated(parts))
    }

    /// Whether the string holds any expression (else it evaluates to itself, escapes resolved).
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    /// The expressions in this value, in order.
    pub fn expressions(&self) -> Vec<&Expr> {
        match self {
            Template::Literal(_) => Vec::new(),
            Template::Expression(e) => vec![e],
            Template::Interpolated(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Expr(e) => Some(e),
                    Part::Text(_) => None,
                })
                .collect(),
        }
    }

    /// Evaluates against `scope`; a whole-value expression may borrow from the scope.
    pub fn eval<'a>(&'a self, scope: &'a dyn Scope) -> Result<Cow<'a, Value>, ExprError> {
        match self {
            Template::Literal(s) => Ok(Cow::Owned(Value::String(s.clone()))),
            Template::Expression(e) => e.eval(scope),
            Template::Interpolated(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(t),
                        Part::Expr(e) => to_text(e.eval(scope)?.as_ref(), &mut out),
                    }
                }
                Ok(Cow::Owned(Value::String(out)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(matches!(
            Template::parse("@body('A')").unwrap(),
            Template::Expression(_)
        ));
        assert_eq!(
            Template::parse("Sophia Owen").unwrap(),
            Template::Literal("Sophia Owen".into())
        );
        assert_eq!(
            Template::parse("@@").unwrap(),
            Template::Literal("@".into())
        );
        assert_eq!(
            Template::parse(" @").unwrap(),
            Template::Literal(" @".into())
        );
        assert_eq!(
            Template::parse("My age is @@{parameters('myAge')}").unwrap(),
            Template::Literal("My age is @{parameters('myAge')}".into())
        );
        assert!(
            matches!(Template::parse("@{parameters('x')}").unwrap(), Template::Interpolated(p) if p.len() == 1)
        );
        assert!(
            matches!(Template::parse("a @{'}'} b").unwrap(), Template::Interpolated(p) if p.len() == 3)
        );
    }

    #[test]
    fn errors_point_into_the_value() {
        let e = Template::parse("x @{concat('a', 'b') y").unwrap_err();
        assert_eq!(e.offset(), 21, "{e}");
        let e = Template::parse("@concat('a', 'b') )").unwrap_err();
        assert_eq!(e.offset(), 18, "{e}");
        let e = Template::parse("@nosuch(1)").unwrap_err();
        assert_eq!(
            e,
            ExprError::UnknownFunction {
                offset: 1,
                name: "nosuch".into()
            }
        );
    }
}
