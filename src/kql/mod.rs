//! KQL (Kusto Query Language) front end: lexer, parser and typed syntax tree.
//!
//! ```ignore
//! let parsed = rulecat::kql::parse("DeviceEvents | where ActionType == 'x'");
//! assert!(parsed.errors.is_empty());
//! ```
//!
//! The module is self-contained (std + serde only) and never panics on any input:
//! nesting is limited to [`parser::MAX_DEPTH`] levels, long flat chains are parsed
//! iteratively, and errors are recovered at the next `|` or `;`.

pub mod analyze;
pub mod ast;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod span;
pub mod strops;
pub mod time;
pub mod visit;

#[cfg(test)]
mod tests;

pub use span::Span;

/// The result of [`parse`]: a tree (always, even with errors), the syntax errors
/// sorted by position, and the spans of `//` comments.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Parsed {
    pub query: ast::Query,
    pub errors: Vec<SyntaxError>,
    pub comments: Vec<Span>,
}

impl Parsed {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}..{}: {}",
            self.span.start, self.span.end, self.message
        )
    }
}

/// Parse a KQL query text. Never panics, for any `&str`.
pub fn parse(text: &str) -> Parsed {
    parser::parse(text)
}
