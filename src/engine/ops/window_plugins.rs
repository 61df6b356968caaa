//! Time-window `evaluate` plugins: `rows_near`, `sliding_window_counts`,
//! `rolling_percentile`, `activity_counts_metrics`.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::basic::column_values;
use super::expr_name;
use crate::engine::eval::{Row, eval, eval_scalar, truth};
use crate::engine::exec::Ctx;
use crate::engine::table::{Col, Table, column_type};
use crate::engine::value::{Key, Ty, Value, compare};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

fn need<'e>(args: &'e [Expr], n: usize, plugin: &str) -> Result<&'e [Expr]> {
    if args.len() < n {
        return Err(Error::new(format!(
            "{plugin}() takes at least {n} arguments"
        )));
    }
    Ok(args)
}

fn ticks(e: &Expr, what: &str, cx: &Ctx) -> Result<i64> {
    match eval_scalar(e, cx)? {
        Value::DateTime(t) | Value::Timespan(t) => Ok(t),
        Value::Long(v) => Ok(v),
        Value::Int(v) => Ok(i64::from(v)),
        _ => Err(Error::at(
            e.span(),
            format!("{what} must be a datetime or timespan"),
        )),
    }
}

/// `rows_near(Condition, NumRows [, RowsAfter])`: the rows where `Condition` holds and
/// `NumRows` rows before (and `RowsAfter`, default `NumRows`, after) each, in input
/// order, each row once.
pub fn rows_near(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let args = need(args, 2, "rows_near")?;
    let before = eval_scalar(&args[1], cx)?.as_i64().unwrap_or(0).max(0) as usize;
    let after = match args.get(2) {
        Some(e) => eval_scalar(e, cx)?.as_i64().unwrap_or(0).max(0) as usize,
        None => before,
    };
    let n = t.rows.len();
    let mut keep = vec![false; n];
    for i in 0..n {
        if truth(&eval(&args[0], &Row::new(t, i), cx)?) == Some(true) {
            for k in keep
                .iter_mut()
                .take((i + after + 1).min(n))
                .skip(i.saturating_sub(before))
            {
                *k = true;
            }
        }
    }
    Ok(Table {
        cols: t.cols.clone(),
        rows: t
            .rows
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(r, _)| r.clone())
            .collect(),
    })
}

/// The bin (as an index from `start`) of every row's timeline value, or `None` for a
/// null or a value before `start`.
fn bins(times: &[Value], start: i64, step: i64) -> Vec<Option<i64>> {
    times
        .iter()
        .map(|v| match v {
            Value::DateTime(t) if *t >= start && step > 0 => Some((t - start) / step),
            _ => None,
        })
        .collect()
}

/// `sliding_window_counts(Id, Timeline, Start, End, LookbackWindow, Bin [, dim...])`:
/// per bin from `Start` to `End`, the count and distinct count of ids over the bins of
/// the lookback window that end with it.
pub fn sliding_window_counts(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let args = need(args, 6, "sliding_window_counts")?;
    let (ids, _) = column_values(t, &args[0], cx)?;
    let (times, _) = column_values(t, &args[1], cx)?;
    let start = ticks(&args[2], "Start", cx)?;
    let end = ticks(&args[3], "End", cx)?;
    let lookback = ticks(&args[4], "LookbackWindow", cx)?;
    let step = ticks(&args[5], "Bin", cx)?;
    if step <= 0 {
        return Err(Error::at(args[5].span(), "Bin must be positive"));
    }
    let b = bins(&times, start, step);
    let last = (end - start).div_euclid(step);
    let width = (lookback / step).max(1);
    let mut out = Table::new(vec![
        Col::new(
            expr_name(&args[1]).unwrap_or_else(|| "Timestamp".into()),
            Ty::DateTime,
        ),
        Col::new("Count", Ty::Long),
        Col::new("dcount", Ty::Long),
    ]);
    for k in 0..=last.max(-1) {
        let (mut count, mut seen) = (0i64, HashSet::new());
        for (i, bi) in b.iter().enumerate() {
            if let Some(bi) = bi
                && *bi <= k
                && *bi > k - width
            {
                count += 1;
                seen.insert(ids[i].key());
            }
        }
        out.rows.push(vec![
            Value::DateTime(start + k * step),
            Value::Long(count),
            Value::Long(seen.len() as i64),
        ]);
    }
    Ok(out)
}

/// `activity_counts_metrics(Id, Timeline, Start, End, Window)`: per window from `Start`
/// to `End`: the rows, the distinct ids, the ids not seen in an earlier window, and the
/// distinct ids seen so far.
pub fn activity_counts_metrics(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let args = need(args, 5, "activity_counts_metrics")?;
    if args.len() > 5 {
        return Err(Error::new(
            "activity_counts_metrics() with dimensions is not supported yet",
        ));
    }
    let (ids, _) = column_values(t, &args[0], cx)?;
    let (times, _) = column_values(t, &args[1], cx)?;
    let start = ticks(&args[2], "Start", cx)?;
    let end = ticks(&args[3], "End", cx)?;
    let step = ticks(&args[4], "Window", cx)?;
    if step <= 0 {
        return Err(Error::at(args[4].span(), "Window must be positive"));
    }
    let b = bins(&times, start, step);
    let last = (end - start).div_euclid(step);
    let mut out = Table::new(vec![
        Col::new(
            expr_name(&args[1]).unwrap_or_else(|| "Timestamp".into()),
            Ty::DateTime,
        ),
        Col::new("count", Ty::Long),
        Col::new("dcount", Ty::Long),
        Col::new("new_dcount", Ty::Long),
        Col::new("aggregated_dcount", Ty::Long),
    ]);
    let mut ever: HashSet<Key> = HashSet::new();
    for k in 0..=last.max(-1) {
        let (mut count, mut seen, mut new) = (0i64, HashSet::new(), 0i64);
        for (i, bi) in b.iter().enumerate() {
            if *bi == Some(k) {
                count += 1;
                let key = ids[i].key();
                if seen.insert(key.clone()) && ever.insert(key) {
                    new += 1;
                }
            }
        }
        out.rows.push(vec![
            Value::DateTime(start + k * step),
            Value::Long(count),
            Value::Long(seen.len() as i64),
            Value::Long(new),
            Value::Long(ever.len() as i64),
        ]);
    }
    Ok(out)
}

/// Nearest-rank percentile (Kusto's `percentile`): the value at rank ⌈p/100 · n⌉.
fn nearest_rank(vals: &mut [Value], p: f64) -> Value {
    if vals.is_empty() {
        return Value::Null;
    }
    vals.sort_by(compare);
    let n = vals.len();
    let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
    vals[rank.min(n) - 1].clone()
}

/// A dimension group of `rolling_percentile`: its first row and its values per bin.
type BinGroup = (usize, BTreeMap<i64, Vec<Value>>);

/// `rolling_percentile(Value, Percentile, Index, BinSize, BinsToLookback [, dim...])`:
/// per dimension values and per bin of `Index` present in the data, the percentile of
/// the values in that bin and the `BinsToLookback - 1` bins before it.
pub fn rolling_percentile(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let args = need(args, 5, "rolling_percentile")?;
    let (vals, _) = column_values(t, &args[0], cx)?;
    let p = eval_scalar(&args[1], cx)?
        .as_f64()
        .ok_or_else(|| Error::at(args[1].span(), "Percentile must be a number"))?;
    let (index, ity) = column_values(t, &args[2], cx)?;
    let size = ticks(&args[3], "BinSize", cx)?;
    let back = eval_scalar(&args[4], cx)?.as_i64().unwrap_or(1).max(1);
    if size <= 0 {
        return Err(Error::at(args[3].span(), "BinSize must be positive"));
    }
    let mut dims = Vec::new();
    let mut cols = vec![Col::new(
        expr_name(&args[2]).unwrap_or_else(|| "Index".into()),
        ity,
    )];
    for e in &args[5..] {
        let (v, ty) = column_values(t, e, cx)?;
        cols.push(Col::new(
            expr_name(e).unwrap_or_else(|| "Column".into()),
            ty,
        ));
        dims.push(v);
    }
    // Per dimension combination (in order of appearance): bin → values.
    let mut order: Vec<Vec<Key>> = Vec::new();
    let mut groups: HashMap<Vec<Key>, BinGroup> = HashMap::new();
    for i in 0..t.rows.len() {
        let raw = match &index[i] {
            Value::DateTime(x) | Value::Timespan(x) | Value::Long(x) => *x,
            Value::Int(x) => i64::from(*x),
            _ => continue,
        };
        let key: Vec<Key> = dims.iter().map(|d| d[i].key()).collect();
        let g = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            (i, BTreeMap::new())
        });
        g.1.entry(raw.div_euclid(size))
            .or_default()
            .push(vals[i].clone());
    }
    let vname = expr_name(&args[0]).unwrap_or_else(|| "value".into());
    let pname = crate::engine::format::display(&eval_scalar(&args[1], cx)?);
    let mut rows = Vec::new();
    for key in &order {
        let (first, bins) = &groups[key];
        for &b in bins.keys() {
            let mut window: Vec<Value> = bins
                .range(b - back + 1..=b)
                .flat_map(|(_, v)| v.iter().cloned())
                .filter(|v| !v.is_null())
                .collect();
            let at = match ity {
                Ty::DateTime => Value::DateTime(b * size),
                Ty::Timespan => Value::Timespan(b * size),
                _ => Value::Long(b * size),
            };
            let mut r = vec![at];
            r.extend(dims.iter().map(|d| d[*first].clone()));
            r.push(nearest_rank(&mut window, p));
            rows.push(r);
        }
    }
    let ty = column_type(rows.iter().map(|r: &Vec<Value>| &r[cols.len()]), None);
    cols.push(Col::new(
        format!("rolling_{back}_percentile_{vname}_{pname}"),
        ty,
    ));
    Ok(Table { cols, rows })
}
