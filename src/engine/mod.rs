//! A KQL query engine over the parsed AST ([`crate::kql::ast`]).
//!
//! Layers, each importing only the ones above it:
//! - [`value`], [`format`], [`table`]: Kusto's types, nulls, and how values print.
//! - [`funcs`]: scalar functions (one file per family); [`aggs`]: aggregates.
//! - [`eval`]: scalar expressions over one row (or one group, for aggregates).
//! - [`ops`]: tabular operators (one file per family); [`exec`]: statements, `let`,
//!   functions, tabular expressions.
//! - [`input`], [`cli`]: reading `--table` files and printing results.
//!
//! Order: operators keep their input order; `summarize`, `distinct` and `make-series`
//! emit groups in the order their first row appeared, `join` emits left rows in input
//! order (matches in right-table order), so output is deterministic for a given input.
//! `rand()` is seeded per query (deterministic, not Kusto's values).
//!
//! Threads: reading a JSON-lines table, computing join keys, probing a join and binning a
//! `summarize` key use both cores (rayon) over pieces of rows that are put back together
//! in input order, so every result is the same whatever the number of threads
//! (`RAYON_NUM_THREADS=1` gives byte-identical output). [`pushdown`] picks the columns a
//! query can read, so `rulecat query` decodes only those.

// Operators walk rows by index (row `i` of a table and of its key vectors together).
#![allow(clippy::needless_range_loop)]

pub mod aggs;
pub mod arith;
pub mod asim;
pub mod cli;
pub mod eval;
pub mod exec;
pub mod external;
pub mod format;
pub mod funcs;
pub mod input;
pub mod ops;
pub mod pushdown;
pub mod sketch;
pub mod support;
pub mod table;
pub mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_conform;
#[cfg(test)]
mod tests_corpus;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::kql::Span;

pub use table::{Col, Table};
pub use value::{Ty, Value};

/// An error while running a query, with the place in the query text when known.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    pub message: String,
    pub span: Option<Span>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            span: None,
        }
    }

    pub fn at(span: Span, message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            span: Some(span),
        }
    }

    /// Sets the span if none is set yet.
    pub fn or_at(mut self, span: Span) -> Error {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(f, "{}..{}: {}", s.start, s.end, self.message),
            None => f.write_str(&self.message),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// What a query runs against: the database's tables and the time `now()` returns.
#[derive(Clone, Debug, Default)]
pub struct Database {
    /// Shared, so that naming a table in a query does not copy it.
    pub tables: HashMap<String, Rc<Table>>,
    /// `now()` in ticks (fixed for the whole query, as Kusto does).
    pub now: i64,
    /// Workspace functions (declared in `rulecat.toml` or files of the catalog) by name:
    /// a query calls them as Sentinel would, by their bodies.
    pub functions: std::collections::BTreeMap<String, crate::loading::workspace::Function>,
    /// Local files bound to `externaldata` URLs (URL → file): see [`external`].
    pub external: std::collections::BTreeMap<String, std::path::PathBuf>,
}

/// Parses and runs one query; the result is the last tabular statement's table.
pub fn run(text: &str, db: &Database) -> Result<Table> {
    let parsed = crate::kql::parse(text);
    if let Some(e) = parsed.errors.first() {
        return Err(Error::at(e.span, format!("syntax error: {}", e.message)));
    }
    exec::run_query(&parsed.query, db, text)
}
