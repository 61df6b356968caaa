//! Recursive-descent parser (Pratt for binary operators) producing [`super::ast`].
//!
//! Robustness rules:
//! - every nesting construct goes through `Parser::enter`, which stops at
//!   [`MAX_DEPTH`] levels with one "query nests too deeply" error;
//! - flat sequences (statements, pipes, `and`/`or` chains, lists) are loops;
//! - an error inside a tabular operator is reported once and parsing resumes at
//!   the next `|` or `;` (or the enclosing `)`);
//! - at most one error is reported per token position.

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

#[derive(Clone, Copy, Debug)]
enum BinTok {
    Logical(LogicalOp),
    Bin(BinOp),
    Str(StrOp),
    List(ListOp),
    Between(bool),
}

// Kusto's levels: `==`/`!=`/`in`/`has_any`/`between` < string operators
// (`=~`, `has`, `contains`, `matches regex`, `:`...) < `<`/`>=`... < `+` < `*`.
// The three comparison levels are non-associative: `a == b == c` and
// `a has b has c` are errors, `a has b == c` is `(a has b) == c`.
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_EQ: u8 = 3;
const PREC_STR: u8 = 4;
const PREC_REL: u8 = 5;
const PREC_ADD: u8 = 6;
const PREC_MUL: u8 = 7;

/// Operator names that are known (implemented).
const KNOWN_OPS: &[&str] = &[
    "where",
    "filter",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "extend",
    "summarize",
    "distinct",
    "top",
    "top-nested",
    "top-hitters",
    "sort",
    "order",
    "take",
    "limit",
    "count",
    "parse",
    "parse-where",
    "parse-kv",
    "mv-expand",
    "mv-apply",
    "mvexpand",
    "mvapply",
    "make-series",
    "evaluate",
    "invoke",
    "as",
    "serialize",
    "sample",
    "sample-distinct",
    "getschema",
    "render",
    "search",
    "union",
    "join",
    "lookup",
    "find",
    "reduce",
    "facet",
    "fork",
    "partition",
    "consume",
    "print",
    "range",
    "scan",
];

/// Operators Kusto has that this parser does not implement.
const UNSUPPORTED_OPS: &[&str] = &[
    "make-graph",
    "graph-match",
    "graph-merge",
    "graph-to-table",
    "graph-shortest-paths",
    "graph-mark-components",
    "macro-expand",
    "project-smart",
    "execute-and-cache",
    "assert-schema",
];

const STR_NEGATABLE: &[&str] = &[
    "has",
    "has_cs",
    "hasprefix",
    "hasprefix_cs",
    "hassuffix",
    "hassuffix_cs",
    "contains",
    "contains_cs",
    "startswith",
    "startswith_cs",
    "endswith",
    "endswith_cs",
];

fn str_op_word(w: &str) -> Option<StrOp> {
    use StrOpKind::*;
    let (kind, negated, case_sensitive) = match w {
        "has" => (Has, false, false),
        "has_cs" => (Has, false, true),
        "hasprefix" => (HasPrefix, false, false),
        "hasprefix_cs" => (HasPrefix, false, true),
        "hassuffix" => (HasSuffix, false, false),
        "hassuffix_cs" => (HasSuffix, false, true),
        "contains" => (Contains, false, false),
        "contains_cs" | "containscs" => (Contains, false, true),
        "notcontains" => (Contains, true, false),
        "notcontainscs" => (Contains, true, true),
        "startswith" => (StartsWith, false, false),
        "startswith_cs" => (StartsWith, false, true),
        "endswith" => (EndsWith, false, false),
        "endswith_cs" => (EndsWith, false, true),
        _ => return None,
    };
    Some(StrOp {
        kind,
        negated,
        case_sensitive,
    })
}

/// Words that are binary operators (never the start of an operand after an operand).
fn is_operator_word(w: &str) -> bool {
    matches!(
        w,
        "and" | "or" | "in" | "has_any" | "has_all" | "between" | "matches"
    ) || str_op_word(w).is_some()
}

/// Keywords Kusto does not accept as a bare name in an expression (they must be
/// written `['x']`), from Kusto.Language's `SyntaxFacts.CanBeIdentifier`.
/// Special forms (`datetime(...)`, `dynamic(...)`, `toscalar(...)`, `print`,
/// `union`, binary operators...) are recognised before this check.
fn is_reserved_word(w: &str) -> bool {
    matches!(
        w,
        "3Dchart"
            | "accumulate"
            | "and"
            | "anomalychart"
            | "areachart"
            | "as"
            | "asc"
            | "bagexpansion"
            | "barchart"
            | "between"
            | "bin_legacy"
            | "boolean"
            | "by"
            | "byte"
            | "cachingpolicy"
            | "callout"
            | "cancel"
            | "card"
            | "char"
            | "columnchart"
            | "contains"
            | "contains_cs"
            | "containscs"
            | "cycles"
            | "dataexport"
            | "datascope"
            | "datatable"
            | "date"
            | "datetime"
            | "decimal"
            | "decodeblocks"
            | "desc"
            | "double"
            | "dynamic"
            | "earliest"
            | "encodingpolicy"
            | "endswith"
            | "endswith_cs"
            | "expandoutput"
            | "extent_tags_retention"
            | "external_data"
            | "externaldata"
            | "find"
            | "first"
            | "flags"
            | "float"
            | "force_remote"
            | "harddelete"
            | "hardretention"
            | "has"
            | "has_all"
            | "has_any"
            | "has_cs"
            | "hasprefix"
            | "hasprefix_cs"
            | "hassuffix"
            | "hassuffix_cs"
            | "hotcache"
            | "in"
            | "int"
            | "int16"
            | "int32"
            | "int64"
            | "int8"
            | "invoke"
            | "isfuzzy"
            | "journal"
            | "ladderchart"
            | "last"
            | "latest"
            | "like"
            | "likecs"
            | "linechart"
            | "long"
            | "materialize"
            | "mdm"
            | "missing"
            | "nooptimization"
            | "notcontains"
            | "notcontainscs"
            | "notlike"
            | "notlikecs"
            | "of"
            | "or"
            | "others"
            | "pathformat"
            | "piechart"
            | "pivotchart"
            | "print"
            | "project"
            | "queries"
            | "query_results"
            | "real"
            | "relaxed"
            | "restricted_view_access"
            | "row_level_security"
            | "rowstore"
            | "rowstore_references"
            | "rowstore_sealinfo"
            | "rowstorepolicy"
            | "rowstores"
            | "sample"
            | "scatterchart"
            | "seal"
            | "seals"
            | "search"
            | "set"
            | "shards"
            | "simple"
            | "softdelete"
            | "softretention"
            | "sql"
            | "stackedareachart"
            | "startswith"
            | "startswith_cs"
            | "statistics"
            | "storedqueryresultcontainers"
            | "string"
            | "tablepurge"
            | "time"
            | "timechart"
            | "timeline"
            | "timepivot"
            | "timespan"
            | "title"
            | "to"
            | "toscalar"
            | "totable"
            | "treemap"
            | "uint"
            | "uint16"
            | "uint32"
            | "uint64"
            | "uint8"
            | "ulong"
            | "union"
            | "uniqueid"
            | "unrestrictedviewers"
            | "verbose"
            | "viewers"
            | "views"
            | "where"
            | "with_itemindex"
            | "with_match_id"
            | "with_step_name"
            | "writeaheadlog"
            | "__contextual_datatable"
            | "__crossCluster"
            | "__crossDB"
            | "__executeAndCache"
            | "__id"
            | "__isFuzzy"
            | "__noWithSource"
            | "__packedColumn"
            | "__projectAway"
            | "__sourceColumnIndex"
    )
}

/// Scalar type names Kusto accepts in schemas, parameters and `parse` patterns.
fn is_type_name(w: &str) -> bool {
    matches!(
        w,
        "bool"
            | "boolean"
            | "int"
            | "int32"
            | "long"
            | "int64"
            | "real"
            | "double"
            | "decimal"
            | "string"
            | "datetime"
            | "date"
            | "timespan"
            | "time"
            | "guid"
            | "uuid"
            | "uniqueid"
            | "dynamic"
    )
}

/// The types `typeof(T)` takes (Kusto.Language's `ScanParamTypeExtended`).
fn is_typeof_type(w: &str) -> bool {
    matches!(
        w,
        "bool"
            | "boolean"
            | "date"
            | "datetime"
            | "decimal"
            | "double"
            | "dynamic"
            | "guid"
            | "int"
            | "int64"
            | "int8"
            | "long"
            | "real"
            | "string"
            | "time"
            | "timespan"
            | "uniqueid"
            | "float"
            | "int16"
            | "int32"
            | "uint"
            | "uint8"
            | "uint16"
            | "uint32"
            | "uint64"
            | "ulong"
    )
}

/// Keywords Kusto also accepts as names (`SyntaxFacts`' `canBeIdentifier`
/// keywords): not reserved, but not a plain identifier where Kusto wants one
/// (`count as count`, `typeof(count)`).
fn is_soft_keyword(w: &str) -> bool {
    matches!(
        w,
        "__partitionby"
            | "access"
            | "alias"
            | "best_effort"
            | "bin"
            | "bool"
            | "consume"
            | "count"
            | "database"
            | "dataformat"
            | "datetime_pattern"
            | "default"
            | "distinct"
            | "edges"
            | "entity_group"
            | "evaluate"
            | "extend"
            | "facet"
            | "filter"
            | "fork"
            | "from"
            | "getschema"
            | "graph"
            | "guid"
            | "id"
            | "inline_external_table"
            | "join"
            | "let"
            | "limit"
            | "lookup"
            | "mvapply"
            | "mvexpand"
            | "nodes"
            | "null"
            | "nulls"
            | "on"
            | "optional"
            | "order"
            | "output"
            | "pack"
            | "parse"
            | "partition"
            | "pattern"
            | "plotly"
            | "query_parameters"
            | "range"
            | "reduce"
            | "regex"
            | "render"
            | "restrict"
            | "scan"
            | "serialize"
            | "sort"
            | "step"
            | "summarize"
            | "take"
            | "top"
            | "typeof"
            | "uuid"
            | "view"
            | "with"
            | "with_node_id"
    )
}

/// A word Kusto lexes as an identifier: neither reserved nor a soft keyword.
fn is_plain_identifier(w: &str) -> bool {
    !is_reserved_word(w) && !is_soft_keyword(w)
}

/// Reserved words Kusto still accepts as the declared name in `Name = expr`
/// (`extend title = 1`).
fn is_declarable_keyword(w: &str) -> bool {
    matches!(
        w,
        "accumulate"
            | "as"
            | "by"
            | "contains"
            | "datatable"
            | "earliest"
            | "externaldata"
            | "find"
            | "has"
            | "in"
            | "invoke"
            | "latest"
            | "materialize"
            | "mdm"
            | "of"
            | "print"
            | "sample"
            | "search"
            | "set"
            | "sql"
            | "title"
            | "to"
            | "toscalar"
            | "totable"
            | "verbose"
            | "viewers"
            | "where"
    )
}

/// Reserved words that are still callable: `dynamic(...)`, `toscalar(...)`, ...
fn is_callable_keyword(w: &str) -> bool {
    matches!(
        w,
        "dynamic" | "datatable" | "externaldata" | "external_data" | "toscalar" | "totable"
    )
}

/// Operators that may start a query without a source (`where x == 1 | take 1`),
/// as Kusto accepts. Operators whose keyword can also be a name (`take`,
/// `extend`, `summarize`...) are read as names there, as in Kusto.
const SOURCELESS_OPS: &[&str] = &[
    "where",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "top-nested",
    "top-hitters",
    "parse-where",
    "parse-kv",
    "mv-expand",
    "mv-apply",
    "make-series",
    "invoke",
    "as",
    "sample",
    "sample-distinct",
    "serialize",
    "getschema",
    "render",
    "reduce",
    "facet",
    "partition",
    "consume",
    "evaluate",
    "range",
];

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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

    // ----- token helpers -------------------------------------------------

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

    // ----- errors --------------------------------------------------------

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

    // ----- statements ----------------------------------------------------

    fn query(&mut self) -> Query {
        let statements = self.statements(Ctx::Top);
        let end = self.toks.last().map_or(0, |t| t.span.end);
        Query {
            statements,
            span: Span::new(0, end),
        }
    }

    fn statements(&mut self, ctx: Ctx) -> Vec<Statement> {
        let mut out = Vec::new();
        loop {
            // Kusto rejects empty statements: `;` alone, `;;`.
            while self.at(K::Semi) {
                let t = self.bump();
                self.pos -= 1;
                self.error(t.span, "unexpected `;`: no statement before it");
                self.pos += 1;
            }
            match self.kind() {
                K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {}
            }
            let start = self.pos;
            let start_span = self.tok().span;
            let st = match self.statement(ctx) {
                Ok(s) => s,
                Err(()) => {
                    self.recover(start, false, ctx);
                    Statement::Error(self.span_from(start_span))
                }
            };
            let is_query = matches!(st, Statement::Query(_));
            out.push(st);
            match self.kind() {
                K::Semi => {
                    self.bump();
                    if ctx == Ctx::Body && is_query {
                        // A function body ends with its one query: `}` must follow.
                        break;
                    }
                }
                K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {
                    let what = if ctx == Ctx::Body {
                        "`;` or `}` after the statement"
                    } else {
                        "`;` or `|` after the statement"
                    };
                    self.unexpected_after(what);
                    let p = self.pos;
                    self.recover(p, false, ctx);
                    if self.at(K::Semi) {
                        // the `;` that ends the broken statement
                        self.bump();
                    } else if self.pos == p {
                        // Could not move (unmatched `}` at top level etc.): skip one token.
                        if self.at(K::Eof) || (ctx == Ctx::Body && self.at(K::RBrace)) {
                            break;
                        }
                        self.bump();
                    }
                }
            }
        }
        out
    }

    fn statement(&mut self, ctx: Ctx) -> PResult<Statement> {
        if !self.can_start_statement() && !matches!(self.kind(), K::Unknown | K::UnterminatedString)
        {
            // `T; | take 1`: Kusto reports the stray token itself.
            let t = self.tok();
            let msg = format!(
                "unexpected {}: expected a query or statement",
                self.describe(t)
            );
            self.error(t.span, msg);
            return Err(());
        }
        let n1 = self.nth(1);
        if self.at_word("let") && matches!(n1.kind, K::Ident | K::LBracket) {
            return self.let_stmt(ctx);
        }
        if self.at_word("set") && n1.kind == K::Ident {
            return self.set_stmt();
        }
        if self.at_word("declare") && self.is_word(n1, "query_parameters") {
            return self.declare_stmt();
        }
        let e = self.pipe_expr(ctx)?;
        Ok(Statement::Query(e))
    }

    fn let_stmt(&mut self, ctx: Ctx) -> PResult<Statement> {
        let kw = self.bump();
        let t = self.tok();
        if t.kind == K::Ident && is_reserved_word(self.text(t)) {
            let w = self.text(t);
            let msg = format!("`{w}` is a keyword: write `let ['{w}'] = ...` to use it as a name");
            self.error(t.span, msg);
            return Err(());
        }
        let name = self.name("a name after `let`")?;
        self.expect(K::Eq, "`=` after the `let` name")?;
        let value = if self.at_word("view") && self.nth(1).kind == K::LParen {
            let v = self.bump();
            LetValue::Function(self.function_def(Some(v.span))?)
        } else if self.at(K::LParen) && self.looks_like_lambda() {
            LetValue::Function(self.function_def(None)?)
        } else if self.at_word("materialize") && self.nth(1).kind == K::LParen {
            // Only allowed as the whole value of a `let`, with nothing piped after it.
            let t = self.bump();
            self.enter()?;
            let r = self.call_args(true);
            self.leave();
            let args = r?;
            LetValue::Expr(Expr::Call {
                func: Ident {
                    name: "materialize".into(),
                    span: t.span,
                },
                args,
                span: self.span_from(t.span),
            })
        } else {
            if !self.can_start_expr() && !self.at_source_operator() {
                return self.expected("an expression after `=`");
            }
            LetValue::Expr(self.pipe_expr(ctx)?)
        };
        Ok(Statement::Let(LetStmt {
            name,
            value,
            span: self.span_from(kw.span),
        }))
    }

    fn looks_like_lambda(&self) -> bool {
        let (a, b, c) = (self.nth(1), self.nth(2), self.nth(3));
        (a.kind == K::RParen && b.kind == K::LBrace)
            || (a.kind == K::Ident && b.kind == K::Colon)
            || (a.kind == K::LBracket && c.kind == K::RBracket && self.nth(4).kind == K::Colon)
    }

    fn function_def(&mut self, view: Option<Span>) -> PResult<FunctionDef> {
        let open = self.expect(K::LParen, "`(` to start the parameter list")?;
        let start = view.unwrap_or(open.span);
        let params = self.param_list(open)?;
        let lbrace = self.expect(K::LBrace, "`{` to start the function body")?;
        self.enter()?;
        let body = self.statements(Ctx::Body);
        let close = self.expect_close(lbrace);
        self.leave();
        close?;
        Ok(FunctionDef {
            is_view: view.is_some(),
            params,
            body,
            body_span: self.span_from(lbrace.span),
            span: self.span_from(start),
        })
    }

    /// Parameters after `(` up to and including `)`.
    fn param_list(&mut self, open: Token) -> PResult<Vec<Param>> {
        let mut params = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(params);
        }
        loop {
            params.push(self.param()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(params)
    }

    fn param(&mut self) -> PResult<Param> {
        let t = self.tok();
        if t.kind == K::Ident && is_reserved_word(self.text(t)) {
            return self.expected("a parameter name");
        }
        let name = self.name("a parameter name")?;
        self.expect(K::Colon, "`:` and a type after the parameter name")?;
        let ty = if self.at(K::LParen) {
            let open = self.bump();
            let mut columns = Vec::new();
            let mut open_schema = false;
            // `(*)` (any table) or `(a:string, b:long)`; Kusto does not mix them.
            if self.at(K::Star) {
                self.bump();
                open_schema = true;
            } else if !self.at(K::RParen) {
                loop {
                    columns.push(self.column_decl()?);
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
            }
            self.expect_close(open)?;
            ParamType::Tabular {
                columns,
                open: open_schema,
                span: self.span_from(open.span),
            }
        } else {
            ParamType::Scalar(self.type_name()?)
        };
        let default = if self.eat(K::Eq).is_some() {
            if !self.can_start_expr() {
                return self.expected("a default value after `=`");
            }
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Param {
            span: self.span_from(name.span),
            name,
            ty,
            default,
        })
    }

    fn type_name(&mut self) -> PResult<Ident> {
        let t = self.tok();
        if t.kind != K::Ident {
            return self.expected("a type name");
        }
        if !is_type_name(self.text(t)) {
            let msg = format!(
                "`{}` is not a type: expected bool, int, long, real, decimal, string, datetime, timespan, guid or dynamic",
                self.text(t)
            );
            self.error(t.span, msg);
            return Err(());
        }
        self.bump();
        Ok(Ident {
            name: self.text(t).to_string(),
            span: t.span,
        })
    }

    fn column_decl(&mut self) -> PResult<ColumnDecl> {
        let name = self.name("a column name")?;
        self.expect(K::Colon, "`:` and a type after the column name")?;
        let ty = self.type_name()?;
        Ok(ColumnDecl {
            span: self.span_from(name.span),
            name,
            ty,
        })
    }

    /// `( name:type, ... )`; `trailing_comma`: a `,` may end the list (as in a
    /// `datatable` schema).
    fn column_decls(&mut self, trailing_comma: bool) -> PResult<Vec<ColumnDecl>> {
        let open = self.expect(K::LParen, "`(` and a column list")?;
        let mut cols = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(cols);
        }
        loop {
            if trailing_comma && !cols.is_empty() && self.at(K::RParen) {
                break;
            }
            cols.push(self.column_decl()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(cols)
    }

    fn set_stmt(&mut self) -> PResult<Statement> {
        let kw = self.bump();
        let name = self.dotted_name("an option name after `set`")?;
        let value = if self.eat(K::Eq).is_some() {
            if !self.can_start_expr() {
                return self.expected("a value after `=`");
            }
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Statement::Set(SetStmt {
            name,
            value,
            span: self.span_from(kw.span),
        }))
    }

    fn declare_stmt(&mut self) -> PResult<Statement> {
        let kw = self.bump();
        self.bump(); // query_parameters
        let open = self.expect(K::LParen, "`(` after `declare query_parameters`")?;
        let params = self.param_list(open)?;
        Ok(Statement::DeclareQueryParameters(DeclareStmt {
            params,
            span: self.span_from(kw.span),
        }))
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

    // ----- pipelines -----------------------------------------------------

    /// A tabular or scalar expression, optionally followed by `| operators`.
    fn pipe_expr(&mut self, ctx: Ctx) -> PResult<Expr> {
        let start = self.tok().span;
        let source = if self.at_source_operator() {
            Expr::TabularOp(Box::new(self.operator(None)?))
        } else {
            if !self.can_start_expr() {
                return self.expected("a query or expression");
            }
            self.expr()?
        };
        let mut ops = Vec::new();
        loop {
            if self.at(K::Pipe) {
                let pipe = self.bump();
                let op_start = self.pos;
                let kw = self.tok();
                match self.operator(Some(pipe.span)) {
                    Ok(op) => ops.push(op),
                    Err(()) => {
                        self.recover(op_start, true, ctx);
                        ops.push(PipeOp {
                            pipe_span: Some(pipe.span),
                            name: if kw.kind == K::Ident {
                                self.text(kw).to_string()
                            } else {
                                String::new()
                            },
                            keyword_span: kw.span,
                            op: Operator::Error,
                            span: self.span_from(kw.span),
                        });
                    }
                }
                continue;
            }
            if ctx == Ctx::Nested {
                break;
            }
            match self.kind() {
                K::Semi | K::Eof => break,
                K::RBrace if ctx == Ctx::Body => break,
                _ => {
                    self.unexpected_after("`|` or `;`");
                    let p = self.pos;
                    self.recover(p, true, ctx);
                    if !self.at(K::Pipe) {
                        break;
                    }
                }
            }
        }
        if ops.is_empty() {
            return Ok(source);
        }
        Ok(Expr::Pipeline(Box::new(Pipeline {
            source,
            ops,
            span: self.span_from(start),
        })))
    }

    /// Operators that can start a query (`print x`, `union A, B`, `where x`...).
    fn at_source_operator(&self) -> bool {
        let t = self.tok();
        if t.kind != K::Ident {
            return false;
        }
        let n = self.nth(1);
        match self.text(t) {
            "print" | "union" | "search" | "find" => {
                !matches!(
                    n.kind,
                    K::Eq
                        | K::EqEq
                        | K::BangEq
                        | K::Dot
                        | K::Comma
                        | K::RParen
                        | K::RBracket
                        | K::Lt
                        | K::Gt
                        | K::Le
                        | K::Ge
                        | K::EqTilde
                        | K::BangTilde
                ) && !(n.kind == K::Ident
                    && is_operator_word(self.text(n))
                    && !(self.text(n) == "in" && self.nth(2).kind == K::LParen))
            }
            "range" => n.kind == K::Ident && !is_operator_word(self.text(n)),
            _ => {
                let (span, ntoks) = self.op_name_span();
                let name = span.text(self.src);
                if !SOURCELESS_OPS.contains(&name) {
                    return false;
                }
                if ntoks > 1 || is_reserved_word(name) {
                    return true;
                }
                // A keyword that can also be a name (`render`, `serialize`...):
                // an operator only when a word or the end of the query follows.
                let n = self.nth(1);
                match n.kind {
                    K::Eof | K::Pipe | K::Semi => true,
                    K::Ident => !is_operator_word(self.text(n)),
                    _ => false,
                }
            }
        }
    }

    /// The operator name at the current token, hyphenated names such as
    /// `project-away` composed (no spaces around the `-`): its span and tokens.
    fn op_name_span(&self) -> (Span, usize) {
        let kw = self.tok();
        let mut end = kw.span.end;
        let mut ntoks = 1;
        loop {
            let (m, w) = (self.nth(ntoks), self.nth(ntoks + 1));
            if m.kind == K::Minus
                && m.span.start == end
                && w.kind == K::Ident
                && w.span.start == m.span.end
            {
                let cand = Span::new(kw.span.start, w.span.end).text(self.src);
                if KNOWN_OPS.contains(&cand) || UNSUPPORTED_OPS.contains(&cand) {
                    end = w.span.end;
                    ntoks += 2;
                    continue;
                }
            }
            break;
        }
        (Span::new(kw.span.start, end), ntoks)
    }

    /// Operators separated by `|`, the first one without a `|` (as in
    /// `mv-apply ... on (top 1 by x)`), up to (not including) a `)`.
    fn op_seq(&mut self) -> PResult<Vec<PipeOp>> {
        let mut ops = Vec::new();
        let mut pipe = None;
        loop {
            let op_start = self.pos;
            let kw = self.tok();
            match self.operator(pipe) {
                Ok(op) => ops.push(op),
                Err(()) => {
                    if self.too_deep {
                        return Err(());
                    }
                    self.recover(op_start, true, Ctx::Nested);
                    ops.push(PipeOp {
                        pipe_span: pipe,
                        name: self.text(kw).to_string(),
                        keyword_span: kw.span,
                        op: Operator::Error,
                        span: self.span_from(kw.span),
                    });
                }
            }
            match self.eat(K::Pipe) {
                Some(p) => pipe = Some(p.span),
                None => break,
            }
        }
        Ok(ops)
    }

    /// `( ops )` with depth accounting.
    fn paren_op_seq(&mut self, what: &str) -> PResult<(Vec<PipeOp>, Span)> {
        let open = self.expect(K::LParen, what)?;
        self.enter()?;
        let r = self.op_seq();
        let r = r.and_then(|ops| self.expect_close(open).map(|_| ops));
        self.leave();
        let ops = r?;
        Ok((ops, self.span_from(open.span)))
    }

    // ----- tabular operators ---------------------------------------------

    fn operator(&mut self, pipe: Option<Span>) -> PResult<PipeOp> {
        let kw = self.tok();
        if kw.kind != K::Ident {
            let what = if pipe.is_some() {
                "a tabular operator after `|`"
            } else {
                "a tabular operator"
            };
            return self.expected(what);
        }
        // Compose hyphenated names such as `project-away`.
        let (kw_span, ntoks) = self.op_name_span();
        let name = kw_span.text(self.src);
        for _ in 0..ntoks {
            self.bump();
        }
        if UNSUPPORTED_OPS.contains(&name) {
            self.pos -= ntoks; // report at the keyword
            let msg = format!("the `{name}` operator is not supported by rulecat");
            self.error(kw_span, msg);
            self.pos += ntoks;
            return Err(());
        }
        let op = match name {
            "where" | "filter" => Operator::Where {
                pred: self.where_pred(name)?,
            },
            // Kusto accepts a bare `project`.
            "project" => Operator::Project {
                cols: if self.can_start_expr() {
                    self.named_list("a column after `project`")?
                } else {
                    Vec::new()
                },
            },
            "extend" => Operator::Extend {
                cols: self.named_list("a column after `extend`")?,
            },
            "project-away" | "project-keep" => {
                // Kusto accepts these with no column at all.
                let mut cols = Vec::new();
                if self.at_name_pattern() {
                    cols.push(self.name_pattern(&format!("a column after `{name}`"))?);
                }
                while !cols.is_empty() && self.eat(K::Comma).is_some() {
                    cols.push(self.name_pattern("a column after `,`")?);
                }
                if name == "project-away" {
                    Operator::ProjectAway { cols }
                } else {
                    Operator::ProjectKeep { cols }
                }
            }
            "project-rename" => {
                let mut renames = Vec::new();
                let mut first = true;
                loop {
                    let what = if first {
                        "`NewName = OldName` after `project-rename`"
                    } else {
                        "`NewName = OldName` after `,`"
                    };
                    if first && !self.is_name_start() {
                        // Kusto accepts `project-rename` with nothing to rename.
                        break;
                    }
                    first = false;
                    if !self.is_name_start() {
                        return self.expected(what);
                    }
                    let new = self.name(what)?;
                    if !self.at(K::Eq) {
                        // `project-rename a`: accepted by Kusto, renames nothing.
                        if self.eat(K::Comma).is_none() {
                            break;
                        }
                        continue;
                    }
                    self.expect(K::Eq, "`=` after the new column name")?;
                    let old = self.name("the old column name after `=`")?;
                    renames.push(Rename {
                        span: self.span_from(new.span),
                        new,
                        old,
                    });
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::ProjectRename { renames }
            }
            "project-reorder" => {
                let mut cols = Vec::new();
                loop {
                    if cols.is_empty() && !self.at_name_pattern() {
                        // Kusto accepts `project-reorder` with no column.
                        break;
                    }
                    let pattern = self.name_pattern("a column after `project-reorder`")?;
                    let order = self.reorder_order();
                    cols.push(ReorderCol { pattern, order });
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::ProjectReorder { cols }
            }
            "summarize" => {
                let params = self.op_params(&[])?;
                // Kusto accepts a bare `summarize`.
                let aggs = if self.can_start_expr() {
                    self.named_list("an aggregation")?
                } else {
                    Vec::new()
                };
                let (by, by_span) = match self.eat_word("by") {
                    Some(b) => (
                        self.named_list("a group-by expression after `by`")?,
                        Some(b.span),
                    ),
                    None => (Vec::new(), None),
                };
                Operator::Summarize {
                    params,
                    aggs,
                    by,
                    by_span,
                }
            }
            "distinct" => {
                let params = self.op_params(&[])?;
                let mut cols = Vec::new();
                loop {
                    if self.at(K::Star) && !self.star_operand_ok() {
                        let t = self.bump();
                        cols.push(NamedExpr {
                            names: Vec::new(),
                            expr: Expr::Star(t.span),
                            span: t.span,
                        });
                    } else {
                        let what = if cols.is_empty() {
                            "a column or `*` after `distinct`"
                        } else {
                            "a column after `,`"
                        };
                        cols.push(self.named_expr(what)?);
                    }
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
                Operator::Distinct { params, cols }
            }
            "top" => {
                let count = self.expr_required("a row count after `top`")?;
                self.expect_word("by", "`by` after the row count of `top`")?;
                let by = self.sort_key()?;
                Operator::Top { count, by }
            }
            "top-nested" => Operator::TopNested {
                clauses: self.top_nested()?,
            },
            "top-hitters" => {
                let count = self.expr_required("a row count after `top-hitters`")?;
                self.expect_word("of", "`of` after the row count of `top-hitters`")?;
                let of = self.expr_required("an expression after `of`")?;
                let by = match self.eat_word("by") {
                    Some(_) => Some(self.expr_required("an expression after `by`")?),
                    None => None,
                };
                Operator::TopHitters { count, of, by }
            }
            "sort" | "order" => {
                let params = self.op_params(&[])?;
                self.expect_word("by", &format!("`by` after `{name}`"))?;
                let mut keys = vec![self.sort_key()?];
                while self.eat(K::Comma).is_some() {
                    keys.push(self.sort_key()?);
                }
                Operator::Sort { params, keys }
            }
            "take" | "limit" => {
                let _ = self.op_params(&[])?;
                Operator::Take {
                    count: self.expr_required(&format!("a row count after `{name}`"))?,
                }
            }
            "count" => {
                // `count as Name` (Name must be a plain identifier).
                let name = if self.eat_word("as").is_some() {
                    let t = self.tok();
                    if t.kind != K::Ident || !is_plain_identifier(self.text(t)) {
                        return self.expected("a name after `as`");
                    }
                    Some(self.name("a name after `as`")?)
                } else {
                    None
                };
                Operator::Count { name }
            }
            "parse" | "parse-where" => self.parse_op(name)?,
            "parse-kv" => {
                let source = self.expr_required("an expression after `parse-kv`")?;
                self.expect_word("as", "`as` and a column list after the `parse-kv` source")?;
                let columns = self.column_decls(false)?;
                let with = if self.eat_word("with").is_some() {
                    self.with_props()?
                } else {
                    Vec::new()
                };
                Operator::ParseKv {
                    source,
                    columns,
                    with,
                }
            }
            // `mvexpand`/`mvapply`: the deprecated spellings Kusto still accepts.
            "mv-expand" | "mvexpand" => {
                let params = self.op_params(&["bagexpansion", "with_itemindex", "kind"])?;
                let items = self.mv_items(name)?;
                let limit = self.opt_limit()?;
                Operator::MvExpand {
                    params,
                    items,
                    limit,
                }
            }
            "mv-apply" | "mvapply" => {
                let params = self.op_params(&["with_itemindex", "kind", "bagexpansion"])?;
                let items = self.mv_items(name)?;
                let limit = self.opt_limit()?;
                self.expect_word("on", "`on` and a subquery after the `mv-apply` items")?;
                let (on, on_span) = self.paren_op_seq("`(` and a subquery after `on`")?;
                Operator::MvApply {
                    params,
                    items,
                    limit,
                    on,
                    on_span,
                }
            }
            "make-series" => self.make_series()?,
            "evaluate" => {
                let params = self.op_params(&[])?;
                if self.kind() != K::Ident {
                    return self.expected("a plugin call after `evaluate`");
                }
                let call = self.postfix()?;
                if !matches!(call, Expr::Call { .. } | Expr::MethodCall { .. }) {
                    self.error(
                        call.span(),
                        "expected a plugin call such as `bag_unpack(Col)` after `evaluate`",
                    );
                    return Err(());
                }
                let schema = if self.at(K::Colon) {
                    self.bump();
                    Some(self.evaluate_schema()?)
                } else {
                    None
                };
                Operator::Evaluate {
                    params,
                    call,
                    schema,
                }
            }
            "invoke" => {
                if self.kind() != K::Ident {
                    return self.expected("a function call after `invoke`");
                }
                let call = self.postfix()?;
                if !matches!(call, Expr::Call { .. } | Expr::MethodCall { .. }) {
                    self.error(call.span(), "expected a function call after `invoke`");
                    return Err(());
                }
                Operator::Invoke { call }
            }
            "as" => {
                let params = self.op_params(&[])?;
                let name = self.name("a name after `as`")?;
                Operator::As { params, name }
            }
            "serialize" => Operator::Serialize {
                cols: if self.can_start_expr() {
                    self.named_list("a column after `serialize`")?
                } else {
                    Vec::new()
                },
            },
            "sample" => Operator::Sample {
                count: self.expr_required("a row count after `sample`")?,
            },
            "sample-distinct" => {
                let count = self.expr_required("a count after `sample-distinct`")?;
                self.expect_word("of", "`of` after the count of `sample-distinct`")?;
                let of = self.expr_required("a column after `of`")?;
                Operator::SampleDistinct { count, of }
            }
            "getschema" => Operator::GetSchema,
            "render" => {
                let chart = self.name("a chart type after `render`")?;
                let (mut with, legacy) = self.render_legacy_props()?;
                if self.eat_word("with").is_some() {
                    with.extend(self.with_props()?);
                }
                Operator::Render {
                    chart,
                    with,
                    legacy,
                }
            }
            "search" => {
                let params = self.op_params(&["kind"])?;
                let tables = self.opt_in_tables()?;
                let pred = self.expr_required("a search predicate")?;
                Operator::Search {
                    params,
                    tables,
                    pred,
                }
            }
            "union" => {
                let params = self.op_params(&["kind", "withsource", "isfuzzy"])?;
                let mut tables = vec![self.table_ref("a table after `union`")?];
                while self.eat(K::Comma).is_some() {
                    tables.push(self.table_ref("a table after `,`")?);
                }
                Operator::Union { params, tables }
            }
            "join" | "lookup" => {
                let params = self.op_params(&["kind"])?;
                let right = self.table_ref(&format!("a table or `(subquery)` after `{name}`"))?;
                // Kusto accepts `join` without `on` (not `lookup`).
                let mut on = Vec::new();
                if name == "lookup" || self.at_word("on") {
                    self.expect_word(
                        "on",
                        &format!("`on` and join keys after the `{name}` table"),
                    )?;
                    on.push(self.expr_required("a join condition after `on`")?);
                    while self.eat(K::Comma).is_some() {
                        on.push(self.expr_required("a join condition after `,`")?);
                    }
                }
                if name == "join" {
                    Operator::Join { params, right, on }
                } else {
                    Operator::Lookup { params, right, on }
                }
            }
            "find" => {
                let params = self.op_params(&["withsource", "datascope", "kind"])?;
                let tables = self.opt_in_tables()?;
                // `find where pred`, or just `find pred` when no `in (...)`.
                if tables.is_empty() {
                    self.eat_word("where");
                } else {
                    self.expect_word("where", "`where` after the tables of `find`")?;
                }
                let pred = self.expr_required("a predicate after `find`")?;
                let project = if self.at_word("project-smart")
                    || (self.at_word("project")
                        && self.nth(1).kind == K::Minus
                        && self.is_word(self.nth(2), "smart"))
                {
                    self.bump();
                    if self.at(K::Minus) {
                        self.bump();
                        self.bump();
                    }
                    Some(Vec::new())
                } else if self.eat_word("project").is_some() {
                    let mut cols = vec![self.expr_required("a column after `project`")?];
                    while self.eat(K::Comma).is_some() {
                        cols.push(self.expr_required("a column after `,`")?);
                    }
                    Some(cols)
                } else {
                    None
                };
                Operator::Find {
                    params,
                    tables,
                    pred,
                    project,
                }
            }
            "reduce" => {
                let params = self.op_params(&["kind"])?;
                self.expect_word("by", "`by` after `reduce`")?;
                let by = self.expr_required("an expression after `by`")?;
                let mut with = Vec::new();
                if self.eat_word("with").is_some() {
                    loop {
                        with.push(self.prop()?);
                        if self.eat(K::Comma).is_none() {
                            break;
                        }
                    }
                }
                Operator::Reduce { params, by, with }
            }
            "facet" => {
                self.expect_word("by", "`by` after `facet`")?;
                let mut by = vec![self.expr_required("a column after `by`")?];
                while self.eat(K::Comma).is_some() {
                    by.push(self.expr_required("a column after `,`")?);
                }
                let with = if self.eat_word("with").is_some() {
                    self.paren_op_seq("`(` and a subquery after `with`")?.0
                } else {
                    Vec::new()
                };
                Operator::Facet { by, with }
            }
            "fork" => {
                let mut branches = Vec::new();
                loop {
                    let start = self.tok().span;
                    let bname = if self.kind() == K::Ident && self.nth(1).kind == K::Eq {
                        let n = self.name("a branch name")?;
                        self.bump();
                        Some(n)
                    } else {
                        None
                    };
                    if !self.at(K::LParen) {
                        if branches.is_empty() || bname.is_some() {
                            return self.expected("`(` and a subquery");
                        }
                        break;
                    }
                    let (ops, _) = self.paren_op_seq("`(` and a subquery")?;
                    branches.push(ForkBranch {
                        name: bname,
                        ops,
                        span: self.span_from(start),
                    });
                }
                Operator::Fork { branches }
            }
            "partition" => {
                let params = self.op_params(&[])?;
                self.expect_word("by", "`by` after `partition`")?;
                if !self.is_name_start() {
                    return self.expected("a column after `by`");
                }
                let by = Expr::Name(self.name("a column after `by`")?);
                let (sub, _) =
                    self.paren_op_seq("`(` and a subquery after the partition column")?;
                Operator::Partition { params, by, sub }
            }
            "scan" => {
                self.scan_op()?;
                // Parsed and checked, not modelled in the tree (yet).
                Operator::Error
            }
            "consume" => Operator::Consume {
                params: self.op_params(&["decodeblocks"])?,
            },
            "print" => Operator::Print {
                cols: self.named_list("an expression after `print`")?,
            },
            "range" => {
                let rname = self.name("a column name after `range`")?;
                self.expect_word("from", "`from` after the `range` column")?;
                let from = self.expr_required("a start value after `from`")?;
                self.expect_word("to", "`to` after the `range` start")?;
                let to = self.expr_required("an end value after `to`")?;
                self.expect_word("step", "`step` after the `range` end")?;
                let step = self.expr_required("a step after `step`")?;
                Operator::Range {
                    name: rname,
                    from,
                    to,
                    step,
                }
            }
            _ => {
                let suggestion = KNOWN_OPS
                    .iter()
                    .map(|k| (edit_distance(name, k), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let msg = match suggestion {
                    Some((_, s)) => {
                        format!("unknown tabular operator `{name}`; did you mean `{s}`?")
                    }
                    None => format!("unknown tabular operator `{name}`"),
                };
                self.pos -= ntoks;
                self.error(kw_span, msg);
                self.pos += ntoks;
                return Err(());
            }
        };
        Ok(PipeOp {
            pipe_span: pipe,
            name: name.to_string(),
            keyword_span: kw_span,
            op,
            span: self.span_from(kw_span),
        })
    }

    /// `kind=inner`, `hint.strategy=shuffle`, ... (only the names in `allowed`
    /// and any `hint.*`).
    fn op_params(&mut self, allowed: &[&str]) -> PResult<Vec<OpParam>> {
        let mut out = Vec::new();
        loop {
            let t = self.tok();
            if t.kind != K::Ident {
                break;
            }
            let mut k = 1;
            let mut end = t.span.end;
            while self.nth(k).kind == K::Dot
                && self.nth(k).span.start == end
                && self.nth(k + 1).kind == K::Ident
                && self.nth(k + 1).span.start == self.nth(k).span.end
            {
                end = self.nth(k + 1).span.end;
                k += 2;
            }
            if self.nth(k).kind != K::Eq {
                break;
            }
            let span = Span::new(t.span.start, end);
            let pname = span.text(self.src);
            if !(allowed.contains(&pname) || pname.starts_with("hint.")) {
                break;
            }
            for _ in 0..=k {
                self.bump();
            }
            let value = self.param_value(pname)?;
            out.push(OpParam {
                name: Ident {
                    name: pname.to_string(),
                    span,
                },
                value,
                span: self.span_from(span),
            });
        }
        Ok(out)
    }

    /// A simple value: literal, name or negative number.
    fn param_value(&mut self, pname: &str) -> PResult<Expr> {
        match self.kind() {
            K::String | K::UnterminatedString | K::Number | K::NumberWithSuffix => self.primary(),
            K::Minus | K::Plus => self.unary(),
            K::Ident => {
                let t = self.tok();
                if self.nth(1).kind == K::LParen {
                    // typed literals such as `time(1h)`
                    return self.primary();
                }
                self.bump();
                let w = self.text(t);
                Ok(match w {
                    "true" | "false" => Expr::Literal(Literal {
                        value: LitValue::Bool(w == "true"),
                        span: t.span,
                    }),
                    _ => Expr::Name(Ident {
                        name: w.to_string(),
                        span: t.span,
                    }),
                })
            }
            _ => self.expected(&format!("a value after `{pname}=`")),
        }
    }

    /// The deprecated properties after `render chart`, in any order and
    /// repeated: `kind=k`, `title=t`, `accumulate=b` (returned first, as the
    /// `with (...)` properties they are), `with 'x'` (no `=`, no `(`) and
    /// `by Col, Col` (returned second).
    fn render_legacy_props(&mut self) -> PResult<(Vec<OpParam>, Vec<OpParam>)> {
        let (mut props, mut legacy) = (Vec::new(), Vec::new());
        loop {
            let t = self.tok();
            if t.kind != K::Ident {
                break;
            }
            let w = self.text(t);
            let name = Ident {
                name: w.to_string(),
                span: t.span,
            };
            match w {
                "kind" | "title" | "accumulate" if self.nth(1).kind == K::Eq => {
                    self.bump();
                    self.bump();
                    let value = if w == "title" {
                        if !self.can_start_expr() {
                            return self.expected("a title after `title=`");
                        }
                        self.postfix()?
                    } else {
                        self.param_value(w)?
                    };
                    props.push(OpParam {
                        span: self.span_from(t.span),
                        name,
                        value,
                    });
                }
                "with" if self.nth(1).kind != K::LParen => {
                    self.bump();
                    let value = self.param_value(w)?;
                    legacy.push(OpParam {
                        span: self.span_from(t.span),
                        name,
                        value,
                    });
                }
                "by" => {
                    self.bump();
                    loop {
                        let col = self.name("a column after `by`")?;
                        legacy.push(OpParam {
                            span: self.span_from(t.span),
                            name: name.clone(),
                            value: Expr::Name(col),
                        });
                        if !(self.at(K::Comma) && self.nth(1).kind == K::Ident)
                            || matches!(
                                self.text(self.nth(1)),
                                "kind" | "title" | "accumulate" | "with" | "by"
                            )
                        {
                            break;
                        }
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        Ok((props, legacy))
    }

    /// The schema after `evaluate plugin(...) :`: `( [*,] Col:type, ... )`,
    /// a trailing comma allowed.
    fn evaluate_schema(&mut self) -> PResult<EvaluateSchema> {
        let open = self.expect(K::LParen, "`(` and the output schema after `:`")?;
        self.eat(K::Comma);
        let star = self.eat(K::Star).is_some();
        if star {
            self.eat(K::Comma);
        }
        let mut columns = Vec::new();
        while !self.at(K::RParen) {
            columns.push(self.column_decl()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(EvaluateSchema {
            columns,
            open: star,
            span: self.span_from(open.span),
        })
    }

    /// `with ( name = value, ... )`
    fn with_props(&mut self) -> PResult<Vec<OpParam>> {
        let open = self.expect(K::LParen, "`(` after `with`")?;
        let mut out = Vec::new();
        if self.eat(K::RParen).is_some() {
            return Ok(out);
        }
        loop {
            out.push(self.prop()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(out)
    }

    fn prop(&mut self) -> PResult<OpParam> {
        let name = self.dotted_name("a property name")?;
        self.expect(K::Eq, "`=` after the property name")?;
        let value = self.expr_required("a property value after `=`")?;
        Ok(OpParam {
            span: self.span_from(name.span),
            name,
            value,
        })
    }

    fn reorder_order(&mut self) -> Option<Ident> {
        let t = self.tok();
        if t.kind != K::Ident {
            return None;
        }
        let w = self.text(t);
        if w == "asc" || w == "desc" {
            self.bump();
            return Some(Ident {
                name: w.to_string(),
                span: t.span,
            });
        }
        if w == "granny"
            && self.nth(1).kind == K::Minus
            && matches!(self.text(self.nth(2)), "asc" | "desc")
        {
            self.bump();
            self.bump();
            let e = self.bump();
            let span = Span::new(t.span.start, e.span.end);
            return Some(Ident {
                name: span.text(self.src).to_string(),
                span,
            });
        }
        None
    }

    /// `scan [with_match_id=Id] [declare (Col:type [= default], ...)]
    /// with ( step Name [optional | output=all|last|none]: Cond [=> Col = expr, ...]; ... )`
    fn scan_op(&mut self) -> PResult<()> {
        self.op_params(&["with_match_id"])?;
        if self.at_word("declare") && self.nth(1).kind == K::LParen {
            self.bump();
            let open = self.bump();
            self.param_list(open)?;
        }
        self.expect_word("with", "`with` and the steps of `scan`")?;
        let open = self.expect(K::LParen, "`(` and the steps of `scan`")?;
        self.enter()?;
        let r = self.scan_steps();
        self.leave();
        r?;
        self.expect_close(open)?;
        Ok(())
    }

    fn scan_steps(&mut self) -> PResult<()> {
        loop {
            self.expect_word("step", "`step` and a step definition")?;
            self.name("a step name after `step`")?;
            if self.eat_word("optional").is_none()
                && self.at_word("output")
                && self.nth(1).kind == K::Eq
            {
                self.bump();
                self.bump();
                self.name("`all`, `last` or `none` after `output=`")?;
            }
            self.expect(K::Colon, "`:` and a condition after the step name")?;
            self.expr_required("a step condition after `:`")?;
            if self.eat(K::Arrow).is_some() {
                loop {
                    self.named_expr("an assignment after `=>`")?;
                    if self.eat(K::Comma).is_none() {
                        break;
                    }
                }
            }
            self.expect(K::Semi, "`;` after the step")?;
            if !self.at_word("step") {
                return Ok(());
            }
        }
    }

    /// The predicate of `where`: Kusto also accepts `Name = expr` there (a
    /// single `=`), read as `Name == expr`.
    fn where_pred(&mut self, opname: &str) -> PResult<Expr> {
        let t = self.tok();
        let assign =
            (t.kind == K::Ident && self.nth(1).kind == K::Eq && !is_reserved_word(self.text(t)))
                || (t.kind == K::LBracket
                    && self.nth(1).kind == K::String
                    && self.nth(2).kind == K::RBracket
                    && self.nth(3).kind == K::Eq);
        if !assign {
            return self.expr_required(&format!("a predicate after `{opname}`"));
        }
        let lhs = Expr::Name(self.name("a column name")?);
        let eq = self.bump();
        let rhs = self.expr_required("an expression after `=`")?;
        Ok(Expr::Binary {
            op: BinOp::Eq,
            op_span: eq.span,
            span: self.span_from(t.span),
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        })
    }

    fn at_name_pattern(&self) -> bool {
        match self.kind() {
            K::Ident | K::Star => true,
            K::LBracket => self.nth(1).kind == K::String,
            _ => false,
        }
    }

    /// A column name that may contain `*` wildcards: `Col*`, `*Id`, `['a b']`.
    fn name_pattern(&mut self, what: &str) -> PResult<NamePattern> {
        let t = self.tok();
        if t.kind == K::LBracket && self.nth(1).kind == K::String {
            let id = self.bracket_name()?;
            return Ok(NamePattern {
                text: id.name,
                span: id.span,
            });
        }
        if !matches!(t.kind, K::Ident | K::Star) {
            return self.expected(what);
        }
        self.bump();
        let mut end = t.span.end;
        while matches!(
            self.kind(),
            K::Ident | K::Star | K::Number | K::NumberWithSuffix
        ) && self.tok().span.start == end
        {
            end = self.bump().span.end;
        }
        let span = Span::new(t.span.start, end);
        Ok(NamePattern {
            text: span.text(self.src).to_string(),
            span,
        })
    }

    /// A table in `union`/`join`/`lookup`/`search in`/`find in`: a name, a
    /// wildcard pattern, a call such as `table('x')`, or `(subquery)`.
    fn table_ref(&mut self, what: &str) -> PResult<Expr> {
        let t = self.tok();
        let n = self.nth(1);
        let wildcard = t.kind == K::Star
            || (t.kind == K::Ident && n.kind == K::Star && n.span.start == t.span.end);
        if wildcard {
            return Ok(Expr::Wildcard(self.name_pattern(what)?));
        }
        if !self.can_start_expr() || t.kind == K::Minus || t.kind == K::Plus {
            return self.expected(what);
        }
        self.postfix()
    }

    /// Optional `in (T1, T2, ...)` of `search`/`find`.
    fn opt_in_tables(&mut self) -> PResult<Vec<Expr>> {
        if !(self.at_word("in") && self.nth(1).kind == K::LParen) {
            return Ok(Vec::new());
        }
        self.bump();
        let open = self.bump();
        let mut tables = vec![self.table_ref("a table name")?];
        while self.eat(K::Comma).is_some() {
            tables.push(self.table_ref("a table name after `,`")?);
        }
        self.expect_close(open)?;
        Ok(tables)
    }

    fn sort_key(&mut self) -> PResult<SortKey> {
        let start = self.tok().span;
        let expr = self.expr_required("a sort expression")?;
        let order = if self.eat_word("asc").is_some() {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc").is_some() {
            Some(SortOrder::Desc)
        } else {
            None
        };
        let nulls = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(NullsOrder::First)
            } else if self.eat_word("last").is_some() {
                Some(NullsOrder::Last)
            } else {
                return self.expected("`first` or `last` after `nulls`");
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            order,
            nulls,
            span: self.span_from(start),
        })
    }

    fn top_nested(&mut self) -> PResult<Vec<TopNestedClause>> {
        let mut clauses = Vec::new();
        loop {
            if !clauses.is_empty() {
                // each later clause repeats the keyword
                if self.at_word("top")
                    && self.nth(1).kind == K::Minus
                    && self.is_word(self.nth(2), "nested")
                {
                    self.bump();
                    self.bump();
                    self.bump();
                } else {
                    return self.expected("`top-nested` after `,`");
                }
            }
            let start = self.tok().span;
            let count = if self.at_word("of") {
                None
            } else {
                Some(self.expr_required("a count after `top-nested`")?)
            };
            self.expect_word("of", "`of` in the `top-nested` clause")?;
            let of = self.named_expr("an expression after `of`")?;
            let others = if self.at_word("with") && self.is_word(self.nth(1), "others") {
                self.bump();
                self.bump();
                self.expect(K::Eq, "`=` after `with others`")?;
                Some(self.expr_required("a value after `with others =`")?)
            } else {
                None
            };
            self.expect_word("by", "`by` and an aggregation in the `top-nested` clause")?;
            let by = self.named_expr("an aggregation after `by`")?;
            let order = if self.eat_word("asc").is_some() {
                Some(SortOrder::Asc)
            } else if self.eat_word("desc").is_some() {
                Some(SortOrder::Desc)
            } else {
                None
            };
            clauses.push(TopNestedClause {
                count,
                of,
                others,
                by,
                order,
                span: self.span_from(start),
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        Ok(clauses)
    }

    fn parse_op(&mut self, name: &str) -> PResult<Operator> {
        let params = self.op_params(&["kind", "flags"])?;
        let source = self.expr_required(&format!("an expression to parse after `{name}`"))?;
        self.expect_word("with", "`with` and a pattern after the expression to parse")?;
        let mut pattern = Vec::new();
        loop {
            match self.kind() {
                K::Pipe | K::Semi | K::Eof | K::RParen | K::RBrace | K::RBracket => break,
                K::String | K::UnterminatedString => {
                    if let Expr::Literal(l) = self.string_literal() {
                        pattern.push(ParsePart::Literal(l));
                    }
                }
                K::Star => {
                    let t = self.bump();
                    pattern.push(ParsePart::Star(t.span));
                }
                K::Ident if is_reserved_word(self.text(self.tok())) => break,
                K::Ident | K::LBracket => {
                    let col = self.name("a column name in the `parse` pattern")?;
                    let ty = if self.eat(K::Colon).is_some() {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    pattern.push(ParsePart::Column {
                        span: self.span_from(col.span),
                        name: col,
                        ty,
                    });
                }
                _ => {
                    return self.expected("a string, `*` or a column name in the `parse` pattern");
                }
            }
        }
        Ok(Operator::Parse {
            filter: name == "parse-where",
            params,
            source,
            pattern,
        })
    }

    fn mv_items(&mut self, opname: &str) -> PResult<Vec<MvItem>> {
        let mut items = Vec::new();
        loop {
            let what = if items.is_empty() {
                format!("a column after `{opname}`")
            } else {
                "a column after `,`".to_string()
            };
            let expr = self.named_expr(&what)?;
            let to_type = if self.at_word("to") && self.is_word(self.nth(1), "typeof") {
                self.bump();
                if self.nth(1).kind != K::LParen {
                    self.bump();
                    return self.expected("`(` after `typeof`");
                }
                match self.typeof_literal()? {
                    Expr::TypeOf { ty, .. } => ty,
                    _ => None,
                }
            } else {
                None
            };
            items.push(MvItem {
                span: self.span_from(expr.span),
                expr,
                to_type,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        Ok(items)
    }

    fn opt_limit(&mut self) -> PResult<Option<Expr>> {
        if self.eat_word("limit").is_some() {
            Ok(Some(self.expr_required("a number after `limit`")?))
        } else {
            Ok(None)
        }
    }

    fn make_series(&mut self) -> PResult<Operator> {
        let params = self.op_params(&["kind"])?;
        let mut aggs = Vec::new();
        loop {
            let expr = self.named_expr("an aggregation after `make-series`")?;
            let default = if self.at_word("default") && self.nth(1).kind == K::Eq {
                self.bump();
                self.bump();
                Some(self.expr_required("a value after `default=`")?)
            } else {
                None
            };
            aggs.push(MakeSeriesAgg {
                span: self.span_from(expr.span),
                expr,
                default,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_word(
            "on",
            "`on` and a time column after the `make-series` aggregations",
        )?;
        let on = self.expr_required("an axis column after `on`")?;
        let range = if self.at_word("in") && self.is_word(self.nth(1), "range") {
            self.bump();
            self.bump();
            let open = self.expect(K::LParen, "`(` after `range`")?;
            let start = self.expr_required("a start value")?;
            self.expect(K::Comma, "`,` after the range start")?;
            let stop = self.expr_required("a stop value")?;
            self.expect(K::Comma, "`,` after the range stop")?;
            let step = self.expr_required("a step value")?;
            self.expect_close(open)?;
            SeriesRange::InRange { start, stop, step }
        } else {
            let from = match self.eat_word("from") {
                Some(_) => Some(self.expr_required("a start value after `from`")?),
                None => None,
            };
            let to = match self.eat_word("to") {
                Some(_) => Some(self.expr_required("an end value after `to`")?),
                None => None,
            };
            self.expect_word("step", "`step` and a bin size in `make-series`")?;
            let step = self.expr_required("a bin size after `step`")?;
            SeriesRange::FromTo { from, to, step }
        };
        let by = if self.eat_word("by").is_some() {
            self.named_list("a group-by expression after `by`")?
        } else {
            Vec::new()
        };
        Ok(Operator::MakeSeries {
            params,
            aggs,
            on,
            range,
            by,
        })
    }

    /// `expr`, `Name = expr`, `(A, B) = expr`
    fn named_expr(&mut self, what: &str) -> PResult<NamedExpr> {
        let start = self.tok().span;
        let mut names = Vec::new();
        let t = self.tok();
        if t.kind == K::Ident && self.nth(1).kind == K::Eq {
            let w = self.text(t);
            if (is_reserved_word(w) && !is_declarable_keyword(w))
                || matches!(w, "kind" | "withsource" | "with_source")
            {
                let msg = format!(
                    "the name `{w}` is a keyword: write it as `['{w}']` to use it as a name"
                );
                self.error(t.span, msg);
                return Err(());
            }
            names.push(self.name(what)?);
            self.bump();
        } else if t.kind == K::LBracket
            && self.nth(1).kind == K::String
            && self.nth(2).kind == K::RBracket
            && self.nth(3).kind == K::Eq
        {
            names.push(self.bracket_name()?);
            self.bump();
        } else if t.kind == K::LParen && self.is_tuple_target() {
            self.bump();
            loop {
                names.push(self.name("a column name")?);
                if self.eat(K::Comma).is_none() {
                    break;
                }
            }
            self.bump(); // `)`
            self.bump(); // `=`
        }
        if !self.can_start_expr() {
            if names.is_empty() {
                return self.expected(what);
            }
            return self.expected("an expression after `=`");
        }
        let expr = self.expr()?;
        Ok(NamedExpr {
            names,
            expr,
            span: self.span_from(start),
        })
    }

    /// At `(`: is this `(A, B, ...) =`?
    fn is_tuple_target(&self) -> bool {
        let mut k = 1;
        loop {
            if self.nth(k).kind != K::Ident {
                return false;
            }
            k += 1;
            match self.nth(k).kind {
                K::Comma => k += 1,
                K::RParen => return self.nth(k + 1).kind == K::Eq,
                _ => return false,
            }
            if k > 64 {
                return false;
            }
        }
    }

    fn named_list(&mut self, what: &str) -> PResult<Vec<NamedExpr>> {
        let mut out = vec![self.named_expr(what)?];
        while self.eat(K::Comma).is_some() {
            out.push(self.named_expr("an expression after `,`")?);
        }
        Ok(out)
    }

    // ----- expressions ---------------------------------------------------

    fn can_start_expr(&self) -> bool {
        match self.kind() {
            K::Ident => !is_reserved_word(self.text(self.tok())) || self.at_keyword_form(),
            K::Number
            | K::NumberWithSuffix
            | K::String
            | K::UnterminatedString
            | K::LParen
            | K::Star
            | K::Minus
            | K::Plus => true,
            K::LBracket => self.nth(1).kind == K::String,
            _ => false,
        }
    }

    /// At a reserved word that is used correctly: a typed literal
    /// (`datetime(`...), or a callable keyword (`dynamic(`, `toscalar(`...).
    fn at_keyword_form(&self) -> bool {
        let t = self.tok();
        let w = self.text(t);
        let n = self.nth(1);
        (lexer::is_raw_literal_word(w) && n.kind == K::LParen && n.span.start == t.span.end)
            || (is_callable_keyword(w) && n.kind == K::LParen)
    }

    /// At `*`: is it followed by a comparison (`* has "x"`, `* == 1`)?
    fn star_operand_ok(&self) -> bool {
        let n = self.nth(1);
        match n.kind {
            K::EqEq
            | K::BangEq
            | K::LtGt
            | K::EqTilde
            | K::BangTilde
            | K::Lt
            | K::Le
            | K::Gt
            | K::Ge
            | K::Colon => true,
            K::Ident => {
                let w = self.text(n);
                is_operator_word(w) && !matches!(w, "and" | "or")
            }
            K::Bang => self.nth(2).kind == K::Ident && self.nth(2).span.start == n.span.end,
            _ => false,
        }
    }

    /// Whether `t` (the token after an operand) would continue an expression.
    fn continues_expr(&self, t: Token) -> bool {
        match t.kind {
            K::Dot
            | K::LBracket
            | K::EqEq
            | K::BangEq
            | K::LtGt
            | K::EqTilde
            | K::BangTilde
            | K::Lt
            | K::Le
            | K::Gt
            | K::Ge
            | K::Plus
            | K::Minus
            | K::Star
            | K::Slash
            | K::Percent
            | K::Colon => true,
            K::Ident => is_operator_word(self.text(t)),
            _ => false,
        }
    }

    /// Could the current token start a statement (so a `;` or `|` is missing)?
    fn can_start_statement(&self) -> bool {
        self.can_start_expr()
            || self.at_source_operator()
            || self.at_word("let")
            || self.at_word("set")
            || self.at_word("declare")
    }

    fn expr_required(&mut self, what: &str) -> PResult<Expr> {
        if !self.can_start_expr() {
            return self.expected(what);
        }
        self.expr()
    }

    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.binary(0)
    }

    /// The binary operator at the current position, its precedence and token count.
    fn peek_binop(&self) -> Option<(BinTok, u8, usize)> {
        let t = self.tok();
        Some(match t.kind {
            K::EqEq => (BinTok::Bin(BinOp::Eq), PREC_EQ, 1),
            K::BangEq | K::LtGt => (BinTok::Bin(BinOp::Ne), PREC_EQ, 1),
            K::EqTilde | K::BangTilde => (
                BinTok::Str(StrOp {
                    kind: StrOpKind::Equals,
                    negated: t.kind == K::BangTilde,
                    case_sensitive: false,
                }),
                PREC_STR,
                1,
            ),
            K::Lt => (BinTok::Bin(BinOp::Lt), PREC_REL, 1),
            K::Le => (BinTok::Bin(BinOp::Le), PREC_REL, 1),
            K::Gt => (BinTok::Bin(BinOp::Gt), PREC_REL, 1),
            K::Ge => (BinTok::Bin(BinOp::Ge), PREC_REL, 1),
            K::Plus => (BinTok::Bin(BinOp::Add), PREC_ADD, 1),
            K::Minus => (BinTok::Bin(BinOp::Sub), PREC_ADD, 1),
            K::Star => (BinTok::Bin(BinOp::Mul), PREC_MUL, 1),
            K::Slash => (BinTok::Bin(BinOp::Div), PREC_MUL, 1),
            K::Percent => (BinTok::Bin(BinOp::Mod), PREC_MUL, 1),
            // `search Col:"x"` (also accepted by Kusto elsewhere): `has`.
            K::Colon => (
                BinTok::Str(StrOp {
                    kind: StrOpKind::Has,
                    negated: false,
                    case_sensitive: false,
                }),
                PREC_STR,
                1,
            ),
            K::Ident => {
                let w = self.text(t);
                match w {
                    "or" => (BinTok::Logical(LogicalOp::Or), PREC_OR, 1),
                    "and" => (BinTok::Logical(LogicalOp::And), PREC_AND, 1),
                    "in" => {
                        let n = self.nth(1);
                        if n.kind == K::Tilde && n.span.start == t.span.end {
                            (BinTok::List(ListOp::InCi), PREC_EQ, 2)
                        } else if self.is_word(n, "range") {
                            // `make-series ... on T in range(a, b, c)`
                            return None;
                        } else {
                            (BinTok::List(ListOp::In), PREC_EQ, 1)
                        }
                    }
                    "has_any" => (BinTok::List(ListOp::HasAny), PREC_EQ, 1),
                    "has_all" => (BinTok::List(ListOp::HasAll), PREC_EQ, 1),
                    "between" => (BinTok::Between(false), PREC_EQ, 1),
                    "matches" if self.is_word(self.nth(1), "regex") => (
                        BinTok::Str(StrOp {
                            kind: StrOpKind::MatchesRegex,
                            negated: false,
                            case_sensitive: true,
                        }),
                        PREC_STR,
                        2,
                    ),
                    _ => (BinTok::Str(str_op_word(w)?), PREC_STR, 1),
                }
            }
            K::Bang => {
                let n = self.nth(1);
                if n.kind != K::Ident || n.span.start != t.span.end {
                    return None;
                }
                let w = self.text(n);
                match w {
                    "in" => {
                        let n2 = self.nth(2);
                        if n2.kind == K::Tilde && n2.span.start == n.span.end {
                            (BinTok::List(ListOp::NotInCi), PREC_EQ, 3)
                        } else {
                            (BinTok::List(ListOp::NotIn), PREC_EQ, 2)
                        }
                    }
                    "between" => (BinTok::Between(true), PREC_EQ, 2),
                    _ if STR_NEGATABLE.contains(&w) => {
                        let mut op = str_op_word(w)?;
                        op.negated = true;
                        (BinTok::Str(op), PREC_STR, 2)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let lhs = self.unary()?;
        let mut wraps = 0u32;
        let r = self.binary_loop(lhs, min_prec, &mut wraps);
        self.depth = self.depth.saturating_sub(wraps);
        r
    }

    fn binary_loop(&mut self, mut lhs: Expr, min_prec: u8, wraps: &mut u32) -> PResult<Expr> {
        // Operators at or above `ceiling` may not follow (non-associative levels).
        let mut ceiling = u8::MAX;
        loop {
            let Some((bt, prec, ntoks)) = self.peek_binop() else {
                return Ok(lhs);
            };
            if prec < min_prec || prec >= ceiling {
                return Ok(lhs);
            }
            if (PREC_EQ..=PREC_REL).contains(&prec) {
                ceiling = prec;
            }
            let first = self.tok();
            for _ in 1..ntoks {
                self.bump();
            }
            let last = self.bump();
            let op_span = Span::new(first.span.start, last.span.end);
            let op_text = op_span.text(self.src);
            self.enter()?;
            *wraps += 1;
            let start = lhs.span();
            lhs = match bt {
                BinTok::Logical(op) => {
                    let mut operands = vec![lhs];
                    operands.push(self.operand_after(prec + 1, op_text)?);
                    while let Some((BinTok::Logical(o2), _, _)) = self.peek_binop() {
                        if o2 != op {
                            break;
                        }
                        let t = self.bump();
                        let w = self.text(t);
                        operands.push(self.operand_after(prec + 1, w)?);
                    }
                    Expr::Logical {
                        op,
                        operands,
                        span: self.span_from(start),
                    }
                }
                BinTok::Bin(op) => {
                    let rhs = self.operand_after(prec + 1, op_text)?;
                    Expr::Binary {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    }
                }
                BinTok::Str(op) => {
                    let rhs = self.operand_after(prec + 1, op_text)?;
                    Expr::StringOp {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                        span: self.span_from(start),
                    }
                }
                BinTok::List(op) => {
                    let (list, list_span) = self.paren_list(op_text)?;
                    Expr::In {
                        op,
                        op_span,
                        lhs: Box::new(lhs),
                        list,
                        list_span,
                        span: self.span_from(start),
                    }
                }
                BinTok::Between(negated) => {
                    let open = self.expect(K::LParen, &format!("`(` after `{op_text}`"))?;
                    let low = self.expr_required("a lower bound in `between (low .. high)`")?;
                    self.expect(K::DotDot, "`..` between the bounds of `between`")?;
                    let high = self.expr_required("an upper bound after `..`")?;
                    self.expect_close(open)?;
                    Expr::Between {
                        negated,
                        op_span,
                        lhs: Box::new(lhs),
                        low: Box::new(low),
                        high: Box::new(high),
                        span: self.span_from(start),
                    }
                }
            };
        }
    }

    fn operand_after(&mut self, prec: u8, op_text: &str) -> PResult<Expr> {
        if !self.can_start_expr() {
            return self.expected(&format!("an expression after `{op_text}`"));
        }
        self.binary(prec)
    }

    /// `( a, b, ... )` after `in`/`has_any`/...: elements may be subqueries.
    fn paren_list(&mut self, op_text: &str) -> PResult<(Vec<Expr>, Span)> {
        let open = self.expect(K::LParen, &format!("`(` and a list after `{op_text}`"))?;
        self.enter()?;
        let r = self.paren_list_inner(open, op_text);
        self.leave();
        let list = r?;
        Ok((list, self.span_from(open.span)))
    }

    fn paren_list_inner(&mut self, open: Token, op_text: &str) -> PResult<Vec<Expr>> {
        let mut list = Vec::new();
        if self.at(K::RParen) {
            return self.expected(&format!("a value in the `{op_text}` list"));
        }
        loop {
            // Only the first element may be a subquery (`x in (T | project y)`).
            let first = list.is_empty();
            if !(self.can_start_expr() || (first && self.at_source_operator())) {
                return self.expected("a value in the list");
            }
            list.push(if first {
                self.pipe_expr(Ctx::Nested)?
            } else {
                self.expr()?
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(list)
    }

    fn unary(&mut self) -> PResult<Expr> {
        match self.kind() {
            K::Minus | K::Plus => {
                let t = self.bump();
                let op = if t.kind == K::Minus {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Plus
                };
                self.enter()?;
                // Kusto does not stack signs: `- -x` is an error (`T - -x` is fine).
                let r = if self.can_start_expr() && !matches!(self.kind(), K::Minus | K::Plus) {
                    self.postfix()
                } else {
                    let s = self.text(t);
                    self.expected(&format!("an expression after `{s}`"))
                };
                self.leave();
                let operand = r?;
                Ok(Expr::Unary {
                    op,
                    op_span: t.span,
                    span: self.span_from(t.span),
                    operand: Box::new(operand),
                })
            }
            _ => self.postfix(),
        }
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let e = self.primary()?;
        let mut wraps = 0u32;
        let r = self.postfix_loop(e, &mut wraps);
        self.depth = self.depth.saturating_sub(wraps);
        r
    }

    fn postfix_loop(&mut self, mut e: Expr, wraps: &mut u32) -> PResult<Expr> {
        loop {
            let start = e.span();
            match self.kind() {
                K::Dot => {
                    let n = self.nth(1);
                    let member = match n.kind {
                        K::Ident => {
                            self.bump();
                            self.bump();
                            Ident {
                                name: self.text(n).to_string(),
                                span: n.span,
                            }
                        }
                        K::LBracket
                            if self.nth(2).kind == K::String && self.nth(3).kind == K::RBracket =>
                        {
                            self.bump();
                            self.bump_bracket_name()?
                        }
                        // `x.[0]`, `x.['a' + b]`: Kusto reads `.[expr]` as `[expr]`.
                        K::LBracket => {
                            self.bump();
                            continue;
                        }
                        _ => {
                            self.bump();
                            return self.expected("a member name after `.`");
                        }
                    };
                    self.enter()?;
                    *wraps += 1;
                    if self.at(K::LParen) {
                        let args = self.call_args(false)?;
                        e = Expr::MethodCall {
                            target: Box::new(e),
                            func: member,
                            args,
                            span: self.span_from(start),
                        };
                    } else {
                        e = Expr::Member {
                            target: Box::new(e),
                            member,
                            span: self.span_from(start),
                        };
                    }
                }
                K::LBracket => {
                    let open = self.bump();
                    self.enter()?;
                    *wraps += 1;
                    let index = self.expr_required("an index expression inside `[ ]`")?;
                    self.expect_close(open)?;
                    e = Expr::Index {
                        target: Box::new(e),
                        index: Box::new(index),
                        span: self.span_from(start),
                    };
                }
                K::LParen if matches!(e, Expr::Name(_)) => {
                    let Expr::Name(func) = e else {
                        return Err(());
                    };
                    self.enter()?;
                    *wraps += 1;
                    let needs_arg =
                        matches!(func.name.as_str(), "toscalar" | "totable" | "materialize");
                    let args = self.call_args(needs_arg)?;
                    e = Expr::Call {
                        func,
                        args,
                        span: self.span_from(start),
                    };
                }
                _ => return Ok(e),
            }
        }
    }

    fn bump_bracket_name(&mut self) -> PResult<Ident> {
        self.bracket_name()
    }

    /// `( args )`; `needs_arg` for `toscalar(...)` and the like. A named
    /// argument `name = value` keeps only its value.
    fn call_args(&mut self, needs_arg: bool) -> PResult<Vec<Expr>> {
        let open = self.bump();
        let mut args = Vec::new();
        if !needs_arg && self.eat(K::RParen).is_some() {
            return Ok(args);
        }
        loop {
            if self.at(K::Star) && matches!(self.nth(1).kind, K::Comma | K::RParen) {
                // `count(*)`, `arg_max(T, *)`
                args.push(Expr::Star(self.bump().span));
                if self.eat(K::Comma).is_none() {
                    break;
                }
                continue;
            }
            let sub = needs_arg && args.is_empty();
            let what = if args.is_empty() {
                "an argument or `)`"
            } else {
                "an argument after `,`"
            };
            // Only `toscalar(...)` and the like take a subquery; any other
            // argument may be named: `f(x, name = value)`, `f((a, b) = g())`.
            if sub {
                if !(self.can_start_expr() || self.at_source_operator()) {
                    return self.expected(what);
                }
                args.push(self.pipe_expr(Ctx::Nested)?);
            } else {
                args.push(self.named_expr(what)?.expr);
            }
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(args)
    }

    fn string_literal(&mut self) -> Expr {
        let first = self.tok();
        let mut value = String::new();
        let mut obfuscated = false;
        let mut end = first.span.end;
        let mut err: Option<(Span, String)> = None;
        while matches!(self.kind(), K::String | K::UnterminatedString) {
            let t = self.bump();
            end = t.span.end;
            if t.kind == K::UnterminatedString {
                let save = self.pos;
                self.pos -= 1;
                self.unterminated(t);
                self.pos = save;
            }
            let (v, obf, e) = literal::decode_string(self.text(t));
            value.push_str(&v);
            obfuscated |= obf;
            if let (Some(m), None) = (e, &err) {
                err = Some((t.span, m));
            }
        }
        if let Some((span, m)) = err {
            self.error(span, m);
        }
        Expr::Literal(Literal {
            value: LitValue::String { value, obfuscated },
            span: Span::new(first.span.start, end),
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        match t.kind {
            K::Number => {
                self.bump();
                let text = self.text(t);
                let value = match literal::decode_number(text) {
                    Ok(Ok(i)) => LitValue::Long(i),
                    Ok(Err(f)) => LitValue::Real(f),
                    Err(m) => {
                        self.pos -= 1;
                        self.error(t.span, m);
                        self.pos += 1;
                        return Ok(Expr::Error(t.span));
                    }
                };
                Ok(Expr::Literal(Literal {
                    value,
                    span: t.span,
                }))
            }
            K::NumberWithSuffix => {
                self.bump();
                match literal::decode_timespan_token(self.text(t)) {
                    Ok(ticks) => Ok(Expr::Literal(Literal {
                        value: LitValue::Timespan(ticks),
                        span: t.span,
                    })),
                    Err(m) => {
                        self.pos -= 1;
                        self.error(t.span, m);
                        self.pos += 1;
                        Ok(Expr::Error(t.span))
                    }
                }
            }
            K::String | K::UnterminatedString => Ok(self.string_literal()),
            K::Ident => {
                let w = self.text(t);
                let n = self.nth(1);
                if n.kind == K::LParen {
                    if w == "typeof" {
                        return self.typeof_literal();
                    }
                    if lexer::is_raw_literal_word(w) && n.span.start == t.span.end {
                        return self.typed_literal();
                    }
                    match w {
                        "dynamic" => return self.dynamic_literal(),
                        "datatable" => return self.datatable(),
                        "externaldata" | "external_data" => return self.externaldata(),
                        _ => {}
                    }
                }
                if is_reserved_word(w) && !self.at_keyword_form() {
                    return self.expected("an expression");
                }
                self.bump();
                match w {
                    "true" | "false" | "True" | "False" | "TRUE" | "FALSE" => {
                        Ok(Expr::Literal(Literal {
                            value: LitValue::Bool(w.eq_ignore_ascii_case("true")),
                            span: t.span,
                        }))
                    }
                    _ => Ok(Expr::Name(Ident {
                        name: w.to_string(),
                        span: t.span,
                    })),
                }
            }
            K::LBracket if self.nth(1).kind == K::String => Ok(Expr::Name(self.bracket_name()?)),
            K::LParen => {
                let open = self.bump();
                self.enter()?;
                let r = self.paren_inner(open);
                self.leave();
                r
            }
            // `*` is an operand only before a comparison (`where * has "x"`);
            // a whole call argument `f(*)` is handled by `call_args`.
            K::Star if self.star_operand_ok() => {
                self.bump();
                Ok(Expr::Star(t.span))
            }
            _ => self.expected("an expression"),
        }
    }

    fn paren_inner(&mut self, open: Token) -> PResult<Expr> {
        if !self.can_start_expr() && !self.at_source_operator() {
            return self.expected("an expression or subquery inside `( )`");
        }
        let inner = self.pipe_expr(Ctx::Nested)?;
        self.expect_close(open)?;
        Ok(Expr::Paren {
            inner: Box::new(inner),
            span: self.span_from(open.span),
        })
    }

    /// `datetime(...)`, `int(...)`, ...: the lexer made the content one
    /// [`K::LiteralText`] token. Kusto checks the content only semantically, so
    /// content rulecat cannot read is not a syntax error: such a literal becomes
    /// [`Expr::Error`] (a `datetime` one `LitValue::Datetime(None)`).
    fn typed_literal(&mut self) -> PResult<Expr> {
        let name = self.bump();
        let open = self.bump();
        let (content, end) = match self.eat(K::LiteralText) {
            Some(t) => (self.text(t).trim(), t.span.end),
            None => ("", open.span.end),
        };
        // The `)` must be on the same line: the lexer stopped the content there.
        if self.at(K::RParen) && self.tok().span.start != end {
            let msg = format!(
                "expected `)` to close `{}(` on the same line",
                self.text(name)
            );
            self.error(Span::empty(self.prev_end()), msg);
            return Err(());
        }
        self.expect_close(open)?;
        let ty = self.text(name);
        let span = self.span_from(name.span);
        let lit = |value| Ok(Expr::Literal(Literal { value, span }));
        if content == "null" {
            return lit(LitValue::Null(ty.to_string()));
        }
        // Content rulecat cannot read: not a syntax error (see above).
        let bad = || Ok(Expr::Error(span));
        match ty {
            "datetime" | "date" => match literal::decode_datetime(content) {
                Some(t) => lit(LitValue::Datetime(Some(t))),
                None => lit(LitValue::Datetime(None)),
            },
            "time" | "timespan" => match literal::decode_timespan_text(content) {
                Some(t) => lit(LitValue::Timespan(t)),
                None => bad(),
            },
            "guid" | "uuid" | "uniqueid" => {
                let hex = content.bytes().filter(u8::is_ascii_hexdigit).count();
                if hex == 32 && content.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                    lit(LitValue::Guid(content.to_string()))
                } else {
                    bad()
                }
            }
            "int" | "int32" | "long" | "int64" => {
                let (neg, digits) = match content.strip_prefix('-') {
                    Some(d) => (true, d.trim_start()),
                    None => (
                        false,
                        content.strip_prefix('+').unwrap_or(content).trim_start(),
                    ),
                };
                match literal::decode_number(digits) {
                    Ok(Ok(v)) if !digits.is_empty() => {
                        let v = if neg { v.wrapping_neg() } else { v };
                        if ty.starts_with("int") && ty != "int64" {
                            lit(LitValue::Int(v))
                        } else {
                            lit(LitValue::Long(v))
                        }
                    }
                    _ => bad(),
                }
            }
            "real" | "double" => {
                let v = match content {
                    "nan" | "NaN" => Some(f64::NAN),
                    "inf" | "+inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
                    "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
                    c if !c.is_empty()
                        && c.bytes()
                            .all(|b| b.is_ascii_digit() || b"+-.eE ".contains(&b)) =>
                    {
                        c.replace(' ', "").parse::<f64>().ok()
                    }
                    _ => None,
                };
                match v {
                    Some(v) => lit(LitValue::Real(v)),
                    None => bad(),
                }
            }
            "bool" | "boolean" => match content {
                "true" | "True" | "TRUE" | "1" => lit(LitValue::Bool(true)),
                "false" | "False" | "FALSE" | "0" => lit(LitValue::Bool(false)),
                _ => bad(),
            },
            _ => {
                // decimal
                let c = content.replace(' ', "");
                if !c.is_empty() && (c.parse::<f64>().is_ok() || c == "nan") {
                    lit(LitValue::Decimal(content.to_string()))
                } else {
                    bad()
                }
            }
        }
    }

    /// `typeof(T)` (one type, or any name) or `typeof(a:string, *, ...)`
    /// (columns; `typeof()` is accepted), at `typeof` followed by `(`.
    fn typeof_literal(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let open = self.bump();
        let (t, n) = (self.tok(), self.nth(1));
        let mut ty = None;
        let mut columns = Vec::new();
        let mut open_schema = false;
        if t.kind == K::Ident
            && (is_typeof_type(self.text(t))
                || (n.kind == K::RParen && is_plain_identifier(self.text(t))))
        {
            self.bump();
            ty = Some(Ident {
                name: self.text(t).to_string(),
                span: t.span,
            });
        } else if !self.at(K::RParen) {
            loop {
                if self.at(K::Star) {
                    self.bump();
                    open_schema = true;
                } else {
                    columns.push(self.column_decl()?);
                }
                if self.eat(K::Comma).is_none() {
                    break;
                }
            }
        }
        self.expect_close(open)?;
        Ok(Expr::TypeOf {
            ty,
            columns,
            open: open_schema,
            span: self.span_from(kw.span),
        })
    }

    fn dynamic_literal(&mut self) -> PResult<Expr> {
        let name = self.bump();
        let open = self.bump();
        let value = if self.at(K::RParen) {
            return self.expected("a value inside `dynamic()`");
        } else {
            self.dyn_value()?
        };
        self.expect_close(open)?;
        let span = self.span_from(name.span);
        if matches!(value.kind, DynKind::Null) {
            return Ok(Expr::Literal(Literal {
                value: LitValue::Dynamic(value),
                span,
            }));
        }
        Ok(Expr::Literal(Literal {
            value: LitValue::Dynamic(value),
            span,
        }))
    }

    fn dyn_value(&mut self) -> PResult<DynValue> {
        let t = self.tok();
        let kind = match t.kind {
            K::LBracket => {
                let open = self.bump();
                self.enter()?;
                let r = self.dyn_array(open);
                self.leave();
                r?
            }
            K::LBrace => {
                let open = self.bump();
                self.enter()?;
                let r = self.dyn_object(open);
                self.leave();
                r?
            }
            K::Ident if self.nth(1).kind != K::LParen => {
                self.bump();
                match self.text(t) {
                    "null" => DynKind::Null,
                    "true" => DynKind::Bool(true),
                    "false" => DynKind::Bool(false),
                    _ => {
                        self.pos -= 1;
                        return self.expected(
                            "a JSON value (string, number, bool, null, `[...]` or `{...}`)",
                        );
                    }
                }
            }
            K::String | K::UnterminatedString => match self.string_literal() {
                Expr::Literal(Literal {
                    value: LitValue::String { value, .. },
                    ..
                }) => DynKind::String(value),
                _ => DynKind::Null,
            },
            K::Number | K::NumberWithSuffix | K::Minus | K::Plus | K::Ident => {
                let e = self.unary()?;
                match e {
                    Expr::Literal(Literal {
                        value: LitValue::Long(v),
                        ..
                    }) => DynKind::Long(v),
                    Expr::Literal(Literal {
                        value: LitValue::Real(v),
                        ..
                    }) => DynKind::Real(v),
                    Expr::Unary {
                        op: UnaryOp::Neg,
                        operand,
                        ..
                    } if matches!(
                        *operand,
                        Expr::Literal(Literal {
                            value: LitValue::Long(_) | LitValue::Real(_),
                            ..
                        })
                    ) =>
                    {
                        match *operand {
                            Expr::Literal(Literal {
                                value: LitValue::Long(v),
                                ..
                            }) => DynKind::Long(v.wrapping_neg()),
                            Expr::Literal(Literal {
                                value: LitValue::Real(v),
                                ..
                            }) => DynKind::Real(-v),
                            _ => DynKind::Null,
                        }
                    }
                    Expr::Literal(l) => DynKind::Scalar(Box::new(l)),
                    Expr::Error(_) => DynKind::Null,
                    other => {
                        self.error(other.span(), "expected a constant inside `dynamic()`");
                        return Err(());
                    }
                }
            }
            _ => {
                return self
                    .expected("a JSON value (string, number, bool, null, `[...]` or `{...}`)");
            }
        };
        Ok(DynValue {
            kind,
            span: self.span_from(t.span),
        })
    }

    fn dyn_array(&mut self, open: Token) -> PResult<DynKind> {
        let mut items = Vec::new();
        loop {
            // `[]` is fine, a trailing comma is not.
            if items.is_empty() && self.at(K::RBracket) {
                break;
            }
            items.push(self.dyn_value()?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(DynKind::Array(items))
    }

    fn dyn_object(&mut self, open: Token) -> PResult<DynKind> {
        let mut entries = Vec::new();
        loop {
            // `{}` is fine, a trailing comma is not.
            if entries.is_empty() && self.at(K::RBrace) {
                break;
            }
            let k = self.tok();
            let key = match k.kind {
                K::String => {
                    self.bump();
                    literal::decode_string(self.text(k)).0
                }
                _ => return self.expected("a quoted key in the `dynamic` object"),
            };
            self.expect(K::Colon, "`:` after the key")?;
            let value = self.dyn_value()?;
            entries.push(DynEntry {
                key,
                key_span: k.span,
                value,
            });
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(DynKind::Object(entries))
    }

    fn datatable(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let columns = self.column_decls(true)?;
        let open = self.expect(K::LBracket, "`[` and the values of the `datatable`")?;
        self.enter()?;
        let r = self.value_list(open);
        self.leave();
        let values = r?;
        Ok(Expr::Datatable {
            columns,
            values,
            span: self.span_from(kw.span),
        })
    }

    /// Values after `[` up to `]` (a trailing comma is allowed).
    fn value_list(&mut self, open: Token) -> PResult<Vec<Expr>> {
        let mut values = Vec::new();
        loop {
            if self.at(K::RBracket) {
                break;
            }
            values.push(self.expr_required("a value")?);
            if self.eat(K::Comma).is_none() {
                break;
            }
        }
        self.expect_close(open)?;
        Ok(values)
    }

    fn externaldata(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let columns = self.column_decls(false)?;
        let open = self.expect(K::LBracket, "`[` and the storage URIs of `externaldata`")?;
        self.enter()?;
        let r = self.value_list(open);
        self.leave();
        let uris = r?;
        let with = if self.eat_word("with").is_some() {
            self.with_props()?
        } else {
            Vec::new()
        };
        Ok(Expr::ExternalData {
            columns,
            uris,
            with,
            span: self.span_from(kw.span),
        })
    }
}
