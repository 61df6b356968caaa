//! Reading telemetry: JSON lines and CSV, only the columns the rules need, every
//! malformed line counted and reported with its file and line.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Hits, MatchError, MatchOptions, Row, Stats, TableEngine, table_from_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    JsonLines,
    Csv,
}

impl InputFormat {
    pub fn of(path: &Path) -> Option<InputFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" => Some(InputFormat::JsonLines),
            "csv" => Some(InputFormat::Csv),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The line is not a JSON object / not a CSV record: skipped.
    BadRecord,
    /// A value has the wrong type for its column (a Timestamp that is not a datetime):
    /// skipped.
    WrongType,
    /// A column the rules need is missing: read as empty.
    MissingColumn,
    /// The row's table cannot be told: skipped.
    UnknownTable,
}

/// One problem in the telemetry, with its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: u64,
    pub kind: ProblemKind,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            crate::discover::display_path(&self.file),
            self.line,
            self.message
        )
    }
}

/// Extracts the needed columns of one JSON object into `cells` (borrowing where the
/// JSON has no escapes), and the row's `Type`/`$table` if present.
struct RowSeed<'s, 'a> {
    slots: &'s HashMap<String, usize>,
    cells: &'s mut Vec<Option<Cow<'a, str>>>,
    seen: &'s mut Vec<bool>,
    table: &'s mut Option<String>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for RowSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RowSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object (one row)")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if let Some(&slot) = self.slots.get(key.as_ref()) {
                let v: CellValue<'de> = map.next_value()?;
                self.cells[slot] = v.0;
                self.seen[slot] = true;
            } else if key == "Type" || key == "$table" {
                let v: CellValue<'de> = map.next_value()?;
                *self.table = v.0.map(Cow::into_owned);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A JSON value as the text the matcher compares (`None` for null).
struct CellValue<'de>(Option<Cow<'de, str>>);

impl<'de> serde::Deserialize<'de> for CellValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CellValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(CellValue(Some(Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                }))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = a.next_element::<serde_json::Value>()? {
                    items.push(v);
                }
                Ok(CellValue(Some(Cow::Owned(
                    serde_json::Value::Array(items).to_string(),
                ))))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut m = serde_json::Map::new();
                while let Some((k, v)) = a.next_entry::<String, serde_json::Value>()? {
                    m.insert(k, v);
                }
                Ok(CellValue(Some(Cow::Owned(
                    serde_json::Value::Object(m).to_string(),
                ))))
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks that typed cells parse; returns the first bad one.
fn check_types(engine: &TableEngine<'_>, cells: &[Option<Cow<'_, str>>]) -> Option<String> {
    for (slot, cell) in cells.iter().enumerate() {
        let Some(v) = cell.as_deref() else { continue };
        let ok = match engine.slot_kinds[slot] {
            super::Kind::Datetime => v.is_empty() || crate::time::parse(v).is_some(),
            super::Kind::Number => v.is_empty() || v.parse::<f64>().is_ok(),
            super::Kind::Bool => matches!(v, "" | "true" | "false" | "True" | "False" | "0" | "1"),
            _ => true,
        };
        if !ok {
            let kind = match engine.slot_kinds[slot] {
                super::Kind::Datetime => "a datetime",
                super::Kind::Number => "a number",
                _ => "a bool",
            };
            return Some(format!(
                "`{}` is not {kind}: `{}`",
                engine.slot_names[slot],
                truncate(v)
            ));
        }
    }
    None
}

fn truncate(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

fn progress_bar(path: &Path, opts: &MatchOptions) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let len = std::fs::metadata(path).ok()?.len();
    if !opts.progress || !std::io::stderr().is_terminal() || len < 8 * 1024 * 1024 {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .ok()?
        .progress_chars("=> "),
    );
    pb.set_message(crate::discover::display_path(path));
    Some(pb)
}

/// What reading one file feeds and counts, shared by the JSON-lines and CSV readers.
struct Reading<'r, 'b> {
    path: &'r Path,
    opts: &'r MatchOptions,
    engines: &'r mut BTreeMap<String, TableEngine<'b>>,
    hits: &'r mut Hits,
    stats: &'r mut Stats,
    problems: &'r mut Vec<Problem>,
    pb: Option<&'r indicatif::ProgressBar>,
}

/// Reads one file into the engines.
pub(super) fn read_file(
    path: &Path,
    opts: &MatchOptions,
    engines: &mut BTreeMap<String, TableEngine<'_>>,
    hits: &mut Hits,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> Result<(), MatchError> {
    let format = InputFormat::of(path).unwrap_or(InputFormat::JsonLines);
    let file = std::fs::File::open(path).map_err(|e| {
        MatchError(format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::discover::io_reason(&e)
        ))
    })?;
    let file_table = opts.table.clone().or_else(|| table_from_name(path));
    let pb = progress_bar(path, opts);
    let reading = Reading {
        path,
        opts,
        engines,
        hits,
        stats,
        problems,
        pb: pb.as_ref(),
    };
    let result = match format {
        InputFormat::JsonLines => read_jsonl(reading, file, file_table),
        InputFormat::Csv => read_csv(reading, file, file_table),
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    result
}

/// JSON lines: a block reader hands out lines; each line goes through [`fast::scan`], a
/// byte scanner that walks the top-level object once, validating it, and decodes only
/// the needed values. Anything it is not sure about (an escape in a key, a float or a
/// nested value in a needed column, a malformed line, ...) goes to the serde_json path
/// below, which is the reference: the scanner accepts a line only when serde_json would
/// accept it with the same cells, so every problem is reported by the same code as
/// before, with the same message.
fn read_jsonl(
    reading: Reading<'_, '_>,
    file: std::fs::File,
    file_table: Option<String>,
) -> Result<(), MatchError> {
    let Reading {
        path,
        opts,
        engines,
        hits,
        stats,
        problems,
        pb,
    } = reading;
    let mut reader = LineReader::new(file);
    let mut line_no = 0u64;
    // Needed-key indexes per table (built on first use) and the one for `Type`/`$table`.
    let mut key_indexes: HashMap<String, fast::KeyIndex> = HashMap::new();
    let table_keys = fast::KeyIndex::new(&[]);
    let mut table_spans: Vec<fast::Span> = Vec::new();
    let mut spans: Vec<fast::Span> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    // The cells vector is recycled from row to row (its lifetime is reset by `recycle`).
    let mut store: Vec<Option<Cow<'static, str>>> = Vec::new();
    loop {
        let raw = match reader.next_line() {
            Ok(Some(raw)) => raw,
            Ok(None) => break,
            Err(e) => {
                return Err(MatchError(format!("cannot read `{}`: {e}", path.display())));
            }
        };
        line_no += 1;
        stats.bytes_read += raw.len() as u64;
        if let Some(pb) = pb
            && line_no.is_multiple_of(65_536)
        {
            pb.set_position(stats.bytes_read);
        }
        let line = match std::str::from_utf8(raw) {
            Ok(s) => s.trim_end_matches(['\n', '\r']),
            Err(e) => {
                stats.rows_read += 1;
                stats.rows_malformed += 1;
                problems.push(Problem {
                    file: path.to_path_buf(),
                    line: line_no,
                    kind: ProblemKind::BadRecord,
                    message: format!(
                        "invalid UTF-8 at byte {} of the line; line skipped",
                        e.valid_up_to()
                    ),
                });
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        stats.rows_read += 1;
        // Which table? The file's, or the row's own `Type` column.
        let row_table: Cow<'_, str> = match &file_table {
            Some(t) => Cow::Borrowed(t.as_str()),
            None => match fast::row_table(line, &table_keys, &mut table_spans) {
                Some(Some(t)) => t,
                Some(None) => {
                    stats.rows_unknown_table += 1;
                    problems.push(unknown_table(path, line_no));
                    continue;
                }
                // The scanner is unsure: the reference.
                None => match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(v) => match v
                        .get("Type")
                        .or_else(|| v.get("$table"))
                        .and_then(|t| t.as_str())
                    {
                        Some(t) => Cow::Owned(t.to_string()),
                        None => {
                            stats.rows_unknown_table += 1;
                            problems.push(unknown_table(path, line_no));
                            continue;
                        }
                    },
                    Err(e) => {
                        stats.rows_malformed += 1;
                        problems.push(bad_json(path, line_no, &e));
                        continue;
                    }
                },
            },
        };
        let Some(engine) = engines.get_mut(row_table.as_ref()) else {
            stats.rows_other_tables += 1;
            continue;
        };
        if !key_indexes.contains_key(row_table.as_ref()) {
            key_indexes.insert(
                row_table.to_string(),
                fast::KeyIndex::new(&engine.slot_names),
            );
        }
        let keys = &key_indexes[row_table.as_ref()];
        let width = engine.slot_names.len();
        let mut cells = recycle(std::mem::take(&mut store));
        cells.resize(width, None);
        seen.clear();
        seen.resize(width, false);
        if !fast::scan_row(line, keys, &mut spans, &mut seen, &mut cells) {
            // The reference path, from scratch.
            cells.clear();
            cells.resize(width, None);
            seen.clear();
            seen.resize(width, false);
            if let Err(e) = slow_row(line, &engine.slots, &mut cells, &mut seen) {
                stats.rows_malformed += 1;
                problems.push(bad_json(path, line_no, &e));
                store = recycle(cells);
                continue;
            }
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            problems.push(Problem {
                file: path.to_path_buf(),
                line: line_no,
                kind: ProblemKind::MissingColumn,
                message: format!(
                    "column `{}` is missing; read as empty",
                    engine.slot_names[missing]
                ),
            });
        }
        if let Some(msg) = check_types(engine, &cells) {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line: line_no,
                kind: ProblemKind::WrongType,
                message: format!("{msg}; row skipped"),
            });
            store = recycle(cells);
            continue;
        }
        let row = Row { cells };
        engine.row(&row, hits, opts.now);
        store = recycle(row.cells);
    }
    Ok(())
}

/// The serde_json path (the reference): the needed columns of one line into `cells`.
fn slow_row<'a>(
    line: &'a str,
    slots: &HashMap<String, usize>,
    cells: &mut Vec<Option<Cow<'a, str>>>,
    seen: &mut Vec<bool>,
) -> Result<(), serde_json::Error> {
    let mut ignored_table = None;
    let mut de = serde_json::Deserializer::from_str(line);
    RowSeed {
        slots,
        cells,
        seen,
        table: &mut ignored_table,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
}

/// Empties a cells vector and gives it back with another lifetime, keeping its
/// allocation (an in-place `collect`), so rows do not allocate.
fn recycle<'x, 'y>(mut v: Vec<Option<Cow<'x, str>>>) -> Vec<Option<Cow<'y, str>>> {
    v.clear();
    v.into_iter().map(|_| None).collect()
}

fn unknown_table(path: &Path, line: u64) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line,
        kind: ProblemKind::UnknownTable,
        message: "the row's table is unknown: no `Type` column, and neither --table nor the file name names one; row skipped".into(),
    }
}

/// Hands out the lines of a file (each with its `\n`, the last one maybe without),
/// from one large buffer: no copy per line. Newlines are found with the `memchr`
/// searcher behind a one-byte Aho-Corasick automaton.
struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes from `start` known to hold no newline.
    scanned: usize,
    eof: bool,
    newline: aho_corasick::AhoCorasick,
}

impl<R: Read> LineReader<R> {
    fn new(inner: R) -> Self {
        Self::with_capacity(inner, 1 << 22)
    }

    fn with_capacity(inner: R, capacity: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            newline: aho_corasick::AhoCorasick::new(["\n"]).expect("one-byte automaton"),
        }
    }

    fn next_line(&mut self) -> std::io::Result<Option<&[u8]>> {
        loop {
            let from = self.start + self.scanned;
            if let Some(m) = self.newline.find(&self.buf[from..self.end]) {
                let s = self.start;
                let e = from + m.end();
                self.start = e;
                self.scanned = 0;
                return Ok(Some(&self.buf[s..e]));
            }
            self.scanned = self.end - self.start;
            if self.eof {
                if self.start < self.end {
                    let s = self.start;
                    self.start = self.end;
                    self.scanned = 0;
                    return Ok(Some(&self.buf[s..self.end]));
                }
                return Ok(None);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

fn bad_json(path: &Path, line: u64, e: &serde_json::Error) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line,
        kind: ProblemKind::BadRecord,
        message: format!("not a JSON object: {e}; line skipped"),
    }
}

fn read_csv(
    reading: Reading<'_, '_>,
    file: std::fs::File,
    file_table: Option<String>,
) -> Result<(), MatchError> {
    let Reading {
        path,
        opts,
        engines,
        hits,
        stats,
        problems,
        pb,
    } = reading;
    let counted = CountingReader {
        inner: file,
        count: 0,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(counted);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems.push(Problem {
                file: path.to_path_buf(),
                line: 1,
                kind: ProblemKind::BadRecord,
                message: format!("cannot read the CSV header: {e}; file skipped"),
            });
            return Ok(());
        }
    };
    let type_col = headers.iter().position(|h| h == "Type" || h == "$table");
    let mut record = csv::StringRecord::new();
    // Column positions per table, computed on first use.
    let mut positions: HashMap<String, Vec<Option<usize>>> = HashMap::new();
    // The cells vector is recycled from row to row, as in `read_jsonl`.
    let mut store: Vec<Option<Cow<'static, str>>> = Vec::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                stats.rows_read += 1;
                stats.rows_malformed += 1;
                let line = e.position().map_or(0, |p| p.line());
                problems.push(Problem {
                    file: path.to_path_buf(),
                    line,
                    kind: ProblemKind::BadRecord,
                    message: format!("not a CSV record: {e}; skipped"),
                });
                continue;
            }
        }
        stats.rows_read += 1;
        let line = record.position().map_or(0, |p| p.line());
        if let Some(pb) = pb
            && stats.rows_read.is_multiple_of(65_536)
        {
            pb.set_position(rdr.get_ref().count);
        }
        if record.len() != headers.len() {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                kind: ProblemKind::BadRecord,
                message: format!(
                    "{} fields where the header has {}; row skipped",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let table: &str = match (&file_table, type_col.and_then(|i| record.get(i))) {
            (Some(t), _) => t,
            (None, Some(t)) if !t.is_empty() => t,
            _ => {
                stats.rows_unknown_table += 1;
                problems.push(unknown_table(path, line));
                continue;
            }
        };
        let Some(engine) = engines.get_mut(table) else {
            stats.rows_other_tables += 1;
            continue;
        };
        if !positions.contains_key(table) {
            let p: Vec<Option<usize>> = engine
                .slot_names
                .iter()
                .map(|n| headers.iter().position(|h| h == n))
                .collect();
            for (i, found) in p.iter().enumerate() {
                if found.is_none() {
                    problems.push(Problem {
                        file: path.to_path_buf(),
                        line: 1,
                        kind: ProblemKind::MissingColumn,
                        message: format!(
                            "column `{}` is not in the header; read as empty in every row",
                            engine.slot_names[i]
                        ),
                    });
                }
            }
            positions.insert(table.to_string(), p);
        }
        let pos = &positions[table];
        // CSV cannot tell null from empty: an empty typed cell is null.
        let mut cells = recycle(std::mem::take(&mut store));
        cells.extend(pos.iter().enumerate().map(|(slot, p)| {
            let v = p.and_then(|i| record.get(i))?;
            if v.is_empty() && engine.slot_kinds[slot] != super::Kind::String {
                None
            } else {
                Some(Cow::Borrowed(v))
            }
        }));
        if let Some(msg) = check_types(engine, &cells) {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                kind: ProblemKind::WrongType,
                message: format!("{msg}; row skipped"),
            });
            store = recycle(cells);
            continue;
        }
        let row = Row { cells };
        engine.row(&row, hits, opts.now);
        store = recycle(row.cells);
    }
    stats.bytes_read += rdr.get_ref().count;
    Ok(())
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The fast JSON-lines path: a byte scanner over one line that walks the top-level
/// object once, checks its syntax, and notes where the needed values are.
///
/// Contract (checked by the property test below): when [`scan_row`] returns `true`,
/// serde_json would have accepted the line too and produced the same cells; when it is
/// not sure it returns `false` and the caller runs the serde_json path. It is stricter
/// than JSON on purpose: escapes in keys, `\u` escapes of surrogates, numbers with an
/// exponent or longer than 20 bytes, nesting deeper than 100 and duplicate needed keys
/// all go to the reference path.
mod fast {
    use std::borrow::Cow;

    use serde::Deserialize;

    use super::CellValue;

    /// Where a needed value is, as byte offsets into the line.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Span {
        Missing,
        Null,
        True,
        False,
        /// A string without escapes: the text between the quotes.
        Str(usize, usize),
        /// An integer that prints back as itself (`-?(0|[1-9][0-9]*)`, at most 18
        /// digits, not `-0`).
        Int(usize, usize),
        /// A string with escapes (quotes included), another number, an array or an
        /// object: decoded by serde_json, exactly as the reference path would.
        Other(usize, usize),
        /// Same as `Other` but known to be a JSON string.
        EscStr(usize, usize),
    }

    /// The needed keys of one table, bucketed by length; `Type` and `$table` come after
    /// the slots (their values are validated like needed values, as the reference does).
    pub(super) struct KeyIndex {
        by_len: Vec<Vec<(Box<[u8]>, usize)>>,
        /// Number of slots; `Type` is target `width`, `$table` is `width + 1` unless
        /// they are slots themselves.
        width: usize,
        type_target: usize,
        dollar_target: usize,
    }

    impl KeyIndex {
        pub(super) fn new(slot_names: &[String]) -> KeyIndex {
            let width = slot_names.len();
            let mut by_len: Vec<Vec<(Box<[u8]>, usize)>> = Vec::new();
            let mut add = |name: &str, target: usize| {
                let b = name.as_bytes();
                if by_len.len() <= b.len() {
                    by_len.resize_with(b.len() + 1, Vec::new);
                }
                by_len[b.len()].push((b.into(), target));
            };
            for (slot, name) in slot_names.iter().enumerate() {
                add(name, slot);
            }
            let type_target = slot_names
                .iter()
                .position(|n| n == "Type")
                .unwrap_or_else(|| {
                    add("Type", width);
                    width
                });
            let dollar_target = slot_names
                .iter()
                .position(|n| n == "$table")
                .unwrap_or_else(|| {
                    add("$table", width + 1);
                    width + 1
                });
            KeyIndex {
                by_len,
                width,
                type_target,
                dollar_target,
            }
        }

        #[inline]
        fn get(&self, key: &[u8]) -> Option<usize> {
            self.by_len
                .get(key.len())?
                .iter()
                .find(|(k, _)| **k == *key)
                .map(|&(_, t)| t)
        }
    }

    /// Scans one line with the engine's keys into `cells` / `seen`; `false` = not sure.
    pub(super) fn scan_row<'a>(
        line: &'a str,
        keys: &KeyIndex,
        spans: &mut Vec<Span>,
        seen: &mut [bool],
        cells: &mut [Option<Cow<'a, str>>],
    ) -> bool {
        spans.clear();
        spans.resize(keys.width + 2, Span::Missing);
        if scan(line.as_bytes(), keys, spans).is_none() {
            return false;
        }
        for (target, &span) in spans.iter().enumerate() {
            let cell = match span {
                Span::Missing => continue,
                Span::Null => None,
                Span::True => Some(Cow::Borrowed("true")),
                Span::False => Some(Cow::Borrowed("false")),
                Span::Str(s, e) | Span::Int(s, e) => Some(Cow::Borrowed(&line[s..e])),
                Span::Other(s, e) | Span::EscStr(s, e) => {
                    let mut de = serde_json::Deserializer::from_str(&line[s..e]);
                    match CellValue::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
                        Ok(v) => v.0,
                        Err(_) => return false,
                    }
                }
            };
            if target < keys.width {
                cells[target] = cell;
                seen[target] = true;
            }
        }
        true
    }

    /// The row's table from `Type` / `$table`, as `v.get("Type").or_else(|| v.get("$table"))
    /// .and_then(as_str)` on the parsed line: `None` = not sure, `Some(None)` = no table.
    pub(super) fn row_table<'a>(
        line: &'a str,
        keys: &KeyIndex,
        spans: &mut Vec<Span>,
    ) -> Option<Option<Cow<'a, str>>> {
        spans.clear();
        spans.resize(keys.width + 2, Span::Missing);
        scan(line.as_bytes(), keys, spans)?;
        let span = match spans[keys.type_target] {
            Span::Missing => spans[keys.dollar_target],
            s => s,
        };
        Some(match span {
            Span::Str(s, e) => Some(Cow::Borrowed(&line[s..e])),
            Span::EscStr(s, e) => Some(Cow::Owned(
                serde_json::from_str::<String>(&line[s..e]).ok()?,
            )),
            // Validate what the reference would have parsed, then: not a string.
            Span::Other(s, e) => {
                serde_json::from_str::<serde_json::Value>(&line[s..e]).ok()?;
                None
            }
            _ => None,
        })
    }

    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;

    /// The first byte at or after `i` that is `"`, `\` or a control character (< 0x20),
    /// or `b.len()`: sixteen bytes at a time with SSE2 (part of the x86-64 baseline),
    /// eight at a time (SWAR) elsewhere and for the tail.
    #[inline]
    fn find_special(b: &[u8], mut i: usize) -> usize {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline, so the intrinsics are available;
        // the only memory access is the unaligned 16-byte load at `i`, and
        // `i + 16 <= b.len()` keeps it inside `b`.
        unsafe {
            use std::arch::x86_64::*;
            let quote = _mm_set1_epi8(b'"' as i8);
            let backslash = _mm_set1_epi8(b'\\' as i8);
            let below = _mm_set1_epi8(0x1f);
            while i + 16 <= b.len() {
                let x = _mm_loadu_si128(b.as_ptr().add(i).cast::<__m128i>());
                let m = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                    // x <= 0x1f (unsigned) <=> max(x, 0x1f) == 0x1f
                    _mm_cmpeq_epi8(_mm_max_epu8(x, below), below),
                );
                let mask = _mm_movemask_epi8(m) as u32;
                if mask != 0 {
                    return i + mask.trailing_zeros() as usize;
                }
                i += 16;
            }
        }
        while i + 8 <= b.len() {
            let x = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let q = x ^ (LO * u64::from(b'"'));
            let s = x ^ (LO * u64::from(b'\\'));
            // The lowest flagged byte of a word is always a true match (borrows only
            // run upwards from a true match).
            let m = ((q.wrapping_sub(LO) & !q)
                | (s.wrapping_sub(LO) & !s)
                | (x.wrapping_sub(LO * 0x20) & !x))
                & HI;
            if m != 0 {
                return i + (m.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while i < b.len() && !matches!(b[i], b'"' | b'\\' | 0..=0x1f) {
            i += 1;
        }
        i
    }

    #[inline]
    fn ws(b: &[u8], mut i: usize) -> usize {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        i
    }

    /// Walks the top-level object, filling `spans`; `None` = not sure.
    fn scan(b: &[u8], keys: &KeyIndex, spans: &mut [Span]) -> Option<()> {
        let mut i = ws(b, 0);
        if b.get(i) != Some(&b'{') {
            return None;
        }
        i = ws(b, i + 1);
        if b.get(i) == Some(&b'}') {
            i += 1;
        } else {
            loop {
                if b.get(i) != Some(&b'"') {
                    return None;
                }
                let ks = i + 1;
                let ke = find_special(b, ks);
                if b.get(ke) != Some(&b'"') {
                    return None; // an escape or a control character in the key, or EOF
                }
                i = ws(b, ke + 1);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = ws(b, i + 1);
                match keys.get(&b[ks..ke]) {
                    Some(target) => {
                        if spans[target] != Span::Missing {
                            return None; // a duplicate: the reference decides
                        }
                        let (span, end) = value(b, i)?;
                        spans[target] = span;
                        i = end;
                    }
                    None => i = skip_value(b, i, 1)?,
                }
                i = ws(b, i);
                match b.get(i) {
                    Some(b',') => i = ws(b, i + 1),
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        (ws(b, i) == b.len()).then_some(())
    }

    /// A needed value at `i` (no whitespace before it): its span and end.
    fn value(b: &[u8], i: usize) -> Option<(Span, usize)> {
        match *b.get(i)? {
            b'"' => {
                let e = find_special(b, i + 1);
                if b.get(e) == Some(&b'"') {
                    Some((Span::Str(i + 1, e), e + 1))
                } else {
                    let end = skip_str(b, i)?;
                    Some((Span::EscStr(i, end), end))
                }
            }
            b'-' | b'0'..=b'9' => {
                let (end, simple) = number(b, i)?;
                let span = if simple {
                    Span::Int(i, end)
                } else {
                    Span::Other(i, end)
                };
                Some((span, end))
            }
            b'{' | b'[' => {
                let end = skip_value(b, i, 1)?;
                Some((Span::Other(i, end), end))
            }
            b't' => lit(b, i, b"true").map(|e| (Span::True, e)),
            b'f' => lit(b, i, b"false").map(|e| (Span::False, e)),
            b'n' => lit(b, i, b"null").map(|e| (Span::Null, e)),
            _ => None,
        }
    }

    #[inline]
    fn lit(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
        b[i..].starts_with(word).then_some(i + word.len())
    }

    /// A JSON string starting at the quote at `i`: the index after its closing quote.
    #[inline]
    fn skip_str(b: &[u8], i: usize) -> Option<usize> {
        let mut j = i + 1;
        loop {
            j = find_special(b, j);
            match *b.get(j)? {
                b'"' => return Some(j + 1),
                b'\\' => match *b.get(j + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => j += 2,
                    b'u' => {
                        let hex = b.get(j + 2..j + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        // Surrogates: the reference decides (lone ones are errors when
                        // a string is decoded, not when it is skipped).
                        if matches!(hex[0], b'd' | b'D')
                            && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                        {
                            return None;
                        }
                        j += 6;
                    }
                    _ => return None,
                },
                _ => return None, // a control character
            }
        }
    }

    /// A JSON number at `i`: its end, and whether it is a simple integer. Exponents and
    /// numbers longer than 20 bytes are left to the reference (out-of-range checks).
    fn number(b: &[u8], i: usize) -> Option<(usize, bool)> {
        let mut j = i;
        if b[j] == b'-' {
            j += 1;
        }
        let digits = j;
        match *b.get(j)? {
            b'0' => j += 1,
            b'1'..=b'9' => {
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
            }
            _ => return None,
        }
        let int_end = j;
        if b.get(j) == Some(&b'.') {
            j += 1;
            let f = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j == f {
                return None;
            }
        }
        if matches!(b.get(j), Some(b'e' | b'E')) || j - i > 20 {
            return None;
        }
        let simple = j == int_end && int_end - digits <= 18 && &b[i..j] != b"-0";
        Some((j, simple))
    }

    /// Skips any JSON value at `i` (no whitespace before it); `None` = not sure.
    fn skip_value(b: &[u8], i: usize, depth: usize) -> Option<usize> {
        match *b.get(i)? {
            b'"' => skip_str(b, i),
            b'-' | b'0'..=b'9' => number(b, i).map(|(e, _)| e),
            b't' => lit(b, i, b"true"),
            b'f' => lit(b, i, b"false"),
            b'n' => lit(b, i, b"null"),
            open @ (b'{' | b'[') => {
                if depth > 100 {
                    return None;
                }
                let close = if open == b'{' { b'}' } else { b']' };
                let mut j = ws(b, i + 1);
                if b.get(j) == Some(&close) {
                    return Some(j + 1);
                }
                loop {
                    if open == b'{' {
                        if b.get(j) != Some(&b'"') {
                            return None;
                        }
                        j = ws(b, skip_str(b, j)?);
                        if b.get(j) != Some(&b':') {
                            return None;
                        }
                        j = ws(b, j + 1);
                    }
                    j = ws(b, skip_value(b, j, depth + 1)?);
                    match *b.get(j)? {
                        b',' => j = ws(b, j + 1),
                        c if c == close => return Some(j + 1),
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'x>(&mut self, items: &[&'x str]) -> &'x str {
            items[self.below(items.len())]
        }
        fn chance(&mut self, percent: usize) -> bool {
            self.below(100) < percent
        }
    }

    const KEYS: &[&str] = &[
        "Timestamp",
        "RemoteUrl",
        "DeviceId",
        "ReportId",
        "Flag",
        "Dyn",
        "Type",
        "$table",
        "Other",
        "InitiatingProcessCommandLine",
        "Remote\\u0055rl",
        "Time\\\"stamp",
        "Dévice",
        "😀",
        "",
    ];

    const STRING_PIECES: &[&str] = &[
        "assist.zoho.com",
        "Zoho Assist",
        " ",
        "é",
        "😀",
        "\\n",
        "\\\"",
        "\\\\",
        "\\/",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\udc00x",
        "\\uD83D\\uDE00",
        "\\u12",
        "\\x",
        "\t",
        "\u{1}",
        "2026-11-25T10:00:00Z",
        "C:\\\\Windows\\\\System32",
        "DeviceNetworkEvents",
        "{\\\"a\\\":1}",
        "\u{7f}",
        "\u{a0}",
    ];

    const NUMBERS: &[&str] = &[
        "0",
        "-0",
        "7",
        "-12",
        "1234567890",
        "123456789012345678",
        "1234567890123456789",
        "18446744073709551616",
        "-9223372036854775809",
        "1.5",
        "-0.25",
        "1e5",
        "1E-3",
        "2.5e+3",
        "1e400",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "00",
        "12345678901234567890.5",
    ];

    fn gen_string(r: &mut Rng) -> String {
        let mut s = String::from("\"");
        for _ in 0..r.below(5) {
            s.push_str(r.pick(STRING_PIECES));
        }
        if !r.chance(2) {
            s.push('"');
        }
        s
    }

    fn ws(r: &mut Rng) -> &'static str {
        if r.chance(85) {
            ""
        } else {
            ["", " ", "\t", "\r\n ", "  "][r.below(5)]
        }
    }

    fn gen_value(r: &mut Rng, depth: usize) -> String {
        match r.below(if depth > 3 { 7 } else { 9 }) {
            0..=2 => gen_string(r),
            3 => r.pick(NUMBERS).to_string(),
            4 => r
                .pick(&["true", "false", "null", "nul", "True", "nulll"])
                .to_string(),
            5 | 6 => {
                if r.chance(50) {
                    r.pick(NUMBERS).to_string()
                } else {
                    gen_string(r)
                }
            }
            7 => {
                let n = r.below(4);
                let items: Vec<String> = (0..n)
                    .map(|_| format!("{}{}{}", ws(r), gen_value(r, depth + 1), ws(r)))
                    .collect();
                let tail = if n > 0 && r.chance(3) { "," } else { "" };
                format!("[{}{tail}]", items.join(","))
            }
            _ => {
                let n = r.below(4);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        format!(
                            "{}\"{}\"{}:{}{}",
                            ws(r),
                            r.pick(KEYS),
                            ws(r),
                            ws(r),
                            gen_value(r, depth + 1)
                        )
                    })
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }

    fn gen_line(r: &mut Rng) -> String {
        let n = r.below(9);
        let mut members = Vec::new();
        for _ in 0..n {
            let key = r.pick(KEYS);
            let value = match key {
                "Timestamp" if r.chance(60) => format!("\"2026-11-2{}T00:00:00Z\"", r.below(9)),
                "Type" | "$table" if r.chance(60) => r
                    .pick(&["\"DeviceNetworkEvents\"", "\"Device\\u004eetworkEvents\""])
                    .to_string(),
                _ => gen_value(r, 1),
            };
            members.push(format!(
                "{}\"{key}\"{}:{}{value}{}",
                ws(r),
                ws(r),
                ws(r),
                ws(r)
            ));
        }
        let mut line = format!("{}{{{}}}{}", ws(r), members.join(","), ws(r));
        // Damage some lines.
        match r.below(40) {
            0 => line.push_str(" x"),
            1 => line = line.replacen(':', "", 1),
            2 => line = line.replacen(',', ",,", 1),
            3 => {
                let mut cut = r.below(line.len() + 1);
                while !line.is_char_boundary(cut) {
                    cut -= 1;
                }
                line.truncate(cut);
            }
            4 => line = format!("[{line}]"),
            5 => line = line.replacen('}', ",}", 1),
            6 => line = "{}".into(),
            7 => line = line.replacen("\"", "'", 1),
            _ => {}
        }
        line
    }

    fn slots(names: &[&str]) -> (HashMap<String, usize>, Vec<String>) {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let map = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        (map, names)
    }

    /// The fast scanner against the serde_json reference on random rows: whenever the
    /// scanner accepts a row, the reference accepts it with the same cells and the same
    /// seen columns; and it accepts most well-formed rows.
    #[test]
    fn fast_scanner_agrees_with_serde_json() {
        let layouts: [&[&str]; 3] = [
            &[
                "Timestamp",
                "RemoteUrl",
                "DeviceId",
                "ReportId",
                "Flag",
                "Dyn",
            ],
            &["RemoteUrl", "Type", "Other"],
            &["$table", "😀", "Dévice", ""],
        ];
        let mut r = Rng(42);
        let (mut fast_ok, mut slow_ok, mut total) = (0, 0, 0);
        let mut spans = Vec::new();
        for layout in layouts {
            let (map, names) = slots(layout);
            let keys = fast::KeyIndex::new(&names);
            for _ in 0..40_000 {
                let line = gen_line(&mut r);
                total += 1;
                let w = names.len();
                let mut slow_cells: Vec<Option<Cow<'_, str>>> = vec![None; w];
                let mut slow_seen = vec![false; w];
                let slow = slow_row(&line, &map, &mut slow_cells, &mut slow_seen);
                let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; w];
                let mut seen = vec![false; w];
                let fast = fast::scan_row(&line, &keys, &mut spans, &mut seen, &mut cells);
                if slow.is_ok() {
                    slow_ok += 1;
                }
                if fast {
                    fast_ok += 1;
                    assert!(slow.is_ok(), "fast accepted, serde_json rejected: {line}");
                    assert_eq!(cells, slow_cells, "cells differ: {line}");
                    assert_eq!(seen, slow_seen, "seen differs: {line}");
                }
            }
        }
        eprintln!("scan_row: {slow_ok} of {total} rows valid, {fast_ok} through the fast path");
        // The generator must exercise both paths.
        assert!(slow_ok > total / 4, "{slow_ok} of {total} rows valid");
        assert!(
            fast_ok * 10 > slow_ok * 6,
            "fast path took {fast_ok} of {slow_ok}"
        );
        assert!(fast_ok < slow_ok, "no row fell back");
    }

    /// The table of a row (`Type`, else `$table`) against the serde_json `Value` reference.
    #[test]
    fn fast_row_table_agrees_with_serde_json() {
        let mut r = Rng(7);
        let keys = fast::KeyIndex::new(&[]);
        let mut spans = Vec::new();
        let (mut agreed, mut valid) = (0, 0);
        for _ in 0..60_000 {
            let line = gen_line(&mut r);
            let reference = serde_json::from_str::<serde_json::Value>(&line).map(|v| {
                v.get("Type")
                    .or_else(|| v.get("$table"))
                    .and_then(|t| t.as_str())
                    .map(str::to_string)
            });
            valid += usize::from(reference.is_ok());
            if let Some(got) = fast::row_table(&line, &keys, &mut spans) {
                agreed += 1;
                match &reference {
                    Ok(want) => assert_eq!(got.as_deref(), want.as_deref(), "{line}"),
                    Err(e) => panic!("fast accepted, serde_json rejected ({e}): {line}"),
                }
            }
        }
        eprintln!("row_table: fast path took {agreed} of {valid} valid rows");
        assert!(
            agreed * 2 > valid,
            "fast path took {agreed} of {valid} valid rows"
        );
    }

    /// Generated-looking rows go through the fast path.
    #[test]
    fn fast_scanner_takes_defender_rows() {
        let line = r#"{"Timestamp":"2026-11-20T00:28:21.6428164Z","DeviceId":"084aff","RemotePort":53,"RemoteUrl":"assist.zoho.com","InitiatingProcessCommandLine":"\"C:\\Windows\\System32\\svchost.exe\" -k NetworkService","ReportId":1,"IsInitiatingProcessRemoteSession":false,"AdditionalFields":{"a":[1,2.5,null,{"b":"\u00e9"}]},"Type":"DeviceNetworkEvents"}"#;
        let (_, names) = slots(&["Timestamp", "RemoteUrl", "ReportId", "Missing"]);
        let keys = fast::KeyIndex::new(&names);
        let mut cells = vec![None; 4];
        let mut seen = vec![false; 4];
        assert!(fast::scan_row(
            line,
            &keys,
            &mut Vec::new(),
            &mut seen,
            &mut cells
        ));
        assert_eq!(seen, [true, true, true, false]);
        assert_eq!(cells[1].as_deref(), Some("assist.zoho.com"));
        assert!(matches!(cells[1], Some(Cow::Borrowed(_))));
        assert_eq!(cells[2].as_deref(), Some("1"));
    }

    /// Lines across buffer refills, longer than the buffer, CRLF, no final newline.
    #[test]
    fn line_reader_splits_lines() {
        let text = b"a\r\n\nbbbbbbbbbbbbbbbbbbbbbbbb\nccc\n\n d";
        for cap in [1, 2, 3, 5, 8, 64] {
            let mut rd = LineReader::with_capacity(&text[..], cap);
            let mut got = Vec::new();
            while let Some(l) = rd.next_line().unwrap() {
                got.push(String::from_utf8(l.to_vec()).unwrap());
            }
            assert_eq!(
                got,
                [
                    "a\r\n",
                    "\n",
                    "bbbbbbbbbbbbbbbbbbbbbbbb\n",
                    "ccc\n",
                    "\n",
                    " d"
                ],
                "capacity {cap}"
            );
        }
        let mut rd = LineReader::with_capacity(&b""[..], 4);
        assert!(rd.next_line().unwrap().is_none());
    }

    #[test]
    fn recycle_keeps_the_allocation() {
        let mut v: Vec<Option<Cow<'_, str>>> = Vec::with_capacity(64);
        v.push(Some(Cow::Borrowed("x")));
        let cap = v.capacity();
        let w: Vec<Option<Cow<'static, str>>> = recycle(v);
        assert!(w.is_empty());
        assert_eq!(w.capacity(), cap);
    }
}
