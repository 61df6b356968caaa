//! `summarize` and `make-series`. Groups are emitted in the order of their first row.

use std::collections::HashMap;

use rayon::prelude::*;

use super::basic::{column_values, static_type};
use super::expr_name;
use crate::engine::aggs;
use crate::engine::eval::{Row, eval, eval_scalar};
use crate::engine::exec::Ctx;
use crate::engine::funcs;
use crate::engine::table::{Col, Table, column_type, fresh_name};
use crate::engine::value::{Json, Key, Ty, Value, compare};
use crate::engine::{Error, Result, arith};
use crate::kql::ast::*;

/// The name Kusto gives an unnamed aggregate column: `count_`, `sum_x`, `dcount_x`,
/// `percentile_x_95`; `None` when the expression is not a plain aggregate call.
pub fn agg_default_name(e: &Expr) -> Option<String> {
    let Expr::Call { func, args, .. } = e.unparen() else {
        return None;
    };
    let f = func.name.as_str();
    if !aggs::is_aggregate(f) {
        return None;
    }
    let arg = args.first().and_then(expr_name).unwrap_or_default();
    // Kusto's prefixes (summarize docs: `make_list(x)` is `list_x`, `make_set(x)` is
    // `set_x`, `variancep(x)` is `variance_x`, `percentilesw_array(x, ...)` is
    // `percentile_x`).
    let prefix = match f {
        "countif" => return Some("countif_".into()),
        "make_list" | "make_list_if" | "makelist" | "make_list_with_nulls" => "list",
        "make_set" | "make_set_if" | "makeset" => "set",
        "make_bag" | "make_bag_if" => "bag",
        "take_any" | "any" => "any",
        "take_anyif" | "anyif" => "anyif",
        "variancep" => "variance",
        "buildschema" => "schema",
        "stdevp" => "stdev",
        "percentiles_array" | "percentilesw_array" => "percentile",
        "percentile" | "percentilew" => {
            let p = args
                .get(if f == "percentile" { 1 } else { 2 })
                .map(lit_text)
                .unwrap_or_default();
            return Some(format!("percentile_{arg}_{p}"));
        }
        "covariance" | "covariancep" | "covarianceif" | "covariancepif" => {
            let y = args.get(1).and_then(expr_name).unwrap_or_default();
            return Some(format!("{f}_{arg}_{y}"));
        }
        other => other,
    };
    Some(format!("{prefix}_{arg}"))
}

fn lit_text(e: &Expr) -> String {
    match e.unparen() {
        Expr::Literal(l) => match &l.value {
            LitValue::Long(v) | LitValue::Int(v) => v.to_string(),
            LitValue::Real(v) => v.to_string().replace('.', "_"),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// The rows a `summarize` reads: every row of `t` in order, or (after a `join`, see
/// `join::join_then`) the rows `gather` lists, `gather[k]` being the table row of input
/// row `k` (a table row may come several times).
#[derive(Clone, Copy)]
pub struct Input<'t> {
    pub t: &'t Table,
    pub gather: Option<&'t [usize]>,
}

impl<'t> Input<'t> {
    pub fn all(t: &'t Table) -> Input<'t> {
        Input { t, gather: None }
    }

    fn len(&self) -> usize {
        self.gather.map_or(self.t.rows.len(), <[usize]>::len)
    }

    /// The table row of input row `k`.
    fn src(&self, k: usize) -> usize {
        self.gather.map_or(k, |g| g[k])
    }
}

/// The values of one by column: computed per input row, or a column of the table read
/// in place (no copy).
enum ByVals {
    Owned(Vec<Value>),
    Col(usize),
}

struct ByCols<'t> {
    cols: Vec<Col>,
    vals: Vec<ByVals>,
    input: Input<'t>,
}

impl ByCols<'_> {
    /// By column `c`'s value in input row `k`.
    fn value(&self, c: usize, k: usize) -> &Value {
        match &self.vals[c] {
            ByVals::Owned(v) => &v[k],
            ByVals::Col(col) => &self.input.t.rows[self.input.src(k)][*col],
        }
    }

    /// The by values of input row `k` (none when `k` is past the end).
    fn row(&self, k: usize) -> Vec<Value> {
        if k >= self.input.len() {
            return Vec::new();
        }
        (0..self.vals.len())
            .map(|c| self.value(c, k).clone())
            .collect()
    }
}

fn by_columns<'t>(inp: Input<'t>, by: &[NamedExpr], cx: &Ctx) -> Result<ByCols<'t>> {
    let t = inp.t;
    let mut cols = Vec::new();
    let mut per_col = Vec::new();
    let mut counter = 0;
    for ne in by {
        let (vals, ty) = match binned_column(inp, &ne.expr, cx) {
            Some(r) => {
                let (v, ty) = r?;
                (ByVals::Owned(v), ty)
            }
            None => match ne.expr.unparen() {
                Expr::Name(i) if let Some(c) = t.col(&i.name) => (ByVals::Col(c), t.cols[c].ty),
                _ if inp.gather.is_none() => {
                    let (v, ty) = column_values(t, &ne.expr, cx)?;
                    (ByVals::Owned(v), ty)
                }
                e => {
                    let mut vals = Vec::with_capacity(inp.len());
                    for k in 0..inp.len() {
                        vals.push(eval(e, &Row::new(t, inp.src(k)), cx)?);
                    }
                    let ty = column_type(vals.iter(), static_type(e, t));
                    (ByVals::Owned(vals), ty)
                }
            },
        };
        let name = match ne.names.first() {
            Some(n) => n.name.clone(),
            None => match expr_name(&ne.expr) {
                Some(n) => n,
                None => {
                    counter += 1;
                    format!("Column{counter}")
                }
            },
        };
        let name = fresh_name(&cols, &name);
        cols.push(Col::new(name, ty));
        per_col.push(vals);
    }
    Ok(ByCols {
        cols,
        vals: per_col,
        input: inp,
    })
}

/// `bin(Col, step)` (or `floor`) of a column with a literal step, the usual time key:
/// the same values as evaluating the call on each row, computed with the step evaluated
/// once and the rows binned in parallel (in row order). `None` when `e` is not that.
fn binned_column(inp: Input, e: &Expr, cx: &Ctx) -> Option<Result<(Vec<Value>, Ty)>> {
    let t = inp.t;
    let Expr::Call { func, args, span } = e.unparen() else {
        return None;
    };
    if !matches!(func.name.as_str(), "bin" | "floor")
        || args.len() != 2
        || cx.env.get(&func.name).is_some()
        || !matches!(args[1].unparen(), Expr::Literal(_))
    {
        return None;
    }
    let Expr::Name(col) = args[0].unparen() else {
        return None;
    };
    let c = t.col(&col.name)?;
    Some((|| {
        let step = eval_scalar(&args[1], cx)?;
        let bin = |v: &Value| funcs::math::bin(v, &step);
        let vals: Vec<Value> = match inp.gather {
            None => t
                .rows
                .par_iter()
                .with_min_len(4096)
                .map(|r| bin(&r[c]))
                .collect::<Result<_>>(),
            Some(g) => g
                .par_iter()
                .with_min_len(4096)
                .map(|&i| bin(&t.rows[i][c]))
                .collect::<Result<_>>(),
        }
        .map_err(|e| e.or_at(*span))?;
        let ty = column_type(vals.iter(), static_type(e, t));
        Ok((vals, ty))
    })())
}

/// Groups the input rows by key, in first-appearance order: (first input row, the
/// group's table rows). Keys are hashed with foldhash; one by column is hashed without a
/// key vector. A gathered input (after a `join`) whose by columns are columns of the
/// table is grouped through the table: the table's rows are grouped in table order
/// (each row read once, in memory order), then the input rows by their table row's
/// group number (no random reads of the cells).
fn group_rows(byc: &ByCols) -> Vec<(usize, Vec<usize>)> {
    let n = byc.input.len();
    let t = byc.input.t;
    let cols: Option<Vec<usize>> = byc
        .vals
        .iter()
        .map(|v| match v {
            ByVals::Col(c) => Some(*c),
            ByVals::Owned(_) => None,
        })
        .collect();
    let ids = match (byc.vals.as_slice(), byc.input.gather, cols) {
        ([], _, _) => group_ids(n, |_| ()),
        (_, Some(g), Some(cols)) if g.len() >= t.rows.len() / 4 => {
            let by_table = table_group_ids(t, &cols);
            group_ids(n, |k| by_table.id[g[k]])
        }
        ([ByVals::Owned(v)], _, _) => group_ids(n, |i| KeyRef(&v[i])),
        ([_], _, _) => group_ids(n, |i| KeyRef(byc.value(0, i))),
        (vals, _, _) => group_ids(n, |i| {
            (0..vals.len())
                .map(|c| byc.value(c, i).key())
                .collect::<Vec<Key>>()
        }),
    };
    ids.lists(|k| byc.input.src(k))
}

/// The groups of `t`'s rows by the values of columns `cols`.
fn table_group_ids(t: &Table, cols: &[usize]) -> GroupIds {
    match cols {
        [c] => group_ids(t.rows.len(), |i| KeyRef(&t.rows[i][*c])),
        _ => group_ids(t.rows.len(), |i| {
            cols.iter()
                .map(|&c| t.rows[i][c].key())
                .collect::<Vec<Key>>()
        }),
    }
}

/// Rows numbered by group: `id[i]` is row `i`'s group, groups numbered in the order of
/// their first row, `first[g]` being group `g`'s first row.
struct GroupIds {
    id: Vec<usize>,
    first: Vec<usize>,
}

impl GroupIds {
    /// Each group's first row and rows (`src(k)` for each of its rows `k`, in order).
    fn lists(&self, src: impl Fn(usize) -> usize) -> Vec<(usize, Vec<usize>)> {
        let mut sizes = vec![0usize; self.first.len()];
        for &g in &self.id {
            sizes[g] += 1;
        }
        let mut groups: Vec<(usize, Vec<usize>)> = self
            .first
            .iter()
            .zip(sizes)
            .map(|(&f, n)| (f, Vec::with_capacity(n)))
            .collect();
        for (k, &g) in self.id.iter().enumerate() {
            groups[g].1.push(src(k));
        }
        groups
    }
}

/// One piece's group numbers per row and its keys with their first rows, by number.
type Piece<K> = (Vec<usize>, Vec<(K, usize)>);

/// Numbers rows `0..n` by the group of `key(row)`, groups in first-appearance order.
/// Pieces of 16,384 rows are grouped in parallel, each with its own table, then their
/// groups are merged in piece order, so the numbering is the one a single pass gives
/// (the same for any thread count).
fn group_ids<K: std::hash::Hash + Eq + Send>(
    n: usize,
    key: impl Fn(usize) -> K + Sync,
) -> GroupIds {
    const STEP: usize = 16_384;
    let mut pieces: Vec<Piece<K>> = (0..n.div_ceil(STEP))
        .into_par_iter()
        .map(|p| {
            let start = p * STEP;
            let end = (start + STEP).min(n);
            let mut index: foldhash::HashMap<K, usize> = HashMap::default();
            let mut firsts = Vec::new();
            let mut ids = Vec::with_capacity(end - start);
            for i in start..end {
                let next = firsts.len();
                let g = *index.entry(key(i)).or_insert(next);
                if g == next {
                    firsts.push(i);
                }
                ids.push(g);
            }
            // This piece's keys in the order of their group numbers.
            let mut keys: Vec<(K, usize)> = index.into_iter().collect();
            keys.sort_unstable_by_key(|(_, g)| *g);
            let keys = keys.into_iter().map(|(k, g)| (k, firsts[g])).collect();
            (ids, keys)
        })
        .collect();
    if pieces.len() == 1
        && let Some((id, keys)) = pieces.pop()
    {
        // One piece: its numbering is the whole numbering.
        let first = keys.into_iter().map(|(_, f)| f).collect();
        return GroupIds { id, first };
    }
    let mut index: foldhash::HashMap<K, usize> = HashMap::default();
    let mut first = Vec::new();
    let mut remaps = Vec::with_capacity(pieces.len());
    let mut all_ids = Vec::with_capacity(pieces.len());
    for (ids, keys) in pieces {
        let remap: Vec<usize> = keys
            .into_iter()
            .map(|(k, f)| {
                let next = first.len();
                let g = *index.entry(k).or_insert(next);
                if g == next {
                    first.push(f);
                }
                g
            })
            .collect();
        remaps.push(remap);
        all_ids.push(ids);
    }
    let id = all_ids
        .into_par_iter()
        .zip(remaps)
        .flat_map_iter(|(ids, remap)| ids.into_iter().map(move |g| remap[g]))
        .collect();
    GroupIds { id, first }
}

/// A value as its group key ([`Value::key`]) without building the key for a string (no
/// reference count touched per row): equal and hashed alike exactly when the keys are.
struct KeyRef<'a>(&'a Value);

impl std::hash::Hash for KeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self.0 {
            Value::Str(s) => (0u8, &**s).hash(h),
            v => (1u8, v.key()).hash(h),
        }
    }
}

impl PartialEq for KeyRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.0, other.0) {
            (Value::Str(a), Value::Str(b)) => std::sync::Arc::ptr_eq(a, b) || a == b,
            // Only a string value has a string key.
            (Value::Str(_), _) | (_, Value::Str(_)) => false,
            (a, b) => a.key() == b.key(),
        }
    }
}

impl Eq for KeyRef<'_> {}

/// One output column of an aggregate: its name and how to compute it for a group.
enum AggOut<'a> {
    Expr(&'a Expr),
    /// Column `c` (an expression) of the row `arg_max`/`arg_min` picks.
    ArgCol {
        call: &'a Expr,
        col: ArgColSrc<'a>,
    },
    Percentile {
        x: &'a Expr,
        w: Option<&'a Expr>,
        p: &'a Expr,
    },
}

enum ArgColSrc<'a> {
    Expr(&'a Expr),
    Input(usize),
}

pub fn summarize(t: &Table, aggs_list: &[NamedExpr], by: &[NamedExpr], cx: &Ctx) -> Result<Table> {
    summarize_input(Input::all(t), aggs_list, by, cx)
}

/// `summarize` over the rows `inp` lists.
pub fn summarize_input(
    inp: Input,
    aggs_list: &[NamedExpr],
    by: &[NamedExpr],
    cx: &Ctx,
) -> Result<Table> {
    let t = inp.t;
    let byc = by_columns(inp, by, cx)?;
    let mut groups = group_rows(&byc);
    if by.is_empty() && groups.is_empty() {
        groups.push((usize::MAX, Vec::new()));
    }
    let mut cols = byc.cols.clone();
    let mut outs: Vec<AggOut> = Vec::new();
    let mut hints: Vec<Option<Ty>> = Vec::new();
    let mut counter = 0;
    let push =
        |cols: &mut Vec<Col>, name: String, hint: Option<Ty>, hints: &mut Vec<Option<Ty>>| {
            let name = fresh_name(cols, &name);
            cols.push(Col::new(name, Ty::String));
            hints.push(hint);
        };
    for ne in aggs_list {
        let e = ne.expr.unparen();
        match e {
            Expr::Call { func, args, .. }
                if matches!(func.name.as_str(), "arg_max" | "arg_min") && !args.is_empty() =>
            {
                let mut names = ne.names.iter().map(|n| n.name.clone());
                let first = names
                    .next()
                    .or_else(|| expr_name(&args[0]))
                    .unwrap_or_else(|| format!("{}_", &func.name[4..]));
                push(&mut cols, first, static_type(&args[0], t), &mut hints);
                outs.push(AggOut::ArgCol {
                    call: e,
                    col: ArgColSrc::Expr(&args[0]),
                });
                for a in &args[1..] {
                    if matches!(a, Expr::Star(_)) {
                        for (c, col) in t.cols.iter().enumerate() {
                            if cols.iter().any(|x| x.name == col.name) {
                                continue;
                            }
                            push(&mut cols, col.name.clone(), Some(col.ty), &mut hints);
                            outs.push(AggOut::ArgCol {
                                call: e,
                                col: ArgColSrc::Input(c),
                            });
                        }
                    } else {
                        let n = names.next().or_else(|| expr_name(a)).unwrap_or_else(|| {
                            counter += 1;
                            format!("Column{counter}")
                        });
                        push(&mut cols, n, static_type(a, t), &mut hints);
                        outs.push(AggOut::ArgCol {
                            call: e,
                            col: ArgColSrc::Expr(a),
                        });
                    }
                }
            }
            Expr::Call { func, args, .. }
                if matches!(func.name.as_str(), "percentiles" | "percentilesw")
                    && args.len() >= 2 =>
            {
                let weighted = func.name == "percentilesw";
                let x = expr_name(&args[0]).unwrap_or_default();
                let first_p = if weighted { 2 } else { 1 };
                for (k, p) in args[first_p.min(args.len())..].iter().enumerate() {
                    let n = ne
                        .names
                        .get(k)
                        .map(|n| n.name.clone())
                        .unwrap_or_else(|| format!("percentile_{x}_{}", lit_text(p)));
                    push(&mut cols, n, static_type(&args[0], t), &mut hints);
                    outs.push(AggOut::Percentile {
                        x: &args[0],
                        w: weighted.then(|| &args[1]),
                        p,
                    });
                }
            }
            _ => {
                let name = match ne.names.first() {
                    Some(n) => n.name.clone(),
                    None => agg_default_name(e).unwrap_or_else(|| {
                        counter += 1;
                        format!("Column{counter}")
                    }),
                };
                push(&mut cols, name, None, &mut hints);
                outs.push(AggOut::Expr(&ne.expr));
            }
        }
    }
    let mut out = Table::new(cols);
    // `min(Col)`/`max(Col)` of every group in one pass over the rows in order (the same
    // values as per group: each group's rows are in row order too).
    let extremes: Vec<Option<Vec<Option<&Value>>>> = outs
        .iter()
        .map(|o| match o {
            AggOut::Expr(e) => column_extremes(e, inp, &groups),
            _ => None,
        })
        .collect();
    for (g, (first, rows)) in groups.iter().enumerate() {
        let mut r: Vec<Value> = if *first == usize::MAX {
            Vec::new()
        } else {
            byc.row(*first)
        };
        let rep = rows.first().copied().unwrap_or(0);
        let gr = Row {
            table: t,
            i: rep,
            group: Some(rows),
        };
        let mut arg_cache: HashMap<*const Expr, Option<usize>> = HashMap::new();
        for (k, o) in outs.iter().enumerate() {
            let v = match o {
                AggOut::Expr(_) if let Some(best) = &extremes[k] => {
                    best[g].cloned().unwrap_or(Value::Null)
                }
                AggOut::Expr(e) => eval(e, &gr, cx)?,
                AggOut::ArgCol { call, col } => {
                    let key = *call as *const Expr;
                    let pick = match arg_cache.get(&key) {
                        Some(p) => *p,
                        None => {
                            let Expr::Call { func, args, .. } = call else {
                                return Err(Error::new("arg_max/arg_min expected"));
                            };
                            let p = aggs::arg_row(&func.name, args, rows, t, cx)?;
                            arg_cache.insert(key, p);
                            p
                        }
                    };
                    match (pick, col) {
                        (None, _) => Value::Null,
                        (Some(i), ArgColSrc::Input(c)) => t.rows[i][*c].clone(),
                        (Some(i), ArgColSrc::Expr(e)) => eval(e, &Row::new(t, i), cx)?,
                    }
                }
                AggOut::Percentile { x, w, p } => {
                    let call = percentile_call(x, *w, p);
                    eval(&call, &gr, cx)?
                }
            };
            r.push(v);
        }
        out.rows.push(r);
    }
    let nby = byc.cols.len();
    for (k, hint) in hints.iter().enumerate() {
        let c = nby + k;
        out.cols[c].ty = column_type(out.rows.iter().map(|r| &r[c]), *hint);
    }
    Ok(out)
}

/// For `min(Col)` or `max(Col)` of a column of the input: each group's result (`None`:
/// no non-null value), from one pass over the input rows in order. Ties keep the first
/// row, as [`aggs::compute`] does. `None` when `e` is not that call.
fn column_extremes<'t>(
    e: &Expr,
    inp: Input<'t>,
    groups: &[(usize, Vec<usize>)],
) -> Option<Vec<Option<&'t Value>>> {
    let t = inp.t;
    let Expr::Call { func, args, .. } = e.unparen() else {
        return None;
    };
    let max = match func.name.as_str() {
        "max" => true,
        "min" => false,
        _ => return None,
    };
    let [arg] = args.as_slice() else {
        return None;
    };
    let Expr::Name(n) = arg.unparen() else {
        return None;
    };
    let c = t.col(&n.name)?;
    if inp.gather.is_some() {
        // A table row may come in several input rows: each group's rows in turn.
        return Some(column_extremes_gathered(max, c, t, groups));
    }
    let mut group_of = vec![u32::MAX; t.rows.len()];
    for (g, (_, rows)) in groups.iter().enumerate() {
        let g = u32::try_from(g).ok()?;
        for &i in rows {
            group_of[i] = g;
        }
    }
    let mut best: Vec<Option<&Value>> = vec![None; groups.len()];
    for (i, row) in t.rows.iter().enumerate() {
        let v = &row[c];
        if group_of[i] == u32::MAX || v.is_null() {
            continue;
        }
        let b = &mut best[group_of[i] as usize];
        let better = match b {
            None => true,
            Some(cur) => {
                let o = compare(v, cur);
                if max { o.is_gt() } else { o.is_lt() }
            }
        };
        if better {
            *b = Some(v);
        }
    }
    Some(best)
}

/// [`column_extremes`] over a gathered input: each group's rows in order.
fn column_extremes_gathered<'t>(
    max: bool,
    c: usize,
    t: &'t Table,
    groups: &[(usize, Vec<usize>)],
) -> Vec<Option<&'t Value>> {
    groups
        .iter()
        .map(|(_, rows)| {
            let mut best: Option<&Value> = None;
            for &i in rows {
                let v = &t.rows[i][c];
                if v.is_null() {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some(cur) => {
                        let o = compare(v, cur);
                        if max { o.is_gt() } else { o.is_lt() }
                    }
                };
                if better {
                    best = Some(v);
                }
            }
            best
        })
        .collect()
}

fn percentile_call(x: &Expr, w: Option<&Expr>, p: &Expr) -> Expr {
    let span = x.span();
    let (name, args) = match w {
        Some(w) => ("percentilew", vec![x.clone(), w.clone(), p.clone()]),
        None => ("percentile", vec![x.clone(), p.clone()]),
    };
    Expr::Call {
        func: Ident {
            name: name.into(),
            span,
        },
        args,
        span,
    }
}

pub fn make_series(
    t: &Table,
    aggs_list: &[MakeSeriesAgg],
    on: &Expr,
    range: &SeriesRange,
    by: &[NamedExpr],
    nonempty: bool,
    cx: &Ctx,
) -> Result<Table> {
    let (axis_vals, _) = column_values(t, on, cx)?;
    let (from, to, step) = match range {
        SeriesRange::FromTo { from, to, step } => (
            from.as_ref()
                .map(|e| crate::engine::eval::eval_scalar(e, cx))
                .transpose()?,
            to.as_ref()
                .map(|e| crate::engine::eval::eval_scalar(e, cx))
                .transpose()?,
            crate::engine::eval::eval_scalar(step, cx)?,
        ),
        SeriesRange::InRange { start, stop, step } => (
            Some(crate::engine::eval::eval_scalar(start, cx)?),
            Some(crate::engine::eval::eval_scalar(stop, cx)?),
            crate::engine::eval::eval_scalar(step, cx)?,
        ),
    };
    let non_null = axis_vals.iter().filter(|v| !v.is_null());
    let start = match from {
        Some(v) => v,
        None => non_null
            .clone()
            .min_by(|a, b| compare(a, b))
            .cloned()
            .unwrap_or(Value::Null),
    };
    let end = match to {
        Some(v) => v,
        None => match non_null.max_by(|a, b| compare(a, b)) {
            Some(m) => arith::binary(BinOp::Add, m, &step)?,
            None => Value::Null,
        },
    };
    // No range and no data: no bins (and no rows).
    let (start, end) = if start.is_null() || end.is_null() {
        (Value::Long(0), Value::Long(0))
    } else {
        (start, end)
    };
    // Bin count: ceil((end - start) / step).
    let span_v = arith::binary(BinOp::Sub, &end, &start)?;
    let ratio = match (&span_v, &step) {
        (Value::Timespan(a), Value::Timespan(b)) if *b > 0 => *a as f64 / *b as f64,
        _ => span_v.as_f64().unwrap_or(0.0) / step.as_f64().unwrap_or(1.0),
    };
    let nbins = ratio.ceil().clamp(0.0, 1_000_000.0) as usize;
    let bin_of = |v: &Value| -> Option<usize> {
        let d = arith::binary(BinOp::Sub, v, &start).ok()?;
        let r = match (&d, &step) {
            (Value::Timespan(a), Value::Timespan(b)) => *a as f64 / *b as f64,
            _ => d.as_f64()? / step.as_f64()?,
        };
        (r >= 0.0 && (r.floor() as usize) < nbins).then_some(r.floor() as usize)
    };
    let byc = by_columns(Input::all(t), by, cx)?;
    let groups = group_rows(&byc);
    let mut cols = byc.cols.clone();
    let mut counter = 0;
    for a in aggs_list {
        let name = match a.expr.names.first() {
            Some(n) => n.name.clone(),
            None => agg_default_name(&a.expr.expr).unwrap_or_else(|| {
                counter += 1;
                format!("Column{counter}")
            }),
        };
        let name = fresh_name(&cols, &name);
        cols.push(Col::new(name, Ty::Dynamic));
    }
    let axis_name = expr_name(on).unwrap_or_else(|| "Column".into());
    cols.push(Col::new(fresh_name(&cols, &axis_name), Ty::Dynamic));
    let mut axis = Vec::with_capacity(nbins);
    let mut v = start.clone();
    for _ in 0..nbins {
        axis.push(v.to_json());
        v = arith::binary(BinOp::Add, &v, &step)?;
    }
    let mut out = Table::new(cols);
    // `kind=nonempty` without `by`: an empty input still gives one row of defaults.
    let empty_group = nonempty && by.is_empty() && groups.is_empty();
    let no_rows: Vec<usize> = Vec::new();
    let synthetic = [(usize::MAX, no_rows)];
    let groups_iter: Vec<(usize, &Vec<usize>)> = if empty_group {
        synthetic.iter().map(|(f, r)| (*f, r)).collect()
    } else {
        groups.iter().map(|(f, r)| (*f, r)).collect()
    };
    for (first, rows) in groups_iter {
        let first = &first;
        let mut bins: Vec<Vec<usize>> = vec![Vec::new(); nbins];
        for &i in rows {
            if let Some(b) = bin_of(&axis_vals[i]) {
                bins[b].push(i);
            }
        }
        let mut r = byc.row(*first);
        for a in aggs_list {
            let default = match &a.default {
                Some(d) => crate::engine::eval::eval_scalar(d, cx)?,
                None => Value::Long(0),
            };
            let mut series = Vec::with_capacity(nbins);
            for b in &bins {
                let v = if b.is_empty() {
                    default.clone()
                } else {
                    let gr = Row {
                        table: t,
                        i: b[0],
                        group: Some(b),
                    };
                    eval(&a.expr.expr, &gr, cx)?
                };
                series.push(v.to_json());
            }
            r.push(Value::dynamic(Json::Array(series)));
        }
        r.push(Value::dynamic(Json::Array(axis.clone())));
        out.rows.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbering a single pass in row order gives.
    fn naive(keys: &[u64]) -> (Vec<usize>, Vec<usize>) {
        let mut seen: Vec<u64> = Vec::new();
        let mut first = Vec::new();
        let ids = keys
            .iter()
            .enumerate()
            .map(|(i, k)| match seen.iter().position(|s| s == k) {
                Some(g) => g,
                None => {
                    seen.push(*k);
                    first.push(i);
                    seen.len() - 1
                }
            })
            .collect();
        (ids, first)
    }

    #[test]
    fn time_bins_agree_with_bin() {
        let hour = 36_000_000_000;
        let times = [
            0,
            1,
            -1,
            hour - 1,
            -hour,
            17_619_552_000_000_000,
            -621_355_968_000_000_000,
            i64::MAX,
            i64::MIN,
        ];
        for t in times {
            for s in [1, 7, hour, 864_000_000_000, i64::MAX, 0, -hour] {
                // The general path's 128-bit arithmetic (bin() itself now tries
                // bin_time first, so it is no independent reference).
                let want = if s <= 0 {
                    Value::Null
                } else {
                    let off = i128::from(funcs::math::NET_EPOCH_OFFSET);
                    let n = i128::from(t) + off;
                    let s = i128::from(s);
                    i64::try_from(n.div_euclid(s) * s - off).map_or(Value::Null, Value::DateTime)
                };
                match funcs::math::bin_time(t, s) {
                    Some(b) => assert!(matches!(want, Value::DateTime(w) if w == b), "{t} {s}"),
                    None => assert!(
                        s <= 0 || want.is_null() || t > i64::MAX - 621_355_968_000_000_000,
                        "{t} {s}"
                    ),
                }
            }
        }
    }

    #[test]
    fn group_numbers_follow_first_appearance_across_pieces() {
        // Several 16,384-row pieces; keys first seen in later pieces, in shuffled order.
        let n = 70_000;
        let keys: Vec<u64> = (0..n as u64)
            .map(|i| (i * 7919 % 1013) % (1 + i / 9_000))
            .collect();
        let (ids, first) = naive(&keys);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let g = pool.install(|| group_ids(n, |i| keys[i]));
            assert_eq!(g.first, first, "{threads} threads");
            assert_eq!(g.id, ids, "{threads} threads");
        }
        let empty = group_ids(0, |i| keys[i]);
        assert!(empty.id.is_empty() && empty.first.is_empty());
    }
}
