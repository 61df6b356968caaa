//! Aggregate functions over a group of rows.
//!
//! `dcount` is exact (Kusto's is an estimate, exact for small counts). `percentile`
//! uses the nearest-rank method on the exact values (Kusto's T-Digest gives the same
//! on small inputs). `make_set` keeps first-appearance order. Nulls are skipped by
//! every aggregate except `count()`; `make_list`/`make_set` also skip nulls.

use super::eval::{Row, eval, truth};
use super::exec::Ctx;
use super::sketch::{self, TDigest};
use super::table::Table;
use super::value::{self, Json, Value};
use super::{Error, Result, arith};
use crate::kql::ast::{BinOp, Expr};

pub fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "countif"
            | "dcount"
            | "dcountif"
            | "count_distinct"
            | "count_distinctif"
            | "sum"
            | "sumif"
            | "avg"
            | "avgif"
            | "min"
            | "max"
            | "minif"
            | "maxif"
            | "arg_max"
            | "arg_min"
            | "make_set"
            | "make_set_if"
            | "makeset"
            | "make_list"
            | "make_list_if"
            | "makelist"
            | "make_list_with_nulls"
            | "make_bag"
            | "make_bag_if"
            | "take_any"
            | "take_anyif"
            | "any"
            | "anyif"
            | "percentile"
            | "percentiles"
            | "percentiles_array"
            | "percentilew"
            | "percentilesw"
            | "percentilesw_array"
            | "variancepif"
            | "stdevpif"
            | "stdev"
            | "stdevif"
            | "stdevp"
            | "variance"
            | "varianceif"
            | "variancep"
            | "covariance"
            | "covariancep"
            | "covarianceif"
            | "covariancepif"
            | "binary_all_and"
            | "binary_all_or"
            | "binary_all_xor"
            | "tdigest"
            | "tdigest_merge"
            | "hll"
            | "hll_if"
            | "hll_merge"
            | "buildschema"
    )
}

/// Evaluates `e` on each row of the group (skipping rows where `cond` is not true).
fn values(
    e: &Expr,
    cond: Option<&Expr>,
    group: &[usize],
    t: &Table,
    cx: &Ctx,
) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(group.len());
    if let Some(c) = plain_column(e, t) {
        // A column by name: its cells, without evaluating the name per row.
        for &i in group {
            if let Some(c) = cond
                && truth(&eval(c, &Row::new(t, i), cx)?) != Some(true)
            {
                continue;
            }
            out.push(t.rows[i][c].clone());
        }
        return Ok(out);
    }
    for &i in group {
        let row = Row::new(t, i);
        if let Some(c) = cond
            && truth(&eval(c, &row, cx)?) != Some(true)
        {
            continue;
        }
        out.push(eval(e, &row, cx)?);
    }
    Ok(out)
}

/// The column `e` names when it is a plain name of one of `t`'s columns (a column is
/// found before any `let` name of the same spelling, as [`eval`] finds it).
fn plain_column(e: &Expr, t: &Table) -> Option<usize> {
    match e.unparen() {
        Expr::Name(n) => t.col(&n.name),
        _ => None,
    }
}

fn arg<'a>(name: &str, args: &'a [Expr], i: usize) -> Result<&'a Expr> {
    args.get(i)
        .ok_or_else(|| Error::new(format!("`{name}()` needs argument {}", i + 1)))
}

/// The row index `arg_max`/`arg_min` picks in a group (first row on ties).
pub fn arg_row(
    name: &str,
    args: &[Expr],
    group: &[usize],
    t: &Table,
    cx: &Ctx,
) -> Result<Option<usize>> {
    let e = arg(name, args, 0)?;
    let mut best: Option<(usize, Value)> = None;
    for &i in group {
        let v = eval(e, &Row::new(t, i), cx)?;
        if v.is_null() {
            continue;
        }
        let better = match &best {
            None => true,
            Some((_, b)) => {
                let o = value::compare(&v, b);
                if name == "arg_max" {
                    o.is_gt()
                } else {
                    o.is_lt()
                }
            }
        };
        if better {
            best = Some((i, v));
        }
    }
    Ok(best.map(|(i, _)| i).or(group.first().copied()))
}

pub fn compute(name: &str, args: &[Expr], group: &[usize], t: &Table, cx: &Ctx) -> Result<Value> {
    let non_null =
        |v: Vec<Value>| -> Vec<Value> { v.into_iter().filter(|x| !x.is_null()).collect() };
    let with_if = |n: usize| -> Result<Vec<Value>> {
        let cond = if name.ends_with("if") {
            Some(arg(name, args, n)?)
        } else {
            None
        };
        values(arg(name, args, 0)?, cond, group, t, cx).map(non_null)
    };
    Ok(match name {
        // `count(expr)` counts rows, nulls included (summarize docs: `count(y)` over
        // two rows, one of them null, is 2).
        "count" => Value::Long(group.len() as i64),
        "countif" => {
            let e = arg(name, args, 0)?;
            let mut n = 0;
            for &i in group {
                if truth(&eval(e, &Row::new(t, i), cx)?) == Some(true) {
                    n += 1;
                }
            }
            Value::Long(n)
        }
        "dcount" | "dcountif" | "count_distinct" | "count_distinctif" => {
            let vals = with_if(1)?;
            let set: std::collections::HashSet<_> = vals.iter().map(Value::key).collect();
            Value::Long(set.len() as i64)
        }
        "sum" | "sumif" => sum(&with_if(1)?)?,
        "avg" | "avgif" => {
            let vals = with_if(1)?;
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            match sum(&vals)? {
                Value::Timespan(s) => Value::Timespan(s / vals.len() as i64),
                Value::Decimal(s) => Value::Decimal(s / vals.len() as f64),
                s => Value::Real(s.as_f64().unwrap_or(f64::NAN) / vals.len() as f64),
            }
        }
        "min" | "max" if plain_column(arg(name, args, 0)?, t).is_some() => {
            // A column: compared in place, only the result cloned.
            let c = plain_column(arg(name, args, 0)?, t).unwrap_or_default();
            let mut best: Option<&Value> = None;
            for &i in group {
                let v = &t.rows[i][c];
                if v.is_null() {
                    continue;
                }
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = value::compare(v, b);
                        if (name == "max" && o.is_gt()) || (name == "min" && o.is_lt()) {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.cloned().unwrap_or(Value::Null)
        }
        "min" | "max" | "minif" | "maxif" => {
            let vals = with_if(1)?;
            let mut best: Option<Value> = None;
            for v in vals {
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let o = value::compare(&v, &b);
                        if (name.starts_with("max") && o.is_gt())
                            || (name.starts_with("min") && o.is_lt())
                        {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.unwrap_or(Value::Null)
        }
        "take_any" | "any" | "take_anyif" | "anyif" => {
            let vals = if name.ends_with("if") {
                with_if(1)?
            } else {
                non_null(values(arg(name, args, 0)?, None, group, t, cx)?)
            };
            vals.into_iter().next().unwrap_or(Value::Null)
        }
        "make_list" | "makelist" | "make_list_if" | "make_list_with_nulls" => {
            let (vals, max_at) = if name == "make_list_if" {
                (with_if(1)?, 2)
            } else if name == "make_list_with_nulls" {
                (values(arg(name, args, 0)?, None, group, t, cx)?, 1)
            } else {
                (with_if(1)?, 1)
            };
            let max = limit(args, max_at, cx)?;
            Value::dynamic(Json::Array(
                vals.iter().take(max).flat_map(list_items).collect(),
            ))
        }
        "make_set" | "makeset" | "make_set_if" => {
            let vals = with_if(1)?;
            let max = limit(args, if name == "make_set_if" { 2 } else { 1 }, cx)?;
            let mut seen = std::collections::HashSet::new();
            let mut out = Vec::new();
            for j in vals.iter().flat_map(list_items) {
                if out.len() >= max {
                    break;
                }
                if seen.insert(super::format::json_compact(&j)) {
                    out.push(j);
                }
            }
            Value::dynamic(Json::Array(out))
        }
        "make_bag" | "make_bag_if" => {
            let vals = with_if(1)?;
            let mut m = serde_json::Map::new();
            for v in vals {
                if let Some(Json::Object(o)) = v.as_json() {
                    for (k, x) in o {
                        m.entry(k.clone()).or_insert_with(|| x.clone());
                    }
                }
            }
            Value::dynamic(Json::Object(m))
        }
        "percentile" | "percentiles_array" | "percentilew" | "percentilesw_array" => {
            let weighted = name.contains('w');
            let mut vals = sorted_values(args, group, t, cx, weighted)?;
            vals.sort_by(|a, b| value::compare(&a.0, &b.0));
            let first_p = if weighted { 2 } else { 1 };
            let mut ps = Vec::new();
            for e in &args[first_p.min(args.len())..] {
                let v = eval(e, &Row::new(t, group.first().copied().unwrap_or(0)), cx)?;
                match v.as_json() {
                    Some(Json::Array(a)) => ps.extend(a.iter().filter_map(Json::as_f64)),
                    _ => ps.extend(v.as_f64()),
                }
            }
            if !name.contains("array") {
                let p = ps.first().copied().unwrap_or(50.0);
                return Ok(nearest_rank(&vals, p));
            }
            Value::dynamic(Json::Array(
                ps.iter()
                    .map(|p| nearest_rank(&vals, *p).to_json())
                    .collect(),
            ))
        }
        "stdev" | "stdevif" | "stdevp" | "stdevpif" | "variance" | "varianceif" | "variancep"
        | "variancepif" => {
            let vals: Vec<f64> = with_if(1)?.iter().filter_map(Value::as_f64).collect();
            let n = vals.len() as f64;
            let sample = !name.trim_end_matches("if").ends_with('p');
            if vals.is_empty() || (sample && vals.len() < 2) {
                return Ok(Value::Real(0.0));
            }
            let mean = vals.iter().sum::<f64>() / n;
            let ss: f64 = vals.iter().map(|x| (x - mean) * (x - mean)).sum();
            let var = ss / if sample { n - 1.0 } else { n };
            Value::Real(if name.starts_with("stdev") {
                var.sqrt()
            } else {
                var
            })
        }
        "covariance" | "covariancep" | "covarianceif" | "covariancepif" => {
            let (x, y) = (arg(name, args, 0)?, arg(name, args, 1)?);
            let cond = if name.ends_with("if") {
                Some(arg(name, args, 2)?)
            } else {
                None
            };
            let mut pairs = Vec::new();
            for &i in group {
                let row = Row::new(t, i);
                if let Some(c) = cond
                    && truth(&eval(c, &row, cx)?) != Some(true)
                {
                    continue;
                }
                if let (Some(a), Some(b)) =
                    (eval(x, &row, cx)?.as_f64(), eval(y, &row, cx)?.as_f64())
                {
                    pairs.push((a, b));
                }
            }
            let n = pairs.len() as f64;
            let sample = !name.trim_end_matches("if").ends_with('p');
            if pairs.is_empty() || (sample && pairs.len() < 2) {
                return Ok(Value::Real(0.0));
            }
            let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
            let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
            let s: f64 = pairs.iter().map(|(a, b)| (a - mx) * (b - my)).sum();
            Value::Real(s / if sample { n - 1.0 } else { n })
        }
        "binary_all_and" | "binary_all_or" | "binary_all_xor" => {
            let vals: Vec<i64> = with_if(1)?.iter().filter_map(Value::as_i64).collect();
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            Value::Long(
                vals.into_iter()
                    .reduce(|a, b| match name {
                        "binary_all_and" => a & b,
                        "binary_all_or" => a | b,
                        _ => a ^ b,
                    })
                    .unwrap_or(0),
            )
        }
        "tdigest" => {
            let e = arg(name, args, 0)?;
            let mut pairs = Vec::new();
            for &i in group {
                let row = Row::new(t, i);
                let w = match args.get(1) {
                    Some(w) => eval(w, &row, cx)?.as_f64().unwrap_or(f64::NAN),
                    None => 1.0,
                };
                pairs.push((eval(e, &row, cx)?, w));
            }
            TDigest::build(pairs).map_or(Value::Null, |d| d.to_value())
        }
        "tdigest_merge" => {
            let vals = with_if(1)?;
            TDigest::merge(vals.iter().filter_map(TDigest::from_value))
                .map_or(Value::Null, |d| d.to_value())
        }
        "hll" | "hll_if" => {
            let vals = if name == "hll_if" {
                with_if(1)?
            } else {
                non_null(values(arg(name, args, 0)?, None, group, t, cx)?)
            };
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            sketch::hll_of(&vals)
        }
        "hll_merge" => {
            let vals = with_if(1)?;
            if vals.is_empty() {
                return Ok(Value::Null);
            }
            sketch::hll_merge(&vals)
        }
        "buildschema" => {
            let vals = with_if(1)?;
            sketch::build_schema(&vals).map_or(Value::Null, Value::dynamic)
        }
        _ => return Err(Error::new(format!("`{name}()` is not supported here"))),
    })
}

fn list_items(v: &Value) -> Vec<Json> {
    match v.as_json() {
        Some(Json::Array(a)) => a.clone(),
        _ => vec![v.to_json()],
    }
}

fn limit(args: &[Expr], i: usize, cx: &Ctx) -> Result<usize> {
    match args.get(i) {
        Some(e) => Ok(super::eval::eval_scalar(e, cx)?
            .as_i64()
            .map_or(1_048_576, |n| n.max(0) as usize)),
        None => Ok(1_048_576),
    }
}

fn sorted_values(
    args: &[Expr],
    group: &[usize],
    t: &Table,
    cx: &Ctx,
    weighted: bool,
) -> Result<Vec<(Value, i64)>> {
    let e = arg("percentile", args, 0)?;
    let mut out = Vec::new();
    for &i in group {
        let row = Row::new(t, i);
        let v = eval(e, &row, cx)?;
        if v.is_null() {
            continue;
        }
        let w = if weighted {
            eval(arg("percentilew", args, 1)?, &row, cx)?
                .as_i64()
                .unwrap_or(1)
        } else {
            1
        };
        out.push((v, w));
    }
    Ok(out)
}

/// Nearest-rank percentile over sorted (value, weight) pairs.
fn nearest_rank(vals: &[(Value, i64)], p: f64) -> Value {
    let total: i64 = vals.iter().map(|v| v.1.max(0)).sum();
    if total == 0 {
        return Value::Null;
    }
    let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as i64;
    let mut acc = 0;
    for (v, w) in vals {
        acc += w.max(&0);
        if acc >= rank {
            return v.clone();
        }
    }
    vals.last().map(|v| v.0.clone()).unwrap_or(Value::Null)
}

fn sum(vals: &[Value]) -> Result<Value> {
    let mut acc: Option<Value> = None;
    for v in vals {
        acc = Some(match acc {
            None => match v {
                Value::Int(i) => Value::Long(i64::from(*i)),
                other => other.clone(),
            },
            Some(a) => arith::binary(BinOp::Add, &a, v)?,
        });
    }
    Ok(acc.unwrap_or(Value::Long(0)))
}
