//! `join` (every kind; `on` column lists and `$left.a == $right.b`) and `lookup`.
//!
//! Output order: left rows in input order, each followed by its matches in right-table
//! order; then unmatched right rows (`rightouter`, `fullouter`). Null keys never match.

use std::hash::Hash;

use foldhash::HashMap;
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

/// Rows by key hash, each hash's rows chained in table order: an open-addressing table
/// of (hash, first row, whether more rows follow) slots, probed linearly from the hash's
/// high bits, and `next[j]`, the row after row `j` of a chain (`NONE` at the end; read
/// only when a hash has more than one row). Rows of different keys with the same hash
/// share a chain; probes compare the keys themselves.
struct Index {
    /// (hash, first row << 1 | more), `EMPTY` when unused.
    slots: Vec<(u64, usize)>,
    shift: u32,
    next: Vec<usize>,
}

const NONE: usize = usize::MAX;
const EMPTY: usize = usize::MAX;

impl Index {
    fn new(hashes: &[Option<u64>]) -> Self {
        let n = hashes.iter().filter(|h| h.is_some()).count();
        let bits = (2 * n).max(16).next_power_of_two().trailing_zeros();
        let mut slots = vec![(0u64, EMPTY); 1 << bits];
        let shift = 64 - bits;
        let mask = slots.len() - 1;
        let mut next = vec![NONE; hashes.len()];
        for j in (0..hashes.len()).rev() {
            let Some(h) = hashes[j] else { continue };
            let mut s = (h >> shift) as usize;
            loop {
                let slot = &mut slots[s];
                if slot.1 == EMPTY {
                    *slot = (h, j << 1);
                    break;
                }
                if slot.0 == h {
                    next[j] = slot.1 >> 1;
                    *slot = (h, j << 1 | 1);
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        Index { slots, shift, next }
    }

    /// The hash in the home slot of hash `h` (a read that brings the slot into the
    /// cache before [`Index::first`] needs it).
    fn slot_hash(&self, h: u64) -> u64 {
        self.slots[(h >> self.shift) as usize].0
    }

    /// The first row of hash `h` and whether more follow (`NONE` when none).
    fn first(&self, h: Option<u64>) -> (usize, bool) {
        let Some(h) = h else { return (NONE, false) };
        let mask = self.slots.len() - 1;
        let mut s = (h >> self.shift) as usize;
        loop {
            let (sh, v) = self.slots[s];
            if v == EMPTY {
                return (NONE, false);
            }
            if sh == h {
                return (v >> 1, v & 1 == 1);
            }
            s = (s + 1) & mask;
        }
    }
}

/// The keys of both sides as hashes (`None` = a null key, never matching) and how to
/// compare them: `eq(i, j)` is left row `i`'s key equal to right row `j`'s, `left_eq`
/// the same for two left rows; `touch(j)` reads the first byte of right row `j`'s key
/// (see [`join_pairs`]).
struct Keys<'a> {
    lh: Vec<Option<u64>>,
    rh: Vec<Option<u64>>,
    eq: Box<dyn Fn(usize, usize) -> bool + Sync + 'a>,
    touch: Box<dyn Fn(usize) -> u8 + Sync + 'a>,
    left_eq: Box<dyn Fn(usize, usize) -> bool + Sync + 'a>,
}

fn hash_of<K: Hash>(k: &K) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(k)
}

/// Keys computed per row (expressions, several columns), hashed.
fn general_keys<'a>(lk: Vec<Option<Vec<Key>>>, rk: Vec<Option<Vec<Key>>>) -> Keys<'a> {
    let hashes = |k: &[Option<Vec<Key>>]| -> Vec<Option<u64>> {
        k.par_iter()
            .with_min_len(4096)
            .map(|k| k.as_ref().map(hash_of))
            .collect()
    };
    let (lh, rh) = (hashes(&lk), hashes(&rk));
    let lk = std::sync::Arc::new(lk);
    let lk2 = lk.clone();
    Keys {
        lh,
        rh,
        eq: Box::new(move |i, j| lk[i].is_some() && lk[i] == rk[j]),
        touch: Box::new(|_| 0),
        left_eq: Box::new(move |i, i2| lk2[i].is_some() && lk2[i] == lk2[i2]),
    }
}

/// The hash of one cell's join key (`None` for null): equal keys hash alike (a string
/// and a dynamic string holding it too).
fn cell_hash(v: &Value) -> Option<u64> {
    match v {
        Value::Null => None,
        Value::Str(s) => Some(hash_of(&(0u8, &**s))),
        other => match cell_key(other)? {
            Key::Str(s) => Some(hash_of(&(0u8, &*s))),
            k => Some(hash_of(&(1u8, k))),
        },
    }
}

/// Whether two non-null cells have the same join key.
fn cell_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        _ => match (cell_key(a), cell_key(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// A join key cell as the probe compares it: a string's bytes directly (no pointer
/// through the row and the value), any other value by reference.
#[derive(Clone, Copy)]
enum Cell<'a> {
    Str(&'a str),
    Other(&'a Value),
}

impl Cell<'_> {
    /// Whether two non-null cells have the same join key (as [`cell_eq`]).
    fn eq(self, other: Cell) -> bool {
        match (self, other) {
            (Cell::Str(a), Cell::Str(b)) => a == b,
            (Cell::Str(s), Cell::Other(v)) | (Cell::Other(v), Cell::Str(s)) => {
                matches!(cell_key(v), Some(Key::Str(k)) if *k == *s)
            }
            (Cell::Other(a), Cell::Other(b)) => cell_eq(a, b),
        }
    }
}

/// Keys of one plain column on each side, read from the cells (no key values built):
/// each row's hash and cell in one pass, in parallel chunks (in row order).
fn column_hash_keys<'a>(l: &'a Table, lc: usize, r: &'a Table, rc: usize) -> Keys<'a> {
    let cells = |t: &'a Table, c: usize| -> (Vec<Option<u64>>, Vec<Cell<'a>>) {
        t.rows
            .par_iter()
            .with_min_len(4096)
            .map(|row| {
                let v = &row[c];
                let cell = match v {
                    Value::Str(s) => Cell::Str(s),
                    other => Cell::Other(other),
                };
                (cell_hash(v), cell)
            })
            .unzip()
    };
    let (lh, lcells) = cells(l, lc);
    let (rh, rcells) = cells(r, rc);
    let lcells = std::sync::Arc::new(lcells);
    let lcells2 = lcells.clone();
    let rcells = std::sync::Arc::new(rcells);
    let rcells2 = rcells.clone();
    Keys {
        lh,
        rh,
        eq: Box::new(move |i, j| lcells[i].eq(rcells[j])),
        touch: Box::new(move |j| match rcells2[j] {
            Cell::Str(s) => s.as_bytes().first().copied().unwrap_or(0),
            Cell::Other(_) => 0,
        }),
        left_eq: Box::new(move |i, i2| lcells2[i].eq(lcells2[i2])),
    }
}

/// Distinct keys by hash: one representative row per distinct key.
#[derive(Default)]
struct Distinct {
    reps: HashMap<u64, Vec<usize>>,
}

impl Distinct {
    /// Adds row `i`; false when a row with an equal key (`same(rep, i)`) was added before.
    fn insert(&mut self, h: u64, i: usize, same: impl Fn(usize, usize) -> bool) -> bool {
        let reps = self.reps.entry(h).or_default();
        if reps.iter().any(|&p| same(p, i)) {
            return false;
        }
        reps.push(i);
        true
    }

    fn contains(&self, h: u64, matches: impl Fn(usize) -> bool) -> bool {
        self.reps
            .get(&h)
            .is_some_and(|reps| reps.iter().any(|&p| matches(p)))
    }
}

/// The right side of a join evaluated, its kind checked and its conditions parsed.
struct Prepared<'a> {
    r: std::rc::Rc<Table>,
    kind: &'a str,
    conds: Vec<Cond<'a>>,
}

fn prepare<'a>(
    params: &'a [OpParam],
    right: &Expr,
    on: &'a [Expr],
    cx: &Ctx,
) -> Result<Prepared<'a>> {
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
    Ok(Prepared { r, kind, conds })
}

/// The keys of both sides: one plain key column on each side (the common case) read
/// from the cells, else computed per row.
fn prepared_keys<'a>(l: &'a Table, p: &'a Prepared, cx: &Ctx) -> Result<Keys<'a>> {
    let r = &*p.r;
    if p.conds.len() == 1
        && let (Some(lc), Some(rc)) = (
            plain_columns(l, &p.conds, true),
            plain_columns(r, &p.conds, false),
        )
    {
        return Ok(column_hash_keys(l, lc[0], r, rc[0]));
    }
    let lk = keys(l, &p.conds, true, cx)?;
    let rk = keys(r, &p.conds, false, cx)?;
    Ok(general_keys(lk, rk))
}

pub fn join(l: &Table, params: &[OpParam], right: &Expr, on: &[Expr], cx: &Ctx) -> Result<Table> {
    let p = prepare(params, right, on, cx)?;
    let keys = prepared_keys(l, &p, cx)?;
    Ok(join_keys(l, &p.r, &keys, p.kind))
}

/// A `join` and the operator after it, `summarize` or `count` (`next`): the same result
/// as running one after the other, but when the next operator reads columns of one side
/// only, it runs over that side's rows in the order the join pairs them (no joined rows
/// built). `Err` carries each operator's own span, as [`super::apply`] gives them.
pub fn join_then(l: &Table, op: &PipeOp, next: &PipeOp, cx: &Ctx) -> Result<Table> {
    let Operator::Join { params, right, on } = &op.op else {
        return Err(Error::at(op.span, "join expected"));
    };
    let at = |span| move |e: Error| e.or_at(span);
    let p = prepare(params, right, on, cx).map_err(at(op.span))?;
    let r = &*p.r;
    let side = match &next.op {
        Operator::Summarize { aggs, by, .. } => one_side(l, r, aggs.iter().chain(by), cx),
        _ => None,
    };
    let pairs_kind = matches!(
        p.kind,
        "inner" | "innerunique" | "leftouter" | "fullouter" | "rightouter"
    );
    let keys = prepared_keys(l, &p, cx).map_err(at(op.span))?;
    if let Operator::Count { name } = &next.op
        && pairs_kind
    {
        let n = join_pairs(l, r, &keys, p.kind).len();
        return Ok(super::basic::count_rows(n, name.as_ref()));
    }
    let joined = match side {
        Some(side) if pairs_kind => {
            let pairs = join_pairs(l, r, &keys, p.kind);
            let (t, right_side) = match side {
                Side::Left => (l, false),
                Side::Right => (r, true),
            };
            let pick = |p: &(usize, usize)| if right_side { p.1 } else { p.0 };
            // The side must be present in every pair (a right row without a match in
            // a right outer join has no left row).
            if pairs.iter().all(|p| pick(p) != NONE) {
                let gather: Vec<usize> = pairs.iter().map(pick).collect();
                drop(pairs);
                let inp = super::summarize::Input {
                    t,
                    gather: Some(&gather),
                };
                let Operator::Summarize { aggs, by, .. } = &next.op else {
                    return Err(Error::at(next.span, "summarize expected"));
                };
                return super::summarize::summarize_input(inp, aggs, by, cx).map_err(at(next.span));
            }
            materialise(l, r, &pairs)
        }
        _ => join_keys(l, r, &keys, p.kind),
    };
    drop(keys);
    let mut cx = cx.clone();
    super::apply(std::rc::Rc::new(joined), next, &mut cx)
        .map(|t| std::rc::Rc::try_unwrap(t).unwrap_or_else(|t| (*t).clone()))
}

#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// The side of the join output whose columns the expressions read, when every column
/// they can read is a column of that side under its own name. `None` when they read
/// both sides, a right column renamed in the output (`SHA11`), columns they do not name
/// or rows by position (see [`crate::engine::pushdown::column_use`]).
fn one_side<'e>(
    l: &Table,
    r: &Table,
    exprs: impl Iterator<Item = &'e NamedExpr>,
    cx: &Ctx,
) -> Option<Side> {
    let u =
        crate::engine::pushdown::column_use(exprs.map(|ne| &ne.expr), |f| cx.env.get(f).is_some());
    if u.unnamed || u.row_context {
        return None;
    }
    // The output's names: the left's, then the right's made fresh.
    let mut cols = l.cols.clone();
    let mut left = false;
    let mut right = false;
    let right_names: Vec<(String, bool)> = r
        .cols
        .iter()
        .map(|c| {
            let n = fresh_name(&cols, &c.name);
            let same = n == c.name;
            cols.push(Col::new(n.clone(), c.ty));
            (n, same)
        })
        .collect();
    for n in u.names {
        if l.col(n).is_some() {
            left = true;
        } else if let Some((_, same)) = right_names.iter().find(|(x, _)| x == n) {
            if !same {
                return None;
            }
            right = true;
        }
    }
    match (left, right) {
        (true, true) => None,
        (_, true) => Some(Side::Right),
        _ => Some(Side::Left),
    }
}

/// The output columns of a join producing rows of both sides.
fn both_cols(l: &Table, r: &Table) -> Vec<Col> {
    let mut cols = l.cols.clone();
    for c in &r.cols {
        let n = fresh_name(&cols, &c.name);
        cols.push(Col::new(n, c.ty));
    }
    cols
}

/// The rows of a join of both sides from its pairs (`NONE`: that side's nulls).
fn materialise(l: &Table, r: &Table, pairs: &[(usize, usize)]) -> Table {
    let null_right = vec![Value::Null; r.cols.len()];
    let null_left = vec![Value::Null; l.cols.len()];
    let mut out = Table::new(both_cols(l, r));
    let row = |&(i, j): &(usize, usize)| -> Vec<Value> {
        let a = if i == NONE { &null_left } else { &l.rows[i] };
        let b = if j == NONE { &null_right } else { &r.rows[j] };
        let mut row = Vec::with_capacity(a.len() + b.len());
        row.extend_from_slice(a);
        row.extend_from_slice(b);
        row
    };
    out.rows = pairs.par_iter().with_min_len(4096).map(row).collect();
    out
}

/// The (left row, right row) pairs of an `inner`, `innerunique`, `leftouter`,
/// `rightouter` or `fullouter` join, in output order (`NONE` for the side an unmatched
/// row lacks). Left rows are probed in parallel chunks whose pairs are concatenated in
/// left order.
fn join_pairs(l: &Table, r: &Table, keys: &Keys, kind: &str) -> Vec<(usize, usize)> {
    let (lh, rh) = (&keys.lh, &keys.rh);
    let index = Index::new(rh);
    // innerunique: only the first left row of each key takes part.
    let skip: Vec<bool> = if kind == "innerunique" {
        let mut seen = Distinct::default();
        (0..lh.len())
            .map(|i| lh[i].is_some_and(|h| !seen.insert(h, i, &keys.left_eq)))
            .collect()
    } else {
        Vec::new()
    };
    let outer_left = matches!(kind, "leftouter" | "fullouter");
    let want_hits = matches!(kind, "rightouter" | "fullouter");
    // Left rows are probed in blocks, in stages whose memory reads do not depend on one
    // another within a block, so that the processor overlaps their cache misses (the
    // index and the right keys are read in random order): the index slots of the block
    // first, then each row's first candidate, then that candidate's key bytes, and only
    // then the comparisons, in row order (the pairs are the same as one row at a time).
    const BLOCK: usize = 32;
    let probe = |range: std::ops::Range<usize>| {
        let mut pairs = Vec::new();
        let mut firsts = [(NONE, false); BLOCK];
        let mut start = range.start;
        while start < range.end {
            let end = (start + BLOCK).min(range.end);
            let mut touched = 0u64;
            for h in lh[start..end].iter().flatten() {
                touched = touched.wrapping_add(index.slot_hash(*h));
            }
            for (f, i) in firsts.iter_mut().zip(start..end) {
                *f = if skip.get(i).copied().unwrap_or(false) {
                    (NONE, false)
                } else {
                    index.first(lh[i])
                };
            }
            for &(j, _) in &firsts[..end - start] {
                if j != NONE {
                    touched = touched.wrapping_add(u64::from((keys.touch)(j)));
                }
            }
            std::hint::black_box(touched);
            for (&(first, more), i) in firsts.iter().zip(start..end) {
                if skip.get(i).copied().unwrap_or(false) {
                    continue;
                }
                let mut j = first;
                let mut matched = false;
                while j != NONE {
                    if (keys.eq)(i, j) {
                        matched = true;
                        pairs.push((i, j));
                    }
                    j = if more { index.next[j] } else { NONE };
                }
                if !matched && outer_left {
                    pairs.push((i, NONE));
                }
            }
            start = end;
        }
        pairs
    };
    let parts: Vec<_> = chunk_ranges(l.rows.len())
        .into_par_iter()
        .map(probe)
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend(p);
    }
    if want_hits {
        let mut right_hit = vec![false; r.rows.len()];
        for &(_, j) in &out {
            if j != NONE {
                right_hit[j] = true;
            }
        }
        for (j, hit) in right_hit.iter().enumerate() {
            if !hit {
                out.push((NONE, j));
            }
        }
    }
    out
}

/// The join of `l` and `r` on precomputed keys.
fn join_keys(l: &Table, r: &Table, keys: &Keys, kind: &str) -> Table {
    let (lh, rh) = (&keys.lh, &keys.rh);
    let mut out;
    match kind {
        "inner" | "innerunique" | "leftouter" | "fullouter" | "rightouter" => {
            out = materialise(l, r, &join_pairs(l, r, keys, kind));
        }
        "leftsemi" | "leftanti" | "anti" | "leftantisemi" => {
            let semi = kind == "leftsemi";
            let mut rset = Distinct::default();
            for j in 0..rh.len() {
                if let Some(h) = rh[j] {
                    // Every right row of a hash: a probe stops at its first equal key.
                    rset.reps.entry(h).or_default().push(j);
                }
            }
            out = Table::new(l.cols.clone());
            for i in 0..l.rows.len() {
                let hit = lh[i].is_some_and(|h| rset.contains(h, |j| (keys.eq)(i, j)));
                if hit == semi {
                    out.rows.push(l.rows[i].clone());
                }
            }
        }
        _ => {
            // rightsemi, rightanti, rightantisemi
            let semi = kind == "rightsemi";
            let mut lset = Distinct::default();
            for i in 0..lh.len() {
                if let Some(h) = lh[i] {
                    lset.insert(h, i, &keys.left_eq);
                }
            }
            out = Table::new(r.cols.clone());
            for j in 0..r.rows.len() {
                let hit = rh[j].is_some_and(|h| lset.contains(h, |i| (keys.eq)(i, j)));
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
