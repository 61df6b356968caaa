//! `evaluate` plugins: `pivot`, `ipv4_lookup`, `ipv6_lookup`, `geo_line_lookup`
//! (`bag_unpack` is in `expand`).

use std::collections::HashMap;

use super::basic::column_values;
use super::expr_name;
use crate::engine::aggs;
use crate::engine::eval::{Row, eval};
use crate::engine::exec::{self, Ctx};
use crate::engine::table::{Col, Table, column_type, fresh_name};
use crate::engine::value::{Key, Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

/// A pivot group: its first row and its rows per pivot value.
type PivotGroup = (usize, HashMap<Key, Vec<usize>>);

/// `pivot(PivotColumn [, agg(Column)] [, Col1, Col2, ...])`: one row per combination of
/// the listed columns, one column per value of `PivotColumn` (in ascending order), each
/// holding the aggregate (default `count()`) of the rows with that value.
pub fn pivot(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let Some(pcol) = args.first() else {
        return Err(Error::new("pivot() needs a pivot column"));
    };
    let (agg, by): (Option<&Expr>, &[Expr]) = match args.get(1) {
        Some(e @ Expr::Call { func, .. }) if aggs::is_aggregate(&func.name) => {
            (Some(e), &args[2..])
        }
        _ => (None, &args[1.min(args.len())..]),
    };
    let (pvals, _) = column_values(t, pcol, cx)?;
    let mut distinct: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in &pvals {
        if seen.insert(v.key()) {
            distinct.push(v.clone());
        }
    }
    distinct.sort_by(crate::engine::value::compare);
    let mut by_cols = Vec::new();
    let mut by_vals = Vec::new();
    for e in by {
        let (vals, ty) = column_values(t, e, cx)?;
        by_cols.push(Col::new(
            expr_name(e).unwrap_or_else(|| "Column".into()),
            ty,
        ));
        by_vals.push(vals);
    }
    let mut order: Vec<Vec<Key>> = Vec::new();
    let mut groups: HashMap<Vec<Key>, PivotGroup> = HashMap::new();
    for i in 0..t.rows.len() {
        let k: Vec<Key> = by_vals.iter().map(|c| c[i].key()).collect();
        let g = groups.entry(k.clone()).or_insert_with(|| {
            order.push(k.clone());
            (i, HashMap::new())
        });
        g.1.entry(pvals[i].key()).or_default().push(i);
    }
    let mut cols = by_cols.clone();
    for v in &distinct {
        let n = fresh_name(&cols, &v.to_kusto_string());
        cols.push(Col::new(n, Ty::Long));
    }
    let mut out = Table::new(cols);
    for k in &order {
        let (first, per) = &groups[k];
        let mut row: Vec<Value> = by_vals.iter().map(|c| c[*first].clone()).collect();
        for v in &distinct {
            let rows = per.get(&v.key()).map_or(&[][..], |r| r.as_slice());
            let cell = match agg {
                None => Value::Long(rows.len() as i64),
                Some(e) => {
                    let gr = Row {
                        table: t,
                        i: rows.first().copied().unwrap_or(0),
                        group: Some(rows),
                    };
                    eval(e, &gr, cx)?
                }
            };
            row.push(cell);
        }
        out.rows.push(row);
    }
    let nby = by_cols.len();
    for c in nby..out.cols.len() {
        out.cols[c].ty = column_type(out.rows.iter().map(|r| &r[c]), Some(Ty::Long));
    }
    Ok(out)
}

/// `ipv4_lookup(LookupTable, SourceIP, RangeColumn [, return_unmatched])`: each input
/// row joined with the lookup rows whose range holds its address (the most specific
/// range first); unmatched rows are dropped unless `return_unmatched` is true.
pub fn ip_lookup(t: &Table, args: &[Expr], v6: bool, cx: &Ctx) -> Result<Table> {
    let (Some(lookup), Some(ip), Some(range)) = (args.first(), args.get(1), args.get(2)) else {
        return Err(Error::new(
            "ipv4_lookup() needs a lookup table, an address column and a range column",
        ));
    };
    let keep_unmatched = match args.get(3) {
        Some(e) => crate::engine::eval::eval_scalar(e, cx)?.as_bool() == Some(true),
        None => false,
    };
    let lt = exec::tabular(lookup, cx)?;
    let rname = expr_name(range).unwrap_or_default();
    let rc = lt
        .col(&rname)
        .ok_or_else(|| Error::at(range.span(), format!("unknown lookup column `{rname}`")))?;
    let fname = if v6 {
        "ipv6_is_in_range"
    } else {
        "ipv4_is_in_range"
    };
    // The lookup table's columns come first (ipv6_lookup docs).
    let mut cols = lt.cols.clone();
    for c in &t.cols {
        let n = fresh_name(&cols, &c.name);
        cols.push(Col::new(n, c.ty));
    }
    let mut out = Table::new(cols);
    for i in 0..t.rows.len() {
        let addr = eval(ip, &Row::new(t, i), cx)?;
        let mut hit = None;
        let mut best_prefix = -1i64;
        for (j, lr) in lt.rows.iter().enumerate() {
            let r = &lr[rc];
            let inside = crate::engine::funcs::ip::call(fname, &[addr.clone(), r.clone()])
                .transpose()?
                .and_then(|v| v.as_bool())
                == Some(true);
            if inside {
                let p = r
                    .to_kusto_string()
                    .split_once('/')
                    .and_then(|(_, p)| p.trim().parse::<i64>().ok())
                    .unwrap_or(if v6 { 128 } else { 32 });
                if p > best_prefix {
                    best_prefix = p;
                    hit = Some(j);
                }
            }
        }
        match hit {
            Some(j) => {
                let mut row = lt.rows[j].clone();
                row.extend(t.rows[i].iter().cloned());
                out.rows.push(row);
            }
            None if keep_unmatched => {
                let mut row: Vec<Value> = lt.cols.iter().map(|_| Value::Null).collect();
                row.extend(t.rows[i].iter().cloned());
                out.rows.push(row);
            }
            None => {}
        }
    }
    Ok(out)
}

/// `geo_line_lookup(LookupTable, LineKey, Longitude, Latitude, radius [,
/// return_unmatched] [, lookup_area_radius] [, return_lookup_key])`: each input row
/// joined with every lookup row whose line passes within `radius` meters of the point
/// (lookup rows in table order). The input columns come first, then the lookup
/// table's, without the line column unless `return_lookup_key`; unmatched rows are
/// kept (with empty lookup columns) when `return_unmatched`.
pub fn geo_line_lookup(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let (Some(lookup), Some(key), Some(lng), Some(lat), Some(radius)) = (
        args.first(),
        args.get(1),
        args.get(2),
        args.get(3),
        args.get(4),
    ) else {
        return Err(Error::new(
            "geo_line_lookup() needs a lookup table, a line column, longitude, latitude and a radius",
        ));
    };
    let mut flags: HashMap<&str, bool> = HashMap::new();
    let positional = [
        "return_unmatched",
        "lookup_area_radius",
        "return_lookup_key",
    ];
    for (k, a) in args[5..].iter().enumerate() {
        let name = cx
            .arg_name(a)
            .unwrap_or(positional.get(k).copied().unwrap_or(""));
        let name = positional
            .iter()
            .find(|p| **p == name)
            .copied()
            .unwrap_or("");
        let v = crate::engine::eval::eval_scalar(a, cx)?;
        flags.insert(name, v.as_bool() == Some(true));
    }
    let unmatched = flags.get("return_unmatched").copied().unwrap_or(false);
    let with_key = flags.get("return_lookup_key").copied().unwrap_or(false);
    let radius = crate::engine::eval::eval_scalar(radius, cx)?;
    let lookup = super::geo_plugins::GeoLookup {
        lookup,
        key,
        lng,
        lat,
        unmatched,
        with_key,
    };
    lookup.run(t, cx, |x, y, line| {
        let d = crate::engine::funcs::geo::call(
            "geo_distance_point_to_line",
            &[x.clone(), y.clone(), line.clone()],
        )
        .transpose()?
        .and_then(|v| v.as_f64());
        Ok(d.is_some_and(|d| radius.as_f64().is_some_and(|r| d <= r)))
    })
}
