//! Tabular operators, one file per family; [`apply`] dispatches one `| op`.

mod basic;
mod expand;
pub mod file_profile;
mod geo_plugins;
pub mod graph;
mod join;
mod parse;
mod plugins;
mod reduce;
mod scan;
mod search;
mod sketch_plugins;
mod sort;
mod summarize;
mod top_nested;
mod union;
mod window_plugins;

use std::rc::Rc;

use super::exec::{Binding, Ctx};
use super::table::Table;
use super::{Error, Result};
use crate::kql::ast::*;

pub use summarize::agg_default_name;

/// Applies one tabular operator to `input`. `cx` is mutable because `as` binds a name
/// for the operators after it.
pub fn apply(input: Rc<Table>, op: &PipeOp, cx: &mut Ctx) -> Result<Rc<Table>> {
    let span = op.span;
    let r = match &op.op {
        Operator::Where { pred } => basic::filter(&input, pred, cx),
        // Every column, in order, by name: the input itself (no copy).
        Operator::Project { cols } if basic::projects_every_column(&input, cols) => {
            return Ok(input);
        }
        Operator::Project { cols } => basic::project(&input, cols, cx),
        Operator::ProjectAway { cols } => basic::project_away(&input, cols, false),
        Operator::ProjectKeep { cols } => basic::project_away(&input, cols, true),
        Operator::ProjectRename { renames } => basic::project_rename(&input, renames),
        Operator::ProjectReorder { cols } => basic::project_reorder(&input, cols),
        Operator::ProjectByNames { cols } => basic::project_by_names(&input, cols, cx),
        Operator::Extend { cols } | Operator::Serialize { cols } => basic::extend(&input, cols, cx),
        Operator::Take { count } | Operator::Sample { count } => basic::take(&input, count, cx),
        Operator::Count { name } => Ok(basic::count(&input, name.as_ref())),
        Operator::Distinct { cols, .. } => basic::distinct(&input, cols, cx),
        Operator::Sort { keys, .. } => sort::sort(&input, keys, None, cx),
        Operator::Top { count, by } => {
            let n = super::eval::eval_scalar(count, cx)?
                .as_i64()
                .unwrap_or(0)
                .max(0) as usize;
            sort::sort(&input, std::slice::from_ref(by), Some(n), cx)
        }
        Operator::Summarize { aggs, by, .. } => summarize::summarize(&input, aggs, by, cx),
        Operator::TopNested { clauses } => top_nested::top_nested(&input, clauses, cx),
        Operator::MakeSeries {
            params,
            aggs,
            on,
            range,
            by,
        } => {
            let nonempty = params.iter().any(|p| {
                p.name.name == "kind" && p.value.as_name().is_some_and(|k| k == "nonempty")
            });
            summarize::make_series(&input, aggs, on, range, by, nonempty, cx)
        }
        Operator::Join { params, right, on } => join::join(&input, params, right, on, cx),
        Operator::Lookup { params, right, on } => join::lookup(&input, params, right, on, cx),
        Operator::Union { params, tables } => {
            let piped = op.pipe_span.is_some().then_some(&input);
            union::union(piped.map(|t| &**t), params, tables, cx)
        }
        Operator::MvExpand {
            params,
            items,
            limit,
        } => expand::mv_expand(&input, params, items, limit.as_ref(), cx),
        Operator::MvApply {
            params,
            items,
            limit,
            on,
            ..
        } => expand::mv_apply(&input, params, items, limit.as_ref(), on, cx),
        Operator::Parse {
            filter,
            params,
            source,
            pattern,
        } => parse::parse(&input, *filter, params, source, pattern, cx),
        Operator::ParseKv {
            source,
            columns,
            with,
        } => parse::parse_kv(&input, source, columns, with, cx),
        Operator::Evaluate { call, schema, .. } => {
            expand::evaluate(&input, call, cx).map(|out| match schema {
                Some(s) => expand::apply_schema(&input, out, s),
                None => out,
            })
        }
        Operator::Invoke { call } => invoke(input.clone(), call, cx),
        Operator::As { name, .. } => {
            *cx = cx.with(&name.name, Binding::Table(input.clone()));
            return Ok(input);
        }
        Operator::Print { cols } => basic::print(cols, cx),
        Operator::Range {
            name,
            from,
            to,
            step,
        } => basic::range(&name.name, from, to, step, cx),
        Operator::GetSchema => Ok(basic::getschema(&input)),
        Operator::Search {
            params,
            tables,
            pred,
        } => {
            let piped = op.pipe_span.is_some().then_some(&*input);
            search::search(piped, params, tables, pred, cx)
        }
        Operator::Partition { by, sub, .. } => partition(&input, by, sub, cx),
        Operator::Render { .. } => return Ok(input),
        Operator::Reduce { params, by, with } => reduce::reduce(&input, params, by, with, cx),
        Operator::Scan {
            params,
            declare,
            steps,
        } => scan::scan(&input, params, declare, steps, cx),
        Operator::GraphMatch { .. }
        | Operator::GraphToTable { .. }
        | Operator::GraphMarkComponents { .. } => Err(Error::new(format!(
            "`{}` needs a graph: put `make-graph` before it",
            op.name
        ))),
        Operator::MakeGraph { .. } => {
            graph::run(input, std::slice::from_ref(op), cx).map(|(t, _)| (*t).clone())
        }
        _ => Err(Error::new(format!(
            "the `{}` operator is not supported yet",
            op.name
        ))),
    };
    r.map(Rc::new).map_err(|e| e.or_at(span))
}

/// Applies a `join` (`op`) and the operator after it (`next`) when they run together
/// ([`join::join_then`]: a `summarize` or `count` reading one side only runs over that
/// side's rows as the join pairs them); `None` when `op` and `next` are not such a pair.
pub fn apply_pair(
    input: &Rc<Table>,
    op: &PipeOp,
    next: &PipeOp,
    cx: &Ctx,
) -> Option<Result<Rc<Table>>> {
    match (&op.op, &next.op) {
        (Operator::Join { .. }, Operator::Summarize { .. } | Operator::Count { .. }) => {
            Some(join::join_then(input, op, next, cx).map(Rc::new))
        }
        _ => None,
    }
}

/// Whether [`apply`] runs this operator (`name` is the keyword as written: `scan` is
/// parsed as [`Operator::Error`]). Keep in step with the dispatch above; the
/// `engine-unsupported` lint reports the others.
pub fn supported(op: &Operator, name: &str) -> bool {
    match op {
        Operator::TopHitters { .. }
        | Operator::SampleDistinct { .. }
        | Operator::Find { .. }
        | Operator::Facet { .. }
        | Operator::Fork { .. }
        | Operator::Consume { .. } => false,
        Operator::Error => name != "scan",
        _ => true,
    }
}

/// Whether `evaluate NAME(...)` is a plugin the engine has (see `expand::evaluate`).
pub fn plugin_supported(name: &str) -> bool {
    matches!(
        name,
        "rows_near" | "sliding_window_counts" | "rolling_percentile" | "activity_counts_metrics"
    ) || matches!(name, "bag_unpack" | "pivot" | "ipv4_lookup" | "ipv6_lookup")
        || matches!(name, "dcount_intersect" | "active_users_count")
        || matches!(name, "geo_line_lookup" | "geo_polygon_lookup")
}

/// `partition by Col ( ops )`: runs `ops` on each group of rows with the same `Col`
/// (groups in first-appearance order) and unions the results.
fn partition(t: &Rc<Table>, by: &Expr, sub: &[PipeOp], cx: &Ctx) -> Result<Table> {
    let (keys, _) = basic::column_values(t, by, cx)?;
    let mut order: Vec<super::value::Key> = Vec::new();
    let mut groups: std::collections::HashMap<super::value::Key, Vec<usize>> = Default::default();
    for (i, k) in keys.iter().enumerate() {
        let k = k.key();
        if !groups.contains_key(&k) {
            order.push(k.clone());
        }
        groups.entry(k).or_default().push(i);
    }
    let mut parts = Vec::new();
    for k in &order {
        let rows = groups[k].iter().map(|&i| t.rows[i].clone()).collect();
        let mut cur = Rc::new(Table {
            cols: t.cols.clone(),
            rows,
        });
        let mut scx = cx.clone();
        for op in sub {
            cur = apply(cur, op, &mut scx)?;
        }
        parts.push(cur);
    }
    let mut out = match parts.first() {
        Some(p) => Table::new(p.cols.clone()),
        None => Table::new(t.cols.clone()),
    };
    for p in parts {
        for c in &p.cols {
            if out.col(&c.name).is_none() {
                out.cols.push(c.clone());
                for r in &mut out.rows {
                    r.push(super::value::Value::Null);
                }
            }
        }
        let map: Vec<Option<usize>> = out.cols.iter().map(|c| p.col(&c.name)).collect();
        for r in &p.rows {
            out.rows.push(
                map.iter()
                    .map(|m| m.map_or(super::value::Value::Null, |c| r[c].clone()))
                    .collect(),
            );
        }
    }
    Ok(out)
}

fn invoke(input: Rc<Table>, call: &Expr, cx: &Ctx) -> Result<Table> {
    let Expr::Call { func, args, span } = call else {
        return Err(Error::at(call.span(), "`invoke` needs a function call"));
    };
    match cx.env.get(&func.name) {
        Some(Binding::Func(f, env)) => {
            let (f, env) = (f.clone(), env.clone());
            match super::exec::call_function_with_input(&f, &env, args, None, Some(input), cx)? {
                super::exec::Thing::Table(t) => Ok((*t).clone()),
                super::exec::Thing::Scalar(_) => {
                    Err(Error::at(*span, "the invoked function returns a scalar"))
                }
            }
        }
        _ if func.name == "FileProfile" => file_profile::run(&input, args, *span, cx),
        _ => Err(Error::at(
            *span,
            format!("unknown function `{}`", func.name),
        )),
    }
}

/// The column name Kusto gives an unnamed expression: a column's own name, `a_b` for
/// `a.b` / `a['b']`, the first argument's for `bin()`/`floor()`; `None` otherwise.
pub fn expr_name(e: &Expr) -> Option<String> {
    match e.unparen() {
        Expr::Name(i) => Some(i.name.clone()),
        Expr::Member { target, member, .. } => {
            Some(format!("{}_{}", expr_name(target)?, member.name))
        }
        Expr::Index { target, index, .. } => {
            let key = match index.unparen() {
                Expr::Literal(l) => match &l.value {
                    LitValue::String { value, .. } => value.clone(),
                    LitValue::Long(v) => v.to_string(),
                    _ => return None,
                },
                _ => return None,
            };
            Some(format!("{}_{}", expr_name(target)?, key))
        }
        Expr::Call { func, args, .. }
            if matches!(func.name.as_str(), "bin" | "floor" | "bin_at" | "bin_auto")
                && !args.is_empty() =>
        {
            expr_name(&args[0])
        }
        // Names Kusto derives from the function (Kusto.Language's `ResultNameKind` of
        // these functions, microsoft/Kusto-Query-Language src/Kusto.Language/Functions.cs
        // at c94c9e7): the function name (or a prefix) and the first argument's name.
        Expr::Call { func, args, .. } => match func.name.as_str() {
            f @ ("percentile_tdigest" | "dcount_hll") => {
                Some(format!("{f}_{}", expr_name(args.first()?)?))
            }
            "percentiles_array_tdigest" => {
                Some(format!("percentile_tdigest_{}", expr_name(args.first()?)?))
            }
            "merge_tdigest" | "tdigest_merge" => Some("tdigests_merge_result".into()),
            "hll_merge" => Some("hll_merged_result".into()),
            _ => None,
        },
        _ => None,
    }
}

/// Matches a column name against a pattern with `*` wildcards (the analysis's own).
pub use crate::kql::analyze::wildcard_match;
