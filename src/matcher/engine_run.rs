//! The rules the fast matcher does not cover (no `logic` in the bundle): their query runs
//! in rulecat's KQL engine ([`crate::engine`]) over the tables read from the same inputs,
//! so `let`-bound, joined and union'ed tables all come from the telemetry given.
//!
//! Every table such a rule reads is loaded whole (its catalog columns, typed as the
//! catalog says, plus any other column the data has); a table the inputs lack is an
//! empty table with its catalog columns. A row's table is decided as the fast reader
//! does (`--table`, the file name, the row's `Type`/`$table`). Lines the fast reader
//! does not look at (tables no fast rule reads) are checked here, and problems reported
//! once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::read::InputFormat;
use super::{MatchError, MatchOptions, Problem, ProblemKind, RuleResult, Stats, Value};
use crate::compile::bundle::{Bundle, CompiledRule, Logic, Output, Predicate};
use crate::engine;
use crate::engine::value::Json;

/// Raw rows of one table: column names in first-seen order, rows keyed by name.
#[derive(Default)]
struct Raw {
    names: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<Vec<Json>>,
}

impl Raw {
    fn push(&mut self, obj: serde_json::Map<String, Json>) {
        let mut row = vec![Json::Null; self.names.len()];
        for (k, v) in obj {
            let i = match self.index.get(&k) {
                Some(&i) => i,
                None => {
                    self.index.insert(k.clone(), self.names.len());
                    self.names.push(k);
                    self.rows.iter_mut().for_each(|r| r.push(Json::Null));
                    row.push(Json::Null);
                    self.names.len() - 1
                }
            };
            row[i] = v;
        }
        self.rows.push(row);
    }
}

/// Whether the bundle has rules for the engine (no `logic`, nothing unsupported).
pub(super) fn engine_rules(bundle: &Bundle) -> Vec<&CompiledRule> {
    bundle
        .rules
        .iter()
        .filter(|r| r.logic.is_none() && r.unsupported.is_empty())
        .collect()
}

/// The id of the synthetic fast rule that prefilters `table` for the engine (a NUL
/// cannot occur in a rule id from a rule file).
fn prefilter_id(table: &str) -> String {
    format!("\0prefilter\0{table}")
}

pub(super) fn is_prefilter_rule(id: &str) -> bool {
    id.starts_with("\0prefilter\0")
}

/// One synthetic fast rule per table that every engine rule reading it prefilters (and
/// that rulecat's catalog knows, so the fast matcher knows its columns): it returns the
/// table's rows that pass any of the rules' prefilters, whole.
pub(super) fn prefilter_rules(bundle: &Bundle) -> Vec<CompiledRule> {
    let rules = engine_rules(bundle);
    let mut per_table: BTreeMap<&str, Option<Vec<Predicate>>> = BTreeMap::new();
    for r in &rules {
        for t in &r.tables {
            let p = r.prefilters.iter().find(|p| &p.table == t);
            let entry = per_table
                .entry(t.as_str())
                .or_insert_with(|| Some(Vec::new()));
            match (entry.as_mut(), p) {
                (Some(v), Some(p)) => {
                    if !v.contains(&p.predicate) {
                        v.push(p.predicate.clone());
                    }
                }
                _ => *entry = None,
            }
        }
    }
    per_table
        .into_iter()
        .filter(|(t, _)| crate::knowledge::tables::builtin().table(t).is_some())
        .filter_map(|(t, preds)| {
            let mut preds = preds?;
            let predicate = if preds.len() == 1 {
                preds.pop()?
            } else {
                Predicate::Or { any: preds }
            };
            Some(CompiledRule {
                id: prefilter_id(t),
                name: String::new(),
                tactics: Vec::new(),
                techniques: Vec::new(),
                sources: Vec::new(),
                content_hash: String::new(),
                tables: vec![t.to_string()],
                query: String::new(),
                logic: Some(Logic {
                    table: t.to_string(),
                    window: None,
                    predicate,
                    output: Output::Rows,
                    limit: None,
                }),
                prefilters: Vec::new(),
                unsupported: Vec::new(),
                functions: Vec::new(),
                external: Vec::new(),
            })
        })
        .collect()
}

/// The rows a synthetic prefilter rule returned, as a raw table (dynamic columns parsed
/// back from their text).
fn raw_of(result: RuleResult) -> Raw {
    let schema = result
        .table
        .split(", ")
        .next()
        .and_then(|t| crate::knowledge::tables::builtin().table(t));
    let dynamic: Vec<bool> = result
        .columns
        .iter()
        .map(|c| {
            schema
                .and_then(|s| s.column(c))
                .is_some_and(|c| c.ty == crate::knowledge::tables::ColumnType::Dynamic)
        })
        .collect();
    let mut raw = Raw::default();
    for (i, c) in result.columns.iter().enumerate() {
        raw.index.insert(c.clone(), i);
        raw.names.push(c.clone());
    }
    raw.rows = result
        .rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&dynamic)
                .map(|(v, dynamic)| match v {
                    Value::String(s) if *dynamic => {
                        serde_json::from_str(&s).unwrap_or(Json::String(s))
                    }
                    Value::String(s) => Json::String(s),
                    Value::Null => Json::Null,
                    Value::Long(n) => Json::from(n),
                    Value::Real(r) => {
                        serde_json::Number::from_f64(r).map_or(Json::Null, Json::Number)
                    }
                    Value::Bool(b) => Json::Bool(b),
                    Value::Datetime(t) => Json::String(crate::kql::time::format(t)),
                    Value::List(_) => Json::Null,
                })
                .collect()
        })
        .collect();
    raw
}

/// How the note of a rule not run for want of its external data begins.
pub const NOT_BOUND: &str = "not run: no local file is bound to the external data it reads";

/// Runs the engine's rules (and reports the rules marked unsupported as not run).
/// `prefiltered` are the synthetic prefilter rules' results (see [`prefilter_rules`]);
/// `fast_tables` are the tables the fast matcher read (their lines it checked itself).
#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    bundle: &Bundle,
    files: &[PathBuf],
    opts: &MatchOptions,
    prefiltered: Vec<RuleResult>,
    fast_tables: &BTreeSet<String>,
    named: &BTreeSet<String>,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> Result<Vec<RuleResult>, MatchError> {
    let mut results: Vec<RuleResult> = bundle
        .rules
        .iter()
        .filter(|r| !r.unsupported.is_empty())
        .map(|r| {
            not_run(
                r,
                format!(
                    "not run: compiled with --allow-partial, and rulecat's KQL engine cannot run {}",
                    r.unsupported.join(", ")
                ),
            )
        })
        .collect();
    let rules = engine_rules(bundle);
    if rules.is_empty() {
        return Ok(results);
    }
    // Rows read per prefiltered table (its engine table holds only those that passed).
    let read: BTreeMap<String, u64> = prefiltered
        .iter()
        .map(|r| (r.table.clone(), r.rows_scanned))
        .collect();
    let mut raw: BTreeMap<String, Raw> = prefiltered
        .into_iter()
        .map(|r| (r.table.clone(), raw_of(r)))
        .collect();
    // Tables read whole (no prefilter on them).
    let needed: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.tables.iter().map(String::as_str))
        .filter(|t| !raw.contains_key(*t))
        .collect();
    for file in files {
        if file.as_os_str() == "-" {
            return Err(MatchError(format!(
                "rules the KQL engine runs ({}) need their tables as files, not standard input",
                rules
                    .iter()
                    .map(|r| format!("`{}`", r.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        read_file(
            file,
            opts,
            named,
            &needed,
            fast_tables,
            &mut raw,
            stats,
            problems,
        )?;
    }
    let mut db = engine::Database {
        now: opts.now,
        external: opts.external.clone(),
        ..Default::default()
    };
    let all: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.tables.iter().map(String::as_str))
        .collect();
    for t in all {
        let r = raw.remove(t).unwrap_or_default();
        db.tables
            .insert(t.to_string(), std::rc::Rc::new(table(t, r)));
    }
    for r in rules {
        let scanned: u64 = r
            .tables
            .iter()
            .map(|t| match read.get(t) {
                Some(&n) => n,
                None => db.tables.get(t).map_or(0, |t| t.rows.len() as u64),
            })
            .sum();
        db.functions = r
            .functions
            .iter()
            .map(|f| {
                let w = crate::loading::workspace::Function::declared(
                    &f.name,
                    f.params
                        .iter()
                        .map(|p| (p.name.as_str(), p.ty.as_str(), p.default.as_deref())),
                    &f.body,
                    std::path::PathBuf::from("bundle"),
                );
                (f.name.clone(), w)
            })
            .collect();
        // A rule whose `externaldata` has no local file is not run, and says so.
        let unbound = crate::compile::bundle::unbound_external(&r.external, &opts.external);
        if !unbound.is_empty() {
            results.push(not_run(
                r,
                format!(
                    "{NOT_BOUND}: its `externaldata` reads {} (give `--external URL=PATH` or `[external]` in rulecat.toml)",
                    unbound
                        .iter()
                        .map(|u| format!("`{u}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            continue;
        }
        let parsed = crate::kql::parse(&r.query);
        let outcome = match parsed.errors.first() {
            Some(e) => Err(format!("syntax error: {}", e.message)),
            None => {
                engine::exec::run_query(&parsed.query, &db, &r.query).map_err(|e| match e.span {
                    Some(s) => {
                        let start = (s.start as usize).min(r.query.len());
                        let line = r.query[..start].matches('\n').count() + 1;
                        format!("query line {line}: {}", e.message)
                    }
                    None => e.message,
                })
            }
        };
        let (columns, rows, note) = match outcome {
            Ok(t) => (
                t.cols.iter().map(|c| c.name.clone()).collect(),
                t.rows
                    .iter()
                    .map(|row| row.iter().map(value).collect())
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Vec::new(), Some(format!("engine error: {e}"))),
        };
        results.push(RuleResult {
            id: r.id.clone(),
            name: r.name.clone(),
            table: r.tables.join(", "),
            columns,
            rows,
            rows_scanned: scanned,
            rows_outside_window: 0,
            note,
        });
    }
    Ok(results)
}

/// The result of a rule that did not run, with why.
fn not_run(r: &crate::compile::bundle::CompiledRule, note: String) -> RuleResult {
    RuleResult {
        id: r.id.clone(),
        name: r.name.clone(),
        table: r.tables.join(", "),
        columns: Vec::new(),
        rows: Vec::new(),
        rows_scanned: 0,
        rows_outside_window: 0,
        note: Some(note),
    }
}

/// A raw table as an engine table: the catalog's columns first (typed by the catalog),
/// then the other columns of the data.
fn table(name: &str, mut raw: Raw) -> engine::Table {
    if let Some(schema) = crate::knowledge::tables::builtin().table(name) {
        for c in &schema.columns {
            if !raw.index.contains_key(&c.name) {
                raw.index.insert(c.name.clone(), raw.names.len());
                raw.names.push(c.name.clone());
                raw.rows.iter_mut().for_each(|r| r.push(Json::Null));
            }
        }
        let order: Vec<usize> = schema
            .columns
            .iter()
            .map(|c| raw.index[&c.name])
            .chain((0..raw.names.len()).filter(|i| schema.column(&raw.names[*i]).is_none()))
            .collect();
        let names = order.iter().map(|&i| raw.names[i].clone()).collect();
        let rows = raw
            .rows
            .into_iter()
            .map(|mut r| {
                order
                    .iter()
                    .map(|&i| std::mem::replace(&mut r[i], Json::Null))
                    .collect()
            })
            .collect();
        return engine::input::typed(name, names, rows);
    }
    engine::input::typed(name, raw.names, raw.rows)
}

#[allow(clippy::too_many_arguments)]
fn read_file(
    path: &Path,
    opts: &MatchOptions,
    named: &BTreeSet<String>,
    needed: &BTreeSet<&str>,
    fast_tables: &BTreeSet<String>,
    raw: &mut BTreeMap<String, Raw>,
    stats: &mut Stats,
    problems: &mut Vec<Problem>,
) -> Result<(), MatchError> {
    let file_table = opts
        .table
        .clone()
        .or_else(|| super::table_from_name(path, named));
    if let Some(t) = &file_table
        && !needed.contains(t.as_str())
    {
        return Ok(());
    }
    let data = std::fs::read(path).map_err(|e| {
        MatchError(format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::loading::discover::io_reason(&e)
        ))
    })?;
    // Problems on lines of tables the fast matcher read were reported by it.
    let report = |stats: &mut Stats,
                  problems: &mut Vec<Problem>,
                  table: Option<&str>,
                  line: u64,
                  kind: ProblemKind,
                  message: String| {
        if table.is_some_and(|t| fast_tables.contains(t)) {
            return;
        }
        if kind == ProblemKind::BadRecord {
            stats.rows_malformed += 1;
            stats.rows_other_tables = stats.rows_other_tables.saturating_sub(1);
        }
        problems.push(Problem {
            file: path.to_path_buf(),
            line,
            kind,
            message,
        });
    };
    let mut take = |table: &str, obj: serde_json::Map<String, Json>, stats: &mut Stats| {
        if !needed.contains(table) {
            return;
        }
        if !fast_tables.contains(table) {
            // The fast reader counted it as a row of a table no rule reads.
            stats.rows_other_tables = stats.rows_other_tables.saturating_sub(1);
        }
        raw.entry(table.to_string()).or_default().push(obj);
    };
    match InputFormat::of(path).unwrap_or(InputFormat::JsonLines) {
        InputFormat::JsonLines => {
            for (n, line) in data.split(|b| *b == b'\n').enumerate() {
                let line_no = n as u64 + 1;
                let Ok(text) = std::str::from_utf8(line) else {
                    continue; // reported by the fast reader (it checks every line's UTF-8)
                };
                let text = text.trim_end_matches('\r');
                if text.trim().is_empty() {
                    continue;
                }
                let parsed: Result<Json, _> = serde_json::from_str(text);
                let obj = match parsed {
                    Ok(Json::Object(m)) => m,
                    Ok(_) => {
                        report(
                            stats,
                            problems,
                            file_table.as_deref(),
                            line_no,
                            ProblemKind::BadRecord,
                            "not a JSON object; line skipped".into(),
                        );
                        continue;
                    }
                    Err(e) => {
                        report(
                            stats,
                            problems,
                            file_table.as_deref(),
                            line_no,
                            ProblemKind::BadRecord,
                            format!("not valid JSON ({e}); line skipped"),
                        );
                        continue;
                    }
                };
                let table = match &file_table {
                    Some(t) => t.clone(),
                    None => match obj
                        .get("Type")
                        .or_else(|| obj.get("$table"))
                        .and_then(Json::as_str)
                    {
                        Some(t) => t.to_string(),
                        None => continue, // reported by the fast reader
                    },
                };
                take(&table, obj, stats);
            }
        }
        InputFormat::Csv => {
            let mut r = csv::ReaderBuilder::new()
                .flexible(true)
                .from_reader(data.as_slice());
            let headers: Vec<String> = match r.headers() {
                Ok(h) => h.iter().map(str::to_string).collect(),
                Err(_) => return Ok(()), // reported by the fast reader
            };
            let type_col = headers.iter().position(|h| h == "Type" || h == "$table");
            for rec in r.records() {
                let Ok(rec) = rec else {
                    continue; // reported by the fast reader
                };
                let table = match (&file_table, type_col.and_then(|i| rec.get(i))) {
                    (Some(t), _) => t.clone(),
                    (None, Some(t)) if !t.is_empty() => t.to_string(),
                    _ => continue,
                };
                let obj = headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.clone(), engine::input::csv_value(v)))
                    .collect();
                take(&table, obj, stats);
            }
        }
    }
    Ok(())
}

/// An engine value as a result cell.
fn value(v: &engine::Value) -> Value {
    use engine::Value as E;
    match v {
        E::Null => Value::Null,
        E::Bool(b) => Value::Bool(*b),
        E::Int(i) => Value::Long(i64::from(*i)),
        E::Long(i) => Value::Long(*i),
        E::Real(r) | E::Decimal(r) => Value::Real(*r),
        E::Str(s) => Value::String(s.to_string()),
        E::DateTime(t) => Value::Datetime(*t),
        E::Dyn(j) => match &**j {
            Json::Array(items) => Value::List(
                items
                    .iter()
                    .map(|i| value(&engine::Value::dynamic(i.clone()).undyn()))
                    .collect(),
            ),
            Json::Object(_) => Value::String(j.to_string()),
            _ => value(&v.undyn()),
        },
        other => Value::String(engine::format::display(other)),
    }
}
