//! `join` (every kind; `on` column lists and `$left.a == $right.b`) and `lookup`.
//!
//! Output order: left rows in input order, each followed by its matches in right-table
//! order; then unmatched right rows (`rightouter`, `fullouter`). Null keys never match.

use std::collections::HashMap;

use crate::engine::eval::{Row, eval};
use crate::engine::exec::{self, Ctx};
use crate::engine::table::{Col, Table, fresh_name};
use crate::engine::value::{Key, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

/// One equality condition: an expression on the left and one on the right.
struct Cond<'a> {
    left: &'a Expr,
    right: &'a Expr,
}

fn side(e: &Expr) -> Option<(&str, &Expr)> {
    if let Expr::Member { target, .. } = e.unparen()
        && let Expr::Name(i) = target.unparen()
        && (i.name == "$left" || i.name == "$right")
    {
        return Some((i.name.as_str(), e));
    }
    None
}

fn conditions<'a>(on: &'a [Expr], out: &mut Vec<Cond<'a>>) -> Result<()> {
    for e in on {
        match e.unparen() {
            Expr::Name(_) => out.push(Cond { left: e, right: e }),
            Expr::Logical {
                op: LogicalOp::And,
                operands,
                ..
            } => conditions(operands, out)?,
            Expr::Binary {
                op: BinOp::Eq,
                lhs,
                rhs,
                span,
                ..
            } => match (side(lhs), side(rhs)) {
                (Some(("$left", l)), Some(("$right", r)))
                | (Some(("$right", r)), Some(("$left", l))) => out.push(Cond {
                    left: strip_side(l),
                    right: strip_side(r),
                }),
                _ => {
                    return Err(Error::at(
                        *span,
                        "join conditions must be `$left.a == $right.b` or column names",
                    ));
                }
            },
            other => {
                return Err(Error::at(
                    other.span(),
                    "join conditions must be `$left.a == $right.b` or column names",
                ));
            }
        }
    }
    Ok(())
}

/// `$left.a` → `a` (as a name expression evaluated on that side's row).
fn strip_side(e: &Expr) -> &Expr {
    e
}

fn eval_side(e: &Expr, t: &Table, i: usize, cx: &Ctx) -> Result<Value> {
    if let Expr::Member { target, member, .. } = e.unparen()
        && matches!(target.unparen(), Expr::Name(n) if n.name == "$left" || n.name == "$right")
    {
        let row = Row::new(t, i);
        return match row.get(&member.name) {
            Some(v) => Ok(v.clone()),
            None => Err(Error::at(
                member.span,
                format!("unknown column `{}`", member.name),
            )),
        };
    }
    if let Expr::Name(n) = e.unparen()
        && t.col(&n.name).is_none()
    {
        return Err(Error::at(
            n.span,
            format!("unknown join column `{}`", n.name),
        ));
    }
    eval(e, &Row::new(t, i), cx)
}

fn keys(t: &Table, conds: &[Cond], left: bool, cx: &Ctx) -> Result<Vec<Option<Vec<Key>>>> {
    let mut out = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        let mut k = Vec::with_capacity(conds.len());
        let mut null = false;
        for c in conds {
            let v = eval_side(if left { c.left } else { c.right }, t, i, cx)?.undyn();
            null |= v.is_null();
            k.push(match v {
                Value::Int(x) => Key::Int(i64::from(x)),
                other => other.key(),
            });
        }
        out.push((!null).then_some(k));
    }
    Ok(out)
}

fn param<'a>(params: &'a [OpParam], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|p| p.name.name == name)
        .and_then(|p| p.value.as_name())
}

pub fn join(l: &Table, params: &[OpParam], right: &Expr, on: &[Expr], cx: &Ctx) -> Result<Table> {
    let r = exec::tabular(right, cx)?;
    let kind = param(params, "kind").unwrap_or("innerunique");
    let mut conds = Vec::new();
    conditions(on, &mut conds)?;
    let lk = keys(l, &conds, true, cx)?;
    let rk = keys(&r, &conds, false, cx)?;
    let mut index: HashMap<&Vec<Key>, Vec<usize>> = HashMap::new();
    for (j, k) in rk.iter().enumerate() {
        if let Some(k) = k {
            index.entry(k).or_default().push(j);
        }
    }
    let matches = |i: usize| -> &[usize] {
        lk[i]
            .as_ref()
            .and_then(|k| index.get(k))
            .map_or(&[], |v| v.as_slice())
    };
    let both_cols = || {
        let mut cols = l.cols.clone();
        for c in &r.cols {
            let n = fresh_name(&cols, &c.name);
            cols.push(Col::new(n, c.ty));
        }
        cols
    };
    let null_right = vec![Value::Null; r.cols.len()];
    let null_left = vec![Value::Null; l.cols.len()];
    let joined = |a: &[Value], b: &[Value]| -> Vec<Value> { a.iter().chain(b).cloned().collect() };
    let mut out;
    match kind {
        "inner" | "innerunique" | "leftouter" | "fullouter" | "rightouter" => {
            out = Table::new(both_cols());
            let mut seen_left: std::collections::HashSet<&Vec<Key>> = Default::default();
            let mut right_hit = vec![false; r.rows.len()];
            for i in 0..l.rows.len() {
                if kind == "innerunique"
                    && let Some(k) = &lk[i]
                    && !seen_left.insert(k)
                {
                    continue;
                }
                let m = matches(i);
                for &j in m {
                    right_hit[j] = true;
                    out.rows.push(joined(&l.rows[i], &r.rows[j]));
                }
                if m.is_empty() && matches!(kind, "leftouter" | "fullouter") {
                    out.rows.push(joined(&l.rows[i], &null_right));
                }
            }
            if matches!(kind, "rightouter" | "fullouter") {
                for (j, hit) in right_hit.iter().enumerate() {
                    if !hit {
                        out.rows.push(joined(&null_left, &r.rows[j]));
                    }
                }
            }
        }
        "leftsemi" | "leftanti" | "anti" | "leftantisemi" => {
            let semi = kind == "leftsemi";
            out = Table::new(l.cols.clone());
            for i in 0..l.rows.len() {
                if matches(i).is_empty() != semi {
                    out.rows.push(l.rows[i].clone());
                }
            }
        }
        "rightsemi" | "rightanti" | "rightantisemi" => {
            let semi = kind == "rightsemi";
            let lset: std::collections::HashSet<&Vec<Key>> = lk.iter().flatten().collect();
            out = Table::new(r.cols.clone());
            for j in 0..r.rows.len() {
                let hit = rk[j].as_ref().is_some_and(|k| lset.contains(k));
                if hit == semi {
                    out.rows.push(r.rows[j].clone());
                }
            }
        }
        other => return Err(Error::new(format!("unknown join kind `{other}`"))),
    }
    Ok(out)
}

/// `lookup`: like a `leftouter` (default) or `inner` join whose right key columns are
/// not repeated.
pub fn lookup(l: &Table, params: &[OpParam], right: &Expr, on: &[Expr], cx: &Ctx) -> Result<Table> {
    let r = exec::tabular(right, cx)?;
    let kind = param(params, "kind").unwrap_or("leftouter");
    let mut conds = Vec::new();
    conditions(on, &mut conds)?;
    let lk = keys(l, &conds, true, cx)?;
    let rk = keys(&r, &conds, false, cx)?;
    let key_names: Vec<String> = conds
        .iter()
        .filter_map(|c| match c.right.unparen() {
            Expr::Name(n) => Some(n.name.clone()),
            Expr::Member { member, .. } => Some(member.name.clone()),
            _ => None,
        })
        .collect();
    let keep: Vec<usize> = (0..r.cols.len())
        .filter(|&c| !key_names.contains(&r.cols[c].name))
        .collect();
    let mut cols = l.cols.clone();
    for &c in &keep {
        let n = fresh_name(&cols, &r.cols[c].name);
        cols.push(Col::new(n, r.cols[c].ty));
    }
    let mut index: HashMap<&Vec<Key>, Vec<usize>> = HashMap::new();
    for (j, k) in rk.iter().enumerate() {
        if let Some(k) = k {
            index.entry(k).or_default().push(j);
        }
    }
    let mut out = Table::new(cols);
    for i in 0..l.rows.len() {
        let m = lk[i].as_ref().and_then(|k| index.get(k));
        match m {
            Some(js) => {
                for &j in js {
                    let mut row = l.rows[i].clone();
                    row.extend(keep.iter().map(|&c| r.rows[j][c].clone()));
                    out.rows.push(row);
                }
            }
            None if kind != "inner" => {
                let mut row = l.rows[i].clone();
                row.extend(keep.iter().map(|_| Value::Null));
                out.rows.push(row);
            }
            None => {}
        }
    }
    Ok(out)
}
