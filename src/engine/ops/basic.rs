//! `where`, `project` (and `-away`, `-keep`, `-rename`, `-reorder`), `extend`,
//! `serialize`, `take`, `count`, `distinct`, `print`, `range`, `getschema`.

use std::collections::HashMap;

use super::{expr_name, wildcard_match};
use crate::engine::eval::{Row, eval, eval_scalar, truth};
use crate::engine::exec::Ctx;
use crate::engine::table::{Col, Table, column_type, fresh_name};
use crate::engine::value::{Json, Ty, Value};
use crate::engine::{Error, Result, arith};
use crate::kql::ast::*;

pub fn filter(t: &Table, pred: &Expr, cx: &Ctx) -> Result<Table> {
    let mut out = Table::new(t.cols.clone());
    for i in 0..t.rows.len() {
        if truth(&eval(pred, &Row::new(t, i), cx)?) == Some(true) {
            out.rows.push(t.rows[i].clone());
        }
    }
    Ok(out)
}

/// Evaluates `e` over every row of `t`: the values and the column type.
pub fn column_values(t: &Table, e: &Expr, cx: &Ctx) -> Result<(Vec<Value>, Ty)> {
    if let Expr::Name(i) = e.unparen()
        && let Some(c) = t.col(&i.name)
    {
        return Ok((t.rows.iter().map(|r| r[c].clone()).collect(), t.cols[c].ty));
    }
    let mut vals = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        vals.push(eval(e, &Row::new(t, i), cx)?);
    }
    let ty = column_type(vals.iter(), static_type(e, t));
    Ok((vals, ty))
}

/// A type known from the expression's shape when its values are all null.
pub fn static_type(e: &Expr, t: &Table) -> Option<Ty> {
    match e.unparen() {
        Expr::Name(i) => t.col(&i.name).map(|c| t.cols[c].ty),
        Expr::Literal(l) => match &l.value {
            LitValue::Null(ty) => Ty::parse(ty),
            LitValue::Dynamic(_) => Some(Ty::Dynamic),
            _ => None,
        },
        Expr::Member { .. } | Expr::Index { .. } => Some(Ty::Dynamic),
        Expr::Call { func, .. } => Some(match func.name.as_str() {
            "toint" => Ty::Int,
            "tolong" => Ty::Long,
            "toreal" | "todouble" => Ty::Real,
            "todatetime" => Ty::DateTime,
            "totimespan" => Ty::Timespan,
            "tostring" | "strcat" => Ty::String,
            "tobool" | "isnull" | "isempty" => Ty::Bool,
            "parse_json" | "todynamic" | "pack" | "bag_pack" | "pack_array" => Ty::Dynamic,
            _ => return None,
        }),
        _ => None,
    }
}

/// Sets column `name` to `vals` (replacing it in place when it exists).
pub fn set_column(t: &mut Table, name: &str, vals: Vec<Value>, ty: Ty) {
    match t.col(name) {
        Some(c) => {
            t.cols[c].ty = ty;
            for (r, v) in t.rows.iter_mut().zip(vals) {
                r[c] = v;
            }
        }
        None => {
            t.cols.push(Col::new(name, ty));
            for (r, v) in t.rows.iter_mut().zip(vals) {
                r.push(v);
            }
        }
    }
}

/// Names of the output columns for a `NamedExpr` (one unless `(a, b) = ...`).
fn out_name(ne: &NamedExpr, cols: &[Col], counter: &mut usize) -> String {
    if let Some(n) = ne.names.first() {
        return n.name.clone();
    }
    if let Some(n) = expr_name(&ne.expr) {
        return n;
    }
    loop {
        *counter += 1;
        let n = format!("Column{counter}");
        if !cols.iter().any(|c| c.name == n) {
            return n;
        }
    }
}

pub fn extend(t: &Table, cols: &[NamedExpr], cx: &Ctx) -> Result<Table> {
    let mut out = t.clone();
    let mut counter = 0;
    for ne in cols {
        // `pack_all()` packs the input row: columns the same `extend` adds are not in
        // it (as documented in pack-all-function.md).
        let packs_input = matches!(&ne.expr, Expr::Call { func, .. } if func.name == "pack_all");
        let (vals, ty) = column_values(if packs_input { t } else { &out }, &ne.expr, cx)?;
        if let Some(names) = tuple_targets(ne) {
            split_tuple(&mut out, &names, vals);
            continue;
        }
        let name = out_name(ne, &out.cols, &mut counter);
        set_column(&mut out, &name, vals, ty);
    }
    Ok(out)
}

/// `(a, b) = expr` where `expr` yields an array: one column per element.
/// The column names of an unnamed expression that yields several columns:
/// `array_sort_asc(a, b)` / `array_sort_desc(a, b)` with two or more arrays give
/// `a_sorted`, `b_sorted` (array-sort docs).
fn tuple_names(e: &Expr) -> Option<Vec<Ident>> {
    let Expr::Call { func, args, span } = e.unparen() else {
        return None;
    };
    // `series_stats(x)`: `series_stats_x_min`, ... (one column per result).
    if let Some(suffixes) = crate::engine::funcs::series_analysis::outputs(&func.name) {
        let arg = args
            .first()
            .and_then(expr_name)
            .unwrap_or_else(|| "Column1".to_string());
        return Some(
            suffixes
                .iter()
                .map(|s| Ident {
                    name: format!("{}_{arg}_{s}", func.name),
                    span: *span,
                })
                .collect(),
        );
    }
    if !matches!(func.name.as_str(), "array_sort_asc" | "array_sort_desc") {
        return None;
    }
    let arrays = match args.last().map(Expr::unparen) {
        Some(Expr::Literal(Literal {
            value: LitValue::Bool(_),
            ..
        })) => &args[..args.len() - 1],
        _ => &args[..],
    };
    (arrays.len() >= 2).then(|| {
        arrays
            .iter()
            .enumerate()
            .map(|(k, a)| Ident {
                name: format!(
                    "{}_sorted",
                    expr_name(a).unwrap_or_else(|| format!("Column{}", k + 1))
                ),
                span: *span,
            })
            .collect()
    })
}

/// Whether `e` calls a function with several results (its array is split into columns,
/// and a single name takes the first).
fn multi_result(e: &Expr) -> bool {
    matches!(e.unparen(), Expr::Call { func, .. }
        if crate::engine::funcs::series_analysis::outputs(&func.name).is_some())
}

/// The columns `extend`/`project` split `ne`'s values into, if it gives several:
/// `(a, b) = expr`, a single name for a function with several results (it takes the
/// first), or an unnamed expression that yields several columns ([`tuple_names`]).
fn tuple_targets(ne: &NamedExpr) -> Option<std::borrow::Cow<'_, [Ident]>> {
    if ne.names.len() > 1 || (ne.names.len() == 1 && multi_result(&ne.expr)) {
        return Some(std::borrow::Cow::Borrowed(&ne.names));
    }
    if ne.names.is_empty() {
        return tuple_names(&ne.expr).map(std::borrow::Cow::Owned);
    }
    None
}

fn split_tuple(t: &mut Table, names: &[Ident], vals: Vec<Value>) {
    for (k, n) in names.iter().enumerate() {
        let col: Vec<Value> = vals
            .iter()
            .map(|v| crate::engine::funcs::dynamic::index(v, &Value::Long(k as i64)))
            .collect();
        set_column(t, &n.name, col, Ty::Dynamic);
    }
}

/// Whether `project cols` gives `t` unchanged: each of its columns, in order, by its
/// plain name (unrenamed), and nothing else.
pub fn projects_every_column(t: &Table, cols: &[NamedExpr]) -> bool {
    cols.len() == t.cols.len()
        && cols.iter().zip(&t.cols).all(|(ne, col)| match &ne.expr {
            Expr::Name(i) => {
                i.name == col.name
                    && (ne.names.is_empty() || (ne.names.len() == 1 && ne.names[0].name == i.name))
            }
            _ => false,
        })
}

pub fn project(t: &Table, cols: &[NamedExpr], cx: &Ctx) -> Result<Table> {
    let mut out = Table {
        cols: Vec::new(),
        rows: vec![Vec::new(); t.rows.len()],
    };
    let mut counter = 0;
    for ne in cols {
        if let Expr::Wildcard(p) = &ne.expr {
            for (c, col) in t.cols.iter().enumerate() {
                if wildcard_match(&p.text, &col.name) && out.col(&col.name).is_none() {
                    let vals = t.rows.iter().map(|r| r[c].clone()).collect();
                    set_column(&mut out, &col.name.clone(), vals, col.ty);
                }
            }
            continue;
        }
        let (vals, ty) = column_values(t, &ne.expr, cx)?;
        if let Some(names) = tuple_targets(ne) {
            split_tuple(&mut out, &names, vals);
            continue;
        }
        let name = out_name(ne, &out.cols, &mut counter);
        if out.col(&name).is_some() {
            return Err(Error::at(
                ne.span,
                format!("column `{name}` is projected twice"),
            ));
        }
        set_column(&mut out, &name, vals, ty);
    }
    Ok(out)
}

/// `project-by-names`: every name, pattern (`*` wildcards) or array of names, in the
/// order given; names no column has are ignored, a column named twice appears once.
pub fn project_by_names(t: &Table, specs: &[Expr], cx: &Ctx) -> Result<Table> {
    let mut names: Vec<String> = Vec::new();
    for e in specs {
        match eval_scalar(e, cx)? {
            Value::Dyn(j) => match &*j {
                Json::Array(a) => {
                    names.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)))
                }
                Json::String(s) => names.push(s.clone()),
                _ => {}
            },
            Value::Null => {}
            v => names.push(v.to_kusto_string()),
        }
    }
    let mut idx: Vec<usize> = Vec::new();
    for n in &names {
        for (c, col) in t.cols.iter().enumerate() {
            if wildcard_match(n, &col.name) && !idx.contains(&c) {
                idx.push(c);
            }
        }
    }
    Ok(Table {
        cols: idx.iter().map(|&c| t.cols[c].clone()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| idx.iter().map(|&c| r[c].clone()).collect())
            .collect(),
    })
}

pub fn project_away(t: &Table, pats: &[NamePattern], keep: bool) -> Result<Table> {
    for p in pats {
        if !p.is_wildcard() && t.col(&p.text).is_none() {
            return Err(Error::at(p.span, format!("unknown column `{}`", p.text)));
        }
    }
    let idx: Vec<usize> = (0..t.cols.len())
        .filter(|&c| {
            pats.iter()
                .any(|p| wildcard_match(&p.text, &t.cols[c].name))
                == keep
        })
        .collect();
    Ok(select(t, &idx))
}

pub fn select(t: &Table, idx: &[usize]) -> Table {
    Table {
        cols: idx.iter().map(|&c| t.cols[c].clone()).collect(),
        rows: t
            .rows
            .iter()
            .map(|r| idx.iter().map(|&c| r[c].clone()).collect())
            .collect(),
    }
}

pub fn project_rename(t: &Table, renames: &[Rename]) -> Result<Table> {
    let mut out = t.clone();
    for r in renames {
        let c = t
            .col(&r.old.name)
            .ok_or_else(|| Error::at(r.old.span, format!("unknown column `{}`", r.old.name)))?;
        out.cols[c].name = r.new.name.clone();
    }
    Ok(out)
}

pub fn project_reorder(t: &Table, cols: &[ReorderCol]) -> Result<Table> {
    let mut idx: Vec<usize> = Vec::new();
    for rc in cols {
        let mut hits: Vec<usize> = (0..t.cols.len())
            .filter(|&c| wildcard_match(&rc.pattern.text, &t.cols[c].name) && !idx.contains(&c))
            .collect();
        match rc.order.as_ref().map(|o| o.name.as_str()) {
            Some("asc") | Some("granny-asc") => {
                hits.sort_by(|a, b| t.cols[*a].name.cmp(&t.cols[*b].name))
            }
            Some("desc") | Some("granny-desc") => {
                hits.sort_by(|a, b| t.cols[*b].name.cmp(&t.cols[*a].name))
            }
            _ => {}
        }
        idx.extend(hits);
    }
    idx.extend(
        (0..t.cols.len())
            .filter(|c| !idx.contains(c))
            .collect::<Vec<_>>(),
    );
    Ok(select(t, &idx))
}

pub fn take(t: &Table, count: &Expr, cx: &Ctx) -> Result<Table> {
    let n = eval_scalar(count, cx)?.as_i64().unwrap_or(0).max(0) as usize;
    Ok(Table {
        cols: t.cols.clone(),
        rows: t.rows.iter().take(n).cloned().collect(),
    })
}

/// `count [as Name]`.
pub fn count(t: &Table, name: Option<&Ident>) -> Table {
    count_rows(t.rows.len(), name)
}

/// `count` of an input of `n` rows.
pub fn count_rows(n: usize, name: Option<&Ident>) -> Table {
    Table {
        cols: vec![Col::new(
            name.map_or("Count", |n| n.name.as_str()),
            Ty::Long,
        )],
        rows: vec![vec![Value::Long(n as i64)]],
    }
}

pub fn distinct(t: &Table, cols: &[NamedExpr], cx: &Ctx) -> Result<Table> {
    let all = cols.iter().any(|c| matches!(c.expr, Expr::Star(_)));
    let src = if all {
        t.clone()
    } else {
        project(t, cols, cx)?
    };
    let mut seen = std::collections::HashSet::new();
    let mut out = Table::new(src.cols.clone());
    for r in src.rows {
        let k: Vec<_> = r.iter().map(Value::key).collect();
        if seen.insert(k) {
            out.rows.push(r);
        }
    }
    Ok(out)
}

pub fn print(cols: &[NamedExpr], cx: &Ctx) -> Result<Table> {
    let unit = Table::unit();
    let mut out = Table::unit();
    for (k, ne) in cols.iter().enumerate() {
        let v = eval(&ne.expr, &Row::new(&unit, 0), cx)?;
        let ty = column_type(std::iter::once(&v), static_type(&ne.expr, &unit));
        if ne.names.len() > 1 {
            split_tuple(&mut out, &ne.names, vec![v]);
            continue;
        }
        if ne.names.is_empty()
            && let Some(names) = tuple_names(&ne.expr)
        {
            split_tuple(&mut out, &names, vec![v]);
            continue;
        }
        let name = match ne.names.first() {
            Some(n) => n.name.clone(),
            None => fresh_name(&out.cols, &format!("print_{k}")),
        };
        set_column(&mut out, &name, vec![v], ty);
    }
    Ok(out)
}

/// Rows `range` may produce (a guard against runaway steps).
const MAX_RANGE_ROWS: usize = 10_000_000;

pub fn range(name: &str, from: &Expr, to: &Expr, step: &Expr, cx: &Ctx) -> Result<Table> {
    let (a, b, s) = (
        eval_scalar(from, cx)?,
        eval_scalar(to, cx)?,
        eval_scalar(step, cx)?,
    );
    let ty = a.ty().unwrap_or(Ty::Long);
    let mut out = Table::new(vec![Col::new(name, ty)]);
    if a.is_null() || b.is_null() || s.is_null() {
        return Ok(out);
    }
    let zero = arith::binary(BinOp::Sub, &s, &s)?;
    let up = crate::engine::value::compare(&s, &zero).is_gt();
    if crate::engine::value::compare(&s, &zero).is_eq() {
        return Err(Error::new("range step must not be zero"));
    }
    let mut v = a;
    loop {
        let o = crate::engine::value::compare(&v, &b);
        if (up && o.is_gt()) || (!up && o.is_lt()) {
            break;
        }
        if out.rows.len() >= MAX_RANGE_ROWS {
            return Err(Error::new(format!(
                "range would produce more than {MAX_RANGE_ROWS} rows"
            )));
        }
        out.rows.push(vec![v.clone()]);
        v = arith::binary(BinOp::Add, &v, &s)?;
    }
    Ok(out)
}

pub fn getschema(t: &Table) -> Table {
    let mut out = Table::new(vec![
        Col::new("ColumnName", Ty::String),
        Col::new("ColumnOrdinal", Ty::Int),
        Col::new("DataType", Ty::String),
        Col::new("ColumnType", Ty::String),
    ]);
    let dotnet: HashMap<Ty, &str> = [
        (Ty::Bool, "System.SByte"),
        (Ty::Int, "System.Int32"),
        (Ty::Long, "System.Int64"),
        (Ty::Real, "System.Double"),
        (Ty::Decimal, "System.Data.SqlTypes.SqlDecimal"),
        (Ty::String, "System.String"),
        (Ty::DateTime, "System.DateTime"),
        (Ty::Timespan, "System.TimeSpan"),
        (Ty::Guid, "System.Guid"),
        (Ty::Dynamic, "System.Object"),
    ]
    .into_iter()
    .collect();
    for (i, c) in t.cols.iter().enumerate() {
        out.rows.push(vec![
            Value::str(c.name.as_str()),
            Value::Int(i as i32),
            Value::str(dotnet[&c.ty]),
            Value::str(c.ty.name()),
        ]);
    }
    out
}
