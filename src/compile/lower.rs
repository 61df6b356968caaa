//! Lowers one rule's parsed query to executable [`Logic`].
//!
//! The supported subset is what hunting rules use to select events: constant `let`s
//! (times, timespans, strings, string lists), one source table, `where` with string
//! operators, comparisons, `between`, `in`/`has_any`/`has_all`, `isempty`, `not()`,
//! `and`/`or`, then `summarize`, `project`, `sort`, `take`. Anything else is a
//! [`LowerError`] that names the construct: a rule is never compiled into something
//! weaker than its query.

use std::collections::HashMap;

use super::bundle::*;
use crate::kql::Span;
use crate::kql::ast::*;

/// Why a query cannot be compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct LowerError {
    pub message: String,
    pub span: Span,
}

fn err<T>(span: Span, message: impl Into<String>) -> Result<T, LowerError> {
    Err(LowerError {
        message: message.into(),
        span,
    })
}

/// A constant value a `let` can hold.
#[derive(Clone, Debug)]
enum Const {
    Scalar(Scalar),
    StringList(Vec<String>),
}

/// Collects indicators while lowering; ids are provisional (remapped when the bundle is
/// assembled).
#[derive(Default, Clone)]
pub struct Interner {
    pub keys: Vec<(String, String, String)>,
    index: HashMap<(String, String, String), usize>,
    /// Indicator uses (before deduplication).
    pub uses: usize,
}

impl Interner {
    fn intern(&mut self, field: &str, operator: &str, value: String) -> usize {
        self.uses += 1;
        let key = (field.to_string(), operator.to_string(), value);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.keys.push(key.clone());
        self.index.insert(key, self.keys.len() - 1);
        self.keys.len() - 1
    }
}

/// Whether an operator compares case-insensitively (its value is normalized to lowercase).
pub fn case_insensitive(operator: &str) -> bool {
    !(operator.ends_with("_cs") || operator == "==" || operator == "matches regex")
}

struct Lowerer<'a> {
    consts: HashMap<String, Const>,
    /// Names bound to something that is not a constant (tables, functions, computed
    /// scalars, parameters): never a column.
    bound: std::collections::HashSet<String>,
    interner: &'a mut Interner,
}

/// Lowers a query. `interner` collects the indicators it uses.
pub fn lower(query: &Query, interner: &mut Interner) -> Result<Logic, LowerError> {
    let mut l = Lowerer {
        consts: HashMap::new(),
        bound: Default::default(),
        interner,
    };
    let mut result = None;
    for s in &query.statements {
        match s {
            Statement::Let(letstmt) => {
                let c = match &letstmt.value {
                    LetValue::Expr(e) => l.constant(e)?,
                    LetValue::Function(f) => {
                        return err(f.span, "a user-defined function (`let f = (...) { ... }`)");
                    }
                };
                l.consts.insert(letstmt.name.name.clone(), c);
            }
            Statement::Query(e) => {
                if result.is_some() {
                    return err(e.span(), "a second query statement");
                }
                result = Some(l.pipeline(e)?);
            }
            Statement::Set(st) => return err(st.span, "a `set` statement"),
            Statement::DeclareQueryParameters(d) => {
                return err(d.span, "`declare query_parameters`");
            }
            Statement::DeclarePattern(p) => return err(p.span, "`declare pattern`"),
            Statement::Error(sp) => return err(*sp, "a statement with a syntax error"),
        }
    }
    match result {
        Some(logic) => Ok(logic),
        None => err(query.span, "a query without a query statement"),
    }
}

/// The filters a query implies on the rows of each table it reads (for a rule the
/// engine runs): for every use of a table `T` as the source of a pipeline, the
/// conjuncts of the `where`s that open the pipeline that lower to predicates; `T` gets
/// the `or` of those over its uses, and nothing when some use is unfiltered (or named in
/// a way this does not follow: `table()`, wildcards, `search`, `find`). Each is a
/// necessary condition on the rows the query can use, so rows failing it can be dropped
/// before the engine runs. `tables` are the tables the query reads.
pub fn prefilters(query: &Query, tables: &[String], interner: &mut Interner) -> Vec<Prefilter> {
    use crate::kql::visit;
    use std::collections::{BTreeMap, HashSet};
    let mut l = Lowerer {
        consts: HashMap::new(),
        bound: Default::default(),
        interner,
    };
    // Constant top-level lets are known values; every other bound name is not a column.
    for s in &query.statements {
        if let Statement::Let(letstmt) = s {
            let name = letstmt.name.name.clone();
            let c = match &letstmt.value {
                LetValue::Expr(e) => l.constant(e).ok(),
                LetValue::Function(_) => None,
            };
            match c {
                Some(c) => {
                    l.bound.remove(&name);
                    l.consts.insert(name, c);
                }
                None => {
                    l.consts.remove(&name);
                    l.bound.insert(name);
                }
            }
        }
    }
    let mut opaque = false;
    struct Names<'a>(&'a mut HashSet<String>, &'a mut bool);
    impl<'a> visit::Visitor<'a> for Names<'_> {
        fn visit_statement(&mut self, s: &'a Statement) {
            if let Statement::Let(l) = s
                && let LetValue::Function(f) = &l.value
            {
                self.0.extend(f.params.iter().map(|p| p.name.name.clone()));
            }
            if let Statement::DeclareQueryParameters(d) = s {
                self.0.extend(d.params.iter().map(|p| p.name.name.clone()));
            }
        }
        fn visit_op(&mut self, op: &'a PipeOp) {
            match &op.op {
                Operator::As { name, .. } => {
                    self.0.insert(name.name.clone());
                }
                Operator::Search { .. } | Operator::Find { .. } => *self.1 = true,
                _ => {}
            }
        }
        fn visit_expr(&mut self, e: &'a Expr) {
            match e {
                Expr::Name(id) if id.name.contains('*') => *self.1 = true,
                Expr::Call { func, .. } if func.name == "table" => *self.1 = true,
                _ => {}
            }
        }
    }
    // Lets inside function bodies and subqueries bind names too.
    let mut inner_lets: HashSet<String> = HashSet::new();
    visit::walk_query(&mut Names(&mut inner_lets, &mut opaque), query);
    struct Lets<'a>(&'a mut HashSet<String>);
    impl<'a> visit::Visitor<'a> for Lets<'_> {
        fn visit_statement(&mut self, s: &'a Statement) {
            if let Statement::Let(l) = s {
                self.0.insert(l.name.name.clone());
            }
        }
    }
    let mut all_lets = HashSet::new();
    visit::walk_query(&mut Lets(&mut all_lets), query);
    let top: HashSet<&String> = query
        .statements
        .iter()
        .filter_map(|s| match s {
            Statement::Let(l) => Some(&l.name.name),
            _ => None,
        })
        .collect();
    for n in all_lets {
        if !top.contains(&n) {
            l.consts.remove(&n);
            l.bound.insert(n);
        }
    }
    l.bound.extend(inner_lets);
    if opaque {
        return Vec::new();
    }
    let is_table = |n: &str, l: &Lowerer| {
        tables.iter().any(|t| t == n) && !l.bound.contains(n) && !l.consts.contains_key(n)
    };
    // Per table: the filter of each use (`None`: a use without one).
    let mut uses: BTreeMap<String, Vec<Option<Predicate>>> = BTreeMap::new();
    let mut covered: HashSet<crate::kql::Span> = HashSet::new();
    let mut pipelines = Vec::new();
    visit::for_each_pipeline(query, |p| pipelines.push(p));
    for p in pipelines {
        let Expr::Name(id) = p.source.unparen() else {
            continue;
        };
        if !is_table(&id.name, &l) {
            continue;
        }
        covered.insert(id.span);
        let mut parts = Vec::new();
        for op in &p.ops {
            let Operator::Where { pred } = &op.op else {
                break;
            };
            let conjuncts: Vec<&Expr> = match pred.unparen() {
                Expr::Logical {
                    op: LogicalOp::And,
                    operands,
                    ..
                } => operands.iter().collect(),
                other => vec![other],
            };
            for c in conjuncts {
                let saved = l.interner.clone();
                match l.predicate(c) {
                    Ok(Predicate::True) => {}
                    Ok(q) => parts.push(q),
                    Err(_) => *l.interner = saved,
                }
            }
        }
        let f = match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Predicate::And { all: parts }),
        };
        uses.entry(id.name.clone()).or_default().push(f);
    }
    let mut names = Vec::new();
    visit::for_each_expr(query, |e| {
        if let Expr::Name(id) = e {
            names.push(id);
        }
    });
    for id in names {
        if !covered.contains(&id.span) && is_table(&id.name, &l) {
            uses.entry(id.name.clone()).or_default().push(None);
        }
    }
    let mut out = Vec::new();
    for (table, fs) in uses {
        let Some(mut fs) = fs.into_iter().collect::<Option<Vec<Predicate>>>() else {
            continue;
        };
        fs.dedup();
        let predicate = if fs.len() == 1 {
            fs.pop().expect("one")
        } else {
            Predicate::Or { any: fs }
        };
        out.push(Prefilter { table, predicate });
    }
    out
}

impl Lowerer<'_> {
    fn constant(&self, e: &Expr) -> Result<Const, LowerError> {
        if let Some(s) = self.scalar(e)? {
            return Ok(Const::Scalar(s));
        }
        if let Some(list) = self.string_list(e)? {
            return Ok(Const::StringList(list));
        }
        err(
            e.span(),
            "a `let` whose value is not a constant (a time, a timespan, a string or a list of strings)",
        )
    }

    /// A constant scalar, if `e` is one.
    fn scalar(&self, e: &Expr) -> Result<Option<Scalar>, LowerError> {
        Ok(Some(match e.unparen() {
            Expr::Literal(l) => match &l.value {
                LitValue::String { value, .. } => Scalar::String(value.clone()),
                LitValue::Long(v) | LitValue::Int(v) => Scalar::Long(*v),
                LitValue::Real(v) => Scalar::Real(*v),
                LitValue::Bool(b) => Scalar::Bool(*b),
                LitValue::Timespan(t) => Scalar::Timespan(*t),
                LitValue::Datetime(Some(t)) => Scalar::Time(TimePoint::Absolute { ticks: *t }),
                LitValue::Datetime(None) => {
                    return err(l.span, "a `datetime(...)` literal rulecat cannot read");
                }
                LitValue::Null(_) => Scalar::Null,
                _ => return Ok(None),
            },
            Expr::Unary {
                op: UnaryOp::Neg,
                operand,
                ..
            } => match self.scalar(operand)? {
                Some(Scalar::Long(v)) => Scalar::Long(-v),
                Some(Scalar::Real(v)) => Scalar::Real(-v),
                Some(Scalar::Timespan(t)) => Scalar::Timespan(-t),
                _ => return Ok(None),
            },
            Expr::Name(id) => match self.consts.get(&id.name) {
                Some(Const::Scalar(s)) => s.clone(),
                _ => return Ok(None),
            },
            Expr::Call { func, args, span } => match (func.name.as_str(), args.as_slice()) {
                ("now", []) => Scalar::Time(TimePoint::Now { offset_ticks: 0 }),
                ("now", [offset]) => match self.scalar(offset)? {
                    Some(Scalar::Timespan(t)) => Scalar::Time(TimePoint::Now { offset_ticks: t }),
                    _ => {
                        return err(
                            *span,
                            "`now()` with an offset that is not a constant timespan",
                        );
                    }
                },
                ("ago", [offset]) => match self.scalar(offset)? {
                    Some(Scalar::Timespan(t)) => Scalar::Time(TimePoint::Now { offset_ticks: -t }),
                    _ => {
                        return err(
                            *span,
                            "`ago()` with an argument that is not a constant timespan",
                        );
                    }
                },
                _ => return Ok(None),
            },
            Expr::Binary {
                op, lhs, rhs, span, ..
            } if matches!(op, BinOp::Add | BinOp::Sub) => {
                let (Some(a), Some(b)) = (self.scalar(lhs)?, self.scalar(rhs)?) else {
                    return Ok(None);
                };
                let sign = if *op == BinOp::Sub { -1 } else { 1 };
                match (a, b) {
                    (Scalar::Time(TimePoint::Now { offset_ticks }), Scalar::Timespan(t)) => {
                        Scalar::Time(TimePoint::Now {
                            offset_ticks: offset_ticks + sign * t,
                        })
                    }
                    (Scalar::Time(TimePoint::Absolute { ticks }), Scalar::Timespan(t)) => {
                        Scalar::Time(TimePoint::Absolute {
                            ticks: ticks + sign * t,
                        })
                    }
                    (Scalar::Timespan(a), Scalar::Timespan(b)) => Scalar::Timespan(a + sign * b),
                    (Scalar::Long(a), Scalar::Long(b)) => Scalar::Long(a + sign * b),
                    _ => return err(*span, "arithmetic on constants rulecat does not evaluate"),
                }
            }
            _ => return Ok(None),
        }))
    }

    /// A constant list of strings: `dynamic(['a', 'b'])`, `pack_array('a', 'b')` or a
    /// `let` holding one.
    fn string_list(&self, e: &Expr) -> Result<Option<Vec<String>>, LowerError> {
        match e.unparen() {
            Expr::Literal(Literal {
                value: LitValue::Dynamic(d),
                span,
            }) => match &d.kind {
                DynKind::Array(items) => {
                    let mut out = Vec::new();
                    for it in items {
                        match &it.kind {
                            DynKind::String(s) => out.push(s.clone()),
                            _ => {
                                return err(
                                    *span,
                                    "a `dynamic([...])` list with values that are not strings",
                                );
                            }
                        }
                    }
                    Ok(Some(out))
                }
                _ => Ok(None),
            },
            Expr::Name(id) => match self.consts.get(&id.name) {
                Some(Const::StringList(l)) => Ok(Some(l.clone())),
                _ => Ok(None),
            },
            Expr::Call { func, args, .. } if func.name == "pack_array" => {
                let mut out = Vec::new();
                for a in args {
                    match self.scalar(a)? {
                        Some(Scalar::String(s)) => out.push(s),
                        _ => {
                            return err(
                                a.span(),
                                "a `pack_array` with values that are not constant strings",
                            );
                        }
                    }
                }
                Ok(Some(out))
            }
            _ => Ok(None),
        }
    }

    fn pipeline(&mut self, e: &Expr) -> Result<Logic, LowerError> {
        let (source, ops): (&Expr, &[PipeOp]) = match e.unparen() {
            Expr::Pipeline(p) => (&p.source, &p.ops),
            other => (other, &[]),
        };
        let table = match source.unparen() {
            Expr::Name(id) => id.name.clone(),
            other => return err(other.span(), "a query source that is not a single table"),
        };
        let mut conjuncts = Vec::new();
        let mut output = Output::Rows;
        let mut limit = None;
        let mut shaped = false;
        for op in ops {
            match &op.op {
                Operator::Where { pred } => {
                    if shaped {
                        return err(
                            op.keyword_span,
                            format!("a `{}` after `summarize` or `project`", op.name),
                        );
                    }
                    conjuncts.push(self.predicate(pred)?);
                }
                Operator::Summarize {
                    aggs, by, params, ..
                } => {
                    if shaped {
                        return err(op.keyword_span, "a second `summarize` or `project`");
                    }
                    if let Some(p) = params.first() {
                        return err(p.span, "`summarize` hints");
                    }
                    output = self.summarize(aggs, by)?;
                    shaped = true;
                }
                Operator::Project { cols } => {
                    if shaped {
                        return err(op.keyword_span, "a second `summarize` or `project`");
                    }
                    let mut columns = Vec::new();
                    for c in cols {
                        let source = match c.expr.unparen() {
                            Expr::Name(id) => id.name.clone(),
                            other => return err(other.span(), "a computed `project` column"),
                        };
                        let name = match c.names.as_slice() {
                            [] => source.clone(),
                            [n] => n.name.clone(),
                            _ => return err(c.span, "a `project` that assigns several names"),
                        };
                        columns.push(ProjectColumn { name, source });
                    }
                    output = Output::Project { columns };
                    shaped = true;
                }
                // Sorting changes only the order of results; the matcher prints them in a
                // deterministic order of its own.
                Operator::Sort { .. } => {}
                Operator::Take { count }
                    if !shaped
                        && ops
                            .iter()
                            .skip_while(|o| !std::ptr::eq(*o, op))
                            .skip(1)
                            .any(|o| {
                                matches!(
                                    o.op,
                                    Operator::Summarize { .. } | Operator::Project { .. }
                                )
                            }) =>
                {
                    return err(count.span(), "a `take` before `summarize` or `project`");
                }
                Operator::Take { count } => match self.scalar(count)? {
                    Some(Scalar::Long(n)) if n >= 0 => {
                        limit = Some(limit.map_or(n as u64, |l: u64| l.min(n as u64)));
                    }
                    _ => return err(count.span(), "a `take` count that is not a constant number"),
                },
                _ => {
                    return err(op.keyword_span, format!("the `{}` operator", op.name));
                }
            }
        }
        let predicate = match conjuncts.len() {
            0 => Predicate::True,
            1 => conjuncts.pop().expect("one"),
            _ => Predicate::And { all: conjuncts },
        };
        let window = window_of(&predicate);
        Ok(Logic {
            table,
            window,
            predicate,
            output,
            limit,
        })
    }

    fn summarize(&self, aggs: &[NamedExpr], by: &[NamedExpr]) -> Result<Output, LowerError> {
        let mut keys = Vec::new();
        for b in by {
            match (b.names.as_slice(), b.expr.unparen()) {
                ([], Expr::Name(id)) => keys.push(id.name.clone()),
                (_, other) => return err(other.span(), "a computed `summarize ... by` key"),
            }
        }
        let mut aggregates = Vec::new();
        for a in aggs {
            let Expr::Call { func, args, span } = a.expr.unparen() else {
                return err(a.expr.span(), "an aggregate that is not a function call");
            };
            let function = match func.name.as_str() {
                "count" => AggFunction::Count,
                "dcount" | "count_distinct" => AggFunction::Dcount,
                "min" => AggFunction::Min,
                "max" => AggFunction::Max,
                "sum" => AggFunction::Sum,
                "make_set" | "makeset" => AggFunction::MakeSet,
                "make_list" | "makelist" => AggFunction::MakeList,
                "take_any" | "any" => AggFunction::TakeAny,
                other => return err(func.span, format!("the aggregate `{other}()`")),
            };
            let column = match (function, args.as_slice()) {
                (AggFunction::Count, []) => None,
                (AggFunction::Count, _) => return err(*span, "`count()` with arguments"),
                (AggFunction::Dcount, [Expr::Name(id)] | [Expr::Name(id), _]) => {
                    Some(id.name.clone())
                }
                (_, [Expr::Name(id)]) => Some(id.name.clone()),
                (_, [Expr::Name(id), _])
                    if matches!(function, AggFunction::MakeSet | AggFunction::MakeList) =>
                {
                    Some(id.name.clone())
                }
                _ => {
                    return err(
                        *span,
                        format!("`{}()` with arguments other than one column", func.name),
                    );
                }
            };
            let name = match a.names.as_slice() {
                [n] => n.name.clone(),
                [] => default_agg_name(function, column.as_deref()),
                _ => return err(a.span, "an aggregate that assigns several names"),
            };
            aggregates.push(Aggregate {
                name,
                function,
                column,
            });
        }
        Ok(Output::Summarize {
            by: keys,
            aggregates,
        })
    }

    fn column<'e>(&self, e: &'e Expr, what: &str) -> Result<&'e str, LowerError> {
        match e.unparen() {
            Expr::Name(id)
                if !self.consts.contains_key(&id.name) && !self.bound.contains(&id.name) =>
            {
                Ok(&id.name)
            }
            other => err(
                other.span(),
                format!("{what} whose left side is not a column"),
            ),
        }
    }

    fn indicator(&mut self, field: &str, operator: &str, value: &str) -> Predicate {
        let value = if case_insensitive(operator) {
            crate::kql::strops::fold(value).into_owned()
        } else {
            value.to_string()
        };
        Predicate::Indicator {
            indicator: self.interner.intern(field, operator, value),
        }
    }

    fn predicate(&mut self, e: &Expr) -> Result<Predicate, LowerError> {
        match e.unparen() {
            Expr::Logical { op, operands, .. } => {
                let parts = operands
                    .iter()
                    .map(|o| self.predicate(o))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(match op {
                    LogicalOp::And => Predicate::And { all: parts },
                    LogicalOp::Or => Predicate::Or { any: parts },
                })
            }
            Expr::Call { func, args, span } => match (func.name.as_str(), args.as_slice()) {
                ("not", [inner]) => Ok(Predicate::Not {
                    not: Box::new(self.predicate(inner)?),
                }),
                ("isempty", [c]) => Ok(Predicate::IsEmpty {
                    column: self.column(c, "`isempty`")?.to_string(),
                }),
                ("isnotempty", [c]) => Ok(Predicate::Not {
                    not: Box::new(Predicate::IsEmpty {
                        column: self.column(c, "`isnotempty`")?.to_string(),
                    }),
                }),
                _ => err(*span, format!("the function `{}()` in a filter", func.name)),
            },
            Expr::StringOp { op, lhs, rhs, .. } => {
                let field = self.column(lhs, &format!("`{}`", op.as_str()))?.to_string();
                let value = match self.scalar(rhs)? {
                    Some(Scalar::String(s)) => s,
                    _ => {
                        return err(
                            rhs.span(),
                            format!(
                                "a `{}` whose right side is not a constant string",
                                op.as_str()
                            ),
                        );
                    }
                };
                let base = StrOp {
                    negated: false,
                    ..*op
                };
                let p = self.indicator(&field, base.as_str(), &value);
                Ok(if op.negated { not(p) } else { p })
            }
            Expr::In { op, lhs, list, .. } => {
                let field = self.column(lhs, &format!("`{}`", op.as_str()))?.to_string();
                let mut values = Vec::new();
                for item in list {
                    if let Some(Scalar::String(s)) = self.scalar(item)? {
                        values.push(s);
                    } else if let Some(l) = self.string_list(item)? {
                        values.extend(l);
                    } else {
                        return err(
                            item.span(),
                            format!(
                                "a `{}` list with an element that is not a constant string",
                                op.as_str()
                            ),
                        );
                    }
                }
                let operator = match op {
                    ListOp::In | ListOp::NotIn => "==",
                    ListOp::InCi | ListOp::NotInCi => "=~",
                    ListOp::HasAny | ListOp::HasAll => "has",
                };
                let parts: Vec<Predicate> = values
                    .iter()
                    .map(|v| self.indicator(&field, operator, v))
                    .collect();
                let p = if *op == ListOp::HasAll {
                    Predicate::And { all: parts }
                } else {
                    Predicate::Or { any: parts }
                };
                Ok(if op.is_negated() { not(p) } else { p })
            }
            Expr::Between {
                negated,
                lhs,
                low,
                high,
                span,
                ..
            } => {
                let column = self.column(lhs, "`between`")?.to_string();
                let (Some(lo), Some(hi)) = (self.scalar(low)?, self.scalar(high)?) else {
                    return err(*span, "a `between` with bounds that are not constants");
                };
                // `(datetime .. timespan)`: the right side is a length.
                let hi = match (&lo, hi) {
                    (Scalar::Time(TimePoint::Now { offset_ticks }), Scalar::Timespan(t)) => {
                        Scalar::Time(TimePoint::Now {
                            offset_ticks: offset_ticks + t,
                        })
                    }
                    (Scalar::Time(TimePoint::Absolute { ticks }), Scalar::Timespan(t)) => {
                        Scalar::Time(TimePoint::Absolute { ticks: ticks + t })
                    }
                    (_, h) => h,
                };
                let p = Predicate::Between {
                    column,
                    low: lo,
                    high: hi,
                };
                Ok(if *negated { not(p) } else { p })
            }
            Expr::Binary {
                op, lhs, rhs, span, ..
            } if op.is_comparison() => {
                let (column, value, op) = match (lhs.unparen(), self.scalar(rhs)?) {
                    (Expr::Name(id), Some(v))
                        if !self.consts.contains_key(&id.name)
                            && !self.bound.contains(&id.name) =>
                    {
                        (id.name.clone(), v, *op)
                    }
                    _ => match (self.scalar(lhs)?, rhs.unparen()) {
                        (Some(v), Expr::Name(id))
                            if !self.consts.contains_key(&id.name)
                                && !self.bound.contains(&id.name) =>
                        {
                            (id.name.clone(), v, flip(*op))
                        }
                        _ => {
                            return err(
                                *span,
                                "a comparison that is not between a column and a constant",
                            );
                        }
                    },
                };
                if let Scalar::String(s) = &value
                    && matches!(op, BinOp::Eq | BinOp::Ne)
                {
                    let p = self.indicator(&column, "==", s);
                    return Ok(if op == BinOp::Ne { not(p) } else { p });
                }
                Ok(Predicate::Compare {
                    column,
                    cmp: cmp_of(op),
                    value,
                })
            }
            Expr::Literal(Literal {
                value: LitValue::Bool(true),
                ..
            }) => Ok(Predicate::True),
            other => err(other.span(), "this kind of filter expression"),
        }
    }
}

fn not(p: Predicate) -> Predicate {
    Predicate::Not { not: Box::new(p) }
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

fn cmp_of(op: BinOp) -> Cmp {
    match op {
        BinOp::Eq => Cmp::Eq,
        BinOp::Ne => Cmp::Ne,
        BinOp::Lt => Cmp::Lt,
        BinOp::Le => Cmp::Le,
        BinOp::Gt => Cmp::Gt,
        _ => Cmp::Ge,
    }
}

/// Kusto's default column name for an unnamed aggregate.
fn default_agg_name(f: AggFunction, column: Option<&str>) -> String {
    let c = column.unwrap_or("");
    match f {
        AggFunction::Count => "count_".into(),
        AggFunction::Dcount => format!("dcount_{c}"),
        AggFunction::Min => format!("min_{c}"),
        AggFunction::Max => format!("max_{c}"),
        AggFunction::Sum => format!("sum_{c}"),
        AggFunction::MakeSet => format!("set_{c}"),
        AggFunction::MakeList => format!("list_{c}"),
        AggFunction::TakeAny => format!("any_{c}"),
    }
}

const TIME_COLUMNS: &[&str] = &["Timestamp", "TimeGenerated"];

/// The time window of a predicate's top-level time filters.
fn window_of(p: &Predicate) -> Option<Window> {
    let parts: Vec<&Predicate> = match p {
        Predicate::And { all } => all
            .iter()
            .flat_map(|q| match q {
                Predicate::And { all } => all.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect(),
        other => vec![other],
    };
    let mut w: Option<Window> = None;
    for q in parts {
        let (column, from, to) = match q {
            Predicate::Between {
                column,
                low: Scalar::Time(a),
                high: Scalar::Time(b),
            } => (column, Some(*a), Some(*b)),
            Predicate::Compare {
                column,
                cmp: Cmp::Gt | Cmp::Ge,
                value: Scalar::Time(a),
            } => (column, Some(*a), None),
            Predicate::Compare {
                column,
                cmp: Cmp::Lt | Cmp::Le,
                value: Scalar::Time(b),
            } => (column, None, Some(*b)),
            _ => continue,
        };
        if !TIME_COLUMNS.contains(&column.as_str()) {
            continue;
        }
        let entry = w.get_or_insert(Window {
            column: column.clone(),
            from: None,
            to: None,
        });
        if entry.column == *column {
            entry.from = from.or(entry.from);
            entry.to = to.or(entry.to);
        }
    }
    w
}

/// The kind of an indicator, from the column it is matched against.
pub fn kind_of(field: &str, value: &str) -> IndicatorKind {
    let f = field.to_ascii_lowercase();
    if f == "signer" || f == "issuer" || f.ends_with("signer") {
        IndicatorKind::Signer
    } else if f.ends_with("companyname") {
        IndicatorKind::Company
    } else if f.ends_with("productname")
        || f.ends_with("softwarename")
        || f.ends_with("softwarevendor")
    {
        IndicatorKind::Product
    } else if f.contains("url")
        || f.ends_with("dnscanonicalname")
        || f.ends_with("domain")
        || f.ends_with("querytarget")
    {
        if value.contains('/') {
            IndicatorKind::Url
        } else {
            IndicatorKind::Domain
        }
    } else if f.ends_with("sha1")
        || f.ends_with("sha256")
        || f.ends_with("md5")
        || f.ends_with("hash")
    {
        IndicatorKind::Hash
    } else if f.ends_with("ip") || f.ends_with("ipaddress") {
        IndicatorKind::Ip
    } else if f.ends_with("commandline") {
        IndicatorKind::CommandLine
    } else if f.contains("processfilename")
        || f.ends_with("processname")
        || f == "filename" && value.ends_with(".exe")
    {
        IndicatorKind::Process
    } else if f.ends_with("filename")
        || f.ends_with("originalfilename")
        || f.ends_with("internalfilename")
    {
        IndicatorKind::File
    } else if f.ends_with("folderpath") || f.ends_with("path") {
        IndicatorKind::Path
    } else if f.contains("account") || f.ends_with("upn") || f.ends_with("username") {
        IndicatorKind::Account
    } else {
        IndicatorKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql;

    fn logic(q: &str) -> (Logic, Vec<(String, String, String)>) {
        let parsed = kql::parse(q);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let mut i = Interner::default();
        let l = lower(&parsed.query, &mut i).unwrap();
        (l, i.keys)
    }

    #[test]
    fn file_signature_rule() {
        let (l, keys) = logic(
            "let Time_start = now(-5d);\nlet Time_end = now();\nDeviceFileCertificateInfo\n| where Timestamp between (Time_start..Time_end)\n| where Signer has 'Zoho'\n| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp), Report=make_set(ReportId), Count=count() by DeviceId, DeviceName",
        );
        assert_eq!(l.table, "DeviceFileCertificateInfo");
        assert_eq!(keys, vec![("Signer".into(), "has".into(), "zoho".into())]);
        let w = l.window.unwrap();
        assert_eq!(
            w.from,
            Some(TimePoint::Now {
                offset_ticks: -5 * 864_000_000_000
            })
        );
        assert_eq!(w.to, Some(TimePoint::Now { offset_ticks: 0 }));
        match l.output {
            Output::Summarize { by, aggregates } => {
                assert_eq!(by, vec!["DeviceId", "DeviceName"]);
                assert_eq!(aggregates.len(), 4);
                assert_eq!(aggregates[3].function, AggFunction::Count);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lists_and_negations() {
        let (l, keys) = logic(
            "DeviceNetworkEvents | where RemoteUrl has_any ('a.com', 'B.com') and not(InitiatingProcessFileName in~ ('x.exe')) and RemotePort != 443",
        );
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[1], ("RemoteUrl".into(), "has".into(), "b.com".into()));
        assert!(matches!(l.predicate, Predicate::And { .. }));
    }

    #[test]
    fn unsupported_constructs_are_errors() {
        for (q, what) in [
            ("DeviceEvents | join (DeviceInfo) on DeviceId", "`join`"),
            ("DeviceEvents | extend x = 1", "`extend`"),
            (
                "DeviceEvents | where tolower(FileName) == 'a'",
                "not between a column",
            ),
            (
                "DeviceEvents | summarize count() by bin(Timestamp, 1h)",
                "computed",
            ),
        ] {
            let parsed = kql::parse(q);
            let e = lower(&parsed.query, &mut Interner::default()).unwrap_err();
            assert!(e.message.contains(what), "{q}: {}", e.message);
        }
    }
}
