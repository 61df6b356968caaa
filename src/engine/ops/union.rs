//! `union [kind=inner|outer] [withsource=Col] T1, T2*, (subquery)`.
//! `outer` (the default) keeps every column (by name, first-appearance order);
//! `inner` keeps the columns all inputs share.

use super::wildcard_match;
use crate::engine::exec::{self, Ctx};
use crate::engine::table::{Col, Table};
use crate::engine::value::{Ty, Value, unify};
use crate::engine::{Error, Result};
use crate::kql::ast::*;

fn param<'a>(params: &'a [OpParam], name: &str) -> Option<&'a Expr> {
    params
        .iter()
        .find(|p| p.name.name == name)
        .map(|p| &p.value)
}

pub fn union(
    piped: Option<&Table>,
    params: &[OpParam],
    tables: &[Expr],
    cx: &Ctx,
) -> Result<Table> {
    let kind = param(params, "kind")
        .and_then(Expr::as_name)
        .unwrap_or("outer");
    let source = param(params, "withsource").and_then(Expr::as_name);
    let mut inputs: Vec<(String, std::rc::Rc<Table>)> = Vec::new();
    if let Some(t) = piped {
        inputs.push(("union_arg0".into(), std::rc::Rc::new(t.clone())));
    }
    for (k, e) in tables.iter().enumerate() {
        match e {
            Expr::Wildcard(p) => {
                let mut names: Vec<String> = cx
                    .db
                    .tables
                    .keys()
                    .filter(|n| wildcard_match(&p.text, n))
                    .cloned()
                    .collect();
                names.sort();
                for n in names {
                    let t = exec::tabular(
                        &Expr::Name(Ident {
                            name: n.clone(),
                            span: p.span,
                        }),
                        cx,
                    )?;
                    inputs.push((n, t));
                }
            }
            _ => {
                let name = match e.unparen() {
                    Expr::Name(i) => i.name.clone(),
                    Expr::Pipeline(p) => match p.ops.last().map(|o| &o.op) {
                        Some(Operator::As { name, .. }) => name.name.clone(),
                        _ => format!("union_arg{}", k + usize::from(piped.is_some())),
                    },
                    _ => format!("union_arg{}", k + usize::from(piped.is_some())),
                };
                let t = exec::tabular(e, cx)?;
                inputs.push((name, t));
            }
        }
    }
    let mut cols: Vec<Col> = Vec::new();
    for (_, t) in &inputs {
        for c in &t.cols {
            match cols.iter_mut().find(|x| x.name == c.name) {
                Some(x) => x.ty = unify(Some(x.ty), Some(c.ty)).unwrap_or(Ty::Dynamic),
                None => cols.push(c.clone()),
            }
        }
    }
    if kind == "inner" {
        cols.retain(|c| inputs.iter().all(|(_, t)| t.col(&c.name).is_some()));
    } else if kind != "outer" {
        return Err(Error::new(format!("unknown union kind `{kind}`")));
    }
    let mut out_cols = Vec::new();
    if let Some(s) = source {
        out_cols.push(Col::new(s, Ty::String));
    }
    out_cols.extend(cols.iter().cloned());
    let mut out = Table::new(out_cols);
    for (name, t) in &inputs {
        let map: Vec<Option<usize>> = cols.iter().map(|c| t.col(&c.name)).collect();
        for r in &t.rows {
            let mut row = Vec::with_capacity(out.cols.len());
            if source.is_some() {
                row.push(Value::str(name.as_str()));
            }
            row.extend(map.iter().map(|m| m.map_or(Value::Null, |c| r[c].clone())));
            out.rows.push(row);
        }
    }
    Ok(out)
}
