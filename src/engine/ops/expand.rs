//! `mv-expand`, `mv-apply` and `evaluate` plugins (`bag_unpack`).

use std::rc::Rc;

use super::basic::set_column;
use super::expr_name;
use crate::engine::eval::{Row, eval, eval_scalar};
use crate::engine::exec::Ctx;
use crate::engine::table::{Col, Table, coerce};
use crate::engine::value::{Json, Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

fn param<'a>(params: &'a [OpParam], name: &str) -> Option<&'a Expr> {
    params
        .iter()
        .find(|p| p.name.name == name)
        .map(|p| &p.value)
}

/// The elements an `mv-expand` item yields for one value: array elements, bag entries
/// (`{"k": v}` or `["k", v]` with `kind=array`), or the value itself.
fn elements(v: &Value, bag_as_array: bool) -> Vec<Value> {
    match v.as_json() {
        Some(Json::Array(a)) => a.iter().cloned().map(Value::dynamic).collect(),
        Some(Json::Object(m)) => m
            .iter()
            .map(|(k, x)| {
                if bag_as_array {
                    Value::dynamic(Json::Array(vec![Json::String(k.clone()), x.clone()]))
                } else {
                    let mut o = serde_json::Map::new();
                    o.insert(k.clone(), x.clone());
                    Value::dynamic(Json::Object(o))
                }
            })
            .collect(),
        _ => vec![v.clone()],
    }
}

struct Expanded {
    table: Table,
    /// For each output row, the input row it came from.
    origin: Vec<usize>,
}

fn expand(
    t: &Table,
    params: &[OpParam],
    items: &[MvItem],
    limit: Option<&Expr>,
    cx: &Ctx,
) -> Result<Expanded> {
    let bag_as_array = param(params, "kind").and_then(Expr::as_name) == Some("array");
    let index_col = param(params, "with_itemindex").and_then(Expr::as_name);
    let limit = match limit {
        Some(e) => eval_scalar(e, cx)?.as_i64().map(|n| n.max(0) as usize),
        None => None,
    };
    let mut names = Vec::new();
    let mut tys = Vec::new();
    for (k, it) in items.iter().enumerate() {
        let name = match it.expr.names.first() {
            Some(n) => n.name.clone(),
            None => expr_name(&it.expr.expr).unwrap_or_else(|| format!("Column{}", k + 1)),
        };
        names.push(name);
        tys.push(match &it.to_type {
            Some(ty) => Some(
                Ty::parse(&ty.name)
                    .ok_or_else(|| Error::at(ty.span, format!("unknown type `{}`", ty.name)))?,
            ),
            None => None,
        });
    }
    let mut out = t.clone();
    out.rows.clear();
    for (n, ty) in names.iter().zip(&tys) {
        let ty = ty.unwrap_or(Ty::Dynamic);
        match out.col(n) {
            Some(c) => out.cols[c].ty = ty,
            None => out.cols.push(Col::new(n.as_str(), ty)),
        }
    }
    if let Some(ic) = index_col {
        out.cols.push(Col::new(ic, Ty::Long));
    }
    let positions: Vec<usize> = names.iter().map(|n| out.col(n).unwrap_or(0)).collect();
    let mut origin = Vec::new();
    for i in 0..t.rows.len() {
        let row = Row::new(t, i);
        let mut lists = Vec::with_capacity(items.len());
        for it in items {
            let v = eval(&it.expr.expr, &row, cx)?;
            lists.push(elements(&v, bag_as_array));
        }
        let n = lists.iter().map(Vec::len).max().unwrap_or(0);
        let n = limit.map_or(n, |l| n.min(l));
        for k in 0..n {
            let mut r = t.rows[i].clone();
            r.resize(
                out.cols.len() - usize::from(index_col.is_some()),
                Value::Null,
            );
            for (j, list) in lists.iter().enumerate() {
                let v = list.get(k).cloned().unwrap_or(Value::Null);
                r[positions[j]] = match tys[j] {
                    Some(ty) => coerce(v.undyn(), ty),
                    None => v,
                };
            }
            if index_col.is_some() {
                r.push(Value::Long(k as i64));
            }
            out.rows.push(r);
            origin.push(i);
        }
    }
    Ok(Expanded { table: out, origin })
}

pub fn mv_expand(
    t: &Table,
    params: &[OpParam],
    items: &[MvItem],
    limit: Option<&Expr>,
    cx: &Ctx,
) -> Result<Table> {
    Ok(expand(t, params, items, limit, cx)?.table)
}

pub fn mv_apply(
    t: &Table,
    params: &[OpParam],
    items: &[MvItem],
    limit: Option<&Expr>,
    on: &[PipeOp],
    cx: &Ctx,
) -> Result<Table> {
    let e = expand(t, params, items, limit, cx)?;
    let mut out: Option<Table> = None;
    let mut start = 0;
    for i in 0..t.rows.len() {
        let mut end = start;
        while end < e.origin.len() && e.origin[end] == i {
            end += 1;
        }
        let sub = Table {
            cols: e.table.cols.clone(),
            rows: e.table.rows[start..end].to_vec(),
        };
        start = end;
        let mut cur = Rc::new(sub);
        let mut scx = cx.clone();
        for op in on {
            cur = super::apply(cur, op, &mut scx)?;
        }
        // Columns of the input row that the subquery dropped are added back.
        let mut res = (*cur).clone();
        for (c, col) in t.cols.iter().enumerate() {
            if res.col(&col.name).is_none() {
                res.cols.insert(c.min(res.cols.len()), col.clone());
                let at = res.col(&col.name).unwrap_or(0);
                for r in &mut res.rows {
                    r.insert(at, t.rows[i][c].clone());
                }
            }
        }
        match &mut out {
            None => out = Some(res),
            Some(o) => {
                for r in res.rows {
                    let row = o
                        .cols
                        .iter()
                        .map(|c| {
                            res.cols
                                .iter()
                                .position(|x| x.name == c.name)
                                .map_or(Value::Null, |k| r[k].clone())
                        })
                        .collect();
                    o.rows.push(row);
                }
            }
        }
    }
    Ok(out.unwrap_or_else(|| Table::new(e.table.cols.clone())))
}

/// A plugin's declared output schema, `: ([*,] Col:type, ...)`: the declared columns
/// (converted to their types) after, with `*`, the input's other columns that the
/// plugin kept; anything else the plugin produced is dropped.
pub fn apply_schema(input: &Table, out: Table, s: &EvaluateSchema) -> Table {
    let declared: Vec<(String, Option<Ty>)> = s
        .columns
        .iter()
        .map(|c| (c.name.name.clone(), Ty::parse(&c.ty.name)))
        .collect();
    let mut cols: Vec<Col> = Vec::new();
    let mut src: Vec<Option<usize>> = Vec::new();
    if s.open {
        for (k, c) in out.cols.iter().enumerate() {
            if input.col(&c.name).is_some() && !declared.iter().any(|d| d.0 == c.name) {
                cols.push(c.clone());
                src.push(Some(k));
            }
        }
    }
    for (name, ty) in &declared {
        cols.push(Col::new(name.as_str(), ty.unwrap_or(Ty::Dynamic)));
        src.push(out.col(name));
    }
    let rows = out
        .rows
        .iter()
        .map(|r| {
            src.iter()
                .zip(&cols)
                .map(|(k, c)| match k {
                    Some(k) => coerce(r[*k].clone().undyn(), c.ty),
                    None => Value::Null,
                })
                .collect()
        })
        .collect();
    Table { cols, rows }
}

pub fn evaluate(t: &Table, call: &Expr, cx: &Ctx) -> Result<Table> {
    let Expr::Call { func, args, span } = call else {
        return Err(Error::at(call.span(), "`evaluate` needs a plugin call"));
    };
    match func.name.as_str() {
        "bag_unpack" => bag_unpack(t, args, cx),
        "pivot" => super::plugins::pivot(t, args, cx),
        "rows_near" => super::window_plugins::rows_near(t, args, cx),
        "sliding_window_counts" => super::window_plugins::sliding_window_counts(t, args, cx),
        "rolling_percentile" => super::window_plugins::rolling_percentile(t, args, cx),
        "activity_counts_metrics" => super::window_plugins::activity_counts_metrics(t, args, cx),
        "geo_line_lookup" => super::plugins::geo_line_lookup(t, args, cx),
        "geo_polygon_lookup" => super::geo_plugins::geo_polygon_lookup(t, args, cx),
        "dcount_intersect" => super::sketch_plugins::dcount_intersect(t, args, cx),
        "active_users_count" => super::sketch_plugins::active_users_count(t, args, cx),
        "ipv4_lookup" | "ipv6_lookup" => {
            super::plugins::ip_lookup(t, args, func.name == "ipv6_lookup", cx)
        }
        other => Err(Error::at(
            *span,
            format!("the `{other}` plugin is not supported yet"),
        )),
    }
}

fn bag_unpack(t: &Table, args: &[Expr], cx: &Ctx) -> Result<Table> {
    let Some(col) = args.first() else {
        return Err(Error::new("bag_unpack() needs a column"));
    };
    // bag_unpack(column [, column_prefix] [, columnsConflict] [, ignoredProperties]),
    // by position or by name.
    let (mut prefix, mut conflict, mut ignored) =
        (String::new(), String::from("error"), Vec::new());
    for (k, a) in args.iter().enumerate().skip(1) {
        let name = cx.arg_name(a).map(str::to_ascii_lowercase);
        let v = eval_scalar(a, cx)?;
        match (name.as_deref(), k) {
            (Some("column_prefix"), _) | (None, 1) => prefix = v.to_kusto_string(),
            (Some("columnsconflict"), _) | (None, 2) => conflict = v.to_kusto_string(),
            (Some("ignoredproperties"), _) | (None, 3) => {
                if let Some(Json::Array(a)) = v.as_json() {
                    ignored = a
                        .iter()
                        .filter_map(|j| j.as_str().map(str::to_string))
                        .collect();
                }
            }
            _ => return Err(Error::at(a.span(), "bag_unpack(): unexpected argument")),
        }
    }
    let cname = expr_name(col).unwrap_or_default();
    let mut bags = Vec::with_capacity(t.rows.len());
    let mut keys: Vec<String> = Vec::new();
    for i in 0..t.rows.len() {
        let v = eval(col, &Row::new(t, i), cx)?;
        if let Some(Json::Object(m)) = v.as_json() {
            for k in m.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        bags.push(v);
    }
    keys.sort();
    keys.retain(|k| !ignored.contains(k));
    let keep: Vec<usize> = (0..t.cols.len())
        .filter(|&c| t.cols[c].name != cname)
        .collect();
    let mut out = super::basic::select(t, &keep);
    for k in &keys {
        let name = format!("{prefix}{k}");
        if out.col(&name).is_some() {
            match conflict.as_str() {
                "keep_source" => continue,
                "replace_source" => {}
                _ => {
                    return Err(Error::new(format!(
                        "bag_unpack(): column `{name}` already exists (columnsConflict='error')"
                    )));
                }
            }
        }
        let vals: Vec<Value> = bags
            .iter()
            .map(|b| crate::engine::funcs::dynamic::get_key(b, k))
            .collect();
        set_column(&mut out, &name, vals, Ty::Dynamic);
    }
    Ok(out)
}
