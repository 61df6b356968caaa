//! The KQL lexer: turns text into tokens with byte spans.
//!
//! The lexer never fails: characters it does not know become
//! [`TokenKind::Unknown`] tokens and strings that are not closed become
//! [`TokenKind::UnterminatedString`] tokens; the parser reports them.
//! Keywords are contextual in KQL, so every word is an [`TokenKind::Ident`].

use super::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TokenKind {
    /// A word: letters, digits and `_`; also `$left`/`$right`, and a digit-led
    /// word that is not a number or timespan (`1w`, `1xyz`, `0xZZ`: Kusto reads
    /// those as names).
    Ident,
    /// An integer, real or hex number without a suffix: `1`, `1.5`, `1e3`, `0x1F`.
    Number,
    /// A timespan: a number followed directly by a known unit (`5d`, `10ms`).
    NumberWithSuffix,
    /// Any string literal: `'x'`, `"x"`, `@'x'`, `h'x'`, `H@"x"`, ```` ```x``` ````.
    String,
    /// A string literal that is not closed before the end of its line (or of the text).
    UnterminatedString,
    /// The raw content of a typed literal such as `datetime(2024-01-01)` or
    /// `int(42)`: everything between the `(` and the first `)` on the same line,
    /// lexed as one token (Kusto does not tokenize it; the parser decodes it).
    LiteralText,
    /// `// ...` up to the end of the line.
    Comment,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Pipe,
    Semi,
    Comma,
    Dot,
    DotDot,
    Colon,
    /// `=`
    Eq,
    /// `==`
    EqEq,
    /// `!=`
    BangEq,
    /// `<>`
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=~`
    EqTilde,
    /// `!~`
    BangTilde,
    /// `=>`
    Arrow,
    Tilde,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    /// A character that starts no token.
    Unknown,
    /// End of input (only produced by the parser's token stream, never by [`tokenize`]).
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// The text of this token in `src` (the text it was lexed from).
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        self.span.text(src)
    }
}

/// Tokenize `text`, comments included, whitespace excluded, no `Eof` token.
///
/// Offsets are `u32`: text beyond 4 GiB is not tokenized.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(text.len() / 4 + 4);
    lex_into(text, &mut out);
    out
}

pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub(crate) fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The non-ASCII characters Kusto skips as whitespace (Kusto.Language's
/// `TextFacts.IsWhitespace`): Unicode spaces, the zero-width space and the
/// byte order mark. Other format characters (`U+200C`, `U+2060`...) and the
/// line separators `U+0085`, `U+2028`, `U+2029` are not whitespace to Kusto.
pub(crate) fn is_unicode_space(c: char) -> bool {
    matches!(
        c,
        '\u{a0}' | '\u{1680}' | '\u{180e}' | '\u{2000}'
            ..='\u{200b}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

pub(crate) fn lex_into(text: &str, out: &mut Vec<Token>) {
    let limit = text.len().min(u32::MAX as usize);
    // Never cut a UTF-8 character in two.
    let mut limit = limit;
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let b = &text.as_bytes()[..limit];
    let n = b.len();
    let mut i = 0usize;
    while i < n {
        let c = b[i];
        let start = i;
        let kind;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c => {
                i += 1;
                continue;
            }
            b'/' if i + 1 < n && b[i + 1] == b'/' => {
                while i < n && b[i] != b'\n' {
                    i += 1;
                }
                // Keep a trailing \r out of the comment.
                let mut end = i;
                if end > start + 2 && b[end - 1] == b'\r' {
                    end -= 1;
                }
                out.push(Token {
                    kind: TokenKind::Comment,
                    span: Span::new(start as u32, end as u32),
                });
                continue;
            }
            b'\'' | b'"' => {
                let (k, end) = scan_quoted(b, i + 1, c);
                kind = k;
                i = end;
            }
            b'@' if i + 1 < n && (b[i + 1] == b'\'' || b[i + 1] == b'"') => {
                let (k, end) = scan_verbatim(b, i + 2, b[i + 1]);
                kind = k;
                i = end;
            }
            b'h' | b'H' if i + 1 < n && (b[i + 1] == b'\'' || b[i + 1] == b'"') => {
                let (k, end) = scan_quoted(b, i + 2, b[i + 1]);
                kind = k;
                i = end;
            }
            b'h' | b'H'
                if i + 2 < n && b[i + 1] == b'@' && (b[i + 2] == b'\'' || b[i + 2] == b'"') =>
            {
                let (k, end) = scan_verbatim(b, i + 3, b[i + 2]);
                kind = k;
                i = end;
            }
            b'`' if i + 2 < n && b[i + 1] == b'`' && b[i + 2] == b'`' => {
                let mut j = i + 3;
                let mut found = None;
                while j + 2 < n {
                    if b[j] == b'`' && b[j + 1] == b'`' && b[j + 2] == b'`' {
                        found = Some(j + 3);
                        break;
                    }
                    j += 1;
                }
                match found {
                    Some(e) => {
                        kind = TokenKind::String;
                        i = e;
                    }
                    None => {
                        kind = TokenKind::UnterminatedString;
                        i = n;
                    }
                }
            }
            b'0'..=b'9' => {
                let (k, end) = scan_number(b, i);
                kind = k;
                i = end;
            }
            b'$' if i + 1 < n && is_ident_start(b[i + 1]) => {
                i += 1;
                while i < n && is_ident_continue(b[i]) {
                    i += 1;
                }
                kind = TokenKind::Ident;
            }
            c if is_ident_start(c) => {
                while i < n && is_ident_continue(b[i]) {
                    i += 1;
                }
                kind = TokenKind::Ident;
                if i < n && b[i] == b'(' && is_raw_literal_word(&text[start..i]) {
                    // `datetime(...)`, `int(...)`, ...: the content up to the first
                    // `)` on this line is one token.
                    out.push(Token {
                        kind,
                        span: Span::new(start as u32, i as u32),
                    });
                    out.push(Token {
                        kind: TokenKind::LParen,
                        span: Span::new(i as u32, i as u32 + 1),
                    });
                    let body = i + 1;
                    let mut j = body;
                    while j < n && !matches!(b[j], b')' | b'\n' | b'\r') {
                        j += 1;
                    }
                    if j > body {
                        out.push(Token {
                            kind: TokenKind::LiteralText,
                            span: Span::new(body as u32, j as u32),
                        });
                    }
                    i = j;
                    continue;
                }
            }
            b'(' => {
                kind = TokenKind::LParen;
                i += 1;
            }
            b')' => {
                kind = TokenKind::RParen;
                i += 1;
            }
            b'[' => {
                kind = TokenKind::LBracket;
                i += 1;
            }
            b']' => {
                kind = TokenKind::RBracket;
                i += 1;
            }
            b'{' => {
                kind = TokenKind::LBrace;
                i += 1;
            }
            b'}' => {
                kind = TokenKind::RBrace;
                i += 1;
            }
            b'|' => {
                kind = TokenKind::Pipe;
                i += 1;
            }
            b';' => {
                kind = TokenKind::Semi;
                i += 1;
            }
            b',' => {
                kind = TokenKind::Comma;
                i += 1;
            }
            b':' => {
                kind = TokenKind::Colon;
                i += 1;
            }
            b'.' => {
                if i + 1 < n && b[i + 1] == b'.' {
                    kind = TokenKind::DotDot;
                    i += 2;
                } else {
                    kind = TokenKind::Dot;
                    i += 1;
                }
            }
            b'=' => {
                let next = if i + 1 < n { b[i + 1] } else { 0 };
                match next {
                    b'=' => {
                        kind = TokenKind::EqEq;
                        i += 2;
                    }
                    b'~' => {
                        kind = TokenKind::EqTilde;
                        i += 2;
                    }
                    b'>' => {
                        kind = TokenKind::Arrow;
                        i += 2;
                    }
                    _ => {
                        kind = TokenKind::Eq;
                        i += 1;
                    }
                }
            }
            b'!' => {
                let next = if i + 1 < n { b[i + 1] } else { 0 };
                match next {
                    b'=' => {
                        kind = TokenKind::BangEq;
                        i += 2;
                    }
                    b'~' => {
                        kind = TokenKind::BangTilde;
                        i += 2;
                    }
                    _ => {
                        kind = TokenKind::Bang;
                        i += 1;
                    }
                }
            }
            b'<' => {
                let next = if i + 1 < n { b[i + 1] } else { 0 };
                match next {
                    b'=' => {
                        kind = TokenKind::Le;
                        i += 2;
                    }
                    b'>' => {
                        kind = TokenKind::LtGt;
                        i += 2;
                    }
                    _ => {
                        kind = TokenKind::Lt;
                        i += 1;
                    }
                }
            }
            b'>' => {
                if i + 1 < n && b[i + 1] == b'=' {
                    kind = TokenKind::Ge;
                    i += 2;
                } else {
                    kind = TokenKind::Gt;
                    i += 1;
                }
            }
            b'~' => {
                kind = TokenKind::Tilde;
                i += 1;
            }
            b'+' => {
                kind = TokenKind::Plus;
                i += 1;
            }
            b'-' => {
                kind = TokenKind::Minus;
                i += 1;
            }
            b'*' => {
                kind = TokenKind::Star;
                i += 1;
            }
            b'/' => {
                kind = TokenKind::Slash;
                i += 1;
            }
            b'%' => {
                kind = TokenKind::Percent;
                i += 1;
            }
            b'?' => {
                kind = TokenKind::Question;
                i += 1;
            }
            c if c >= 0x80 => {
                let len = utf8_len(c).min(n - i);
                let ch = text[i..i + len].chars().next();
                i += len;
                if ch.is_some_and(is_unicode_space) {
                    continue;
                }
                kind = TokenKind::Unknown;
            }
            _ => {
                kind = TokenKind::Unknown;
                i += 1;
            }
        }
        out.push(Token {
            kind,
            span: Span::new(start as u32, i as u32),
        });
    }
}

/// Scan a backslash-escaped string body starting at `i` (just after the quote).
/// Returns the token kind and the end offset (after the closing quote, or at
/// the line end / text end when not closed).
fn scan_quoted(b: &[u8], mut i: usize, q: u8) -> (TokenKind, usize) {
    let n = b.len();
    while i < n {
        match b[i] {
            c if c == q => return (TokenKind::String, i + 1),
            b'\\' => {
                if i + 1 < n && b[i + 1] != b'\n' && b[i + 1] != b'\r' {
                    // Skip the escaped character (whole UTF-8 sequence).
                    i += 1 + utf8_len(b[i + 1]);
                } else {
                    i += 1;
                }
            }
            b'\n' | b'\r' => return (TokenKind::UnterminatedString, i),
            _ => i += 1,
        }
    }
    (TokenKind::UnterminatedString, n.min(i))
}

/// Scan a verbatim string body (`@'...'`, doubled quote escapes it).
fn scan_verbatim(b: &[u8], mut i: usize, q: u8) -> (TokenKind, usize) {
    let n = b.len();
    while i < n {
        let c = b[i];
        if c == q {
            if i + 1 < n && b[i + 1] == q {
                i += 2;
                continue;
            }
            return (TokenKind::String, i + 1);
        }
        if c == b'\n' || c == b'\r' {
            return (TokenKind::UnterminatedString, i);
        }
        i += 1;
    }
    (TokenKind::UnterminatedString, n)
}

/// Length of the numeric part of a number token starting at `i`:
/// digits, optional fraction, optional exponent; or a hex number.
pub(crate) fn number_prefix_end(b: &[u8], mut i: usize) -> (usize, bool) {
    let n = b.len();
    if i + 1 < n && b[i] == b'0' && (b[i + 1] == b'x' || b[i + 1] == b'X') {
        let mut j = i + 2;
        while j < n && b[j].is_ascii_hexdigit() {
            j += 1;
        }
        if j > i + 2 {
            return (j, true);
        }
    }
    while i < n && b[i].is_ascii_digit() {
        i += 1;
    }
    // `1.5`, and `1.` (a real in Kusto), but not `1..2`.
    if i < n && b[i] == b'.' && !(i + 1 < n && b[i + 1] == b'.') {
        i += 1;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < n && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < n && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < n && b[j].is_ascii_digit() {
            while j < n && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    (i, false)
}

/// Words whose `(...)` content is raw text (typed literals), when the `(`
/// follows the word directly.
pub(crate) fn is_raw_literal_word(w: &str) -> bool {
    matches!(
        w,
        "datetime"
            | "date"
            | "time"
            | "timespan"
            | "guid"
            | "uuid"
            | "int"
            | "int32"
            | "int64"
            | "long"
            | "real"
            | "double"
            | "decimal"
            | "bool"
    )
}

fn scan_number(b: &[u8], i: usize) -> (TokenKind, usize) {
    let n = b.len();
    let (num_end, hex) = number_prefix_end(b, i);
    let mut j = num_end;
    if j < n && (is_ident_start(b[j]) || b[j].is_ascii_digit()) {
        while j < n && is_ident_continue(b[j]) {
            j += 1;
        }
        // A number with a known timespan unit is a timespan; any other
        // digit-led word (`1w`, `1xyz`, `1e`, `0xZZ`) is a name, as in Kusto.
        let unit = std::str::from_utf8(&b[num_end..j]).unwrap_or("");
        if !hex && super::literal::timespan_unit_ticks(unit).is_some() {
            return (TokenKind::NumberWithSuffix, j);
        }
        return (TokenKind::Ident, j);
    }
    (TokenKind::Number, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_alone() {
        let q = "T | where x !has 'a' // c\n| take 1";
        let toks = tokenize(q);
        let kinds: Vec<TokenKind> = toks.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TokenKind::Ident,
                TokenKind::Pipe,
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::Bang,
                TokenKind::Ident,
                TokenKind::String,
                TokenKind::Comment,
                TokenKind::Pipe,
                TokenKind::Ident,
                TokenKind::Number,
            ]
        );
        assert_eq!(toks[7].text(q), "// c");
    }

    #[test]
    fn kusto_whitespace_only() {
        // Kusto's whitespace set: these are skipped...
        let q = "T\u{a0}\u{200b}\u{feff}\u{180e}\u{3000}|";
        let kinds: Vec<TokenKind> = tokenize(q).iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TokenKind::Ident, TokenKind::Pipe]);
        // ...these are not.
        for c in ['\u{0b}', '\u{85}', '\u{200c}', '\u{2028}', '\u{2060}'] {
            let q = format!("T{c}|");
            let kinds: Vec<TokenKind> = tokenize(&q).iter().map(|t| t.kind).collect();
            assert_eq!(
                kinds,
                [TokenKind::Ident, TokenKind::Unknown, TokenKind::Pipe],
                "{c:?}"
            );
        }
    }
}
