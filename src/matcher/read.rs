//! Reading telemetry: JSON lines and CSV, only the columns the rules need, every
//! malformed line counted and reported with its file and line.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
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
    let result = match format {
        InputFormat::JsonLines => read_jsonl(
            path,
            file,
            file_table,
            opts,
            engines,
            hits,
            stats,
            problems,
            pb.as_ref(),
        ),
        InputFormat::Csv => read_csv(
            path,
            file,
            file_table,
            opts,
            engines,
            hits,
            stats,
            problems,
            pb.as_ref(),
        ),
    };
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn read_jsonl(
    path: &Path,
    file: std::fs::File,
    file_table: Option<String>,
    opts: &MatchOptions,
    engines: &mut BTreeMap<String, TableEngine<'_>>,
    hits: &mut Hits,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
    pb: Option<&indicatif::ProgressBar>,
) -> Result<(), MatchError> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| MatchError(format!("cannot read `{}`: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        stats.bytes_read += n as u64;
        if let Some(pb) = pb
            && line_no.is_multiple_of(65_536)
        {
            pb.set_position(stats.bytes_read);
        }
        let line = match std::str::from_utf8(&buf) {
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
        let table = match &file_table {
            Some(t) => t.clone(),
            None => match serde_json::from_str::<serde_json::Value>(line) {
                Ok(v) => match v
                    .get("Type")
                    .or_else(|| v.get("$table"))
                    .and_then(|t| t.as_str())
                {
                    Some(t) => t.to_string(),
                    None => {
                        stats.rows_unknown_table += 1;
                        problems.push(Problem {
                                file: path.to_path_buf(),
                                line: line_no,
                                kind: ProblemKind::UnknownTable,
                                message: "the row's table is unknown: no `Type` column, and neither --table nor the file name names one; row skipped".into(),
                            });
                        continue;
                    }
                },
                Err(e) => {
                    stats.rows_malformed += 1;
                    problems.push(bad_json(path, line_no, &e));
                    continue;
                }
            },
        };
        let Some(engine) = engines.get_mut(&table) else {
            stats.rows_other_tables += 1;
            continue;
        };
        let width = engine.slot_names.len();
        let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; width];
        let mut seen = vec![false; width];
        let mut ignored_table = None;
        let mut de = serde_json::Deserializer::from_str(line);
        let parsed = RowSeed {
            slots: &engine.slots,
            cells: &mut cells,
            seen: &mut seen,
            table: &mut ignored_table,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Err(e) = parsed {
            stats.rows_malformed += 1;
            problems.push(bad_json(path, line_no, &e));
            continue;
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
            continue;
        }
        engine.row(&Row { cells }, hits, opts.now);
    }
    Ok(())
}

fn bad_json(path: &Path, line: u64, e: &serde_json::Error) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line,
        kind: ProblemKind::BadRecord,
        message: format!("not a JSON object: {e}; line skipped"),
    }
}

#[allow(clippy::too_many_arguments)]
fn read_csv(
    path: &Path,
    file: std::fs::File,
    file_table: Option<String>,
    opts: &MatchOptions,
    engines: &mut BTreeMap<String, TableEngine<'_>>,
    hits: &mut Hits,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
    pb: Option<&indicatif::ProgressBar>,
) -> Result<(), MatchError> {
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
        let table = match (&file_table, type_col.and_then(|i| record.get(i))) {
            (Some(t), _) => t.clone(),
            (None, Some(t)) if !t.is_empty() => t.to_string(),
            _ => {
                stats.rows_unknown_table += 1;
                problems.push(Problem {
                    file: path.to_path_buf(),
                    line,
                    kind: ProblemKind::UnknownTable,
                    message: "the row's table is unknown: no `Type` column, and neither --table nor the file name names one; row skipped".into(),
                });
                continue;
            }
        };
        let Some(engine) = engines.get_mut(&table) else {
            stats.rows_other_tables += 1;
            continue;
        };
        let pos = positions.entry(table.clone()).or_insert_with(|| {
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
            p
        });
        // CSV cannot tell null from empty: an empty typed cell is null.
        let cells: Vec<Option<Cow<'_, str>>> = pos
            .iter()
            .enumerate()
            .map(|(slot, p)| {
                let v = p.and_then(|i| record.get(i))?;
                if v.is_empty() && engine.slot_kinds[slot] != super::Kind::String {
                    None
                } else {
                    Some(Cow::Borrowed(v))
                }
            })
            .collect();
        if let Some(msg) = check_types(engine, &cells) {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line,
                kind: ProblemKind::WrongType,
                message: format!("{msg}; row skipped"),
            });
            continue;
        }
        engine.row(&Row { cells }, hits, opts.now);
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
