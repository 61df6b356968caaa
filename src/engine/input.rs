//! Reading `--table NAME=PATH` inputs: JSON lines (one object per line) or CSV with a
//! header row. Column types come from rulecat's table catalog when it knows the table
//! and column; otherwise from the values (all integers → `long`, numbers → `real`,
//! booleans → `bool`, ISO 8601 strings → `datetime`, strings → `string`, else
//! `dynamic`).

use std::path::Path;

use super::table::{Col, Table, coerce};
use super::value::{Json, Ty, Value};
use super::{Error, Result};

/// Reads one table file.
pub fn read_table(name: &str, path: &Path) -> Result<Table> {
    let data = std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (names, rows) = if is_csv {
        read_csv(&data, path)?
    } else {
        read_jsonl(&data, path)?
    };
    Ok(typed(name, names, rows))
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
    let mut objs = Vec::new();
    for (n, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Json = serde_json::from_str(line).map_err(|e| {
            Error::new(format!(
                "{}:{}: not a JSON object: {e}",
                path.display(),
                n + 1
            ))
        })?;
        let Json::Object(m) = v else {
            return Err(Error::new(format!(
                "{}:{}: not a JSON object",
                path.display(),
                n + 1
            )));
        };
        objs.push(m);
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

fn infer(values: impl Iterator<Item = Json>) -> Ty {
    let mut ty: Option<Ty> = None;
    for v in values {
        let t = match &v {
            Json::Null => continue,
            Json::Bool(_) => Ty::Bool,
            Json::Number(n) if n.is_i64() => Ty::Long,
            Json::Number(_) => Ty::Real,
            Json::String(s) if crate::time::parse(s).is_some() && s.len() >= 10 => Ty::DateTime,
            Json::String(_) => Ty::String,
            _ => Ty::Dynamic,
        };
        ty = Some(match ty {
            None => t,
            Some(a) if a == t => a,
            Some(Ty::Long) if t == Ty::Real => Ty::Real,
            Some(Ty::Real) if t == Ty::Long => Ty::Real,
            Some(Ty::DateTime) if t == Ty::String => Ty::String,
            Some(Ty::String) if t == Ty::DateTime => Ty::String,
            _ => Ty::Dynamic,
        });
    }
    ty.unwrap_or(Ty::String)
}

/// A table from column names and rows of JSON values: types from rulecat's table
/// catalog for the columns it knows, else inferred from the values.
pub fn typed(name: &str, names: Vec<String>, rows: Vec<Vec<Json>>) -> Table {
    let known = crate::tables::builtin().table(name);
    let cols: Vec<Col> = names
        .iter()
        .enumerate()
        .map(|(c, n)| {
            let ty = known
                .and_then(|t| t.column(n))
                .and_then(|col| Ty::parse(col.ty.as_str()))
                .unwrap_or_else(|| infer(rows.iter().map(|r| r[c].clone())));
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
