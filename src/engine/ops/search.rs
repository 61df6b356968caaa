//! `search [kind=case_sensitive] [in (T1, T2)] Predicate`: a predicate where a bare
//! string term matches when any column has it (`"x*"` a term prefix, `"*x"` a term
//! suffix, `"*x*"` a substring), and `Col:"x"` is `Col has "x"`. Without input or
//! `in (...)` it searches every table given; the result starts with `$table`.

use super::wildcard_match;
use crate::engine::Result;
use crate::engine::eval::{Row, eval, truth};
use crate::engine::exec::{self, Ctx};
use crate::engine::table::{Col, Table};
use crate::engine::value::{Ty, Value};
use crate::kql::ast::*;
use crate::kql::strops::{self as strops, StrOpKind as K};

fn term_matches(t: &Table, i: usize, term: &str, cs: bool) -> bool {
    let (kind, needle) = match (term.strip_prefix('*'), term.strip_suffix('*')) {
        (Some(r), _) if r.ends_with('*') => (
            if cs { K::ContainsCs } else { K::Contains },
            &r[..r.len() - 1],
        ),
        (Some(r), _) => (if cs { K::HasSuffixCs } else { K::HasSuffix }, r),
        (None, Some(r)) => (if cs { K::HasPrefixCs } else { K::HasPrefix }, r),
        (None, None) => (if cs { K::HasCs } else { K::Has }, term),
    };
    t.rows[i]
        .iter()
        .any(|v| !v.is_null() && strops::eval(kind, &v.to_kusto_string(), needle))
}

fn holds(pred: &Expr, t: &Table, i: usize, cs: bool, cx: &Ctx) -> Result<bool> {
    Ok(match pred {
        Expr::Literal(l) if l.as_str().is_some() => {
            term_matches(t, i, l.as_str().unwrap_or(""), cs)
        }
        Expr::Paren { inner, .. } => holds(inner, t, i, cs, cx)?,
        Expr::Logical { op, operands, .. } => {
            let mut acc = *op == LogicalOp::And;
            for o in operands {
                let h = holds(o, t, i, cs, cx)?;
                acc = if *op == LogicalOp::And {
                    acc && h
                } else {
                    acc || h
                };
            }
            acc
        }
        other => match eval(other, &Row::new(t, i), cx) {
            Ok(v) => truth(&v) == Some(true),
            // A column this table lacks: no match in this table.
            Err(e) if e.message.starts_with("unknown name") => false,
            Err(e) => return Err(e),
        },
    })
}

pub fn search(
    piped: Option<&Table>,
    params: &[OpParam],
    tables: &[Expr],
    pred: &Expr,
    cx: &Ctx,
) -> Result<Table> {
    let cs = params
        .iter()
        .any(|p| p.name.name == "kind" && p.value.as_name() == Some("case_sensitive"));
    let mut inputs: Vec<(String, std::rc::Rc<Table>)> = Vec::new();
    if let Some(t) = piped {
        inputs.push((String::new(), std::rc::Rc::new(t.clone())));
    } else if tables.is_empty() {
        // The tables given and the views in scope, by name.
        let views = cx.env.views();
        let mut names: Vec<&String> = cx.db.tables.keys().filter(|n| !views.contains(n)).collect();
        names.extend(views.iter());
        names.sort();
        for n in names {
            let t = match cx.db.tables.get(n) {
                Some(t) if !views.contains(n) => t.clone(),
                _ => exec::tabular(
                    &Expr::Name(Ident {
                        name: n.clone(),
                        span: pred.span(),
                    }),
                    cx,
                )?,
            };
            inputs.push((n.clone(), t));
        }
    } else {
        for e in tables {
            if let Expr::Wildcard(p) = e {
                let mut names: Vec<&String> = cx
                    .db
                    .tables
                    .keys()
                    .filter(|n| wildcard_match(&p.text, n))
                    .collect();
                names.sort();
                for n in names {
                    inputs.push((n.clone(), cx.db.tables[n].clone()));
                }
            } else {
                let name = e.as_name().unwrap_or("").to_string();
                inputs.push((name, exec::tabular(e, cx)?));
            }
        }
    }
    let mut cols = vec![Col::new("$table", Ty::String)];
    for (_, t) in &inputs {
        for c in &t.cols {
            if !cols.iter().any(|x| x.name == c.name) {
                cols.push(c.clone());
            }
        }
    }
    if piped.is_some() {
        cols.remove(0);
    }
    let mut out = Table::new(cols);
    for (name, t) in &inputs {
        let map: Vec<Option<usize>> = out.cols.iter().map(|c| t.col(&c.name)).collect();
        for i in 0..t.rows.len() {
            if holds(pred, t, i, cs, cx)? {
                let row = map
                    .iter()
                    .zip(&out.cols)
                    .map(|(m, c)| match m {
                        Some(k) => t.rows[i][*k].clone(),
                        None if c.name == "$table" && piped.is_none() => Value::str(name.as_str()),
                        None => Value::Null,
                    })
                    .collect();
                out.rows.push(row);
            }
        }
    }
    Ok(out)
}
