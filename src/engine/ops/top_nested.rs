//! `top-nested`: hierarchical top-N. Each clause groups the rows its parent group kept
//! by its `of` expression, aggregates every group with its `by` aggregation, and keeps
//! the `N` groups with the highest (`desc`, the default) or lowest (`asc`) aggregate
//! (all groups without `N`); groups with equal aggregates keep their order of first
//! appearance. `with others = v` adds, per parent group, a row whose `of` value is `v`
//! and whose aggregate covers the rows of the groups not kept (its deeper columns are
//! null). Output rows are depth-first: each kept group's rows follow it, in rank order.

use std::collections::HashMap;

use super::super::eval::{Row, eval};
use super::super::exec::Ctx;
use super::super::table::{Col, Table, column_type, fresh_name};
use super::super::value::{Key, Value, compare};
use super::super::{Error, Result};
use super::{agg_default_name, expr_name};
use crate::kql::ast::*;

pub fn top_nested(t: &Table, clauses: &[TopNestedClause], cx: &Ctx) -> Result<Table> {
    // Each clause's `of` values per input row, evaluated once.
    let mut of_vals: Vec<Vec<Value>> = Vec::with_capacity(clauses.len());
    let mut counts: Vec<Option<usize>> = Vec::with_capacity(clauses.len());
    for c in clauses {
        let mut v = Vec::with_capacity(t.rows.len());
        for i in 0..t.rows.len() {
            v.push(eval(&c.of.expr, &Row::new(t, i), cx)?);
        }
        of_vals.push(v);
        counts.push(match &c.count {
            Some(e) => {
                let n = super::super::eval::eval_scalar(e, cx)?;
                Some(
                    n.as_i64()
                        .ok_or_else(|| {
                            Error::at(e.span(), "the `top-nested` count must be a number")
                        })?
                        .max(0) as usize,
                )
            }
            None => None,
        });
    }
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let all: Vec<usize> = (0..t.rows.len()).collect();
    level(
        t,
        clauses,
        &of_vals,
        &counts,
        0,
        &all,
        &mut Vec::new(),
        &mut rows,
        cx,
    )?;
    let mut cols: Vec<Col> = Vec::new();
    for (k, c) in clauses.iter().enumerate() {
        for (j, ne) in [&c.of, &c.by].into_iter().enumerate() {
            let base = ne
                .names
                .first()
                .map(|n| n.name.clone())
                .or_else(|| {
                    if j == 0 {
                        expr_name(&ne.expr)
                    } else {
                        agg_default_name(&ne.expr)
                    }
                })
                .unwrap_or_else(|| format!("Column{}", cols.len() + 1));
            let name = fresh_name(&cols, &base);
            let ty = column_type(rows.iter().map(|r| &r[2 * k + j]), None);
            cols.push(Col::new(name, ty));
        }
    }
    Ok(Table { cols, rows })
}

#[allow(clippy::too_many_arguments)]
fn level(
    t: &Table,
    clauses: &[TopNestedClause],
    of_vals: &[Vec<Value>],
    counts: &[Option<usize>],
    k: usize,
    members: &[usize],
    prefix: &mut Vec<Value>,
    out: &mut Vec<Vec<Value>>,
    cx: &Ctx,
) -> Result<()> {
    let Some(c) = clauses.get(k) else {
        out.push(prefix.clone());
        return Ok(());
    };
    let mut order: Vec<Key> = Vec::new();
    let mut groups: HashMap<Key, (Value, Vec<usize>)> = HashMap::new();
    for &i in members {
        let v = &of_vals[k][i];
        groups
            .entry(v.key())
            .or_insert_with(|| {
                order.push(v.key());
                (v.clone(), Vec::new())
            })
            .1
            .push(i);
    }
    let agg = |rows: &[usize]| -> Result<Value> {
        let first = rows.first().copied().unwrap_or(0);
        eval(
            &c.by.expr,
            &Row {
                table: t,
                i: first,
                group: Some(rows),
            },
            cx,
        )
    };
    let mut ranked: Vec<(Value, Value, Vec<usize>)> = Vec::with_capacity(order.len());
    for key in &order {
        if let Some((v, rows)) = groups.remove(key) {
            let a = agg(&rows)?;
            ranked.push((v, a, rows));
        }
    }
    let asc = matches!(c.order, Some(SortOrder::Asc));
    // Nulls rank last either way.
    ranked.sort_by(|x, y| match (x.1.is_null(), y.1.is_null()) {
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ if asc => compare(&x.1, &y.1),
        _ => compare(&y.1, &x.1),
    });
    let keep = counts[k].unwrap_or(ranked.len()).min(ranked.len());
    let rest: Vec<usize> = ranked[keep..]
        .iter()
        .flat_map(|g| g.2.iter().copied())
        .collect();
    for (v, a, rows) in ranked.into_iter().take(keep) {
        prefix.push(v);
        prefix.push(a);
        level(t, clauses, of_vals, counts, k + 1, &rows, prefix, out, cx)?;
        prefix.truncate(prefix.len() - 2);
    }
    if let Some(others) = &c.others
        && !rest.is_empty()
    {
        let mut row = prefix.clone();
        row.push(super::super::eval::eval_scalar(others, cx)?);
        row.push(agg(&rest)?);
        row.resize(clauses.len() * 2, Value::Null);
        out.push(row);
    }
    Ok(())
}
