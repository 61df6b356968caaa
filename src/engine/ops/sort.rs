//! `sort`/`order` and `top`. The default order is descending; nulls come first in
//! ascending order and last in descending order unless `nulls first|last` says
//! otherwise. The sort is stable.

use std::cmp::Ordering;

use crate::engine::Result;
use crate::engine::eval::{Row, eval};
use crate::engine::exec::Ctx;
use crate::engine::table::Table;
use crate::engine::value::{Value, compare};
use crate::kql::ast::*;

pub fn sort(t: &Table, keys: &[SortKey], limit: Option<usize>, cx: &Ctx) -> Result<Table> {
    let mut keyed: Vec<(Vec<Value>, usize)> = Vec::with_capacity(t.rows.len());
    for i in 0..t.rows.len() {
        let row = Row::new(t, i);
        let mut k = Vec::with_capacity(keys.len());
        for key in keys {
            k.push(eval(&key.expr, &row, cx)?.undyn());
        }
        keyed.push((k, i));
    }
    keyed.sort_by(|(a, _), (b, _)| {
        for (j, key) in keys.iter().enumerate() {
            let o = order_one(&a[j], &b[j], key);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    let n = limit.unwrap_or(usize::MAX);
    Ok(Table {
        cols: t.cols.clone(),
        rows: keyed
            .into_iter()
            .take(n)
            .map(|(_, i)| t.rows[i].clone())
            .collect(),
    })
}

fn is_null_like(v: &Value) -> bool {
    v.is_null() || matches!(v, Value::Real(f) if f.is_nan())
}

fn order_one(a: &Value, b: &Value, key: &SortKey) -> Ordering {
    let desc = key.order != Some(SortOrder::Asc);
    let nulls_first = match key.nulls {
        Some(NullsOrder::First) => true,
        Some(NullsOrder::Last) => false,
        None => !desc,
    };
    match (is_null_like(a), is_null_like(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (false, false) => {
            let o = compare(a, b);
            if desc { o.reverse() } else { o }
        }
    }
}
