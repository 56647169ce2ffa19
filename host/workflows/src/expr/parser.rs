//! Recursive-descent parser from tokens to [`Expr`].
//!
//! Grammar (WDL has no operators; everything is a call, a literal or an access):
//! ```text
//! expr    := primary postfix*
//! primary := STRING | INT | FLOAT | true | false | null | IDENT '(' args ')' | '[' args ']'
//! postfix := '?'? ( '[' expr ']' | '.' NAME )
//! args    := ( expr ( ',' expr )* )?
//! ```

use serde_json::Value;

use super::ast::{Expr, Func, Key, Kind, RefFn};
use super::error::ExprError;
use super::functions;
use super::lexer::{Lexer, Token, TokenKind};

/// Deeper nesting than this is refused, so that a hostile expression cannot overflow the stack
/// of the parser or, later, of the evaluator (which recurses as deep as the tree).
const MAX_DEPTH: usize = 64;

pub(crate) struct Parser<'s> {
    lexer: Lexer<'s>,
    peeked: Option<Token>,
    depth: usize,
}

impl<'s> Parser<'s> {
    pub fn new(source: &'s str, pos: usize) -> Self {
        Parser {
            lexer: Lexer::new(source, pos),
            peeked: None,
            depth: 0,
        }
    }

    fn peek(&mut self) -> Result<&Token, ExprError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    pub fn next(&mut self) -> Result<Token, ExprError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn expect(&mut self, want: TokenKind, what: &str) -> Result<Token, ExprError> {
        let t = self.next()?;
        if t.kind == want {
            Ok(t)
        } else {
            Err(ExprError::syntax(
                t.offset,
                format!("expected {what}, found {}", describe(&t.kind)),
            ))
        }
    }

    pub fn expr(&mut self) -> Result<Expr, ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let at = self.peek()?.offset;
            return Err(ExprError::syntax(
                at,
                format!("expression nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let mut e = self.primary()?;
        loop {
            let t = self.peek()?.clone();
            let null_safe = t.kind == TokenKind::Question;
            if null_safe {
                self.next()?;
            }
            let t2 = if null_safe { self.next()? } else { t.clone() };
            match t2.kind {
                TokenKind::LBracket => {
                    if !null_safe {
                        self.next()?;
                    }
                    let key = self.expr()?;
                    self.expect(TokenKind::RBracket, "`]`")?;
                    let key = match key.kind {
                        Kind::Literal(Value::String(s)) => Key::Name(s),
                        Kind::Literal(Value::Number(n)) if n.is_i64() => {
                            Key::Index(n.as_i64().unwrap_or_default())
                        }
                        _ => Key::Dynamic(Box::new(key)),
                    };
                    e = Expr {
                        kind: Kind::Access {
                            target: Box::new(e),
                            key,
                            null_safe,
                        },
                        offset: t.offset,
                    };
                }
                TokenKind::Dot => {
                    if !null_safe {
                        self.next()?;
                    }
                    let name = self.next()?;
                    let name = match name.kind {
                        TokenKind::Ident(s) => s,
                        TokenKind::Int(n) if n >= 0 => n.to_string(),
                        other => {
                            return Err(ExprError::syntax(
                                name.offset,
                                format!(
                                    "expected a property name after `.`, found {}",
                                    describe(&other)
                                ),
                            ));
                        }
                    };
                    e = Expr {
                        kind: Kind::Access {
                            target: Box::new(e),
                            key: Key::Name(name),
                            null_safe,
                        },
                        offset: t.offset,
                    };
                }
                other if null_safe => {
                    return Err(ExprError::syntax(
                        t2.offset,
                        format!("expected `[` or `.` after `?`, found {}", describe(&other)),
                    ));
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let t = self.next()?;
        let offset = t.offset;
        let kind = match t.kind {
            TokenKind::Str(s) => Kind::Literal(Value::String(s)),
            TokenKind::Int(n) => Kind::Literal(Value::from(n)),
            TokenKind::Float(f) => Kind::Literal(Value::from(f)),
            TokenKind::LBracket => Kind::Array(self.args(TokenKind::RBracket, "`]`")?),
            TokenKind::Ident(name) => {
                if self.peek()?.kind != TokenKind::LParen {
                    match name.to_ascii_lowercase().as_str() {
                        "true" => Kind::Literal(Value::Bool(true)),
                        "false" => Kind::Literal(Value::Bool(false)),
                        "null" => Kind::Literal(Value::Null),
                        _ => {
                            return Err(ExprError::syntax(
                                offset,
                                format!(
                                    "`{name}` is not a value: call a function as `{name}(...)`, quote text as '{name}'"
                                ),
                            ));
                        }
                    }
                } else {
                    self.next()?;
                    let func = resolve(&name, offset)?;
                    let args = self.args(TokenKind::RParen, "`)` or `,`")?;
                    check_arity(func, args.len(), offset)?;
                    Kind::Call { func, args }
                }
            }
            other => {
                return Err(ExprError::syntax(
                    offset,
                    format!("expected a value, found {}", describe(&other)),
                ));
            }
        };
        Ok(Expr { kind, offset })
    }

    fn args(&mut self, close: TokenKind, what: &str) -> Result<Vec<Expr>, ExprError> {
        let mut args = Vec::new();
        if self.peek()?.kind == close {
            self.next()?;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            let t = self.next()?;
            if t.kind == close {
                return Ok(args);
            }
            if t.kind != TokenKind::Comma {
                return Err(ExprError::syntax(
                    t.offset,
                    format!("expected {what}, found {}", describe(&t.kind)),
                ));
            }
        }
    }
}

/// Function names are matched without regard to case, as Logic Apps does.
fn resolve(name: &str, offset: usize) -> Result<Func, ExprError> {
    if let Some((f, ..)) = RefFn::ALL
        .iter()
        .find(|(_, n, ..)| n.eq_ignore_ascii_case(name))
    {
        return Ok(Func::Ref(*f));
    }
    functions::lookup(name)
        .map(Func::Builtin)
        .ok_or_else(|| ExprError::UnknownFunction {
            offset,
            name: name.to_owned(),
        })
}

fn check_arity(func: Func, got: usize, offset: usize) -> Result<(), ExprError> {
    let (name, min, max) = match func {
        Func::Ref(f) => {
            let (_, n, min, max) = RefFn::ALL
                .iter()
                .find(|(g, ..)| *g == f)
                .expect("every RefFn is listed");
            (*n, *min, *max)
        }
        Func::Builtin(b) => (b.name, b.min, b.max),
    };
    if got >= min && got <= max {
        return Ok(());
    }
    let expected = match (min, max) {
        (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
        (a, usize::MAX) => format!("at least {a} arguments"),
        (a, b) if b == a + 1 => format!("{a} or {b} arguments"),
        (a, b) => format!("{a} to {b} arguments"),
    };
    Err(ExprError::Arity {
        offset,
        function: name,
        expected,
        got,
    })
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Ident(s) => format!("`{s}`"),
        TokenKind::Str(s) => format!("the string '{s}'"),
        TokenKind::Int(n) => format!("the number {n}"),
        TokenKind::Float(f) => format!("the number {f}"),
        TokenKind::LParen => "`(`".into(),
        TokenKind::RParen => "`)`".into(),
        TokenKind::LBracket => "`[`".into(),
        TokenKind::RBracket => "`]`".into(),
        TokenKind::RBrace => "`}`".into(),
        TokenKind::Comma => "`,`".into(),
        TokenKind::Dot => "`.`".into(),
        TokenKind::Question => "`?`".into(),
        TokenKind::End => "the end of the expression".into(),
    }
}

/// Parses one expression starting at `pos` and returns it with the token that follows it.
pub(crate) fn parse_at(source: &str, pos: usize) -> Result<(Expr, Token), ExprError> {
    let mut p = Parser::new(source, pos);
    let e = p.expr()?;
    let next = p.next()?;
    Ok((e, next))
}

pub(crate) fn describe_token(kind: &TokenKind) -> String {
    describe(kind)
}
