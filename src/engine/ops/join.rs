//! `join` (every kind; `on` column lists and `$left.a == $right.b`) and `lookup`.
//!
//! Output order: left rows in input order, each followed by its matches in right-table
//! order; then unmatched right rows (`rightouter`, `fullouter`). Null keys never match.

use std::hash::Hash;

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

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
    if let Some(cols) = plain_columns(t, conds, left) {
        return Ok(column_keys(t, &cols, |k| k.into_iter().collect()));
    }
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

/// The column of each condition on one side when every condition there is a plain
/// column (`a`, `$left.a`): keys are then read from the rows without evaluation.
fn plain_columns(t: &Table, conds: &[Cond], left: bool) -> Option<Vec<usize>> {
    conds
        .iter()
        .map(|c| {
            let e = if left { c.left } else { c.right };
            match e.unparen() {
                Expr::Name(n) => t.col(&n.name),
                Expr::Member { target, member, .. }
                    if matches!(target.unparen(), Expr::Name(n) if n.name == "$left" || n.name == "$right") =>
                {
                    t.col(&member.name)
                }
                _ => None,
            }
        })
        .collect()
}

/// The key of one cell as [`keys`] computes it (`None` for null).
fn cell_key(v: &Value) -> Option<Key> {
    match v {
        Value::Null => None,
        Value::Dyn(_) => {
            let v = v.undyn();
            (!v.is_null()).then(|| v.key())
        }
        other => Some(other.key()),
    }
}

/// Keys of plain columns, computed in parallel chunks of rows (in row order).
fn column_keys<K: Send>(
    t: &Table,
    cols: &[usize],
    make: impl Fn(Vec<Key>) -> K + Sync,
) -> Vec<Option<K>> {
    let one = |r: &Vec<Value>| -> Option<K> {
        let mut k = Vec::with_capacity(cols.len());
        for &c in cols {
            k.push(cell_key(&r[c])?);
        }
        Some(make(k))
    };
    t.rows.par_iter().with_min_len(4096).map(one).collect()
}

fn param<'a>(params: &'a [OpParam], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|p| p.name.name == name)
        .and_then(|p| p.value.as_name())
}

/// Right rows by key, each key's rows chained in right-table order: `head[key]` is the
/// first row, `next[j]` the one after row `j` (`NONE` at the end).
struct Index<'k, K> {
    head: HashMap<&'k K, usize>,
    next: Vec<usize>,
}

const NONE: usize = usize::MAX;

impl<'k, K: Hash + Eq> Index<'k, K> {
    fn new(keys: &'k [Option<K>]) -> Self {
        let mut head: HashMap<&K, usize> = HashMap::default();
        head.reserve(keys.len());
        let mut next = vec![NONE; keys.len()];
        for j in (0..keys.len()).rev() {
            if let Some(k) = &keys[j] {
                let h = head.entry(k).or_insert(NONE);
                next[j] = *h;
                *h = j;
            }
        }
        Index { head, next }
    }

    fn first(&self, k: Option<&K>) -> usize {
        k.and_then(|k| self.head.get(k)).copied().unwrap_or(NONE)
    }

    fn contains(&self, k: Option<&K>) -> bool {
        self.first(k) != NONE
    }
}

pub fn join(l: &Table, params: &[OpParam], right: &Expr, on: &[Expr], cx: &Ctx) -> Result<Table> {
    let r = exec::tabular(right, cx)?;
    let kind = param(params, "kind").unwrap_or("innerunique");
    if !matches!(
        kind,
        "inner"
            | "innerunique"
            | "leftouter"
            | "fullouter"
            | "rightouter"
            | "leftsemi"
            | "leftanti"
            | "anti"
            | "leftantisemi"
            | "rightsemi"
            | "rightanti"
            | "rightantisemi"
    ) {
        return Err(Error::new(format!("unknown join kind `{kind}`")));
    }
    let mut conds = Vec::new();
    conditions(on, &mut conds)?;
    // One plain key column on each side (the common case): keys without a vector.
    if conds.len() == 1
        && let (Some(lc), Some(rc)) = (
            plain_columns(l, &conds, true),
            plain_columns(&r, &conds, false),
        )
    {
        let one = |mut k: Vec<Key>| k.pop().unwrap_or(Key::Null);
        let lk = column_keys(l, &lc, one);
        let rk = column_keys(&r, &rc, one);
        return Ok(join_keys(l, &r, &lk, &rk, kind));
    }
    let lk = keys(l, &conds, true, cx)?;
    let rk = keys(&r, &conds, false, cx)?;
    Ok(join_keys(l, &r, &lk, &rk, kind))
}

/// The join of `l` and `r` on precomputed keys (`None` = a null key, never matching).
/// Left rows are probed in parallel chunks whose output is concatenated in left order.
fn join_keys<K: Hash + Eq + Sync>(
    l: &Table,
    r: &Table,
    lk: &[Option<K>],
    rk: &[Option<K>],
    kind: &str,
) -> Table {
    let index = Index::new(rk);
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
    let joined = |a: &[Value], b: &[Value]| -> Vec<Value> {
        let mut row = Vec::with_capacity(a.len() + b.len());
        row.extend_from_slice(a);
        row.extend_from_slice(b);
        row
    };
    let mut out;
    match kind {
        "inner" | "innerunique" | "leftouter" | "fullouter" | "rightouter" => {
            out = Table::new(both_cols());
            // innerunique: only the first left row of each key takes part.
            let skip: Vec<bool> = if kind == "innerunique" {
                let mut seen: HashSet<&K> = HashSet::default();
                lk.iter()
                    .map(|k| k.as_ref().is_some_and(|k| !seen.insert(k)))
                    .collect()
            } else {
                Vec::new()
            };
            let outer_left = matches!(kind, "leftouter" | "fullouter");
            let want_hits = matches!(kind, "rightouter" | "fullouter");
            let probe = |range: std::ops::Range<usize>| {
                let mut rows = Vec::new();
                let mut hits = Vec::new();
                for i in range {
                    if skip.get(i).copied().unwrap_or(false) {
                        continue;
                    }
                    let mut j = index.first(lk[i].as_ref());
                    if j == NONE && outer_left {
                        rows.push(joined(&l.rows[i], &null_right));
                    }
                    while j != NONE {
                        if want_hits {
                            hits.push(j);
                        }
                        rows.push(joined(&l.rows[i], &r.rows[j]));
                        j = index.next[j];
                    }
                }
                (rows, hits)
            };
            let parts: Vec<_> = chunk_ranges(l.rows.len())
                .into_par_iter()
                .map(probe)
                .collect();
            let mut right_hit = vec![false; if want_hits { r.rows.len() } else { 0 }];
            out.rows.reserve(parts.iter().map(|p| p.0.len()).sum());
            for (rows, hits) in parts {
                out.rows.extend(rows);
                for j in hits {
                    right_hit[j] = true;
                }
            }
            if want_hits {
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
                if index.contains(lk[i].as_ref()) == semi {
                    out.rows.push(l.rows[i].clone());
                }
            }
        }
        _ => {
            // rightsemi, rightanti, rightantisemi
            let semi = kind == "rightsemi";
            let lset: HashSet<&K> = lk.iter().flatten().collect();
            out = Table::new(r.cols.clone());
            for j in 0..r.rows.len() {
                let hit = rk[j].as_ref().is_some_and(|k| lset.contains(k));
                if hit == semi {
                    out.rows.push(r.rows[j].clone());
                }
            }
        }
    }
    out
}

/// Row ranges for parallel work: one range for small tables, else pieces of 16,384 rows.
fn chunk_ranges(n: usize) -> Vec<std::ops::Range<usize>> {
    const STEP: usize = 16_384;
    (0..n.div_ceil(STEP).max(1))
        .map(|c| c * STEP..((c + 1) * STEP).min(n))
        .collect()
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
    let mut index: HashMap<&Vec<Key>, Vec<usize>> = HashMap::default();
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
