//! Reading telemetry: JSON lines and CSV, only the columns the rules need, every
//! malformed line counted and reported with its file and line.

use crate::telemetry::scan::{self, CellValue};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{Hits, MatchError, MatchOptions, Row, Stats, TableEngine, table_from_name};

mod csv;
mod csv_split;
mod jsonl;
mod lines;
#[cfg(test)]
mod testrng;
#[cfg(test)]
mod tests;

use csv::read_csv;
use jsonl::read_jsonl;

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
            crate::loading::discover::display_path(&self.file),
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

/// Checks that typed cells parse, with the datetime parser given (the engine keeps what
/// it parses); returns the first bad one.
pub(super) fn check_types_with(
    engine: &TableEngine<'_>,
    cells: &[Option<Cow<'_, str>>],
    mut datetime: impl FnMut(usize, &str) -> Option<i64>,
) -> Option<String> {
    for (slot, cell) in cells.iter().enumerate() {
        let Some(v) = cell.as_deref() else { continue };
        let ok = match engine.slot_kinds[slot] {
            super::Kind::Datetime => v.is_empty() || datetime(slot, v).is_some(),
            super::Kind::Number => v.is_empty() || plain_int(v) || v.parse::<f64>().is_ok(),
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

/// `-?[0-9]{1,18}`: parses as an `f64` (the usual number cell), known without parsing.
fn plain_int(v: &str) -> bool {
    let d = v.strip_prefix('-').unwrap_or(v).as_bytes();
    !d.is_empty() && d.len() <= 18 && d.iter().all(u8::is_ascii_digit)
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
    pb.set_message(crate::loading::discover::display_path(path));
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
    named: &BTreeSet<String>,
    engines: &mut BTreeMap<String, TableEngine<'_>>,
    hits: &mut Hits,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> Result<(), MatchError> {
    if path.as_os_str() == "-" {
        return read_stdin(opts, engines, hits, stats, problems);
    }
    let format = InputFormat::of(path).unwrap_or(InputFormat::JsonLines);
    let file = std::fs::File::open(path).map_err(|e| {
        MatchError(format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::loading::discover::io_reason(&e)
        ))
    })?;
    let file_table = opts.table.clone().or_else(|| table_from_name(path, named));
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

/// Reads standard input (`rulecat match -`): JSON lines when its first non-blank byte is
/// `{`, else CSV. Its table is `--table` or each row's `Type` column.
fn read_stdin(
    opts: &MatchOptions,
    engines: &mut BTreeMap<String, TableEngine<'_>>,
    hits: &mut Hits,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> Result<(), MatchError> {
    use std::io::BufRead;
    let mut input = std::io::BufReader::with_capacity(1 << 20, std::io::stdin().lock());
    let first = loop {
        let buf = input
            .fill_buf()
            .map_err(|e| MatchError(format!("cannot read standard input: {e}")))?;
        if buf.is_empty() {
            break None;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => break Some(buf[i]),
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    let path = Path::new("-");
    let reading = Reading {
        path,
        opts,
        engines,
        hits,
        stats,
        problems,
        pb: None,
    };
    match first {
        None => Ok(()),
        Some(b'{') => read_jsonl(reading, input, opts.table.clone()),
        Some(_) => read_csv(reading, input, opts.table.clone()),
    }
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

fn bad_json(path: &Path, line: u64, e: &serde_json::Error) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line,
        kind: ProblemKind::BadRecord,
        message: format!("not a JSON object: {e}; line skipped"),
    }
}

/// Hooks for the fuzz targets in `fuzz/` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    use std::borrow::Cow;
    use std::collections::HashMap;

    use super::{csv::agree, jsonl::slow_row, scan};

    /// Runs the fast JSON-lines scanner and the serde_json reference over every line of
    /// `data` (one key index for all of them, so row shapes are learned, followed and
    /// left, on both SIMD paths) and panics when the scanner accepts a line the
    /// reference rejects or reads other cells.
    pub fn jsonl_agrees(data: &[u8]) {
        let names: Vec<String> = ["Timestamp", "RemoteUrl", "DeviceId", "ReportId", "Type"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let slots: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        for avx2 in [true, false] {
            let mut keys = scan::KeyIndex::new(&names);
            if !avx2 {
                keys.disable_avx2();
            }
            let mut spans = Vec::new();
            for raw in data.split(|&c| c == b'\n') {
                if let Ok(line) = std::str::from_utf8(raw) {
                    check_line(line, &slots, &mut keys, &mut spans);
                }
            }
        }
    }

    /// Scans `line` with the fast scanner and the serde_json reference and panics when
    /// the scanner accepts what the reference rejects or reads other cells or columns;
    /// returns (the reference accepted, the scanner accepted).
    pub(super) fn check_line(
        line: &str,
        slots: &HashMap<String, usize>,
        keys: &mut scan::KeyIndex,
        spans: &mut Vec<scan::Span>,
    ) -> (bool, bool) {
        let w = slots.len();
        let mut want: Vec<Option<Cow<'_, str>>> = vec![None; w];
        let mut want_seen = vec![false; w];
        let reference = slow_row(line, slots, &mut want, &mut want_seen).is_ok();
        let mut got: Vec<Option<Cow<'_, str>>> = vec![None; w];
        let mut seen = vec![false; w];
        let fast = scan::scan_row(line, keys, spans, &mut seen, &mut got);
        if fast {
            assert!(reference, "scanner accepted, serde_json rejected: {line:?}");
            assert_eq!(got, want, "cells differ: {line:?}");
            assert_eq!(seen, want_seen, "seen differs: {line:?}");
        }
        (reference, fast)
    }

    /// Runs the fast CSV reader and the `csv` crate over `data` and panics when they see
    /// anything differently: the header, a record's fields or position, an error, or
    /// the bytes read. With a small buffer too, so records straddle refills.
    pub fn csv_agrees(data: &[u8]) {
        let want = agree::reference(data);
        for capacity in [1 << 20, 64] {
            let (got, _, _, read) = agree::fast(data, capacity);
            assert_eq!(got, want, "capacity {capacity}");
            if matches!(want.first(), Some(agree::Seen::Header(Ok(_)))) {
                assert_eq!(read, data.len() as u64, "bytes read, capacity {capacity}");
            }
        }
    }
}
