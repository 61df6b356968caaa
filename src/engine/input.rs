//! Reading `--table NAME=PATH` inputs: JSON lines (one object per line) or CSV with a
//! header row. Column types come from rulecat's table catalog when it knows the table
//! and column; otherwise from the values (all integers → `long`, numbers → `real`,
//! booleans → `bool`, ISO 8601 strings → `datetime`, strings → `string`, else
//! `dynamic`).
//!
//! Speed: when the query reads only some columns of a table ([`super::pushdown`]), a JSON
//! lines file is read through the matcher's byte scanner (`matcher::read::scan`, the
//! serde_json reference behind it for any line it is not sure about), only those
//! columns, in chunks of whole lines parsed in parallel (rayon) and put back together in
//! file order, so the table is the same whatever the number of threads. Each value is
//! typed once (datetimes parsed from the file's text, no intermediate string), and the
//! strings of a column are shared (`Arc<str>`) while it has few distinct values.
//! Without a column set every line goes through serde_json (also in parallel chunks).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use super::table::{Col, Table, coerce};
use super::value::{Json, Ty, Value};
use super::{Error, Result};
use crate::telemetry::scan::{LineScanner, Span};

/// Reads one table file.
pub fn read_table(name: &str, path: &Path) -> Result<Table> {
    read_table_columns(name, path, None)
}

/// Reads one table file, only the columns in `only` when given (a column the file does
/// not have is not added).
pub fn read_table_columns(
    name: &str,
    path: &Path,
    only: Option<&BTreeSet<String>>,
) -> Result<Table> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv
        && let Some(only) = only
        && let Some(tys) = declared_types(name, only)
    {
        let names: Vec<String> = only.iter().cloned().collect();
        if let Some(t) = read_jsonl_typed(path, &names, &tys)? {
            return Ok(t);
        }
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let Ok(data) = simdutf8::basic::from_utf8(&bytes) else {
        return Err(utf8_error(path));
    };
    if !is_csv && let Some(only) = only {
        return read_jsonl_columns(name, data, path, only);
    }
    let (mut names, mut rows) = if is_csv {
        read_csv(data, path)?
    } else {
        read_jsonl(data, path)?
    };
    if let Some(only) = only {
        let keep: Vec<usize> = (0..names.len())
            .filter(|&c| only.contains(&names[c]))
            .collect();
        names = keep
            .iter()
            .map(|&c| std::mem::take(&mut names[c]))
            .collect();
        rows = rows
            .into_iter()
            .map(|mut r| keep.iter().map(|&c| std::mem::take(&mut r[c])).collect())
            .collect();
    }
    Ok(typed(name, names, rows))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(format!("{}: {e}", path.display()))
}

fn utf8_error(path: &Path) -> Error {
    // The message `read_to_string` gives.
    let e = std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "stream did not contain valid UTF-8",
    );
    io_error(path, e)
}

/// The catalog's types of the names in `only` (in set order; `None` for a name it does
/// not declare), when it knows the table and declares at least one of them.
fn declared_types(name: &str, only: &BTreeSet<String>) -> Option<Vec<Option<Ty>>> {
    let known = crate::knowledge::tables::builtin().table(name)?;
    let tys: Vec<Option<Ty>> = only
        .iter()
        .map(|n| known.column(n).and_then(|col| Ty::parse(col.ty.as_str())))
        .collect();
    tys.iter().any(Option::is_some).then_some(tys)
}

/// How many bytes of the file [`read_jsonl_typed`] reads at a time.
const BLOCK: usize = 8 << 20;

/// JSON lines, only the columns `names` whose type the catalog declares (`tys`), through
/// the scanner: the file is read in blocks of whole lines (one buffer, reused), each
/// block cut into chunks parsed in parallel and put back together in file order, each
/// value typed as it is read. The same table as [`read_jsonl_columns`] gives, and the
/// same error first (a file that is not UTF-8, else the first bad line); `None` when the
/// file has one of the undeclared names (its type would have to be inferred).
fn read_jsonl_typed(path: &Path, names: &[String], tys: &[Option<Ty>]) -> Result<Option<Table>> {
    read_jsonl_blocks(path, names, tys, BLOCK)
}

/// [`read_jsonl_typed`] reading `block` bytes at a time.
fn read_jsonl_blocks(
    path: &Path,
    names: &[String],
    tys: &[Option<Ty>],
    block: usize,
) -> Result<Option<Table>> {
    use std::io::Read;
    let width = names.len();
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let mut buf: Vec<u8> = Vec::new();
    let mut lines_before = 0usize;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut first: Vec<Option<(usize, usize)>> = vec![None; width];
    let mut failed: Option<Error> = None;
    // Columns whose strings are mostly distinct (hashes, ids) stop being shared after
    // the first block that shows it (sharing changes no value).
    let mut intern = vec![true; width];
    loop {
        let start = buf.len();
        buf.reserve(block);
        let got = (&mut file)
            .take(block as u64)
            .read_to_end(&mut buf)
            .map_err(|e| io_error(path, e))?;
        let eof = got == 0;
        let end = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf[start..]) {
                Some(p) => start + p + 1,
                // No line end yet: read on.
                None => continue,
            }
        };
        let Ok(text) = simdutf8::basic::from_utf8(&buf[..end]) else {
            return Err(utf8_error(path));
        };
        if failed.is_none() {
            let pieces = chunks(text, chunk_count(text.len()));
            let results: Vec<_> = pieces
                .par_iter()
                .map(|(_, t)| scan_chunk_typed(t, names, tys, &intern))
                .collect();
            let mut interned = vec![(0, 0); width];
            for r in results {
                match r {
                    Ok(part) => {
                        // Chunks end at line ends (but the file's last), so their line
                        // counts add up to the lines before the next chunk.
                        lines_before += part.lines;
                        for (sum, (lookups, hits)) in interned.iter_mut().zip(&part.interned) {
                            sum.0 += lookups;
                            sum.1 += hits;
                        }
                        for k in 0..width {
                            if first[k].is_none()
                                && let Some((r, at)) = part.first[k]
                            {
                                if tys[k].is_none() {
                                    return Ok(None);
                                }
                                first[k] = Some((rows.len() + r, at));
                            }
                        }
                        if rows.is_empty() {
                            rows = part.rows;
                        } else {
                            rows.extend(part.rows);
                        }
                    }
                    Err(bad) => {
                        failed = Some(Error::new(format!(
                            "{}:{}: {}",
                            path.display(),
                            lines_before + bad.line + 1,
                            bad.message
                        )));
                        break;
                    }
                }
            }
            for (on, &(lookups, hits)) in intern.iter_mut().zip(&interned) {
                if lookups >= INTERN_MAX && hits * 4 < lookups {
                    *on = false;
                }
            }
        }
        if eof {
            break;
        }
        buf.drain(..end);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    // Columns in the order the file first shows them; a column no row has is not one.
    // Rows hold the declared names' values, in `names` order.
    let declared: Vec<usize> = (0..width).filter(|&k| tys[k].is_some()).collect();
    let mut order: Vec<usize> = (0..declared.len())
        .filter(|&d| first[declared[d]].is_some())
        .collect();
    order.sort_by_key(|&d| first[declared[d]]);
    if order.iter().copied().ne(0..declared.len()) {
        for row in &mut rows {
            *row = order
                .iter()
                .map(|&d| std::mem::replace(&mut row[d], Value::Null))
                .collect();
        }
    }
    let cols = order
        .iter()
        .filter_map(|&d| Some(Col::new(names[declared[d]].as_str(), tys[declared[d]]?)))
        .collect();
    Ok(Some(Table { cols, rows }))
}

/// Splits `data` into about `n` pieces of whole lines: `(offset, text)`.
fn chunks(data: &str, n: usize) -> Vec<(usize, &str)> {
    let n = n.max(1);
    let target = data.len() / n + 1;
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < data.len() {
        let mut end = (start + target).min(data.len());
        if end < data.len() {
            end = match memchr::memchr(b'\n', &data.as_bytes()[end..]) {
                Some(p) => end + p + 1,
                None => data.len(),
            };
        }
        out.push((start, &data[start..end]));
        start = end;
    }
    out
}

/// How many chunks to cut a file of `len` bytes into.
fn chunk_count(len: usize) -> usize {
    if len < (1 << 20) {
        1
    } else {
        (rayon::current_num_threads() * 8).min(len >> 16).max(1)
    }
}

/// A bad line: the first in file order is reported, with its line number.
struct BadLine {
    /// Line index within the chunk (0-based).
    line: usize,
    message: String,
}

fn bad_line(data: &str, chunks: &[(usize, &str)], c: usize, bad: BadLine, path: &Path) -> Error {
    let before = memchr::memchr_iter(b'\n', &data.as_bytes()[..chunks[c].0]).count();
    Error::new(format!(
        "{}:{}: {}",
        path.display(),
        before + bad.line + 1,
        bad.message
    ))
}

fn parse_object(
    line: &str,
    n: usize,
) -> std::result::Result<serde_json::Map<String, Json>, BadLine> {
    match serde_json::from_str::<Json>(line) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(_) => Err(BadLine {
            line: n,
            message: "not a JSON object".into(),
        }),
        Err(e) => Err(BadLine {
            line: n,
            message: format!("not a JSON object: {e}"),
        }),
    }
}

/// One cell as read, before typing.
enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A JSON string without escapes, borrowed from the file.
    Str(&'a str),
    /// Anything else (escaped strings, other numbers, arrays, objects).
    Json(Json),
}

impl Cell<'_> {
    fn from_json(j: Json) -> Self {
        match j {
            Json::Null => Cell::Null,
            Json::Bool(b) => Cell::Bool(b),
            j => Cell::Json(j),
        }
    }

    /// The type [`infer`] gives this value alone (`None` for null).
    fn ty(&self) -> Option<Ty> {
        Some(match self {
            Cell::Null => return None,
            Cell::Bool(_) => Ty::Bool,
            Cell::Int(_) => Ty::Long,
            Cell::Str(s) => str_ty(s),
            Cell::Json(j) => return json_ty(j),
        })
    }
}

fn str_ty(s: &str) -> Ty {
    if crate::kql::time::parse(s).is_some() && s.len() >= 10 {
        Ty::DateTime
    } else {
        Ty::String
    }
}

fn json_ty(j: &Json) -> Option<Ty> {
    Some(match j {
        Json::Null => return None,
        Json::Bool(_) => Ty::Bool,
        Json::Number(n) if n.is_i64() => Ty::Long,
        Json::Number(_) => Ty::Real,
        Json::String(s) => str_ty(s),
        _ => Ty::Dynamic,
    })
}

/// The common type of two inferred types (associative, so chunks can be inferred apart).
fn merge_ty(a: Option<Ty>, t: Option<Ty>) -> Option<Ty> {
    let Some(t) = t else { return a };
    Some(match a {
        None => t,
        Some(a) if a == t => a,
        Some(Ty::Long) if t == Ty::Real => Ty::Real,
        Some(Ty::Real) if t == Ty::Long => Ty::Real,
        Some(Ty::DateTime) if t == Ty::String => Ty::String,
        Some(Ty::String) if t == Ty::DateTime => Ty::String,
        _ => Ty::Dynamic,
    })
}

/// Strings of one column shared while the column has few distinct values. Once the
/// table is full and most strings are new (hashes, ids), it stops looking them up.
/// In front of the map, a small direct-mapped cache of shared strings found by a cheap
/// hash of the length and the first and last eight bytes (a hit costs one compare).
struct Interner<'a> {
    map: foldhash::HashMap<&'a str, Arc<str>>,
    /// [`CACHE`] slots once the first string is looked up (empty before: an interner
    /// made for one value costs no allocation).
    cache: Vec<Option<Arc<str>>>,
    /// False: every string gets its own allocation (no lookups).
    enabled: bool,
    lookups: usize,
    hits: usize,
    misses: usize,
}

const INTERN_MAX: usize = 4096;

/// Slots of an [`Interner`]'s cache (a power of two).
const CACHE: usize = 64;

/// The cache slot of `s`.
#[inline]
fn cache_slot(s: &[u8]) -> usize {
    let n = s.len();
    let word = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let h = if n >= 8 {
        word(0) ^ word(n - 8).rotate_left(29)
    } else {
        s.iter()
            .enumerate()
            .fold(0u64, |h, (i, &c)| h | u64::from(c) << (8 * i))
    } ^ n as u64;
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - CACHE.trailing_zeros())) as usize
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        Interner {
            map: Default::default(),
            cache: Vec::new(),
            enabled: true,
            lookups: 0,
            hits: 0,
            misses: 0,
        }
    }

    fn get(&mut self, s: &'a str) -> Arc<str> {
        if !self.enabled || (self.misses > 4 * INTERN_MAX && self.hits < self.misses / 4) {
            return Arc::from(s);
        }
        self.lookups += 1;
        if self.cache.is_empty() {
            self.cache.resize(CACHE, None);
        }
        let slot = cache_slot(s.as_bytes());
        if let Some(a) = &self.cache[slot]
            && **a == *s
        {
            self.hits += 1;
            return a.clone();
        }
        // Only strings the map holds are cached, so hits and misses count as without
        // the cache.
        if let Some(a) = self.map.get(s) {
            self.hits += 1;
            self.cache[slot] = Some(a.clone());
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.map.len() < INTERN_MAX {
            self.map.insert(s, a.clone());
            self.cache[slot] = Some(a.clone());
        } else {
            self.misses += 1;
        }
        a
    }
}

/// A string cell as a value of column type `ty` (what `coerce(Value::str(s), ty)` gives,
/// without building the string value first where the type is not `string`).
fn str_value<'a>(s: &'a str, ty: Ty, strings: &mut Interner<'a>) -> Value {
    match ty {
        Ty::String => Value::Str(strings.get(s)),
        Ty::DateTime => crate::kql::time::parse(s)
            .or_else(|| super::eval::us_datetime(s))
            .map_or(Value::Null, Value::DateTime),
        _ => coerce(Value::str(s), ty),
    }
}

/// A cell as a value of column type `ty` (what [`raw_value`] gives, taking the cell).
fn cell_value<'a>(raw: Cell<'a>, ty: Ty, strings: &mut Interner<'a>) -> Value {
    match raw {
        Cell::Json(Json::String(s)) => match ty {
            Ty::String => Value::str(s),
            _ => str_value(&s, ty, &mut Interner::new()),
        },
        Cell::Json(j) => coerce(Value::dynamic(j).undyn(), ty),
        Cell::Str(s) => str_value(s, ty, strings),
        other => raw_value(&other, ty, &mut Interner::new()),
    }
}

fn raw_value<'a>(raw: &'a Cell<'a>, ty: Ty, strings: &mut Interner<'a>) -> Value {
    match raw {
        Cell::Null => Value::Null,
        Cell::Bool(b) => coerce(Value::Bool(*b), ty),
        Cell::Int(i) => coerce(Value::Long(*i), ty),
        Cell::Str(s) => str_value(s, ty, strings),
        Cell::Json(Json::String(s)) => str_value(s, ty, strings),
        Cell::Json(j) => coerce(Value::dynamic(j.clone()).undyn(), ty),
    }
}

/// What one chunk of lines gives: its cells column by column, and where each column was
/// first seen (row in the chunk, then place in the row).
struct ChunkCells<'a> {
    cols: Vec<Vec<Cell<'a>>>,
    first: Vec<Option<(usize, usize)>>,
    rows: usize,
    types: Vec<Option<Ty>>,
}

/// Where [`scan_lines`] puts what it reads.
trait Sink<'a> {
    /// Column `k` of the current row.
    fn cell(&mut self, k: usize, c: Cell<'a>);
    /// Whether column `k` is kept (a column that is not gets no `cell` call when the
    /// row lacks it).
    fn keeps(&self, _k: usize) -> bool {
        true
    }
    /// The current row is complete.
    fn row_end(&mut self) {}
}

/// Cells column by column.
struct CellCols<'a>(Vec<Vec<Cell<'a>>>);

impl<'a> Sink<'a> for CellCols<'a> {
    fn cell(&mut self, k: usize, c: Cell<'a>) {
        self.0[k].push(c);
    }
}

/// Rows of values typed as they are read (the declared columns only).
struct TypedRows<'a, 't> {
    /// Per column, whether to share its strings (see [`Interner`]).
    tys: &'t [Option<Ty>],
    width: usize,
    strings: Vec<Interner<'a>>,
    rows: Vec<Vec<Value>>,
    row: Vec<Value>,
}

impl<'a> Sink<'a> for TypedRows<'a, '_> {
    #[inline]
    fn keeps(&self, k: usize) -> bool {
        self.tys[k].is_some()
    }

    #[inline]
    fn cell(&mut self, k: usize, c: Cell<'a>) {
        if let Some(ty) = self.tys[k] {
            self.row.push(cell_value(c, ty, &mut self.strings[k]));
        }
    }

    fn row_end(&mut self) {
        let next = Vec::with_capacity(self.width);
        self.rows.push(std::mem::replace(&mut self.row, next));
    }
}

/// Walks the lines of one chunk through the scanner: for each row, `sink.cell(k, cell)`
/// for every column `k` of `names` in order, then `sink.row_end()`. Records in `first` where each
/// column was first seen (row in the chunk, then place in the row). Returns the row count
/// and the line count (blank lines included).
fn scan_lines<'a>(
    text: &'a str,
    names: &[String],
    first: &mut [Option<(usize, usize)>],
    sink: &mut impl Sink<'a>,
) -> std::result::Result<(usize, usize), BadLine> {
    let width = names.len();
    let mut scanner = LineScanner::new(names);
    let mut rows = 0;
    let mut lines = 0;
    for (n, line) in crate::telemetry::lines::lines(text).enumerate() {
        lines = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = rows;
        rows += 1;
        if let Some(spans) = scanner.scan(line) {
            let mut fresh_literal = false;
            for (k, span) in spans.iter().enumerate() {
                let cell = match *span {
                    Span::Missing => {
                        if sink.keeps(k) {
                            sink.cell(k, Cell::Null);
                        }
                        continue;
                    }
                    Span::Null => Cell::Null,
                    Span::True => Cell::Bool(true),
                    Span::False => Cell::Bool(false),
                    Span::Str(s, e) => Cell::Str(&line[s..e]),
                    Span::Int(s, e) => match line[s..e].parse::<i64>() {
                        Ok(i) => Cell::Int(i),
                        Err(_) => {
                            Cell::from_json(serde_json::from_str(&line[s..e]).unwrap_or(Json::Null))
                        }
                    },
                    Span::Other(s, e) | Span::EscStr(s, e) => {
                        match serde_json::from_str::<Json>(&line[s..e]) {
                            Ok(j) => Cell::from_json(j),
                            // The scanner checked the syntax; the reference decides.
                            Err(_) => {
                                let m = parse_object(line, n)?;
                                Cell::from_json(m.get(&names[k]).cloned().unwrap_or(Json::Null))
                            }
                        }
                    }
                };
                if first[k].is_none() {
                    match *span {
                        Span::Str(s, _)
                        | Span::Int(s, _)
                        | Span::Other(s, _)
                        | Span::EscStr(s, _) => first[k] = Some((row, s)),
                        _ => fresh_literal = true,
                    }
                }
                sink.cell(k, cell);
            }
            if fresh_literal {
                // A column first seen with a literal value (no place kept): the places
                // of this row's new columns from the reference's key order.
                let m = parse_object(line, n)?;
                for (p, key) in m.keys().enumerate() {
                    if let Some(k) = names.iter().position(|x| x == key)
                        && first[k].is_none_or(|(r, _)| r == row)
                    {
                        first[k] = Some((row, p));
                    }
                }
            }
        } else {
            let m = parse_object(line, n)?;
            for k in 0..width {
                match m.iter().enumerate().find(|(_, (key, _))| **key == names[k]) {
                    Some((p, (_, v))) => {
                        if first[k].is_none() {
                            first[k] = Some((row, p));
                        }
                        sink.cell(k, Cell::from_json(v.clone()));
                    }
                    None => sink.cell(k, Cell::Null),
                }
            }
        }
        sink.row_end();
    }
    Ok((rows, lines))
}

fn scan_chunk<'a>(
    text: &'a str,
    names: &[String],
    infer_cols: &[bool],
) -> std::result::Result<ChunkCells<'a>, BadLine> {
    let width = names.len();
    let mut first = vec![None; width];
    let mut sink = CellCols((0..width).map(|_| Vec::new()).collect());
    let (rows, _) = scan_lines(text, names, &mut first, &mut sink)?;
    let cols = sink.0;
    let mut types = vec![None; width];
    for k in 0..width {
        if infer_cols[k] {
            types[k] = cols[k].iter().fold(None, |a, r| merge_ty(a, r.ty()));
        }
    }
    Ok(ChunkCells {
        cols,
        first,
        rows,
        types,
    })
}

/// What one chunk of lines gives when every column's type is known beforehand: its rows
/// (values of the declared columns, in `names` order) and where each column was first
/// seen.
struct ChunkRows {
    rows: Vec<Vec<Value>>,
    first: Vec<Option<(usize, usize)>>,
    /// Per column, how many strings were looked up and how many were found shared.
    interned: Vec<(usize, usize)>,
    /// Lines in the chunk (blank ones included).
    lines: usize,
}

/// Like [`scan_chunk`], but typing each value as it is read (no cells kept).
fn scan_chunk_typed(
    text: &str,
    names: &[String],
    tys: &[Option<Ty>],
    intern: &[bool],
) -> std::result::Result<ChunkRows, BadLine> {
    let width = names.len();
    let declared = tys.iter().flatten().count();
    let mut first = vec![None; width];
    let mut sink = TypedRows {
        tys,
        width: declared,
        strings: intern
            .iter()
            .map(|&on| Interner {
                enabled: on,
                ..Interner::new()
            })
            .collect(),
        rows: Vec::with_capacity(text.len() / 128 + 1),
        row: Vec::with_capacity(declared),
    };
    let (_, lines) = scan_lines(text, names, &mut first, &mut sink)?;
    let interned = sink.strings.iter().map(|s| (s.lookups, s.hits)).collect();
    Ok(ChunkRows {
        rows: sink.rows,
        first,
        interned,
        lines,
    })
}

/// JSON lines, only the columns in `only`, through the scanner, in parallel chunks.
fn read_jsonl_columns(
    name: &str,
    data: &str,
    path: &Path,
    only: &BTreeSet<String>,
) -> Result<Table> {
    let names: Vec<String> = only.iter().cloned().collect();
    let known = crate::knowledge::tables::builtin().table(name);
    let declared: Vec<Option<Ty>> = names
        .iter()
        .map(|n| {
            known
                .and_then(|t| t.column(n))
                .and_then(|col| Ty::parse(col.ty.as_str()))
        })
        .collect();
    let infer_cols: Vec<bool> = declared.iter().map(Option::is_none).collect();
    let pieces = chunks(data, chunk_count(data.len()));
    let results: Vec<_> = pieces
        .par_iter()
        .map(|(_, text)| scan_chunk(text, &names, &infer_cols))
        .collect();
    let mut parts = Vec::with_capacity(results.len());
    for (c, r) in results.into_iter().enumerate() {
        match r {
            Ok(p) => parts.push(p),
            Err(bad) => return Err(bad_line(data, &pieces, c, bad, path)),
        }
    }
    // Columns in the order the file first shows them (as `objects_to_rows` orders keys);
    // a column no row has is not a column.
    let mut first: Vec<Option<(usize, usize, usize)>> = vec![None; names.len()];
    for (c, p) in parts.iter().enumerate() {
        for k in 0..names.len() {
            if first[k].is_none()
                && let Some((r, at)) = p.first[k]
            {
                first[k] = Some((c, r, at));
            }
        }
    }
    let mut order: Vec<usize> = (0..names.len()).filter(|&k| first[k].is_some()).collect();
    order.sort_by_key(|&k| first[k]);
    let cols: Vec<Col> = order
        .iter()
        .map(|&k| {
            let ty = declared[k].unwrap_or_else(|| {
                parts
                    .iter()
                    .fold(None, |a, p| merge_ty(a, p.types[k]))
                    .unwrap_or(Ty::String)
            });
            Col::new(names[k].as_str(), ty)
        })
        .collect();
    let tys: Vec<Ty> = cols.iter().map(|c| c.ty).collect();
    let row_parts: Vec<Vec<Vec<Value>>> = parts
        .par_iter()
        .map(|p| {
            let mut strings: Vec<Interner> = order.iter().map(|_| Interner::new()).collect();
            (0..p.rows)
                .map(|i| {
                    order
                        .iter()
                        .zip(&tys)
                        .zip(strings.iter_mut())
                        .map(|((&k, &ty), s)| raw_value(&p.cols[k][i], ty, s))
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut rows = Vec::with_capacity(row_parts.iter().map(Vec::len).sum());
    for part in row_parts {
        rows.extend(part);
    }
    Ok(Table { cols, rows })
}

type Raw = (Vec<String>, Vec<Vec<Json>>);

/// A table from JSON objects, one per row, typed as [`read_table`] types a file (a key
/// missing from a row is null).
pub fn from_objects(name: &str, objs: Vec<serde_json::Map<String, Json>>) -> Table {
    let (names, rows) = objects_to_rows(objs);
    typed(name, names, rows)
}

fn objects_to_rows(objs: Vec<serde_json::Map<String, Json>>) -> Raw {
    let mut names: Vec<String> = Vec::new();
    for m in &objs {
        for k in m.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let rows = objs
        .into_iter()
        .map(|m| {
            names
                .iter()
                .map(|k| m.get(k).cloned().unwrap_or(Json::Null))
                .collect()
        })
        .collect();
    (names, rows)
}

fn read_jsonl(data: &str, path: &Path) -> Result<Raw> {
    let pieces = chunks(data, chunk_count(data.len()));
    let results: Vec<_> = pieces
        .par_iter()
        .map(|(_, text)| {
            let mut objs = Vec::new();
            for (n, line) in crate::telemetry::lines::lines(text).enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                objs.push(parse_object(line, n)?);
            }
            Ok(objs)
        })
        .collect();
    let mut objs = Vec::new();
    for (c, r) in results.into_iter().enumerate() {
        match r {
            Ok(o) => objs.extend(o),
            Err(bad) => return Err(bad_line(data, &pieces, c, bad, path)),
        }
    }
    Ok(objects_to_rows(objs))
}

fn read_csv(data: &str, path: &Path) -> Result<Raw> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(data.as_bytes());
    let names: Vec<String> = r
        .headers()
        .map_err(|e| Error::new(format!("{}: {e}", path.display())))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        rows.push(rec.iter().map(csv_value).collect());
    }
    Ok((names, rows))
}

/// A CSV cell as the JSON value it stands for: empty is null, then integers, finite
/// numbers, `true`/`false`, else a string.
pub fn csv_value(s: &str) -> Json {
    if s.is_empty() {
        Json::Null
    } else if let Ok(i) = s.parse::<i64>() {
        Json::from(i)
    } else if let Some(f) = s.parse::<f64>().ok().filter(|f| f.is_finite()) {
        Json::from(f)
    } else if s == "true" || s == "false" {
        Json::Bool(s == "true")
    } else {
        Json::String(s.to_string())
    }
}

fn infer<'a>(values: impl Iterator<Item = &'a Json>) -> Ty {
    values
        .fold(None, |a, v| merge_ty(a, json_ty(v)))
        .unwrap_or(Ty::String)
}

/// A table from column names and rows of JSON values: types from rulecat's table
/// catalog for the columns it knows, else inferred from the values.
pub fn typed(name: &str, names: Vec<String>, rows: Vec<Vec<Json>>) -> Table {
    let known = crate::knowledge::tables::builtin().table(name);
    let cols: Vec<Col> = names
        .iter()
        .enumerate()
        .map(|(c, n)| {
            let ty = known
                .and_then(|t| t.column(n))
                .and_then(|col| Ty::parse(col.ty.as_str()))
                .unwrap_or_else(|| infer(rows.iter().map(|r| &r[c])));
            Col::new(n.as_str(), ty)
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            r.into_iter()
                .zip(&cols)
                .map(|(j, c)| {
                    let v = match j {
                        Json::String(s) => Value::str(s),
                        other => Value::dynamic(other).undyn(),
                    };
                    coerce(v, c.ty)
                })
                .collect()
        })
        .collect();
    Table { cols, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rulecat-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn dump(t: &Table) -> String {
        format!("{:?}\n{:?}", t.cols, t.rows)
    }

    /// Rows that exercise the scanner and its fallbacks: a literal first, keys in another
    /// order, escapes, floats, nested values, a missing key, nulls, a blank line.
    fn sample(i: usize) -> String {
        match i % 7 {
            0 => format!(
                r#"{{"Flag": true, "Name": "n{i}", "Time": "2025-11-01T00:00:{:02}Z", "N": {i}}}"#,
                i % 60
            ),
            1 => {
                format!(r#"{{"N": {i}, "Name": "esc\"aped {i}", "Time": "2025-11-02T10:00:00Z"}}"#)
            }
            2 => format!(r#"{{"Name": "n{i}", "N": 1.5, "Bag": {{"a": [1, 2]}}, "Flag": null}}"#),
            3 => format!(r#"{{"Name": "n{i}", "N": 123456789012345678901, "Time": null}}"#),
            4 => String::new(),
            5 => format!(
                r#"{{"Time": "2025-11-03T00:00:00Z", "Name": "\u00e9{i}", "N": -0, "Extra": "x"}}"#
            ),
            _ => format!(r#"{{"Name":"n{i}","N":{i},"Flag":false}}"#),
        }
    }

    #[test]
    fn interner_shares_equal_strings_and_keeps_distinct_ones_apart() {
        // Many strings (cache slots collide), short and long, each looked up three times
        // in an interleaved order: every answer equals the string asked for, and a string
        // asked for again is the same allocation.
        let texts: Vec<String> = (0..3000)
            .map(|i| match i % 3 {
                0 => format!("s{i}"),
                1 => format!("Remote Utilities LLC {i}"),
                _ => format!("{:040x}", i * 7919),
            })
            .collect();
        let mut strings = Interner::new();
        let mut first: Vec<Option<Arc<str>>> = vec![None; texts.len()];
        for round in 0..3 {
            for step in 0..texts.len() {
                let i = (step * 7 + round * 11) % texts.len();
                let a = strings.get(&texts[i]);
                assert_eq!(&*a, texts[i].as_str());
                match &first[i] {
                    Some(f) => assert!(Arc::ptr_eq(f, &a), "{}", texts[i]),
                    None => first[i] = Some(a),
                }
            }
        }
        assert_eq!(strings.hits, 2 * texts.len());
    }

    #[test]
    fn scanner_path_reads_what_the_reference_reads() {
        // Small (one chunk) and above 1 MiB (parallel chunks).
        for rows in [40, 30_000] {
            let text: String = (0..rows).map(|i| sample(i) + "\n").collect();
            let p = write(&format!("t{rows}.jsonl"), &text);
            let whole = read_table("T", &p).expect("reference");
            let all: BTreeSet<String> = ["Flag", "Name", "Time", "N", "Bag", "Extra"]
                .into_iter()
                .map(String::from)
                .collect();
            let fast = read_table_columns("T", &p, Some(&all)).expect("scanner");
            assert_eq!(dump(&fast), dump(&whole), "{rows} rows");
            assert_eq!(whole.rows.len(), (0..rows).filter(|i| i % 7 != 4).count());
            // A subset keeps the file's column order and the same values.
            let some: BTreeSet<String> = ["Time", "Flag", "Missing"]
                .into_iter()
                .map(String::from)
                .collect();
            let part = read_table_columns("T", &p, Some(&some)).expect("subset");
            assert_eq!(part.names(), vec!["Flag".to_string(), "Time".to_string()]);
            let (f, t) = (
                whole.col("Flag").expect("Flag"),
                whole.col("Time").expect("Time"),
            );
            let expect: Vec<Vec<Value>> = whole
                .rows
                .iter()
                .map(|r| vec![r[f].clone(), r[t].clone()])
                .collect();
            assert_eq!(format!("{:?}", part.rows), format!("{expect:?}"));
        }
    }

    /// Rows of a catalog table (every column typed beforehand): literals first, keys in
    /// another order, escapes, a real and a string in long columns, a bag in a string
    /// column, nulls, a missing key, blank lines, CRLF, a column the catalog does not
    /// declare (late in the larger file only).
    fn dpe_sample(i: usize) -> String {
        match i % 8 {
            0 => format!(
                r#"{{"IsInitiatingProcessRemoteSession": true, "FileName": "f{i}.exe", "Timestamp": "2025-11-01T00:00:{:02}Z", "ProcessId": {i}}}"#,
                i % 60
            ),
            1 => format!(
                r#"{{"ProcessId": {i}, "FileName": "esc\"aped {i}", "Timestamp": "2025-11-02T10:00:00.1234567Z", "FileSize": 1.5}}"#
            ),
            2 => format!(
                r#"{{"FileName": {{"a": [1, {i}]}}, "ProcessId": "12", "FileSize": null, "IsInitiatingProcessRemoteSession": false}}"#
            ),
            3 => format!(
                r#"{{"FileName": "\u00e9{i}", "ProcessId": 123456789012345678901, "Timestamp": null}}"#
            ),
            4 => String::new(),
            5 => "{\"Timestamp\": \"2025-11-03\", \"FileName\": \"svchost.exe\", \"ProcessId\": -0}\r"
                .to_string(),
            6 if i > 20_000 => format!(r#"{{"FileName": "late", "Custom": {i}}}"#),
            6 => format!(r#"{{"Timestamp": "not a time {i}", "FileName": "", "FileSize": {i}}}"#),
            _ => format!(
                r#"{{"FileName":"svchost.exe","ProcessId":{i},"IsInitiatingProcessRemoteSession":1}}"#
            ),
        }
    }

    #[test]
    fn typed_blocks_read_what_the_cell_path_reads() {
        let name = "DeviceProcessEvents";
        for rows in [40, 30_000] {
            let text: String = (0..rows).map(|i| dpe_sample(i) + "\n").collect();
            let p = write(&format!("dpe{rows}.jsonl"), &text);
            for cols in [
                &[
                    "Timestamp",
                    "FileName",
                    "ProcessId",
                    "FileSize",
                    "IsInitiatingProcessRemoteSession",
                    "DeviceId",
                    "count",
                ][..],
                &["ProcessId", "IsInitiatingProcessRemoteSession", "summarize"],
                &["FileName"],
                &["FileName", "Custom", "Timestamp"],
            ] {
                let only: BTreeSet<String> = cols.iter().map(|c| c.to_string()).collect();
                let names: Vec<String> = only.iter().cloned().collect();
                let tys = declared_types(name, &only).expect("declared");
                assert_eq!(tys.iter().any(Option::is_none), cols.len() > 1, "{cols:?}");
                let cells = read_jsonl_columns(name, &text, &p, &only).expect("cells");
                let blocks: &[usize] = if rows < 100 {
                    &[1, 100, BLOCK]
                } else {
                    &[4096, BLOCK]
                };
                for &block in blocks {
                    let typed = read_jsonl_blocks(&p, &names, &tys, block).expect("typed");
                    match typed {
                        Some(typed) => {
                            assert_eq!(dump(&typed), dump(&cells), "{rows} rows, {cols:?}, {block}")
                        }
                        // The file has an undeclared column: the cell path reads it.
                        None => assert!(rows > 20_000 && cols.contains(&"Custom"), "{cols:?}"),
                    }
                }
                let fast = read_table_columns(name, &p, Some(&only)).expect("fast");
                assert_eq!(dump(&fast), dump(&cells), "{rows} rows, {cols:?}");
            }
        }
        // A last line without a line end, and an empty file.
        let p = write(
            "dpe-end.jsonl",
            "{\"FileName\": \"a\"}\n{\"FileName\": \"b\"}",
        );
        let only: BTreeSet<String> = ["FileName".to_string()].into_iter().collect();
        let t = read_table_columns(name, &p, Some(&only)).expect("no line end");
        assert_eq!(format!("{:?}", t.rows), r#"[[Str("a")], [Str("b")]]"#);
        let p = write("dpe-empty.jsonl", "");
        let t = read_table_columns(name, &p, Some(&only)).expect("empty");
        assert!(t.cols.is_empty() && t.rows.is_empty());
    }

    #[test]
    fn typed_blocks_report_the_first_bad_line_and_non_utf8_first() {
        let name = "DeviceProcessEvents";
        let only: BTreeSet<String> = ["FileName".to_string()].into_iter().collect();
        let names: Vec<String> = only.iter().cloned().collect();
        let tys = declared_types(name, &only).expect("declared");
        let mut text: String = (0..30_000).map(|i| dpe_sample(i) + "\n").collect();
        text.push_str("{\"FileName\": \"x\"\n");
        text.push_str("[1]\n");
        let p = write("dpe-bad.jsonl", &text);
        for block in [4096, BLOCK] {
            let e = read_jsonl_blocks(&p, &names, &tys, block).expect_err("bad line");
            assert!(
                e.message.contains(":30001: not a JSON object"),
                "{block}: {}",
                e.message
            );
        }
        // Bytes that are not UTF-8 after the bad line: the file is reported as not text.
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"{\"FileName\": \"\xff\"}\n");
        let p = write("dpe-bad-utf8.jsonl", "");
        std::fs::write(&p, &bytes).expect("write");
        for block in [4096, BLOCK] {
            let e = read_jsonl_blocks(&p, &names, &tys, block).expect_err("not UTF-8");
            assert!(
                e.message.ends_with("stream did not contain valid UTF-8"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn a_bad_line_is_reported_with_its_line_number_in_any_chunk() {
        let mut text: String = (0..30_000).map(|i| sample(i) + "\n").collect();
        text.push_str("{\"Name\": \"x\"\n");
        let bad_line = 30_001;
        let p = write("bad.jsonl", &text);
        let only: BTreeSet<String> = ["Name".to_string()].into_iter().collect();
        for r in [
            read_table("T", &p),
            read_table_columns("T", &p, Some(&only)),
        ] {
            let e = r.expect_err("bad line");
            assert!(
                e.message
                    .contains(&format!(":{bad_line}: not a JSON object")),
                "{}",
                e.message
            );
        }
    }
}
