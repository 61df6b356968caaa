//! Recursive-descent parser (Pratt for binary operators) producing [`super::ast`].
//!
//! Robustness rules:
//! - every nesting construct goes through `Parser::enter`, which stops at
//!   [`MAX_DEPTH`] levels with one "query nests too deeply" error;
//! - flat sequences (statements, pipes, `and`/`or` chains, lists) are loops;
//! - an error inside a tabular operator is reported once and parsing resumes at
//!   the next `|` or `;` (or the enclosing `)`);
//! - at most one error is reported per token position.

//!
//! The grammar is split by construct family (as rust-analyzer's is):
//! `statements` (`let`, `set`, `declare`), `pipeline` (`source | op`),
//! `operators` (each tabular operator), `graph` (the graph operators), `join_union`, `expressions`,
//! `literals_types`, and the word lists in `keywords`. This file holds the
//! entry point, the token stream, error reporting and recovery.

mod expressions;
mod graph;
mod join_union;
mod keywords;
mod literals_types;
mod operators;
mod pipeline;
mod statements;

use self::keywords::*;
use super::ast::*;
use super::lexer::{self, Token, TokenKind as K};
use super::literal;
use super::{Parsed, Span, SyntaxError};

/// Maximum nesting depth of parentheses, brackets, unary operators, subqueries...
pub const MAX_DEPTH: u32 = 256;

/// Stack reserved for parses whose nesting is deep enough to need it.
const BIG_STACK: usize = 256 * 1024 * 1024;
/// Nesting (estimated from the tokens) above which the parse runs on a big stack.
const INLINE_NESTING: u32 = 16;

type PResult<T> = Result<T, ()>;

/// Parse `text`. Never panics.
pub fn parse(text: &str) -> Parsed {
    let mut all = Vec::with_capacity(text.len() / 4 + 4);
    lexer::lex_into(text, &mut all);
    let mut comments = Vec::new();
    let mut toks = Vec::with_capacity(all.len() + 1);
    for t in all {
        if t.kind == K::Comment {
            comments.push(t.span);
        } else {
            toks.push(t);
        }
    }
    let end = if text.len() > u32::MAX as usize {
        toks.last().map_or(0, |t| t.span.end)
    } else {
        text.len() as u32
    };
    toks.push(Token {
        kind: K::Eof,
        span: Span::empty(end),
    });
    let (query, mut errors) = if estimate_nesting(&toks) > INLINE_NESTING {
        run_on_big_stack(text, toks)
    } else {
        run(text, toks)
    };
    if text.len() > u32::MAX as usize {
        errors.push(SyntaxError {
            span: Span::empty(end),
            message: "query text is too long (more than 4 GiB); the rest was ignored".into(),
        });
    }
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    Parsed {
        query,
        errors,
        comments,
    }
}

fn run(text: &str, toks: Vec<Token>) -> (Query, Vec<SyntaxError>) {
    let mut p = Parser::new(text, toks);
    let q = p.query();
    (q, p.errors)
}

fn run_on_big_stack(text: &str, toks: Vec<Token>) -> (Query, Vec<SyntaxError>) {
    // Keep a copy in case no thread can be started (then the tokens are re-made).
    let result = std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("kql-parse".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(s, move || run(text, toks));
        match handle {
            Ok(h) => Some(match h.join() {
                Ok(r) => r,
                Err(payload) => std::panic::resume_unwind(payload),
            }),
            Err(_) => None,
        }
    });
    match result {
        Some(r) => r,
        None => {
            // No thread available: parse inline with a lower effective limit.
            let mut all = Vec::new();
            lexer::lex_into(text, &mut all);
            all.retain(|t| t.kind != K::Comment);
            let end = all
                .last()
                .map_or(0, |t| t.span.end)
                .max(text.len().min(u32::MAX as usize) as u32);
            all.push(Token {
                kind: K::Eof,
                span: Span::empty(end),
            });
            let mut p = Parser::new(text, all);
            p.max_depth = 64;
            let q = p.query();
            (q, p.errors)
        }
    }
}

/// Rough upper bound of the recursion the parser will need.
fn estimate_nesting(toks: &[Token]) -> u32 {
    let (mut nest, mut max_nest, mut run, mut max_run) = (0u32, 0u32, 0u32, 0u32);
    for t in toks {
        match t.kind {
            K::LParen | K::LBracket | K::LBrace => {
                nest += 1;
                max_nest = max_nest.max(nest);
            }
            K::RParen | K::RBracket | K::RBrace => nest = nest.saturating_sub(1),
            _ => {}
        }
        if matches!(t.kind, K::Minus | K::Plus) {
            run += 1;
            max_run = max_run.max(run);
        } else {
            run = 0;
        }
    }
    max_nest.saturating_add(max_run)
}

/// Where a pipeline or statement sits: decides what recovery may skip.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ctx {
    /// Top level of the query: stray closers are skipped.
    Top,
    /// Statement of a function body `{ ... }`: stops at an unmatched `}`.
    Body,
    /// Inside parentheses or a list: stops at any unmatched closer.
    Nested,
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    errors: Vec<SyntaxError>,
    depth: u32,
    max_depth: u32,
    too_deep: bool,
    last_err_pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, toks: Vec<Token>) -> Self {
        Parser {
            src,
            toks,
            pos: 0,
            errors: Vec::new(),
            depth: 0,
            max_depth: MAX_DEPTH,
            too_deep: false,
            last_err_pos: usize::MAX,
        }
    }

    fn tok(&self) -> Token {
        self.toks[self.pos]
    }

    fn nth(&self, n: usize) -> Token {
        let i = (self.pos + n).min(self.toks.len() - 1);
        self.toks[i]
    }

    fn kind(&self) -> K {
        self.toks[self.pos].kind
    }

    fn at(&self, k: K) -> bool {
        self.kind() == k
    }

    fn text(&self, t: Token) -> &'a str {
        t.span.text(self.src)
    }

    fn is_word(&self, t: Token, w: &str) -> bool {
        t.kind == K::Ident && self.text(t) == w
    }

    fn at_word(&self, w: &str) -> bool {
        self.is_word(self.tok(), w)
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos];
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, k: K) -> Option<Token> {
        if self.at(k) { Some(self.bump()) } else { None }
    }

    fn eat_word(&mut self, w: &str) -> Option<Token> {
        if self.at_word(w) {
            Some(self.bump())
        } else {
            None
        }
    }

    /// End offset of the last consumed token.
    fn prev_end(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        }
    }

    fn span_from(&self, start: Span) -> Span {
        Span::new(start.start, self.prev_end().max(start.start))
    }

    fn error(&mut self, span: Span, msg: impl Into<String>) {
        if self.too_deep {
            return;
        }
        if self.last_err_pos == self.pos {
            return;
        }
        self.last_err_pos = self.pos;
        self.errors.push(SyntaxError {
            span,
            message: msg.into(),
        });
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            K::Eof => "end of query".to_string(),
            K::String | K::UnterminatedString => "a string literal".to_string(),
            _ => {
                let s = self.text(t);
                if s.chars().count() > 32 {
                    let cut: String = s.chars().take(32).collect();
                    format!("`{cut}...`")
                } else {
                    format!("`{s}`")
                }
            }
        }
    }

    /// Report a missing WHAT. Like Kusto, the error is zero-length at the END of
    /// the previous token (`T | where` + newline fails on the `where` line);
    /// lexical problems (unknown characters, unclosed strings) are reported
    /// where they are.
    fn expected<T>(&mut self, what: &str) -> PResult<T> {
        let t = self.tok();
        match t.kind {
            K::Unknown => {
                let msg = format!("unexpected character {}", self.describe(t));
                self.error(t.span, msg);
            }
            K::UnterminatedString => {
                // Kusto reports the missing token first, then the open string
                // where it ends.
                let msg = format!("expected {what}, found an unterminated string");
                self.error(Span::empty(self.prev_end()), msg);
                let s = self.text(t);
                let msg = if s.starts_with("```") {
                    "unterminated multi-line string: no closing ``` before the end of the query"
                } else {
                    "unterminated string literal: no closing quote on this line"
                };
                if !self.too_deep {
                    self.errors.push(SyntaxError {
                        span: Span::empty(t.span.end),
                        message: msg.into(),
                    });
                }
            }
            _ => {
                if t.kind == K::Ident && is_reserved_word(self.text(t)) {
                    let w = self.text(t);
                    let hyphenated_op = self.op_name_span().1 > 1;
                    if self.continues_expr(self.nth(1)) && !hyphenated_op {
                        // `where where == 1`: Kusto points at the keyword.
                        let msg = format!(
                            "the name `{w}` is a keyword: write it as `['{w}']` to use it as a name"
                        );
                        self.error(t.span, msg);
                    } else {
                        let msg = format!(
                            "expected {what}, found the keyword `{w}` (write `['{w}']` to use it as a name)"
                        );
                        self.error(Span::empty(self.prev_end()), msg);
                    }
                } else {
                    let msg = format!("expected {what}, found {}", self.describe(t));
                    self.error(Span::empty(self.prev_end()), msg);
                }
            }
        }
        Err(())
    }

    /// Junk after a complete statement or operator: a token that could start
    /// an expression means a separator is missing (reported at the end of the
    /// previous token, as Kusto does); anything else is reported where it is.
    fn unexpected_after(&mut self, what: &str) {
        let t = self.tok();
        match t.kind {
            K::RParen | K::RBracket | K::RBrace => {
                let msg = format!("unmatched {}: no opening bracket for it", self.describe(t));
                self.error(t.span, msg);
            }
            K::Unknown | K::UnterminatedString | K::Eof => {
                let _ = self.expected::<()>(what);
            }
            // A keyword that cannot start anything: Kusto reports a missing
            // separator when it stands alone before `|`/`;`, else the keyword.
            K::Ident
                if is_reserved_word(self.text(t))
                    && !self.can_start_statement()
                    && !matches!(self.nth(1).kind, K::Pipe | K::Semi | K::Eof) =>
            {
                let msg = format!("unexpected keyword {}; expected {what}", self.describe(t));
                self.error(t.span, msg);
            }
            _ if self.can_start_statement() || self.kind() == K::Ident => {
                let _ = self.expected::<()>(what);
            }
            _ => {
                let msg = format!("unexpected {}; expected {what}", self.describe(t));
                self.error(t.span, msg);
            }
        }
    }

    /// An unclosed string: Kusto reports it where the string ends (the end of
    /// its line, or of the text for ```` ``` ````).
    fn unterminated(&mut self, t: Token) {
        let s = self.text(t);
        let msg = if s.starts_with("```") {
            "unterminated multi-line string: no closing ``` before the end of the query"
        } else {
            "unterminated string literal: no closing quote on this line"
        };
        self.error(Span::empty(t.span.end), msg);
    }

    fn expect(&mut self, k: K, what: &str) -> PResult<Token> {
        if self.at(k) {
            Ok(self.bump())
        } else {
            self.expected(what)
        }
    }

    fn expect_word(&mut self, w: &str, what: &str) -> PResult<Token> {
        if self.at_word(w) {
            Ok(self.bump())
        } else {
            self.expected(what)
        }
    }

    /// Expect the closer matching `open`; a missing one is reported at the end
    /// of the previous token (Kusto's convention), naming the opener.
    fn expect_close(&mut self, open: Token) -> PResult<Token> {
        let (close, o, c) = match open.kind {
            K::LParen => (K::RParen, "(", ")"),
            K::LBracket => (K::RBracket, "[", "]"),
            _ => (K::RBrace, "{", "}"),
        };
        if self.at(close) {
            return Ok(self.bump());
        }
        let t = self.tok();
        match t.kind {
            K::Unknown | K::UnterminatedString => self.expected(""),
            _ => {
                let (line, col) = self.line_col(open.span.start);
                let msg = format!(
                    "expected `{c}` to close the `{o}` at {line}:{col}, found {}",
                    self.describe(t)
                );
                self.error(Span::empty(self.prev_end()), msg);
                Err(())
            }
        }
    }

    /// 1-based line and column (in chars) of a byte offset.
    fn line_col(&self, offset: u32) -> (usize, usize) {
        let before = self.src.get(..offset as usize).unwrap_or(self.src);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    /// Enter one nesting level.
    fn enter(&mut self) -> PResult<()> {
        if self.depth >= self.max_depth {
            if !self.too_deep {
                let span = self.tok().span;
                self.errors.push(SyntaxError {
                    span,
                    message: format!(
                        "query nests too deeply (more than {} levels)",
                        self.max_depth
                    ),
                });
                self.too_deep = true;
            }
            self.pos = self.toks.len() - 1;
            return Err(());
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skip tokens after an error so parsing can resume: stop at a `|` (if
    /// `stop_at_pipe`) or `;` at the nesting level of `from`, or an unmatched closer
    /// (skipped instead at the top level).
    fn recover(&mut self, from: usize, stop_at_pipe: bool, ctx: Ctx) {
        let mut nest: u32 = 0;
        let from = from.min(self.pos);
        for t in &self.toks[from..self.pos] {
            match t.kind {
                K::LParen | K::LBracket | K::LBrace => nest += 1,
                K::RParen | K::RBracket | K::RBrace => nest = nest.saturating_sub(1),
                _ => {}
            }
        }
        loop {
            match self.kind() {
                K::Eof => return,
                K::Pipe if nest == 0 && stop_at_pipe => return,
                K::Semi if nest == 0 => return,
                K::LParen | K::LBracket | K::LBrace => nest += 1,
                K::RParen | K::RBracket | K::RBrace => {
                    if nest > 0 {
                        nest -= 1;
                    } else {
                        match ctx {
                            Ctx::Top => {}
                            Ctx::Body if self.kind() != K::RBrace => {}
                            _ => return,
                        }
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// `a.b.c` joined into one name (no spaces allowed around the dots).
    fn dotted_name(&mut self, what: &str) -> PResult<Ident> {
        let t = self.tok();
        if t.kind != K::Ident {
            return self.expected(what);
        }
        self.bump();
        let mut end = t.span.end;
        while self.at(K::Dot)
            && self.tok().span.start == end
            && self.nth(1).kind == K::Ident
            && self.nth(1).span.start == self.tok().span.end
        {
            self.bump();
            end = self.bump().span.end;
        }
        let span = Span::new(t.span.start, end);
        Ok(Ident {
            name: span.text(self.src).to_string(),
            span,
        })
    }

    /// An identifier or a bracketed name `['x']`.
    fn name(&mut self, what: &str) -> PResult<Ident> {
        let t = self.tok();
        match t.kind {
            K::Ident => {
                self.bump();
                Ok(Ident {
                    name: self.text(t).to_string(),
                    span: t.span,
                })
            }
            K::LBracket if matches!(self.nth(1).kind, K::String) => self.bracket_name(),
            _ => self.expected(what),
        }
    }

    /// `['name']` / `["name"]`
    fn bracket_name(&mut self) -> PResult<Ident> {
        let open = self.bump();
        let s = self.tok();
        if s.kind != K::String {
            return self.expected("a quoted name inside `[ ]`");
        }
        self.bump();
        let (value, _, _) = literal::decode_string(self.text(s));
        self.expect_close(open)?;
        Ok(Ident {
            name: value,
            span: self.span_from(open.span),
        })
    }

    fn is_name_start(&self) -> bool {
        match self.kind() {
            K::Ident => true,
            K::LBracket => self.nth(1).kind == K::String,
            _ => false,
        }
    }
}
