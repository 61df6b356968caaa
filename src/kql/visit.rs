//! Walking the syntax tree.
//!
//! Implement [`Visitor`] (all methods have empty defaults) and call
//! [`walk_query`]; or use the closure helpers [`for_each_expr`],
//! [`for_each_op`] and [`for_each_pipeline`]. Walks are pre-order: a node is
//! visited before its children. Recursion depth is bounded because the parser
//! limits nesting to [`super::parser::MAX_DEPTH`] levels.

use super::ast::*;

pub trait Visitor<'a> {
    fn visit_statement(&mut self, _s: &'a Statement) {}
    /// Every expression, scalar or tabular (table names, pipelines, subqueries...).
    fn visit_expr(&mut self, _e: &'a Expr) {}
    /// Every `source | op | op` pipeline.
    fn visit_pipeline(&mut self, _p: &'a Pipeline) {}
    /// Every tabular operator, including `print`/`union`... used as a query source
    /// and the operators of `mv-apply`/`facet`/`fork`/`partition` subqueries.
    fn visit_op(&mut self, _op: &'a PipeOp) {}
}

/// Calls `f` on every expression of the query, pre-order.
pub fn for_each_expr<'a>(q: &'a Query, f: impl FnMut(&'a Expr)) {
    struct V<F>(F);
    impl<'a, F: FnMut(&'a Expr)> Visitor<'a> for V<F> {
        fn visit_expr(&mut self, e: &'a Expr) {
            (self.0)(e)
        }
    }
    walk_query(&mut V(f), q);
}

/// Calls `f` on every tabular operator of the query, pre-order.
pub fn for_each_op<'a>(q: &'a Query, f: impl FnMut(&'a PipeOp)) {
    struct V<F>(F);
    impl<'a, F: FnMut(&'a PipeOp)> Visitor<'a> for V<F> {
        fn visit_op(&mut self, op: &'a PipeOp) {
            (self.0)(op)
        }
    }
    walk_query(&mut V(f), q);
}

/// Calls `f` on every pipeline (`source | ops...`) of the query, pre-order.
pub fn for_each_pipeline<'a>(q: &'a Query, f: impl FnMut(&'a Pipeline)) {
    struct V<F>(F);
    impl<'a, F: FnMut(&'a Pipeline)> Visitor<'a> for V<F> {
        fn visit_pipeline(&mut self, p: &'a Pipeline) {
            (self.0)(p)
        }
    }
    walk_query(&mut V(f), q);
}

/// Calls `f` on `e` and every expression inside it, pre-order.
pub fn for_each_expr_in<'a>(e: &'a Expr, f: impl FnMut(&'a Expr)) {
    struct V<F>(F);
    impl<'a, F: FnMut(&'a Expr)> Visitor<'a> for V<F> {
        fn visit_expr(&mut self, e: &'a Expr) {
            (self.0)(e)
        }
    }
    walk_expr(&mut V(f), e);
}

pub fn walk_query<'a, V: Visitor<'a> + ?Sized>(v: &mut V, q: &'a Query) {
    for s in &q.statements {
        walk_statement(v, s);
    }
}

pub fn walk_statement<'a, V: Visitor<'a> + ?Sized>(v: &mut V, s: &'a Statement) {
    v.visit_statement(s);
    match s {
        Statement::Let(l) => match &l.value {
            LetValue::Expr(e) => walk_expr(v, e),
            LetValue::Function(f) => walk_function(v, f),
        },
        Statement::Set(st) => {
            if let Some(e) = &st.value {
                walk_expr(v, e);
            }
        }
        Statement::DeclareQueryParameters(d) => walk_params(v, &d.params),
        Statement::DeclarePattern(p) => {
            walk_params(v, &p.params);
            walk_params(v, p.path.as_slice());
            for r in &p.rules {
                for e in r.args.iter().chain(&r.path) {
                    walk_expr(v, e);
                }
                for s in &r.body {
                    walk_statement(v, s);
                }
            }
        }
        Statement::Query(e) => walk_expr(v, e),
        Statement::Error(_) => {}
    }
}

fn walk_function<'a, V: Visitor<'a> + ?Sized>(v: &mut V, f: &'a FunctionDef) {
    walk_params(v, &f.params);
    for s in &f.body {
        walk_statement(v, s);
    }
}

fn walk_params<'a, V: Visitor<'a> + ?Sized>(v: &mut V, params: &'a [Param]) {
    for p in params {
        if let Some(d) = &p.default {
            walk_expr(v, d);
        }
    }
}

pub fn walk_expr<'a, V: Visitor<'a> + ?Sized>(v: &mut V, e: &'a Expr) {
    v.visit_expr(e);
    match e {
        Expr::Literal(_)
        | Expr::Name(_)
        | Expr::Star(_)
        | Expr::Wildcard(_)
        | Expr::TypeOf { .. }
        | Expr::Error(_) => {}
        Expr::Paren { inner, .. } => walk_expr(v, inner),
        Expr::Unary { operand, .. } => walk_expr(v, operand),
        Expr::Binary { lhs, rhs, .. } | Expr::StringOp { lhs, rhs, .. } => {
            walk_expr(v, lhs);
            walk_expr(v, rhs);
        }
        Expr::Logical { operands, .. } => {
            for o in operands {
                walk_expr(v, o);
            }
        }
        Expr::In { lhs, list, .. } => {
            walk_expr(v, lhs);
            for o in list {
                walk_expr(v, o);
            }
        }
        Expr::Between { lhs, low, high, .. } => {
            walk_expr(v, lhs);
            walk_expr(v, low);
            walk_expr(v, high);
        }
        Expr::Call { args, .. } => {
            for a in args {
                walk_expr(v, a);
            }
        }
        Expr::MethodCall { target, args, .. } => {
            walk_expr(v, target);
            for a in args {
                walk_expr(v, a);
            }
        }
        Expr::Member { target, .. } => walk_expr(v, target),
        Expr::Index { target, index, .. } => {
            walk_expr(v, target);
            walk_expr(v, index);
        }
        Expr::Datatable { values, .. } => {
            for x in values {
                walk_expr(v, x);
            }
        }
        Expr::ExternalData { uris, with, .. } => {
            for x in uris {
                walk_expr(v, x);
            }
            walk_op_params(v, with);
        }
        Expr::Pipeline(p) => {
            v.visit_pipeline(p);
            walk_expr(v, &p.source);
            for op in &p.ops {
                walk_op(v, op);
            }
        }
        Expr::TabularOp(op) => walk_op(v, op),
    }
}

fn walk_op_params<'a, V: Visitor<'a> + ?Sized>(v: &mut V, params: &'a [OpParam]) {
    for p in params {
        walk_expr(v, &p.value);
    }
}

fn walk_named<'a, V: Visitor<'a> + ?Sized>(v: &mut V, cols: &'a [NamedExpr]) {
    for c in cols {
        walk_expr(v, &c.expr);
    }
}

fn walk_ops<'a, V: Visitor<'a> + ?Sized>(v: &mut V, ops: &'a [PipeOp]) {
    for op in ops {
        walk_op(v, op);
    }
}

pub fn walk_op<'a, V: Visitor<'a> + ?Sized>(v: &mut V, op: &'a PipeOp) {
    v.visit_op(op);
    match &op.op {
        Operator::Where { pred } => walk_expr(v, pred),
        Operator::Project { cols } | Operator::Extend { cols } | Operator::Print { cols } => {
            walk_named(v, cols)
        }
        Operator::Serialize { cols } => walk_named(v, cols),
        Operator::ProjectAway { .. }
        | Operator::ProjectKeep { .. }
        | Operator::ProjectRename { .. }
        | Operator::ProjectReorder { .. }
        | Operator::Count { .. }
        | Operator::GetSchema
        // Step names qualify columns (`s1.x`): not walked, as before scan was modelled.
        | Operator::Scan { .. }
        | Operator::Error => {}
        Operator::Summarize {
            params, aggs, by, ..
        } => {
            walk_op_params(v, params);
            walk_named(v, aggs);
            walk_named(v, by);
        }
        Operator::Distinct { params, cols } => {
            walk_op_params(v, params);
            walk_named(v, cols);
        }
        Operator::Top { count, by } => {
            walk_expr(v, count);
            walk_expr(v, &by.expr);
        }
        Operator::TopNested { clauses } => {
            for c in clauses {
                if let Some(n) = &c.count {
                    walk_expr(v, n);
                }
                walk_expr(v, &c.of.expr);
                if let Some(o) = &c.others {
                    walk_expr(v, o);
                }
                walk_expr(v, &c.by.expr);
            }
        }
        Operator::TopHitters { count, of, by } => {
            walk_expr(v, count);
            walk_expr(v, of);
            if let Some(b) = by {
                walk_expr(v, b);
            }
        }
        Operator::Sort { params, keys } => {
            walk_op_params(v, params);
            for k in keys {
                walk_expr(v, &k.expr);
            }
        }
        Operator::Take { count } | Operator::Sample { count } => walk_expr(v, count),
        Operator::Parse { params, source, .. } => {
            walk_op_params(v, params);
            walk_expr(v, source);
        }
        Operator::ParseKv { source, with, .. } => {
            walk_expr(v, source);
            walk_op_params(v, with);
        }
        Operator::MvExpand {
            params,
            items,
            limit,
        } => {
            walk_op_params(v, params);
            for i in items {
                walk_expr(v, &i.expr.expr);
            }
            if let Some(l) = limit {
                walk_expr(v, l);
            }
        }
        Operator::MvApply {
            params,
            items,
            limit,
            on,
            ..
        } => {
            walk_op_params(v, params);
            for i in items {
                walk_expr(v, &i.expr.expr);
            }
            if let Some(l) = limit {
                walk_expr(v, l);
            }
            walk_ops(v, on);
        }
        Operator::MakeSeries {
            params,
            aggs,
            on,
            range,
            by,
        } => {
            walk_op_params(v, params);
            for a in aggs {
                walk_expr(v, &a.expr.expr);
                if let Some(d) = &a.default {
                    walk_expr(v, d);
                }
            }
            walk_expr(v, on);
            match range {
                SeriesRange::FromTo { from, to, step } => {
                    if let Some(f) = from {
                        walk_expr(v, f);
                    }
                    if let Some(t) = to {
                        walk_expr(v, t);
                    }
                    walk_expr(v, step);
                }
                SeriesRange::InRange { start, stop, step } => {
                    walk_expr(v, start);
                    walk_expr(v, stop);
                    walk_expr(v, step);
                }
            }
            walk_named(v, by);
        }
        Operator::Evaluate { params, call, .. } => {
            walk_op_params(v, params);
            walk_expr(v, call);
        }
        Operator::Invoke { call } => walk_expr(v, call),
        Operator::As { params, .. } | Operator::Consume { params } => walk_op_params(v, params),
        Operator::SampleDistinct { count, of } => {
            walk_expr(v, count);
            walk_expr(v, of);
        }
        Operator::Render { with, legacy, .. } => {
            walk_op_params(v, with);
            walk_op_params(v, legacy);
        }
        Operator::Search {
            params,
            tables,
            pred,
        } => {
            walk_op_params(v, params);
            for t in tables {
                walk_expr(v, t);
            }
            walk_expr(v, pred);
        }
        Operator::Union { params, tables } => {
            walk_op_params(v, params);
            for t in tables {
                walk_expr(v, t);
            }
        }
        Operator::Join { params, right, on } | Operator::Lookup { params, right, on } => {
            walk_op_params(v, params);
            walk_expr(v, right);
            for o in on {
                walk_expr(v, o);
            }
        }
        Operator::Find {
            params,
            tables,
            pred,
            project,
        } => {
            walk_op_params(v, params);
            for t in tables {
                walk_expr(v, t);
            }
            walk_expr(v, pred);
            if let Some(p) = project {
                for e in p {
                    walk_expr(v, e);
                }
            }
        }
        Operator::ProjectByNames { cols } => {
            for c in cols {
                walk_expr(v, c);
            }
        }
        Operator::MakeGraph { params, nodes, .. } => {
            walk_op_params(v, params);
            for (t, _) in nodes {
                walk_expr(v, t);
            }
        }
        Operator::GraphMatch {
            params,
            pred,
            project,
            ..
        } => {
            walk_op_params(v, params);
            if let Some(p) = pred {
                walk_expr(v, p);
            }
            walk_named(v, project);
        }
        Operator::GraphToTable { parts } => {
            for p in parts {
                walk_op_params(v, &p.params);
            }
        }
        Operator::GraphMarkComponents { params } => walk_op_params(v, params),
        Operator::Reduce { params, by, with } => {
            walk_op_params(v, params);
            walk_expr(v, by);
            walk_op_params(v, with);
        }
        Operator::Facet { by, with } => {
            for b in by {
                walk_expr(v, b);
            }
            walk_ops(v, with);
        }
        Operator::Fork { branches } => {
            for b in branches {
                walk_ops(v, &b.ops);
            }
        }
        Operator::Partition { params, by, sub } => {
            walk_op_params(v, params);
            walk_expr(v, by);
            walk_ops(v, sub);
        }
        Operator::Range { from, to, step, .. } => {
            walk_expr(v, from);
            walk_expr(v, to);
            walk_expr(v, step);
        }
    }
}
