//! `externaldata`: the rows of an external source, read from a local file bound to the
//! source's URL ([`super::Database::external`]; `rulecat query --external URL=PATH`,
//! `[external]` in `rulecat.toml`, `external:` in a rule test, `rulecat match --external`).
//!
//! Offline, rulecat never fetches a URL: a source without a binding is an error naming
//! the URL and how to bind it. A URL is looked up as written (the concatenation of its
//! string literals), then without its query string (`?sv=...&sig=...`, a SAS token), so a
//! binding need not repeat a secret.
//!
//! The file is parsed as Kusto ingests the `format` property (default: from the URL's
//! extension, else CSV): `csv`, `tsv`/`tsve`, `scsv`, `psv`, `sohsv` (by position; a
//! missing field is empty, extra fields are ignored), `txt` (each non-empty line is a
//! record whose first column is the line), `raw` (the whole file is one record), `json`
//! and `multijson` (JSON objects, one after another or in arrays, on one or many lines;
//! columns by property name). `ignoreFirstRecord=true` skips each file's first record.
//! Each value gets the declared column type as KQL's conversion functions give it
//! (`tolong`, `todatetime`, `todynamic`, ...): a string column keeps the text as it is, an
//! empty field of another type is null, and so is a value the conversion refuses.

use std::path::Path;

use super::table::{Col, Table};
use super::value::{Json, Ty, Value};
use super::{Error, Result};
use crate::kql::ast::{ColumnDecl, Expr, OpParam};

/// The formats rulecat reads, as the `format` property names them.
const FORMATS: &[&str] = &[
    "csv",
    "tsv",
    "tsve",
    "scsv",
    "psv",
    "sohsv",
    "txt",
    "raw",
    "json",
    "multijson",
];

/// Runs `externaldata (columns) [uris] with (props)`.
pub fn run(
    columns: &[ColumnDecl],
    uris: &[Expr],
    with: &[OpParam],
    cx: &super::exec::Ctx,
) -> Result<Table> {
    let mut cols = Vec::with_capacity(columns.len());
    for c in columns {
        let ty = Ty::parse(&c.ty.name)
            .ok_or_else(|| Error::at(c.ty.span, format!("unknown type `{}`", c.ty.name)))?;
        cols.push(Col::new(&c.name.name, ty));
    }
    let mut format: Option<String> = None;
    let mut skip_first = false;
    for p in with {
        let value = property(&p.value, cx)?;
        match p.name.name.to_ascii_lowercase().as_str() {
            "format" => {
                let f = value.to_ascii_lowercase();
                if !FORMATS.contains(&f.as_str()) {
                    return Err(Error::at(
                        p.value.span(),
                        format!(
                            "`externaldata` format `{value}` is not one rulecat reads (it reads {})",
                            FORMATS.join(", ")
                        ),
                    ));
                }
                format = Some(f);
            }
            "ignorefirstrecord" => {
                skip_first = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Error::at(
                            p.value.span(),
                            format!("`ignoreFirstRecord` must be true or false, not `{value}`"),
                        ));
                    }
                }
            }
            // Properties that do not change what a local file holds.
            "compressed" | "zippattern" | "ingestionmapping" | "ingestionmappingreference" => {
                return Err(Error::at(
                    p.span,
                    format!(
                        "`externaldata` property `{}` is not supported by rulecat",
                        p.name.name
                    ),
                ));
            }
            _ => {}
        }
    }
    let mut out = Table::new(cols);
    for u in uris {
        let url = super::eval::eval_scalar(u, cx)?.to_kusto_string();
        let path = binding(&url, cx).ok_or_else(|| {
            // The query string (often a SAS token) is not repeated: a binding of the URL
            // without it serves.
            let (base, shown) = match url.split_once('?') {
                Some((base, _)) => (base, format!("`{base}` (query string not shown)")),
                None => (url.as_str(), format!("`{url}`")),
            };
            Error::at(
                u.span(),
                format!(
                    "`externaldata` reads {shown}, and no local file is bound to that URL (rulecat does not fetch it): bind one with `--external '{base}=PATH'`, `[external]` in rulecat.toml, or `external:` in a rule test"
                ),
            )
        })?;
        let fmt = format.clone().unwrap_or_else(|| detect(&url));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::at(
                u.span(),
                format!(
                    "`externaldata` `{url}` is bound to `{}`, which cannot be read: {}",
                    path.display(),
                    crate::loading::discover::io_reason(&e)
                ),
            )
        })?;
        let records = records(&text, &fmt, &out.cols, &path).map_err(|e| e.or_at(u.span()))?;
        out.rows
            .extend(records.into_iter().skip(usize::from(skip_first)));
    }
    Ok(out)
}

/// The file bound to `url`: as written, else without its query string.
fn binding(url: &str, cx: &super::exec::Ctx) -> Option<std::path::PathBuf> {
    let ext = &cx.db.external;
    ext.get(url)
        .or_else(|| url.split_once('?').and_then(|(base, _)| ext.get(base)))
        .cloned()
}

/// A property's value: a literal, or a bare word (`format=csv`, `ignoreFirstRecord=True`).
fn property(e: &Expr, cx: &super::exec::Ctx) -> Result<String> {
    match e.unparen() {
        Expr::Name(id) => Ok(id.name.clone()),
        other => Ok(super::eval::eval_scalar(other, cx)?.to_kusto_string()),
    }
}

/// The format of a URL without a `format` property: its file extension, else CSV.
fn detect(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some(e) if FORMATS.contains(&e) => e.to_string(),
        _ => "csv".to_string(),
    }
}

/// The file's records as rows of the declared columns.
fn records(text: &str, format: &str, cols: &[Col], path: &Path) -> Result<Vec<Vec<Value>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let width = cols.len();
    let delimited = |delim: u8| -> Result<Vec<Vec<Value>>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delim)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
            rows.push(
                cols.iter()
                    .enumerate()
                    .map(|(i, c)| text_value(rec.get(i).unwrap_or(""), c.ty))
                    .collect(),
            );
        }
        Ok(rows)
    };
    let first_only = |line: &str| -> Vec<Value> {
        let mut row = vec![Value::Null; width];
        if let Some(c) = cols.first() {
            row[0] = text_value(line, c.ty);
        }
        row
    };
    match format {
        "csv" => delimited(b','),
        "tsv" | "tsve" => delimited(b'\t'),
        "scsv" => delimited(b';'),
        "psv" => delimited(b'|'),
        "sohsv" => delimited(0x01),
        "txt" => Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .map(first_only)
            .collect()),
        "raw" => Ok(vec![first_only(text)]),
        _ => {
            let mut rows = Vec::new();
            let stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
            for v in stream {
                let v = v.map_err(|e| {
                    Error::new(format!(
                        "{}:{}:{}: not JSON: {e}",
                        path.display(),
                        e.line(),
                        e.column()
                    ))
                })?;
                let items = match v {
                    Json::Array(items) => items,
                    other => vec![other],
                };
                for item in items {
                    let Json::Object(m) = item else {
                        return Err(Error::new(format!(
                            "{}: a JSON record must be an object, not `{item}`",
                            path.display()
                        )));
                    };
                    rows.push(
                        cols.iter()
                            .map(|c| json_value(m.get(&c.name).unwrap_or(&Json::Null), c.ty))
                            .collect(),
                    );
                }
            }
            Ok(rows)
        }
    }
}

/// A text field as a value of `ty`: a string stays as it is; otherwise empty is null and
/// the text goes through KQL's conversion function for the type.
pub(crate) fn text_value(s: &str, ty: Ty) -> Value {
    if ty == Ty::String {
        return Value::str(s);
    }
    if s.is_empty() {
        return Value::Null;
    }
    let conv = match ty {
        Ty::Bool => "tobool",
        Ty::Int => "toint",
        Ty::Long => "tolong",
        Ty::Real => "toreal",
        Ty::Decimal => "todecimal",
        Ty::DateTime => "todatetime",
        Ty::Timespan => "totimespan",
        Ty::Guid => "toguid",
        Ty::Dynamic => "todynamic",
        Ty::String => unreachable!("handled above"),
    };
    match super::funcs::convert::call(conv, &[Value::str(s)]) {
        Some(Ok(v)) => v,
        _ => Value::Null,
    }
}

/// A JSON property as a value of `ty`.
fn json_value(j: &Json, ty: Ty) -> Value {
    match (j, ty) {
        (Json::Null, _) => Value::Null,
        (_, Ty::Dynamic) => Value::dynamic(j.clone()),
        (Json::String(s), _) => text_value(s, ty),
        (other, _) => text_value(&other.to_string(), ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(spec: &[(&str, Ty)]) -> Vec<Col> {
        spec.iter().map(|(n, t)| Col::new(*n, *t)).collect()
    }

    /// Rows as Kusto prints them (`null` for nulls), one string per row.
    fn show(rows: &[Vec<Value>]) -> Vec<String> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|v| match v {
                        Value::Null => "null".to_string(),
                        v => super::super::format::display(v),
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    }

    #[test]
    fn formats_are_detected_from_the_extension() {
        assert_eq!(detect("https://x/a/list.txt"), "txt");
        assert_eq!(detect("https://x/a/data.JSON?sig=1"), "json");
        assert_eq!(detect("https://x/a/feed"), "csv");
        assert_eq!(detect("https://x.y/a.b/feed"), "csv");
    }

    #[test]
    fn csv_fields_take_the_declared_types() {
        let c = cols(&[("a", Ty::String), ("n", Ty::Long), ("t", Ty::DateTime)]);
        let rows = records(
            "x,1,2026-01-02\n\"y,z\",,nope\nonly\n",
            "csv",
            &c,
            Path::new("f"),
        )
        .unwrap();
        assert_eq!(
            show(&rows),
            vec![
                "x|1|2026-01-02 00:00:00.0000000",
                "y,z|null|null",
                "only|null|null"
            ]
        );
        let rows = records("a\t\t3\n", "tsv", &c, Path::new("f")).unwrap();
        assert_eq!(show(&rows), vec!["a|null|null"]);
    }

    #[test]
    fn txt_lines_and_json_records() {
        let c = cols(&[("line", Ty::String), ("other", Ty::Long)]);
        let rows = records("a b\r\n\nc\n", "txt", &c, Path::new("f")).unwrap();
        assert_eq!(show(&rows), vec!["a b|null", "c|null"]);
        let rows = records("a\nb\n", "raw", &c, Path::new("f")).unwrap();
        assert_eq!(show(&rows), vec!["a\nb\n|null"]);
        let c = cols(&[("n", Ty::Long), ("d", Ty::Dynamic), ("s", Ty::String)]);
        let rows = records(
            "{\"n\": 2, \"d\": {\"k\": 1}, \"s\": 3}\n[{\"n\": \"4\"}]",
            "multijson",
            &c,
            Path::new("f"),
        )
        .unwrap();
        assert_eq!(show(&rows), vec!["2|{\"k\":1}|3", "4|null|null"]);
        let bad = records("{\"n\": 1} 5", "json", &c, Path::new("f")).unwrap_err();
        assert!(bad.message.contains("must be an object"), "{}", bad.message);
    }
}
