//! `scan`: sequence matching over serialized rows, following the documented match
//! logic (scan-operator.md, "Scan logic").
//!
//! The state holds, per step `s_k`, either nothing or the records that matched
//! `s_1..s_k` of one sequence (with the declared columns as assigned). Each input record
//! is tried against the steps from the last to the first:
//! 1. if `s_{k-1}` has a state and the record meets `s_k`'s condition (evaluated over
//!    `s_{k-1}`'s state), that state is promoted to `s_k` (replacing it), extended with
//!    the record as assigned by `s_k`, and `s_{k-1}`'s state is cleared;
//! 2. otherwise, if `s_k` has a state (or is the first step) and the record meets the
//!    condition over `s_k`'s state, the record (as assigned) replaces `s_k`'s own entry
//!    in that state; on the first step with no state this starts a new sequence (the
//!    next match id, as the documented session example numbers them).
//!
//! A match emits the assigned record unless the step says `output=none` (`output=last`
//! emits on promotion only). `sName.Col` reads the state's record for step `sName`;
//! with no such record, declared columns read their default and input columns null.

use crate::engine::eval::{Row, eval, eval_scalar, truth};
use crate::engine::exec::Ctx;
use crate::engine::table::{Col, Table, coerce};
use crate::engine::value::{Ty, Value};
use crate::engine::{Error, Result};
use crate::kql::ast::{Expr, OpParam, Param, ParamType, ScanStep};

#[derive(Clone)]
struct Seq {
    /// The records of steps 0..=k (input columns then declared columns).
    recs: Vec<Vec<Value>>,
    id: i64,
}

pub fn scan(
    t: &Table,
    params: &[OpParam],
    declare: &[Param],
    steps: &[ScanStep],
    cx: &Ctx,
) -> Result<Table> {
    let match_col = params
        .iter()
        .find(|p| p.name.name == "with_match_id")
        .map(|p| match &p.value {
            Expr::Name(id) => Ok(id.name.clone()),
            other => eval_scalar(other, cx).map(|v| v.to_kusto_string()),
        })
        .transpose()?;
    // Declared columns: name, type, default.
    let mut decl: Vec<(String, Ty, Value)> = Vec::new();
    for p in declare {
        let ty = match &p.ty {
            ParamType::Scalar(t) => Ty::parse(&t.name).unwrap_or(Ty::Dynamic),
            _ => return Err(Error::at(p.span, "a `scan` column needs a scalar type")),
        };
        let default = match &p.default {
            Some(e) => coerce(eval_scalar(e, cx)?, ty),
            None => Value::Null,
        };
        decl.push((p.name.name.clone(), ty, default));
    }
    let mut cols: Vec<Col> = t.cols.clone();
    for (n, ty, _) in &decl {
        if cols.iter().any(|c| &c.name == n) {
            return Err(Error::new(format!(
                "`scan` declares `{n}`, which the input already has"
            )));
        }
        cols.push(Col::new(n.clone(), *ty));
    }
    let width = cols.len();
    let blank: Vec<Value> = t
        .cols
        .iter()
        .map(|_| Value::Null)
        .chain(decl.iter().map(|d| d.2.clone()))
        .collect();
    // The evaluation table: the record's columns, then `step.col` for every step.
    let mut ecols = cols.clone();
    for s in steps {
        for c in &cols {
            ecols.push(Col::new(format!("{}.{}", s.name.name, c.name), c.ty));
        }
    }
    let mut out_cols = cols.clone();
    if let Some(m) = &match_col {
        out_cols.push(Col::new(m.clone(), Ty::Long));
    }
    let mut out = Table::new(out_cols);
    let mut state: Vec<Option<Seq>> = vec![None; steps.len()];
    let mut next_id = 0i64;
    let n_in = t.cols.len();

    // Evaluates a step's condition and assignments for `rec` over `st`; `Some(extended
    // record)` when the condition holds.
    let try_step =
        |step: &ScanStep, rec: &[Value], st: Option<&Seq>| -> Result<Option<Vec<Value>>> {
            let mut row: Vec<Value> = rec.iter().take(n_in).cloned().collect();
            row.extend(decl.iter().map(|d| d.2.clone()));
            for j in 0..steps.len() {
                match st.and_then(|s| s.recs.get(j)) {
                    Some(r) => row.extend(r.iter().cloned()),
                    None => row.extend(blank.iter().cloned()),
                }
            }
            let mut et = Table {
                cols: ecols.clone(),
                rows: vec![row],
            };
            let ok = truth(&eval(&step.cond, &Row::new(&et, 0), cx)?) == Some(true);
            if !ok {
                return Ok(None);
            }
            for a in &step.assigns {
                let v = eval(&a.expr, &Row::new(&et, 0), cx)?;
                let Some(name) = a.names.first() else {
                    return Err(Error::new("a `scan` assignment needs a column name"));
                };
                let Some(k) = decl.iter().position(|d| d.0 == name.name) else {
                    return Err(Error::at(
                        name.span,
                        format!("`{}` is not a declared `scan` column", name.name),
                    ));
                };
                et.rows[0][n_in + k] = coerce(v, decl[k].1);
            }
            Ok(Some(et.rows[0][..width].to_vec()))
        };

    for rec in &t.rows {
        for k in (0..steps.len()).rev() {
            let step = &steps[k];
            let output = step.output.as_ref().map_or("all", |o| o.name.as_str());
            // Check 1: promotion from the previous step.
            if k > 0
                && let Some(prev) = state[k - 1].clone()
                && let Some(ext) = try_step(step, rec, Some(&prev))?
            {
                let mut seq = prev;
                seq.recs.truncate(k);
                seq.recs.push(ext.clone());
                let id = seq.id;
                state[k] = Some(seq);
                state[k - 1] = None;
                if output != "none" {
                    emit(&mut out, ext, id, match_col.is_some());
                }
                continue;
            }
            // Check 2: a repeated match of the same step (or a new sequence).
            if (k == 0 || state[k].is_some())
                && let Some(ext) = try_step(step, rec, state[k].as_ref())?
            {
                if let Some(seq) = state[k].as_mut() {
                    seq.recs.truncate(k);
                    seq.recs.push(ext.clone());
                } else {
                    state[0] = Some(Seq {
                        recs: vec![ext.clone()],
                        id: next_id,
                    });
                    next_id += 1;
                }
                let id = state[k].as_ref().map_or(0, |s| s.id);
                if output == "all" {
                    emit(&mut out, ext, id, match_col.is_some());
                }
            }
        }
    }
    Ok(out)
}

fn emit(out: &mut Table, mut rec: Vec<Value>, id: i64, with_id: bool) {
    if with_id {
        rec.push(Value::Long(id));
    }
    out.rows.push(rec);
}
