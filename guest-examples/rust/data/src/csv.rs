//! A CSV reader (RFC 4180, with a choice of delimiter).
//!
//! Fields may be quoted with `"`; inside quotes, `""` is one quote and the
//! delimiter and line breaks are ordinary characters. Records end at `\n` or
//! `\r\n`. Blank lines are skipped, a final line break is optional, and a
//! leading byte-order mark is ignored. A quote inside an unquoted field is
//! kept as an ordinary character, as most spreadsheet programs do.

/// One record, with the line it starts on (1-based, counting the line
/// breaks inside quoted fields) so that errors can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Why a text is not CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    /// A quoted field that starts on this line is never closed.
    UnterminatedQuote { line: usize },
    /// Text follows a closing quote on this line (`"ab"c`).
    TextAfterQuote { line: usize },
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::UnterminatedQuote { line } => {
                write!(
                    f,
                    "the quoted field that starts on line {line} is never closed"
                )
            }
            CsvError::TextAfterQuote { line } => write!(
                f,
                "on line {line}, a closing quote is followed by text; write a quote inside \
                 a quoted field as `\"\"`"
            ),
        }
    }
}

/// Splits `text` into records of fields.
pub fn parse(text: &str, delimiter: char) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        chars: text.chars().peekable(),
        delimiter,
        line: 1,
    };
    let mut records = Vec::new();
    while let Some(&next) = reader.chars.peek() {
        if next == '\n' || next == '\r' {
            // A blank line: no record.
            reader.line_break();
            continue;
        }
        records.push(reader.record()?);
    }
    Ok(records)
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    delimiter: char,
    line: usize,
}

impl Reader<'_> {
    /// Reads one record and the line break that ends it.
    fn record(&mut self) -> Result<Record, CsvError> {
        let line = self.line;
        let mut fields = Vec::new();
        loop {
            fields.push(self.field()?);
            match self.chars.peek() {
                Some(&c) if c == self.delimiter => {
                    self.chars.next();
                }
                Some('\r' | '\n') => {
                    self.line_break();
                    break;
                }
                // The end of the text (`field` stops nowhere else).
                _ => break,
            }
        }
        Ok(Record { line, fields })
    }

    /// Reads one field, stopping before the delimiter or line break after it.
    fn field(&mut self) -> Result<String, CsvError> {
        let mut field = String::new();
        if self.chars.peek() == Some(&'"') {
            let start = self.line;
            self.chars.next();
            loop {
                match self.chars.next() {
                    None => return Err(CsvError::UnterminatedQuote { line: start }),
                    Some('"') if self.chars.peek() == Some(&'"') => {
                        self.chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => {
                        if c == '\n' {
                            self.line += 1;
                        }
                        field.push(c);
                    }
                }
            }
            match self.chars.peek() {
                None | Some('\r' | '\n') => {}
                Some(&c) if c == self.delimiter => {}
                Some(_) => return Err(CsvError::TextAfterQuote { line: self.line }),
            }
        } else {
            while let Some(&c) = self.chars.peek() {
                if c == self.delimiter || c == '\r' || c == '\n' {
                    break;
                }
                field.push(c);
                self.chars.next();
            }
        }
        Ok(field)
    }

    /// Consumes `\n`, `\r\n` or a lone `\r`.
    fn line_break(&mut self) {
        if self.chars.next() == Some('\r') && self.chars.peek() == Some(&'\n') {
            self.chars.next();
        }
        self.line += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text, ',')
            .unwrap()
            .into_iter()
            .map(|record| record.fields)
            .collect()
    }

    #[test]
    fn reads_plain_and_quoted_fields() {
        assert_eq!(
            fields("a,b\r\n1,\"x, \"\"y\"\"\nz\"\n\n3,\n"),
            vec![vec!["a", "b"], vec!["1", "x, \"y\"\nz"], vec!["3", ""]]
        );
        assert_eq!(fields("\u{feff}a"), vec![vec!["a"]]);
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
        assert_eq!(fields("\"\""), vec![vec![""]]);
        assert_eq!(fields("a\"b"), vec![vec!["a\"b"]]);
    }

    #[test]
    fn counts_lines_across_quoted_line_breaks() {
        let records = parse("a\n\"x\ny\"\n\nb", ',').unwrap();
        let lines: Vec<_> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 5]);
    }

    #[test]
    fn uses_the_delimiter() {
        assert_eq!(
            parse("a;b,c", ';').unwrap()[0].fields,
            vec!["a".to_string(), "b,c".to_string()]
        );
    }

    #[test]
    fn refuses_broken_quotes() {
        assert_eq!(
            parse("a\n\"open\n", ','),
            Err(CsvError::UnterminatedQuote { line: 2 })
        );
        assert_eq!(
            parse("\"ab\"c", ','),
            Err(CsvError::TextAfterQuote { line: 1 })
        );
    }
}
