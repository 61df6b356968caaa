//! JSON lines: the row loop, with the fast scanner in front of the serde_json reference.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::de::DeserializeSeed;

use super::lines::LineReader;
use super::*;

/// JSON lines: a block reader hands out lines; each line goes through [`scan::scan_row`], a
/// byte scanner that walks the top-level object once, validating it, and decodes only
/// the needed values. Anything it is not sure about (an escape in a key, a float or a
/// nested value in a needed column, a malformed line, ...) goes to the serde_json path
/// below, which is the reference: the scanner accepts a line only when serde_json would
/// accept it with the same cells, so every problem is reported by the same code as
/// before, with the same message.
pub(super) fn read_jsonl(
    reading: Reading<'_, '_>,
    file: impl std::io::Read,
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
    // The tables the engines read, each with its needed-key index (built on first use);
    // rows of one file are nearly always of one table, so the last one is tried first.
    let mut tables: Vec<(&str, &mut TableEngine<'_>, Option<scan::KeyIndex>)> = engines
        .iter_mut()
        .map(|(name, engine)| (name.as_str(), engine, None))
        .collect();
    let mut last_table = 0usize;
    // The key index for `Type`/`$table`.
    let mut table_keys = scan::KeyIndex::new(&[]);
    let mut table_spans: Vec<scan::Span> = Vec::new();
    let mut spans: Vec<scan::Span> = Vec::new();
    let mut seen: Vec<bool> = Vec::new();
    // The cells vector is recycled from row to row (its lifetime is reset by `recycle`).
    let mut store: Vec<Option<Cow<'static, str>>> = Vec::new();
    loop {
        let next = match reader.next_line() {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(e) => {
                return Err(MatchError(format!("cannot read `{}`: {e}", path.display())));
            }
        };
        let raw = next.raw;
        line_no += 1;
        stats.bytes_read += raw.len() as u64;
        if let Some(pb) = pb
            && line_no.is_multiple_of(65_536)
        {
            pb.set_position(stats.bytes_read);
        }
        // Validated where the line reader saw non-ASCII bytes; std for the error.
        let line = match next.text() {
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
            None => match scan::row_table(line, &mut table_keys, &mut table_spans) {
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
        if tables
            .get(last_table)
            .is_none_or(|t| t.0 != row_table.as_ref())
        {
            match tables.iter().position(|t| t.0 == row_table.as_ref()) {
                Some(i) => last_table = i,
                None => {
                    stats.rows_other_tables += 1;
                    continue;
                }
            }
        }
        let Some((_, engine, keys)) = tables.get_mut(last_table) else {
            continue; // found just above
        };
        let engine = &mut **engine;
        let keys = keys.get_or_insert_with(|| scan::KeyIndex::new(&engine.slot_names));
        let width = engine.slot_names.len();
        let mut cells = recycle(std::mem::take(&mut store));
        cells.resize(width, None);
        seen.clear();
        seen.resize(width, false);
        if !scan::scan_row(line, keys, &mut spans, &mut seen, &mut cells) {
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
        if let Some(missing) = (0..seen.len()).find(|&i| !seen[i] && !engine.optional[i]) {
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
        let row = Row { cells };
        if let Err(msg) = engine.checked_row(&row, hits, opts.now) {
            stats.rows_malformed += 1;
            problems.push(Problem {
                file: path.to_path_buf(),
                line: line_no,
                kind: ProblemKind::WrongType,
                message: format!("{msg}; row skipped"),
            });
        }
        store = recycle(row.cells);
    }
    Ok(())
}

/// The serde_json path (the reference): the needed columns of one line into `cells`.
pub(super) fn slow_row<'a>(
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
