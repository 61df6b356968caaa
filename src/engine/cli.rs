//! `rulecat query`: run one query over tables read from files and print the result.

use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use rayon::prelude::*;

use super::format::display;
use super::table::Table;
use super::value::{Json, Value};
use super::{Database, Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// `{"columns": [{"name", "type"}], "rows": [[...]]}`
    Json,
    /// One JSON object per row.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// Options of `rulecat query`.
pub struct QueryOptions {
    /// The query text.
    pub text: String,
    /// `NAME=PATH` pairs.
    pub tables: Vec<String>,
    /// `now()` as an ISO 8601 datetime (default: the current time).
    pub now: Option<String>,
    pub format: OutputFormat,
    /// `URL=PATH` pairs: the local file `externaldata` reads for a URL.
    pub external: Vec<String>,
    /// What `rulecat.toml` gives the engine (workspace functions, `[external]` files);
    /// `external` pairs win over its bindings.
    pub config: crate::config::EngineInputs,
}

/// Parses `URL=PATH` (split at the last `=`: a URL's query string has `=` in it).
pub fn external_binding(spec: &str) -> Result<(String, PathBuf)> {
    match spec.rsplit_once('=') {
        Some((url, path)) if !url.is_empty() && !path.is_empty() => {
            Ok((url.to_string(), PathBuf::from(path)))
        }
        _ => Err(Error::new(format!(
            "--external wants URL=PATH (the URL `externaldata` reads and a local file), not `{spec}`"
        ))),
    }
}

/// Runs the query and writes the result; errors carry a message ready to print.
pub fn run(opts: &QueryOptions, out: &mut dyn Write) -> Result<()> {
    let mut db = Database {
        now: match &opts.now {
            Some(t) => crate::kql::time::parse(t)
                .ok_or_else(|| Error::new(format!("--now: not a datetime: `{t}`")))?,
            None => crate::kql::time::now(),
        },
        functions: opts.config.functions.clone(),
        external: opts.config.external.clone(),
        ..Database::default()
    };
    for spec in &opts.external {
        let (url, path) = external_binding(spec)?;
        db.external.insert(url, path);
    }
    // Each table is read with only the columns the query can use (see `pushdown`).
    // The tables are read at the same time (each also in parallel chunks); the first
    // error in command-line order is the one reported, whatever the threads did.
    let parsed = crate::kql::parse(&opts.text);
    let mut specs = Vec::with_capacity(opts.tables.len());
    let mut bad_spec = None;
    for spec in &opts.tables {
        let Some((name, path)) = spec.split_once('=') else {
            bad_spec = Some(Error::new(format!("--table wants NAME=PATH, not `{spec}`")));
            break;
        };
        let only = if parsed.errors.is_empty() {
            super::pushdown::needed_columns(&parsed.query, name, |f| {
                opts.config.functions.contains_key(f)
            })
        } else {
            None
        };
        specs.push((name, PathBuf::from(path), only));
    }
    let read: Vec<Result<Table>> = specs
        .par_iter()
        .map(|(name, path, only)| super::input::read_table_columns(name, path, only.as_ref()))
        .collect();
    for ((name, _, _), t) in specs.iter().zip(read) {
        db.tables.insert(name.to_string(), Rc::new(t?));
    }
    if let Some(e) = bad_spec {
        return Err(e);
    }
    let t = super::run(&opts.text, &db).map_err(|e| locate(e, &opts.text))?;
    // The input tables are not freed one value at a time (up to millions of rows):
    // `rulecat query` ends right after printing, and the system takes the memory back.
    std::mem::forget(db);
    write(&t, opts.format, out).map_err(|e| Error::new(format!("writing output: {e}")))
}

/// Rewrites a byte-span error as `line:col: message` with the query line.
fn locate(e: Error, text: &str) -> Error {
    let Some(span) = e.span else { return e };
    let start = (span.start as usize).min(text.len());
    let line = text[..start].matches('\n').count() + 1;
    let col = start - text[..start].rfind('\n').map_or(0, |p| p + 1) + 1;
    Error::new(format!("query:{line}:{col}: {}", e.message))
}

/// A cell as `--format json`/`jsonl` print it.
pub fn cell_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(_) | Value::Int(_) | Value::Long(_) | Value::Dyn(_) => v.to_json(),
        Value::Real(r) | Value::Decimal(r) => super::value::real_json(*r),
        Value::DateTime(t) => Json::String(super::format::datetime_iso(*t)),
        other => Json::String(display(other)),
    }
}

pub fn write(t: &Table, format: OutputFormat, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        OutputFormat::Json => {
            let cols: Vec<Json> = t
                .cols
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "type": c.ty.name()}))
                .collect();
            let rows: Vec<Json> = t
                .rows
                .iter()
                .map(|r| Json::Array(r.iter().map(cell_json).collect()))
                .collect();
            let doc = serde_json::json!({"columns": cols, "rows": rows});
            writeln!(out, "{}", serde_json::to_string(&doc).unwrap_or_default())
        }
        OutputFormat::Jsonl => {
            for r in &t.rows {
                let mut m = serde_json::Map::new();
                for (c, v) in t.cols.iter().zip(r) {
                    m.insert(c.name.clone(), cell_json(v));
                }
                writeln!(out, "{}", Json::Object(m))?;
            }
            Ok(())
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(t.cols.iter().map(|c| c.name.as_str()))?;
            for r in &t.rows {
                w.write_record(r.iter().map(display))?;
            }
            w.flush()
        }
        OutputFormat::Table => {
            let cells: Vec<Vec<String>> = t
                .rows
                .iter()
                .map(|r| r.iter().map(|v| display(v).replace('\n', "\\n")).collect())
                .collect();
            let mut widths: Vec<usize> = t.cols.iter().map(|c| c.name.chars().count()).collect();
            for r in &cells {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let line = |vals: Vec<&str>| -> String {
                vals.iter()
                    .zip(&widths)
                    .map(|(v, w)| format!("{v:<w$}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
                    .trim_end()
                    .to_string()
            };
            writeln!(
                out,
                "{}",
                line(t.cols.iter().map(|c| c.name.as_str()).collect())
            )?;
            writeln!(
                out,
                "{}",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("-+-")
            )?;
            for r in &cells {
                writeln!(out, "{}", line(r.iter().map(String::as_str).collect()))?;
            }
            writeln!(
                out,
                "({} row{})",
                t.rows.len(),
                if t.rows.len() == 1 { "" } else { "s" }
            )
        }
    }
}
