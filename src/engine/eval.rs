//! Scalar expressions over one row (or one group of rows, inside `summarize`).

use std::sync::Arc;

use super::exec::{self, Binding, Ctx, Thing};
use super::table::Table;
use super::value::{self, Json, Value};
use super::{Error, Result, aggs, arith, funcs};
use crate::kql::ast::*;
use crate::kql::strops;

/// The row an expression is evaluated in: row `i` of `table`; inside `summarize`,
/// `group` holds the group's row indexes (aggregates run over them).
#[derive(Clone, Copy)]
pub struct Row<'a> {
    pub table: &'a Table,
    pub i: usize,
    pub group: Option<&'a [usize]>,
}

impl<'a> Row<'a> {
    pub fn new(table: &'a Table, i: usize) -> Row<'a> {
        Row {
            table,
            i,
            group: None,
        }
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let c = self.table.col(name)?;
        self.table.rows.get(self.i).and_then(|r| r.get(c))
    }
}

thread_local! {
    static UNIT: Table = Table::unit();
}

/// Evaluates an expression that needs no row (a `let` value, a `print` column).
pub fn eval_scalar(e: &Expr, cx: &Ctx) -> Result<Value> {
    let unit = Table::unit();
    eval(e, &Row::new(&unit, 0), cx)
}

pub fn eval(e: &Expr, row: &Row, cx: &Ctx) -> Result<Value> {
    match e {
        Expr::Literal(l) => literal(l, &cx.source),
        Expr::Name(i) => name(i, row, cx),
        Expr::Paren { inner, .. } => {
            if exec::is_tabular(inner, cx) {
                return toscalar(inner, cx);
            }
            eval(inner, row, cx)
        }
        Expr::Unary {
            op, operand, span, ..
        } => {
            let v = eval(operand, row, cx)?;
            match op {
                UnaryOp::Plus => Ok(v),
                UnaryOp::Neg => arith::negate(&v).map_err(|e| e.or_at(*span)),
            }
        }
        Expr::Binary {
            op, lhs, rhs, span, ..
        } => {
            let a = eval(lhs, row, cx)?;
            let b = eval(rhs, row, cx)?;
            arith::binary(*op, &a, &b).map_err(|e| e.or_at(*span))
        }
        Expr::Logical { op, operands, .. } => {
            let mut saw_null = false;
            for o in operands {
                match truth(&eval(o, row, cx)?) {
                    Some(b) if b == (*op == LogicalOp::Or) => return Ok(Value::Bool(b)),
                    Some(_) => {}
                    None => saw_null = true,
                }
            }
            if saw_null {
                Ok(Value::Null)
            } else {
                Ok(Value::Bool(*op == LogicalOp::And))
            }
        }
        Expr::StringOp { op, lhs, rhs, .. } => {
            let a = eval(lhs, row, cx)?;
            let b = eval(rhs, row, cx)?;
            Ok(Value::Bool(string_op(*op, &a, &b)))
        }
        Expr::In { op, lhs, list, .. } => {
            let a = eval(lhs, row, cx)?;
            let items = list_values(list, row, cx)?;
            Ok(Value::Bool(in_list(*op, &a, &items)))
        }
        Expr::Between {
            negated,
            lhs,
            low,
            high,
            ..
        } => {
            let x = eval(lhs, row, cx)?;
            let lo = eval(low, row, cx)?;
            let mut hi = eval(high, row, cx)?;
            if x.is_null() || lo.is_null() || hi.is_null() {
                return Ok(Value::Null);
            }
            if let (Value::DateTime(l), Value::Timespan(t)) = (&lo, &hi) {
                hi = Value::DateTime(l + t);
            }
            let inside = value::compare(&x, &lo).is_ge() && value::compare(&x, &hi).is_le();
            Ok(Value::Bool(inside != *negated))
        }
        Expr::Call { func, args, span } => call(func, args, *span, row, cx),
        Expr::Member { target, member, .. } => {
            // `step.Col` inside `scan`: a column the scan's evaluation table names so.
            if let Expr::Name(id) = &**target
                && row.table.col(&id.name).is_none()
                && let Some(v) = row.get(&format!("{}.{}", id.name, member.name))
            {
                return Ok(v.clone());
            }
            let t = eval(target, row, cx)?;
            Ok(funcs::dynamic::get_key(&t, &member.name))
        }
        Expr::Index { target, index, .. } => {
            let t = eval(target, row, cx)?;
            let i = eval(index, row, cx)?;
            Ok(funcs::dynamic::index(&t, &i))
        }
        Expr::Pipeline(_)
        | Expr::Datatable { .. }
        | Expr::TabularOp(_)
        | Expr::ExternalData { .. } => toscalar(e, cx),
        Expr::MethodCall { span, .. } => Err(Error::at(*span, "method calls are not supported")),
        Expr::Star(span) => Err(Error::at(*span, "`*` is not a scalar value")),
        Expr::Wildcard(p) => Err(Error::at(p.span, "a name pattern is not a scalar value")),
        // A type as a value (`extractjson(p, x, typeof(long))`): its name.
        Expr::TypeOf { ty, .. } => Ok(Value::str(
            ty.as_ref()
                .map_or("dynamic", |t| t.name.as_str())
                .to_string(),
        )),
        Expr::Error(span) => Err(Error::at(*span, "expression could not be read")),
    }
}

/// A predicate's truth: `None` for null.
pub fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Dyn(j) => j.as_bool(),
        other => other.as_i64().map(|i| i != 0),
    }
}

fn toscalar(e: &Expr, cx: &Ctx) -> Result<Value> {
    let t = exec::tabular(e, cx)?;
    Ok(t.rows
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or(Value::Null))
}

/// A literal's value; `source` is the query text (for datetime forms the parser does
/// not decode).
pub fn literal(l: &Literal, source: &str) -> Result<Value> {
    Ok(match &l.value {
        LitValue::String { value, .. } => Value::str(value.as_str()),
        LitValue::Long(v) => Value::Long(*v),
        LitValue::Int(v) => Value::Int(*v as i32),
        LitValue::Real(v) => Value::Real(*v),
        LitValue::Decimal(s) => Value::Decimal(s.replace(' ', "").parse().unwrap_or(f64::NAN)),
        LitValue::Bool(b) => Value::Bool(*b),
        LitValue::Timespan(t) => Value::Timespan(*t),
        LitValue::Datetime(Some(t)) => Value::DateTime(*t),
        LitValue::Datetime(None) => {
            let text = source
                .get(l.span.start as usize..l.span.end as usize)
                .unwrap_or_default();
            match loose_datetime(text) {
                Some(t) => Value::DateTime(t),
                None => {
                    return Err(Error::at(
                        l.span,
                        "datetime literal in a format rulecat cannot read",
                    ));
                }
            }
        }
        LitValue::Guid(g) => match value::parse_guid(g) {
            Some(g) => Value::Guid(g),
            None => return Err(Error::at(l.span, "bad guid literal")),
        },
        LitValue::Null(_) => Value::Null,
        LitValue::Dynamic(d) => Value::dynamic(dyn_json(d, source)?),
    })
}

fn dyn_json(d: &DynValue, source: &str) -> Result<Json> {
    Ok(match &d.kind {
        DynKind::Null => Json::Null,
        DynKind::Bool(b) => Json::Bool(*b),
        DynKind::Long(v) => Json::from(*v),
        DynKind::Real(v) => value::real_json(*v),
        DynKind::String(s) => Json::String(s.clone()),
        DynKind::Array(a) => Json::Array(
            a.iter()
                .map(|x| dyn_json(x, source))
                .collect::<Result<_>>()?,
        ),
        DynKind::Object(o) => {
            let mut m = serde_json::Map::new();
            for e in o {
                m.insert(e.key.clone(), dyn_json(&e.value, source)?);
            }
            Json::Object(m)
        }
        DynKind::Scalar(l) => literal(l, source)?.to_json(),
    })
}

fn name(i: &Ident, row: &Row, cx: &Ctx) -> Result<Value> {
    if let Some(v) = row.get(&i.name) {
        return Ok(v.clone());
    }
    match cx.env.get(&i.name) {
        Some(Binding::Scalar(v)) => Ok(v.clone()),
        Some(Binding::Func(f, env)) if f.params.is_empty() => {
            let (f, env) = (f.clone(), env.clone());
            match exec::call_function(&f, &env, &[], Some(row), cx)? {
                Thing::Scalar(v) => Ok(v),
                Thing::Table(t) => Ok(t
                    .rows
                    .first()
                    .and_then(|r| r.first())
                    .cloned()
                    .unwrap_or(Value::Null)),
            }
        }
        Some(Binding::Table(_)) => Err(Error::at(
            i.span,
            format!("`{}` is a table, not a scalar", i.name),
        )),
        _ => Err(Error::at(i.span, format!("unknown name `{}`", i.name))),
    }
}

/// The values of an `in`/`has_any` list: scalars, dynamic arrays (flattened), and
/// tabular subqueries (their first column).
fn list_values(list: &[Expr], row: &Row, cx: &Ctx) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for e in list {
        if exec::is_tabular(e, cx) {
            let t = exec::tabular(e, cx)?;
            out.extend(t.rows.iter().filter_map(|r| r.first().cloned()));
            continue;
        }
        match eval(e, row, cx)? {
            Value::Dyn(j) if j.is_array() => {
                if let Json::Array(a) = &*j {
                    out.extend(a.iter().map(|x| Value::dynamic(x.clone()).undyn()));
                }
            }
            v => out.push(v),
        }
    }
    Ok(out)
}

fn in_list(op: ListOp, a: &Value, items: &[Value]) -> bool {
    let a = a.undyn();
    match op {
        ListOp::In | ListOp::NotIn => {
            let hit = items.iter().any(|b| value::equals(&a, b));
            hit != (op == ListOp::NotIn)
        }
        ListOp::InCi | ListOp::NotInCi => {
            let s = a.to_kusto_string();
            let hit = items
                .iter()
                .any(|b| strops::eval(strops::StrOpKind::EqualsCi, &s, &b.to_kusto_string()));
            hit != (op == ListOp::NotInCi)
        }
        ListOp::HasAny => {
            let s = a.to_kusto_string();
            items
                .iter()
                .any(|b| strops::eval(strops::StrOpKind::Has, &s, &b.to_kusto_string()))
        }
        ListOp::HasAll => {
            let s = a.to_kusto_string();
            items
                .iter()
                .all(|b| strops::eval(strops::StrOpKind::Has, &s, &b.to_kusto_string()))
        }
    }
}

/// A string operator with the matcher's semantics (one implementation).
pub fn string_op(op: StrOp, a: &Value, b: &Value) -> bool {
    use strops::StrOpKind as K;
    let cs = op.case_sensitive;
    let kind = match op.kind {
        StrOpKind::Equals => K::EqualsCi,
        StrOpKind::MatchesRegex => K::MatchesRegex,
        StrOpKind::Has => pick(cs, K::HasCs, K::Has),
        StrOpKind::HasPrefix => pick(cs, K::HasPrefixCs, K::HasPrefix),
        StrOpKind::HasSuffix => pick(cs, K::HasSuffixCs, K::HasSuffix),
        StrOpKind::Contains => pick(cs, K::ContainsCs, K::Contains),
        StrOpKind::StartsWith => pick(cs, K::StartsWithCs, K::StartsWith),
        StrOpKind::EndsWith => pick(cs, K::EndsWithCs, K::EndsWith),
    };
    let (l, r) = (a.to_kusto_string(), b.to_kusto_string());
    let hit = if kind == K::MatchesRegex {
        funcs::string::regex(&r).is_ok_and(|re| re.is_match(&l))
    } else {
        strops::eval(kind, &l, &r)
    };
    hit != op.negated
}

fn pick<T>(cs: bool, a: T, b: T) -> T {
    if cs { a } else { b }
}

fn call(func: &Ident, args: &[Expr], span: crate::kql::Span, row: &Row, cx: &Ctx) -> Result<Value> {
    let name = func.name.as_str();
    if let Some(group) = row.group
        && aggs::is_aggregate(name)
    {
        return aggs::compute(name, args, group, row.table, cx).map_err(|e| e.or_at(span));
    }
    if let Some(r) = super::ops::graph::call(name, args, row, cx) {
        return r.map_err(|e| e.or_at(span));
    }
    if let Some(Binding::Func(f, env)) = cx.env.get(name) {
        let (f, env) = (f.clone(), env.clone());
        return match exec::call_function(&f, &env, args, Some(row), cx)? {
            Thing::Scalar(v) => Ok(v),
            Thing::Table(t) => Ok(t
                .rows
                .first()
                .and_then(|r| r.first())
                .cloned()
                .unwrap_or(Value::Null)),
        };
    }
    match name {
        "toscalar" if args.len() == 1 => {
            return if exec::is_tabular(&args[0], cx) {
                toscalar(&args[0], cx)
            } else {
                eval(&args[0], row, cx)
            };
        }
        "column_names_of" if args.len() == 1 => {
            let t = exec::tabular(&args[0], cx)?;
            return Ok(Value::dynamic(Json::Array(
                t.cols
                    .iter()
                    .map(|c| Json::String(c.name.clone()))
                    .collect(),
            )));
        }
        "new_guid" => {
            let hi = (cx.rand() * (1u64 << 53) as f64) as u128;
            let lo = (cx.rand() * (1u64 << 53) as f64) as u128;
            let g = (hi << 75) | (lo << 11);
            // Version 4, variant 1.
            let g = (g & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
            return Ok(Value::Guid(g));
        }
        "row_number" => {
            let start = match args.first() {
                Some(a) => eval(a, row, cx)?.as_i64().unwrap_or(1),
                None => 1,
            };
            return Ok(Value::Long(start + row.i as i64));
        }
        "prev" | "next" => {
            let off = match args.get(1) {
                Some(a) => eval(a, row, cx)?.as_i64().unwrap_or(1),
                None => 1,
            };
            let j = if name == "prev" {
                row.i as i64 - off
            } else {
                row.i as i64 + off
            };
            if j < 0 || j as usize >= row.table.rows.len() {
                return match args.get(2) {
                    Some(d) => eval(d, row, cx),
                    None => Ok(Value::Null),
                };
            }
            let Some(a) = args.first() else {
                return Err(Error::at(span, format!("{name}() needs a column")));
            };
            return eval(a, &Row::new(row.table, j as usize), cx);
        }
        "row_cumsum" if args.is_empty() => {
            return Err(Error::at(span, "row_cumsum() needs a term"));
        }
        "row_cumsum" | "row_rank_min" | "row_rank_dense" | "row_window_session"
            if !args.is_empty() && (name != "row_window_session" || args.len() >= 3) =>
        {
            return running(name, args, span, row, cx);
        }
        "pack_all" => {
            let mut m = serde_json::Map::new();
            if let Some(r) = row.table.rows.get(row.i) {
                let skip_empty = match args.first() {
                    Some(a) => truth(&eval(a, row, cx)?) == Some(true),
                    None => false,
                };
                for (c, v) in row.table.cols.iter().zip(r) {
                    let empty = v.is_null() || matches!(v, Value::Str(s) if s.is_empty());
                    if !(skip_empty && empty) {
                        m.insert(c.name.clone(), v.to_json());
                    }
                }
            }
            return Ok(Value::dynamic(Json::Object(m)));
        }
        // The time the row was ingested: offline, the row's `_IngestionTime` (or
        // `IngestionTime`) column when the input has one, else null.
        "ingestion_time" if args.is_empty() => {
            let v = row
                .get("_IngestionTime")
                .or_else(|| row.get("IngestionTime"))
                .cloned()
                .unwrap_or(Value::Null);
            return funcs::call("todatetime", vec![v], cx);
        }
        // `columnifexists` is the deprecated name of `column_ifexists`.
        "column_ifexists" | "columnifexists" if args.len() == 2 => {
            let n = eval(&args[0], row, cx)?.to_kusto_string();
            return match row.get(&n) {
                Some(v) => Ok(v.clone()),
                None => eval(&args[1], row, cx),
            };
        }
        "iff" | "iif" if args.len() == 3 => {
            let c = eval(&args[0], row, cx)?;
            let a = eval(&args[1], row, cx)?;
            let b = eval(&args[2], row, cx)?;
            return Ok(if truth(&c) == Some(true) { a } else { b });
        }
        "case" if args.len() >= 3 => {
            let mut i = 0;
            while i + 1 < args.len() {
                if truth(&eval(&args[i], row, cx)?) == Some(true) {
                    return eval(&args[i + 1], row, cx);
                }
                i += 2;
            }
            return eval(&args[args.len() - 1], row, cx);
        }
        _ => {}
    }
    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(eval(a, row, cx)?);
    }
    funcs::call(name, vals, cx).map_err(|e| e.or_at(span))
}

/// Shared empty string (for functions returning `""`).
pub fn empty() -> Value {
    Value::Str(Arc::from(""))
}

/// Datetime forms Kusto reads that the literal decoder does not: `datetime("...")`
/// with quotes, `MM-dd-yyyy`, `MM/dd/yyyy [HH:mm[:ss]]`, `datetime(2025, 6, 15)`, and
/// `datetime(2017 - 08 - 04)` with spaces.
pub fn loose_datetime(text: &str) -> Option<i64> {
    let inner = text
        .split_once('(')
        .map_or(text, |(_, r)| r)
        .trim_end()
        .trim_end_matches(')')
        .trim()
        .trim_matches(['"', '\'']);
    crate::kql::time::parse(inner)
        .or_else(|| crate::kql::time::parse(&inner.replace(' ', "")))
        .or_else(|| {
            let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
            let n: Vec<i64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
            (parts.len() >= 3 && n.len() == parts.len()).then(|| {
                let t = crate::kql::time::days_from_civil(n[0], n[1], n[2])
                    * crate::kql::time::TICKS_PER_DAY;
                let hms = [3600, 60, 1]
                    .iter()
                    .zip(n.iter().skip(3))
                    .map(|(u, v)| u * v)
                    .sum::<i64>();
                t + hms * crate::kql::time::TICKS_PER_SECOND
            })
        })
        .or_else(|| us_datetime(inner))
}

/// `MM-dd-yyyy` or `MM/dd/yyyy`, optionally followed by ` HH:mm[:ss]`.
pub fn us_datetime(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once(' ').unwrap_or((s.trim(), ""));
    let p: Vec<&str> = date.split(['-', '/']).collect();
    if p.len() != 3 || p[2].len() != 4 {
        return None;
    }
    let (m, d, y): (i64, i64, i64) = (p[0].parse().ok()?, p[1].parse().ok()?, p[2].parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let iso = format!(
        "{y:04}-{m:02}-{d:02}{}{}",
        if time.is_empty() { "" } else { "T" },
        time.trim()
    );
    crate::kql::time::parse(&iso)
}

/// The state of a running window function (`row_cumsum`, `row_rank_min`,
/// `row_rank_dense`, `row_window_session`) after the row `i` of one table.
#[derive(Clone)]
pub struct Running {
    /// The table's identity: its address, its rows' address and its length.
    table: (usize, usize, usize),
    i: usize,
    /// The running value: the sum, the session's first value.
    acc: Value,
    /// The previous row's value.
    last: Value,
    rank: i64,
    start: usize,
}

impl Running {
    fn identity(t: &Table) -> (usize, usize, usize) {
        (
            std::ptr::from_ref(t) as usize,
            t.rows.as_ptr() as usize,
            t.rows.len(),
        )
    }
}

/// A running window function at `row`: the functions fold over the rows before it, so
/// the state after the previous row of the same table (operators evaluate rows in
/// order) is kept per call site and advanced by one row, which keeps a column of them
/// linear in the table's length; any other row is computed from the first row.
fn running(
    name: &str,
    args: &[Expr],
    span: crate::kql::Span,
    row: &Row,
    cx: &Ctx,
) -> Result<Value> {
    let table = row.table;
    let id = Running::identity(table);
    let key = (span.start, span.end);
    let resume = cx
        .running
        .borrow()
        .get(&key)
        .filter(|s| s.table == id && s.i + 1 == row.i)
        .cloned();
    let (from, mut st) = match resume {
        Some(st) => (row.i, st),
        None => (
            0,
            Running {
                table: id,
                i: 0,
                acc: if name == "row_cumsum" {
                    Value::Long(0)
                } else {
                    Value::Null
                },
                last: Value::Null,
                rank: 0,
                start: 0,
            },
        ),
    };
    let far = |a: &Value, b: &Value, lim: &Value| -> Result<bool> {
        let d = arith::binary(BinOp::Sub, a, b)?;
        Ok(crate::engine::value::compare(&d, lim) == std::cmp::Ordering::Greater)
    };
    let (max_first, max_gap) = if name == "row_window_session" {
        (eval(&args[1], row, cx)?, eval(&args[2], row, cx)?)
    } else {
        (Value::Null, Value::Null)
    };
    let restart_arg = match name {
        "row_window_session" => args.get(3),
        "row_cumsum" => None,
        _ => args.get(1),
    };
    for j in from..=row.i.min(table.rows.len().saturating_sub(1)) {
        let r = Row::new(table, j);
        let v = eval(&args[0], &r, cx)?;
        let restart = match restart_arg {
            Some(c) => truth(&eval(c, &r, cx)?) == Some(true),
            None => false,
        };
        match name {
            "row_cumsum" => {
                if !v.is_null() {
                    st.acc = arith::binary(BinOp::Add, &st.acc, &v)?;
                }
            }
            // Rank of the value within its partition (a new one starts where the
            // optional restart term is true): min rank counts rows, dense counts
            // distinct values.
            "row_rank_min" | "row_rank_dense" => {
                if j == 0 || restart {
                    st.start = j;
                    st.rank = 1;
                } else if !crate::engine::value::equals(&v, &st.last) {
                    st.rank = if name == "row_rank_min" {
                        (j - st.start + 1) as i64
                    } else {
                        st.rank + 1
                    };
                }
            }
            // The first value of the current session: a new session starts at the
            // first row, where the restart term is true, or where the value is more
            // than the first argument's span from the session's first value or more
            // than the second's from the previous row's.
            _ => {
                if j == 0
                    || restart
                    || st.acc.is_null()
                    || far(&v, &st.acc, &max_first)?
                    || far(&v, &st.last, &max_gap)?
                {
                    st.acc = v.clone();
                }
            }
        }
        st.last = v;
    }
    st.i = row.i;
    let out = match name {
        "row_rank_min" | "row_rank_dense" => Value::Long(st.rank),
        _ => st.acc.clone(),
    };
    cx.running.borrow_mut().insert(key, st);
    Ok(out)
}
