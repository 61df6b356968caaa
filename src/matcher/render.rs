//! Printing match results: an aligned table per rule for people, JSON lines for machines.

use super::{MatchOutcome, RuleResult, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A table per rule.
    Table,
    /// One JSON object per result row: `{"rule": id, "name": ..., "row": {column: value}}`.
    Jsonl,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Long(n) => n.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Datetime(t) => crate::kql::time::format(*t),
        Value::List(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| serde_json::to_string(&json(i)).unwrap_or_default())
                .collect();
            format!("[{}]", inner.join(","))
        }
    }
}

fn json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Long(n) => serde_json::Value::from(*n),
        Value::Real(r) => serde_json::Number::from_f64(*r)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Datetime(t) => serde_json::Value::String(crate::kql::time::format(*t)),
        Value::List(items) => serde_json::Value::Array(items.iter().map(json).collect()),
    }
}

fn table(r: &RuleResult, out: &mut String) {
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| row.iter().map(text).collect())
        .collect();
    let mut widths: Vec<usize> = r.columns.iter().map(|c| c.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        out.push_str("  ");
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&r.columns, out);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&rule, out);
    for row in &rows {
        line(row, out);
    }
}

/// Renders the results (problems and the summary go to stderr, see the CLI).
pub fn render(outcome: &MatchOutcome, format: OutputFormat) -> String {
    let mut out = String::new();
    match format {
        OutputFormat::Table => {
            for r in &outcome.results {
                let n = r.rows.len();
                out.push_str(&format!(
                    "{} {}\n  table {} · {} row{} read · {} result{}\n",
                    r.id,
                    r.name,
                    r.table,
                    r.rows_scanned,
                    if r.rows_scanned == 1 { "" } else { "s" },
                    n,
                    if n == 1 { "" } else { "s" }
                ));
                if let Some(note) = &r.note {
                    out.push_str(&format!("  {note}\n"));
                }
                if n > 0 {
                    table(r, &mut out);
                }
                out.push('\n');
            }
        }
        OutputFormat::Jsonl => {
            for r in &outcome.results {
                for row in &r.rows {
                    let mut obj = serde_json::Map::new();
                    for (c, v) in r.columns.iter().zip(row) {
                        obj.insert(c.clone(), json(v));
                    }
                    let line = serde_json::json!({ "rule": r.id, "name": r.name, "table": r.table, "row": obj });
                    out.push_str(&line.to_string());
                    out.push('\n');
                }
            }
        }
    }
    out
}
