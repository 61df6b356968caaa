//! `evaluate` plugins over distinct counts: `dcount_intersect` (over `hll()` results)
//! and `active_users_count`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::basic::column_values;
use super::expr_name;
use crate::engine::eval::eval_scalar;
use crate::engine::exec::Ctx;
use crate::engine::sketch;
use crate::engine::table::{Col, Table};
use crate::engine::value::{Key, Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

/// `dcount_intersect(hll1, hll2, ..., hllN)` (2 <= N <= 16): appends `s0`..`s{N-1}`,
/// where `s{i}` is the distinct count of the intersection of the first `i + 1` sets
/// (dcount-intersect-plugin.md).
pub fn dcount_intersect(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    if !(2..=16).contains(&args.len()) {
        return Err(Error::new("dcount_intersect() takes 2 to 16 hll() results"));
    }
    let mut cols = Vec::new();
    for a in args {
        cols.push(column_values(t, a, cx)?.0);
    }
    let mut out = t.clone();
    for i in 0..args.len() {
        let name = crate::engine::table::fresh_name(&out.cols, &format!("s{i}"));
        out.cols.push(Col::new(name, Ty::Long));
    }
    for (r, row) in out.rows.iter_mut().enumerate() {
        let mut acc: Option<BTreeSet<u64>> = None;
        for c in &cols {
            let set = sketch::hll_set(&c[r]).unwrap_or_default();
            let cur = match acc {
                None => set,
                Some(a) => a.intersection(&set).copied().collect(),
            };
            row.push(Value::Long(cur.len() as i64));
            acc = Some(cur);
        }
    }
    Ok(out)
}

fn ticks(e: &Expr, what: &str, cx: &Ctx) -> Result<i64> {
    match eval_scalar(e, cx)?.undyn_scalar() {
        Value::DateTime(t) | Value::Timespan(t) | Value::Long(t) => Ok(t),
        Value::Int(v) => Ok(i64::from(v)),
        _ => Err(Error::at(
            e.span(),
            format!("{what} must be a datetime, timespan or number"),
        )),
    }
}

/// `active_users_count(Id, Timeline, Start, End, LookbackWindow, Period,
/// ActivePeriodsCount, Bin [, dim1, ...])` (active-users-count-plugin.md): an
/// appearance of an id at time `t` (Start <= t <= End) is active when the id appears in
/// at least `ActivePeriodsCount` distinct periods (`Period`-long, aligned at Start)
/// within the lookback window `(t - LookbackWindow, t]` (appearances before Start
/// count there). Per `Bin` (aligned at Start) and dimensions, the distinct ids with an
/// active appearance; bins without any are not output. Rows in bin, then dimension,
/// order.
pub fn active_users_count(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    if args.len() < 8 {
        return Err(Error::new(
            "active_users_count() takes at least 8 arguments",
        ));
    }
    let (ids, _) = column_values(t, &args[0], cx)?;
    let (times, time_ty) = column_values(t, &args[1], cx)?;
    let start = ticks(&args[2], "Start", cx)?;
    let end = ticks(&args[3], "End", cx)?;
    let lookback = ticks(&args[4], "LookbackWindow", cx)?;
    let period = ticks(&args[5], "Period", cx)?;
    let needed = eval_scalar(&args[6], cx)?.as_f64().unwrap_or(f64::NAN);
    let bin = ticks(&args[7], "Bin", cx)?;
    if period <= 0 || bin <= 0 {
        return Err(Error::new(
            "active_users_count(): Period and Bin must be positive",
        ));
    }
    let mut dims = Vec::new();
    let mut dim_cols = Vec::new();
    for d in &args[8..] {
        let (v, ty) = column_values(t, d, cx)?;
        dim_cols.push(Col::new(expr_name(d).unwrap_or_else(|| "dim".into()), ty));
        dims.push(v);
    }
    // Appearances per (dimensions, id): (time, period index), by time.
    type Group = (Vec<Key>, Key);
    let mut by_id: BTreeMap<Group, Vec<i64>> = BTreeMap::new();
    let mut dim_values: BTreeMap<Vec<Key>, Vec<Value>> = BTreeMap::new();
    for i in 0..t.rows.len() {
        let Some(ti) = as_ticks(&times[i]) else {
            continue;
        };
        if ids[i].is_null() {
            continue;
        }
        let dk: Vec<Key> = dims.iter().map(|d| d[i].key()).collect();
        dim_values
            .entry(dk.clone())
            .or_insert_with(|| dims.iter().map(|d| d[i].clone()).collect());
        by_id.entry((dk, ids[i].key())).or_default().push(ti);
    }
    // (bin index, dimensions) -> active ids.
    let mut active: BTreeMap<(i64, Vec<Key>), HashSet<Key>> = BTreeMap::new();
    for ((dk, id), ts) in &mut by_id {
        ts.sort_unstable();
        for &ti in ts.iter() {
            if ti < start || ti > end {
                continue;
            }
            let from = ti.saturating_sub(lookback);
            let periods: HashSet<i64> = ts
                .iter()
                .filter(|&&x| x > from && x <= ti)
                .map(|&x| (x - start).div_euclid(period))
                .collect();
            if periods.len() as f64 >= needed {
                active
                    .entry(((ti - start).div_euclid(bin), dk.clone()))
                    .or_default()
                    .insert(id.clone());
            }
        }
    }
    let time_name = expr_name(&args[1]).unwrap_or_else(|| "Timestamp".into());
    let mut cols = vec![Col::new(time_name, time_ty)];
    cols.extend(dim_cols);
    cols.push(Col::new("dcount", Ty::Long));
    let mut out = Table::new(cols);
    for ((b, dk), set) in active {
        let at = start + b * bin;
        let mut row = vec![match time_ty {
            Ty::DateTime => Value::DateTime(at),
            Ty::Timespan => Value::Timespan(at),
            _ => Value::Long(at),
        }];
        row.extend(dim_values.get(&dk).cloned().unwrap_or_default());
        row.push(Value::Long(set.len() as i64));
        out.rows.push(row);
    }
    Ok(out)
}

/// Ticks of a datetime or timespan, or a whole number.
fn as_ticks(v: &Value) -> Option<i64> {
    match v.clone().undyn_scalar() {
        Value::DateTime(t) | Value::Timespan(t) | Value::Long(t) => Some(t),
        Value::Int(v) => Some(i64::from(v)),
        _ => None,
    }
}
