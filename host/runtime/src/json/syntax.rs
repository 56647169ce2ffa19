//! One pass over JSON text that accepts exactly what `serde_json` parses
//! into a `Value`: the grammar of RFC 8259, strings whose `\u` escapes
//! pair their surrogates, numbers that fit an `f64`, and nesting at most
//! [`MAX_DEPTH`] deep. It builds nothing: it is what the host runs on every
//! body a connector returns, so it is written for speed (strings are
//! skipped sixteen bytes at a time with SSE2 on x86-64, eight elsewhere).
//! Differential tests against `serde_json` keep the two in agreement.

use std::fmt;

/// The deepest nesting accepted: 127 containers one inside the other,
/// which is where `serde_json`'s recursion limit (128) stops a parse.
pub const MAX_DEPTH: usize = 127;

/// Where and why text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub problem: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.problem, self.line, self.column
        )
    }
}

impl std::error::Error for SyntaxError {}

/// Checks that `text` is one JSON value, surrounding whitespace allowed.
pub fn check(text: &str) -> Result<(), SyntaxError> {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
    };
    s.document().map_err(|problem| s.error(problem))
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

type Step = Result<(), &'static str>;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in the first byte of `x` (in memory order)
/// that is `"`, `\` or below 0x20 (a control character), and maybe in
/// bytes after it; zero if there is none. The usual "has a zero byte"
/// trick: a borrow can only flag bytes above a true match, so the lowest
/// flag is exact.
#[inline]
fn special(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let quote = zero(x ^ (ONES * b'"' as u64));
    let backslash = zero(x ^ (ONES * b'\\' as u64));
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    quote | backslash | control
}

impl Scanner<'_> {
    fn error(&self, problem: &'static str) -> SyntaxError {
        let upto = &self.b[..self.i.min(self.b.len())];
        let line = 1 + upto.iter().filter(|&&c| c == b'\n').count();
        let start = upto.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        SyntaxError {
            line,
            column: self.i.min(self.b.len()) - start + 1,
            problem,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn document(&mut self) -> Step {
        // Which containers are open: bit n set means level n is an object.
        // 127 levels fit in a u128.
        let mut objects: u128 = 0;
        let mut depth = 0usize;
        'value: loop {
            self.skip_ws();
            match self.peek() {
                Some(b'{') => {
                    self.i += 1;
                    if depth == MAX_DEPTH {
                        return Err("recursion limit exceeded");
                    }
                    objects |= 1 << depth;
                    depth += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        depth -= 1;
                    } else {
                        self.key()?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.i += 1;
                    if depth == MAX_DEPTH {
                        return Err("recursion limit exceeded");
                    }
                    objects &= !(1 << depth);
                    depth += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        depth -= 1;
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.i += 1;
                    self.string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(_) => return Err("expected value"),
                None => return Err("EOF while parsing a value"),
            }
            // After a value: close containers, or go on to the next member.
            loop {
                if depth == 0 {
                    self.skip_ws();
                    return match self.peek() {
                        None => Ok(()),
                        Some(_) => Err("trailing characters"),
                    };
                }
                self.skip_ws();
                let in_object = objects & (1 << (depth - 1)) != 0;
                match (self.peek(), in_object) {
                    (Some(b','), _) => {
                        self.i += 1;
                        if in_object {
                            self.skip_ws();
                            self.key()?;
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.i += 1;
                        depth -= 1;
                    }
                    (Some(_), true) => return Err("expected `,` or `}`"),
                    (Some(_), false) => return Err("expected `,` or `]`"),
                    (None, _) => return Err("EOF while parsing a value"),
                }
            }
        }
    }

    /// A member's key and its `:`.
    #[inline(always)]
    fn key(&mut self) -> Step {
        match self.peek() {
            Some(b'"') => self.i += 1,
            Some(_) => return Err("key must be a string"),
            None => return Err("EOF while parsing an object"),
        }
        self.string()?;
        self.skip_ws();
        match self.peek() {
            Some(b':') => {
                self.i += 1;
                Ok(())
            }
            Some(_) => Err("expected `:`"),
            None => Err("EOF while parsing an object"),
        }
    }

    /// The rest of a string, after its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Step {
        loop {
            self.skip_plain();
            match self.peek() {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    self.escape()?;
                }
                Some(_) => {
                    return Err("control character (\\u0000-\\u001F) found while parsing a string");
                }
                None => return Err("EOF while parsing a string"),
            }
        }
    }

    /// Moves to the next `"`, `\` or control character (or the end),
    /// sixteen bytes at a time with SSE2 (every x86-64 CPU has it), else
    /// eight at a time.
    #[inline(always)]
    fn skip_plain(&mut self) {
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = self.b.get(self.i..self.i + 16) {
            use std::arch::x86_64::*;
            // SAFETY: SSE2 is part of x86-64's baseline; the load reads the
            // 16 bytes of `chunk`, and an unaligned load takes any address.
            let mask = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                // Unsigned v <= 0x1F: the minimum with 0x1F is v itself.
                let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
            };
            if mask != 0 {
                self.i += mask.trailing_zeros() as usize;
                return;
            }
            self.i += 16;
        }
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mask = special(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
            if mask != 0 {
                self.i += (mask.trailing_zeros() / 8) as usize;
                return;
            }
            self.i += 8;
        }
        while let Some(&c) = self.b.get(self.i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                return;
            }
            self.i += 1;
        }
    }

    fn escape(&mut self) -> Step {
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 1;
                Ok(())
            }
            Some(b'u') => {
                self.i += 1;
                let n = self.hex4()?;
                if (0xDC00..=0xDFFF).contains(&n) {
                    return Err("lone leading surrogate in hex escape");
                }
                if (0xD800..=0xDBFF).contains(&n) {
                    if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                        return Err("unexpected end of hex escape");
                    }
                    self.i += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..=0xDFFF).contains(&low) {
                        return Err("lone leading surrogate in hex escape");
                    }
                }
                Ok(())
            }
            Some(_) => Err("invalid escape"),
            None => Err("EOF while parsing a string"),
        }
    }

    fn hex4(&mut self) -> Result<u16, &'static str> {
        let Some(digits) = self.b.get(self.i..self.i + 4) else {
            self.i = self.b.len();
            return Err("EOF while parsing a string");
        };
        let mut n = 0u16;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err("invalid escape"),
            };
            n = n << 4 | v as u16;
            self.i += 1;
        }
        Ok(n)
    }

    fn literal(&mut self, word: &[u8]) -> Step {
        for &c in word {
            match self.peek() {
                Some(x) if x == c => self.i += 1,
                Some(_) => return Err("expected ident"),
                None => return Err("EOF while parsing a value"),
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number; one that does not fit an `f64` (`1e400`) is refused, as
    /// `serde_json` refuses it.
    fn number(&mut self) -> Step {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err("invalid number");
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            Some(_) => return Err("invalid number"),
            None => return Err("EOF while parsing a value"),
        }
        let int_digits = self.i - int_start;
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(if self.peek().is_none() {
                    "EOF while parsing a value"
                } else {
                    "invalid number"
                });
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(if self.peek().is_none() {
                    "EOF while parsing a value"
                } else {
                    "invalid number"
                });
            }
            exponent = true;
        }
        // Without an exponent a number overflows an f64 only past 308
        // integer digits; with one, read it the way serde_json does.
        if exponent || int_digits > 300 {
            let text = std::str::from_utf8(&self.b[start..self.i]).expect("ASCII");
            if !text.parse::<f64>().is_ok_and(f64::is_finite) {
                return Err("number out of range");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
