//! `reduce by Expr [with threshold = T, characters = C]` and `reduce kind=source`.
//!
//! Kusto documents what `reduce` returns (a `Pattern` with `*` wildcards, the `Count`
//! of values it covers and a `Representative` value; values no pattern covers are
//! counted under `others`) but not its clustering algorithm, so rulecat's is its own,
//! deterministic and checked against the docs' examples (reduce-operator.md):
//!
//! 1. Each value is split into terms at the separator characters: `characters` when
//!    given, else every ASCII character that is not a letter or a digit.
//! 2. Groups are formed greedily: the term found in the most not-yet-grouped values
//!    (first-seen on ties) makes a group of those values, if it is in more than
//!    `threshold` (default 0.1) of all values; until no term qualifies. The rest are
//!    `others` (with an empty representative).
//! 3. A group's pattern keeps the terms all its values share at the same position
//!    (from the start, and from the end when the values have different numbers of
//!    terms) and writes `*` for the rest. Separators next to a `*` stay as written with
//!    the default separators (`San *`, `* -on- *`) and are taken into the `*` with
//!    explicit `characters` (`MachineLearning*` for `MachineLearningX4` with `"X"`).
//! 4. Groups are output in the order they were formed, `others` last; the
//!    representative is the group's first value.

use std::collections::{HashMap, HashSet};

use super::basic::column_values;
use crate::engine::eval::eval_scalar;
use crate::engine::exec::Ctx;
use crate::engine::table::{Col, Table};
use crate::engine::value::{Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

/// A value split into terms and the separators between (and around) them:
/// `seps.len() == terms.len() + 1`.
struct Split {
    terms: Vec<String>,
    seps: Vec<String>,
}

fn split(s: &str, is_sep: &dyn Fn(char) -> bool) -> Split {
    let (mut terms, mut seps) = (Vec::new(), vec![String::new()]);
    let mut cur = String::new();
    for c in s.chars() {
        if is_sep(c) {
            if !cur.is_empty() {
                terms.push(std::mem::take(&mut cur));
                seps.push(String::new());
            }
            if let Some(last) = seps.last_mut() {
                last.push(c);
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        terms.push(cur);
        seps.push(String::new());
    }
    Split { terms, seps }
}

/// The pattern of a group (see the module docs).
fn pattern(group: &[&Split], absorb: bool) -> String {
    let first = group[0];
    let n = first.terms.len();
    let same_len = group.iter().all(|s| s.terms.len() == n);
    let mut keep: Vec<bool> = vec![false; n];
    let shared = |k: usize, from_end: bool| {
        let at = |s: &Split| {
            if from_end {
                s.terms.len().checked_sub(n - k).map(|i| s.terms[i].clone())
            } else {
                s.terms.get(k).cloned()
            }
        };
        let want = at(first);
        want.is_some() && group.iter().all(|s| at(s) == want)
    };
    if same_len {
        for (k, kp) in keep.iter_mut().enumerate() {
            *kp = shared(k, false);
        }
    } else {
        let min = group.iter().map(|s| s.terms.len()).min().unwrap_or(0);
        let mut k = 0;
        while k < min && shared(k, false) {
            keep[k] = true;
            k += 1;
        }
        let mut j = n;
        while j > k && n - j < min - k.min(min) && shared(j - 1, true) {
            keep[j - 1] = true;
            j -= 1;
        }
    }
    let mut out = String::new();
    let mut in_wild = false;
    for k in 0..n {
        if keep[k] {
            // The separator before this term (after a wildcard it is absorbed with
            // explicit separators).
            if !(in_wild && absorb) {
                out.push_str(&first.seps[k]);
            }
            out.push_str(&first.terms[k]);
            in_wild = false;
        } else {
            if !in_wild {
                if !absorb || k == 0 || !keep[k - 1] {
                    out.push_str(&first.seps[k]);
                }
                out.push('*');
            }
            in_wild = true;
        }
    }
    if !(in_wild && absorb) {
        out.push_str(&first.seps[n]);
    }
    if !same_len && !out.contains('*') {
        out.push('*');
    }
    out
}

pub fn reduce(
    t: &Table,
    params: &[OpParam],
    by: &Expr,
    with: &[OpParam],
    cx: &Ctx,
) -> Result<Table> {
    let mut threshold = 0.1;
    let mut chars: Option<String> = None;
    for p in with {
        let v = eval_scalar(&p.value, cx)?;
        match p.name.name.to_ascii_lowercase().as_str() {
            "threshold" => match v.as_f64() {
                Some(x) if (0.0..=1.0).contains(&x) => threshold = x,
                _ => {
                    return Err(Error::at(
                        p.value.span(),
                        "reduce: threshold must be a number between 0 and 1",
                    ));
                }
            },
            "characters" => chars = Some(v.to_kusto_string()),
            other => {
                return Err(Error::at(
                    p.span,
                    format!("reduce: unknown parameter `{other}`"),
                ));
            }
        }
    }
    let mut source = false;
    for p in params {
        let v = p.value.as_name().map(str::to_string).unwrap_or_else(|| {
            eval_scalar(&p.value, cx).map_or(String::new(), |v| v.to_kusto_string())
        });
        match (p.name.name.as_str(), v.as_str()) {
            ("kind", "source") => source = true,
            ("kind", "" | "default") => {}
            (name, _) => {
                return Err(Error::at(
                    p.span,
                    format!("reduce: unsupported parameter `{name}`"),
                ));
            }
        }
    }
    let (vals, _) = column_values(t, by, cx)?;
    let texts: Vec<String> = vals.iter().map(Value::to_kusto_string).collect();
    let absorb = chars.is_some();
    let is_sep: Box<dyn Fn(char) -> bool> = match &chars {
        Some(c) => {
            let set: HashSet<char> = c.chars().collect();
            Box::new(move |x| set.contains(&x))
        }
        None => Box::new(|x: char| x.is_ascii() && !x.is_ascii_alphanumeric()),
    };
    let splits: Vec<Split> = texts.iter().map(|s| split(s, &*is_sep)).collect();
    let total = texts.len();
    let mut group_of: Vec<Option<usize>> = vec![None; total];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    loop {
        // Terms by the number of ungrouped values holding them (first-seen order).
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut seen_order = 0;
        for (i, s) in splits.iter().enumerate() {
            if group_of[i].is_some() {
                continue;
            }
            let mut here = HashSet::new();
            for term in &s.terms {
                if here.insert(term.as_str()) {
                    let e = counts.entry(term.as_str()).or_insert((0, seen_order));
                    e.0 += 1;
                    seen_order += 1;
                }
            }
        }
        let best = counts
            .into_iter()
            .filter(|(_, (n, _))| *n as f64 > threshold * total as f64)
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)));
        let Some((term, _)) = best else { break };
        let term = term.to_string();
        let members: Vec<usize> = (0..total)
            .filter(|&i| group_of[i].is_none() && splits[i].terms.contains(&term))
            .collect();
        for &i in &members {
            group_of[i] = Some(groups.len());
        }
        groups.push(members);
    }
    let patterns: Vec<String> = groups
        .iter()
        .map(|g| pattern(&g.iter().map(|&i| &splits[i]).collect::<Vec<_>>(), absorb))
        .collect();
    if source {
        let mut out = t.clone();
        let name = crate::engine::table::fresh_name(&out.cols, "Pattern");
        out.cols.push(Col::new(name, Ty::String));
        for (i, row) in out.rows.iter_mut().enumerate() {
            row.push(Value::str(
                group_of[i].map_or("others", |g| patterns[g].as_str()),
            ));
        }
        return Ok(out);
    }
    let mut out = Table::new(vec![
        Col::new("Pattern", Ty::String),
        Col::new("Count", Ty::Long),
        Col::new("Representative", Ty::String),
    ]);
    for (g, members) in groups.iter().enumerate() {
        out.rows.push(vec![
            Value::str(patterns[g].as_str()),
            Value::Long(members.len() as i64),
            Value::str(texts[members[0]].as_str()),
        ]);
    }
    let others = group_of.iter().filter(|g| g.is_none()).count();
    if others > 0 {
        out.rows.push(vec![
            Value::str("others"),
            Value::Long(others as i64),
            Value::str(""),
        ]);
    }
    Ok(out)
}
