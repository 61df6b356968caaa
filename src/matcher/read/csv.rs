//! CSV exports: the `csv` crate's record reader, only the needed columns kept.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;

use super::*;

pub(super) fn read_csv(
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
    let mut rdr = ::csv::ReaderBuilder::new()
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
    let mut record = ::csv::StringRecord::new();
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
            if v.is_empty() && engine.slot_kinds[slot] != crate::matcher::Kind::String {
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
